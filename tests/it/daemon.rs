//! `optimize-telemetry run`, `status`, `enable`, `disable` and `audit` as real processes: the CLI
//! talks to the daemon with a token from the environment or a file, `status` also works without
//! a daemon, and no token ever reaches the log.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use test_support::ConfigBuilder;

use crate::control::{SUPER_TOKEN, USER_TOKEN, with_control};
use crate::runtime::receiver;
use crate::support::receiver::{Behaviour, Receiver};
use crate::support::{TempDir, wait_until};

pub fn bin(config: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_optimize-telemetry"));
    c.arg("--config").arg(config);
    for var in [
        "OPTIMIZE_TELEMETRY_TOKEN",
        "OPTIMIZE_TELEMETRY_TOKEN_FILE",
        "OPTIMIZE_TELEMETRY_DISABLED",
        "DO_NOT_TRACK",
        "HTTPS_PROXY",
    ] {
        c.env_remove(var);
    }
    c
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

pub struct Proc {
    pub child: Child,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn setup(dir: &TempDir, rx: &Receiver, ca: &std::path::Path, port: u16) -> std::path::PathBuf {
    with_control(
        ConfigBuilder::new()
            .initial_delay(Duration::ZERO)
            .endpoint(&rx.url())
            .ca_file(ca)
            .no_database()
            .state_dir(&dir.join("state")),
        &format!("127.0.0.1:{port}"),
    )
    .write(&dir.join("c.toml"))
}

pub fn out(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_cli_switches_through_the_daemon_and_tokens_never_reach_the_log() {
    let dir = TempDir::new("daemon-cli");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let port = free_port();
    let cfg = setup(&dir, &rx, &ca, port);

    // No daemon yet: status reads the store; enable says the daemon is not there.
    let o = bin(&cfg)
        .arg("status")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("telemetry:  disabled (never changed"),
        "{}",
        out(&o)
    );
    assert!(
        out(&o).contains("(read from the state directory"),
        "{}",
        out(&o)
    );
    let o = bin(&cfg)
        .arg("enable")
        .env("OPTIMIZE_TELEMETRY_TOKEN", SUPER_TOKEN)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("the daemon is not reachable"),
        "{}",
        out(&o)
    );
    let o = bin(&cfg)
        .arg("enable")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("no token"), "{}", out(&o));

    let daemon = Proc {
        child: bin(&cfg)
            .args(["--log-level", "debug", "run"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}")),
    };
    let up = wait_until(Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(up, "the control API did not come up");

    let token_file = dir.join("kermit.token");
    std::fs::write(&token_file, format!("{USER_TOKEN}\n")).unwrap_or_else(|e| panic!("{e}"));
    let o = bin(&cfg)
        .arg("enable")
        .arg("--token-file")
        .arg(&token_file)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o)
            .contains("refused (HTTP 403): user [kermit] is not authorized to configure settings"),
        "{}",
        out(&o)
    );

    let o = bin(&cfg)
        .arg("enable")
        .env("OPTIMIZE_TELEMETRY_TOKEN", SUPER_TOKEN)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("telemetry is now enabled (changed by demo at "),
        "{}",
        out(&o)
    );
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 1),
        "the report did not arrive"
    );

    let status = |token: Option<&str>| {
        let mut c = bin(&cfg);
        c.arg("status");
        if let Some(t) = token {
            c.env("OPTIMIZE_TELEMETRY_TOKEN", t);
        }
        out(&c.output().unwrap_or_else(|e| panic!("{e}")))
    };
    assert!(
        wait_until(Duration::from_secs(10), || status(Some(USER_TOKEN))
            .contains("succeeded (HTTP 202)")),
        "{}",
        status(Some(USER_TOKEN))
    );
    let s = status(Some(USER_TOKEN));
    assert!(s.contains("telemetry:  enabled (set by demo at "), "{s}");
    assert!(s.contains(&format!("endpoint:   {}", rx.url())), "{s}");
    assert!(s.contains("next send:  20"), "{s}");
    assert!(
        s.contains(&format!(
            "(read from the running daemon at 127.0.0.1:{port})"
        )),
        "{s}"
    );

    let o = bin(&cfg)
        .arg("disable")
        .env("OPTIMIZE_TELEMETRY_TOKEN", SUPER_TOKEN)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        status(None).contains("telemetry:  disabled (set by demo at "),
        "{}",
        status(None)
    );

    // The ledger recorded the one attempt, and verifies.
    let o = bin(&cfg)
        .arg("audit")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out(&o).contains("    1  20") && out(&o).contains("sent    HTTP 202"),
        "{}",
        out(&o)
    );
    let o = bin(&cfg)
        .args(["audit", "--verify"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));

    let mut daemon = daemon;
    let _ = Command::new("kill")
        .args(["-TERM", &daemon.child.id().to_string()])
        .status();
    let _ = daemon.child.wait();
    let mut log = String::new();
    if let Some(mut e) = daemon.child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut log);
    }
    assert!(
        log.contains("control API") && log.contains("user=\"demo\""),
        "the log names users: {log}"
    );
    for secret in [SUPER_TOKEN, USER_TOKEN] {
        assert!(!log.contains(secret), "a token reached the log");
        assert!(
            !log.contains(&optimize_telemetry::control::auth::digest_hex(secret)),
            "a token digest reached the log"
        );
    }
}

#[test]
fn audit_verify_names_a_tampered_entry() {
    let dir = TempDir::new("daemon-audit");
    let ledger = optimize_telemetry::audit::Ledger::new(&dir.join("state"));
    for i in 0..3u64 {
        let _ = ledger.append(
            optimize_telemetry::clock::Timestamp(i),
            "https://t.example/pings",
            true,
            Some(202),
            None,
            b"{\"a\":1}",
        );
    }
    let cfg = ConfigBuilder::new()
        .state_dir(&dir.join("state"))
        .write(&dir.join("c.toml"));
    let o = bin(&cfg)
        .args(["audit", "--verify"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let file = dir.join("state/audit.jsonl");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_default()
        .replacen("\"a\":1", "\"a\":2", 2);
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let o = bin(&cfg)
        .args(["audit", "--verify"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("audit ledger broken at entry 1"),
        "{}",
        out(&o)
    );
}

#[test]
fn hash_token_prints_the_digest_to_configure() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_optimize-telemetry"))
        .arg("hash-token")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = std::io::Write::write_all(&mut stdin, b"test\n");
    }
    let o = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    );
}
