//! A minimal W3C WebDriver client for Debian's chromium + chromedriver: enough to open a page,
//! type, click, read text and take screenshots in real headless Chromium.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Driver {
    child: Child,
    base: String,
    profiles: super::TempDir,
}

pub struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

fn http() -> reqwest::Client {
    optimize_telemetry::http::local_client(Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn request(method: reqwest::Method, url: &str, body: Option<Value>) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let mut r = http().request(method, url);
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = r
            .send()
            .await
            .unwrap_or_else(|e| panic!("webdriver {url}: {e}"));
        let bytes = resp.bytes().await.unwrap_or_default();
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if let Some(err) = v["value"]["error"].as_str() {
            panic!("webdriver {url}: {err}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    })
}

impl Driver {
    /// Starts chromedriver on a free port. Fails (never skips) when Chromium is not installed.
    pub fn start() -> Driver {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            assert!(
                std::path::Path::new(tool).exists(),
                "{tool} is missing: install Debian's chromium and chromium-driver with scripts/setup-test-env.sh"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start chromedriver: {e}"));
        let up = super::wait_until(Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(up, "chromedriver did not start");
        Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            profiles: super::TempDir::new("chromium"),
        }
    }

    /// A new browser with a fresh profile (so no session storage is shared).
    pub fn session(&self) -> Session<'_> {
        let profile = self.profiles.join(&format!("p{}", fastrand::u32(..)));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1200,1400",
                    format!("--user-data-dir={}", profile.display())
                ]
            }
        }}});
        let v = request(
            reqwest::Method::POST,
            &format!("{}/session", self.base),
            Some(caps),
        );
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_owned();
        Session { driver: self, id }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Session<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.driver.base, self.id)
    }

    pub fn goto(&self, url: &str) {
        request(
            reqwest::Method::POST,
            &self.url("/url"),
            Some(json!({ "url": url })),
        );
    }

    fn element(&self, css: &str) -> String {
        let v = request(
            reqwest::Method::POST,
            &self.url("/element"),
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        request(
            reqwest::Method::POST,
            &self.url(&format!("/element/{id}/value")),
            Some(json!({ "text": text })),
        );
    }

    pub fn click(&self, css: &str) {
        let id = self.element(css);
        request(
            reqwest::Method::POST,
            &self.url(&format!("/element/{id}/click")),
            Some(json!({})),
        );
    }

    pub fn text(&self, css: &str) -> String {
        let id = self.element(css);
        request(
            reqwest::Method::GET,
            &self.url(&format!("/element/{id}/text")),
            None,
        )
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    pub fn script(&self, script: &str) -> Value {
        request(
            reqwest::Method::POST,
            &self.url("/execute/sync"),
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Waits (real time) until `condition` holds; panics with `what` if it never does.
    pub fn wait_for(&self, what: &str, mut condition: impl FnMut(&Self) -> bool) {
        let ok = super::wait_until(Duration::from_secs(20), || condition(self));
        assert!(ok, "timed out waiting for: {what}");
    }

    /// Saves a PNG screenshot to `target/test-output/<name>` and returns its path.
    pub fn screenshot(&self, name: &str) -> std::path::PathBuf {
        let data = request(reqwest::Method::GET, &self.url("/screenshot"), None);
        let png = decode_base64(data.as_str().unwrap_or_default());
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
        let url = format!("{}/session/{}", self.driver.base, self.id);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        if let Ok(rt) = rt {
            rt.block_on(async {
                let _ = http().delete(url).send().await;
            });
        }
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, d)| acc | (u32::from(*d) << (18 - 6 * i)));
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}
