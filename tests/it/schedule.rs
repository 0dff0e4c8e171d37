//! Scheduling on tokio's paused clock: the first report, the daily cadence, restarts, switching
//! on and off, and bounded retries. The transport here is a recording test double (real sockets
//! and a paused clock do not mix: timeouts would fire at once); the HTTPS path itself is
//! tested with the real receiver in `runtime.rs`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use optimize_telemetry::clock::{Clock, Timestamp, TokioClock};
use optimize_telemetry::generated::sources::*;
use optimize_telemetry::scheduler::{Metrics, Scheduler};
use optimize_telemetry::sender::{Outcome, Transport};
use optimize_telemetry::store::StateStore;
use optimize_telemetry::store::changes::Changes;
use optimize_telemetry::store::embedded::EmbeddedStore;
use optimize_telemetry::store::{Attempt, PeriodEnd, SendState, Settings, StoreError};
use test_support::ConfigBuilder;
use tokio::sync::watch;

use crate::runtime::config;
use crate::support::TempDir;

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// Records every report with the (paused) time it was sent, and answers from a script.
#[derive(Debug, Default)]
struct Recorder {
    sent: Mutex<Vec<Timestamp>>,
    script: Mutex<VecDeque<Outcome>>,
    hang: std::sync::atomic::AtomicBool,
    clock: Mutex<Option<Arc<dyn Clock>>>,
}

fn ok() -> Outcome {
    Outcome {
        success: true,
        status: Some(202),
        error: None,
        retry_after: None,
    }
}

fn unavailable(retry_after: Option<u64>) -> Outcome {
    Outcome {
        success: false,
        status: Some(503),
        error: None,
        retry_after: retry_after.map(Duration::from_secs),
    }
}

impl Recorder {
    fn times(&self) -> Vec<Timestamp> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
    fn count(&self) -> usize {
        self.times().len()
    }
}

impl Transport for Recorder {
    fn endpoint(&self) -> String {
        "recorder:".into()
    }
    fn send(&self, _body: Vec<u8>) -> BoxFuture<'_, Outcome> {
        Box::pin(async move {
            let now = self
                .clock
                .lock()
                .ok()
                .and_then(|c| c.as_ref().map(|c| c.now()))
                .unwrap_or(Timestamp(0));
            if let Ok(mut s) = self.sent.lock() {
                s.push(now);
            }
            if self.hang.load(Ordering::SeqCst) {
                std::future::pending::<()>().await;
            }
            self.script
                .lock()
                .ok()
                .and_then(|mut s| s.pop_front())
                .unwrap_or_else(ok)
        })
    }
}

/// Sources with the documented example values, counting how often they are read.
#[derive(Debug, Default)]
struct Counted {
    reads: AtomicU64,
}

impl Sources for Counted {
    async fn installation(&self) -> Result<InstallationData, SourceError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(InstallationData::example())
    }
    async fn product(&self) -> Result<ProductData, SourceError> {
        Ok(ProductData::example())
    }
    async fn database(&self) -> Result<DatabaseData, SourceError> {
        Ok(DatabaseData::example())
    }
    async fn license(&self) -> Result<LicenseData, SourceError> {
        Ok(LicenseData::example())
    }
    async fn engines(&self) -> Result<EnginesData, SourceError> {
        Ok(EnginesData::example())
    }
}

struct Harness {
    _dir: TempDir,
    store: Arc<EmbeddedStore>,
    recorder: Arc<Recorder>,
    sources: Arc<Counted>,
    clock: Arc<TokioClock>,
    enabled: watch::Sender<bool>,
    cfg: Arc<optimize_telemetry::Config>,
}

impl Harness {
    fn new(enabled: bool) -> Self {
        let dir = TempDir::new("schedule");
        let cfg = config(
            &ConfigBuilder::new()
                .initial_delay(Duration::from_secs(60))
                .max_attempts_per_period(5)
                .retry(Duration::from_secs(60), Duration::from_secs(3600))
                .state_dir(&dir.join("state")),
        );
        let clock = Arc::new(TokioClock::starting_at(Timestamp(1_700_000_000_000)));
        let store = Arc::new(
            EmbeddedStore::open(&cfg.state.dir, clock.clone()).unwrap_or_else(|e| panic!("{e}")),
        );
        let recorder = Arc::new(Recorder::default());
        if let Ok(mut c) = recorder.clock.lock() {
            *c = Some(clock.clone());
        }
        let (tx, _) = watch::channel(enabled);
        Harness {
            _dir: dir,
            store,
            recorder,
            sources: Arc::new(Counted::default()),
            clock,
            enabled: tx,
            cfg: Arc::new(cfg),
        }
    }

    /// Starts a scheduler instance (as a process would at start).
    fn spawn(&self) -> tokio::task::JoinHandle<()> {
        self.spawn_on(self.store.clone())
    }

    fn spawn_on(&self, store: Arc<dyn StateStore>) -> tokio::task::JoinHandle<()> {
        let s = Scheduler {
            config: self.cfg.clone(),
            store,
            sources: self.sources.clone(),
            sender: Some(self.recorder.clone() as Arc<dyn Transport>),
            clock: self.clock.clone(),
            holder: format!("h{}", fastrand::u32(..)),
            enabled: self.enabled.subscribe(),
            metrics: Arc::new(Metrics::default()),
            observer: None,
            unrecorded: None,
            // Consent is decided through `enabled` here: these tests are about timing.
            disclosure: None,
            changes: Changes::polling(self.cfg.state_poll),
        };
        tokio::spawn(s.run())
    }
}

/// Lets `d` of paused time pass. The runtime jumps from timer to timer in order, and never
/// while a blocking store operation is running, so every event happens at its exact time.
async fn advance(d: Duration) {
    tokio::time::sleep(d).await;
}

#[tokio::test(start_paused = true)]
async fn first_report_after_the_initial_delay_then_one_every_24_hours() {
    let h = Harness::new(true);
    let task = h.spawn();
    advance(Duration::from_secs(59)).await;
    assert_eq!(h.recorder.count(), 0, "not before the initial delay");
    advance(Duration::from_secs(2)).await;
    assert_eq!(
        h.recorder.count(),
        1,
        "the first report shortly after start"
    );
    advance(DAY * 10).await;
    let times = h.recorder.times();
    assert_eq!(times.len(), 11, "one report per day");
    for pair in times.windows(2) {
        assert_eq!(
            pair[0].until(pair[1]),
            DAY,
            "reports are exactly one interval apart"
        );
    }
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn a_restart_neither_resends_early_nor_skips_a_period() {
    let h = Harness::new(true);
    let first = h.spawn();
    advance(Duration::from_secs(61)).await;
    assert_eq!(h.recorder.count(), 1);
    advance(10 * HOUR).await;
    first.abort();
    let second = h.spawn();
    advance(14 * HOUR - Duration::from_secs(10)).await;
    assert_eq!(h.recorder.count(), 1, "a restart must not resend early");
    advance(Duration::from_secs(20)).await;
    assert_eq!(h.recorder.count(), 2, "nor skip the period");
    let times = h.recorder.times();
    assert_eq!(times[0].until(times[1]), DAY);

    // Down for three days: one report soon after coming back, not three.
    second.abort();
    advance(3 * DAY).await;
    let third = h.spawn();
    advance(Duration::from_secs(5)).await;
    assert_eq!(h.recorder.count(), 3);
    advance(12 * HOUR).await;
    assert_eq!(h.recorder.count(), 3);
    third.abort();
}

#[tokio::test(start_paused = true)]
async fn switching_on_and_off_takes_effect_at_once_and_off_collects_nothing() {
    let h = Harness::new(false);
    let task = h.spawn();
    advance(2 * DAY).await;
    assert_eq!(
        h.sources.reads.load(Ordering::SeqCst),
        0,
        "nothing is collected while off"
    );
    assert_eq!(h.recorder.count(), 0);
    h.enabled.send_replace(true);
    advance(Duration::from_secs(61)).await;
    assert_eq!(
        h.recorder.count(),
        1,
        "switched on: first report after the initial delay"
    );
    h.enabled.send_replace(false);
    let reads = h.sources.reads.load(Ordering::SeqCst);
    advance(3 * DAY).await;
    assert_eq!(h.recorder.count(), 1);
    assert_eq!(
        h.sources.reads.load(Ordering::SeqCst),
        reads,
        "nothing is collected once off"
    );
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn failures_are_retried_a_bounded_number_of_times_with_capped_backoff() {
    let h = Harness::new(true);
    if let Ok(mut s) = h.recorder.script.lock() {
        s.extend(std::iter::repeat_with(|| unavailable(None)).take(5));
    }
    let task = h.spawn();
    advance(Duration::from_secs(61)).await;
    advance(6 * HOUR).await;
    let times = h.recorder.times();
    assert_eq!(times.len(), 5, "five attempts in the period, then it waits");
    for (i, pair) in times.windows(2).enumerate() {
        let gap = pair[0].until(pair[1]);
        let full = Duration::from_secs(60 * (1 << i)).min(HOUR);
        assert!(
            gap >= full / 2 && gap <= full + Duration::from_secs(1),
            "gap {i} was {gap:?}, expected within [{:?}, {full:?}]",
            full / 2
        );
    }
    // The next period starts one interval after this one was due, and succeeds.
    advance(DAY).await;
    let times = h.recorder.times();
    assert_eq!(times.len(), 6);
    assert_eq!(times[0].until(times[5]), DAY);
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_and_success_anchors_the_next_period() {
    let h = Harness::new(true);
    if let Ok(mut s) = h.recorder.script.lock() {
        s.push_back(unavailable(Some(900)));
        s.push_back(ok());
    }
    let task = h.spawn();
    advance(Duration::from_secs(61)).await;
    advance(HOUR).await;
    let times = h.recorder.times();
    assert_eq!(times.len(), 2);
    assert!(
        times[0].until(times[1]) >= Duration::from_secs(900),
        "Retry-After: 900 was not honoured"
    );
    advance(DAY).await;
    let times = h.recorder.times();
    assert_eq!(times.len(), 3);
    assert_eq!(
        times[1].until(times[2]),
        DAY,
        "anchored on the last success"
    );
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn switching_off_drops_a_request_in_flight() {
    let h = Harness::new(true);
    h.recorder.hang.store(true, Ordering::SeqCst);
    let task = h.spawn();
    advance(Duration::from_secs(61)).await;
    assert_eq!(h.recorder.count(), 1, "the request is in flight");
    h.enabled.send_replace(false);
    h.recorder.hang.store(false, Ordering::SeqCst);
    advance(3 * DAY).await;
    assert_eq!(h.recorder.count(), 1, "nothing more once switched off");
    assert!(
        !task.is_finished(),
        "the scheduler keeps waiting to be switched on"
    );
    task.abort();
}

/// The embedded store, except that ending a period fails while `refuse_end` is set (as when the
/// disk fills up right after a report went out).
#[derive(Debug)]
struct RefusesToEnd {
    inner: Arc<EmbeddedStore>,
    refuse_end: std::sync::atomic::AtomicBool,
    refused: AtomicU64,
    leases: AtomicU64,
}

impl StateStore for RefusesToEnd {
    fn installation_id(&self) -> BoxFuture<'_, Result<String, StoreError>> {
        self.inner.installation_id()
    }
    fn settings(&self, initialize: bool) -> BoxFuture<'_, Result<Settings, StoreError>> {
        self.inner.settings(initialize)
    }
    fn put_settings(&self, settings: Settings) -> BoxFuture<'_, Result<Settings, StoreError>> {
        self.inner.put_settings(settings)
    }
    fn complete_approval(
        &self,
        approve: optimize_telemetry::store::ApproveFn,
    ) -> BoxFuture<'_, Result<Option<Settings>, StoreError>> {
        self.inner.complete_approval(approve)
    }
    fn send_state(&self) -> BoxFuture<'_, Result<SendState, StoreError>> {
        self.inner.send_state()
    }
    fn acquire_lease<'a>(
        &'a self,
        period: &'a str,
        holder: &'a str,
        now: Timestamp,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        // A scheduler that resends in a tight loop never lets paused time move on; failing here
        // makes it pause, so the test ends with a count instead of hanging.
        if self.leases.fetch_add(1, Ordering::SeqCst) > 1000 {
            return Box::pin(async { Err(StoreError::Other("lease storm".into())) });
        }
        self.inner.acquire_lease(period, holder, now, ttl)
    }
    fn record_attempt<'a>(&'a self, attempt: Attempt) -> BoxFuture<'a, Result<(), StoreError>> {
        self.inner.record_attempt(attempt)
    }
    fn finish_period<'a>(
        &'a self,
        period: &'a str,
        holder: &'a str,
        end: PeriodEnd,
        interval: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        if self.refuse_end.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Box::pin(async { Err(StoreError::Other("no space left on device".into())) });
        }
        self.inner.finish_period(period, holder, end, interval)
    }
}

#[tokio::test(start_paused = true)]
async fn a_sent_period_that_cannot_be_recorded_is_never_sent_again() {
    let h = Harness::new(true);
    let store = Arc::new(RefusesToEnd {
        inner: h.store.clone(),
        refuse_end: true.into(),
        refused: AtomicU64::new(0),
        leases: AtomicU64::new(0),
    });
    let task = h.spawn_on(store.clone());
    advance(Duration::from_secs(61)).await;
    assert_eq!(h.recorder.count(), 1);
    // Hours of a store that cannot record the end, long past the send lease: the scheduler
    // keeps trying to record it and never sends the same period again.
    advance(6 * HOUR).await;
    assert_eq!(h.recorder.count(), 1, "a sent period was sent again");
    assert!(
        store.refused.load(Ordering::SeqCst) > 10,
        "recording the end was not retried"
    );
    store.refuse_end.store(false, Ordering::SeqCst);
    advance(HOUR).await;
    let state = h.store.send_state().await.unwrap_or_else(|e| panic!("{e}"));
    let first = h.recorder.times()[0];
    assert_eq!(
        state.last_success,
        Some(first),
        "the send recorded once the store works again"
    );
    advance(DAY).await;
    let times = h.recorder.times();
    assert_eq!(times.len(), 2, "and the next period is sent on time");
    assert_eq!(times[0].until(times[1]), DAY);
    task.abort();
}
