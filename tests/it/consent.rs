//! Consent bound to what was disclosed: a stored approval of an older item table (what the
//! previous binary disclosed) against the running one, with a real loopback HTTPS receiver.
//! An added business-confidential item pauses sending until a superuser approves again; an
//! added technical item and a rollback to a subset stay covered; a bare `true` from before
//! approvals were recorded migrates to an approval of the running spec; the same on the
//! Elasticsearch store (the fake), and two instances with different item tables on one store
//! each decide for their own spec.

use std::sync::Arc;
use std::time::Duration;

use optimize_telemetry::Config;
use optimize_telemetry::audit::{Ledger, Verdict};
use optimize_telemetry::clock::{SystemClock, Timestamp};
use optimize_telemetry::consent::{ApprovalKind, ConsentState, StoredApproval};
use optimize_telemetry::runtime::{self, Options, Parts, Status};
use optimize_telemetry::store::Settings;
use telemetry_types::Sensitivity;
use telemetry_types::consent::Approval;

use crate::cluster::{Shared, instance_config};
use crate::runtime::{config, receiver};
use crate::support::es_fake::{EsFake, Flavor};
use crate::support::receiver::Behaviour;
use crate::support::{TempDir, block_on, wait_until};

const HOUR: Duration = Duration::from_secs(3600);

/// The running item table without the first item of `sensitivity`: what an older binary
/// disclosed before that item was added. Returns the table and the removed item's id.
pub fn without_first(sensitivity: Sensitivity) -> (Approval, String) {
    let running = optimize_telemetry::consent::running();
    let mut items = running.items.clone();
    let at = items
        .iter()
        .position(|i| i.sensitivity == sensitivity.as_str())
        .unwrap_or_else(|| panic!("the spec has no {} item", sensitivity.as_str()));
    let removed = items.remove(at);
    (Approval::new("0.9.0", items), removed.id)
}

/// Stores `disclosure` as approved by a superuser, as an older binary would have.
pub fn store_approval(cfg: &Config, disclosure: Approval) {
    let parts = Parts::new(cfg.clone(), Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"));
    block_on(parts.store.put_settings(Settings {
        metadata_telemetry_enabled: true,
        last_modifier: Some("demo".into()),
        last_modified: Some(Timestamp(0)),
        approval: Some(StoredApproval {
            by: "demo".into(),
            at: Timestamp(0),
            kind: ApprovalKind::Superuser,
            disclosure,
        }),
    }))
    .unwrap_or_else(|e| panic!("{e}"));
}

/// The status as `status` reads it, for a runtime that discloses `disclosure`.
fn status(cfg: &Config, disclosure: Option<&Approval>) -> Status {
    let mut parts =
        Parts::new(cfg.clone(), Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"));
    if let Some(d) = disclosure {
        parts.disclosure = Arc::new(d.clone());
    }
    block_on(Status::read(&parts)).unwrap_or_else(|e| panic!("{e}"))
}

/// The consent entries of the ledger in `dir`, and whether the ledger verifies.
fn consent_entries(dir: &std::path::Path) -> (Vec<serde_json::Value>, bool) {
    let ledger = Ledger::new(dir);
    let entries = ledger.read().unwrap_or_else(|e| panic!("{e}"));
    let intact = matches!(ledger.verify(&entries), Verdict::Intact { .. });
    let consent = entries
        .into_iter()
        .filter_map(|l| l.entry.ok().and_then(|e| e.consent))
        .collect();
    (consent, intact)
}

fn embedded_config(
    dir: &TempDir,
    rx: &crate::support::receiver::Receiver,
    ca: &std::path::Path,
) -> Config {
    config(&instance_config(rx, ca, dir, Shared::Embedded, HOUR))
}

#[test]
fn an_added_business_confidential_item_pauses_sending_until_approved_again() {
    let dir = TempDir::new("consent-pause");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let cfg = embedded_config(&dir, &rx, &ca);
    let (old, added) = without_first(Sensitivity::BusinessConfidential);
    store_approval(&cfg, old);

    let handle = runtime::start(cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        rx.connections(),
        0,
        "nothing may be sent under the old approval"
    );
    assert_eq!(
        handle.shared().parts.sources.calls(),
        0,
        "nothing may even be collected"
    );
    let s = status(&cfg, None);
    assert!(!s.enabled);
    assert_eq!(s.consent.state, ConsentState::NeedsApproval);
    assert_eq!(s.consent.approved_version.as_deref(), Some("0.9.0"));
    let blocking: Vec<&str> = s.consent.blocking().map(|c| c.item.as_str()).collect();
    assert_eq!(blocking, vec![added.as_str()]);

    // A superuser approves the running spec: sending resumes at once.
    let settings = handle
        .set_enabled(true, "demo")
        .unwrap_or_else(|e| panic!("{e}"));
    let approval = settings
        .approval
        .unwrap_or_else(|| panic!("no approval stored"));
    assert_eq!(approval.disclosure, optimize_telemetry::consent::running());
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 1),
        "the re-approval did not resume sending"
    );
    handle.stop();
    let s = status(&cfg, None);
    assert_eq!(s.consent.state, ConsentState::Covered);
    assert!(s.consent.changes.is_empty());
    let (events, intact) = consent_entries(&dir.join("shared"));
    assert!(intact, "the ledger with consent entries verifies");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["event"], "approval");
    assert_eq!(events[0]["by"], "demo");
    assert_eq!(
        events[0]["digest"],
        optimize_telemetry::consent::running().digest.as_str()
    );
}

#[test]
fn an_added_technical_item_stays_covered_and_is_shown_as_new() {
    let dir = TempDir::new("consent-technical");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let cfg = embedded_config(&dir, &rx, &ca);
    let (old, added) = without_first(Sensitivity::Technical);
    store_approval(&cfg, old);
    let s = status(&cfg, None);
    assert_eq!(s.consent.state, ConsentState::Covered);
    assert_eq!(s.consent.changes.len(), 1);
    assert_eq!(s.consent.changes[0].item, added);
    assert!(!s.consent.changes[0].needs_approval);
    // `status` and `preview` of the real binary show it as new and covered.
    let file = instance_config(&rx, &ca, &dir, Shared::Embedded, HOUR).write(&dir.join("c.toml"));
    let run = |command: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_optimize-telemetry"))
            .env_remove("OPTIMIZE_TELEMETRY_CONFIG")
            .env_remove("OPTIMIZE_TELEMETRY_TOKEN")
            .arg("--config")
            .arg(&file)
            .arg(command)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let status_text = String::from_utf8_lossy(&run("status").stdout).into_owned();
    assert!(
        status_text.contains(&format!(
            "new since your approval: {added}: new technical item"
        )),
        "{status_text}"
    );
    assert!(
        status_text.contains("approval:   spec 0.9.0 approved by demo; covers"),
        "{status_text}"
    );
    let preview = String::from_utf8_lossy(&run("preview").stderr).into_owned();
    assert!(
        preview.contains("note: new since your approval of spec 0.9.0"),
        "{preview}"
    );
    assert!(preview.contains(&format!("+ {added}:")), "{preview}");
    let handle = runtime::start(cfg).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 1),
        "a technical addition must not pause sending"
    );
    handle.stop();
}

#[test]
fn a_rollback_to_a_subset_of_the_approved_items_stays_covered() {
    let dir = TempDir::new("consent-rollback");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let cfg = embedded_config(&dir, &rx, &ca);
    // The approval came from the newer binary (it has one more item); this one runs the older.
    let (older, _) = without_first(Sensitivity::BusinessConfidential);
    store_approval(&cfg, optimize_telemetry::consent::running());
    let s = status(&cfg, Some(&older));
    assert_eq!(s.consent.state, ConsentState::Covered);
    assert!(s.consent.changes.iter().all(|c| !c.needs_approval));
    let handle = runtime::start_with(
        cfg,
        Options {
            disclosure: Some(older),
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 1),
        "a rollback must not pause sending"
    );
    handle.stop();
}

#[test]
fn a_bare_true_from_before_approvals_migrates_to_an_approval_of_the_running_spec() {
    let dir = TempDir::new("consent-legacy");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let mut cfg = embedded_config(&dir, &rx, &ca);
    cfg.initialize_telemetry = false;
    // Creates the state directory with the right permissions.
    drop(Parts::new(cfg.clone(), Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}")));
    let legacy = r#"{"metadataTelemetryEnabled": true, "lastModifier": "demo", "lastModified": "2026-01-01T00:00:00.000Z"}"#;
    let state = dir.join("shared");
    for name in ["settings.json", "settings.backup.json"] {
        std::fs::write(state.join(name), legacy).unwrap_or_else(|e| panic!("{e}"));
    }
    let s = status(&cfg, None);
    assert_eq!(s.consent.state, ConsentState::Unrecorded);

    let handle = runtime::start(cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 1),
        "a migrated installation must not go silent"
    );
    handle.stop();
    let stored: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(state.join("settings.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    assert_eq!(stored["approval"]["kind"], "migration", "{stored}");
    assert_eq!(stored["approval"]["by"], "demo");
    assert_eq!(
        stored["lastModifier"], "demo",
        "the last change is still demo's"
    );
    assert_eq!(
        stored["approval"]["digest"],
        optimize_telemetry::consent::running().digest.as_str()
    );
    let (events, intact) = consent_entries(&state);
    assert!(intact);
    assert_eq!(events.len(), 1, "recorded once: {events:?}");
    assert_eq!(events[0]["event"], "migration");
    assert_eq!(status(&cfg, None).consent.state, ConsentState::Covered);

    // `audit` lists the migration as such, and `audit --verify` accepts the chain.
    let file = instance_config(&rx, &ca, &dir, Shared::Embedded, HOUR).write(&dir.join("c.toml"));
    let audit = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_optimize-telemetry"))
            .env_remove("OPTIMIZE_TELEMETRY_CONFIG")
            .arg("--config")
            .arg(&file)
            .arg("audit")
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, listing) = audit(&[]);
    assert_eq!(code, Some(0));
    assert!(listing.contains("migration  by demo (spec "), "{listing}");
    let (code, verified) = audit(&["--verify"]);
    assert_eq!(code, Some(0), "{verified}");
    assert!(verified.contains("intact"), "{verified}");
}

#[test]
fn on_elasticsearch_the_approval_pauses_until_approved_and_a_rolling_upgrade_never_sends_unapproved()
 {
    let dir = TempDir::new("consent-es");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let es = EsFake::start(Flavor::Es8);
    let instance = instance_config(&rx, &ca, &dir, Shared::Cluster(&es), HOUR);
    let cfg = config(&instance);
    let (old, added) = without_first(Sensitivity::BusinessConfidential);
    store_approval(&cfg, old.clone());
    let doc = es.source("optimize-settings", "1").unwrap_or_default();
    assert_eq!(doc["approval"]["specVersion"], "0.9.0", "{doc}");

    // Instance B runs the upgraded binary: alone, it sends nothing.
    let b = runtime::start(config(&instance)).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(rx.connections(), 0, "B never sends unapproved");
    // Instance A still runs the old binary, whose disclosure was approved: it sends.
    let a = runtime::start_with(
        config(&instance),
        Options {
            disclosure: Some(old.clone()),
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 1),
        "the instance whose spec is approved sends"
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(rx.requests().len(), 1);
    assert_eq!(runtime::successes(a.metrics()), 1, "A sent");
    assert_eq!(
        runtime::successes(b.metrics()),
        0,
        "B never sends unapproved"
    );
    assert_eq!(
        b.metrics()
            .collections
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    let sb = status(&cfg, None);
    assert_eq!(sb.consent.state, ConsentState::NeedsApproval);
    assert!(sb.consent.blocking().any(|c| c.item == added));
    assert_eq!(
        status(&cfg, Some(&old)).consent.state,
        ConsentState::Covered
    );

    // A superuser approves on the upgraded instance: both are covered (A's spec is a subset).
    b.set_enabled(true, "demo")
        .unwrap_or_else(|e| panic!("{e}"));
    let doc = es.source("optimize-settings", "1").unwrap_or_default();
    assert_eq!(
        doc["approval"]["digest"],
        optimize_telemetry::consent::running().digest.as_str()
    );
    assert_eq!(status(&cfg, None).consent.state, ConsentState::Covered);
    assert_eq!(
        status(&cfg, Some(&old)).consent.state,
        ConsentState::Covered
    );
    a.stop();
    b.stop();
    assert!(es.unknown_calls().is_empty(), "{:?}", es.unknown_calls());
}

#[test]
fn status_preview_and_the_log_of_the_real_binary_say_why_it_is_paused() {
    use std::process::{Command, Stdio};
    let dir = TempDir::new("consent-process");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let instance = instance_config(&rx, &ca, &dir, Shared::Embedded, HOUR);
    let file = instance.write(&dir.join("c.toml"));
    let (old, added) = without_first(Sensitivity::BusinessConfidential);
    store_approval(&config(&instance), old);
    let bin = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_optimize-telemetry"));
        c.env_remove("OPTIMIZE_TELEMETRY_CONFIG")
            .env_remove("OPTIMIZE_TELEMETRY_TOKEN")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .arg("--config")
            .arg(&file);
        c
    };

    let out = bin()
        .arg("status")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("approval:   PAUSED"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "needs approval: {added}: new business-confidential item"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("next send:  none planned"),
        "nothing is planned while paused: {stdout}"
    );

    let out = bin()
        .arg("preview")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("note: telemetry is paused"), "{stderr}");
    assert!(stderr.contains(&format!("! {added}:")), "{stderr}");

    // `statePollSeconds = 1`: the setting is looked at about four times, the pause logged once.
    let mut child = bin()
        .args(["--log-level", "info", "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(4000));
    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut log);
    }
    assert_eq!(
        log.matches("telemetry paused").count(),
        1,
        "the pause is logged once: {log}"
    );
    assert!(log.contains(&added), "the log names the difference: {log}");
    assert_eq!(rx.connections(), 0, "the real binary sends nothing either");
}

#[test]
fn on_elasticsearch_a_bare_true_migrates_once_and_a_switched_off_setting_stays_off() {
    let dir = TempDir::new("consent-es-legacy");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let es = EsFake::start(Flavor::OpenSearch2);
    let mut cfg = config(&instance_config(&rx, &ca, &dir, Shared::Cluster(&es), HOUR));
    cfg.initialize_telemetry = false;
    // The index exists as the previous version created it, with a bare `true` in it.
    let parts = Parts::new(cfg.clone(), Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"));
    block_on(parts.store.settings(false)).unwrap_or_else(|e| panic!("{e}"));
    es.put_doc(
        "optimize-settings",
        "1",
        serde_json::json!({"metadataTelemetryEnabled": true, "lastModifier": "demo", "lastModified": "2026-01-01T00:00:00.000Z"}),
    );
    let handle = runtime::start(cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 1),
        "a migrated cluster must not go silent"
    );
    handle.stop();
    let doc = es.source("optimize-settings", "1").unwrap_or_default();
    assert_eq!(doc["approval"]["kind"], "migration", "{doc}");
    assert_eq!(
        doc["approval"]["digest"],
        optimize_telemetry::consent::running().digest.as_str()
    );
    let (events, intact) = consent_entries(&dir.join("shared"));
    assert!(intact);
    assert_eq!(events.len(), 1, "{events:?}");

    // A setting a superuser switched off is never completed into an approval.
    es.put_doc(
        "optimize-settings",
        "1",
        serde_json::json!({"metadataTelemetryEnabled": false, "lastModifier": "demo", "lastModified": "2026-01-02T00:00:00.000Z"}),
    );
    let completed = block_on(parts.store.complete_approval(Box::new(|_| {
        panic!("an approval must not be made for a setting that is off")
    })))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(completed, None);
    assert!(es.unknown_calls().is_empty(), "{:?}", es.unknown_calls());
}

#[test]
fn a_bare_true_written_by_an_older_instance_during_a_rolling_upgrade_pauses_the_upgraded_one() {
    let dir = TempDir::new("consent-es-old-writer");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let es = EsFake::start(Flavor::Es7);
    // Reports every 2 s, so a second period falls within the test.
    let instance = instance_config(&rx, &ca, &dir, Shared::Cluster(&es), Duration::from_secs(2));
    let mut cfg = config(&instance);
    cfg.initialize_telemetry = false;

    // The upgraded instance runs, a superuser approves, it sends.
    let handle = runtime::start(cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
    handle
        .set_enabled(true, "demo")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(wait_until(Duration::from_secs(20), || rx.requests().len() == 1));
    handle.stop();

    // An instance of the older version switches it off and on again: a bare `true`.
    es.put_doc(
        "optimize-settings",
        "1",
        serde_json::json!({"metadataTelemetryEnabled": true, "lastModifier": "kermit", "lastModified": "2026-01-02T00:00:00.000Z"}),
    );
    // The upgraded instance restarts: this is not its first start after the upgrade (its
    // ledger holds an approval), so the bare `true` is no approval of its spec.
    let handle = runtime::start(cfg.clone()).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(rx.requests().len(), 1, "nothing is sent under a bare true");
    let s = status(&cfg, None);
    assert_eq!(s.consent.state, ConsentState::Unrecorded);
    assert!(!s.enabled);
    let doc = es.source("optimize-settings", "1").unwrap_or_default();
    assert!(doc.get("approval").is_none(), "not migrated: {doc}");

    // A superuser approves: sending resumes.
    handle
        .set_enabled(true, "demo")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 2),
        "the approval did not resume sending"
    );
    handle.stop();
    assert!(es.unknown_calls().is_empty(), "{:?}", es.unknown_calls());
}

#[test]
fn a_configuration_seeded_true_of_an_installation_that_sent_before_migrates_as_such() {
    let dir = TempDir::new("consent-legacy-seeded");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let mut cfg = embedded_config(&dir, &rx, &ca);
    cfg.initialize_telemetry = false;
    drop(Parts::new(cfg.clone(), Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}")));
    let state = dir.join("shared");
    // What the version before left: a setting seeded on by `initializeTelemetry`, and the
    // ledger of a report it sent.
    let seeded =
        r#"{"metadataTelemetryEnabled": true, "lastModifier": null, "lastModified": null}"#;
    for name in ["settings.json", "settings.backup.json"] {
        std::fs::write(state.join(name), seeded).unwrap_or_else(|e| panic!("{e}"));
    }
    Ledger::new(&state)
        .append(
            Timestamp(1_000),
            "https://x.invalid/pings",
            true,
            Some(202),
            None,
            b"{}",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let handle = runtime::start(cfg).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 1),
        "the installation keeps sending"
    );
    handle.stop();
    let (events, intact) = consent_entries(&state);
    assert!(
        intact,
        "an old ledger with a consent entry appended verifies"
    );
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["event"], "migration");
    assert_eq!(events[0]["by"], "configuration");
}

#[test]
fn the_api_says_why_it_is_paused_and_only_a_superusers_put_approves_again() {
    use crate::control::{Daemon, SUPER_TOKEN, USER_TOKEN, call};
    let (old, added) = without_first(Sensitivity::Identifying);
    let d = Daemon::start_after(false, None, &|cfg| store_approval(cfg, old.clone()));
    let bearer = |t: &str| format!("Bearer {t}");
    let user = bearer(USER_TOKEN);
    let admin = bearer(SUPER_TOKEN);
    let (code, status) = call(
        "GET",
        &d.url("/api/status"),
        &[("Authorization", &user)],
        None,
    );
    assert_eq!(code, 200);
    assert_eq!(status["enabled"], false);
    assert_eq!(status["consent"]["state"], "needs-approval", "{status}");
    assert_eq!(status["consent"]["approvedVersion"], "0.9.0");
    let blocking: Vec<&serde_json::Value> = status["consent"]["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["needsApproval"] == true)
        .collect();
    assert_eq!(blocking.len(), 1, "{status}");
    assert_eq!(blocking[0]["item"], added.as_str());
    assert_eq!(blocking[0]["kind"], "added");

    let json = [("Content-Type", "application/json")];
    let body = || Some(br#"{"metadataTelemetryEnabled": true}"#.to_vec());
    let (code, _) = call(
        "PUT",
        &d.url("/api/settings"),
        &[json[0], ("Authorization", &user)],
        body(),
    );
    assert_eq!(code, 403, "a user cannot approve");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(d.rx.connections(), 0, "still paused");

    let (code, settings) = call(
        "PUT",
        &d.url("/api/settings"),
        &[json[0], ("Authorization", &admin)],
        body(),
    );
    assert_eq!(code, 200);
    assert_eq!(settings["approval"]["by"], "demo");
    assert_eq!(settings["approval"]["kind"], "superuser");
    assert_eq!(
        settings["approval"]["digest"],
        optimize_telemetry::consent::running().digest.as_str()
    );
    let (_, status) = call(
        "GET",
        &d.url("/api/status"),
        &[("Authorization", &user)],
        None,
    );
    assert_eq!(status["consent"]["state"], "covered", "{status}");
    assert!(
        wait_until(Duration::from_secs(20), || d.rx.requests().len() == 1),
        "the superuser's approval resumes sending"
    );
    d.handle.stop();
}
