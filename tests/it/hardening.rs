//! What a hostile local user tried against release behaviour, each as a test that failed before
//! its fix: holding the control API's connections, secrets in configured URLs, a settings change
//! that is not the documented object, `HEAD`, and a reader that closes the pipe.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use test_support::ConfigBuilder;
use test_support::config::NOTHING_LISTENS;

use crate::control::{Daemon, SUPER_TOKEN, USER_TOKEN, call, with_control};
use crate::daemon::{Proc, bin, free_port, out};
use crate::runtime::receiver;
use crate::support::receiver::Behaviour;
use crate::support::{TempDir, fd_count, proc_field, wait_until};

/// A raw HTTP/1.1 request on a fresh connection; the whole answer as text.
fn raw(addr: SocketAddr, request: &str) -> String {
    let mut tcp = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
    tcp.set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap_or_else(|e| panic!("{e}"));
    tcp.write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// `optimize-telemetry run` on `cfg`, output discarded, once its control API on `port` answers.
fn run_quietly(cfg: &std::path::Path, port: u16) -> (Proc, SocketAddr) {
    let daemon = Proc {
        child: bin(cfg)
            .arg("run")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}")),
    };
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    assert!(
        wait_until(Duration::from_secs(20), || TcpStream::connect(addr).is_ok()),
        "the control API did not come up"
    );
    (daemon, addr)
}

#[test]
fn idle_and_trickling_connections_cannot_lock_out_a_legitimate_client() {
    let dir = TempDir::new("lockout");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let port = free_port();
    let cfg = crate::daemon::setup(&dir, &rx, &ca, port);
    let (daemon, addr) = run_quietly(&cfg, port);
    let pid = daemon.child.id();
    let fds_before = fd_count(pid);

    // 64 connections that never send a byte, 64 that trickle a header byte now and then, and
    // a loop that keeps reconnecting: more than the API's 64 slots, all held at once.
    let stop = Arc::new(AtomicBool::new(false));
    let mut idle: Vec<TcpStream> = (0..64)
        .filter_map(|_| TcpStream::connect(addr).ok())
        .collect();
    let trickle = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut slow: Vec<TcpStream> = (0..64)
                .filter_map(|_| TcpStream::connect(addr).ok())
                .collect();
            let started = Instant::now();
            while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(30) {
                for (i, c) in slow.iter_mut().enumerate() {
                    if c.write_all(b"G").is_err() {
                        // Evicted: come back, as an attacker would.
                        if let Ok(n) = TcpStream::connect(addr) {
                            *c = n;
                        }
                    }
                    let _ = i;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let reconnect = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut held = std::collections::VecDeque::new();
            let started = Instant::now();
            while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(30) {
                if let Ok(c) = TcpStream::connect(addr) {
                    held.push_back(c);
                }
                if held.len() > 64 {
                    held.pop_front();
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(500));

    let mut slowest = Duration::ZERO;
    let mut peak_fds = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let answer = raw(
            addr,
            &format!(
                "GET /api/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {USER_TOKEN}\r\nConnection: close\r\n\r\n"
            ),
        );
        let took = started.elapsed();
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "a legitimate request failed under load: {answer:?}"
        );
        slowest = slowest.max(took);
        peak_fds = peak_fds.max(fd_count(pid));
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::Relaxed);
    let _ = trickle.join();
    let _ = reconnect.join();
    idle.clear();
    let rss_kib = proc_field(pid, "status", "VmHWM:");
    eprintln!(
        "lockout: slowest legitimate answer {slowest:?}, fds {fds_before} -> peak {peak_fds}, peak RSS {rss_kib} KiB"
    );
    assert!(slowest < Duration::from_secs(1), "took {slowest:?}");
    // The slots bound what the attack can hold: 64 connections and a few of the daemon's own.
    assert!(
        peak_fds <= fds_before + 64 + 8,
        "fds grew from {fds_before} to {peak_fds}"
    );
    assert!(rss_kib < 64 * 1024, "peak RSS {rss_kib} KiB");
}

#[test]
fn secrets_in_urls_never_reach_status_the_api_the_ledger_or_the_log() {
    let dir = TempDir::new("url-secrets");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let port = free_port();
    let cfg = with_control(
        ConfigBuilder::new()
            .initialize_telemetry(true)
            .initial_delay(Duration::ZERO)
            .endpoint(&format!("{}?apikey=s3cret-key&team=x", rx.url()))
            .ca_file(&ca)
            .elasticsearch(&format!("{NOTHING_LISTENS}/?token=s3cret-es"))
            .state_dir(&dir.join("state")),
        &format!("127.0.0.1:{port}"),
    )
    .write(&dir.join("c.toml"));
    let mut daemon = Proc {
        child: bin(&cfg)
            .args(["--log-level", "debug", "run"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}")),
    };
    // The log, read as it is written, so the test can wait for the line of the send.
    let log = Arc::new(std::sync::Mutex::new(String::new()));
    let reader = daemon.child.stderr.take().map(|stderr| {
        let log = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in
                std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok)
            {
                if let Ok(mut l) = log.lock() {
                    l.push_str(&line);
                    l.push('\n');
                }
            }
        })
    });
    let logged = |what: &str| log.lock().is_ok_and(|l| l.contains(what));
    assert!(
        wait_until(Duration::from_secs(20), || logged("telemetry report sent")),
        "no report was sent"
    );
    assert_eq!(
        rx.requests()[0].path,
        "/pings?apikey=s3cret-key&team=x",
        "the real URL is still used for sending"
    );
    let (status, body) = call(
        "GET",
        &format!("http://127.0.0.1:{port}/api/status"),
        &[("Authorization", &format!("Bearer {USER_TOKEN}"))],
        None,
    );
    assert_eq!(status, 200);
    let shown = body.to_string();
    assert!(shown.contains("apikey=***"), "{shown}");
    let o = bin(&cfg)
        .arg("status")
        .env("OPTIMIZE_TELEMETRY_TOKEN", SUPER_TOKEN)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let status_text = out(&o);
    assert!(status_text.contains("apikey=***"), "{status_text}");
    let o = bin(&cfg)
        .arg("preview")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let preview = out(&o);
    let ledger_file = dir.join("state/audit.jsonl");
    assert!(
        wait_until(Duration::from_secs(10), || ledger_file.exists()),
        "the attempt was not recorded"
    );
    let _ = daemon.child.kill();
    let _ = daemon.child.wait();
    if let Some(r) = reader {
        let _ = r.join();
    }
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    let ledger = std::fs::read_to_string(&ledger_file).unwrap_or_default();
    assert!(ledger.contains("apikey=***"), "{ledger}");
    assert!(
        preview.contains("note: telemetry is enabled: a report like this goes to https://"),
        "{preview}"
    );
    for (what, text) in [
        ("API", shown.as_str()),
        ("status", status_text.as_str()),
        ("preview", preview.as_str()),
        ("ledger", ledger.as_str()),
        ("log", log.as_str()),
    ] {
        assert!(
            !text.contains("s3cret"),
            "a secret reached the {what}:\n{text}"
        );
    }
}

#[test]
fn a_settings_change_must_be_the_documented_object() {
    let d = Daemon::start(false, None);
    let auth = format!("Bearer {SUPER_TOKEN}");
    for body in [
        &b"[true]"[..],
        b"true",
        b"\"true\"",
        b"[{\"metadataTelemetryEnabled\":true}]",
    ] {
        let (status, answer) = call(
            "PUT",
            &d.url("/api/settings"),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(body.to_vec()),
        );
        assert_eq!(status, 400, "{}: {answer}", String::from_utf8_lossy(body));
    }
    let (_, settings) = call(
        "GET",
        &d.url("/api/settings"),
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(settings["metadataTelemetryEnabled"], false, "{settings}");
    let (status, _) = call(
        "PUT",
        &d.url("/api/settings"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(br#"{"metadataTelemetryEnabled": true}"#.to_vec()),
    );
    assert_eq!(status, 200, "the documented object still works");
}

#[test]
fn head_is_answered_like_get_without_a_body() {
    let d = Daemon::start(false, None);
    for path in ["/", "/api/telemetry/disclosure"] {
        let get = raw(
            d.addr,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        );
        let head = raw(
            d.addr,
            &format!("HEAD {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        );
        assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
        let (head_headers, head_body) = head.split_once("\r\n\r\n").unwrap_or((&head, ""));
        assert!(head_body.is_empty(), "{path}: HEAD sent a body");
        let length = |headers: &str| {
            headers
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("content-length:"))
                .map(str::to_owned)
        };
        let get_headers = get.split("\r\n\r\n").next().unwrap_or_default();
        assert_eq!(length(head_headers), length(get_headers), "{path}");
        assert!(
            head_headers.contains("content-security-policy"),
            "{path}: same headers as GET"
        );
    }
}

#[test]
fn every_printing_command_exits_quietly_when_the_reader_goes_away() {
    let dir = TempDir::new("pipe");
    let cfg = ConfigBuilder::new()
        .no_database()
        .state_dir(&dir.join("state"))
        .write(&dir.join("c.toml"));
    let ledger = optimize_telemetry::audit::Ledger::new(&dir.join("state"));
    ledger
        .append(
            optimize_telemetry::clock::Timestamp(1),
            "https://t.example/p",
            true,
            Some(202),
            None,
            b"{}",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let commands: [&[&str]; 7] = [
        &["preview"],
        &["status"],
        &["audit"],
        &["audit", "--json"],
        &["audit", "--verify"],
        &["completions", "bash"],
        &["--help"],
    ];
    for args in commands {
        // Both ends closed before the command starts: its first write, to stdout or to stderr
        // (`2>&1 | head -c1`), hits a closed pipe, whatever the timing.
        let (reader, writer) = std::io::pipe().unwrap_or_else(|e| panic!("{e}"));
        drop(reader);
        let stderr = writer.try_clone().unwrap_or_else(|e| panic!("{e}"));
        let status = bin(&cfg)
            .args(args)
            .stdout(writer)
            .stderr(stderr)
            .status()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status.code(), Some(0), "{args:?}");
    }
    // `hash-token` reads stdin first.
    let (reader, writer) = std::io::pipe().unwrap_or_else(|e| panic!("{e}"));
    drop(reader);
    let mut child = bin(&cfg)
        .arg("hash-token")
        .stdin(Stdio::piped())
        .stdout(writer)
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"token\n");
    }
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.code(), Some(0), "hash-token");
}

#[test]
fn the_state_directory_is_checked_with_the_cluster_store_too() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("es-state-dir");
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o777))
        .unwrap_or_else(|e| panic!("{e}"));
    let cfg = crate::runtime::config(
        &ConfigBuilder::new()
            .no_database()
            .cluster_store()
            .state_dir(&state),
    );
    let err = optimize_telemetry::runtime::start(cfg)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains(&state.display().to_string()) && err.contains("chmod go-w"),
        "the ledger's directory must be refused with the cluster store too: {err}"
    );
}

#[test]
fn probes_against_a_hung_store_do_not_take_the_connection_slots() {
    // A cluster store that accepts connections and never answers: every read of it hangs
    // until its timeout.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let hung_addr = hung.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let dir = TempDir::new("probe-flood");
    let port = free_port();
    let cfg = with_control(
        ConfigBuilder::new()
            .elasticsearch(&format!("http://{hung_addr}"))
            .cluster_store()
            .state_dir(&dir.join("state")),
        &format!("127.0.0.1:{port}"),
    )
    .write(&dir.join("c.toml"));
    let (_daemon, addr) = run_quietly(&cfg, port);
    // 100 probes at once, each left open as a client that waits for its answer would.
    let mut probes: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(addr).ok())
        .collect();
    for p in &mut probes {
        let _ = p.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let answer = raw(
        addr,
        &format!(
            "GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {USER_TOKEN}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "a legitimate request failed while probes waited on the store: {answer:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    drop(hung);
}
