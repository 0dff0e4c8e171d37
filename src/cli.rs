//! The `optimize-telemetry` command line, defined here rather than in the binary so that the
//! man pages and shell completions (`cargo run --example cli-docs`) are made from the very
//! definition the binary parses.

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
