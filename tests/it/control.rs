//! The control API over real loopback HTTP: every refusal with its status, message and an
//! unchanged store; enabling through the API makes the next report go out without a restart;
//! the kill switch beats a stored `true`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use optimize_telemetry::control::{Control, serve};
use optimize_telemetry::runtime::{self, Handle};
use test_support::ConfigBuilder;

use crate::runtime::{config, receiver};
use crate::support::block_on;
use crate::support::receiver::{Behaviour, Receiver};
use crate::support::{TempDir, wait_until};

pub const SUPER_TOKEN: &str = "demo-token-0123456789";
pub const USER_TOKEN: &str = "kermit-token-0123456789";
const EXPIRED_TOKEN: &str = "old-token-0123456789";

fn sha(token: &str) -> String {
    optimize_telemetry::control::auth::digest_hex(token)
}

/// `b` with the control API on `address`, a superuser `demo`, a user `kermit` and an expired
/// token.
pub fn with_control(b: ConfigBuilder, address: &str) -> ConfigBuilder {
    b.control_address(address)
        .super_users(&["demo"])
        .token("demo", &sha(SUPER_TOKEN), None)
        .token("kermit", &sha(USER_TOKEN), None)
        .token("old", &sha(EXPIRED_TOKEN), Some("2020-01-01T00:00:00Z"))
}

/// A runtime with its control API on an ephemeral loopback port and a receiver for reports.
pub struct Daemon {
    pub dir: TempDir,
    pub handle: Handle,
    pub addr: SocketAddr,
    pub rx: Receiver,
}

impl Daemon {
    pub fn start(enabled: bool, kill_switch: Option<&str>) -> Daemon {
        Daemon::start_after(enabled, kill_switch, &|_| {})
    }

    /// Like [`Daemon::start`], with `prepare` run on the configuration before the runtime starts
    /// (to store what an older version left behind).
    pub fn start_after(
        enabled: bool,
        kill_switch: Option<&str>,
        prepare: &dyn Fn(&optimize_telemetry::Config),
    ) -> Daemon {
        let dir = TempDir::new("daemon");
        let (rx, ca) = receiver(&dir, Behaviour::Status(202));
        let mut cfg = config(&with_control(
            ConfigBuilder::new()
                .initialize_telemetry(enabled)
                .initial_delay(Duration::ZERO)
                .endpoint(&rx.url())
                .ca_file(&ca)
                .no_database()
                .state_dir(&dir.join("state")),
            "127.0.0.1:0",
        ));
        cfg.kill_switch = kill_switch.map(str::to_owned);
        prepare(&cfg);
        let handle = runtime::start(cfg).unwrap_or_else(|e| panic!("{e}"));
        let addr = serve_control(&handle);
        Daemon {
            dir,
            handle,
            addr,
            rx,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn settings_file(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("state/settings.json")).ok()
    }
}

/// Serves `handle`'s control API on an ephemeral loopback port, on the runtime's own thread.
pub fn serve_control(handle: &Handle) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    listener
        .set_nonblocking(true)
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let control = Arc::new(Control::new(Arc::clone(handle.shared())));
    handle.runtime().spawn(async move {
        if let Ok(l) = tokio::net::TcpListener::from_std(listener) {
            serve(l, control).await;
        }
    });
    addr
}

/// A plain HTTP client for the tests (no proxy, short timeout).
pub fn client() -> reqwest::Client {
    optimize_telemetry::http::local_client(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Sends a request; returns the status and the body as JSON (or Null).
pub fn call(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> (u16, serde_json::Value) {
    block_on(async {
        let mut req = client().request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET),
            url,
        );
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let r = req.send().await.unwrap_or_else(|e| panic!("{e}"));
        let status = r.status().as_u16();
        let bytes = r.bytes().await.unwrap_or_default();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    })
}

/// A GET sent byte for byte over TCP: unlike an HTTP client library, it does not normalise
/// `..` or `%2e%2e` away, so the server really sees the traversal attempt. Returns the status.
fn raw_get(addr: SocketAddr, path: &str, token: &str) -> u16 {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut answer = String::new();
    let _ = tcp.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[test]
fn every_refused_change_has_its_status_and_message_and_leaves_the_store_alone() {
    let d = Daemon::start(false, None);
    // Make sure the settings file exists before comparing it.
    let (s, _) = call(
        "GET",
        &d.url("/api/settings"),
        &[("authorization", &bearer(USER_TOKEN))],
        None,
    );
    assert_eq!(s, 200);
    let before = d.settings_file();
    assert!(before.is_some());
    let json_ct = ("content-type", "application/json");
    let su = bearer(SUPER_TOKEN);
    let user = bearer(USER_TOKEN);
    let expired = bearer(EXPIRED_TOKEN);
    let on = br#"{"metadataTelemetryEnabled": true}"#.to_vec();
    // (what, headers, body, status, message)
    type Case<'a> = (
        &'a str,
        Vec<(&'a str, &'a str)>,
        Option<Vec<u8>>,
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "no token",
            vec![json_ct],
            Some(on.clone()),
            401,
            "sign in first",
        ),
        (
            "wrong token",
            vec![("authorization", "Bearer not-a-token"), json_ct],
            Some(on.clone()),
            401,
            "the token is not valid",
        ),
        (
            "expired token",
            vec![("authorization", expired.as_str()), json_ct],
            Some(on.clone()),
            401,
            "the token has expired",
        ),
        (
            "basic auth",
            vec![("authorization", "Basic ZGVtbzpkZW1v"), json_ct],
            Some(on.clone()),
            401,
            "is not `Bearer <token>`",
        ),
        (
            "not a superuser",
            vec![("authorization", user.as_str()), json_ct],
            Some(on.clone()),
            403,
            "user [kermit] is not authorized to configure settings",
        ),
        (
            "wrong content type",
            vec![
                ("authorization", su.as_str()),
                ("content-type", "text/plain"),
            ],
            Some(on.clone()),
            415,
            "Content-Type: application/json",
        ),
        (
            "no content type",
            vec![("authorization", su.as_str())],
            Some(on.clone()),
            415,
            "Content-Type: application/json",
        ),
        (
            "malformed JSON",
            vec![("authorization", su.as_str()), json_ct],
            Some(b"{\"metadataTelemetryEnabled\": tru".to_vec()),
            400,
            "expected {\"metadataTelemetryEnabled\": true|false}",
        ),
        (
            "wrong type",
            vec![("authorization", su.as_str()), json_ct],
            Some(br#"{"metadataTelemetryEnabled": "yes"}"#.to_vec()),
            400,
            "invalid type",
        ),
        (
            "unknown field",
            vec![("authorization", su.as_str()), json_ct],
            Some(br#"{"metadataTelemetryEnabled": true, "endpoint": "x"}"#.to_vec()),
            400,
            "unknown field",
        ),
        (
            "invalid UTF-8",
            vec![("authorization", su.as_str()), json_ct],
            Some(b"{\"metadataTelemetryEnabled\": \xff}".to_vec()),
            400,
            "expected",
        ),
        (
            "oversized body",
            vec![("authorization", su.as_str()), json_ct],
            // Just over the limit: a body far larger races the 413 against the server closing
            // the connection while the client still writes, which says nothing about the server.
            Some(vec![b' '; 8 * 1024]),
            413,
            "larger than 4096 bytes",
        ),
    ];
    for (name, headers, body, status, message) in cases {
        let (got, json) = call("PUT", &d.url("/api/settings"), &headers, body);
        assert_eq!(got, status, "{name}: {json}");
        let text = json["errorMessage"].as_str().unwrap_or_default();
        assert!(
            text.contains(message),
            "{name}: `{text}` should contain `{message}`"
        );
        assert_eq!(
            d.settings_file(),
            before,
            "{name}: the stored setting must not change"
        );
    }
    assert_eq!(
        d.rx.connections(),
        0,
        "nothing was enabled, nothing is sent"
    );
    let (status, _) = call(
        "DELETE",
        &d.url("/api/settings"),
        &[("authorization", &su)],
        None,
    );
    assert_eq!(status, 405);
    for path in [
        "/../../etc/passwd",
        "/./api/../api/settings/../../../etc/passwd",
        "/api/../../state/settings.json",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/api/telemetry/disclosure/../../Cargo.toml",
    ] {
        let status = raw_get(d.addr, path, SUPER_TOKEN);
        assert_eq!(status, 404, "{path}");
    }
    assert_eq!(d.settings_file(), before);
    d.handle.stop();
}

#[test]
fn reading_needs_a_token_and_shows_who_changed_what() {
    let d = Daemon::start(false, None);
    let (status, json) = call("GET", &d.url("/api/settings"), &[], None);
    assert_eq!(
        (status, json["errorMessage"].as_str().is_some()),
        (401, true)
    );
    let (status, me) = call(
        "GET",
        &d.url("/api/me"),
        &[("authorization", &bearer(USER_TOKEN))],
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(
        me,
        serde_json::json!({"userId": "kermit", "superUser": false})
    );
    let (status, settings) = call(
        "GET",
        &d.url("/api/settings"),
        &[("authorization", &bearer(USER_TOKEN))],
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(
        settings,
        serde_json::json!({"metadataTelemetryEnabled": false, "lastModifier": null, "lastModified": null})
    );
    let (status, preview) = call(
        "GET",
        &d.url("/api/telemetry/preview"),
        &[("authorization", &bearer(USER_TOKEN))],
        None,
    );
    assert_eq!(status, 200);
    assert!(optimize_telemetry::disclosed::check(&preview).is_ok());
    assert_eq!(d.rx.connections(), 0, "a preview never sends");
    let page = block_on(async {
        client()
            .get(d.url("/api/telemetry/disclosure"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .text()
            .await
            .unwrap_or_default()
    });
    assert!(page.contains("Telemetry in Camunda Optimize"));
    d.handle.stop();
}

#[test]
fn enabling_through_the_api_sends_without_restart_and_disabling_stops_collection() {
    let d = Daemon::start(false, None);
    let (status, s) = call(
        "PUT",
        &d.url("/api/settings"),
        &[
            ("authorization", &bearer(SUPER_TOKEN)),
            ("content-type", "application/json; charset=utf-8"),
        ],
        Some(br#"{"metadataTelemetryEnabled": true}"#.to_vec()),
    );
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["lastModifier"], "demo");
    assert!(s["lastModified"].as_str().is_some());
    assert!(
        wait_until(Duration::from_secs(20), || d.rx.requests().len() == 1),
        "the report did not arrive"
    );
    let (status, _) = call(
        "PUT",
        &d.url("/api/settings"),
        &[
            ("authorization", &bearer(SUPER_TOKEN)),
            ("content-type", "application/json"),
        ],
        Some(br#"{"metadataTelemetryEnabled": false}"#.to_vec()),
    );
    assert_eq!(status, 200);
    let calls = d.handle.shared().parts.sources.calls();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        d.handle.shared().parts.sources.calls(),
        calls,
        "nothing is collected once disabled"
    );
    assert_eq!(d.rx.requests().len(), 1);
    d.handle.stop();
}

#[test]
fn the_kill_switch_beats_a_stored_true() {
    for var in optimize_telemetry::config::KILL_SWITCHES {
        kill_switch_beats_a_stored_true(var);
    }
}

fn kill_switch_beats_a_stored_true(var: &str) {
    let d = Daemon::start(true, Some(var));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        d.rx.connections(),
        0,
        "nothing may be sent while the kill switch is set"
    );
    assert_eq!(d.handle.shared().parts.sources.calls(), 0);
    let (status, json) = call(
        "PUT",
        &d.url("/api/settings"),
        &[
            ("authorization", &bearer(SUPER_TOKEN)),
            ("content-type", "application/json"),
        ],
        Some(br#"{"metadataTelemetryEnabled": true}"#.to_vec()),
    );
    assert_eq!(status, 409);
    assert!(
        json["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains(var)),
        "{json}"
    );
    let (status, st) = call(
        "GET",
        &d.url("/api/status"),
        &[("authorization", &bearer(USER_TOKEN))],
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(st["enabled"], false);
    assert_eq!(st["setting"]["metadataTelemetryEnabled"], true);
    assert_eq!(st["killSwitch"], var);
    assert_eq!(st["nextSend"], serde_json::Value::Null);
    d.handle.stop();
}

#[test]
fn the_consent_page_loads_nothing_from_elsewhere() {
    let d = Daemon::start(false, None);
    let (csp, frames, page) = block_on(async {
        let response = client()
            .get(d.url("/"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_default()
        };
        let (csp, frames) = (header("content-security-policy"), header("x-frame-options"));
        (csp, frames, response.text().await.unwrap_or_default())
    });
    assert!(
        csp.starts_with("default-src 'none'; script-src 'sha256-"),
        "{csp}"
    );
    assert!(
        csp.contains("frame-ancestors 'none'"),
        "cannot be framed: {csp}"
    );
    assert_eq!(frames, "DENY");
    for external in ["src=", "href=\"http", "@import", "url("] {
        assert!(!page.contains(external), "found `{external}`");
    }
    for item in optimize_telemetry::generated::items::ITEMS {
        assert!(
            page.contains(&item.label.replace('&', "&amp;")),
            "the summary lacks {}",
            item.label
        );
    }
    d.handle.stop();
}

#[test]
fn huge_heads_are_refused_and_change_nothing() {
    let d = Daemon::start(false, None);
    let before = {
        let _ = call(
            "GET",
            &d.url("/api/settings"),
            &[("authorization", &bearer(USER_TOKEN))],
            None,
        );
        d.settings_file()
    };
    assert!(before.is_some(), "the setting exists before the attack");
    let big = "x".repeat(64 * 1024);
    let su = bearer(SUPER_TOKEN);
    let result = block_on(async {
        client()
            .put(d.url("/api/settings"))
            .header("authorization", su.as_str())
            .header("content-type", "application/json")
            .header("x-padding", big.as_str())
            .body(r#"{"metadataTelemetryEnabled": true}"#)
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    // hyper answers 431, or closes the connection; either way nothing changes.
    assert_eq!(result.ok(), Some(431));
    let many: Vec<(String, String)> = (0..2000).map(|i| (format!("x-h{i}"), "y".into())).collect();
    let result = block_on(async {
        let mut r = client()
            .put(d.url("/api/settings"))
            .header("authorization", su.as_str())
            .header("content-type", "application/json")
            .body(r#"{"metadataTelemetryEnabled": true}"#);
        for (k, v) in &many {
            r = r.header(k.as_str(), v.as_str());
        }
        r.send().await.map(|r| r.status().as_u16())
    });
    assert_eq!(result.ok(), Some(431));
    assert_eq!(d.settings_file(), before);
    // The API still serves.
    let (status, _) = call(
        "GET",
        &d.url("/api/me"),
        &[("authorization", &bearer(USER_TOKEN))],
        None,
    );
    assert_eq!(status, 200);
    d.handle.stop();
}
