//! When reports are collected and sent.
//!
//! While telemetry is enabled: wait until the persisted next-due time (or, for an installation
//! that never reported, a short delay after start or after being switched on); win the send
//! lease of the period; collect, check against the disclosed items, send. On failure, retry with
//! capped exponential backoff and jitter (honouring `Retry-After`), a bounded number of times,
//! then wait for the next period. The next period is anchored on the persisted last success, so
//! a restart neither resends early nor skips a period.
//!
//! Being switched off takes effect at once: a pending wait, collection or request is dropped.
//! While switched off nothing is collected.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::{Clock, Timestamp};
use crate::config::Config;
use crate::generated::collect;
use crate::generated::sources::Sources;
use crate::sender::{Outcome, Transport};
use crate::store::changes::Changes;
use crate::store::{Attempt, PeriodEnd, StateStore};

/// Counters since start, for `GET /metrics` ([`crate::metrics`]) and tests.
#[derive(Debug, Default)]
pub struct Metrics {
    pub collections: AtomicU64,
    /// Reports handed to the endpoint: `successes + failures`.
    pub attempts: AtomicU64,
    pub successes: AtomicU64,
    /// Attempts the endpoint did not accept (an error status, or no answer).
    pub failures: AtomicU64,
    /// Reports never sent because the pre-send check refused them.
    pub refused: AtomicU64,
    /// Reports abandoned for their period after every attempt failed.
    pub gave_up: AtomicU64,
}

/// One finished attempt, for the audit ledger.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub at: Timestamp,
    pub endpoint: String,
    pub outcome: Outcome,
    /// The exact bytes that were (or would have been) sent.
    pub payload: Arc<Vec<u8>>,
}

/// Called after every attempt.
pub type AttemptObserver = Arc<dyn Fn(&AttemptRecord) + Send + Sync>;

impl<S: Sources> Clone for Scheduler<S> {
    fn clone(&self) -> Self {
        Self {
            config: Arc::clone(&self.config),
            store: Arc::clone(&self.store),
            sources: Arc::clone(&self.sources),
            sender: self.sender.clone(),
            clock: Arc::clone(&self.clock),
            holder: self.holder.clone(),
            enabled: self.enabled.clone(),
            metrics: Arc::clone(&self.metrics),
            observer: self.observer.clone(),
            unrecorded: self.unrecorded.clone(),
            disclosure: self.disclosure.clone(),
            changes: self.changes.clone(),
        }
    }
}

pub struct Scheduler<S: Sources> {
    pub config: Arc<Config>,
    pub store: Arc<dyn StateStore>,
    pub sources: Arc<S>,
    pub sender: Option<Arc<dyn Transport>>,
    pub clock: Arc<dyn Clock>,
    /// Names this instance in the send lease.
    pub holder: String,
    /// Whether telemetry is (effectively) enabled.
    pub enabled: watch::Receiver<bool>,
    pub metrics: Arc<Metrics>,
    pub observer: Option<AttemptObserver>,
    /// A period this instance ended (sent, or gave up) that the store has not recorded yet.
    pub unrecorded: Option<(String, PeriodEnd)>,
    /// What this instance discloses: before each collection the stored approval is read and
    /// compared with it ([`crate::consent::evaluate`]). `None` only where the caller decides
    /// consent itself through `enabled` (tests of the scheduling alone).
    pub disclosure: Option<Arc<telemetry_types::consent::Approval>>,
    /// Tells of changes of the send state made by other instances, where the store can.
    pub changes: Changes,
}

/// Waits until `enabled` becomes false (or its sender is gone).
async fn switched_off(enabled: &mut watch::Receiver<bool>) {
    let _ = enabled.wait_for(|on| !*on).await;
    // A closed channel means the runtime is stopping; never resolve then, stop does the rest.
    if enabled.has_changed().is_err() {
        std::future::pending::<()>().await;
    }
}

/// Runs `future` unless telemetry is switched off first.
async fn unless_off<T>(
    enabled: &mut watch::Receiver<bool>,
    future: impl Future<Output = T>,
) -> Option<T> {
    if !*enabled.borrow() {
        return None;
    }
    tokio::select! {
        value = future => Some(value),
        () = switched_off(enabled) => None,
    }
}

impl<S: Sources + Send + Sync + 'static> Scheduler<S> {
    fn lease_ttl(&self) -> Duration {
        self.config.send_lease
    }

    /// The pause before attempt `n + 1` after `n` failed ones.
    fn backoff(&self, failed: u32, retry_after: Option<Duration>) -> Duration {
        let policy = &self.config.retry;
        let exp = policy
            .base
            .saturating_mul(2u32.saturating_pow(failed.saturating_sub(1)))
            .min(policy.cap);
        // Full jitter in the upper half: instances that failed together do not retry together.
        let jittered = exp
            .mul_f64(0.5 + fastrand::f64() * 0.5)
            .max(crate::config::MIN_RETRY);
        match retry_after {
            Some(asked) => asked.min(policy.cap).max(jittered),
            None => jittered,
        }
    }

    /// Runs until the future is dropped.
    pub async fn run(mut self) {
        let mut warned_no_endpoint = false;
        let mut enabled_since = self.clock.now();
        loop {
            if !*self.enabled.borrow() {
                if self.enabled.wait_for(|on| *on).await.is_err() {
                    return;
                }
                enabled_since = self.clock.now();
            }
            if self.sender.is_none() {
                if !warned_no_endpoint {
                    tracing::warn!(
                        "telemetry is enabled but `telemetry.telemetryEndpoint` is not set; nothing will be sent"
                    );
                    warned_no_endpoint = true;
                }
                if self.enabled.wait_for(|on| !*on).await.is_err() {
                    return;
                }
                continue;
            }
            if let Some((period, end)) = self.unrecorded.clone() {
                self.end(&period, end).await;
                if self.unrecorded.is_some() {
                    let pause = self.config.state_poll;
                    let _ = unless_off(&mut self.enabled, tokio::time::sleep(pause)).await;
                    continue;
                }
            }
            let state = match self.store.send_state().await {
                Ok(state) => state,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the send state; trying again later");
                    let pause = self.config.state_poll;
                    let _ = unless_off(&mut self.enabled, tokio::time::sleep(pause)).await;
                    continue;
                }
            };
            let due = state
                .next_due
                .unwrap_or_else(|| enabled_since.plus(self.config.initial_delay));
            let wait = self.clock.now().until(due);
            if unless_off(&mut self.enabled, tokio::time::sleep(wait))
                .await
                .is_none()
            {
                continue;
            }
            let period = state.period();
            match self
                .store
                .acquire_lease(&period, &self.holder, self.clock.now(), self.lease_ttl())
                .await
            {
                Ok(true) => self.run_period(&period, due).await,
                Ok(false) => {
                    // Another instance sends for this period (or already has): look again when
                    // it changes the send state, or when its lease may have run out (it may
                    // have died without a word).
                    let pause = self.config.state_poll.min(self.lease_ttl());
                    let changed = self.changes.send_state_or(pause);
                    let _ = unless_off(&mut self.enabled, changed).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot take the send lease; trying again later");
                    let pause = self.config.state_poll;
                    let _ = unless_off(&mut self.enabled, tokio::time::sleep(pause)).await;
                }
            }
        }
    }

    /// Logs and records a report the pre-send check refused: which items and rules, never the
    /// values, and no payload in the ledger (nothing was sent).
    fn refuse(&self, sender: &Arc<dyn Transport>, refusals: &[crate::disclosed::Refusal]) {
        let reasons: Vec<String> = refusals.iter().map(ToString::to_string).collect();
        let reasons = reasons.join("; ");
        tracing::error!(refusals = %reasons, "refusing to send a report that breaks the disclosed spec");
        if let Some(observer) = &self.observer {
            observer(&AttemptRecord {
                at: self.clock.now(),
                endpoint: sender.endpoint(),
                outcome: Outcome {
                    success: false,
                    status: None,
                    error: Some(format!("refused before sending: {reasons}")),
                    retry_after: None,
                },
                payload: Arc::new(b"null".to_vec()),
            });
        }
    }

    /// Sends the report of one period, with retries; ends the period in the store.
    async fn run_period(&mut self, period: &str, due: Timestamp) {
        let Some(sender) = self.sender.clone() else {
            return;
        };
        let max = self.config.retry.max_attempts.max(1);
        for attempt in 1..=max {
            if attempt > 1
                && !matches!(
                    self.store
                        .acquire_lease(period, &self.holder, self.clock.now(), self.lease_ttl())
                        .await,
                    Ok(true)
                )
            {
                tracing::info!(
                    period,
                    "the send lease was lost to another instance; leaving this period to it"
                );
                return;
            }
            if !self.consented().await {
                // Left to an instance whose spec is covered, or to the next look after a new
                // approval: the period stays open and the lease runs out.
                let pause = self.config.state_poll;
                let _ = unless_off(&mut self.enabled, tokio::time::sleep(pause)).await;
                return;
            }
            let Some(payload) = unless_off(&mut self.enabled, collect(&*self.sources)).await else {
                return;
            };
            self.metrics.collections.fetch_add(1, Ordering::Relaxed);
            let body = match serde_json::to_value(&payload) {
                Ok(value) => match crate::disclosed::check(&value) {
                    Ok(()) => serde_json::to_vec(&value).unwrap_or_default(),
                    Err(refusals) => {
                        self.refuse(&sender, &refusals);
                        self.metrics.refused.fetch_add(1, Ordering::Relaxed);
                        // Deterministic: retrying cannot help, and nothing undisclosed may
                        // leave. Ending the period also keeps this to one log line a period.
                        self.end(period, PeriodEnd::GaveUp { due }).await;
                        return;
                    }
                },
                Err(e) => {
                    tracing::error!(error = %e, "cannot serialize the report");
                    self.metrics.refused.fetch_add(1, Ordering::Relaxed);
                    self.end(period, PeriodEnd::GaveUp { due }).await;
                    return;
                }
            };
            let body = Arc::new(body);
            // Renewed right before sending, so the lease outlasts this send (a lease is at least
            // twice the send timeout), however long collecting took.
            if !matches!(
                self.store
                    .acquire_lease(period, &self.holder, self.clock.now(), self.lease_ttl())
                    .await,
                Ok(true)
            ) {
                tracing::info!(
                    period,
                    "the send lease was lost to another instance; leaving this period to it"
                );
                return;
            }
            let Some(outcome) = unless_off(&mut self.enabled, sender.send(body.to_vec())).await
            else {
                tracing::info!("telemetry was switched off; the report in flight was dropped");
                return;
            };
            self.metrics.attempts.fetch_add(1, Ordering::Relaxed);
            let at = self.clock.now();
            if let Some(observer) = &self.observer {
                observer(&AttemptRecord {
                    at,
                    endpoint: sender.endpoint(),
                    outcome: outcome.clone(),
                    payload: Arc::clone(&body),
                });
            }
            let record = Attempt {
                at,
                success: outcome.success,
                outcome: outcome.describe(),
            };
            if let Err(e) = self.store.record_attempt(record).await {
                tracing::warn!(error = %e, "cannot record the send attempt");
            }
            if outcome.success {
                self.metrics.successes.fetch_add(1, Ordering::Relaxed);
                tracing::info!(outcome = %outcome.describe(), "telemetry report sent");
                self.end(period, PeriodEnd::Sent(at)).await;
                return;
            }
            self.metrics.failures.fetch_add(1, Ordering::Relaxed);
            if attempt == max {
                self.metrics.gave_up.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(outcome = %outcome.describe(), attempts = max, "telemetry report failed; giving up until the next period");
                self.end(period, PeriodEnd::GaveUp { due }).await;
                return;
            }
            let pause = self.backoff(attempt, outcome.retry_after);
            tracing::warn!(outcome = %outcome.describe(), attempt, retry_in = ?pause, "telemetry report failed; will retry");
            if unless_off(&mut self.enabled, tokio::time::sleep(pause))
                .await
                .is_none()
            {
                return;
            }
        }
    }

    /// Whether the stored approval covers this instance's spec, read right before collecting:
    /// another instance (or a superuser) may have changed it since the last look. A store that
    /// cannot be read means no.
    async fn consented(&self) -> bool {
        let Some(disclosure) = &self.disclosure else {
            return true;
        };
        match self.store.settings(self.config.initialize_telemetry).await {
            Ok(settings) => crate::consent::evaluate(&settings, disclosure).allows_sending(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the telemetry approval; not collecting");
                false
            }
        }
    }

    /// Records the end of `period`. If the store cannot take it, the end is kept and recorded
    /// before anything else happens: a sent period must never be sent again.
    async fn end(&mut self, period: &str, end: PeriodEnd) {
        match self
            .store
            .finish_period(period, &self.holder, end, self.config.interval)
            .await
        {
            Ok(true) => self.unrecorded = None,
            Ok(false) => {
                self.unrecorded = None;
                tracing::info!(period, "the period was already ended by another instance");
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot record the end of the period; will not send again until it is recorded");
                self.unrecorded = Some((period.to_owned(), end));
            }
        }
    }
}
