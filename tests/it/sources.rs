//! The real sources against loopback fakes of Elasticsearch, OpenSearch and Camunda 7, and real
//! license files: each failure costs only its own items.

use std::sync::Arc;
use std::time::Duration;

use optimize_telemetry::clock::SystemClock;
use optimize_telemetry::generated::UNKNOWN;
use optimize_telemetry::runtime::{self, Parts};
use test_support::ConfigBuilder;
use test_support::config::NOTHING_LISTENS;

use crate::runtime::config;
use crate::support::TempDir;
use crate::support::fakes::FakeServer;

fn preview(b: &ConfigBuilder) -> (serde_json::Value, Vec<(&'static str, String)>) {
    let parts = Parts::new(config(b), Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(runtime::preview(&parts))
}

#[test]
fn opensearch_is_told_apart_from_elasticsearch() {
    let dir = TempDir::new("opensearch");
    let os = FakeServer::opensearch("2.11.1");
    let (p, failures) = preview(
        &ConfigBuilder::new()
            .elasticsearch(&os.url())
            .state_dir(&dir.join("s")),
    );
    assert_eq!(
        p["product"]["internals"]["database"]["vendor"],
        "opensearch"
    );
    assert_eq!(p["product"]["internals"]["database"]["version"], "2.11.1");
    assert!(failures.iter().all(|(s, _)| *s != "database"));
    let es = FakeServer::elasticsearch("8.13.4");
    let (p, _) = preview(
        &ConfigBuilder::new()
            .elasticsearch(&es.url())
            .state_dir(&dir.join("s")),
    );
    assert_eq!(
        p["product"]["internals"]["database"]["vendor"],
        "elasticsearch"
    );
    assert_eq!(p["product"]["internals"]["database"]["version"], "8.13.4");
}

#[test]
fn a_database_that_is_down_costs_only_the_database_items() {
    let dir = TempDir::new("db-down");
    let (p, failures) = preview(
        &ConfigBuilder::new()
            .optimize("3.2.0", "enterprise")
            .no_database()
            .state_dir(&dir.join("s")),
    );
    assert_eq!(p["product"]["internals"]["database"]["vendor"], UNKNOWN);
    assert_eq!(p["product"]["internals"]["database"]["version"], UNKNOWN);
    assert_eq!(p["product"]["version"], "3.2.0");
    assert!(uuid_like(&p["installation"]));
    let named: Vec<&str> = failures.iter().map(|(s, _)| *s).collect();
    assert!(named.contains(&"database"), "{failures:?}");
    assert!(
        failures
            .iter()
            .any(|(s, why)| *s == "database" && why.contains("cannot connect")),
        "{failures:?}"
    );
}

fn uuid_like(v: &serde_json::Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 36 && s.matches('-').count() == 4)
}

#[test]
fn engines_are_asked_concurrently_and_a_hung_one_costs_only_its_entry() {
    let dir = TempDir::new("engines");
    let fast = FakeServer::camunda7("8343cc7a-8ad1-42d4-97d2-43452c0bdfa3", Duration::ZERO);
    let slow1 = FakeServer::camunda7(
        "aaaaaaaa-8ad1-42d4-97d2-43452c0bdfa3",
        Duration::from_secs(60),
    );
    let slow2 = FakeServer::camunda7(
        "bbbbbbbb-8ad1-42d4-97d2-43452c0bdfa3",
        Duration::from_secs(60),
    );
    let started = std::time::Instant::now();
    let (p, failures) = preview(
        &ConfigBuilder::new()
            .source_timeout(Duration::from_secs(1))
            .no_database()
            .engine("slow-1", &format!("{}/engine-rest", slow1.url()))
            .engine("fast", &format!("{}/engine-rest", fast.url()))
            .engine("slow-2", &format!("{}/engine-rest", slow2.url()))
            .engine("gone", &format!("{NOTHING_LISTENS}/engine-rest"))
            .state_dir(&dir.join("s")),
    );
    let took = started.elapsed();
    assert_eq!(
        p["product"]["internals"]["engine-installation-ids"],
        serde_json::json!([
            UNKNOWN,
            "8343cc7a-8ad1-42d4-97d2-43452c0bdfa3",
            UNKNOWN,
            UNKNOWN
        ])
    );
    assert!(
        took < Duration::from_millis(1900),
        "two 1 s timeouts ran one after the other: {took:?}"
    );
    assert_eq!(
        failures.iter().filter(|(s, _)| *s == "engines").count(),
        3,
        "{failures:?}"
    );
}

#[test]
fn license_files_good_missing_and_malformed() {
    let dir = TempDir::new("license");
    let good = dir.join("good.txt");
    std::fs::write(
        &good,
        "SIG;customer = ACME; expiryDate = 2030-06-30; camundaBPM = true; optimize = true;\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, "this is not a license key").unwrap_or_else(|e| panic!("{e}"));
    let run = |file: &std::path::Path| {
        preview(
            &ConfigBuilder::new()
                .license_file(file)
                .no_database()
                .state_dir(&dir.join("s")),
        )
    };
    let (p, _) = run(&good);
    let key = &p["product"]["internals"]["license-key"];
    assert_eq!(key["customer"], "ACME");
    assert_eq!(key["valid-until"], "2030-06-30");
    assert_eq!(
        key["features"],
        serde_json::json!({"camundaBPM": "true", "optimize": "true", "cawemo": "false"})
    );
    assert!(
        !p.to_string().contains("SIG;"),
        "the signature never appears"
    );
    for file in [bad.clone(), dir.join("missing.txt")] {
        let (p, failures) = run(&file);
        let key = &p["product"]["internals"]["license-key"];
        assert_eq!(key["customer"], UNKNOWN);
        assert_eq!(key["features"]["optimize"], UNKNOWN);
        assert_eq!(key["raw"], UNKNOWN);
        assert!(
            failures.iter().any(|(s, _)| *s == "license"),
            "{failures:?}"
        );
    }
}
