//! Reports go through a proxy: the `http.proxy` key, or `HTTPS_PROXY` when the key is unset. The
//! tunnel is CONNECT, so TLS stays end to end with the endpoint, still verified.

use std::process::{Command, Stdio};
use std::time::Duration;

use optimize_telemetry::sender::Sender;
use test_support::ConfigBuilder;

use crate::runtime::{config, receiver};
use crate::support::proxy::ConnectProxy;
use crate::support::receiver::Behaviour;
use crate::support::{TempDir, wait_until};

#[test]
fn the_proxy_key_sends_through_the_proxy() {
    let dir = TempDir::new("proxy-key");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let proxy = ConnectProxy::start();
    let cfg = config(
        &ConfigBuilder::new()
            .endpoint(&rx.url())
            .ca_file(&ca)
            .proxy(&proxy.url()),
    );
    let sender = Sender::new(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let outcome = rt.block_on(sender.send(b"{}".to_vec()));
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(
        proxy.targets(),
        vec![format!("127.0.0.1:{}", rx.addr.port())]
    );
    assert_eq!(rx.requests().len(), 1);
}

#[test]
fn https_proxy_in_the_environment_is_honoured() {
    let dir = TempDir::new("proxy-env");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let proxy = ConnectProxy::start();
    let cfg = ConfigBuilder::new()
        .initialize_telemetry(true)
        .initial_delay(Duration::ZERO)
        .endpoint(&rx.url())
        .ca_file(&ca)
        .no_database()
        .control_enabled(false)
        .state_dir(&dir.join("state"))
        .write(&dir.join("c.toml"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_optimize-telemetry"))
        .arg("--config")
        .arg(&cfg)
        .args(["--log-level", "warn", "run"])
        .env("HTTPS_PROXY", proxy.url())
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let arrived = wait_until(Duration::from_secs(20), || rx.requests().len() == 1);
    let _ = child.kill();
    let _ = child.wait();
    assert!(arrived, "no report arrived");
    assert_eq!(
        proxy.targets(),
        vec![format!("127.0.0.1:{}", rx.addr.port())],
        "the report must go through HTTPS_PROXY"
    );
}
