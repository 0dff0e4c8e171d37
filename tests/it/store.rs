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
    ] {
        assert_eq!(mode(&state.join(file)), 0o600, "{file}");
    }
}
