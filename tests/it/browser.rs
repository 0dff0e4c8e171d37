//! The consent page end to end in real headless Chromium (Debian's chromium, driven through
//! chromedriver): a superuser switches telemetry on from the modal and the next scheduled run
//! sends; a normal user's attempt shows the 403; after an upgrade that adds a sensitive item the
//! page shows the pause and its confirmation dialog lists exactly the differences to approve.
//! Screenshots go to `target/test-output/`.

use std::time::Duration;

use crate::control::{Daemon, SUPER_TOKEN, USER_TOKEN};
use crate::support::wait_until;
use crate::support::webdriver::Driver;

fn dialog_open(s: &crate::support::webdriver::Session<'_>) -> bool {
    s.script("return document.getElementById('confirm-dialog').open;") == serde_json::json!(true)
}

#[test]
fn the_consent_page_in_chromium() {
    let d = Daemon::start(false, None);
    let driver = Driver::start();

    // A superuser switches telemetry on from the modal.
    let admin = driver.session();
    admin.goto(&d.url("/"));
    admin.type_into("#token", SUPER_TOKEN);
    admin.click("#signin button");
    admin.wait_for("the superuser's view", |s| {
        s.text("#who").contains("a superuser") && s.text("#state") == "off"
    });
    admin.wait_for("the preview", |s| {
        s.text("#preview").contains("\"installation\"")
    });
    admin.click("#toggle");
    admin.wait_for("the confirmation modal", dialog_open);
    assert_eq!(admin.text("#confirm-title"), "Turn telemetry on?");
    admin.screenshot("consent-superuser-confirm.png");
    assert_eq!(d.rx.connections(), 0, "nothing is sent before confirming");
    admin.click("#confirm");
    admin.wait_for("the page to show telemetry on", |s| {
        s.text("#state") == "on"
    });
    assert!(admin.text("#changed").contains("Last changed by demo"));
    let stored = d.settings_file().unwrap_or_default();
    assert!(
        stored.contains("\"metadataTelemetryEnabled\": true")
            && stored.contains("\"lastModifier\": \"demo\""),
        "{stored}"
    );
    assert!(
        wait_until(Duration::from_secs(20), || d.rx.requests().len() == 1),
        "the next scheduled run did not send"
    );
    admin.screenshot("consent-superuser-on.png");

    // A normal user sees why they cannot, and the attempt reports the 403.
    let user = driver.session();
    user.goto(&d.url("/"));
    user.type_into("#token", USER_TOKEN);
    user.click("#signin button");
    user.wait_for("the user's view", |s| {
        s.text("#who")
            .contains("Only superusers can switch telemetry")
    });
    user.wait_for("the current state", |s| s.text("#state") == "on");
    user.click("#toggle");
    user.wait_for("the confirmation modal", dialog_open);
    user.click("#confirm");
    user.wait_for("the 403 message", |s| {
        s.text("#control-error")
            .contains("user [kermit] is not authorized to configure settings")
    });
    user.screenshot("consent-user-403.png");
    assert_eq!(
        d.settings_file(),
        Some(stored),
        "the refused change left the store alone"
    );

    // A wrong token is refused on the page.
    let stranger = driver.session();
    stranger.goto(&d.url("/"));
    stranger.type_into("#token", "not-a-token");
    stranger.click("#signin button");
    stranger.wait_for("the sign-in error", |s| {
        s.text("#signin-error").contains("the token is not valid")
    });
    d.handle.stop();
}

#[test]
fn the_consent_page_shows_what_needs_approval_in_the_dialog() {
    use telemetry_types::Sensitivity;
    let (old, added) = crate::consent::without_first(Sensitivity::BusinessConfidential);
    let expected: Vec<String> = telemetry_types::consent::compare(
        &old.items,
        &optimize_telemetry::consent::running().items,
    )
    .into_iter()
    .filter(|c| c.needs_approval)
    .map(|c| format!("{}: {}", c.item, c.reason))
    .collect();
    assert_eq!(expected.len(), 1, "{expected:?}");
    let d = Daemon::start_after(false, None, &|cfg| {
        crate::consent::store_approval(cfg, old.clone())
    });
    let driver = Driver::start();
    let admin = driver.session();
    admin.goto(&d.url("/"));
    admin.type_into("#token", SUPER_TOKEN);
    admin.click("#signin button");
    admin.wait_for("the paused state", |s| s.text("#state") == "paused");
    assert!(admin.text("#consent-text").contains("Paused"));
    assert!(admin.text("#consent-changes").contains(&added));
    assert_eq!(admin.text("#toggle"), "Review and approve…");
    admin.click("#toggle");
    admin.wait_for("the confirmation modal", dialog_open);
    assert_eq!(
        admin.text("#confirm-title"),
        "Approve what this version sends?"
    );
    let listed = admin.script(
        "return Array.from(document.querySelectorAll('#confirm-changes li')).map((li) => li.textContent);",
    );
    assert_eq!(
        listed,
        serde_json::json!(expected),
        "exactly the differences"
    );
    admin.screenshot("consent-approve-differences.png");
    assert_eq!(d.rx.connections(), 0, "nothing is sent before approving");
    admin.click("#confirm");
    admin.wait_for("the page to show telemetry on", |s| {
        s.text("#state") == "on"
    });
    assert!(
        wait_until(Duration::from_secs(20), || d.rx.requests().len() == 1),
        "the approval did not resume sending"
    );
    let stored = d.settings_file().unwrap_or_default();
    assert!(
        stored.contains(&optimize_telemetry::consent::running().digest),
        "{stored}"
    );
    d.handle.stop();
}
