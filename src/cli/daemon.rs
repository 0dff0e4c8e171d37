//! `enable`, `disable` and `status`: talking to the running daemon with a user's token, and
//! reading the state directory when no daemon answers.

use std::sync::Arc;

use super::{TokenArgs, local_runtime};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::runtime::{self, Parts};

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
    match crate::http::local_client(std::time::Duration::from_secs(10)) {
        Ok(c) => Some(c),
        Err(e) => {
            note!("optimize-telemetry: error: {e}");
            None
        }
    }
}

pub(super) fn switch(config: Config, args: &TokenArgs, on: bool) -> u8 {
    let token = match token(args) {
        Ok(t) => t,
        Err(e) => {
            note!("optimize-telemetry: error: {e}");
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
            note!(
                "optimize-telemetry: error: refused (HTTP {}): {}",
                status.as_u16(),
                body["errorMessage"].as_str().unwrap_or("no reason given")
            );
            1
        }
        Err(e) => {
            note!(
                "optimize-telemetry: error: the daemon is not reachable at {} ({}); start it with `optimize-telemetry run`",
                config.control.address,
                crate::http::describe(&e)
            );
            1
        }
    }
}

pub(super) fn status(config: Config) -> u8 {
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
                    note!("optimize-telemetry: error: {e}");
                    return 1;
                }
            };
            match rt.block_on(runtime::Status::read(&parts)) {
                Ok(s) => (
                    serde_json::to_value(s).unwrap_or_default(),
                    format!("the state directory {dir}"),
                ),
                Err(e) => {
                    note!("optimize-telemetry: error: {e}");
                    return 1;
                }
            }
        }
    };
    out!("{}", render_status(&value, &via));
    0
}

/// The approval against the running spec: why sending is paused, or what is new since the
/// approval and covered by it.
fn render_consent(c: &serde_json::Value) -> String {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("-").to_owned();
    let running = s(&c["runningVersion"]);
    let mut out = match c["state"].as_str() {
        Some("needs-approval") => format!(
            "approval:   PAUSED: the running spec {running} discloses more than spec {} approved by {}; nothing is sent until a superuser approves again\n",
            s(&c["approvedVersion"]),
            s(&c["approvedBy"])
        ),
        Some("covered") => format!(
            "approval:   spec {} approved by {}; covers the running spec {running}\n",
            s(&c["approvedVersion"]),
            s(&c["approvedBy"])
        ),
        Some("unrecorded") => format!(
            "approval:   switched on without a recorded approval; the first start of this version records it as an approval of the running spec {running}, otherwise nothing is sent until a superuser approves\n"
        ),
        _ => return String::new(),
    };
    for change in c["changes"].as_array().into_iter().flatten() {
        let needs = change["needsApproval"].as_bool().unwrap_or(true);
        out.push_str(&format!(
            "  {} {}: {}\n",
            if needs {
                "needs approval:"
            } else {
                "new since your approval:"
            },
            s(&change["item"]),
            s(&change["reason"])
        ));
    }
    out
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
    out.push_str(&render_consent(&v["consent"]));
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
