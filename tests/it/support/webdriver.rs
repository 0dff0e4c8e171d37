//! Real headless Chromium for the consent page's test: Debian's chromedriver on a free loopback
//! port, driven through thirtyfour's WebDriver client, one fresh profile per browser, and
//! blocking calls so the test reads as a person's steps.

use std::future::IntoFuture;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use thirtyfour::ChromeCapabilities;
use thirtyfour::prelude::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// What Chromium is started with: headless, as root in a container (no sandbox, no GPU, no
/// /dev/shm), and quiet: nothing of its own goes to the network (updates, sync, first-run).
const CHROMIUM_ARGS: [&str; 10] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,1400",
];

/// A running chromedriver; each [`Driver::session`] is a browser of its own.
pub struct Driver {
    child: Child,
    url: String,
    profiles: super::TempDir,
    rt: tokio::runtime::Runtime,
}

/// One browser. It is closed when dropped.
pub struct Session<'a> {
    driver: &'a Driver,
    browser: Option<WebDriver>,
}

impl Driver {
    /// Starts chromedriver on a free port. Fails (never skips) when Chromium is not installed.
    pub fn start() -> Driver {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(tool).exists(),
                "{tool} is missing: install Debian's chromium and chromium-driver with scripts/setup-test-env.sh"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start chromedriver: {e}"));
        let up = super::wait_until(Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(up, "chromedriver did not start");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profiles: super::TempDir::new("chromium"),
            rt,
        }
    }

    /// A new browser with a fresh profile (so no session storage is shared).
    pub fn session(&self) -> Session<'_> {
        let profile = self.profiles.join(&format!("p{}", fastrand::u32(..)));
        let caps = chromium(&profile).unwrap_or_else(|e| panic!("chromium capabilities: {e}"));
        // The project's own client for loopback: plain HTTP, never through a proxy.
        let http = optimize_telemetry::http::local_client(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("{e}"));
        let browser = self
            .rt
            .block_on(
                WebDriver::builder(self.url.as_str(), caps)
                    .client(http)
                    .into_future(),
            )
            .unwrap_or_else(|e| panic!("no browser session: {e}"));
        Session {
            driver: self,
            browser: Some(browser),
        }
    }
}

fn chromium(profile: &std::path::Path) -> WebDriverResult<ChromeCapabilities> {
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(CHROMIUM)?;
    for arg in CHROMIUM_ARGS {
        caps.add_arg(arg)?;
    }
    caps.add_arg(&format!("--user-data-dir={}", profile.display()))?;
    Ok(caps)
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Session<'_> {
    /// Runs one WebDriver step to completion; a failed step fails the test, naming the step.
    fn run<T, F>(&self, what: &str, step: impl FnOnce(WebDriver) -> F) -> T
    where
        F: Future<Output = WebDriverResult<T>>,
    {
        let browser = self
            .browser
            .clone()
            .unwrap_or_else(|| panic!("the browser is closed"));
        self.driver
            .rt
            .block_on(step(browser))
            .unwrap_or_else(|e| panic!("webdriver {what}: {e}"))
    }

    pub fn goto(&self, url: &str) {
        self.run(url, |b| async move { b.goto(url).await });
    }

    pub fn type_into(&self, css: &str, text: &str) {
        self.run(css, |b| async move {
            b.find(By::Css(css)).await?.send_keys(text).await
        });
    }

    pub fn click(&self, css: &str) {
        self.run(
            css,
            |b| async move { b.find(By::Css(css)).await?.click().await },
        );
    }

    pub fn text(&self, css: &str) -> String {
        self.run(
            css,
            |b| async move { b.find(By::Css(css)).await?.text().await },
        )
    }

    pub fn script(&self, script: &str) -> Value {
        self.run(script, |b| async move {
            Ok(b.execute(script, Vec::new()).await?.json().clone())
        })
    }

    /// Waits (real time) until `condition` holds; panics with `what` if it never does.
    pub fn wait_for(&self, what: &str, mut condition: impl FnMut(&Self) -> bool) {
        let ok = super::wait_until(Duration::from_secs(20), || condition(self));
        assert!(ok, "timed out waiting for: {what}");
    }

    /// Saves a PNG screenshot to `target/test-output/<name>` and returns its path.
    pub fn screenshot(&self, name: &str) -> std::path::PathBuf {
        let png = self.run(name, |b| async move { b.screenshot_as_png().await });
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-output");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.join(name);
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("{e}"));
        println!("screenshot: {}", path.display());
        path
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if let Some(browser) = self.browser.take() {
            let _ = self.driver.rt.block_on(browser.quit());
        }
    }
}
