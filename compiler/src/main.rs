//! The `telemetry-spec` binary: a thin shell around [`telemetry_spec::cli::run`].

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let mut io = telemetry_spec::cli::Io {
        stdin: &mut stdin,
        stdout: &mut stdout,
        stderr: &mut stderr,
        exits_after: true,
    };
    ExitCode::from(telemetry_spec::cli::run(std::env::args_os(), &mut io))
}
