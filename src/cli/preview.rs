//! `preview`: the report that would be sent now, on stdout; sends nothing.

use std::sync::Arc;

use super::local_runtime;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::runtime::{self, Parts};

pub(super) fn preview(config: Config) -> u8 {
    let Some(rt) = local_runtime() else { return 1 };
    let endpoint = config.endpoint.clone();
    let parts = match Parts::new(config, Arc::new(SystemClock)) {
        Ok(p) => p,
        Err(e) => {
            note!("optimize-telemetry: error: {e}");
            return 1;
        }
    };
    let (payload, failures) = rt.block_on(runtime::preview(&parts));
    let mut text = serde_json::to_string_pretty(&payload).unwrap_or_default();
    text.push('\n');
    out!("{text}");
    for (source, why) in failures {
        note!("note: source `{source}` unavailable ({why}); its items show \"Unknown\"");
    }
    let setting = rt
        .block_on(parts.store.settings(parts.config.initialize_telemetry))
        .ok();
    let enabled = setting
        .as_ref()
        .is_some_and(|s| s.metadata_telemetry_enabled);
    let consent = setting
        .as_ref()
        .map(|s| crate::consent::evaluate(s, &parts.disclosure));
    if let Some(var) = &parts.config.kill_switch {
        note!(
            "note: telemetry is switched off on this host by {var}: nothing is sent, whatever the setting"
        );
        return 0;
    }
    if let Some(c) = consent
        .as_ref()
        .filter(|c| c.state == crate::consent::ConsentState::NeedsApproval)
    {
        note!(
            "note: telemetry is paused: the running spec {} discloses more than spec {} that a superuser approved; nothing is sent until a superuser approves again:",
            c.running_version,
            c.approved_version.as_deref().unwrap_or("-")
        );
        for line in c.describe() {
            note!("  {line}");
        }
        return 0;
    }
    if consent
        .as_ref()
        .is_some_and(|c| c.state == crate::consent::ConsentState::Unrecorded)
    {
        note!(
            "note: the setting has no recorded approval yet: the runtime's first start records it as an approval of this spec (if this installation recorded none before; otherwise nothing is sent until a superuser approves)"
        );
    }
    if let Some(c) = consent.as_ref().filter(|c| !c.changes.is_empty()) {
        note!(
            "note: new since your approval of spec {} (covered by it):",
            c.approved_version.as_deref().unwrap_or("-")
        );
        for line in c.describe() {
            note!("  {line}");
        }
    }
    match (enabled, endpoint) {
        (false, _) => {
            note!("note: telemetry is disabled: nothing is sent unless a superuser enables it")
        }
        (true, Some(url)) => note!(
            "note: telemetry is enabled: a report like this goes to {} once per interval",
            crate::config::redacted(&url)
        ),
        (true, None) => {
            note!("note: telemetry is enabled but no endpoint is configured: nothing is sent")
        }
    }
    0
}
