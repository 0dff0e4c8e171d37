//! The endpoint fault matrix: `optimize-telemetry run` as a real process against every way an
//! endpoint can fail. For each case: the process survives; attempts per period stay within
//! `maxAttemptsPerPeriod` and warnings within a fixed bound; its file descriptors (sockets
//! included) return to their count before the first attempt; it spends little CPU; memory stays
//! bounded; and once the endpoint is healthy again, the next period succeeds.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use optimize_telemetry::audit::Ledger;
use test_support::ConfigBuilder;

use crate::support::receiver::{Behaviour, Receiver};
use crate::support::tls::TestCa;
use crate::support::{TempDir, fd_count, proc_field, wait_until};

const MAX_ATTEMPTS: usize = 3;
/// Warnings allowed per period: per attempt, one for each absent source (2) and one for the
/// failure, plus the final "giving up" and a little slack.
const MAX_WARNINGS_PER_PERIOD: usize = MAX_ATTEMPTS * 3 + 4;

#[derive(Clone)]
enum Fault {
    Serve(Behaviour),
    Refused,
    UntrustedCertificate,
    CertificateForAnotherHost,
    RedirectLoop,
    /// `telemetry.invalid` in a network namespace of its own: the lookup fails, and nothing
    /// can leave the machine while trying.
    NoDns,
}

struct Case {
    name: &'static str,
    fault: Fault,
    /// Whether the faulty endpoint still counts the report as delivered (a 2xx status).
    delivered: bool,
    /// What the ledger's error says, if it fails.
    error: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    let c = |name, fault, delivered, error| Case {
        name,
        fault,
        delivered,
        error,
    };
    vec![
        c(
            "never answers",
            Fault::Serve(Behaviour::Hang),
            false,
            Some("timed out"),
        ),
        c(
            "headers, then a stalled body",
            Fault::Serve(Behaviour::StallBody(202)),
            true,
            None,
        ),
        c("500", Fault::Serve(Behaviour::Status(500)), false, None),
        c(
            "503 with Retry-After",
            Fault::Serve(Behaviour::StatusWith(
                503,
                vec![("retry-after", "1".into())],
            )),
            false,
            None,
        ),
        c("429", Fault::Serve(Behaviour::Status(429)), false, None),
        c(
            "connection refused",
            Fault::Refused,
            false,
            Some("cannot connect"),
        ),
        c("name does not resolve", Fault::NoDns, false, Some("lookup")),
        c(
            "untrusted certificate",
            Fault::UntrustedCertificate,
            false,
            Some("certificate"),
        ),
        c(
            "certificate for another host",
            Fault::CertificateForAnotherHost,
            false,
            Some("certificate"),
        ),
        c(
            "redirect to http://",
            Fault::Serve(Behaviour::StatusWith(
                307,
                vec![("location", "http://127.0.0.1:9/pings".into())],
            )),
            false,
            Some("redirect"),
        ),
        c(
            "redirect loop",
            Fault::RedirectLoop,
            false,
            Some("redirect"),
        ),
        c(
            "a 10 MB body",
            Fault::Serve(Behaviour::BigBody(202, 10 * 1024 * 1024)),
            true,
            None,
        ),
        c(
            "connection closed mid-request",
            Fault::Serve(Behaviour::CloseMidRequest),
            false,
            None,
        ),
    ]
}

/// User + system CPU of the process, in clock ticks (1/100 s).
fn cpu_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|t| {
            let rest = t.rsplit(')').next()?.to_owned();
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

struct Running {
    child: Child,
    warnings: Arc<Mutex<Vec<String>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_case(case: &Case) -> Result<String, String> {
    let dir = TempDir::new("fault");
    let ca = TestCa::new("fault matrix CA");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())?;
    let faulty = match &case.fault {
        Fault::Serve(b) => Some(Receiver::start_on(
            port,
            ca.server(&["127.0.0.1"]),
            b.clone(),
        )),
        Fault::UntrustedCertificate => Some(Receiver::start_on(
            port,
            TestCa::new("someone else").server(&["127.0.0.1"]),
            Behaviour::Status(202),
        )),
        Fault::CertificateForAnotherHost => Some(Receiver::start_on(
            port,
            ca.server(&["telemetry.example.invalid"]),
            Behaviour::Status(202),
        )),
        Fault::RedirectLoop => Some(Receiver::start_on(
            port,
            ca.server(&["127.0.0.1"]),
            Behaviour::StatusWith(
                307,
                vec![("location", format!("https://127.0.0.1:{port}/pings"))],
            ),
        )),
        Fault::Refused | Fault::NoDns => None,
    };
    let endpoint = match case.fault {
        Fault::NoDns => "https://telemetry.invalid/pings".to_owned(),
        _ => format!("https://127.0.0.1:{port}/pings"),
    };
    let cfg = dir.join("c.toml");
    let text = ConfigBuilder::new()
        .initialize_telemetry(true)
        .initial_delay(Duration::from_secs(2))
        .reporting_interval(Duration::from_secs(12))
        .endpoint(&endpoint)
        .max_attempts_per_period(MAX_ATTEMPTS as u32)
        .retry(Duration::from_secs(1), Duration::from_secs(1))
        .send_lease(Duration::from_secs(4))
        .state_poll(Duration::from_secs(1))
        .ca_file(&ca_file)
        .send_timeout(Duration::from_secs(2))
        .source_timeout(Duration::from_secs(1))
        .no_database()
        .control_enabled(false)
        .state_dir(&dir.join("state"))
        .to_toml();
    std::fs::write(&cfg, text).map_err(|e| e.to_string())?;
    let bin = env!("CARGO_BIN_EXE_optimize-telemetry");
    let mut command = if matches!(case.fault, Fault::NoDns) {
        let mut c = Command::new("unshare");
        c.arg("--net").arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let mut child = command
        .arg("--config")
        .arg(&cfg)
        .args(["--log-level", "warn", "run"])
        .env_remove("HTTPS_PROXY")
        .env_remove("OPTIMIZE_TELEMETRY_DISABLED")
        .env_remove("DO_NOT_TRACK")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;
    let warnings = Arc::new(Mutex::new(Vec::new()));
    if let Some(stderr) = child.stderr.take() {
        let w = Arc::clone(&warnings);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Ok(mut w) = w.lock() {
                    w.push(line);
                }
            }
        });
    }
    let mut running = Running { child, warnings };
    // With `unshare`, the runtime is its child: find the process that holds the state.
    let pid = {
        let outer = running.child.id();
        let mut pid = outer;
        wait_until(Duration::from_secs(5), || {
            if let Ok(children) =
                std::fs::read_to_string(format!("/proc/{outer}/task/{outer}/children"))
                && let Some(inner) = children
                    .split_whitespace()
                    .next()
                    .and_then(|p| p.parse().ok())
            {
                pid = inner;
                return true;
            }
            matches!(case.fault, Fault::NoDns)
                .then_some(false)
                .unwrap_or(true)
        });
        pid
    };
    // The baseline: the settled count once start-up is over, before the first attempt (2 s).
    let mut baseline = fd_count(pid);
    let settled = Instant::now() + Duration::from_millis(1200);
    while Instant::now() < settled {
        std::thread::sleep(Duration::from_millis(100));
        baseline = baseline.max(fd_count(pid));
    }
    let cpu_start = cpu_ticks(pid);
    let ledger = Ledger::new(&dir.join("state"));
    let entries = || {
        ledger
            .read()
            .map(|e| {
                e.into_iter()
                    .filter_map(|l| l.entry.ok())
                    // Send attempts only: the approval `initializeTelemetry` seeded is one too.
                    .filter(|e| e.consent.is_none())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let expected = if case.delivered { 1 } else { MAX_ATTEMPTS };
    let done = wait_until(Duration::from_secs(16), || entries().len() >= expected);
    std::thread::sleep(Duration::from_millis(1500));
    let first_period = entries();
    if !done || first_period.len() != expected {
        return Err(format!(
            "{} attempts in the first period, expected {expected}: {:?}",
            first_period.len(),
            first_period
                .iter()
                .map(|e| (&e.status, &e.error))
                .collect::<Vec<_>>()
        ));
    }
    if first_period.iter().any(|e| e.success != case.delivered) {
        return Err(format!(
            "unexpected outcome: {:?}",
            first_period
                .iter()
                .map(|e| (e.success, &e.status, &e.error))
                .collect::<Vec<_>>()
        ));
    }
    if let Some(word) = case.error
        && !first_period
            .iter()
            .all(|e| e.error.as_deref().is_some_and(|m| m.contains(word)))
    {
        return Err(format!(
            "the recorded error should mention `{word}`: {:?}",
            first_period.iter().map(|e| &e.error).collect::<Vec<_>>()
        ));
    }
    if !wait_until(Duration::from_secs(4), || fd_count(pid) <= baseline) {
        return Err(format!(
            "file descriptors: {} before, {} after",
            baseline,
            fd_count(pid)
        ));
    }
    let cpu = cpu_ticks(pid).saturating_sub(cpu_start);
    if cpu > 150 {
        return Err(format!("spent {cpu} CPU ticks on a failing endpoint"));
    }
    let peak_kib = proc_field(pid, "status", "VmHWM:");
    if peak_kib > 48 * 1024 {
        return Err(format!("peak memory {peak_kib} KiB"));
    }
    let warned = running.warnings.lock().map(|w| w.len()).unwrap_or(0);
    if warned > MAX_WARNINGS_PER_PERIOD {
        return Err(format!("{warned} log lines in one period"));
    }
    if let Ok(Some(status)) = running.child.try_wait() {
        return Err(format!("the runtime died: {status}"));
    }
    let summary = format!(
        "{} attempt(s), {warned} warning line(s), fds {baseline} -> {}, {cpu} CPU ticks, peak {} KiB",
        first_period.len(),
        fd_count(pid),
        peak_kib
    );
    if matches!(case.fault, Fault::NoDns) {
        // No healthy endpoint can exist inside an empty network namespace.
        return Ok(format!("{summary}; no recovery check"));
    }
    // The endpoint recovers: the next period succeeds.
    drop(faulty);
    let healthy = Receiver::start_on(port, ca.server(&["127.0.0.1"]), Behaviour::Status(202));
    let recovered = wait_until(Duration::from_secs(16), || {
        entries().iter().skip(first_period.len()).any(|e| e.success)
    });
    if !recovered {
        return Err(format!(
            "no successful report after recovery: {:?}",
            entries()
                .iter()
                .map(|e| (e.success, &e.status, &e.error))
                .collect::<Vec<_>>()
        ));
    }
    if healthy.requests().is_empty() {
        return Err("the healthy endpoint got nothing".into());
    }
    Ok(format!("{summary}; recovered"))
}

#[test]
fn every_endpoint_fault_is_survived_bounded_and_recovered_from() {
    let started = Instant::now();
    let results: Vec<(&'static str, Result<String, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases()
            .into_iter()
            .map(|case| scope.spawn(move || (case.name, run_case(&case))))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or(("panicked", Err("the case panicked".into())))
            })
            .collect()
    });
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(name, r)| r.as_ref().err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} fault cases failed:\n{}",
        failed.len(),
        results.len(),
        failed.join("\n")
    );
    assert_eq!(results.len(), 13);
    for (name, r) in &results {
        println!("{name:<32} {}", r.as_deref().unwrap_or_default());
    }
    println!("fault matrix: 13 cases in {:?}", started.elapsed());
}
