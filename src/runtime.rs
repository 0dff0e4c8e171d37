//! Running telemetry next to a host: [`start`] spawns one dedicated thread with its own small
//! tokio runtime and returns a [`Handle`]; the host's own threads and runtime are never used.
//!
//! [`Handle::stop`] cancels everything at once: a pending wait, a collection or a request in
//! flight is dropped, nothing is sent on the way out, and the thread is gone within a second.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::watch;

use crate::clock::{Clock, SystemClock, Timestamp};
use crate::config::Config;
use crate::config::StoreKind;
use crate::consent::{ApprovalKind, Consent, StoredApproval};
use crate::scheduler::{AttemptObserver, Metrics, Scheduler};
use crate::sender::{Sender, SenderError, Transport};
use crate::sources::RealSources;
use crate::store::changes::Changes;
use crate::store::elasticsearch::ElasticsearchStore;
use crate::store::embedded::EmbeddedStore;
use crate::store::{Settings, StateStore, StoreError};
use telemetry_types::consent::Approval;

/// Who an approval seeded by `initializeTelemetry` is recorded as.
pub const CONFIGURATION: &str = "configuration";

/// How long `stop` waits for the telemetry thread.
const STOP_GRACE: Duration = Duration::from_millis(900);

/// Why the setting could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error("telemetry is switched off on this host by the environment variable {0}")]
    KillSwitch(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `status` shows.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Whether reports are being sent: the stored setting, unless a kill switch overrides it or
    /// the approval does not cover the running spec.
    pub enabled: bool,
    pub setting: Settings,
    /// The approval compared with the running spec: why sending is paused, what is new.
    pub consent: Consent,
    pub kill_switch: Option<String>,
    pub endpoint: Option<String>,
    pub last_attempt: Option<crate::store::Attempt>,
    pub last_success: Option<Timestamp>,
    pub next_send: Option<Timestamp>,
}

impl Status {
    /// Reads the status from the store, as `status` does without a daemon.
    pub async fn read(parts: &Parts) -> Result<Status, StoreError> {
        let setting = parts
            .store
            .settings(parts.config.initialize_telemetry)
            .await?;
        let state = parts.store.send_state().await?;
        let consent = crate::consent::evaluate(&setting, &parts.disclosure);
        let enabled = setting.metadata_telemetry_enabled
            && parts.config.kill_switch.is_none()
            && consent.allows_sending();
        let sendable = enabled && parts.config.endpoint.is_some();
        Ok(Status {
            enabled,
            consent,
            kill_switch: parts.config.kill_switch.clone(),
            endpoint: parts.config.endpoint.as_ref().map(crate::config::redacted),
            last_attempt: state.last_attempt.clone(),
            last_success: state.last_success,
            next_send: next_send(&state, parts.clock.now(), &parts.config, sendable),
            setting,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sender(#[from] SenderError),
    #[error("cannot start the telemetry thread: {0}")]
    Thread(std::io::Error),
}

/// What the runtime is made of; also used by `preview`, `status` and the control API.
#[derive(Debug)]
pub struct Parts {
    pub config: Arc<Config>,
    pub store: Arc<dyn StateStore>,
    pub clock: Arc<dyn Clock>,
    pub sources: Arc<RealSources>,
    /// What this runtime discloses, compared with the stored approval: the generated item table
    /// ([`crate::consent::running`]), or another one in tests of upgrades.
    pub disclosure: Arc<Approval>,
}

impl Parts {
    /// Builds the store and sources from `config` (no network is touched).
    pub fn new(config: Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let config = Arc::new(config);
        let http = crate::http::source_client(&config).map_err(SenderError::from)?;
        let store: Arc<dyn StateStore> = match config.state.kind {
            StoreKind::Embedded => Arc::new(
                EmbeddedStore::open(&config.state.dir, Arc::clone(&clock))?
                    .with_interval(config.interval),
            ),
            StoreKind::Elasticsearch => {
                // The state lives in the cluster, but the audit ledger (every payload sent) is
                // still kept in the state directory: it gets the same protection.
                use std::os::unix::fs::DirBuilderExt as _;
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(&config.state.dir)
                    .map_err(|source| StoreError::Io {
                        path: config.state.dir.display().to_string(),
                        source,
                    })?;
                crate::statefs::check_dir(&config.state.dir).map_err(StoreError::UnsafeDir)?;
                Arc::new(ElasticsearchStore::new(
                    &config,
                    http.clone(),
                    Arc::clone(&clock),
                ))
            }
        };
        let sources = Arc::new(RealSources::new(
            Arc::clone(&config),
            Arc::clone(&store),
            http,
        ));
        Ok(Self {
            config,
            store,
            clock,
            sources,
            disclosure: Arc::new(crate::consent::running()),
        })
    }
}

/// Options of [`start_with`]; [`start`] uses the defaults.
#[derive(Clone, Default)]
pub struct Options {
    /// Replaces the system clock (tests).
    pub clock: Option<Arc<dyn Clock>>,
    /// Called after every send attempt (the audit ledger).
    pub observer: Option<AttemptObserver>,
    /// Replaces the HTTPS sender (tests of scheduling on a paused clock).
    pub transport: Option<Arc<dyn Transport>>,
    /// Replaces the running item table in the consent decision (tests of upgrades and rolling
    /// upgrades, which need two binaries with different specs).
    pub disclosure: Option<Approval>,
}

/// The state shared by the runtime thread and the handle.
#[derive(Debug)]
pub struct Shared {
    pub parts: Parts,
    pub metrics: Arc<Metrics>,
    enabled_tx: watch::Sender<bool>,
    /// The last readiness check and when it ran (see [`crate::metrics::ready`]).
    pub readiness: crate::metrics::Readiness,
    /// Whether the last look found sending paused for a new approval: the pause is logged once.
    paused: std::sync::atomic::AtomicBool,
    /// Whether [`Shared::migrate`] has looked at the stored setting (it is tried again at every
    /// look at the setting until the store answers).
    migrated: std::sync::atomic::AtomicBool,
}

impl Shared {
    /// Whether telemetry is enabled right now (the stored setting, unless a kill switch is set).
    pub fn enabled(&self) -> bool {
        *self.enabled_tx.borrow()
    }

    /// The setting as stored.
    pub async fn stored_settings(&self) -> Result<Settings, StoreError> {
        self.parts
            .store
            .settings(self.parts.config.initialize_telemetry)
            .await
    }

    pub async fn status(&self) -> Result<Status, StoreError> {
        Status::read(&self.parts).await
    }

    /// Stores the setting and applies it at once. Refused while a kill switch is set.
    pub async fn set_enabled(&self, enabled: bool, modifier: &str) -> Result<Settings, SetError> {
        if let Some(var) = &self.parts.config.kill_switch {
            return Err(SetError::KillSwitch(var.clone()));
        }
        let kind = if modifier == CONFIGURATION {
            ApprovalKind::Configuration
        } else {
            ApprovalKind::Superuser
        };
        self.store_setting(enabled, modifier, kind).await
    }

    /// Stores the setting with (when on) an approval of the running spec, records the approval
    /// or revocation in the ledger, and applies it.
    async fn store_setting(
        &self,
        enabled: bool,
        modifier: &str,
        kind: ApprovalKind,
    ) -> Result<Settings, SetError> {
        let at = self.parts.clock.now();
        let approval = enabled.then(|| StoredApproval {
            by: modifier.to_owned(),
            at,
            kind,
            disclosure: (*self.parts.disclosure).clone(),
        });
        let settings = Settings {
            metadata_telemetry_enabled: enabled,
            last_modifier: Some(modifier.to_owned()),
            last_modified: Some(at),
            approval,
        };
        let settings = self.parts.store.put_settings(settings).await?;
        let event = match (enabled, kind) {
            (false, _) => "revocation",
            (true, ApprovalKind::Migration) => "migration",
            (true, _) => "approval",
        };
        self.record(
            at,
            crate::consent::ledger_event(
                event,
                modifier,
                enabled.then_some(&*self.parts.disclosure),
            ),
        )
        .await;
        tracing::info!(enabled, modifier, spec_version = %self.parts.disclosure.spec_version, "telemetry setting changed");
        self.apply(&settings);
        Ok(settings)
    }

    /// Appends a consent entry to the audit ledger (off the runtime thread).
    async fn record(&self, at: Timestamp, event: serde_json::Value) {
        let ledger = crate::audit::Ledger::new(&self.parts.config.state.dir);
        let written = tokio::task::spawn_blocking(move || ledger.append_consent(at, event)).await;
        match written {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot write the audit ledger"),
            Err(e) => tracing::warn!(error = %e, "cannot write the audit ledger"),
        }
    }

    /// A setting switched on before approvals were recorded (a bare `true`), or seeded on by
    /// `initializeTelemetry`, becomes an approval of the running spec, recorded as such: no
    /// running installation goes silent or sends more than it did. Only at the first start
    /// after the upgrade, that is while this installation's ledger holds no approval yet: a bare
    /// `true` written later (by an instance of an older version during a rolling upgrade) is
    /// not an approval of this spec, and pauses sending until a superuser approves.
    async fn migrate(&self) {
        let ledger = crate::audit::Ledger::new(&self.parts.config.state.dir);
        // (whether the ledger holds an approval, whether it holds anything: an installation
        // that sent before this version)
        let history = tokio::task::spawn_blocking(move || {
            ledger.read().map(|entries| {
                let approved = entries
                    .iter()
                    .any(|l| l.entry.as_ref().is_ok_and(|e| e.consent.is_some()));
                (approved, !entries.is_empty())
            })
        })
        .await;
        // An unreadable ledger is reported by `audit --verify`; it must not silence telemetry.
        let (approved_before, sent_before) = match history {
            Ok(Ok(h)) => h,
            _ => (false, false),
        };
        if approved_before {
            self.migrated.store(true, Ordering::Relaxed);
            return;
        }
        // Seeds the setting from `initializeTelemetry` if there is none yet, so a seeded `true`
        // is recorded as the configuration's approval right away.
        if let Err(e) = self.stored_settings().await {
            // `refresh` logs the unreachable store; this is tried again at the next look.
            tracing::debug!(error = %e, "cannot read the telemetry setting to record its approval");
            return;
        }
        let disclosure = Arc::clone(&self.parts.disclosure);
        let at = self.parts.clock.now();
        let approve: crate::store::ApproveFn = Box::new(move |stored: &Settings| {
            // Seeded by `initializeTelemetry` on a fresh installation, or kept from the version
            // before (which may have been seeded by configuration too).
            let by = stored
                .last_modifier
                .clone()
                .unwrap_or_else(|| CONFIGURATION.to_owned());
            let kind = if stored.last_modifier.is_none() && !sent_before {
                ApprovalKind::Configuration
            } else {
                ApprovalKind::Migration
            };
            StoredApproval {
                by,
                at,
                kind,
                disclosure: (*disclosure).clone(),
            }
        });
        match self.parts.store.complete_approval(approve).await {
            Ok(Some(settings)) => {
                let Some(approval) = &settings.approval else {
                    return;
                };
                let event = match approval.kind {
                    ApprovalKind::Migration => "migration",
                    _ => "approval",
                };
                self.record(
                    at,
                    crate::consent::ledger_event(event, &approval.by, Some(&approval.disclosure)),
                )
                .await;
                tracing::info!(by = %approval.by, spec_version = %approval.disclosure.spec_version, "recorded the stored telemetry setting as an approval of the running spec");
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot record the approval of the stored telemetry setting; trying again at the next look");
                return;
            }
        }
        self.migrated.store(true, Ordering::Relaxed);
    }

    /// Applies a stored setting: whether to send, and the pause for a new approval (logged once).
    fn apply(&self, s: &Settings) {
        let consent = crate::consent::evaluate(s, &self.parts.disclosure);
        let paused = s.metadata_telemetry_enabled && !consent.allows_sending();
        if self.paused.swap(paused, Ordering::Relaxed) != paused {
            if paused && consent.state == crate::consent::ConsentState::Unrecorded {
                tracing::warn!(
                    running = %consent.running_version,
                    "telemetry paused: the setting was switched on without recording an approval (by a version that does not record them); nothing is sent until a superuser approves the running spec"
                );
            } else if paused {
                let differences: Vec<String> = consent
                    .blocking()
                    .map(|c| format!("{}: {}", c.item, c.reason))
                    .collect();
                tracing::warn!(
                    approved = consent.approved_version.as_deref().unwrap_or("-"),
                    running = %consent.running_version,
                    differences = %differences.join("; "),
                    "telemetry paused: the running spec discloses more than a superuser approved; nothing is sent until a superuser approves it again"
                );
            } else {
                tracing::info!("telemetry resumed: the approval covers the running spec");
            }
        }
        let effective = s.metadata_telemetry_enabled
            && self.parts.config.kill_switch.is_none()
            && consent.allows_sending();
        self.enabled_tx.send_if_modified(|on| {
            let changed = *on != effective;
            *on = effective;
            changed
        });
    }

    async fn refresh(&self) {
        if !self.migrated.load(Ordering::Relaxed) {
            self.migrate().await;
        }
        match self
            .parts
            .store
            .settings(self.parts.config.initialize_telemetry)
            .await
        {
            Ok(s) => self.apply(&s),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the telemetry setting; keeping the current one")
            }
        }
    }
}

/// A running telemetry runtime.
pub struct Handle {
    shared: Arc<Shared>,
    runtime: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts telemetry for `config` on its own thread.
pub fn start(config: Config) -> Result<Handle, StartError> {
    start_with(config, Options::default())
}

pub fn start_with(config: Config, options: Options) -> Result<Handle, StartError> {
    let clock = options
        .clock
        .clone()
        .unwrap_or_else(|| Arc::new(SystemClock));
    let mut parts = Parts::new(config, clock)?;
    if let Some(disclosure) = &options.disclosure {
        parts.disclosure = Arc::new(disclosure.clone());
    }
    let sender: Option<Arc<dyn Transport>> = match (&options.transport, &parts.config.endpoint) {
        (Some(t), _) => Some(Arc::clone(t)),
        (None, Some(_)) => Some(Arc::new(Sender::new(&parts.config)?)),
        (None, None) => None,
    };
    let (enabled_tx, enabled_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        parts,
        metrics: Arc::new(Metrics::default()),
        enabled_tx,
        readiness: crate::metrics::Readiness::default(),
        paused: std::sync::atomic::AtomicBool::new(false),
        migrated: std::sync::atomic::AtomicBool::new(false),
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("optimize-telemetry")
        .build()
        .map_err(StartError::Thread)?;
    let handle = runtime.handle().clone();
    // Made before the first look at the setting, so no change after that look is missed.
    let changes = {
        let _on = runtime.enter();
        Changes::follow(&*shared.parts.store, shared.parts.config.state_poll)
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let scheduler = Scheduler {
        config: Arc::clone(&shared.parts.config),
        store: Arc::clone(&shared.parts.store),
        sources: Arc::clone(&shared.parts.sources),
        sender,
        clock: Arc::clone(&shared.parts.clock),
        holder: format!("pid{}-{:016x}", std::process::id(), fastrand::u64(..)),
        enabled: enabled_rx,
        metrics: Arc::clone(&shared.metrics),
        unrecorded: None,
        disclosure: Some(Arc::clone(&shared.parts.disclosure)),
        changes: changes.clone(),
        observer: Some(
            options
                .observer
                .unwrap_or_else(|| ledger_observer(&shared.parts.config.state.dir)),
        ),
    };
    if let Some(var) = &shared.parts.config.kill_switch {
        tracing::info!(variable = %var, "telemetry is switched off on this host by the environment");
    }
    let thread_shared = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("optimize-telemetry".into())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    () = supervise(thread_shared, scheduler, changes) => {}
                    _ = stop_rx => {}
                }
            });
            // Drop (not shut down gracefully): in-flight requests are abandoned, not finished.
            runtime.shutdown_timeout(Duration::from_millis(200));
        })
        .map_err(StartError::Thread)?;
    Ok(Handle {
        shared,
        runtime: handle,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

/// Appends every attempt to the audit ledger in the state directory (off the runtime thread).
fn ledger_observer(dir: &std::path::Path) -> AttemptObserver {
    let ledger = crate::audit::Ledger::new(dir);
    Arc::new(move |record: &crate::scheduler::AttemptRecord| {
        let ledger = ledger.clone();
        let record = record.clone();
        tokio::task::spawn_blocking(move || {
            let o = &record.outcome;
            if let Err(e) = ledger.append(
                record.at,
                &record.endpoint,
                o.success,
                o.status,
                o.error.clone(),
                &record.payload,
            ) {
                tracing::warn!(error = %e, "cannot write the audit ledger");
            }
        });
    })
}

/// Loads the setting, follows its changes, and runs the scheduler; a panic anywhere in
/// telemetry is caught and logged, and the scheduler starts again after a pause.
async fn supervise(shared: Arc<Shared>, scheduler: Scheduler<RealSources>, mut changes: Changes) {
    // Migrates a setting without approval first (see `Shared::migrate`), then applies it.
    shared.refresh().await;
    let follower = {
        let shared = Arc::clone(&shared);
        async move {
            loop {
                changes.setting().await;
                shared.refresh().await;
            }
        }
    };
    let run = async move {
        loop {
            let attempt = std::panic::AssertUnwindSafe(scheduler.clone().run()).catch_unwind();
            match attempt.await {
                Ok(()) => return,
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    tracing::error!(panic = %what, "telemetry scheduler panicked; restarting it in a minute");
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
            }
        }
    };
    tokio::join!(follower, run);
}

impl Handle {
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The runtime telemetry runs on, to run more work there (the control API).
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// Switches telemetry on or off from the host's own thread.
    pub fn set_enabled(&self, enabled: bool, modifier: &str) -> Result<Settings, SetError> {
        let shared = Arc::clone(&self.shared);
        let modifier = modifier.to_owned();
        let (tx, rx) = std::sync::mpsc::channel();
        self.runtime.spawn(async move {
            let _ = tx.send(shared.set_enabled(enabled, &modifier).await);
        });
        rx.recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| {
                Err(SetError::Store(StoreError::Other(
                    "the telemetry runtime did not answer".into(),
                )))
            })
    }

    /// Stops telemetry: nothing more is collected or sent. Returns within about a second.
    pub fn stop(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let deadline = std::time::Instant::now() + STOP_GRACE;
            while !thread.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if thread.is_finished() {
                let _ = thread.join();
            } else {
                // Detached: it holds no lock the host needs and exits on its own.
                tracing::warn!("the telemetry thread did not stop in time; leaving it behind");
            }
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// Collects a report now, for `preview`: returns the exact JSON that would be sent and the
/// sources that could not be read. Never sends, never connects to the endpoint.
pub async fn preview(parts: &Parts) -> (serde_json::Value, Vec<(&'static str, String)>) {
    let payload = crate::generated::collect(&*parts.sources).await;
    let value = serde_json::to_value(&payload).unwrap_or_default();
    (value, parts.sources.take_failures())
}

/// The next planned send, for `status`: `None` while disabled.
pub fn next_send(
    state: &crate::store::SendState,
    now: Timestamp,
    config: &Config,
    enabled: bool,
) -> Option<Timestamp> {
    enabled.then(|| {
        state
            .next_due
            .unwrap_or_else(|| now.plus(config.initial_delay))
    })
}

/// The count of reports sent since start (tests, status).
pub fn successes(metrics: &Metrics) -> u64 {
    metrics.successes.load(Ordering::Relaxed)
}
