//! The audit ledger: appended on every attempt, verified as a hash chain, and any edit, removal
//! or reordering is found and named; rotation keeps what remains verifiable.

use optimize_telemetry::audit::{Ledger, Verdict, verify};
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
    verify(&ledger.read().unwrap_or_else(|e| panic!("{e}")))
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
        optimize_telemetry::audit::sha256_hex(third.payload.to_string().as_bytes())
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
