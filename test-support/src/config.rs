//! A typed builder for the runtime's configuration file (the format of
//! `optimize-telemetry.example.toml`), so tests say which keys they set instead of formatting
//! TOML by hand. It writes text through the `toml` crate, which quotes and escapes every value;
//! it knows nothing of the runtime's types, and the runtime's tests check that each key it
//! writes is one the runtime reads.

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::{Table, Value};

/// An address where nothing listens on loopback (port 9, discard): a source pointed at it fails
/// at once with "connection refused", so tests that do not care about the database stay quick.
pub const NOTHING_LISTENS: &str = "http://127.0.0.1:9";

/// The configuration file, built key by key; a key not set is left to the runtime's default.
#[derive(Clone, Debug, Default)]
pub struct ConfigBuilder {
    root: Table,
}

impl ConfigBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    // [telemetry]

    /// `initializeTelemetry`: seeds the stored setting when there is none yet.
    pub fn initialize_telemetry(self, on: bool) -> Self {
        self.set("telemetry", "initializeTelemetry", on)
    }

    /// `telemetryEndpoint`, where reports go.
    pub fn endpoint(self, url: &str) -> Self {
        self.set("telemetry", "telemetryEndpoint", url)
    }

    /// `reportingIntervalInHours`, written in hours as the file wants it.
    pub fn reporting_interval(self, every: Duration) -> Self {
        self.set(
            "telemetry",
            "reportingIntervalInHours",
            every.as_secs_f64() / 3600.0,
        )
    }

    /// `initialDelaySeconds`.
    pub fn initial_delay(self, delay: Duration) -> Self {
        self.set("telemetry", "initialDelaySeconds", seconds(delay))
    }

    /// `maxAttemptsPerPeriod`.
    pub fn max_attempts_per_period(self, attempts: u32) -> Self {
        self.set("telemetry", "maxAttemptsPerPeriod", i64::from(attempts))
    }

    /// `retryBaseSeconds` and `retryCapSeconds`.
    pub fn retry(self, base: Duration, cap: Duration) -> Self {
        self.set("telemetry", "retryBaseSeconds", seconds(base))
            .set("telemetry", "retryCapSeconds", seconds(cap))
    }

    /// `sendLeaseSeconds`.
    pub fn send_lease(self, lease: Duration) -> Self {
        self.set("telemetry", "sendLeaseSeconds", seconds(lease))
    }

    /// `statePollSeconds`.
    pub fn state_poll(self, every: Duration) -> Self {
        self.set("telemetry", "statePollSeconds", seconds(every))
    }

    // [http]

    /// `http.caFile`: the test CA the loopback receiver's certificate is signed by.
    pub fn ca_file(self, pem: &Path) -> Self {
        self.set("http", "caFile", path(pem))
    }

    /// `http.proxy`.
    pub fn proxy(self, url: &str) -> Self {
        self.set("http", "proxy", url)
    }

    /// `http.timeoutSeconds`, of one send.
    pub fn send_timeout(self, timeout: Duration) -> Self {
        self.set("http", "timeoutSeconds", seconds(timeout))
    }

    /// `http.sourceTimeoutSeconds`, of one request to a source.
    pub fn source_timeout(self, timeout: Duration) -> Self {
        self.set("http", "sourceTimeoutSeconds", seconds(timeout))
    }

    // [optimize]

    /// `optimize.version` and `optimize.edition`.
    pub fn optimize(self, version: &str, edition: &str) -> Self {
        self.set("optimize", "version", version)
            .set("optimize", "edition", edition)
    }

    // [elasticsearch]

    /// `elasticsearch.url`.
    pub fn elasticsearch(self, url: &str) -> Self {
        self.set("elasticsearch", "url", url)
    }

    /// A database where nothing listens ([`NOTHING_LISTENS`]).
    pub fn no_database(self) -> Self {
        self.elasticsearch(NOTHING_LISTENS)
    }

    /// `elasticsearch.username` (its password comes from the environment or a file).
    pub fn elasticsearch_username(self, user: &str) -> Self {
        self.set("elasticsearch", "username", user)
    }

    // [license]

    /// `license.file`.
    pub fn license_file(self, file: &Path) -> Self {
        self.set("license", "file", path(file))
    }

    // [state]

    /// `state.dir`: the embedded store, and the audit ledger with either kind of store.
    pub fn state_dir(self, dir: &Path) -> Self {
        self.set("state", "dir", path(dir))
    }

    /// `state.kind = "elasticsearch"`: the state shared through the cluster.
    pub fn cluster_store(self) -> Self {
        self.set("state", "kind", "elasticsearch")
    }

    // [[engines]]

    /// One more `[[engines]]` entry.
    pub fn engine(self, name: &str, rest: &str) -> Self {
        let mut engine = Table::new();
        engine.insert("name".into(), name.into());
        engine.insert("rest".into(), rest.into());
        self.push(None, "engines", engine)
    }

    // [control]

    /// `control.enabled`.
    pub fn control_enabled(self, on: bool) -> Self {
        self.set("control", "enabled", on)
    }

    /// `control.address`.
    pub fn control_address(self, address: &str) -> Self {
        self.set("control", "address", address)
    }

    /// `control.superUserIds`.
    pub fn super_users(self, ids: &[&str]) -> Self {
        let ids = ids.iter().map(|id| Value::from(*id)).collect::<Vec<_>>();
        self.set("control", "superUserIds", ids)
    }

    /// One more `[[control.tokens]]` entry: a user, the SHA-256 of their token in hex, and
    /// when it expires (RFC 3339), if it does.
    pub fn token(self, user_id: &str, sha256_hex: &str, expires: Option<&str>) -> Self {
        let mut token = Table::new();
        token.insert("userId".into(), user_id.into());
        token.insert("sha256".into(), sha256_hex.into());
        if let Some(expires) = expires {
            token.insert("expires".into(), expires.into());
        }
        self.push(Some("control"), "tokens", token)
    }

    /// `control.metricsPublic`.
    pub fn metrics_public(self, public: bool) -> Self {
        self.set("control", "metricsPublic", public)
    }

    /// The file's text.
    pub fn to_toml(&self) -> String {
        toml::to_string(&self.root)
            .unwrap_or_else(|e| panic!("cannot write the test configuration as TOML: {e}"))
    }

    /// Writes the file to `file` and returns its path.
    pub fn write(&self, file: &Path) -> PathBuf {
        std::fs::write(file, self.to_toml())
            .unwrap_or_else(|e| panic!("cannot write config `{}`: {e}", file.display()));
        file.to_path_buf()
    }

    fn set(mut self, table: &str, key: &str, value: impl Into<Value>) -> Self {
        if let Some(table) = self.table(table) {
            table.insert(key.to_owned(), value.into());
        }
        self
    }

    /// Appends `entry` to the array of tables `key`, inside `table` or at the top.
    fn push(mut self, table: Option<&str>, key: &str, entry: Table) -> Self {
        let parent = match table {
            Some(name) => self.table(name),
            None => Some(&mut self.root),
        };
        let array = parent.map(|t| {
            t.entry(key.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()))
        });
        if let Some(Value::Array(entries)) = array {
            entries.push(Value::Table(entry));
        }
        self
    }

    fn table(&mut self, name: &str) -> Option<&mut Table> {
        match self
            .root
            .entry(name.to_owned())
            .or_insert_with(|| Value::Table(Table::new()))
        {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }
}

/// Whole seconds as an integer, as a person would write them; anything finer as a float.
fn seconds(d: Duration) -> Value {
    match i64::try_from(d.as_secs()) {
        Ok(s) if d.subsec_nanos() == 0 => Value::Integer(s),
        _ => Value::Float(d.as_secs_f64()),
    }
}

fn path(p: &Path) -> Value {
    Value::String(p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(b: &ConfigBuilder) -> Table {
        let text = b.to_toml();
        text.parse::<Table>()
            .unwrap_or_else(|e| panic!("not TOML: {e}\n{text}"))
    }

    fn at<'a>(t: &'a Table, path: &str) -> &'a Value {
        let mut parts = path.split('.');
        let first = parts.next().unwrap_or_default();
        let start = t
            .get(first)
            .unwrap_or_else(|| panic!("no `{first}` in {t}"));
        parts.fold(start, |v, part| {
            let next = match part.parse::<usize>() {
                Ok(i) => v.get(i),
                Err(_) => v.get(part),
            };
            next.unwrap_or_else(|| panic!("no `{path}` in {t}"))
        })
    }

    #[test]
    fn each_setting_lands_under_its_table_and_key() {
        let b = ConfigBuilder::new()
            .initialize_telemetry(true)
            .endpoint("https://127.0.0.1:8443/pings")
            .reporting_interval(Duration::from_secs(12))
            .initial_delay(Duration::ZERO)
            .retry(Duration::from_secs(1), Duration::from_millis(1500))
            .max_attempts_per_period(3)
            .ca_file(Path::new("/tmp/ca.pem"))
            .no_database()
            .state_dir(Path::new("/tmp/state"))
            .cluster_store()
            .engine("first", "http://127.0.0.1:1/engine-rest")
            .engine("second", "http://127.0.0.1:2/engine-rest")
            .control_address("127.0.0.1:0")
            .super_users(&["demo"])
            .token("demo", "ab", None)
            .token("old", "cd", Some("2020-01-01T00:00:00Z"));
        let t = parsed(&b);
        assert_eq!(
            at(&t, "telemetry.initializeTelemetry"),
            &Value::Boolean(true)
        );
        assert_eq!(
            at(&t, "telemetry.telemetryEndpoint").as_str(),
            Some("https://127.0.0.1:8443/pings")
        );
        let hours = at(&t, "telemetry.reportingIntervalInHours").as_float();
        assert_eq!(hours.map(|h| (h * 3600.0).round()), Some(12.0));
        assert_eq!(at(&t, "telemetry.initialDelaySeconds"), &Value::Integer(0));
        assert_eq!(at(&t, "telemetry.retryBaseSeconds"), &Value::Integer(1));
        assert_eq!(at(&t, "telemetry.retryCapSeconds"), &Value::Float(1.5));
        assert_eq!(at(&t, "telemetry.maxAttemptsPerPeriod"), &Value::Integer(3));
        assert_eq!(at(&t, "http.caFile").as_str(), Some("/tmp/ca.pem"));
        assert_eq!(at(&t, "elasticsearch.url").as_str(), Some(NOTHING_LISTENS));
        assert_eq!(at(&t, "state.dir").as_str(), Some("/tmp/state"));
        assert_eq!(at(&t, "state.kind").as_str(), Some("elasticsearch"));
        assert_eq!(at(&t, "engines.1.name").as_str(), Some("second"));
        assert_eq!(
            at(&t, "engines.0.rest").as_str(),
            Some("http://127.0.0.1:1/engine-rest")
        );
        assert_eq!(at(&t, "control.superUserIds.0").as_str(), Some("demo"));
        assert_eq!(at(&t, "control.tokens.1.userId").as_str(), Some("old"));
        assert_eq!(
            at(&t, "control.tokens.1.expires").as_str(),
            Some("2020-01-01T00:00:00Z")
        );
        assert!(
            at(&t, "control.tokens.0").get("expires").is_none(),
            "an unset expiry is left out"
        );
        assert_eq!(
            t.keys().collect::<Vec<_>>(),
            [
                "telemetry",
                "http",
                "elasticsearch",
                "state",
                "engines",
                "control"
            ],
            "nothing else is written"
        );
    }

    #[test]
    fn paths_and_urls_that_would_break_hand_written_toml_survive() {
        let dir = Path::new("/tmp/a \"quoted\" dir\\with\nnewline");
        let url = "https://127.0.0.1:1/p?q=\"x\"&r=\\";
        let t = parsed(&ConfigBuilder::new().state_dir(dir).endpoint(url));
        assert_eq!(at(&t, "state.dir").as_str(), dir.to_str());
        assert_eq!(at(&t, "telemetry.telemetryEndpoint").as_str(), Some(url));
    }

    #[test]
    fn nothing_set_is_an_empty_file() {
        assert_eq!(ConfigBuilder::new().to_toml().trim(), "");
    }
}
