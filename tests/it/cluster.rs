//! Cluster-wide state: several instances (threads, runtimes or processes) on one Elasticsearch
//! (the loopback fake of `support/es_fake.rs`) or one embedded state directory share one
//! installation id, one setting and send exactly one report per period, also when the instance
//! holding the send lease is killed mid-send. Auth failures, outages and lost races cost nothing
//! and the next period works.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use optimize_telemetry::clock::{SystemClock, Timestamp};
use optimize_telemetry::runtime::{self, Parts};
use optimize_telemetry::store::StateStore;
use test_support::ConfigBuilder;

use crate::runtime::{config, receiver};
use crate::support::block_on;
use crate::support::es_fake::{EsFake, Flavor, Mode};
use crate::support::receiver::{Behaviour, Receiver};
use crate::support::{TempDir, wait_until};

fn es_store(es: &EsFake, dir: &TempDir) -> Arc<dyn StateStore> {
    let cfg = config(
        &ConfigBuilder::new()
            .elasticsearch(&es.url())
            .cluster_store()
            .state_dir(&dir.join("ledger")),
    );
    Parts::new(cfg, Arc::new(SystemClock))
        .unwrap_or_else(|e| panic!("{e}"))
        .store
}

/// Runs `f` on `n` threads released at once; returns their results.
fn race<T: Send + 'static>(n: usize, f: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(n));
    let f = Arc::new(f);
    (0..n)
        .map(|i| {
            let (barrier, f) = (Arc::clone(&barrier), Arc::clone(&f));
            std::thread::spawn(move || {
                barrier.wait();
                f(i)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| {
            t.join()
                .unwrap_or_else(|_| panic!("a racing thread panicked"))
        })
        .collect()
}

#[test]
fn eight_instances_racing_at_first_start_agree_on_one_id_on_every_flavour() {
    for flavor in Flavor::ALL {
        let dir = TempDir::new("es-id");
        let es = Arc::new(EsFake::start(flavor));
        let stores: Vec<Arc<dyn StateStore>> = (0..8).map(|_| es_store(&es, &dir)).collect();
        let stores = Arc::new(stores);
        let ids = race(8, {
            let stores = Arc::clone(&stores);
            move |i| block_on(stores[i].installation_id()).unwrap_or_else(|e| panic!("{e}"))
        });
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "{flavor:?}: {ids:?}");
        let doc = es.source("optimize-metadata", "1").unwrap_or_default();
        assert_eq!(doc["installationId"], ids[0].as_str(), "{flavor:?}");
        assert_eq!(doc["schemaVersion"], 3);
        assert_eq!(es.unknown_calls(), Vec::<String>::new(), "{flavor:?}");
        let calls = es.calls();
        assert!(
            calls
                .iter()
                .any(|c| c == "POST /optimize-metadata/_update/1"),
            "{calls:?}"
        );
        assert!(
            calls.iter().all(|c| !c.starts_with("DELETE")),
            "the store never deletes: {calls:?}"
        );
    }
}

#[test]
fn an_existing_id_is_kept_and_optimizes_empty_one_is_filled() {
    let dir = TempDir::new("es-existing");
    let es = EsFake::start(Flavor::Es7);
    es.put_doc("optimize-metadata", "1", serde_json::json!({"installationId": "7b86edba-fcb7-11ea-adc1-0242ac120002", "schemaVersion": "3.2.0"}));
    let id = block_on(es_store(&es, &dir).installation_id()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(id, "7b86edba-fcb7-11ea-adc1-0242ac120002");
    let es = EsFake::start(Flavor::OpenSearch2);
    es.put_doc(
        "optimize-metadata",
        "1",
        serde_json::json!({"installationId": null, "schemaVersion": "3.2.0"}),
    );
    let id = block_on(es_store(&es, &dir).installation_id()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        es.source("optimize-metadata", "1").unwrap_or_default()["installationId"],
        id.as_str()
    );
    assert_eq!(
        es.source("optimize-metadata", "1").unwrap_or_default()["schemaVersion"],
        "3.2.0",
        "other fields untouched"
    );
    assert!(es.unknown_calls().is_empty());
}

#[test]
fn the_setting_is_seeded_once_and_one_racer_wins_each_period_on_every_flavour() {
    for flavor in Flavor::ALL {
        let dir = TempDir::new("es-lease");
        let es = Arc::new(EsFake::start(flavor));
        let stores = Arc::new((0..8).map(|_| es_store(&es, &dir)).collect::<Vec<_>>());
        let seeded = race(8, {
            let stores = Arc::clone(&stores);
            move |i| {
                block_on(stores[i].settings(i % 2 == 0))
                    .unwrap_or_else(|e| panic!("{e}"))
                    .metadata_telemetry_enabled
            }
        });
        assert!(
            seeded.windows(2).all(|w| w[0] == w[1]),
            "{flavor:?}: one seed wins: {seeded:?}"
        );
        // Every instance reads the setting every `statePollSeconds`: a read must not write.
        let before = es.calls().len();
        let again = block_on(stores[0].settings(!seeded[0])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.metadata_telemetry_enabled, seeded[0], "{flavor:?}");
        assert_eq!(
            es.calls()[before..],
            ["GET /optimize-settings/_doc/1".to_owned()],
            "{flavor:?}: reading the stored setting"
        );
        let won = race(8, {
            let stores = Arc::clone(&stores);
            move |i| {
                block_on(stores[i].acquire_lease(
                    "first",
                    &format!("h{i}"),
                    Timestamp(1_000),
                    Duration::from_secs(60),
                ))
                .unwrap_or_else(|e| panic!("{e}"))
            }
        });
        assert_eq!(won.iter().filter(|w| **w).count(), 1, "{flavor:?}: {won:?}");
        let holder = won.iter().position(|w| *w).unwrap_or(0);
        let s = &stores[holder];
        assert!(
            block_on(s.finish_period(
                "first",
                &format!("h{holder}"),
                optimize_telemetry::store::PeriodEnd::Sent(Timestamp(2_000)),
                Duration::from_secs(10)
            ))
            .unwrap_or(false)
        );
        let state = block_on(stores[0].send_state()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state.next_due, Some(Timestamp(12_000)), "{flavor:?}");
        assert!(state.lease.is_none());
        assert!(
            es.unknown_calls().is_empty(),
            "{flavor:?}: {:?}",
            es.unknown_calls()
        );
    }
}

/// Where instances keep the state they share.
#[derive(Clone, Copy)]
pub enum Shared<'a> {
    /// The embedded store in `<dir>/shared`, with no database.
    Embedded,
    /// The cluster store on this fake (the ledger still in `<dir>/shared`).
    Cluster(&'a EsFake),
}

/// The configuration of a runtime instance sharing its state through `store`: on from the
/// start, reporting every `interval`, with short leases, polls and retries so that periods and
/// take-overs fit in a test, and no control API.
pub fn instance_config(
    rx: &Receiver,
    ca: &std::path::Path,
    dir: &TempDir,
    store: Shared<'_>,
    interval: Duration,
) -> ConfigBuilder {
    let b = ConfigBuilder::new()
        .initialize_telemetry(true)
        .initial_delay(Duration::ZERO)
        .reporting_interval(interval)
        .endpoint(&rx.url())
        .send_lease(Duration::from_secs(4))
        .state_poll(Duration::from_secs(1))
        .retry(Duration::from_secs(1), Duration::from_secs(1))
        .ca_file(ca)
        .send_timeout(Duration::from_secs(2))
        .source_timeout(Duration::from_secs(1))
        .control_enabled(false)
        .state_dir(&dir.join("shared"));
    match store {
        Shared::Embedded => b.no_database(),
        Shared::Cluster(es) => b.elasticsearch(&es.url()).cluster_store(),
    }
}

/// Reports spaced at least ~an interval apart, and as many as the time allows.
fn assert_one_per_period(rx: &Receiver, times: &[Instant], interval: Duration, ran: Duration) {
    let n = times.len();
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= interval.mul_f64(0.8),
            "two reports in one period: {gap:?} apart ({n} reports)"
        );
    }
    let expected = (ran.as_secs_f64() / interval.as_secs_f64()).floor() as usize;
    assert!(
        n + 1 >= expected && n <= expected + 1,
        "{n} reports in {ran:?} with a {interval:?} interval"
    );
    assert_eq!(rx.requests().len(), n);
}

/// Watches the receiver and notes when each request arrived.
fn arrivals(rx: &Receiver, ran: Duration) -> Vec<Instant> {
    let mut seen = 0;
    let mut times = Vec::new();
    let end = Instant::now() + ran;
    while Instant::now() < end {
        let now = rx.requests().len();
        while seen < now {
            times.push(Instant::now());
            seen += 1;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    times
}

#[test]
fn four_runtimes_on_one_cluster_send_exactly_one_report_per_period() {
    let dir = TempDir::new("es-periods");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let es = EsFake::start(Flavor::Es8);
    let b = instance_config(&rx, &ca, &dir, Shared::Cluster(&es), Duration::from_secs(3));
    let handles: Vec<_> = (0..4)
        .map(|_| runtime::start(config(&b)).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let ran = Duration::from_secs(10);
    let times = arrivals(&rx, ran);
    for h in handles {
        h.stop();
    }
    assert_one_per_period(&rx, &times, Duration::from_secs(3), ran);
    assert!(es.unknown_calls().is_empty(), "{:?}", es.unknown_calls());
    let ids: Vec<String> = rx
        .requests()
        .iter()
        .map(|r| {
            r.json()["installation"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "one installation id: {ids:?}"
    );
}

struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn spawn_run(cfg: &std::path::Path, n: usize) -> Procs {
    Procs(
        (0..n)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_optimize-telemetry"))
                    .arg("--config")
                    .arg(cfg)
                    .args(["--log-level", "warn", "run"])
                    .env_remove("OPTIMIZE_TELEMETRY_DISABLED")
                    .env_remove("DO_NOT_TRACK")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap_or_else(|e| panic!("{e}"))
            })
            .collect(),
    )
}

#[test]
fn four_processes_sharing_an_embedded_directory_send_exactly_one_report_per_period() {
    let dir = TempDir::new("embedded-periods");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let cfg = instance_config(&rx, &ca, &dir, Shared::Embedded, Duration::from_secs(3))
        .write(&dir.join("c.toml"));
    let procs = spawn_run(&cfg, 4);
    let ran = Duration::from_secs(10);
    let times = arrivals(&rx, ran);
    drop(procs);
    assert_one_per_period(&rx, &times, Duration::from_secs(3), ran);
}

/// The pid in a lease holder name (`pid<PID>-<random>`).
fn holder_pid(holder: &str) -> Option<u32> {
    holder.strip_prefix("pid")?.split('-').next()?.parse().ok()
}

fn kill_holder_mid_send(
    store: Shared<'_>,
    lease_holder: impl Fn() -> Option<String>,
    dir: &TempDir,
    rx: &Receiver,
    ca: &std::path::Path,
) {
    let cfg =
        instance_config(rx, ca, dir, store, Duration::from_secs(3600)).write(&dir.join("c.toml"));
    let procs = spawn_run(&cfg, 4);
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 1),
        "the first report did not arrive"
    );
    let holder = lease_holder().unwrap_or_else(|| panic!("no lease holder recorded"));
    let pid = holder_pid(&holder).unwrap_or_else(|| panic!("holder `{holder}`"));
    assert!(
        procs.0.iter().any(|c| c.id() == pid),
        "the holder is one of ours"
    );
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(killed.success());
    // Its lease (4 s) expires; another instance finishes the period.
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 2),
        "nobody finished the period"
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        rx.requests().len(),
        2,
        "exactly one report completes the period"
    );
    drop(procs);
}

#[test]
fn a_lease_holder_killed_mid_send_leaves_its_period_to_another_process() {
    let dir = TempDir::new("kill-embedded");
    let (rx, ca) = receiver(&dir, Behaviour::HangFirst(1, 202));
    let state = dir.join("shared/send-state.json");
    kill_holder_mid_send(
        Shared::Embedded,
        || {
            let text = std::fs::read_to_string(&state).ok()?;
            let v: serde_json::Value = serde_json::from_str(&text).ok()?;
            v["lease"]["holder"].as_str().map(str::to_owned)
        },
        &dir,
        &rx,
        &ca,
    );

    let dir = TempDir::new("kill-es");
    let (rx, ca) = receiver(&dir, Behaviour::HangFirst(1, 202));
    let es = EsFake::start(Flavor::OpenSearch2);
    kill_holder_mid_send(
        Shared::Cluster(&es),
        || {
            es.source("optimize-telemetry", "send-state")?["lease"]["holder"]
                .as_str()
                .map(str::to_owned)
        },
        &dir,
        &rx,
        &ca,
    );
    assert!(es.unknown_calls().is_empty(), "{:?}", es.unknown_calls());
}

#[test]
fn eight_processes_previewing_a_fresh_embedded_directory_agree_on_one_id() {
    let dir = TempDir::new("embedded-ids");
    let cfg = ConfigBuilder::new()
        .no_database()
        .state_dir(&dir.join("shared"))
        .write(&dir.join("c.toml"));
    let children: Vec<Child> = (0..8)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_optimize-telemetry"))
                .arg("--config")
                .arg(&cfg)
                .arg("preview")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let ids: Vec<String> = children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
            v["installation"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert!(!ids[0].is_empty());
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
}

#[test]
fn auth_failures_outages_and_lost_races_cost_nothing_and_the_next_period_works() {
    let dir = TempDir::new("es-faults");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let es = EsFake::start(Flavor::Es8);
    es.require_basic("optimize", "the-right-one");
    let text = instance_config(&rx, &ca, &dir, Shared::Cluster(&es), Duration::from_secs(2))
        .elasticsearch_username("optimize")
        .to_toml();
    let cfg = optimize_telemetry::Config::parse("c.toml", &text, &|k| {
        (k == "OPTIMIZE_TELEMETRY_ES_PASSWORD").then(|| "a-wrong-one".to_owned())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let handle = runtime::start(cfg).unwrap_or_else(|e| panic!("{e}"));
    let host = std::thread::spawn(|| {
        // The host's own work goes on meanwhile.
        let mut x = 0u64;
        let end = Instant::now() + Duration::from_secs(2);
        while Instant::now() < end {
            x = x.wrapping_add(1);
        }
        x
    });

    // Wrong credentials: nothing is sent, nothing breaks.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        rx.connections(),
        0,
        "nothing may be sent without the shared state"
    );
    assert!(host.join().is_ok_and(|x| x > 0));
    // Credentials fixed on the cluster's side: the next period works.
    es.require_basic("optimize", "a-wrong-one");
    assert!(
        wait_until(Duration::from_secs(15), || !rx.requests().is_empty()),
        "no report after the credentials were fixed"
    );

    // The cluster goes away, then comes back.
    es.set_mode(Mode::Down);
    let before = rx.requests().len();
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        rx.requests().len(),
        before,
        "no report without the shared state"
    );
    es.set_mode(Mode::Healthy);
    assert!(
        wait_until(Duration::from_secs(15), || rx.requests().len() > before),
        "no report after the cluster came back"
    );

    // A red cluster, then lost races: waited out the same way.
    es.set_mode(Mode::Red);
    let before = rx.requests().len();
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(rx.requests().len(), before);
    es.set_mode(Mode::Healthy);
    es.inject_conflicts(12);
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() > before),
        "no report after the conflicts"
    );
    let started = Instant::now();
    handle.stop();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(es.unknown_calls().is_empty(), "{:?}", es.unknown_calls());
}
