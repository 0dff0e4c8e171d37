//! What `GET /metrics` exposes, in the Prometheus text format (OpenMetrics 1.0, rendered by
//! `prometheus-client`), and what `GET /readyz` checks.
//!
//! Only counts, times and states of the runtime itself: never a collected value, the endpoint,
//! a token or the installation id. Every scrape builds the metrics afresh from the scheduler's
//! counters and one read of the send state, so nothing is kept between scrapes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use crate::runtime::Shared;

/// The content type of the metrics text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How long a probe or a scrape waits for the store before calling it unreachable.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(3);

/// Why sending is paused, as the `reason` label of `optimize_telemetry_sending_paused`.
pub const PAUSE_REASONS: [&str; 3] = ["kill_switch", "disabled", "no_endpoint"];

type Labels = Vec<(&'static str, String)>;

/// The reason sending is paused right now, if it is.
pub fn pause_reason(shared: &Shared) -> Option<&'static str> {
    let config = &shared.parts.config;
    if config.kill_switch.is_some() {
        Some("kill_switch")
    } else if !shared.enabled() {
        Some("disabled")
    } else if config.endpoint.is_none() {
        Some("no_endpoint")
    } else {
        None
    }
}

/// The last answer of [`ready`], shared by every probe.
#[derive(Debug, Default)]
pub struct Readiness {
    last: std::sync::Mutex<Option<(std::time::Instant, Observed)>>,
    checking: std::sync::atomic::AtomicBool,
}

/// What the last check of the store saw.
type Observed = Result<crate::store::SendState, &'static str>;

/// How long one readiness answer is reused.
const READY_FRESH: Duration = Duration::from_secs(2);

/// Whether the runtime can do its work: the configuration was loaded (it is, or the runtime
/// would not have started) and the store answers a read of the send state in time. The reason
/// given is generic, because probes need no token; the store's own error is logged.
///
/// Probes need no token, so anyone can send many at once: they are answered from the last
/// check, and only one check of the store runs at a time, in the background once there is an
/// answer. A slow store cannot make probes hold the control API's connection slots.
pub async fn ready(shared: &Arc<Shared>) -> Result<(), &'static str> {
    observed(shared).await.map(|_| ())
}

/// The send state as the last check of the store saw it (see [`ready`]): scrapes use it too,
/// so neither probes nor scrapes wait on a slow store.
async fn observed(shared: &Arc<Shared>) -> Observed {
    let last = shared.readiness.last.lock().ok().and_then(|l| l.clone());
    let stale = last
        .as_ref()
        .is_none_or(|(at, _)| at.elapsed() > READY_FRESH);
    if stale && !shared.readiness.checking.swap(true, Ordering::AcqRel) {
        let shared_for_check = Arc::clone(shared);
        let check = async move {
            let result = check_store(&shared_for_check).await;
            if let Ok(mut l) = shared_for_check.readiness.last.lock() {
                *l = Some((std::time::Instant::now(), result.clone()));
            }
            shared_for_check
                .readiness
                .checking
                .store(false, Ordering::Release);
            result
        };
        // Spawned, so the check finishes and clears `checking` even when the probe that
        // started it hangs up; the first probe waits for the first answer, later ones never wait.
        let task = tokio::spawn(check);
        if last.is_none() {
            return task.await.unwrap_or(Err("the readiness check failed"));
        }
    }
    last.map_or(Err("readiness is being checked"), |(_, result)| result)
}

async fn check_store(shared: &Shared) -> Observed {
    match tokio::time::timeout(STORE_TIMEOUT, shared.parts.store.send_state()).await {
        Ok(Ok(state)) => Ok(state),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "not ready: cannot read the send state");
            Err("the state store is not reachable")
        }
        Err(_) => Err("the state store did not answer in time"),
    }
}

fn counter(value: u64) -> Counter {
    let c = Counter::default();
    c.inc_by(value);
    c
}

fn gauge(value: i64) -> Gauge {
    let g = Gauge::default();
    g.set(value);
    g
}

fn seconds(at: crate::clock::Timestamp) -> Gauge<f64, AtomicU64> {
    let g = Gauge::<f64, AtomicU64>::default();
    g.set(at.0 as f64 / 1000.0);
    g
}

/// The metrics text for one scrape.
pub async fn render(shared: &Arc<Shared>) -> String {
    let m = &shared.metrics;
    let mut registry = Registry::with_prefix("optimize_telemetry");

    let reports = Family::<Labels, Counter>::default();
    for (outcome, value) in [
        ("sent", &m.successes),
        ("failed", &m.gave_up),
        ("refused", &m.refused),
    ] {
        reports
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc_by(value.load(Ordering::Relaxed));
    }
    registry.register(
        "reports",
        "Reports since start by outcome: sent (accepted by the endpoint), failed (every attempt of its period failed), refused (stopped by the pre-send check)",
        reports,
    );
    registry.register(
        "failed_attempts",
        "Send attempts the endpoint did not accept (an error status, or no answer), retries included",
        counter(m.failures.load(Ordering::Relaxed)),
    );
    registry.register(
        "send_attempts",
        "Reports handed to the endpoint since start, retries included",
        counter(m.attempts.load(Ordering::Relaxed)),
    );
    registry.register(
        "enabled",
        "1 while telemetry is on: the stored setting, unless a kill switch overrides it",
        gauge(i64::from(shared.enabled())),
    );
    let paused = Family::<Labels, Gauge>::default();
    let reason = pause_reason(shared);
    for r in PAUSE_REASONS {
        paused
            .get_or_create(&vec![("reason", r.to_owned())])
            .set(i64::from(reason == Some(r)));
    }
    registry.register(
        "sending_paused",
        "1 for the reason sending is paused (kill_switch, disabled, no_endpoint); all 0 while reports are sent",
        paused,
    );
    let state = observed(shared).await.ok();
    registry.register(
        "store_up",
        "1 if the last read of the send state (at most 2 s old) succeeded; the timestamps below are missing otherwise",
        gauge(i64::from(state.is_some())),
    );
    if let Some(state) = &state {
        if let Some(at) = state.last_success {
            registry.register_with_unit(
                "last_success_timestamp",
                "When the last report was accepted, as Unix time (any instance sharing the store)",
                Unit::Seconds,
                seconds(at),
            );
        }
        let now = shared.parts.clock.now();
        if let Some(at) =
            crate::runtime::next_send(state, now, &shared.parts.config, reason.is_none())
        {
            registry.register_with_unit(
                "next_due_timestamp",
                "When the next report is due, as Unix time; missing while sending is paused",
                Unit::Seconds,
                seconds(at),
            );
        }
    }
    registry.register(
        "build",
        "The runtime's version and the spec version it was built from",
        Info::new(vec![
            ("version", env!("CARGO_PKG_VERSION").to_owned()),
            ("spec_version", crate::generated::SPEC_VERSION.to_owned()),
        ]),
    );

    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = encode(&mut text, &registry);
    text
}
