//! The tests' configuration builder (test-support) against the runtime's own reader: every key
//! the builder writes is one the runtime knows (it refuses unknown keys), in the unit it means.

use std::path::Path;
use std::time::Duration;

use optimize_telemetry::Config;
use optimize_telemetry::config::{EsAuth, StoreKind};
use test_support::ConfigBuilder;
use test_support::config::NOTHING_LISTENS;

#[test]
fn every_key_the_builder_writes_is_read_by_the_runtime_as_meant() {
    let sha = optimize_telemetry::control::auth::digest_hex("a-token-0123456789");
    let text = ConfigBuilder::new()
        .initialize_telemetry(true)
        .endpoint("https://127.0.0.1:8443/pings")
        .reporting_interval(Duration::from_secs(12))
        .initial_delay(Duration::from_secs(2))
        .max_attempts_per_period(3)
        .retry(Duration::from_secs(5), Duration::from_secs(7))
        .send_lease(Duration::from_secs(8))
        .state_poll(Duration::from_millis(1500))
        .ca_file(Path::new("/etc/test/ca.pem"))
        .proxy("http://127.0.0.1:3128")
        .send_timeout(Duration::from_secs(3))
        .source_timeout(Duration::from_secs(1))
        .optimize("3.2.0", "enterprise")
        .elasticsearch("http://127.0.0.1:9201")
        .elasticsearch_username("optimize")
        .license_file(Path::new("/etc/test/license.txt"))
        .state_dir(Path::new("/var/lib/test-state"))
        .cluster_store()
        .engine("first", "http://127.0.0.1:8080/engine-rest")
        .engine("second", &format!("{NOTHING_LISTENS}/engine-rest"))
        .control_enabled(false)
        .control_address("127.0.0.1:8123")
        .super_users(&["demo"])
        .token("demo", &sha, None)
        .token("old", &sha, Some("2020-01-01T00:00:00Z"))
        .metrics_public(true)
        .to_toml();
    let env = |k: &str| (k == "OPTIMIZE_TELEMETRY_ES_PASSWORD").then(|| "pw".to_owned());
    let c = Config::parse("built.toml", &text, &env).unwrap_or_else(|e| panic!("{e}\n{text}"));

    assert!(c.initialize_telemetry);
    assert_eq!(
        c.endpoint.as_ref().map(|u| u.as_str()),
        Some("https://127.0.0.1:8443/pings")
    );
    assert!(
        (c.interval.as_secs_f64() - 12.0).abs() < 1e-6,
        "{:?}",
        c.interval
    );
    assert_eq!(c.initial_delay, Duration::from_secs(2));
    assert_eq!(c.retry.max_attempts, 3);
    assert_eq!(c.retry.base, Duration::from_secs(5));
    assert_eq!(c.retry.cap, Duration::from_secs(7));
    assert_eq!(c.send_lease, Duration::from_secs(8));
    assert_eq!(c.state_poll, Duration::from_millis(1500));
    assert_eq!(
        c.http.ca_file.as_deref(),
        Some(Path::new("/etc/test/ca.pem"))
    );
    assert_eq!(
        c.http.proxy.as_ref().map(|u| u.as_str()),
        Some("http://127.0.0.1:3128/")
    );
    assert_eq!(c.http.timeout, Duration::from_secs(3));
    assert_eq!(c.http.source_timeout, Duration::from_secs(1));
    assert_eq!(c.optimize.version.as_deref(), Some("3.2.0"));
    assert_eq!(c.optimize.edition.as_deref(), Some("enterprise"));
    assert_eq!(c.elasticsearch.url.as_str(), "http://127.0.0.1:9201/");
    assert_eq!(
        c.elasticsearch.auth,
        Some(EsAuth::Basic {
            username: "optimize".to_owned(),
            password: "pw".to_owned()
        })
    );
    assert_eq!(
        c.license_file.as_deref(),
        Some(Path::new("/etc/test/license.txt"))
    );
    assert_eq!(c.state.dir, Path::new("/var/lib/test-state"));
    assert_eq!(c.state.kind, StoreKind::Elasticsearch);
    let engines: Vec<(&str, &str)> = c
        .engines
        .iter()
        .map(|e| (e.name.as_str(), e.rest.as_str()))
        .collect();
    assert_eq!(
        engines,
        [
            ("first", "http://127.0.0.1:8080/engine-rest"),
            ("second", "http://127.0.0.1:9/engine-rest")
        ]
    );
    assert!(!c.control.enabled);
    assert_eq!(c.control.address.to_string(), "127.0.0.1:8123");
    assert_eq!(c.control.super_user_ids, ["demo"]);
    let tokens: Vec<(&str, bool)> = c
        .control
        .tokens
        .iter()
        .map(|t| (t.user_id.as_str(), t.expires.is_some()))
        .collect();
    assert_eq!(tokens, [("demo", false), ("old", true)]);
    assert!(c.control.metrics_public);
}

#[test]
fn nothing_set_is_the_runtimes_defaults() {
    let built = Config::parse("built.toml", &ConfigBuilder::new().to_toml(), &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    let empty = Config::parse("empty.toml", "", &|_| None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(format!("{built:?}"), format!("{empty:?}"));
}
