//! The pre-send check validates values, not just keys, and agrees with the published schema:
//! every report it accepts validates against `docs/disclosure/payload.schema.json`, hostile
//! reports are refused by both, and a refused report never leaves the machine, is logged once
//! with the item and rule (never the value) and is recorded in the audit ledger.

use std::time::Duration;

use serde_json::{Value, json};
use test_support::ConfigBuilder;

use crate::runtime::{config, receiver};
use crate::support::fakes::FakeServer;
use crate::support::receiver::Behaviour;
use crate::support::{TempDir, wait_until};
use crate::{real_spec, repo_root};

fn published_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo_root().join("docs/disclosure/payload.schema.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"))
}

fn example() -> Value {
    telemetry_spec::example_payload(&real_spec())
}

fn set(payload: &mut Value, path: &str, value: Value) {
    let mut node = payload;
    let keys: Vec<&str> = path.split('.').collect();
    for key in &keys[..keys.len() - 1] {
        node = &mut node[*key];
    }
    node[keys[keys.len() - 1]] = value;
}

fn remove(payload: &mut Value, path: &str) {
    let keys: Vec<&str> = path.split('.').collect();
    let mut node = payload;
    for key in &keys[..keys.len() - 1] {
        node = &mut node[*key];
    }
    if let Some(map) = node.as_object_mut() {
        map.remove(keys[keys.len() - 1]);
    }
}

#[test]
fn hostile_reports_are_refused_by_the_check_and_the_schema() {
    let schema = published_schema();
    let base = example();
    assert!(optimize_telemetry::disclosed::check(&base).is_ok());
    assert!(schema.is_valid(&base));
    let ids: Vec<Value> = (0..1001)
        .map(|_| json!("8343cc7a-8ad1-42d4-97d2-43452c0bdfa3"))
        .collect();
    let hostile: Vec<(&str, Option<Value>)> = vec![
        (
            "product.version",
            Some(json!(format!("3.2.0-{}", "9".repeat(1_000_000)))),
        ),
        (
            "product.internals.engine-installation-ids",
            Some(json!(["not-a-uuid"])),
        ),
        (
            "product.internals.engine-installation-ids",
            Some(Value::Array(ids)),
        ),
        ("product.internals.license-key.unlimited", Some(json!(true))),
        (
            "product.internals.license-key.features.zeebe",
            Some(json!("true")),
        ),
        (
            "product.internals.license-key.raw",
            Some(json!("r".repeat(5000))),
        ),
        ("product.internals.database.version", Some(json!(7))),
        ("product.name", Some(json!(""))),
        ("installation", Some(json!(null))),
        ("hostname", Some(json!("db01"))),
        ("product.edition", None),
    ];
    for (path, value) in hostile {
        let mut report = base.clone();
        match value {
            Some(v) => set(&mut report, path, v),
            None => remove(&mut report, path),
        }
        assert!(
            optimize_telemetry::disclosed::check(&report).is_err(),
            "the check let {path} through"
        );
        assert!(!schema.is_valid(&report), "the schema let {path} through");
    }
}

#[test]
fn every_report_the_check_accepts_validates_against_the_schema() {
    let schema = published_schema();
    let base = example();
    let paths: Vec<String> = real_spec().items.iter().map(|i| i.path_string()).collect();
    let values = [
        json!("Unknown"),
        json!(""),
        json!("3.2.0"),
        json!("7b86edba-fcb7-11ea-adc1-0242ac120002"),
        json!("2025-01-01"),
        json!("true"),
        json!(true),
        json!(12),
        json!(null),
        json!(["Unknown"]),
        json!(["8343cc7a-8ad1-42d4-97d2-43452c0bdfa3"]),
        json!({"camundaBPM": "true", "optimize": "false", "cawemo": "Unknown"}),
        json!("x".repeat(1025)),
        json!("1.0.0-rc.1+build.5"),
    ];
    let mut rng = fastrand::Rng::with_seed(12);
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..4000 {
        let mut report = base.clone();
        for _ in 0..rng.usize(1..=3) {
            let path = &paths[rng.usize(..paths.len())];
            match rng.u8(..10) {
                0 => remove(&mut report, path),
                1 => set(&mut report, &format!("{path}-extra"), json!("x")),
                _ => set(&mut report, path, values[rng.usize(..values.len())].clone()),
            }
        }
        if optimize_telemetry::disclosed::check(&report).is_ok() {
            accepted += 1;
            assert!(
                schema.is_valid(&report),
                "accepted by the check, refused by the schema: {report}"
            );
        } else {
            refused += 1;
        }
    }
    // Both outcomes must occur, or the test proves nothing.
    assert!(
        accepted > 200 && refused > 200,
        "{accepted} accepted, {refused} refused"
    );
}

#[test]
fn a_refused_report_never_leaves_and_is_logged_and_recorded_without_its_value() {
    for case in ["long-version", "bad-engine-id"] {
        let dir = TempDir::new("refused");
        let (rx, ca) = receiver(&dir, Behaviour::Status(202));
        let engine = FakeServer::camunda7(
            if case == "bad-engine-id" {
                "not-a-uuid-4242"
            } else {
                "8343cc7a-8ad1-42d4-97d2-43452c0bdfa3"
            },
            Duration::ZERO,
        );
        let version = if case == "long-version" {
            format!("3.2.0-{}", "7".repeat(100_000))
        } else {
            "3.2.0".to_owned()
        };
        // Everything but the state directory, shared by the runtime here and the process below.
        let base = ConfigBuilder::new()
            .initialize_telemetry(true)
            .endpoint(&rx.url())
            .initial_delay(Duration::ZERO)
            .optimize(&version, "enterprise")
            .no_database()
            .ca_file(&ca)
            .source_timeout(Duration::from_secs(2))
            .engine("e", &format!("{}/engine-rest", engine.url()));
        let cfg = config(&base.clone().state_dir(&dir.join("state")));
        let handle = optimize_telemetry::runtime::start(cfg).unwrap_or_else(|e| panic!("{e}"));
        let ledger = dir.join("state/audit.jsonl");
        assert!(
            wait_until(Duration::from_secs(20), || std::fs::read_to_string(&ledger)
                .is_ok_and(|t| t.contains("refused before sending"))),
            "{case}: the refusal was not recorded"
        );
        std::thread::sleep(Duration::from_millis(300));
        let refused = handle
            .metrics()
            .refused
            .load(std::sync::atomic::Ordering::Relaxed);
        handle.stop();
        assert_eq!(
            refused, 1,
            "{case}: counted as refused (the metrics' outcome=\"refused\")"
        );
        assert_eq!(
            rx.connections(),
            0,
            "{case}: nothing may reach the endpoint"
        );
        let all = std::fs::read_to_string(&ledger).unwrap_or_default();
        // The first entry is the approval `initializeTelemetry` seeded, by `configuration`.
        let (approval, text) = all.split_once('\n').unwrap_or_default();
        let approval: Value = serde_json::from_str(approval).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            approval["consent"]["event"], "approval",
            "{case}: {approval}"
        );
        assert_eq!(approval["consent"]["by"], "configuration", "{case}");
        let entry: Value = serde_json::from_str(text.lines().next().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
        let (item, rule) = match case {
            "long-version" => ("product_version", "longer than 1024 bytes"),
            _ => ("engine_installation_ids", "is not a UUID"),
        };
        let error = entry["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(item) && error.contains(rule),
            "{case}: {error}"
        );
        assert_eq!(entry["payload"], Value::Null, "{case}: no payload is kept");
        assert!(
            !text.contains("7777") && !text.contains("not-a-uuid-4242"),
            "{case}: the value leaked"
        );
        assert_eq!(text.lines().count(), 1, "{case}: one refusal per period");
        // The log, from a real `run` process on the same configuration and a fresh state: one
        // line naming the item and rule, never the value.
        let process_dir = TempDir::new("refused-log");
        let file = base
            .state_dir(&process_dir.join("state"))
            .write(&process_dir.join("c.toml"));
        let mut daemon = crate::daemon::Proc {
            child: crate::daemon::bin(&file)
                .args(["--log-format", "json", "run"])
                .env("OPTIMIZE_TELEMETRY_CONTROL_ADDRESS", "127.0.0.1:0")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}")),
        };
        let process_ledger = process_dir.join("state/audit.jsonl");
        assert!(
            wait_until(Duration::from_secs(20), || std::fs::read_to_string(
                &process_ledger
            )
            .is_ok_and(|t| t.contains("refused before sending"))),
            "{case}: the process did not refuse"
        );
        let _ = daemon.child.kill();
        let _ = daemon.child.wait();
        let mut log = String::new();
        if let Some(mut e) = daemon.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut log);
        }
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("refusing to send a report"))
            .collect();
        assert_eq!(lines.len(), 1, "{case}: {log}");
        assert!(
            lines[0].contains(item) && lines[0].contains(rule),
            "{case}: {}",
            lines[0]
        );
        assert!(
            !log.contains("7777") && !log.contains("not-a-uuid-4242"),
            "{case}: the value reached the log"
        );
    }
}
