//! The audit ledger: every send attempt, appended to `audit.jsonl` in the state directory.
//!
//! Each line holds the time, the endpoint, the outcome, the payload itself and its SHA-256, a
//! sequence number, and the hash of the previous entry: a hash chain. Editing, removing or
//! reordering an entry breaks the chain, and [`verify`] names the first entry where it breaks.
//! The ledger is size-bounded: when `audit.jsonl` grows past its limit it becomes
//! `audit.1.jsonl` (older files shift up, the oldest is dropped); the chain runs on across files,
//! so what is kept stays verifiable from its oldest entry on. The first entry of each file after
//! a rotation carries the rotation's number, so lines deleted from the start of a file, or a
//! rotated file deleted in the middle, are told apart from rotation.
//!
//! Approvals, revocations and the migration of a setting stored before approvals were recorded
//! are entries of the same chain ([`Ledger::append_consent`]): they carry a `consent` object and
//! no payload. The field is hashed only when present, so older ledgers verify as before.

use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::statefs;

pub const FILE: &str = "audit.jsonl";
const LOCK: &str = "audit.lock";
/// The `prev` of the very first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One attempt as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entry {
    pub seq: u64,
    pub time: Timestamp,
    pub endpoint: String,
    pub success: bool,
    /// The HTTP status, if the server answered.
    pub status: Option<u16>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    pub payload_sha256: String,
    pub payload: serde_json::Value,
    /// The hash of the previous entry (or [`GENESIS`]).
    pub prev: String,
    /// On the first entry of a file that a rotation started: how many rotations came before
    /// it, counting this one (1 for the first rotated-into file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<u64>,
    /// On an approval, revocation or migration entry: what was decided, by whom, for which
    /// spec (see [`crate::consent::ledger_event`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<serde_json::Value>,
    /// SHA-256 of this entry without this field, in the canonical serialization.
    pub hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit ledger `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    UnsafeDir(#[from] statefs::UnsafeDir),
}

/// Where the ledger lives and how big it may grow.
#[derive(Debug, Clone)]
pub struct Ledger {
    dir: PathBuf,
    /// Rotate `audit.jsonl` once it is larger than this.
    pub max_bytes: u64,
    /// How many rotated files are kept besides `audit.jsonl`.
    pub keep: usize,
}

/// The hash of an entry: SHA-256 over its fields except `hash`, serialized in field order.
fn entry_hash(e: &Entry) -> String {
    let mut unhashed = serde_json::json!({
        "seq": e.seq,
        "time": e.time,
        "endpoint": e.endpoint,
        "success": e.success,
        "status": e.status,
        "error": e.error,
        "payloadSha256": e.payload_sha256,
        "payload": e.payload,
        "prev": e.prev,
    });
    // Absent on most entries, so ledgers written before it was introduced hash as they did.
    if let (Some(r), Some(map)) = (e.rotation, unhashed.as_object_mut()) {
        map.insert("rotation".into(), r.into());
    }
    // Likewise absent on send attempts.
    if let (Some(c), Some(map)) = (&e.consent, unhashed.as_object_mut()) {
        map.insert("consent".into(), c.clone());
    }
    crate::hex::sha256_hex(unhashed.to_string().as_bytes())
}

fn io(path: &Path, source: std::io::Error) -> AuditError {
    AuditError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// One line of a ledger file, where it was read.
#[derive(Debug, Clone)]
pub struct Located {
    pub file: PathBuf,
    pub line: usize,
    pub entry: Result<Entry, String>,
}

impl Ledger {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            max_bytes: 1024 * 1024,
            keep: 4,
        }
    }

    /// [`verify`] with this ledger's rotation limit.
    pub fn verify(&self, entries: &[Located]) -> Verdict {
        verify(entries, self.keep)
    }

    fn rotated(&self, n: usize) -> PathBuf {
        self.dir.join(format!("audit.{n}.jsonl"))
    }

    /// The ledger files, oldest first.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = (1..=self.keep)
            .rev()
            .map(|n| self.rotated(n))
            .filter(|p| p.symlink_metadata().is_ok())
            .collect();
        let current = self.dir.join(FILE);
        if current.symlink_metadata().is_ok() {
            files.push(current);
        }
        files
    }

    /// Every entry, oldest first, with where it was read; unparseable lines are kept as errors.
    pub fn read(&self) -> Result<Vec<Located>, AuditError> {
        let mut out = Vec::new();
        for file in self.files() {
            let bytes = statefs::read(&file).map_err(|e| io(&file, e))?;
            let text = String::from_utf8_lossy(&bytes);
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                out.push(Located {
                    file: file.clone(),
                    line: i + 1,
                    entry: serde_json::from_str(line).map_err(|e| e.to_string()),
                });
            }
        }
        Ok(out)
    }

    /// Appends one attempt; `payload` is the exact bytes sent.
    #[allow(clippy::too_many_arguments)]
    pub fn append(
        &self,
        time: Timestamp,
        endpoint: &str,
        success: bool,
        status: Option<u16>,
        error: Option<String>,
        payload: &[u8],
    ) -> Result<Entry, AuditError> {
        self.append_entry(time, endpoint, success, status, error, payload, None)
    }

    /// Appends an approval, revocation or migration: nothing was sent, so no endpoint and a
    /// `null` payload.
    pub fn append_consent(
        &self,
        time: Timestamp,
        consent: serde_json::Value,
    ) -> Result<Entry, AuditError> {
        self.append_entry(time, "", true, None, None, b"null", Some(consent))
    }

    #[allow(clippy::too_many_arguments)]
    fn append_entry(
        &self,
        time: Timestamp,
        endpoint: &str,
        success: bool,
        status: Option<u16>,
        error: Option<String>,
        payload: &[u8],
        consent: Option<serde_json::Value>,
    ) -> Result<Entry, AuditError> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| io(&self.dir, e))?;
        statefs::check_dir(&self.dir)?;
        let lock_path = self.dir.join(LOCK);
        let lock = statefs::open(
            &lock_path,
            statefs::options().create(true).truncate(false).write(true),
        )
        .map_err(|e| io(&lock_path, e))?;
        lock.lock().map_err(|e| io(&lock_path, e))?;
        let kept: Vec<Entry> = self
            .read()?
            .into_iter()
            .filter_map(|l| l.entry.ok())
            .collect();
        let rotations = kept.iter().filter_map(|e| e.rotation).max().unwrap_or(0);
        let last = kept.into_iter().last();
        let current = self.dir.join(FILE);
        discard_torn_line(&current)?;
        if std::fs::metadata(&current).is_ok_and(|m| m.len() > self.max_bytes) {
            self.rotate()?;
        }
        // A file that a rotation started (now, or by a run that died before writing to it).
        let starts_file =
            last.is_some() && std::fs::metadata(&current).map_or(true, |m| m.len() == 0);
        let mut entry = Entry {
            seq: last.as_ref().map_or(1, |e| e.seq + 1),
            time,
            endpoint: endpoint.to_owned(),
            success,
            status,
            error,
            payload_sha256: crate::hex::sha256_hex(payload),
            payload: serde_json::from_slice(payload).unwrap_or(serde_json::Value::Null),
            prev: last.map_or_else(|| GENESIS.to_owned(), |e| e.hash),
            rotation: starts_file.then_some(rotations + 1),
            consent,
            hash: String::new(),
        };
        entry.hash = entry_hash(&entry);
        let mut line = serde_json::to_vec(&entry).unwrap_or_default();
        line.push(b'\n');
        // The ledger holds every payload, business-confidential items included: owner only.
        let mut file = statefs::open(&current, statefs::options().create(true).append(true))
            .map_err(|e| io(&current, e))?;
        file.write_all(&line).map_err(|e| io(&current, e))?;
        file.sync_all().map_err(|e| io(&current, e))?;
        let _ = lock.unlock();
        Ok(entry)
    }

    fn rotate(&self) -> Result<(), AuditError> {
        let oldest = self.rotated(self.keep);
        if oldest.exists() {
            std::fs::remove_file(&oldest).map_err(|e| io(&oldest, e))?;
        }
        for n in (1..self.keep).rev() {
            let from = self.rotated(n);
            if from.exists() {
                std::fs::rename(&from, self.rotated(n + 1)).map_err(|e| io(&from, e))?;
            }
        }
        let current = self.dir.join(FILE);
        std::fs::rename(&current, self.rotated(1)).map_err(|e| io(&current, e))
    }
}

/// A crash during an append can leave a last line without its newline: an entry that was never
/// completed. It is cut off before the next append, so the new entry starts on a line of its
/// own; entries that were completed are never touched.
fn discard_torn_line(path: &Path) -> Result<(), AuditError> {
    let Ok(bytes) = statefs::read(path) else {
        return Ok(());
    };
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(());
    }
    let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    tracing::warn!(file = %path.display(), dropped = bytes.len() - keep, "discarding an audit entry that a crash left unfinished");
    let file = statefs::open(path, statefs::options().write(true)).map_err(|e| io(path, e))?;
    file.set_len(keep as u64).map_err(|e| io(path, e))?;
    file.sync_all().map_err(|e| io(path, e))
}

/// Seals an entry: computes its `hash` from its content (what `append` does).
pub fn seal(entry: &mut Entry) {
    entry.hash = entry_hash(entry);
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The chain holds: `entries` entries, the oldest kept being number `first_seq`.
    Intact {
        entries: usize,
        first_seq: Option<u64>,
    },
    /// The chain breaks at this entry.
    Broken {
        file: PathBuf,
        line: usize,
        seq: Option<u64>,
        reason: String,
    },
}

/// Checks every kept entry: its own hash, its link to the one before, and the sequence; and
/// that the kept files are what rotation leaves (`keep` rotated files at most, see [`Ledger`]):
/// each file after the first starts with the next rotation marker, and entries missing before
/// the oldest kept one were rotated out, not deleted.
pub fn verify(entries: &[Located], keep: usize) -> Verdict {
    let mut previous: Option<&Entry> = None;
    let mut file: Option<&Path> = None;
    // (rotation number of the oldest kept file, of the newest, files seen)
    let mut files = (0u64, 0u64, 0usize);
    for located in entries {
        let broken = |seq: Option<u64>, reason: String| Verdict::Broken {
            file: located.file.clone(),
            line: located.line,
            seq,
            reason,
        };
        let entry = match &located.entry {
            Ok(e) => e,
            Err(why) => return broken(None, format!("not a ledger entry ({why})")),
        };
        if entry_hash(entry) != entry.hash {
            return broken(
                Some(entry.seq),
                "its content does not match its hash: the entry was edited".into(),
            );
        }
        // The payload is sent as compact JSON, which is how it is stored re-serialized.
        if crate::hex::sha256_hex(entry.payload.to_string().as_bytes()) != entry.payload_sha256 {
            return broken(
                Some(entry.seq),
                "its payload does not match the payload hash".into(),
            );
        }
        let first_of_file = file != Some(located.file.as_path());
        file = Some(located.file.as_path());
        match (first_of_file, entry.rotation, previous) {
            (false, Some(_), _) => {
                return broken(
                    Some(entry.seq),
                    "a rotation marker in the middle of a file: entries were moved".into(),
                );
            }
            (true, marker, Some(_)) => {
                let expected = files.1 + 1;
                if marker != Some(expected) {
                    return broken(
                        Some(entry.seq),
                        format!(
                            "this file should start with rotation {expected}: lines were removed from its start, or a rotated file is missing before it"
                        ),
                    );
                }
                files = (files.0, expected, files.2 + 1);
            }
            (true, marker, None) => {
                if entry.seq != 1 && marker.is_none() {
                    return broken(
                        Some(entry.seq),
                        format!(
                            "entries 1 to {} are missing, and this is not where a rotation started a file: they were removed",
                            entry.seq - 1
                        ),
                    );
                }
                let r = marker.unwrap_or(0);
                files = (r, r, 1);
            }
            (false, None, _) => {}
        }
        match previous {
            None => {
                if entry.seq == 1 && entry.prev != GENESIS {
                    return broken(Some(1), "the first entry does not start the chain".into());
                }
            }
            Some(p) => {
                if entry.seq != p.seq + 1 {
                    return broken(
                        Some(entry.seq),
                        format!(
                            "expected entry {} here: an entry was removed or moved",
                            p.seq + 1
                        ),
                    );
                }
                if entry.prev != p.hash {
                    return broken(
                        Some(entry.seq),
                        "it does not link to the entry before it".into(),
                    );
                }
            }
        }
        previous = Some(entry);
    }
    // Rotation drops a file only when `keep` rotated files exist besides the current one.
    let (oldest, newest, seen) = files;
    if oldest > 0
        && seen < keep + 1
        && let Some(first) = entries.first()
    {
        return Verdict::Broken {
            file: first.file.clone(),
            line: first.line,
            seq: first.entry.as_ref().ok().map(|e| e.seq),
            reason: format!(
                "rotation {oldest} is the oldest file kept, but only {seen} of the {} files rotation keeps are present (newest rotation {newest}): a rotated file was removed",
                keep + 1
            ),
        };
    }
    Verdict::Intact {
        entries: entries.len(),
        first_seq: entries
            .first()
            .and_then(|l| l.entry.as_ref().ok())
            .map(|e| e.seq),
    }
}
