//! `audit` (the ledger, and its verification) and `hash-token`.

use crate::config::Config;

pub(super) fn audit(config: &Config, verify: bool, json: bool) -> u8 {
    let ledger = crate::audit::Ledger::new(&config.state.dir);
    let entries = match ledger.read() {
        Ok(e) => e,
        Err(e) => {
            note!("optimize-telemetry: error: {e}");
            return 1;
        }
    };
    if verify {
        return match ledger.verify(&entries) {
            crate::audit::Verdict::Intact { entries, first_seq } => {
                match first_seq {
                    Some(first) if first > 1 => outln!(
                        "audit ledger intact: {entries} entries, from entry {first} (entries before it were rotated out)"
                    ),
                    _ => outln!("audit ledger intact: {entries} entries"),
                }
                0
            }
            crate::audit::Verdict::Broken {
                file,
                line,
                seq,
                reason,
            } => {
                let which = seq.map_or_else(|| "an entry".to_owned(), |s| format!("entry {s}"));
                note!(
                    "audit ledger broken at {which} ({}:{line}): {reason}",
                    file.display()
                );
                1
            }
        };
    }
    if entries.is_empty() {
        outln!(
            "no send attempts recorded in {}",
            config.state.dir.display()
        );
        return 0;
    }
    for located in &entries {
        match &located.entry {
            Ok(e) if json => outln!("{}", serde_json::to_string(e).unwrap_or_default()),
            Ok(e) if e.consent.is_some() => {
                let c = e.consent.as_ref().unwrap_or(&serde_json::Value::Null);
                let text = |k: &str| c[k].as_str().unwrap_or("-").to_owned();
                outln!(
                    "{:>5}  {}  {:<6}  by {} (spec {}, digest {})",
                    e.seq,
                    e.time.rfc3339(),
                    text("event"),
                    text("by"),
                    text("specVersion"),
                    text("digest").chars().take(16).collect::<String>()
                )
            }
            Ok(e) => outln!(
                "{:>5}  {}  {}  {:<24}  sha256:{}",
                e.seq,
                e.time.rfc3339(),
                if e.success { "sent  " } else { "failed" },
                match (e.status, &e.error) {
                    (Some(s), _) => format!("HTTP {s}"),
                    (None, Some(err)) => err.chars().take(24).collect(),
                    (None, None) => "-".into(),
                },
                e.payload_sha256.chars().take(16).collect::<String>()
            ),
            Err(why) => outln!(
                "  ???  unreadable line {}:{} ({why})",
                located.file.display(),
                located.line
            ),
        }
    }
    0
}

pub(super) fn hash_token() -> u8 {
    let mut token = String::new();
    if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut token) {
        note!("optimize-telemetry: error: cannot read standard input: {e}");
        return 2;
    }
    if token.trim().is_empty() {
        note!("optimize-telemetry: error: no token on standard input");
        return 2;
    }
    outln!("{}", crate::control::auth::digest_hex(&token));
    0
}
