//! Store faults, through the real binary: damaged state files are repaired without ever changing
//! an existing installation id; a read-only or full state directory gives a clear error and
//! costs the host nothing; and `kill -9` at random moments while the runtime writes always
//! leaves a valid store with the same id.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use test_support::ConfigBuilder;

use crate::runtime::receiver;
use crate::support::TempDir;
use crate::support::receiver::Behaviour;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_optimize-telemetry")
}

/// Writes `b` with no database, no control API and the state in `<dir>/state`.
fn write_config(dir: &TempDir, b: ConfigBuilder) -> std::path::PathBuf {
    b.no_database()
        .control_enabled(false)
        .state_dir(&dir.join("state"))
        .write(&dir.join("c.toml"))
}

/// On from the start, reporting at once to `endpoint`, and reading the shared state every second.
fn reporting(endpoint: &str, ca: &std::path::Path) -> ConfigBuilder {
    ConfigBuilder::new()
        .initialize_telemetry(true)
        .initial_delay(Duration::ZERO)
        .state_poll(Duration::from_secs(1))
        .endpoint(endpoint)
        .ca_file(ca)
}

/// Runs `preview` and returns (installation id, stderr).
fn preview(cfg: &std::path::Path) -> (String, String) {
    let o = Command::new(bin())
        .arg("--config")
        .arg(cfg)
        .args(["--log-level", "warn", "preview"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    (
        v["installation"].as_str().unwrap_or_default().to_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn damaged_state_files_are_repaired_and_the_id_never_changes() {
    let dir = TempDir::new("damaged");
    let cfg = write_config(&dir, ConfigBuilder::new());
    let (id, _) = preview(&cfg);
    assert_eq!(id.len(), 36);
    let state = dir.join("state");
    let truncate = |name: &str| {
        let p = state.join(name);
        let bytes = std::fs::read(&p).unwrap_or_default();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap_or_else(|e| panic!("{e}"));
    };
    truncate("installation.json");
    std::fs::write(state.join("settings.json"), [0xff, 0x00, 0x13, 0x37])
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        state.join("send-state.json"),
        r#"{"lastSuccess": 5, "nextDue": [true]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (again, log) = preview(&cfg);
    assert_eq!(
        again, id,
        "a damaged id file is restored from its backup, never replaced"
    );
    assert!(
        log.contains("installation id file missing or damaged; restored from its backup"),
        "{log}"
    );
    assert!(log.contains("state file is damaged; recovering"), "{log}");
    let repaired: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(state.join("installation.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    assert_eq!(repaired["installationId"], id.as_str());
    let settings: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(state.join("settings.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    assert_eq!(
        settings["metadataTelemetryEnabled"], false,
        "a damaged setting falls back to the configured default (off)"
    );

    // Wrong types in the backup and garbage in the file: no valid copy is left. The id is then
    // reported as unknown, with a clear reason, and no new one is invented.
    std::fs::write(state.join("installation.json"), "garbage").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        state.join("installation.backup.json"),
        r#"{"installationId": 42, "schemaVersion": "x"}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = Command::new(bin())
        .arg("--config")
        .arg(&cfg)
        .arg("preview")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert_eq!(v["installation"], "Unknown");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("refusing to create a new one"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(state.join("installation.json")).unwrap_or_default(),
        "garbage",
        "nothing was overwritten"
    );
}

/// Runs the binary in a mount namespace of its own where `dir` is `how` (read-only, or a full
/// tmpfs); the rest of the system is untouched.
fn in_mount_namespace(dir: &std::path::Path, how: &str, args: &[&str]) -> Command {
    let setup = match how {
        "read-only" => "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\"",
        // 64 KiB, filled: every write fails with ENOSPC.
        "full" => {
            "mount -t tmpfs -o size=64k,mode=0700 tmpfs \"$0\" && (head -c 1000000 /dev/zero > \"$0/filler\" 2>/dev/null; true)"
        }
        other => panic!("{other}"),
    };
    let mut c = Command::new("unshare");
    c.args(["--mount", "sh", "-c", &format!("{setup} && exec \"$@\"")])
        .arg(dir)
        .arg(bin())
        .args(args);
    c
}

fn survives_without_sending(how: &str, expected: &str) {
    let dir = TempDir::new(&format!("store-{how}"));
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let cfg = write_config(&dir, reporting(&rx.url(), &ca));
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap_or_else(|e| panic!("{e}"));
    if how == "read-only" {
        // An existing installation: the id and the setting are there, but nothing can be written.
        let (id, _) = preview(&cfg);
        assert_eq!(id.len(), 36);
        let o = in_mount_namespace(
            &state,
            how,
            &["--config", &cfg.display().to_string(), "preview"],
        )
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        assert_eq!(
            v["installation"],
            id.as_str(),
            "a read-only store can still be read: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let mut child = in_mount_namespace(
        &state,
        how,
        &[
            "--config",
            &cfg.display().to_string(),
            "--log-level",
            "warn",
            "run",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_secs(3));
    let alive = child.try_wait().ok().flatten().is_none();
    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut log);
    }
    assert!(
        alive,
        "the runtime must survive a {how} state directory: {log}"
    );
    assert!(
        log.contains(expected),
        "the log should say `{expected}`: {log}"
    );
    assert_eq!(
        rx.connections(),
        0,
        "without a writable store there is no lease, so nothing is sent"
    );
    let lines = log.lines().count();
    assert!(lines < 40, "{lines} log lines in 3 s");
}

#[test]
fn a_read_only_state_directory_is_a_clear_error_and_costs_nothing() {
    survives_without_sending("read-only", "Read-only file system");
}

#[test]
fn a_full_state_directory_is_a_clear_error_and_costs_nothing() {
    survives_without_sending("full", "No space left on device");
}

/// Every state file that exists parses; the id is the first one.
fn assert_valid(state: &std::path::Path, id: &str, round: usize) {
    for name in [
        "installation.json",
        "installation.backup.json",
        "settings.json",
        "settings.backup.json",
        "send-state.json",
        "send-state.backup.json",
    ] {
        let p = state.join(name);
        if let Ok(text) = std::fs::read_to_string(&p) {
            let v: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("round {round}: {name} is damaged ({e}): {text:?}"));
            if name.starts_with("installation") {
                assert_eq!(v["installationId"], id, "round {round}: the id changed");
            }
        }
    }
}

#[test]
fn kill_9_at_random_moments_never_damages_the_store_nor_changes_the_id() {
    let rounds: usize = std::env::var("KILL_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let dir = TempDir::new("kill9");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    // A report every second, so the store is written all the time.
    let cfg = write_config(
        &dir,
        ConfigBuilder::new()
            .initialize_telemetry(true)
            .initial_delay(Duration::ZERO)
            .reporting_interval(Duration::from_secs(1))
            .endpoint(&rx.url())
            .ca_file(&ca),
    );
    let (id, _) = preview(&cfg);
    let state = dir.join("state");
    let spawn = || {
        Command::new(bin())
            .arg("--config")
            .arg(&cfg)
            .args(["--log-level", "error", "run"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // How long a fresh start takes to write its lease, send and record: kills land in that window.
    let clock = Instant::now();
    let mut first = spawn();
    let sent = crate::support::wait_until(Duration::from_secs(20), || !rx.requests().is_empty());
    let window = clock.elapsed() + Duration::from_millis(30);
    let _ = first.kill();
    let _ = first.wait();
    assert!(sent, "the first run never sent");
    let started = Instant::now();
    for round in 0..rounds {
        // As if the installation never reported: the new process writes its lease, its attempt
        // and the end of the period right away.
        let _ = std::fs::remove_file(state.join("send-state.json"));
        let _ = std::fs::remove_file(state.join("send-state.backup.json"));
        let mut child = spawn();
        std::thread::sleep(Duration::from_micros(fastrand::u64(
            0..window.as_micros() as u64,
        )));
        let _ = child.kill();
        let _ = child.wait();
        assert_valid(&state, &id, round);
    }
    let leftovers = std::fs::read_dir(&state)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
                .count()
        })
        .unwrap_or(0);
    let reports = rx.requests().len();
    println!(
        "kill -9: {rounds} rounds in {:?}, kill window {window:?}, {reports} reports sent, {leftovers} temporary files left by killed writers",
        started.elapsed()
    );
    assert!(
        reports > rounds / 10,
        "too few rounds got as far as sending ({reports}): the kills missed the writes"
    );
    // And the store still works; temporary files of killed writers are cleared on the next open.
    let (after, _) = preview(&cfg);
    assert_eq!(after, id);
    let remaining = std::fs::read_dir(&state)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(
        remaining, 0,
        "{leftovers} temporary files were left by killed writers; none may remain after the next start"
    );
}

#[test]
fn damage_beyond_the_backups_never_switches_telemetry_on_nor_sends_early() {
    let dir = TempDir::new("damaged-twice");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    // `initializeTelemetry = true` must only seed a setting that does not exist, never one that
    // was damaged (it may have been switched off by a superuser).
    let cfg = write_config(&dir, reporting(&rx.url(), &ca));
    let (id, _) = preview(&cfg);
    let state = dir.join("state");
    for name in ["settings.json", "settings.backup.json"] {
        std::fs::write(state.join(name), "{\"metadataTelemetryEnabled\": ")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let (again, log) = preview(&cfg);
    assert_eq!(again, id);
    assert!(log.contains("telemetry is disabled"), "{log}");
    let log = run_for_two_seconds(&cfg);
    assert_eq!(rx.connections(), 0, "damage must never switch telemetry on");
    assert!(
        log.contains("telemetry stays off until a superuser sets it again"),
        "{log}"
    );

    // A send state damaged with its backup: the next report is a full interval away, not now.
    let enabled = r#"{"metadataTelemetryEnabled": true, "lastModifier": "demo", "lastModified": "2026-01-01T00:00:00.000Z"}"#;
    for name in ["settings.json", "settings.backup.json"] {
        std::fs::write(state.join(name), enabled).unwrap_or_else(|e| panic!("{e}"));
    }
    for name in ["send-state.json", "send-state.backup.json"] {
        std::fs::write(state.join(name), "garbage").unwrap_or_else(|e| panic!("{e}"));
    }
    run_for_two_seconds(&cfg);
    assert_eq!(
        rx.connections(),
        0,
        "a lost send state must not make the report go out early"
    );
    let repaired: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(state.join("send-state.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    assert!(
        repaired["nextDue"].as_str().is_some(),
        "the state is repaired with a next due time: {repaired}"
    );
}

/// Runs the daemon for two seconds, then kills it; returns what it logged at `warn`.
fn run_for_two_seconds(cfg: &std::path::Path) -> String {
    let mut child = Command::new(bin())
        .arg("--config")
        .arg(cfg)
        .args(["--log-level", "warn", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_secs(2));
    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut log);
    }
    log
}
