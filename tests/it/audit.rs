//! The audit ledger: appended on every attempt, verified as a hash chain, and any edit, removal
//! or reordering is found and named; rotation keeps what remains verifiable.

use optimize_telemetry::audit::{Ledger, Verdict};
use optimize_telemetry::clock::Timestamp;

use crate::support::TempDir;

fn filled(dir: &TempDir, n: u64) -> Ledger {
    let ledger = Ledger::new(&dir.join("state"));
    for i in 0..n {
        let payload =
            format!(r#"{{"installation":"7b86edba-fcb7-11ea-adc1-0242ac120002","attempt":{i}}}"#);
        let ok = i % 3 != 1;
        ledger
            .append(
                Timestamp(1_700_000_000_000 + i * 1000),
                "https://t.example/pings",
                ok,
                ok.then_some(202).or(Some(503)),
                None,
                payload.as_bytes(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }
    ledger
}

fn verdict(ledger: &Ledger) -> Verdict {
    ledger.verify(&ledger.read().unwrap_or_else(|e| panic!("{e}")))
}

fn broken_at(v: Verdict) -> (Option<u64>, usize, String) {
    match v {
        Verdict::Broken {
            seq, line, reason, ..
        } => (seq, line, reason),
        Verdict::Intact { .. } => panic!("tampering went unnoticed"),
    }
}

fn edit_lines(ledger_file: &std::path::Path, f: impl FnOnce(&mut Vec<String>)) {
    let text = std::fs::read_to_string(ledger_file).unwrap_or_else(|e| panic!("{e}"));
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    f(&mut lines);
    std::fs::write(ledger_file, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn an_untouched_ledger_verifies() {
    let dir = TempDir::new("ledger-ok");
    let ledger = filled(&dir, 5);
    assert_eq!(
        verdict(&ledger),
        Verdict::Intact {
            entries: 5,
            first_seq: Some(1)
        }
    );
    let entries = ledger.read().unwrap_or_default();
    let third = entries[2].entry.as_ref().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(third.seq, 3);
    assert_eq!(third.payload["attempt"], 2);
    assert_eq!(
        third.payload_sha256,
        optimize_telemetry::hex::sha256_hex(third.payload.to_string().as_bytes())
    );
}

#[test]
fn an_edited_byte_is_found_and_named() {
    let dir = TempDir::new("ledger-edit");
    let ledger = filled(&dir, 5);
    edit_lines(&dir.join("state/audit.jsonl"), |lines| {
        lines[2] = lines[2].replacen("\"success\":true", "\"success\":false", 1);
        if !lines[2].contains("\"success\":false") {
            lines[2] = lines[2].replacen("503", "202", 1);
        }
    });
    let (seq, line, reason) = broken_at(verdict(&ledger));
    assert_eq!((seq, line), (Some(3), 3));
    assert!(reason.contains("edited"), "{reason}");
}

#[test]
fn a_dropped_line_is_found_and_named() {
    let dir = TempDir::new("ledger-drop");
    let ledger = filled(&dir, 5);
    edit_lines(&dir.join("state/audit.jsonl"), |lines| {
        lines.remove(1);
    });
    let (seq, _, reason) = broken_at(verdict(&ledger));
    assert_eq!(seq, Some(3));
    assert!(reason.contains("expected entry 2"), "{reason}");
}

#[test]
fn swapped_lines_are_found_and_named() {
    let dir = TempDir::new("ledger-swap");
    let ledger = filled(&dir, 5);
    edit_lines(&dir.join("state/audit.jsonl"), |lines| lines.swap(1, 3));
    let (seq, line, _) = broken_at(verdict(&ledger));
    assert_eq!((seq, line), (Some(4), 2));
}

#[test]
fn a_rehashed_forgery_still_breaks_the_chain() {
    // Rewriting entry 2 and sealing it again makes entry 2 itself look fine; entry 3 still links
    // to the original hash, so the chain breaks there.
    let dir = TempDir::new("ledger-forge");
    let ledger = filled(&dir, 3);
    let entries = ledger.read().unwrap_or_default();
    let mut forged = entries[1].entry.clone().unwrap_or_else(|e| panic!("{e}"));
    forged.endpoint = "https://elsewhere.example/pings".into();
    optimize_telemetry::audit::seal(&mut forged);
    edit_lines(&dir.join("state/audit.jsonl"), |lines| {
        lines[1] = serde_json::to_string(&forged).unwrap_or_default();
    });
    let (seq, line, reason) = broken_at(verdict(&ledger));
    assert_eq!((seq, line), (Some(3), 3), "{reason}");
    assert!(reason.contains("does not link"), "{reason}");
}

#[test]
fn an_unfinished_last_line_is_dropped_before_the_next_entry() {
    let dir = TempDir::new("ledger-torn");
    let ledger = filled(&dir, 2);
    let file = dir.join("state/audit.jsonl");
    let mut text = std::fs::read_to_string(&file).unwrap_or_default();
    text.push_str("{\"seq\":3,\"time\":");
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    ledger
        .append(
            Timestamp(9),
            "https://t.example/pings",
            true,
            Some(202),
            None,
            b"{}",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        verdict(&ledger),
        Verdict::Intact {
            entries: 3,
            first_seq: Some(1)
        }
    );
}

#[test]
fn rotation_bounds_the_size_and_keeps_the_chain_verifiable() {
    let dir = TempDir::new("ledger-rotate");
    let ledger = rotated_ledger(&dir);
    let files = ledger.files();
    assert_eq!(
        files.len(),
        3,
        "audit.2, audit.1 and audit.jsonl: {files:?}"
    );
    let total: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    assert!(total < 4 * 2_600, "the ledger is bounded: {total} bytes");
    match verdict(&ledger) {
        Verdict::Intact { entries, first_seq } => {
            assert!(entries < 40);
            assert_eq!(
                first_seq,
                Some(40 - entries as u64 + 1),
                "the newest entries are kept, in order"
            );
        }
        v => panic!("{v:?}"),
    }
    // A rotated file edited still breaks the chain across files.
    edit_lines(&files[0], |lines| {
        lines[0] = lines[0].replacen("\"n\":", "\"m\":", 1)
    });
    assert!(matches!(verdict(&ledger), Verdict::Broken { .. }));
}

/// 40 entries of about 250 bytes in a ledger that rotates at 2,000 bytes and keeps 2 files.
fn rotated_ledger(dir: &TempDir) -> Ledger {
    let mut ledger = Ledger::new(&dir.join("state"));
    ledger.max_bytes = 2_000;
    ledger.keep = 2;
    for i in 0..40u64 {
        ledger
            .append(
                Timestamp(i),
                "https://t.example/pings",
                true,
                Some(202),
                None,
                format!(r#"{{"n":{i},"pad":"{}"}}"#, "x".repeat(200)).as_bytes(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }
    ledger
}

#[test]
fn deleting_the_oldest_lines_of_the_only_file_is_not_mistaken_for_rotation() {
    let dir = TempDir::new("ledger-head");
    let ledger = filled(&dir, 5);
    edit_lines(&dir.join("state/audit.jsonl"), |lines| {
        lines.drain(..2);
    });
    let (seq, line, reason) = broken_at(verdict(&ledger));
    assert_eq!((seq, line), (Some(3), 1));
    assert!(reason.contains("entries 1 to 2 are missing"), "{reason}");
}

#[test]
fn lines_cut_from_the_start_of_a_rotated_file_or_a_missing_rotated_file_are_found() {
    let dir = TempDir::new("ledger-rot-head");
    let ledger = rotated_ledger(&dir);
    let files = ledger.files();
    // The oldest kept file's first line is where a rotation started it.
    edit_lines(&files[0], |lines| {
        lines.remove(0);
    });
    let (_, _, reason) = broken_at(verdict(&ledger));
    assert!(reason.contains("not where a rotation started"), "{reason}");

    let dir = TempDir::new("ledger-rot-mid");
    let ledger = rotated_ledger(&dir);
    let files = ledger.files();
    edit_lines(&files[1], |lines| {
        lines.remove(0);
    });
    let (_, _, reason) = broken_at(verdict(&ledger));
    assert!(reason.contains("should start with rotation"), "{reason}");

    // Deleting the oldest rotated file leaves fewer files than rotation keeps.
    let dir = TempDir::new("ledger-rot-file");
    let ledger = rotated_ledger(&dir);
    let files = ledger.files();
    std::fs::remove_file(&files[0]).unwrap_or_else(|e| panic!("{e}"));
    let (_, _, reason) = broken_at(verdict(&ledger));
    assert!(reason.contains("a rotated file was removed"), "{reason}");
}

#[test]
fn an_entry_with_an_extra_field_does_not_verify() {
    let dir = TempDir::new("ledger-extra");
    let ledger = filled(&dir, 3);
    edit_lines(&dir.join("state/audit.jsonl"), |lines| {
        lines[1] = lines[1].replacen('{', r#"{"note":"approved by legal","#, 1);
    });
    let (_, line, reason) = broken_at(verdict(&ledger));
    assert_eq!(line, 2);
    assert!(reason.contains("unknown field `note`"), "{reason}");
}

#[test]
fn the_ledger_and_its_lock_are_never_written_through_links() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    for name in ["audit.jsonl", "audit.lock"] {
        let dir = TempDir::new("ledger-link");
        let state = dir.join("state");
        std::fs::create_dir_all(&state).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700))
            .unwrap_or_else(|e| panic!("{e}"));
        let outside = dir.join("outside");
        symlink(&outside, state.join(name)).unwrap_or_else(|e| panic!("{e}"));
        let err = Ledger::new(&state)
            .append(
                Timestamp(1),
                "https://t.example/p",
                true,
                Some(202),
                None,
                b"{}",
            )
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("symbolic link"), "{name}: {err}");
        assert!(!outside.exists(), "{name}: written through the link");
    }
    // The lock file is the owner's only, like the ledger.
    let dir = TempDir::new("ledger-lock-mode");
    let _ = filled(&dir, 1);
    for name in ["audit.lock", "audit.jsonl"] {
        let mode = std::fs::metadata(dir.join(&format!("state/{name}")))
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600, "{name}");
    }
}
