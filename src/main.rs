//! The `optimize-telemetry` command: the daemon that runs next to Optimize, and the tools an
//! operator uses to see what it would send.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser as _;
use optimize_telemetry::cli::{Cli, Command, LogFormat, TokenArgs};
use optimize_telemetry::clock::SystemClock;
use optimize_telemetry::config::Config;
use optimize_telemetry::runtime::{self, Parts};

/// `print!` that ends the command quietly (exit 0) when the reader went away (`| head -c1`)
/// instead of panicking on the closed pipe.
macro_rules! out {
    ($($arg:tt)*) => { emit(format_args!($($arg)*)) };
}

/// `println!`, likewise.
macro_rules! outln {
    () => { emit(format_args!("\n")) };
    ($($arg:tt)*) => { emit(format_args!("{}\n", format_args!($($arg)*))) };
}

fn emit(args: std::fmt::Arguments) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("optimize-telemetry: error: cannot write output: {e}");
        std::process::exit(1);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet = !matches!(cli.command, Command::Run);
    let level = cli.log_level.unwrap_or(if quiet {
        tracing::Level::ERROR
    } else {
        tracing::Level::INFO
    });
    let logs = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false);
    match cli.log_format {
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        // One JSON object per line, the event's fields at the top level, for log collectors.
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    if let Command::Completions { shell } = cli.command {
        return ExitCode::from(completions(shell));
    }
    let env = |name: &str| std::env::var(name).ok();
    let config = match Config::load(cli.config.as_deref(), &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("optimize-telemetry: error: {e}");
            return ExitCode::from(2);
        }
    };
    let code = match cli.command {
        Command::Run => run(config),
        Command::Preview => preview(config),
        Command::Status => status(config),
        Command::Enable(t) => switch(config, &t, true),
        Command::Disable(t) => switch(config, &t, false),
        Command::Audit { verify, json } => audit(&config, verify, json),
        Command::HashToken => hash_token(),
        Command::Completions { shell } => completions(shell),
    };
    ExitCode::from(code)
}

/// A small runtime for the command's own waiting (signals); telemetry has its own thread.
fn local_runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("optimize-telemetry: error: cannot start: {e}");
            None
        }
    }
}

fn run(config: Config) -> u8 {
    let Some(rt) = local_runtime() else { return 1 };
    let handle = match runtime::start(config) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("optimize-telemetry: error: {e}");
            return 1;
        }
    };
    let control = &handle.shared().parts.config.control;
    if control.enabled {
        let listener = match std::net::TcpListener::bind(control.address)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
        {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "optimize-telemetry: error: cannot listen on {} (control.address): {e}",
                    control.address
                );
                return 1;
            }
        };
        if !control.address.ip().is_loopback() {
            tracing::warn!(
                address = %control.address,
                "the control API listens beyond loopback: anyone who can reach it can try tokens"
            );
        }
        let api = Arc::new(optimize_telemetry::control::Control::new(Arc::clone(
            handle.shared(),
        )));
        handle.runtime().spawn(async move {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(l) => optimize_telemetry::control::serve(l, api).await,
                Err(e) => tracing::error!(error = %e, "cannot serve the control API"),
            }
        });
        tracing::info!(address = %control.address, "control API and consent page listening");
    }
    tracing::info!(
        enabled = handle.shared().enabled(),
        state = %handle.shared().parts.config.state.dir.display(),
        "telemetry runtime started"
    );
    let signal = rt.block_on(async {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => return Err(e),
            };
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map(|()| "SIGINT"),
            _ = term.recv() => Ok("SIGTERM"),
        }
    });
    match signal {
        Ok(name) => tracing::info!(signal = name, "stopping; nothing more is collected or sent"),
        Err(e) => tracing::error!(error = %e, "cannot wait for signals; stopping"),
    }
    handle.stop();
    0
}

fn preview(config: Config) -> u8 {
    let Some(rt) = local_runtime() else { return 1 };
    let endpoint = config.endpoint.clone();
    let parts = match Parts::new(config, Arc::new(SystemClock)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("optimize-telemetry: error: {e}");
            return 1;
        }
    };
    let (payload, failures) = rt.block_on(runtime::preview(&parts));
    let mut text = serde_json::to_string_pretty(&payload).unwrap_or_default();
    text.push('\n');
    out!("{text}");
    for (source, why) in failures {
        eprintln!("note: source `{source}` unavailable ({why}); its items show \"Unknown\"");
    }
    let enabled = rt
        .block_on(parts.store.settings(parts.config.initialize_telemetry))
        .map(|s| s.metadata_telemetry_enabled)
        .unwrap_or(false);
    if let Some(var) = &parts.config.kill_switch {
        eprintln!(
            "note: telemetry is switched off on this host by {var}: nothing is sent, whatever the setting"
        );
        return 0;
    }
    match (enabled, endpoint) {
        (false, _) => {
            eprintln!("note: telemetry is disabled: nothing is sent unless a superuser enables it")
        }
        (true, Some(url)) => eprintln!(
            "note: telemetry is enabled: a report like this goes to {} once per interval",
            optimize_telemetry::config::redacted(&url)
        ),
        (true, None) => {
            eprintln!("note: telemetry is enabled but no endpoint is configured: nothing is sent")
        }
    }
    0
}

/// The token for `enable`/`disable`: from `--token-file`, else `OPTIMIZE_TELEMETRY_TOKEN`.
fn token(args: &TokenArgs) -> Result<String, String> {
    if let Some(path) = &args.token_file {
        return std::fs::read_to_string(path)
            .map(|t| t.trim().to_owned())
            .map_err(|e| format!("cannot read the token file {}: {e}", path.display()));
    }
    std::env::var("OPTIMIZE_TELEMETRY_TOKEN")
        .map(|t| t.trim().to_owned())
        .map_err(|_| "no token: set OPTIMIZE_TELEMETRY_TOKEN or pass --token-file".to_owned())
}

fn daemon_url(config: &Config, path: &str) -> String {
    format!("http://{}{path}", config.control.address)
}

fn daemon_client() -> Option<reqwest::Client> {
    match optimize_telemetry::sender::local_client(std::time::Duration::from_secs(10)) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("optimize-telemetry: error: {e}");
            None
        }
    }
}

fn switch(config: Config, args: &TokenArgs, on: bool) -> u8 {
    let token = match token(args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("optimize-telemetry: error: {e}");
            return 2;
        }
    };
    let (Some(rt), Some(client)) = (local_runtime(), daemon_client()) else {
        return 1;
    };
    let url = daemon_url(&config, "/api/settings");
    let result = rt.block_on(async {
        let response = client
            .put(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(serde_json::json!({ "metadataTelemetryEnabled": on }).to_string())
            .send()
            .await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        Ok::<_, reqwest::Error>((status, body))
    });
    match result {
        Ok((status, body)) if status.is_success() => {
            outln!(
                "telemetry is now {} (changed by {} at {})",
                if on { "enabled" } else { "disabled" },
                body["lastModifier"].as_str().unwrap_or("?"),
                body["lastModified"].as_str().unwrap_or("?")
            );
            0
        }
        Ok((status, body)) => {
            eprintln!(
                "optimize-telemetry: error: refused (HTTP {}): {}",
                status.as_u16(),
                body["errorMessage"].as_str().unwrap_or("no reason given")
            );
            1
        }
        Err(e) => {
            eprintln!(
                "optimize-telemetry: error: the daemon is not reachable at {} ({}); start it with `optimize-telemetry run`",
                config.control.address,
                optimize_telemetry::sender::describe(&e)
            );
            1
        }
    }
}

fn status(config: Config) -> u8 {
    let Some(rt) = local_runtime() else { return 1 };
    let address = config.control.address;
    // The daemon's view when we can ask it; the store's otherwise (same files, same answer).
    let from_daemon = std::env::var("OPTIMIZE_TELEMETRY_TOKEN")
        .ok()
        .and_then(|token| {
            let client = daemon_client()?;
            rt.block_on(async {
                let r = client
                    .get(daemon_url(&config, "/api/status"))
                    .bearer_auth(token.trim())
                    .send()
                    .await
                    .ok()?;
                if !r.status().is_success() {
                    return None;
                }
                serde_json::from_slice(&r.bytes().await.ok()?).ok()
            })
        });
    let (value, via) = match from_daemon {
        Some(v) => (v, format!("the running daemon at {address}")),
        None => {
            let dir = config.state.dir.display().to_string();
            let parts = match Parts::new(config, Arc::new(SystemClock)) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("optimize-telemetry: error: {e}");
                    return 1;
                }
            };
            match rt.block_on(runtime::Status::read(&parts)) {
                Ok(s) => (
                    serde_json::to_value(s).unwrap_or_default(),
                    format!("the state directory {dir}"),
                ),
                Err(e) => {
                    eprintln!("optimize-telemetry: error: {e}");
                    return 1;
                }
            }
        }
    };
    out!("{}", render_status(&value, &via));
    0
}

fn render_status(v: &serde_json::Value, via: &str) -> String {
    let s = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    let setting = &v["setting"];
    let stored = setting["metadataTelemetryEnabled"]
        .as_bool()
        .unwrap_or(false);
    let changed = match (s(&setting["lastModifier"]), s(&setting["lastModified"])) {
        (Some(who), Some(when)) => format!("set by {who} at {when}"),
        _ => "never changed; the configured default applies".to_owned(),
    };
    let mut out = String::new();
    let state = match s(&v["killSwitch"]) {
        Some(var) => format!(
            "disabled by the kill switch {var} (the stored setting is {}, {changed})",
            if stored { "enabled" } else { "disabled" }
        ),
        None if stored => format!("enabled ({changed})"),
        None => format!("disabled ({changed})"),
    };
    out.push_str(&format!("telemetry:  {state}\n"));
    out.push_str(&format!(
        "endpoint:   {}\n",
        s(&v["endpoint"]).unwrap_or_else(|| "none configured (nothing can be sent)".into())
    ));
    let last = &v["lastAttempt"];
    out.push_str(&format!(
        "last send:  {}\n",
        match (
            s(&last["at"]),
            last["success"].as_bool(),
            s(&last["outcome"])
        ) {
            (Some(at), Some(true), Some(o)) => format!("{at}, succeeded ({o})"),
            (Some(at), Some(false), Some(o)) => format!("{at}, failed ({o})"),
            _ => "never".into(),
        }
    ));
    if let Some(ok) = s(&v["lastSuccess"]) {
        out.push_str(&format!("last success: {ok}\n"));
    }
    out.push_str(&format!(
        "next send:  {}\n",
        s(&v["nextSend"])
            .unwrap_or_else(|| "none planned (telemetry is off or has no endpoint)".into())
    ));
    out.push_str(&format!("(read from {via})\n"));
    out
}

fn audit(config: &Config, verify: bool, json: bool) -> u8 {
    let ledger = optimize_telemetry::audit::Ledger::new(&config.state.dir);
    let entries = match ledger.read() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("optimize-telemetry: error: {e}");
            return 1;
        }
    };
    if verify {
        return match ledger.verify(&entries) {
            optimize_telemetry::audit::Verdict::Intact { entries, first_seq } => {
                match first_seq {
                    Some(first) if first > 1 => outln!(
                        "audit ledger intact: {entries} entries, from entry {first} (entries before it were rotated out)"
                    ),
                    _ => outln!("audit ledger intact: {entries} entries"),
                }
                0
            }
            optimize_telemetry::audit::Verdict::Broken {
                file,
                line,
                seq,
                reason,
            } => {
                let which = seq.map_or_else(|| "an entry".to_owned(), |s| format!("entry {s}"));
                eprintln!(
                    "audit ledger broken at {which} ({}:{line}): {reason}",
                    file.display()
                );
                1
            }
        };
    }
    if entries.is_empty() {
        outln!(
            "no send attempts recorded in {}",
            config.state.dir.display()
        );
        return 0;
    }
    for located in &entries {
        match &located.entry {
            Ok(e) if json => outln!("{}", serde_json::to_string(e).unwrap_or_default()),
            Ok(e) => outln!(
                "{:>5}  {}  {}  {:<24}  sha256:{}",
                e.seq,
                e.time.rfc3339(),
                if e.success { "sent  " } else { "failed" },
                match (e.status, &e.error) {
                    (Some(s), _) => format!("HTTP {s}"),
                    (None, Some(err)) => err.chars().take(24).collect(),
                    (None, None) => "-".into(),
                },
                e.payload_sha256.chars().take(16).collect::<String>()
            ),
            Err(why) => outln!(
                "  ???  unreadable line {}:{} ({why})",
                located.file.display(),
                located.line
            ),
        }
    }
    0
}

fn hash_token() -> u8 {
    let mut token = String::new();
    if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut token) {
        eprintln!("optimize-telemetry: error: cannot read standard input: {e}");
        return 2;
    }
    if token.trim().is_empty() {
        eprintln!("optimize-telemetry: error: no token on standard input");
        return 2;
    }
    outln!("{}", optimize_telemetry::control::auth::digest_hex(&token));
    0
}

/// The completion script for `shell`, made from the same clap definition the binary parses.
fn completions(shell: clap_complete::Shell) -> u8 {
    let mut script = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "optimize-telemetry",
        &mut script,
    );
    out!("{}", String::from_utf8_lossy(&script));
    0
}
