//! The HTTPS sender against the real loopback receiver: certificates are always verified, only
//! https is ever followed, and the response read is bounded.

use optimize_telemetry::sender::Sender;
use test_support::ConfigBuilder;

use crate::runtime::{config, receiver};
use crate::support::receiver::{Behaviour, Receiver};
use crate::support::tls::TestCa;
use crate::support::{TempDir, block_on};

fn sender(endpoint: &str, ca: Option<&std::path::Path>) -> Sender {
    let b = ConfigBuilder::new().endpoint(endpoint);
    let b = match ca {
        Some(ca) => b.ca_file(ca),
        None => b,
    };
    Sender::new(&config(&b)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_trusted_endpoint_gets_the_report() {
    let dir = TempDir::new("trusted");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let outcome = block_on(sender(&rx.url(), Some(&ca)).send(b"{}".to_vec()));
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.status, Some(202));
}

#[test]
fn an_untrusted_certificate_is_refused_before_anything_is_sent() {
    let dir = TempDir::new("untrusted");
    let (rx, _ca) = receiver(&dir, Behaviour::Status(202));
    let outcome = block_on(sender(&rx.url(), None).send(b"{}".to_vec()));
    assert_failed_with(&outcome, "certificate");
    assert!(
        rx.requests().is_empty(),
        "no request may pass an unverified TLS handshake"
    );
}

#[test]
fn a_certificate_for_another_host_is_refused() {
    let dir = TempDir::new("wrong-host");
    let ca = TestCa::new("test CA");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap_or_else(|e| panic!("{e}"));
    let rx = Receiver::start(
        ca.server(&["telemetry.example.invalid"]),
        Behaviour::Status(202),
    );
    let outcome = block_on(sender(&rx.url(), Some(&ca_file)).send(b"{}".to_vec()));
    assert_failed_with(&outcome, "certificate");
    assert!(rx.requests().is_empty());
}

#[test]
fn a_redirect_to_plain_http_is_refused() {
    let dir = TempDir::new("redirect");
    let (rx, ca) = receiver(
        &dir,
        Behaviour::StatusWith(307, vec![("location", "http://127.0.0.1:9/pings".into())]),
    );
    let outcome = block_on(sender(&rx.url(), Some(&ca)).send(b"{}".to_vec()));
    assert_failed_with(&outcome, "redirect");
    assert_eq!(rx.requests().len(), 1, "only the https request was made");
}

#[test]
fn an_http_endpoint_cannot_even_be_configured() {
    let err = optimize_telemetry::Config::parse(
        "c.toml",
        "[telemetry]\ntelemetryEndpoint = \"http://127.0.0.1:1/pings\"\n",
        &|_| None,
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(err.contains("must be an https:// URL"), "{err}");
}

#[test]
fn a_redirect_loop_ends_after_three_hops() {
    let dir = TempDir::new("redirect-loop");
    let ca = TestCa::new("test CA");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap_or_else(|e| panic!("{e}"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let rx = Receiver::start_on(
        port,
        ca.server(&["127.0.0.1"]),
        Behaviour::StatusWith(
            307,
            vec![("location", format!("https://127.0.0.1:{port}/pings"))],
        ),
    );
    let outcome = block_on(sender(&rx.url(), Some(&ca_file)).send(b"{}".to_vec()));
    assert_failed_with(&outcome, "too many redirects");
    assert_eq!(
        rx.requests().len(),
        4,
        "the request and three redirects, then it stops"
    );
}

/// The attempt failed, and its error says `why`.
fn assert_failed_with(outcome: &optimize_telemetry::sender::Outcome, why: &str) {
    assert!(!outcome.success, "{outcome:?}");
    assert!(
        outcome.error.as_deref().is_some_and(|e| e.contains(why)),
        "expected an error about {why:?}: {outcome:?}"
    );
}
