//! Where the runtime keeps what must survive a restart: the installation id, the telemetry
//! setting, and the send state (last success, the next due report, the current attempt and the
//! send lease). The trait lets the single-host embedded store and the cluster-wide store share
//! the scheduler.

pub mod changes;
pub mod elasticsearch;
pub mod embedded;

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// The telemetry setting, as Optimize stores it, with what was approved when it was switched on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub metadata_telemetry_enabled: bool,
    pub last_modifier: Option<String>,
    pub last_modified: Option<Timestamp>,
    /// The disclosure approved when telemetry was switched on; absent while off, and in
    /// settings stored before approvals were recorded (see [`crate::consent`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<crate::consent::StoredApproval>,
}

impl Settings {
    /// A setting nobody has changed yet.
    pub fn seeded(enabled: bool) -> Self {
        Settings {
            metadata_telemetry_enabled: enabled,
            last_modifier: None,
            last_modified: None,
            approval: None,
        }
    }
}

/// Makes the approval of a stored setting that has none (see [`StateStore::complete_approval`]).
pub type ApproveFn = Box<dyn FnOnce(&Settings) -> crate::consent::StoredApproval + Send>;

/// The setting `approve` completes, if `stored` is on and has no approval yet.
pub fn completed(stored: &Settings, approve: ApproveFn) -> Option<Settings> {
    (stored.metadata_telemetry_enabled && stored.approval.is_none()).then(|| Settings {
        approval: Some(approve(stored)),
        ..stored.clone()
    })
}

/// One send attempt, as remembered between restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub at: Timestamp,
    pub success: bool,
    /// The HTTP status or the error, for `status`.
    pub outcome: String,
}

/// Who may send for which period, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    pub period: String,
    pub holder: String,
    pub expires: Timestamp,
}

/// The scheduler's memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendState {
    pub last_success: Option<Timestamp>,
    /// When the next report is due; `None` until the first period ends.
    pub next_due: Option<Timestamp>,
    pub last_attempt: Option<Attempt>,
    pub lease: Option<Lease>,
}

impl SendState {
    /// The name of the period the next report belongs to; every instance computes the same.
    pub fn period(&self) -> String {
        self.next_due
            .map_or_else(|| "first".to_owned(), |t| t.rfc3339())
    }
}

/// How a period ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodEnd {
    /// Sent at this time: the next report is due one interval later.
    Sent(Timestamp),
    /// Every attempt failed: wait for the next period, which starts one interval after `due`.
    GaveUp { due: Timestamp },
}

/// The lease rule both stores apply: `holder` may take (or renew) the lease of `period` if the
/// period is still open and nobody else holds an unexpired lease for it.
pub fn take_lease(
    mut state: SendState,
    period: &str,
    holder: &str,
    now: Timestamp,
    ttl: Duration,
) -> Option<SendState> {
    if state.period() != period {
        return None;
    }
    let free = match &state.lease {
        None => true,
        Some(l) => l.period != period || l.holder == holder || l.expires <= now,
    };
    if !free {
        return None;
    }
    state.lease = Some(Lease {
        period: period.to_owned(),
        holder: holder.to_owned(),
        expires: now.plus(ttl),
    });
    Some(state)
}

/// How a period ends, for both stores: only the lease holder of the open period may end it.
/// The next period is one interval after the success, or after the due time when every attempt
/// failed (never in the past, so an outage does not cause a burst of catch-up reports).
pub fn end_period(
    mut state: SendState,
    period: &str,
    holder: &str,
    end: PeriodEnd,
    interval: Duration,
    now: Timestamp,
) -> Option<SendState> {
    let holds = state.period() == period
        && state
            .lease
            .as_ref()
            .is_some_and(|l| l.period == period && l.holder == holder);
    if !holds {
        return None;
    }
    match end {
        PeriodEnd::Sent(at) => {
            state.last_success = Some(at);
            state.next_due = Some(at.plus(interval));
        }
        PeriodEnd::GaveUp { due } => state.next_due = Some(due.plus(interval).max(now)),
    }
    state.lease = None;
    Some(state)
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("state store I/O on `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the installation id in `{path}` and its backup are both unreadable; refusing to create a new one, which would change the installation id (restore the file or remove both to start afresh)"
    )]
    InstallationIdLost { path: String },
    #[error(transparent)]
    UnsafeDir(#[from] crate::statefs::UnsafeDir),
    #[error("state store: {0}")]
    Other(String),
}

/// The persistent state. Every method is one atomic step, safe to call from several processes
/// (embedded store) or instances (cluster store) at once.
pub trait StateStore: Send + Sync + std::fmt::Debug {
    /// The directory of the state when it is local files that other processes change too: the
    /// runtime then follows it through notifications instead of polling it ([`changes`]).
    fn local_dir(&self) -> Option<&std::path::Path> {
        None
    }

    /// The installation id, created (a random UUID) if there is none yet; never replaced.
    fn installation_id(&self) -> BoxFuture<'_, Result<String, StoreError>>;

    /// The setting, first stored from `initialize` if there is none yet.
    fn settings(&self, initialize: bool) -> BoxFuture<'_, Result<Settings, StoreError>>;

    /// Stores the setting (with its approval) as a whole.
    fn put_settings(&self, settings: Settings) -> BoxFuture<'_, Result<Settings, StoreError>>;

    /// Gives a setting that is on but has no approval (a bare `true` from before approvals were
    /// recorded, or one `initializeTelemetry` seeded) the approval `approve` makes of it, in one
    /// atomic step: a setting changed in the meantime (switched off by a superuser, approved by
    /// another instance) is left as it is. Returns the completed setting, or `None` if there was
    /// nothing to complete.
    fn complete_approval(
        &self,
        approve: ApproveFn,
    ) -> BoxFuture<'_, Result<Option<Settings>, StoreError>>;

    fn send_state(&self) -> BoxFuture<'_, Result<SendState, StoreError>>;

    /// Takes the send lease for `period` if nobody holds an unexpired lease for it and the
    /// period has not been finished yet. Only the holder sends.
    fn acquire_lease<'a>(
        &'a self,
        period: &'a str,
        holder: &'a str,
        now: Timestamp,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Records an attempt of the lease holder.
    fn record_attempt<'a>(&'a self, attempt: Attempt) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Ends `period` for `holder` and releases the lease. Ignored if the lease was lost.
    fn finish_period<'a>(
        &'a self,
        period: &'a str,
        holder: &'a str,
        end: PeriodEnd,
        interval: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
}
