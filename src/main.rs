//! The `optimize-telemetry` command: the daemon that runs next to Optimize, and the tools an
//! operator uses to see what it would send.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use optimize_telemetry::clock::SystemClock;
use optimize_telemetry::config::Config;
use optimize_telemetry::runtime::{self, Parts};

#[derive(Debug, Parser)]
#[command(
    name = "optimize-telemetry",
    version,
    about = "Camunda Optimize's telemetry runtime: strictly opt-in, one report a day over HTTPS",
    after_help = "Exit codes: 0 success, 1 failure at run time, 2 bad configuration or usage."
)]
struct Cli {
    /// The configuration file [default: optimize-telemetry.toml, if present]
    #[arg(long, global = true, env = "OPTIMIZE_TELEMETRY_CONFIG")]
    config: Option<PathBuf>,
    /// Log level: error, warn, info, debug or trace [default: info; error for preview]
    #[arg(long, global = true, env = "OPTIMIZE_TELEMETRY_LOG")]
    log_level: Option<tracing::Level>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon until SIGINT or SIGTERM
    Run,
    /// Collect a report now and print exactly what would be sent; sends nothing
    Preview,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet = matches!(cli.command, Command::Preview);
    let level = cli.log_level.unwrap_or(if quiet {
        tracing::Level::ERROR
    } else {
        tracing::Level::INFO
    });
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let env = |name: &str| std::env::var(name).ok();
    let config = match Config::load(cli.config.as_deref(), &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("optimize-telemetry: error: {e}");
            return ExitCode::from(2);
        }
    };
    let code = match cli.command {
        Command::Run => run(config),
        Command::Preview => preview(config),
    };
    ExitCode::from(code)
}

/// A small runtime for the command's own waiting (signals); telemetry has its own thread.
fn local_runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("optimize-telemetry: error: cannot start: {e}");
            None
        }
    }
}

fn run(config: Config) -> u8 {
    let Some(rt) = local_runtime() else { return 1 };
    let handle = match runtime::start(config) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("optimize-telemetry: error: {e}");
            return 1;
        }
    };
    tracing::info!(
        enabled = handle.shared().enabled(),
        state = %handle.shared().parts.config.state.dir.display(),
        "telemetry runtime started"
    );
    let signal = rt.block_on(async {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => return Err(e),
            };
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map(|()| "SIGINT"),
            _ = term.recv() => Ok("SIGTERM"),
        }
    });
    match signal {
        Ok(name) => tracing::info!(signal = name, "stopping; nothing more is collected or sent"),
        Err(e) => tracing::error!(error = %e, "cannot wait for signals; stopping"),
    }
    handle.stop();
    0
}

fn preview(config: Config) -> u8 {
    let Some(rt) = local_runtime() else { return 1 };
    let endpoint = config.endpoint.clone();
    let parts = match Parts::new(config, Arc::new(SystemClock)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("optimize-telemetry: error: {e}");
            return 1;
        }
    };
    let (payload, failures) = rt.block_on(runtime::preview(&parts));
    let mut text = serde_json::to_string_pretty(&payload).unwrap_or_default();
    text.push('\n');
    print!("{text}");
    for (source, why) in failures {
        eprintln!("note: source `{source}` unavailable ({why}); its items show \"Unknown\"");
    }
    let enabled = rt
        .block_on(parts.store.settings(parts.config.initialize_telemetry))
        .map(|s| s.metadata_telemetry_enabled)
        .unwrap_or(false);
    match (enabled, endpoint) {
        (false, _) => {
            eprintln!("note: telemetry is disabled: nothing is sent unless a superuser enables it")
        }
        (true, Some(url)) => eprintln!(
            "note: telemetry is enabled: a report like this goes to {url} once per interval"
        ),
        (true, None) => {
            eprintln!("note: telemetry is enabled but no endpoint is configured: nothing is sent")
        }
    }
    0
}
