//! Prints a valid synthetic spec of N items (default 10,000), for measuring `telemetry-spec`:
//! `cargo run --release -p telemetry-spec --example synthetic_spec -- 10000 > /tmp/spec.toml`.
//! With `mixed` after N, the items cycle through every type of the spec language; with
//! `strings`, they are all `string` items in one category (the shape of the peer comparison).

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let n = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        None => 10_000,
        Some(Ok(n)) => n,
        Some(Err(err)) => {
            eprintln!("synthetic_spec: error: N must be a number of items: {err}");
            return ExitCode::from(2);
        }
    };
    let text = match std::env::args().nth(2).as_deref() {
        Some("mixed") => synthetic::spec_mixed(n),
        Some("strings") => synthetic::spec_strings(n),
        _ => synthetic::spec(n),
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("synthetic_spec: error: cannot write: {err}");
            ExitCode::from(2)
        }
    }
}
