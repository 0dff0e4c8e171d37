//! The runtime end to end, with real HTTPS on loopback: what is sent equals what `preview`
//! shows, nothing happens while disabled, stop is immediate even with a hung endpoint, and the
//! real collectors reproduce the documented example.

use std::sync::Arc;
use std::time::Duration;

use optimize_telemetry::Config;
use optimize_telemetry::clock::SystemClock;
use optimize_telemetry::runtime::{self, Parts};

use test_support::ConfigBuilder;

use crate::snapshot;
use crate::support::fakes::FakeServer;
use crate::support::receiver::{Behaviour, Receiver};
use crate::support::tls::TestCa;
use crate::support::{TempDir, wait_until};

/// A receiver with a certificate for 127.0.0.1 from a fresh CA, and that CA's PEM file.
pub fn receiver(dir: &TempDir, behaviour: Behaviour) -> (Receiver, std::path::PathBuf) {
    let ca = TestCa::new("optimize-telemetry test CA");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap_or_else(|e| panic!("{e}"));
    (
        Receiver::start(ca.server(&["127.0.0.1", "localhost"]), behaviour),
        ca_file,
    )
}

/// The configuration `b` writes, as the runtime reads it (no environment).
pub fn config(b: &ConfigBuilder) -> Config {
    Config::parse("test.toml", &b.to_toml(), &|_| None).unwrap_or_else(|e| panic!("{e}"))
}

fn base_config(dir: &TempDir, endpoint: &str, ca: &std::path::Path, enabled: bool) -> Config {
    config(
        &ConfigBuilder::new()
            .initialize_telemetry(enabled)
            .endpoint(endpoint)
            .initial_delay(Duration::ZERO)
            .optimize("3.2.0", "enterprise")
            .no_database()
            .ca_file(ca)
            .source_timeout(Duration::from_secs(2))
            .state_dir(&dir.join("state")),
    )
}

#[test]
fn enabled_sends_exactly_one_report_equal_to_the_preview() {
    let dir = TempDir::new("one-report");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let cfg = base_config(&dir, &rx.url(), &ca, true);
    let handle = runtime::start(cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 1),
        "no report arrived"
    );
    // The next report is a day away: nothing else arrives.
    std::thread::sleep(Duration::from_millis(300));
    handle.stop();
    let requests = rx.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(rx.connections(), 1);
    let sent = &requests[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/pings");
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert!(
        sent.header("user-agent")
            .is_some_and(|ua| ua.starts_with("Camunda Optimize telemetry/1.0.0"))
    );

    let parts = Parts::new(cfg, Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let (preview, _) = rt.block_on(runtime::preview(&parts));
    assert_eq!(
        sent.json(),
        preview,
        "what is sent must be exactly what preview shows"
    );
}

#[test]
fn disabled_opens_no_connection_and_collects_nothing() {
    let dir = TempDir::new("disabled");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let es = FakeServer::elasticsearch("7.17.0");
    let mut cfg = base_config(&dir, &rx.url(), &ca, false);
    cfg.elasticsearch.url = es.url().parse().unwrap_or_else(|e| panic!("{e}"));
    let handle = runtime::start(cfg).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        handle.shared().parts.sources.calls(),
        0,
        "no collector may run while disabled"
    );
    handle.stop();
    assert_eq!(rx.connections(), 0);
    assert_eq!(es.hits(), 0);
}

#[test]
fn switching_on_at_runtime_sends_without_restart() {
    let dir = TempDir::new("switch-on");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let handle =
        runtime::start(base_config(&dir, &rx.url(), &ca, false)).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(rx.connections(), 0);
    let settings = handle
        .set_enabled(true, "demo")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(settings.metadata_telemetry_enabled);
    assert_eq!(settings.last_modifier.as_deref(), Some("demo"));
    assert!(wait_until(Duration::from_secs(20), || rx.requests().len() == 1));
    handle.stop();
}

#[test]
fn stop_returns_within_a_second_with_a_request_hanging() {
    let dir = TempDir::new("stop-hung");
    let (rx, ca) = receiver(&dir, Behaviour::Hang);
    let handle =
        runtime::start(base_config(&dir, &rx.url(), &ca, true)).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 1),
        "the request did not arrive"
    );
    let started = std::time::Instant::now();
    handle.stop();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "stop took {took:?}");
    // The dropped request's connection is closed, and nothing else arrives after stop.
    assert!(
        wait_until(Duration::from_secs(5), || rx.open_connections() == 0),
        "the connection stayed open"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(rx.connections(), 1);
}

#[test]
fn the_real_collectors_reproduce_the_documented_example() {
    let dir = TempDir::new("e2e-example");
    let es = FakeServer::elasticsearch("7.0.0");
    let e1 = FakeServer::camunda7("8343cc7a-8ad1-42d4-97d2-43452c0bdfa3", Duration::ZERO);
    let e2 = FakeServer::camunda7("22607b92-fcb8-11ea-adc1-0242ac120002", Duration::ZERO);
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap_or_else(|e| panic!("{e}"));
    let installation =
        r#"{"installationId": "7b86edba-fcb7-11ea-adc1-0242ac120002", "schemaVersion": 1}"#;
    std::fs::write(state.join("installation.json"), installation).unwrap_or_else(|e| panic!("{e}"));
    let license = dir.join("license.txt");
    std::fs::write(
        &license,
        "--------------- BEGIN CAMUNDA LICENSE KEY ---------------\n\
         MEUCIQDsignatureSIGNATUREsignature==;customer = a customer name; expiryDate = 2025-01-01; optimize: true;\n\
         --------------- END CAMUNDA LICENSE KEY ---------------\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cfg = config(
        &ConfigBuilder::new()
            .optimize("3.2.0", "enterprise")
            .elasticsearch(&es.url())
            .license_file(&license)
            .engine("first", &format!("{}/engine-rest", e1.url()))
            .engine("second", &format!("{}/engine-rest/", e2.url()))
            .state_dir(&state),
    );
    let parts = Parts::new(cfg, Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let (payload, failures) = rt.block_on(runtime::preview(&parts));
    assert!(failures.is_empty(), "{failures:?}");
    let mut text = serde_json::to_string_pretty(&payload).unwrap_or_else(|e| panic!("{e}"));
    text.push('\n');
    assert!(
        !text.contains("signature"),
        "the license signature must never be collected"
    );
    // The same snapshot the compiler locks: collectors and documentation agree.
    snapshot!("example_payload", text);
}
