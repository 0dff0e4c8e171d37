//! The embedded store shared by many threads at once: one installation id, one lease winner.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use optimize_telemetry::clock::{SystemClock, Timestamp};
use optimize_telemetry::store::StateStore;
use optimize_telemetry::store::embedded::EmbeddedStore;

use crate::support::{TempDir, block_on};

#[test]
fn eight_racing_openers_agree_on_one_installation_id() {
    let dir = TempDir::new("race-id");
    let barrier = Arc::new(Barrier::new(8));
    let ids: Vec<String> = (0..8)
        .map(|_| {
            let (path, barrier) = (dir.join("state"), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let store = EmbeddedStore::open(&path, Arc::new(SystemClock))
                    .unwrap_or_else(|e| panic!("{e}"));
                barrier.wait();
                block_on(store.installation_id()).unwrap_or_else(|e| panic!("{e}"))
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap_or_else(|_| panic!("thread panicked")))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
}

#[test]
fn eight_racing_senders_yield_exactly_one_lease_holder() {
    let dir = TempDir::new("race-lease");
    let barrier = Arc::new(Barrier::new(8));
    let won: usize = (0..8)
        .map(|i| {
            let (path, barrier) = (dir.join("state"), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let store = EmbeddedStore::open(&path, Arc::new(SystemClock))
                    .unwrap_or_else(|e| panic!("{e}"));
                barrier.wait();
                block_on(store.acquire_lease(
                    "first",
                    &format!("holder-{i}"),
                    Timestamp(1_000),
                    Duration::from_secs(60),
                ))
                .unwrap_or_else(|e| panic!("{e}"))
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| usize::from(t.join().unwrap_or_else(|_| panic!("thread panicked"))))
        .sum();
    assert_eq!(won, 1);
}

#[test]
fn the_state_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("perms");
    let state = dir.join("state");
    let store =
        EmbeddedStore::open(&state, Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"));
    block_on(store.installation_id()).unwrap_or_else(|e| panic!("{e}"));
    block_on(store.settings(false)).unwrap_or_else(|e| panic!("{e}"));
    let ledger = optimize_telemetry::audit::Ledger::new(&state);
    ledger
        .append(
            Timestamp(1),
            "https://t.example/pings",
            true,
            Some(202),
            None,
            b"{}",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    };
    assert_eq!(mode(&state), 0o700);
    for file in [
        "installation.json",
        "installation.backup.json",
        "settings.json",
        "audit.jsonl",
        "audit.lock",
        "store.lock",
    ] {
        assert_eq!(mode(&state.join(file)), 0o600, "{file}");
    }
}

#[test]
fn state_files_planted_as_links_are_never_followed() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let elsewhere_id = "11111111-2222-4333-8444-555555555555";
    for name in ["installation.json", "store.lock", "settings.json"] {
        let dir = TempDir::new("links");
        let state = dir.join("state");
        std::fs::create_dir_all(&state).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700))
            .unwrap_or_else(|e| panic!("{e}"));
        let outside = dir.join("outside.json");
        std::fs::write(
            &outside,
            format!(r#"{{"installationId":"{elsewhere_id}","schemaVersion":1}}"#),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let before = std::fs::read(&outside).unwrap_or_default();
        symlink(&outside, state.join(name)).unwrap_or_else(|e| panic!("{e}"));
        let store =
            EmbeddedStore::open(&state, Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"));
        let id = block_on(store.installation_id());
        let settings = block_on(store.settings(true));
        let err = match name {
            "settings.json" => settings.err().map(|e| e.to_string()),
            _ => id.as_ref().err().map(ToString::to_string),
        }
        .unwrap_or_default();
        assert!(err.contains("symbolic link"), "{name}: {err}");
        assert_ne!(
            id.ok().as_deref(),
            Some(elsewhere_id),
            "{name}: a linked id was read"
        );
        assert_eq!(
            std::fs::read(&outside).unwrap_or_default(),
            before,
            "{name}: written through"
        );
    }
}

#[test]
fn a_state_directory_others_can_write_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("perm-dir");
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o777))
        .unwrap_or_else(|e| panic!("{e}"));
    let err = EmbeddedStore::open(&state, Arc::new(SystemClock))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains(&state.display().to_string()) && err.contains("chmod go-w"),
        "{err}"
    );
    assert!(
        std::fs::read_dir(&state).map(|d| d.count()).unwrap_or(1) == 0,
        "nothing written"
    );
}
