//! The embedded store: a directory of small JSON files, for a single host.
//!
//! Every operation holds an exclusive lock on `store.lock` (an OS file lock, released by the
//! kernel when a process dies) for one read-modify-write, so several processes sharing the
//! directory never both create an installation id nor both win the send lease of a period.
//! Every write goes to a temporary file that is flushed to disk and then renamed over the old
//! one, so a process killed at any moment leaves either the old or the new file, never a mix.
//! The installation id is also kept in a backup file, written first; a damaged id file is
//! restored from it, and the id is never replaced.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{ApproveFn, Attempt, PeriodEnd, SendState, Settings, StateStore, StoreError};
use crate::clock::{Clock, Timestamp};
use crate::statefs;

const LOCK: &str = "store.lock";
const INSTALLATION: &str = "installation.json";
const INSTALLATION_BACKUP: &str = "installation.backup.json";
pub(super) const SETTINGS: &str = "settings.json";
const SETTINGS_BACKUP: &str = "settings.backup.json";
pub(super) const SEND_STATE: &str = "send-state.json";
const SEND_STATE_BACKUP: &str = "send-state.backup.json";

/// The installation document, shaped like Optimize's metadata document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Installation {
    installation_id: String,
    schema_version: u32,
}

#[derive(Debug, Clone)]
pub struct EmbeddedStore {
    dir: Arc<PathBuf>,
    clock: Arc<dyn Clock>,
    /// Used to repair a send state whose file and backup are both damaged.
    interval: Duration,
}

impl EmbeddedStore {
    /// Opens (and creates, if needed) the store directory.
    pub fn open(dir: &Path, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|source| io(dir, source))?;
        }
        crate::statefs::check_dir(dir).map_err(StoreError::UnsafeDir)?;
        remove_stale_temporaries(dir);
        Ok(Self {
            dir: Arc::new(dir.to_path_buf()),
            clock,
            // Assumed when repairing a lost send state without being told the interval.
            interval: crate::config::Config::default().interval,
        })
    }

    /// The reporting interval, for repairing a send state that is damaged beyond its backup.
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `f` on a blocking thread while holding the store lock.
    fn locked<T, F>(&self, f: F) -> BoxFuture<'static, Result<T, StoreError>>
    where
        T: Send + 'static,
        F: FnOnce(&Path) -> Result<T, StoreError> + Send + 'static,
    {
        let dir = Arc::clone(&self.dir);
        Box::pin(async move {
            match tokio::task::spawn_blocking(move || with_lock(&dir, f)).await {
                Ok(result) => result,
                Err(e) => Err(StoreError::Other(format!("store task failed: {e}"))),
            }
        })
    }

    /// Reads the send state; run under the lock. If the file and its backup are both damaged,
    /// the next report is planned one interval from now: a lost state may skip a period, but
    /// never makes a report go out early.
    fn load_send_state(
        dir: &Path,
        now: Timestamp,
        interval: Duration,
    ) -> Result<SendState, StoreError> {
        match read_kept::<SendState>(dir, SEND_STATE, SEND_STATE_BACKUP)? {
            Kept::Found(state) => Ok(state),
            Kept::Missing => Ok(SendState::default()),
            Kept::Damaged => {
                let repaired = SendState {
                    next_due: Some(now.plus(interval)),
                    ..SendState::default()
                };
                tracing::warn!(dir = %dir.display(), "the send state and its backup are damaged; the next report is planned one interval from now");
                write_kept(dir, SEND_STATE, SEND_STATE_BACKUP, &repaired)?;
                Ok(repaired)
            }
        }
    }

    /// Read-modify-write of the send state under the lock.
    fn change_send_state<T: Send + 'static>(
        &self,
        change: impl FnOnce(SendState) -> (Option<SendState>, T) + Send + 'static,
    ) -> BoxFuture<'static, Result<T, StoreError>> {
        let (clock, interval) = (Arc::clone(&self.clock), self.interval);
        self.locked(move |dir| {
            let state = Self::load_send_state(dir, clock.now(), interval)?;
            let (next, result) = change(state);
            if let Some(next) = next {
                write_kept(dir, SEND_STATE, SEND_STATE_BACKUP, &next)?;
            }
            Ok(result)
        })
    }
}

/// What reading a file kept with a backup found.
enum Kept<T> {
    Found(T),
    Missing,
    /// The file and its backup are both unreadable.
    Damaged,
}

/// Reads `name`, falling back to (and restoring from) its backup when it is missing or damaged.
fn read_kept<T: DeserializeOwned + Serialize>(
    dir: &Path,
    name: &str,
    backup: &str,
) -> Result<Kept<T>, StoreError> {
    let primary = dir.join(name);
    let backup = dir.join(backup);
    let damaged = exists(&primary);
    if let Some(value) = read_json::<T>(&primary)? {
        return Ok(Kept::Found(value));
    }
    if let Some(value) = read_json::<T>(&backup)? {
        tracing::warn!(file = %primary.display(), "state file missing or damaged; restored from its backup");
        write_json(&primary, &value)?;
        return Ok(Kept::Found(value));
    }
    Ok(if damaged || exists(&backup) {
        Kept::Damaged
    } else {
        Kept::Missing
    })
}

/// Writes `name` and then its backup, each atomically: whenever the file is readable it is the
/// newest state, and the backup is at most one write behind.
fn write_kept<T: Serialize>(
    dir: &Path,
    name: &str,
    backup: &str,
    value: &T,
) -> Result<(), StoreError> {
    write_json(&dir.join(name), value)?;
    write_json(&dir.join(backup), value)
}

fn io(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn with_lock<T>(
    dir: &Path,
    f: impl FnOnce(&Path) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let path = dir.join(LOCK);
    // Opened for reading once it exists: closing a file opened for writing is an event that
    // would wake every process following the directory (`super::changes`) at every operation.
    let opened = match statefs::open(&path, statefs::options().read(true)) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => statefs::open(
            &path,
            statefs::options().create(true).truncate(false).write(true),
        ),
        opened => opened,
    };
    let lock = match opened {
        Ok(lock) => lock,
        // On a read-only file system nobody can write the store, so reading it unlocked is
        // safe (files are only ever replaced whole); a write still fails, with its own error.
        Err(e) if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem => return f(dir),
        Err(e) => return Err(io(&path, e)),
    };
    lock.lock().map_err(|e| io(&path, e))?;
    let result = f(dir);
    // Closing the file releases the lock too; unlocking first makes the order explicit.
    let _ = lock.unlock();
    result
}

/// Reads a JSON file: `Ok(None)` if it does not exist, `Err` if it cannot be read, and
/// `Ok(None)` with a log line if it is damaged (the callers decide how to recover).
fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, StoreError> {
    match statefs::read(path) {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(value) => Ok(Some(value)),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "state file is damaged; recovering");
                Ok(None)
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path, e)),
    }
}

/// Writes `value` to `path` atomically: temporary file, fsync, rename, fsync of the directory.
fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| StoreError::Other(e.to_string()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        path.file_name()
            .map_or_else(|| "state".into(), |n| n.to_string_lossy()),
        std::process::id(),
        fastrand::u32(..)
    ));
    let result = (|| {
        // Only the owner may read the state: it holds the setting and the installation id.
        let mut file = statefs::open(&tmp, statefs::options().write(true).create_new(true))?;
        file.write_all(&bytes)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // The rename itself must reach the disk, or a crash could bring back the old file.
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| io(path, e))
}

/// Removes the temporary files of writers that died before their rename (`kill -9`). A file is
/// only removed if the process named in it is gone, so a live writer's file is never touched.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_suffix(".tmp")
            .and_then(|rest| rest.rsplit('.').nth(1))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
        if !alive {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

fn load_installation(dir: &Path) -> Result<String, StoreError> {
    let primary = dir.join(INSTALLATION);
    let backup = dir.join(INSTALLATION_BACKUP);
    let valid =
        |i: Option<Installation>| i.filter(|i| uuid::Uuid::parse_str(&i.installation_id).is_ok());
    if let Some(i) = valid(read_json(&primary)?) {
        if !matches!(valid(read_json(&backup)?), Some(ref b) if *b == i) {
            write_json(&backup, &i)?;
        }
        return Ok(i.installation_id);
    }
    if let Some(i) = valid(read_json(&backup)?) {
        tracing::warn!(file = %primary.display(), "installation id file missing or damaged; restored from its backup");
        write_json(&primary, &i)?;
        return Ok(i.installation_id);
    }
    if exists(&primary) || exists(&backup) {
        return Err(StoreError::InstallationIdLost {
            path: primary.display().to_string(),
        });
    }
    let created = Installation {
        installation_id: uuid::Uuid::new_v4().to_string(),
        schema_version: 1,
    };
    // Backup first: a crash between the two writes leaves a backup to restore from.
    write_json(&backup, &created)?;
    write_json(&primary, &created)?;
    // Not the id itself: it is a reported value, and logs hold none (docs/security.md).
    tracing::info!(file = %primary.display(), "created the installation id");
    Ok(created.installation_id)
}

impl StateStore for EmbeddedStore {
    fn local_dir(&self) -> Option<&Path> {
        Some(&self.dir)
    }

    fn installation_id(&self) -> BoxFuture<'_, Result<String, StoreError>> {
        self.locked(load_installation)
    }

    fn settings(&self, initialize: bool) -> BoxFuture<'_, Result<Settings, StoreError>> {
        self.locked(move |dir| match read_kept::<Settings>(dir, SETTINGS, SETTINGS_BACKUP)? {
            Kept::Found(s) => Ok(s),
            Kept::Missing => {
                // `initializeTelemetry` only ever seeds a setting that does not exist yet.
                let seeded = Settings::seeded(initialize);
                write_kept(dir, SETTINGS, SETTINGS_BACKUP, &seeded)?;
                Ok(seeded)
            }
            Kept::Damaged => {
                // Never switched on by damage: off, until a superuser sets it again.
                tracing::error!(dir = %dir.display(), "the telemetry setting and its backup are damaged; telemetry stays off until a superuser sets it again");
                Ok(Settings::seeded(false))
            }
        })
    }

    fn put_settings(&self, s: Settings) -> BoxFuture<'_, Result<Settings, StoreError>> {
        self.locked(move |dir| {
            write_kept(dir, SETTINGS, SETTINGS_BACKUP, &s)?;
            Ok(s)
        })
    }

    fn complete_approval(
        &self,
        approve: ApproveFn,
    ) -> BoxFuture<'_, Result<Option<Settings>, StoreError>> {
        self.locked(move |dir| {
            let Kept::Found(stored) = read_kept::<Settings>(dir, SETTINGS, SETTINGS_BACKUP)? else {
                return Ok(None);
            };
            let Some(done) = super::completed(&stored, approve) else {
                return Ok(None);
            };
            write_kept(dir, SETTINGS, SETTINGS_BACKUP, &done)?;
            Ok(Some(done))
        })
    }

    fn send_state(&self) -> BoxFuture<'_, Result<SendState, StoreError>> {
        self.change_send_state(|state| (None, state))
    }

    fn acquire_lease<'a>(
        &'a self,
        period: &'a str,
        holder: &'a str,
        now: Timestamp,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let (period, holder) = (period.to_owned(), holder.to_owned());
        self.change_send_state(move |state| {
            let next = super::take_lease(state, &period, &holder, now, ttl);
            let won = next.is_some();
            (next, won)
        })
    }

    fn record_attempt<'a>(&'a self, attempt: Attempt) -> BoxFuture<'a, Result<(), StoreError>> {
        self.change_send_state(move |mut state| {
            state.last_attempt = Some(attempt);
            (Some(state), ())
        })
    }

    fn finish_period<'a>(
        &'a self,
        period: &'a str,
        holder: &'a str,
        end: PeriodEnd,
        interval: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let (period, holder) = (period.to_owned(), holder.to_owned());
        let clock = Arc::clone(&self.clock);
        self.change_send_state(move |state| {
            let next = super::end_period(state, &period, &holder, end, interval, clock.now());
            let ended = next.is_some();
            (next, ended)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "ot-embedded-{name}-{}-{}",
            std::process::id(),
            fastrand::u32(..)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn store(dir: &Path) -> EmbeddedStore {
        EmbeddedStore::open(dir, Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn the_installation_id_is_created_once_and_survives_damage() {
        let dir = temp("id");
        let s = store(&dir);
        let id = s.installation_id().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(uuid::Uuid::parse_str(&id).is_ok());
        assert_eq!(s.installation_id().await.ok().as_deref(), Some(id.as_str()));
        std::fs::write(dir.join(INSTALLATION), b"{\"installationId\": 12")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.installation_id().await.ok().as_deref(),
            Some(id.as_str()),
            "restored from the backup"
        );
        std::fs::write(dir.join(INSTALLATION), b"garbage").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join(INSTALLATION_BACKUP), b"garbage").unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(
                s.installation_id().await,
                Err(StoreError::InstallationIdLost { .. })
            ),
            "never invents a new id"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn temporaries_of_dead_writers_are_removed_and_live_ones_kept() {
        let dir = temp("tmp");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let dead = dir.join(".settings.json.999999999.123.tmp");
        let live = dir.join(format!(".settings.json.{}.456.tmp", std::process::id()));
        for p in [&dead, &live] {
            std::fs::write(p, b"{").unwrap_or_else(|e| panic!("{e}"));
        }
        let _ = store(&dir);
        assert!(!dead.exists());
        assert!(live.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn settings_are_seeded_once_then_the_stored_choice_wins() {
        let dir = temp("settings");
        let s = store(&dir);
        assert!(
            s.settings(true)
                .await
                .is_ok_and(|s| s.metadata_telemetry_enabled)
        );
        let changed = s
            .put_settings(Settings {
                last_modifier: Some("demo".into()),
                last_modified: Some(Timestamp(5)),
                ..Settings::seeded(false)
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(changed.last_modifier.as_deref(), Some("demo"));
        assert!(
            s.settings(true)
                .await
                .is_ok_and(|s| !s.metadata_telemetry_enabled),
            "initializeTelemetry no longer applies"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn one_holder_per_period_until_the_lease_expires_or_the_period_ends() {
        let dir = temp("lease");
        let s = store(&dir);
        let ttl = Duration::from_secs(60);
        assert!(
            s.acquire_lease("first", "a", Timestamp(0), ttl)
                .await
                .unwrap_or(false)
        );
        assert!(
            !s.acquire_lease("first", "b", Timestamp(1_000), ttl)
                .await
                .unwrap_or(true)
        );
        assert!(
            s.acquire_lease("first", "a", Timestamp(2_000), ttl)
                .await
                .unwrap_or(false),
            "renewal"
        );
        assert!(
            s.acquire_lease("first", "b", Timestamp(62_001), ttl)
                .await
                .unwrap_or(false),
            "expired"
        );
        assert!(
            !s.finish_period("first", "a", PeriodEnd::Sent(Timestamp(70_000)), ttl)
                .await
                .unwrap_or(true),
            "a lost it"
        );
        assert!(
            s.finish_period("first", "b", PeriodEnd::Sent(Timestamp(70_000)), ttl)
                .await
                .unwrap_or(false)
        );
        let state = s.send_state().await.unwrap_or_default();
        assert_eq!(state.next_due, Some(Timestamp(130_000)));
        assert!(
            !s.acquire_lease("first", "c", Timestamp(80_000), ttl)
                .await
                .unwrap_or(true),
            "period is over"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
