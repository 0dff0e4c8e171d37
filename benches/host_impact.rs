//! Host impact: throughput of a CPU-bound workload in the host process while telemetry runs in
//! the same process against a failing endpoint, relative to telemetry switched off.
//!
//! Run with `cargo bench --bench host_impact`. Telemetry is set to retry as hard as the
//! configuration allows (the 1 s minimum pause between attempts, 100 attempts per period, a new
//! period every ~2 s, a 1 s timeout), so this is the worst case, not the daily one (5 attempts a
//! day at most). Each scenario runs 5 s, in 5 interleaved rounds;
//! the table shows medians and the ratio to "off" (target >= 0.99).

#[allow(dead_code)]
#[path = "../tests/it/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use optimize_telemetry::Config;
use support::receiver::{Behaviour, Receiver};
use support::tls::TestCa;

const ROUND: Duration = Duration::from_secs(5);
const ROUNDS: usize = 5;

/// Work every core can do: a mixing loop, counted in iterations.
fn workload(duration: Duration) -> u64 {
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let deadline = Instant::now() + duration;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ t as u64;
                let mut n = 0u64;
                while Instant::now() < deadline {
                    for _ in 0..1024 {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                    }
                    n += 1;
                    black_box(x);
                }
                n
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
}

fn config(dir: &support::TempDir, endpoint: &str, ca: &std::path::Path, enabled: bool) -> Config {
    let text = format!(
        "[telemetry]\ninitializeTelemetry = {enabled}\ntelemetryEndpoint = \"{endpoint}\"\nreportingIntervalInHours = 0.0005\n\
         initialDelaySeconds = 0\nmaxAttemptsPerPeriod = 100\nretryBaseSeconds = 1\nretryCapSeconds = 1\n\
         [http]\ncaFile = \"{}\"\ntimeoutSeconds = 1\nsourceTimeoutSeconds = 1\n[elasticsearch]\nurl = \"http://127.0.0.1:9\"\n[state]\ndir = \"{}\"\n",
        ca.display(),
        dir.join(&format!("state-{}", fastrand::u32(..))).display()
    );
    Config::parse("bench.toml", &text, &|_| None).unwrap_or_else(|e| panic!("{e}"))
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run briefly then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let round = if quick {
        Duration::from_millis(200)
    } else {
        ROUND
    };
    let dir = support::TempDir::new("host-impact");
    let ca = TestCa::new("bench CA");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap_or_else(|e| panic!("{e}"));
    let hung = Receiver::start(ca.server(&["127.0.0.1"]), Behaviour::Hang);
    let failing = Receiver::start(ca.server(&["127.0.0.1"]), Behaviour::Status(500));
    // A port nothing listens on: bind, learn the port, close.
    let refused = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9);
    let scenarios: [(&str, String, bool); 4] = [
        ("off", failing.url(), false),
        ("hung endpoint", hung.url(), true),
        ("HTTP 500", failing.url(), true),
        (
            "refused port",
            format!("https://127.0.0.1:{refused}/pings"),
            true,
        ),
    ];
    let mut results: Vec<(Vec<u64>, u64)> = vec![(Vec::new(), 0); scenarios.len()];
    for _ in 0..ROUNDS {
        for (i, (_, endpoint, enabled)) in scenarios.iter().enumerate() {
            let handle = optimize_telemetry::start(config(&dir, endpoint, &ca_file, *enabled))
                .unwrap_or_else(|e| panic!("{e}"));
            let ops = workload(round);
            results[i].1 += handle
                .metrics()
                .attempts
                .load(std::sync::atomic::Ordering::Relaxed)
                + u64::from(*enabled && endpoint.contains(&hung.addr.port().to_string()))
                    * hung.connections() as u64;
            handle.stop();
            results[i].0.push(ops);
        }
    }
    let base = median(results[0].0.clone()) as f64;
    println!("host workload throughput, median of {ROUNDS} rounds of {round:?} each:");
    println!(
        "{:<16} {:>14} {:>8} {:>16}",
        "telemetry", "iterations", "ratio", "send attempts"
    );
    for ((name, _, _), (ops, attempts)) in scenarios.iter().zip(&results) {
        let m = median(ops.clone());
        println!("{name:<16} {m:>14} {:>8.3} {attempts:>16}", m as f64 / base);
    }
}
