//! The runtime's configuration: a TOML file (Optimize's own `telemetry.*` keys plus what the
//! runtime needs to find its sources), overridable by environment variables.
//!
//! Every key is one row of [`KEYS`] (`keys.rs`): name, variable, default, rule, doc. A load
//! (`load.rs`) starts from the defaults, reads the file (`file.rs`) and the environment
//! (`env.rs`) through the same rules (`rules.rs`) into a draft (`draft.rs`), and refuses the
//! configuration with every problem found (`error.rs`), each at `file:line:col` or naming the
//! environment variable.

mod draft;
mod env;
mod error;
mod file;
mod keys;
mod load;
mod rules;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::{ConfigError, Diagnostic, Location};
pub use keys::{KEYS, Key, Preset};

/// The shortest pause between two attempts to send.
pub const MIN_RETRY: Duration = Duration::from_secs(1);
/// The shortest reporting interval (for tests; production uses 24 hours).
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// The file read when `--config` is not given.
pub const DEFAULT_FILE: &str = "optimize-telemetry.toml";

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The setting stored when none exists yet.
    pub initialize_telemetry: bool,
    /// One report per interval.
    pub interval: Duration,
    /// Reports are never sent without one.
    pub endpoint: Option<reqwest::Url>,
    /// How soon after start (or after switching on) the first
    /// report of an installation that never reported is sent.
    pub initial_delay: Duration,
    /// How long a won send lease lasts before another instance
    /// may take over the period (a crashed sender's period is finished by another instance).
    pub send_lease: Duration,
    /// How often the shared state is read again: the setting (to
    /// follow changes made by another process or instance), and the send state after a failed
    /// read or a lease held by another instance.
    pub state_poll: Duration,
    pub retry: RetryPolicy,
    pub http: HttpConfig,
    pub optimize: OptimizeConfig,
    pub elasticsearch: ElasticsearchConfig,
    /// The license key file.
    pub license_file: Option<PathBuf>,
    pub engines: Vec<EngineConfig>,
    pub state: StateConfig,
    pub control: ControlConfig,
    /// The environment variable that forces telemetry off on this host, if one is set.
    pub kill_switch: Option<String>,
}

/// The control API of `run`.
#[derive(Debug, Clone)]
pub struct ControlConfig {
    /// Whether `run` serves it.
    pub enabled: bool,
    /// Where it listens; loopback unless configured otherwise.
    pub address: std::net::SocketAddr,
    /// Users who may change the setting.
    pub super_user_ids: Vec<String>,
    /// Bearer tokens, stored as SHA-256 digests only.
    pub tokens: Vec<TokenConfig>,
    /// Whether `GET /metrics` answers without a token.
    pub metrics_public: bool,
}

#[derive(Clone)]
pub struct TokenConfig {
    pub user_id: String,
    pub sha256: [u8; 32],
    pub expires: Option<crate::clock::Timestamp>,
}

impl std::fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Even a digest has no business in logs.
        f.debug_struct("TokenConfig")
            .field("user_id", &self.user_id)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// The environment variables that force telemetry off, whatever the stored setting says.
pub const KILL_SWITCHES: [&str; 2] = ["OPTIMIZE_TELEMETRY_DISABLED", "DO_NOT_TRACK"];

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Sends tried per period before waiting for the next one.
    pub max_attempts: u32,
    /// The first pause after a failure; doubled after each further failure.
    pub base: Duration,
    /// The longest pause between two attempts.
    pub cap: Duration,
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Extra trusted certificate authorities (PEM), on top of the built-in roots.
    pub ca_file: Option<PathBuf>,
    /// Proxy for the telemetry endpoint; `HTTPS_PROXY` is honoured when this is unset.
    pub proxy: Option<reqwest::Url>,
    /// Connect timeout, and total timeout of one request.
    pub timeout: Duration,
    /// Timeout of one request to a source (Elasticsearch, an engine).
    pub source_timeout: Duration,
}

#[derive(Debug, Clone, Default)]
pub struct OptimizeConfig {
    pub version: Option<String>,
    pub edition: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ElasticsearchConfig {
    pub url: reqwest::Url,
    pub index_prefix: String,
    /// Credentials for the cluster (read from a file or the environment, never the config).
    pub auth: Option<EsAuth>,
}

/// How to authenticate to Elasticsearch.
#[derive(Clone, PartialEq, Eq)]
pub enum EsAuth {
    Basic { username: String, password: String },
    ApiKey(String),
}

impl std::fmt::Debug for EsAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EsAuth::Basic { username, .. } => write!(f, "Basic({username}, <password hidden>)"),
            EsAuth::ApiKey(_) => f.write_str("ApiKey(<hidden>)"),
        }
    }
}

/// Where the state store lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// A directory on this host.
    Embedded,
    /// Optimize's Elasticsearch/OpenSearch cluster, shared by all instances.
    Elasticsearch,
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub name: String,
    /// The engine's REST API root, such as `http://localhost:8080/engine-rest`.
    pub rest: reqwest::Url,
}

#[derive(Debug, Clone)]
pub struct StateConfig {
    /// In a directory of this host, or in the cluster.
    pub kind: StoreKind,
    /// Where the embedded store keeps the installation id, settings and send state; the
    /// audit ledger is kept here whatever the kind.
    pub dir: PathBuf,
}

impl Default for Config {
    /// Every key at its default (see [`KEYS`]).
    fn default() -> Self {
        let draft = draft::Draft::with_defaults();
        draft.into_config(None)
    }
}

impl Config {
    /// Reads `path` (or [`DEFAULT_FILE`] when `None`; a missing default file means all
    /// defaults) and applies the environment overrides from `env`.
    pub fn load(
        path: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let (shown, text) = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.display().to_string(),
                    source,
                })?;
                (p.display().to_string(), text)
            }
            None => match std::fs::read_to_string(DEFAULT_FILE) {
                Ok(text) => (DEFAULT_FILE.to_owned(), text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    (DEFAULT_FILE.to_owned(), String::new())
                }
                Err(source) => {
                    return Err(ConfigError::Read {
                        path: DEFAULT_FILE.to_owned(),
                        source,
                    });
                }
            },
        };
        Self::parse(&shown, &text, env)
    }

    /// Parses config text reported under the name `file`, then applies `env` overrides.
    /// Every problem is reported, not just the first.
    pub fn parse(
        file: &str,
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        load::load(file, text, env)
    }
}

/// A URL as it may be shown or stored (status, logs, the audit ledger): credentials and query
/// values, where API keys tend to hide, are replaced by `***`; the fragment is dropped.
pub fn redacted(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    if !shown.username().is_empty() || shown.password().is_some() {
        let _ = shown.set_password(None);
        let _ = shown.set_username("***");
    }
    if shown.query().is_some() {
        let keys: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        shown.set_query(None);
        if !keys.is_empty() {
            shown
                .query_pairs_mut()
                .extend_pairs(keys.iter().map(|k| (k, "***")));
        }
    }
    shown.set_fragment(None);
    shown.to_string()
}

#[cfg(test)]
mod tests;
