//! The `optimize-telemetry` command line: its definition (here rather than in the binary, so
//! the man pages and shell completions of `cargo run --example cli-docs` are made from the very
//! definition the binary parses) and one module per command family.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines
    Text,
    /// One JSON object per line: `timestamp`, `level`, `message` and the event's fields
    Json,
}

#[derive(Debug, Parser)]
#[command(
    name = "optimize-telemetry",
    version,
    about = "Camunda Optimize's telemetry runtime: strictly opt-in, one report a day over HTTPS",
    after_help = "Exit codes: 0 success, 1 failure at run time, 2 bad configuration or usage."
)]
pub struct Cli {
    /// The configuration file [default: optimize-telemetry.toml, if present]
    #[arg(long, global = true, env = "OPTIMIZE_TELEMETRY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log level: error, warn, info, debug or trace [default: info; error for preview]
    #[arg(long, global = true, env = "OPTIMIZE_TELEMETRY_LOG")]
    pub log_level: Option<tracing::Level>,
    /// Log lines as text, or as one JSON object per line (collected values and secrets are never
    /// logged in either)
    #[arg(
        long,
        global = true,
        env = "OPTIMIZE_TELEMETRY_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon (scheduler and control API) until SIGINT or SIGTERM
    Run,
    /// Collect a report now and print exactly what would be sent; sends nothing
    Preview,
    /// Show whether telemetry is on, who changed it, the last and the next send
    Status,
    /// Switch telemetry on (needs a superuser token, through the running daemon)
    Enable(TokenArgs),
    /// Switch telemetry off (needs a superuser token, through the running daemon)
    Disable(TokenArgs),
    /// List the audit ledger of send attempts, or check its hash chain
    Audit {
        /// Check that no entry was edited, removed or reordered; exit 1 naming the first that was
        #[arg(long)]
        verify: bool,
        /// Print the entries as JSON lines, payload included
        #[arg(long)]
        json: bool,
    },
    /// Read a token on standard input and print the SHA-256 to put in `control.tokens`
    HashToken,
    /// Print the shell completion script for SHELL on standard output
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// A file holding the token (else the OPTIMIZE_TELEMETRY_TOKEN variable). Tokens are never
    /// taken as arguments: other users can read a process's arguments.
    #[arg(long, env = "OPTIMIZE_TELEMETRY_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
}

/// `print!` that ends the command quietly (exit 0) when the reader went away (`| head -c1`)
/// instead of panicking on the closed pipe.
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::emit(format_args!($($arg)*)) };
}

/// `println!`, likewise.
macro_rules! outln {
    () => { $crate::cli::emit(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::emit(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` that ignores a closed stderr (`2>&1 | head -c1`) instead of panicking: a message
/// nobody can read is not worth a crash.
macro_rules! note {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = writeln!(::std::io::stderr().lock(), $($arg)*);
    }};
}

#[doc(hidden)]
pub fn emit(args: std::fmt::Arguments) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        note!("optimize-telemetry: error: cannot write output: {e}");
        std::process::exit(1);
    }
}

mod audit;
mod daemon;
mod preview;
mod run;

use crate::config::{Config, ConfigError};

/// Runs the command line `cli` describes; returns the exit code (see [`Cli`]).
pub fn main(cli: Cli) -> u8 {
    let quiet = !matches!(cli.command, Command::Run);
    let level = cli.log_level.unwrap_or(if quiet {
        tracing::Level::ERROR
    } else {
        tracing::Level::INFO
    });
    let logs = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false);
    match cli.log_format {
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        // One JSON object per line, the event's fields at the top level, for log collectors.
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    if let Command::Completions { shell } = cli.command {
        return completions(shell);
    }
    let env = |name: &str| std::env::var(name).ok();
    let config = match Config::load(cli.config.as_deref(), &env) {
        Ok(c) => c,
        Err(ConfigError::Invalid(problems)) => {
            // Each one already says where and that it is an error, as a compiler's would.
            for problem in &problems {
                note!("{problem}");
            }
            note!(
                "optimize-telemetry: error: the configuration has {} problem{}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            return 2;
        }
        Err(e) => {
            note!("optimize-telemetry: error: {e}");
            return 2;
        }
    };
    match cli.command {
        Command::Run => run::run(config),
        Command::Preview => preview::preview(config),
        Command::Status => daemon::status(config),
        Command::Enable(t) => daemon::switch(config, &t, true),
        Command::Disable(t) => daemon::switch(config, &t, false),
        Command::Audit { verify, json } => audit::audit(&config, verify, json),
        Command::HashToken => audit::hash_token(),
        Command::Completions { shell } => completions(shell),
    }
}

/// A small runtime for the command's own waiting (signals); telemetry has its own thread.
pub(crate) fn local_runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            note!("optimize-telemetry: error: cannot start: {e}");
            None
        }
    }
}

/// The completion script for `shell`, made from the same clap definition the binary parses.
fn completions(shell: clap_complete::Shell) -> u8 {
    let mut script = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "optimize-telemetry",
        &mut script,
    );
    out!("{}", String::from_utf8_lossy(&script));
    0
}
