//! A daemon sharing an embedded state directory learns of changes other processes make from
//! the file system's notifications, not from polling: with `statePollSeconds` an hour, a setting
//! switched on or off in another process takes effect within moments.

use std::io::BufRead as _;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use optimize_telemetry::runtime;

use crate::daemon::{Proc, bin};
use crate::runtime::{config, receiver};
use crate::support::receiver::Behaviour;
use crate::support::{TempDir, wait_until};
use test_support::ConfigBuilder;

/// Starts `run` and waits until it is running; its log lines are collected as they come.
fn start_daemon(cfg: &std::path::Path) -> (Proc, Arc<Mutex<Vec<String>>>) {
    let mut child = bin(cfg)
        .args(["--log-level", "info", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let log = Arc::new(Mutex::new(Vec::new()));
    if let Some(stderr) = child.stderr.take() {
        let log = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Ok(mut l) = log.lock() {
                    l.push(line);
                }
            }
        });
    }
    let lines =
        |log: &Arc<Mutex<Vec<String>>>| log.lock().map(|l| l.join("\n")).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(20), || lines(&log)
            .contains("telemetry runtime started")),
        "the daemon did not start: {}",
        lines(&log)
    );
    (Proc { child }, log)
}

#[test]
fn a_setting_switched_in_another_process_takes_effect_without_waiting_for_a_poll() {
    let dir = TempDir::new("follow");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    // A report every two seconds while on; the shared state read again only once an hour.
    let builder = ConfigBuilder::new()
        .initialize_telemetry(false)
        .initial_delay(Duration::ZERO)
        .reporting_interval(Duration::from_secs(2))
        .state_poll(Duration::from_secs(3600))
        .endpoint(&rx.url())
        .ca_file(&ca)
        .send_timeout(Duration::from_secs(2))
        .source_timeout(Duration::from_secs(1))
        .control_enabled(false)
        .no_database()
        .state_dir(&dir.join("shared"));
    let file = builder.write(&dir.join("c.toml"));
    let (_daemon, log) = start_daemon(&file);

    // This test process is the other process: it switches telemetry the way a superuser does,
    // through a runtime of its own on the same directory that never sends.
    let mut here = config(&builder);
    here.endpoint = None;
    let switch = runtime::start(here).unwrap_or_else(|e| panic!("{e}"));
    let set = |on: bool| {
        switch
            .set_enabled(on, "demo")
            .unwrap_or_else(|e| panic!("{e}"));
    };
    // The daemon may still be reading the setting for the first time: only what happens after
    // its first report proves it was told.
    set(true);
    assert!(
        wait_until(Duration::from_secs(10), || rx.requests().len() == 1),
        "switching on in another process was not noticed"
    );
    set(false);
    // The next report was due two seconds after the first. (Had the daemon not been told, it
    // would still not send: it reads the setting again before collecting, and then waits an
    // hour, so switching on again below would go unnoticed.)
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(rx.requests().len(), 1, "sent while switched off");
    set(true);
    assert!(
        wait_until(Duration::from_secs(10), || rx.requests().len() == 2),
        "switching on again in another process was not noticed"
    );
    switch.stop();
    let log = log.lock().map(|l| l.join("\n")).unwrap_or_default();
    assert!(!log.contains("reading it again at every poll"), "{log}");
}
