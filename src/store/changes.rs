//! How a runtime learns that the shared state changed, for example that a superuser switched
//! telemetry off through another process: from the file system's notifications where the state
//! is local files (the embedded store, inotify on Linux), otherwise by reading it again every
//! `telemetry.statePollSeconds` (the Elasticsearch store). A runtime that is told of changes
//! sleeps until its next report unless the state changes.
//!
//! The state directory is watched, not the files: every write renames a new file over the old
//! one, which a watch on the old file would not see. Events are filtered by file name (the lock
//! file, temporaries, backups and the audit ledger change with every operation and say nothing
//! new) and coalesced: a burst of them is one wake-up of whoever waits. This process's own
//! writes are not told apart from others': they only happen while it sends or a setting is
//! changed, cost one more read each, and a read never writes, so nothing feeds back.
//!
//! If the watch cannot be set up (no inotify, the per-user limit of inotify instances reached)
//! or ends (the directory was removed or moved), one warning is logged and the runtime polls.

use std::time::Duration;

use tokio::sync::watch;

use super::StateStore;

/// Waits for changes of the shared state. Clones wait independently.
#[derive(Debug, Clone)]
pub struct Changes {
    /// Signals of the watch; `None` while polling.
    settings: Option<watch::Receiver<()>>,
    send_state: Option<watch::Receiver<()>>,
    poll: Duration,
}

/// Which waiters a change of a file concerns.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Touched {
    settings: bool,
    send_state: bool,
}

impl Changes {
    /// No notifications: every wait for a change is a pause of `poll`.
    pub fn polling(poll: Duration) -> Self {
        Self {
            settings: None,
            send_state: None,
            poll,
        }
    }

    /// Follows `store` through notifications when its state is local files, else polls every
    /// `poll`. Called within the runtime that waits: the watch is one of its tasks.
    pub fn follow(store: &dyn StateStore, poll: Duration) -> Self {
        let Some(dir) = store.local_dir() else {
            return Self::polling(poll);
        };
        match watch_dir(dir) {
            Ok(watcher) => {
                let (settings_tx, settings) = watch::channel(());
                let (send_state_tx, send_state) = watch::channel(());
                let dir = dir.display().to_string();
                tokio::spawn(async move {
                    if let Some(why) = watcher.run(settings_tx, send_state_tx).await {
                        tracing::warn!(dir, reason = %why, poll = ?poll, "stopped following the state directory for changes by other processes; reading it again at every poll instead");
                    }
                });
                Self {
                    settings: Some(settings),
                    send_state: Some(send_state),
                    poll,
                }
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, poll = ?poll, "cannot follow the state directory for changes by other processes (inotify); reading it again at every poll instead");
                Self::polling(poll)
            }
        }
    }

    /// Whether changes are notified (rather than polled for).
    pub fn notified(&self) -> bool {
        self.settings.is_some()
    }

    /// Waits until the setting may have changed since the last wait returned (or since this
    /// was made): a notification, or one poll interval when there are none.
    pub async fn setting(&mut self) {
        if let Some(rx) = &mut self.settings {
            if rx.changed().await.is_ok() {
                return;
            }
            // The watch ended (and said so): poll from now on.
            self.settings = None;
        }
        tokio::time::sleep(self.poll).await;
    }

    /// Waits `pause`, or less when the send state changes first (another instance took the
    /// lease, recorded an attempt or ended the period). A change since the last wait returned
    /// counts: none is missed between reading the state and waiting.
    pub async fn send_state_or(&mut self, pause: Duration) {
        let deadline = tokio::time::Instant::now() + pause;
        if let Some(rx) = &mut self.send_state {
            let ended = tokio::select! {
                changed = rx.changed() => changed.is_err(),
                () = tokio::time::sleep_until(deadline) => false,
            };
            if !ended {
                return;
            }
            self.send_state = None;
        }
        tokio::time::sleep_until(deadline).await;
    }
}

/// Which names of the state directory matter, and what their change means.
fn touched_by(name: &[u8]) -> Touched {
    Touched {
        settings: name == super::embedded::SETTINGS.as_bytes(),
        send_state: name == super::embedded::SEND_STATE.as_bytes(),
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
use inotify::watch_dir;

#[cfg(any(target_os = "linux", target_os = "android"))]
mod inotify {
    use std::path::Path;

    use futures_util::StreamExt as _;
    use inotify::{EventMask, EventStream, Inotify, WatchMask};
    use tokio::sync::watch;

    use super::touched_by;

    /// An inotify watch of one directory, read by the runtime's own event loop: no thread of
    /// its own, and no wake-up unless a watched event happens.
    pub(super) struct Watcher {
        events: EventStream<[u8; 4096]>,
    }

    pub(super) fn watch_dir(dir: &Path) -> std::io::Result<Watcher> {
        let inotify = Inotify::init()?;
        // What replaces, writes (also in place, by hand), removes or renames away a file, and
        // the directory going away. Not opening, reading or locking, which every operation of
        // every process does.
        let events = WatchMask::MOVED_TO
            | WatchMask::CLOSE_WRITE
            | WatchMask::DELETE
            | WatchMask::MOVED_FROM
            | WatchMask::DELETE_SELF
            | WatchMask::MOVE_SELF
            | WatchMask::ONLYDIR
            | WatchMask::DONT_FOLLOW;
        inotify.watches().add(dir, events)?;
        Ok(Watcher {
            events: inotify.into_event_stream([0; 4096])?,
        })
    }

    impl Watcher {
        /// Signals changes until the watch ends (returns why) or nobody waits any more. Events
        /// already queued are all taken before anyone waiting runs: a burst is one wake-up.
        pub(super) async fn run(
            mut self,
            settings: watch::Sender<()>,
            send_state: watch::Sender<()>,
        ) -> Option<String> {
            while let Some(event) = self.events.next().await {
                let event = match event {
                    Ok(event) => event,
                    Err(e) => return Some(format!("cannot read notifications: {e}")),
                };
                if event.mask.contains(EventMask::Q_OVERFLOW) {
                    // Events were lost: anything may have changed.
                    settings.send_replace(());
                    send_state.send_replace(());
                } else if event.mask.intersects(
                    EventMask::IGNORED
                        | EventMask::DELETE_SELF
                        | EventMask::MOVE_SELF
                        | EventMask::UNMOUNT,
                ) {
                    // Waiters see the closed channels and poll.
                    return Some("the state directory was removed or moved".to_owned());
                } else if let Some(name) = &event.name {
                    let touched = touched_by(name.as_encoded_bytes());
                    if touched.settings {
                        settings.send_replace(());
                    }
                    if touched.send_state {
                        send_state.send_replace(());
                    }
                }
                if settings.is_closed() && send_state.is_closed() {
                    return None;
                }
            }
            Some("the notifications ended".to_owned())
        }
    }

    #[cfg(test)]
    mod tests {
        use std::sync::Arc;
        use std::time::Duration;

        use super::*;
        use crate::clock::SystemClock;
        use crate::store::embedded::EmbeddedStore;
        use crate::store::{Settings, StateStore};

        /// Every process following the directory wakes for every event it gets, even one it
        /// then ignores: reading and locking the store must make none.
        #[tokio::test]
        async fn reading_the_store_makes_no_event() {
            let dir = std::env::temp_dir().join(format!(
                "ot-changes-reads-{}-{}",
                std::process::id(),
                fastrand::u32(..)
            ));
            let store =
                EmbeddedStore::open(&dir, Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"));
            // The first use creates the lock file and seeds the setting.
            let _ = store
                .settings(false)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let mut watcher = watch_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
            let _ = store
                .settings(false)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let _ = store.send_state().await.unwrap_or_else(|e| panic!("{e}"));
            // A write marks the end of the reads in the queue of events.
            let marker = store.put_settings(Settings::seeded(true)).await;
            assert!(marker.is_ok());
            let mut before_marker = Vec::new();
            loop {
                let next = tokio::time::timeout(Duration::from_secs(10), watcher.events.next());
                let Ok(Some(Ok(event))) = next.await else {
                    panic!("the write was not notified; before it: {before_marker:?}");
                };
                let name = event.name.unwrap_or_default();
                if name == crate::store::embedded::SETTINGS {
                    break;
                }
                before_marker.push(name);
            }
            assert!(
                before_marker
                    .iter()
                    .all(|n| n.to_string_lossy().ends_with(".tmp")),
                "only the write's temporary file comes before it: {before_marker:?}"
            );
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
use unsupported::watch_dir;

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod unsupported {
    use std::path::Path;

    use tokio::sync::watch;

    pub(super) struct Watcher;

    pub(super) fn watch_dir(_dir: &Path) -> std::io::Result<Watcher> {
        Err(std::io::Error::other(
            "file-system notifications are only used on Linux",
        ))
    }

    impl Watcher {
        pub(super) async fn run(
            self,
            _: watch::Sender<()>,
            _: watch::Sender<()>,
        ) -> Option<String> {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::clock::SystemClock;
    use crate::store::embedded::EmbeddedStore;
    use crate::store::{Settings, StateStore};

    const HOUR: Duration = Duration::from_secs(3600);

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "ot-changes-{name}-{}-{}",
            std::process::id(),
            fastrand::u32(..)
        ))
    }

    fn store(dir: &std::path::Path) -> EmbeddedStore {
        EmbeddedStore::open(dir, Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Paused time that passes while `wait` runs.
    async fn took(wait: impl Future<Output = ()>) -> Duration {
        let start = tokio::time::Instant::now();
        wait.await;
        start.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn without_notifications_every_wait_is_one_poll() {
        let mut changes = Changes::polling(Duration::from_secs(30));
        assert!(!changes.notified());
        assert_eq!(took(changes.setting()).await, Duration::from_secs(30));
        assert_eq!(took(changes.setting()).await, Duration::from_secs(30));
        let pause = Duration::from_secs(4);
        assert_eq!(took(changes.send_state_or(pause)).await, pause);
    }

    #[tokio::test(start_paused = true)]
    async fn a_directory_that_cannot_be_watched_is_polled() {
        let dir = temp("gone");
        let s = store(&dir);
        std::fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let mut changes = Changes::follow(&s, Duration::from_secs(30));
        assert!(!changes.notified(), "the watch cannot be set up");
        assert_eq!(took(changes.setting()).await, Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_watched_directory_is_not_polled() {
        let dir = temp("quiet");
        let s = store(&dir);
        let mut changes = Changes::follow(&s, Duration::from_secs(30));
        assert!(changes.notified());
        // Paused time jumps to the timeout at once when nothing else can happen.
        let waited = tokio::time::timeout(HOUR * 100, changes.setting()).await;
        assert!(waited.is_err(), "woke without a change");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Real time: the notifications come from the kernel. A poll of an hour shows they did not
    /// come from polling.
    #[tokio::test]
    async fn writes_of_the_setting_and_send_state_are_told_and_nothing_else() {
        let dir = temp("told");
        let mine = store(&dir);
        let mut changes = Changes::follow(&mine, HOUR);
        assert!(changes.notified());
        let other = store(&dir);
        let on = Settings {
            last_modifier: Some("demo".into()),
            ..Settings::seeded(true)
        };
        other
            .put_settings(on)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let told = tokio::time::timeout(Duration::from_secs(10), changes.setting()).await;
        assert!(told.is_ok(), "a new setting was not told");

        // Reading (the lock file is opened for writing), the ledger, temporaries and backups
        // say nothing new; a lease taken (the send state written) does.
        let _ = mine.settings(false).await.unwrap_or_else(|e| panic!("{e}"));
        let _ = mine.send_state().await.unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("audit.jsonl"), b"{}\n").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join(".settings.json.1.2.tmp"), b"{").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("settings.backup.json"), b"{").unwrap_or_else(|e| panic!("{e}"));
        let won = other
            .acquire_lease("first", "other", crate::clock::Timestamp(0), HOUR)
            .await;
        assert!(matches!(won, Ok(true)));
        let told = tokio::time::timeout(Duration::from_secs(10), changes.send_state_or(HOUR)).await;
        assert!(told.is_ok(), "a new send state was not told");
        // The watcher handles events in order: everything written before the send state was
        // seen by now, and none of it concerned the setting.
        let pending = changes
            .settings
            .as_ref()
            .map(|rx| rx.has_changed().unwrap_or(true));
        assert_eq!(
            pending,
            Some(false),
            "a change of other files woke the setting's waiter"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_removed_directory_ends_the_watch_and_polling_takes_over() {
        let dir = temp("removed");
        let s = store(&dir);
        let mut changes = Changes::follow(&s, Duration::from_millis(50));
        assert!(changes.notified());
        std::fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..200 {
            if !changes.notified() {
                break;
            }
            let _ = tokio::time::timeout(Duration::from_secs(10), changes.setting()).await;
        }
        assert!(
            !changes.notified(),
            "still waiting for notifications that cannot come"
        );
        assert_eq!(
            tokio::time::timeout(Duration::from_secs(10), changes.setting())
                .await
                .map_err(|_| "no poll"),
            Ok(()),
        );
    }
}
