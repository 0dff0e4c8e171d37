//! The `optimize-telemetry` binary as a real process: configuration errors, `preview` (which
//! never touches the endpoint), and `run` stopped by SIGTERM.

use std::process::{Command, Stdio};
use std::time::Duration;

use test_support::ConfigBuilder;

use crate::runtime::receiver;
use crate::support::receiver::Behaviour;
use crate::support::{TempDir, wait_until};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_optimize-telemetry"));
    c.env_remove("OPTIMIZE_TELEMETRY_CONFIG")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy");
    c
}

#[test]
fn a_bad_configuration_is_refused_with_its_file_and_line() {
    let dir = TempDir::new("bad-config");
    let file = dir.join("c.toml");
    std::fs::write(&file, "[telemetry]\ninitializeTelemetry = true\ntelemetryEndpoint = \"http://telemetry.example\"\n").unwrap_or_else(|e| panic!("{e}"));
    let out = bin()
        .arg("--config")
        .arg(&file)
        .arg("run")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:3:21: error: `telemetry.telemetryEndpoint` must be an https:// URL",
            file.display()
        )),
        "{err}"
    );
    let out = bin()
        .args(["--config", "/nonexistent/c.toml", "preview"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot read config `/nonexistent/c.toml`")
    );
}

#[test]
fn preview_prints_the_report_and_never_connects_to_the_endpoint() {
    let dir = TempDir::new("preview");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let file = ConfigBuilder::new()
        .initialize_telemetry(true)
        .endpoint(&rx.url())
        .ca_file(&ca)
        .no_database()
        .state_dir(&dir.join("state"))
        .write(&dir.join("c.toml"));
    let out = bin()
        .arg("--config")
        .arg(&file)
        .arg("preview")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let payload: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert!(optimize_telemetry::disclosed::check(&payload).is_ok());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("note: source `database` unavailable"), "{err}");
    assert!(err.contains("note: source `license` unavailable"), "{err}");
    assert!(
        err.contains("telemetry is enabled: a report like this goes to"),
        "{err}"
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        rx.connections(),
        0,
        "preview must never connect to the endpoint"
    );
}

#[test]
fn preview_works_on_a_fresh_machine_with_no_configuration() {
    let dir = TempDir::new("fresh");
    let out = bin()
        .arg("preview")
        .current_dir(dir.path())
        .env("OPTIMIZE_TELEMETRY_ELASTICSEARCH_URL", "http://127.0.0.1:9")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let payload: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(payload["product"]["name"], "Camunda Optimize");
    assert!(String::from_utf8_lossy(&out.stderr).contains("telemetry is disabled"));
    assert!(
        dir.join("optimize-telemetry-state/installation.json")
            .exists()
    );
}

#[test]
fn run_stops_on_sigterm_within_a_second_even_with_a_hung_endpoint() {
    let dir = TempDir::new("sigterm");
    let (rx, ca) = receiver(&dir, Behaviour::Hang);
    let file = ConfigBuilder::new()
        .initialize_telemetry(true)
        .initial_delay(Duration::ZERO)
        .endpoint(&rx.url())
        .ca_file(&ca)
        .no_database()
        .state_dir(&dir.join("state"))
        .write(&dir.join("c.toml"));
    let mut child = bin()
        .arg("--config")
        .arg(&file)
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 1),
        "the report did not arrive"
    );
    let pid = child.id().to_string();
    let started = std::time::Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(kill.success());
    let mut status = None;
    while started.elapsed() < Duration::from_secs(5) {
        if let Ok(Some(s)) = child.try_wait() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = started.elapsed();
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("run did not exit after SIGTERM");
    };
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(1), "exit took {took:?}");
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    assert!(
        err.contains("stopping; nothing more is collected or sent"),
        "{err}"
    );
    assert!(wait_until(Duration::from_secs(5), || rx.open_connections() == 0));
}

#[test]
fn the_shipped_example_configuration_is_valid_and_shows_the_defaults() {
    let path = crate::repo_root().join("optimize-telemetry.example.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let parsed = optimize_telemetry::Config::parse("example.toml", &text, &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    let defaults = optimize_telemetry::Config::parse("empty.toml", "", &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        format!("{parsed:?}"),
        format!("{defaults:?}"),
        "the example's values must be the defaults"
    );
}
