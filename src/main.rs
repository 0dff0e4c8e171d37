//! The `optimize-telemetry` command: the daemon that runs next to Optimize, and the tools an
//! operator uses to see what it would send. Everything happens in [`optimize_telemetry::cli`].

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    ExitCode::from(optimize_telemetry::cli::main(
        optimize_telemetry::cli::Cli::parse(),
    ))
}
