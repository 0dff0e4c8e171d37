//! Operating the runtime: the probes and metrics of the control API (metrics parsed with a real
//! Prometheus text parser), JSON logs, the committed man pages and completions, the systemd unit
//! (`systemd-analyze`) and the Kubernetes manifest (parsed and checked against the runtime).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use test_support::ConfigBuilder;

use crate::control::{Daemon, SUPER_TOKEN, USER_TOKEN, client, serve_control, with_control};
use crate::daemon::{Proc, bin, free_port};
use crate::runtime::{config, receiver};
use crate::support::receiver::Behaviour;
use crate::support::{TempDir, block_on, wait_until};

#[allow(dead_code)] // its `main` is for `cargo run --example cli-docs`
#[path = "../../examples/cli-docs.rs"]
mod cli_docs;

/// `GET` with an optional token: status, content type and body.
fn get(url: &str, token: Option<&str>) -> (u16, String, String) {
    block_on(async {
        let mut req = client().get(url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap_or_else(|e| panic!("{e}"));
        let status = r.status().as_u16();
        let ctype = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, ctype, r.text().await.unwrap_or_default())
    })
}

/// The samples of a scrape, parsed by `prometheus-parse`: `name{k="v",...}` to value.
fn scrape(addr: SocketAddr, token: Option<&str>) -> HashMap<String, f64> {
    let (status, ctype, text) = get(&format!("http://{addr}/metrics"), token);
    assert_eq!(status, 200, "{text}");
    assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let parsed = prometheus_parse::Scrape::parse(lines).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut out = HashMap::new();
    for s in parsed.samples {
        let value = match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            other => panic!("unexpected sample type {other:?}"),
        };
        let mut labels: Vec<String> = s
            .labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        labels.sort();
        let key = if labels.is_empty() {
            s.metric
        } else {
            format!("{}{{{}}}", s.metric, labels.join(","))
        };
        out.insert(key, value);
    }
    out
}

fn metric(samples: &HashMap<String, f64>, key: &str) -> f64 {
    *samples
        .get(key)
        .unwrap_or_else(|| panic!("no sample {key} in {samples:#?}"))
}

fn now_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[test]
fn probes_answer_without_a_token_and_reveal_nothing() {
    let d = Daemon::start(false, None);
    for (path, body) in [
        ("/healthz", "{\"status\":\"ok\"}"),
        ("/readyz", "{\"status\":\"ready\"}"),
    ] {
        let (status, ctype, text) = get(&d.url(path), None);
        assert_eq!(
            (status, ctype.as_str(), text.as_str()),
            (200, "application/json", body)
        );
    }
    let (status, _, _) = get(&d.url("/healthz"), Some("not-a-token"));
    assert_eq!(status, 200, "a probe ignores the Authorization header");
}

#[test]
fn readyz_is_503_with_a_reason_while_the_store_is_unreachable() {
    let dir = TempDir::new("readyz");
    // A cluster store on a port nothing listens on: the runtime starts, the store cannot answer.
    let cfg = config(&with_control(
        ConfigBuilder::new()
            .no_database()
            .cluster_store()
            .state_dir(&dir.join("state")),
        "127.0.0.1:0",
    ));
    let handle = optimize_telemetry::runtime::start(cfg).unwrap_or_else(|e| panic!("{e}"));
    let addr = serve_control(&handle);
    let (status, _, text) = get(&format!("http://{addr}/readyz"), None);
    assert_eq!(status, 503, "{text}");
    assert_eq!(
        text,
        "{\"status\":\"notReady\",\"reason\":\"the state store is not reachable\"}"
    );
    assert!(!text.contains("127.0.0.1"), "the reason names no address");
    let (status, _, _) = get(&format!("http://{addr}/healthz"), None);
    assert_eq!(status, 200, "alive, though not ready");
    let samples = scrape(addr, Some(USER_TOKEN));
    assert_eq!(metric(&samples, "optimize_telemetry_store_up"), 0.0);
    assert!(
        !samples
            .keys()
            .any(|k| k.starts_with("optimize_telemetry_next_due")),
        "no times without the store"
    );
}

#[test]
fn metrics_need_a_token_unless_made_public() {
    let d = Daemon::start(false, None);
    let (status, _, text) = get(&d.url("/metrics"), None);
    assert_eq!(status, 401, "{text}");
    let (status, _, _) = get(&d.url("/metrics"), Some("wrong-token-0123456789"));
    assert_eq!(status, 401);
    let (status, _, _) = get(&d.url("/metrics"), Some(USER_TOKEN));
    assert_eq!(status, 200, "any signed-in user may read them");

    let dir = TempDir::new("metrics-public");
    let cfg = config(
        &with_control(
            ConfigBuilder::new().state_dir(&dir.join("state")),
            "127.0.0.1:0",
        )
        .metrics_public(true),
    );
    let handle = optimize_telemetry::runtime::start(cfg).unwrap_or_else(|e| panic!("{e}"));
    let addr = serve_control(&handle);
    let samples = scrape(addr, None);
    assert_eq!(metric(&samples, "optimize_telemetry_enabled"), 0.0);
}

#[test]
fn metrics_count_reports_by_outcome_and_show_times_and_pauses() {
    let d = Daemon::start(true, None);
    assert!(
        wait_until(Duration::from_secs(20), || d.rx.requests().len() == 1),
        "the report did not arrive"
    );
    assert!(wait_until(Duration::from_secs(5), || {
        optimize_telemetry::runtime::successes(d.handle.metrics()) == 1
    }));
    // A refused report is counted too: `tests/it/presend.rs` makes the real sources produce one.
    let s = scrape(d.addr, Some(USER_TOKEN));
    assert_eq!(
        metric(&s, "optimize_telemetry_reports_total{outcome=\"sent\"}"),
        1.0
    );
    assert_eq!(
        metric(&s, "optimize_telemetry_reports_total{outcome=\"failed\"}"),
        0.0
    );
    assert_eq!(
        metric(&s, "optimize_telemetry_reports_total{outcome=\"refused\"}"),
        0.0
    );
    assert_eq!(metric(&s, "optimize_telemetry_send_attempts_total"), 1.0);
    assert_eq!(metric(&s, "optimize_telemetry_enabled"), 1.0);
    assert_eq!(metric(&s, "optimize_telemetry_store_up"), 1.0);
    for reason in optimize_telemetry::metrics::PAUSE_REASONS {
        let key = format!("optimize_telemetry_sending_paused{{reason=\"{reason}\"}}");
        assert_eq!(metric(&s, &key), 0.0, "{key}");
    }
    let last = metric(&s, "optimize_telemetry_last_success_timestamp_seconds");
    assert!((now_seconds() - last).abs() < 30.0, "last success {last}");
    let next = metric(&s, "optimize_telemetry_next_due_timestamp_seconds");
    assert!(
        (next - last - 86_400.0).abs() < 1.0,
        "next due one day after the last success: {next} vs {last}"
    );
    let build = format!(
        "optimize_telemetry_build_info{{spec_version=\"{}\",version=\"{}\"}}",
        optimize_telemetry::generated::SPEC_VERSION,
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(metric(&s, &build), 1.0);

    // Switched off by a superuser: paused, and no next due time.
    let (status, _) = crate::control::call(
        "PUT",
        &d.url("/api/settings"),
        &[
            ("authorization", &format!("Bearer {SUPER_TOKEN}")),
            ("content-type", "application/json"),
        ],
        Some(b"{\"metadataTelemetryEnabled\": false}".to_vec()),
    );
    assert_eq!(status, 200);
    let s = scrape(d.addr, Some(USER_TOKEN));
    assert_eq!(metric(&s, "optimize_telemetry_enabled"), 0.0);
    assert_eq!(
        metric(&s, "optimize_telemetry_sending_paused{reason=\"disabled\"}"),
        1.0
    );
    assert!(
        !s.keys()
            .any(|k| k.starts_with("optimize_telemetry_next_due"))
    );
    assert_eq!(
        metric(&s, "optimize_telemetry_last_success_timestamp_seconds"),
        last
    );
}

#[test]
fn metrics_count_failed_attempts_and_name_the_kill_switch() {
    let dir = TempDir::new("metrics-failed");
    let (rx, ca) = receiver(&dir, Behaviour::Status(500));
    let cfg = config(&with_control(
        ConfigBuilder::new()
            .initialize_telemetry(true)
            .initial_delay(Duration::ZERO)
            .endpoint(&rx.url())
            .max_attempts_per_period(2)
            .retry(Duration::from_secs(1), Duration::from_secs(1))
            .ca_file(&ca)
            .no_database()
            .state_dir(&dir.join("state")),
        "127.0.0.1:0",
    ));
    let handle = optimize_telemetry::runtime::start(cfg).unwrap_or_else(|e| panic!("{e}"));
    let addr = serve_control(&handle);
    assert!(
        wait_until(Duration::from_secs(20), || {
            scrape(addr, Some(USER_TOKEN))
                .get("optimize_telemetry_reports_total{outcome=\"failed\"}")
                == Some(&1.0)
        }),
        "the report whose two attempts failed was not counted"
    );
    let s = scrape(addr, Some(USER_TOKEN));
    assert_eq!(metric(&s, "optimize_telemetry_send_attempts_total"), 2.0);
    assert_eq!(metric(&s, "optimize_telemetry_failed_attempts_total"), 2.0);
    assert_eq!(
        metric(&s, "optimize_telemetry_reports_total{outcome=\"sent\"}"),
        0.0
    );
    assert!(
        !s.keys()
            .any(|k| k.starts_with("optimize_telemetry_last_success"))
    );
    drop(handle);

    let d = Daemon::start(true, Some("DO_NOT_TRACK"));
    let s = scrape(d.addr, Some(USER_TOKEN));
    assert_eq!(metric(&s, "optimize_telemetry_enabled"), 0.0);
    assert_eq!(
        metric(
            &s,
            "optimize_telemetry_sending_paused{reason=\"kill_switch\"}"
        ),
        1.0
    );
    assert_eq!(
        metric(&s, "optimize_telemetry_sending_paused{reason=\"disabled\"}"),
        0.0
    );
}

#[test]
fn probes_stay_available_while_idle_connections_fill_every_slot() {
    let d = Daemon::start(false, None);
    // More idle connections than the API has slots: each newcomer evicts an idle one.
    let idle: Vec<std::net::TcpStream> = (0..optimize_telemetry::control::MAX_CONNECTIONS + 16)
        .filter_map(|_| std::net::TcpStream::connect(d.addr).ok())
        .collect();
    assert!(idle.len() > optimize_telemetry::control::MAX_CONNECTIONS);
    for path in ["/healthz", "/readyz"] {
        let started = std::time::Instant::now();
        let (status, _, _) = get(&d.url(path), None);
        assert_eq!(status, 200, "{path}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{path} was slow"
        );
    }
    drop(idle);
}

#[test]
fn json_logs_are_one_object_per_line_and_hold_no_secret_or_collected_value() {
    let dir = TempDir::new("json-logs");
    let (rx, ca) = receiver(&dir, Behaviour::Status(202));
    let port = free_port();
    let cfg = crate::daemon::setup(&dir, &rx, &ca, port);
    let license = dir.join("license.txt");
    std::fs::write(
        &license,
        "SIGNATURE-s3cret;customer = Secret Customer Ltd; licenseType = ENTERPRISE; optimize: true;",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let daemon = Proc {
        child: bin(&cfg)
            .args(["--log-level", "debug", "run"])
            .env("OPTIMIZE_TELEMETRY_LOG_FORMAT", "json")
            .env("OPTIMIZE_TELEMETRY_LICENSE_FILE", &license)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}")),
    };
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    assert!(wait_until(Duration::from_secs(20), || {
        std::net::TcpStream::connect(addr).is_ok()
    }));
    let (status, _) = crate::control::call(
        "PUT",
        &format!("http://{addr}/api/settings"),
        &[
            ("authorization", &format!("Bearer {SUPER_TOKEN}")),
            ("content-type", "application/json"),
        ],
        Some(b"{\"metadataTelemetryEnabled\": true}".to_vec()),
    );
    assert_eq!(status, 200);
    assert!(
        wait_until(Duration::from_secs(20), || rx.requests().len() == 1),
        "the report did not arrive"
    );
    let sent = rx.requests()[0].json();
    assert_eq!(
        sent["product"]["internals"]["license-key"]["customer"], "Secret Customer Ltd",
        "the report holds the collected value the log must not"
    );
    let installation = sent["installation"].as_str().unwrap_or_default().to_owned();
    assert!(!installation.is_empty());
    assert!(
        wait_until(Duration::from_secs(10), || {
            scrape(addr, Some(USER_TOKEN)).get("optimize_telemetry_reports_total{outcome=\"sent\"}")
                == Some(&1.0)
        }),
        "the daemon did not count the report"
    );
    let _ = get(
        &format!("http://{addr}/api/me"),
        Some("wrong-token-0123456789"),
    );

    let mut daemon = daemon;
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &daemon.child.id().to_string()])
        .status();
    let _ = daemon.child.wait();
    let mut log = String::new();
    if let Some(mut e) = daemon.child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut log);
    }
    let mut messages = Vec::new();
    for line in log.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for key in ["timestamp", "level", "message"] {
            assert!(v[key].is_string(), "no {key}: {line}");
        }
        messages.push(v["message"].as_str().unwrap_or_default().to_owned());
    }
    for expected in [
        "telemetry runtime started",
        "telemetry setting changed",
        "telemetry report sent",
        "control API",
    ] {
        assert!(
            messages.iter().any(|m| m == expected),
            "no {expected:?} in {log}"
        );
    }
    for secret in [
        SUPER_TOKEN.to_owned(),
        USER_TOKEN.to_owned(),
        optimize_telemetry::control::auth::digest_hex(SUPER_TOKEN),
        "Secret Customer".to_owned(),
        "s3cret".to_owned(),
        installation,
    ] {
        assert!(!log.contains(&secret), "{secret:?} reached the log:\n{log}");
    }
}

#[test]
fn committed_man_pages_and_completions_are_not_stale() {
    let stale = cli_docs::stale(&crate::repo_root());
    assert!(
        stale.is_empty(),
        "stale generated files: {}\nregenerate them with `{}` and commit the result",
        stale
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        cli_docs::REGENERATE
    );
    let names: Vec<String> = cli_docs::files()
        .iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    for expected in [
        "docs/man/optimize-telemetry.1",
        "docs/man/optimize-telemetry-run.1",
        "docs/man/telemetry-spec.1",
        "docs/man/telemetry-spec-generate.1",
        "docs/completions/optimize-telemetry.bash",
        "docs/completions/_telemetry-spec",
        "docs/completions/telemetry-spec.fish",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} is not generated"
        );
    }
    let page = std::fs::read_to_string(crate::repo_root().join("docs/man/optimize-telemetry.1"))
        .unwrap_or_default();
    assert!(
        page.contains("log\\-format"),
        "the page documents --log-format"
    );

    // `optimize-telemetry completions bash` prints the committed script, without a config.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_optimize-telemetry"))
        .args(["completions", "bash"])
        .env(
            "OPTIMIZE_TELEMETRY_CONFIG",
            "/nonexistent/needs-no-config.toml",
        )
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let committed =
        std::fs::read(crate::repo_root().join("docs/completions/optimize-telemetry.bash"))
            .unwrap_or_default();
    assert!(
        o.stdout == committed,
        "completions bash differs from the committed script"
    );
}

/// The unit with its `ExecStart` binary replaced by the one cargo built, for `verify`, which
/// checks that the binary exists.
fn unit_text() -> String {
    std::fs::read_to_string(crate::repo_root().join("packaging/systemd/optimize-telemetry.service"))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    let text = unit_text();
    let exec = text
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap_or_else(|| panic!("no ExecStart"));
    let mut words = exec.split_whitespace();
    let program = words.next().unwrap_or_default();
    // The arguments are the runtime's own: the CLI accepts them.
    let args: Vec<&str> = std::iter::once("optimize-telemetry").chain(words).collect();
    let parsed = <optimize_telemetry::cli::Cli as clap::Parser>::try_parse_from(&args)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        parsed.command,
        optimize_telemetry::cli::Command::Run
    ));

    let dir = TempDir::new("systemd");
    let unit = dir.join("optimize-telemetry.service");
    std::fs::write(
        &unit,
        text.replace(program, env!("CARGO_BIN_EXE_optimize-telemetry")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // No man pages are installed in the test environment, so `verify` skips the
    // Documentation= check; everything else (keys, values, the binary) is checked.
    let o = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .unwrap_or_else(|e| panic!("systemd-analyze (run scripts/setup-test-env.sh): {e}"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.trim().is_empty(), "verify: {err}");

    let o = std::process::Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&unit)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let out = String::from_utf8_lossy(&o.stdout);
    let score: f64 = out
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for optimize-telemetry.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in {out}"));
    // README "Install and run" records the score; keep them in step.
    assert!(score <= 1.5, "exposure {score}:\n{out}");
    let readme = std::fs::read_to_string(crate::repo_root().join("README.md")).unwrap_or_default();
    assert!(
        readme.contains(&format!("exposure level {score}")),
        "README must state `exposure level {score}`"
    );
}

#[test]
fn the_kubernetes_sidecar_manifest_is_consistent() {
    use yaml_rust2::{Yaml, YamlLoader};
    let text = std::fs::read_to_string(
        crate::repo_root().join("packaging/kubernetes/optimize-with-telemetry.yaml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let kind = |k: &str| {
        docs.iter()
            .find(|d| d["kind"].as_str() == Some(k))
            .unwrap_or_else(|| panic!("no {k}"))
    };
    let config_map = kind("ConfigMap");
    let toml = config_map["data"]["optimize-telemetry.toml"]
        .as_str()
        .unwrap_or_else(|| panic!("no optimize-telemetry.toml in the ConfigMap"));
    let cfg = optimize_telemetry::Config::parse("configmap", toml, &|_| None)
        .unwrap_or_else(|e| panic!("the ConfigMap's configuration is refused: {e}"));
    assert!(!cfg.initialize_telemetry, "off until someone opts in");
    assert!(!cfg.control.metrics_public);

    let deployment = kind("Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let containers = pod["containers"]
        .as_vec()
        .unwrap_or_else(|| panic!("no containers"));
    let sidecar = containers
        .iter()
        .find(|c| c["name"].as_str() == Some("telemetry"))
        .unwrap_or_else(|| panic!("no telemetry container"));
    let args: Vec<&str> = sidecar["args"]
        .as_vec()
        .map(|a| a.iter().filter_map(Yaml::as_str).collect())
        .unwrap_or_default();
    let cli = <optimize_telemetry::cli::Cli as clap::Parser>::try_parse_from(
        std::iter::once("optimize-telemetry").chain(args.iter().copied()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cli.log_format, optimize_telemetry::cli::LogFormat::Json);

    let mounts = sidecar["volumeMounts"]
        .as_vec()
        .cloned()
        .unwrap_or_default();
    let mounted = |path: &std::path::Path| {
        mounts.iter().any(|m| {
            m["mountPath"]
                .as_str()
                .is_some_and(|p| path.starts_with(p) && path != std::path::Path::new(p))
        })
    };
    let config_file = cli.config.unwrap_or_else(|| panic!("no --config"));
    assert!(
        mounted(&config_file),
        "{} is not on a volume",
        config_file.display()
    );
    assert!(
        mounted(&cfg.state.dir),
        "the state directory must be below a volume (the runtime creates it 0700)"
    );

    let port = sidecar["ports"][0]["containerPort"].as_i64();
    assert_eq!(port, Some(i64::from(cfg.control.address.port())));
    assert!(
        !cfg.control.address.ip().is_loopback(),
        "the kubelet probes the pod's IP"
    );
    let probe = &sidecar["livenessProbe"]["httpGet"];
    assert_eq!(probe["path"].as_str(), Some("/healthz"));
    assert_eq!(probe["port"].as_str(), sidecar["ports"][0]["name"].as_str());
    let ready = &sidecar["readinessProbe"]["httpGet"];
    assert_eq!(ready["path"].as_str(), Some("/readyz"));
    assert_eq!(ready["port"].as_str(), sidecar["ports"][0]["name"].as_str());
    let secret = kind("Secret");
    let secret_name = secret["metadata"]["name"].as_str();
    let token_env = sidecar["env"]
        .as_vec()
        .and_then(|e| {
            e.iter()
                .find(|v| v["name"].as_str() == Some("OPTIMIZE_TELEMETRY_TOKEN"))
        })
        .unwrap_or_else(|| panic!("the token is not given to the container"));
    let from = &token_env["valueFrom"]["secretKeyRef"];
    assert_eq!(
        from["name"].as_str(),
        secret_name,
        "the token comes from the Secret"
    );
    let key = from["key"].as_str().unwrap_or_default();
    assert!(
        secret["stringData"][key].as_str().is_some(),
        "the Secret has `{key}`"
    );
    assert!(
        !toml.contains(secret["stringData"][key].as_str().unwrap_or("-")),
        "the ConfigMap never holds the token itself"
    );
    let security = &sidecar["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(security["allowPrivilegeEscalation"].as_bool(), Some(false));
    assert_eq!(pod["securityContext"]["runAsNonRoot"].as_bool(), Some(true));

    // The image the manifest names is built by the Containerfile, as the user it runs as.
    let containerfile =
        std::fs::read_to_string(crate::repo_root().join("packaging/container/Containerfile"))
            .unwrap_or_else(|e| panic!("{e}"));
    let user = pod["securityContext"]["runAsUser"].as_i64().unwrap_or(-1);
    assert!(
        containerfile.contains(&format!("USER {user}:")),
        "the Containerfile runs as {user}"
    );
    assert!(containerfile.contains(&format!("EXPOSE {}", cfg.control.address.port())));
}
