//! The runtime's configuration: a TOML file (Optimize's own `telemetry.*` keys plus what the
//! runtime needs to find its sources), overridable by environment variables.
//!
//! Everything is checked at start: an unknown key, a value of the wrong type or an invalid value
//! (an `http://` endpoint, a zero interval) stops the runtime with a message naming the key and
//! where it was set (`file:line:col` or the environment variable).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

/// The shortest pause between two attempts to send.
pub const MIN_RETRY: Duration = Duration::from_secs(1);
/// The shortest reporting interval (for tests; production uses 24 hours).
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// The file read when `--config` is not given.
pub const DEFAULT_FILE: &str = "optimize-telemetry.toml";

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config `{path}`: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{at}: {message}")]
    Invalid { at: String, message: String },
}

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `telemetry.initializeTelemetry`: the setting stored when none exists yet.
    pub initialize_telemetry: bool,
    /// `telemetry.reportingIntervalInHours`.
    pub interval: Duration,
    /// `telemetry.telemetryEndpoint`; reports are never sent without one.
    pub endpoint: Option<reqwest::Url>,
    /// `telemetry.initialDelaySeconds`: how soon after start (or after switching on) the first
    /// report of an installation that never reported is sent.
    pub initial_delay: Duration,
    /// `telemetry.sendLeaseSeconds`: how long a won send lease lasts before another instance
    /// may take over the period (a crashed sender's period is finished by another instance).
    pub send_lease: Duration,
    /// `telemetry.statePollSeconds`: how often the shared state is read again: the setting (to
    /// follow changes made by another process or instance, where they are not notified: see
    /// [`crate::store::changes`]), and the send state after a failed read or a lease held by
    /// another instance.
    pub state_poll: Duration,
    pub retry: RetryPolicy,
    pub http: HttpConfig,
    pub optimize: OptimizeConfig,
    pub elasticsearch: ElasticsearchConfig,
    /// `license.file`: the license key file.
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
    /// `control.metricsPublic`: whether `GET /metrics` answers without a token.
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
    /// `embedded` (default) or `elasticsearch`.
    pub kind: StoreKind,
    /// Where the embedded store keeps the installation id, settings and send state; the
    /// audit ledger is kept here whatever the kind.
    pub dir: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            initialize_telemetry: false,
            interval: Duration::from_secs(24 * 3600),
            endpoint: None,
            send_lease: Duration::from_secs(60),
            state_poll: Duration::from_secs(30),
            initial_delay: Duration::from_secs(60),
            retry: RetryPolicy {
                max_attempts: 5,
                base: Duration::from_secs(60),
                cap: Duration::from_secs(3600),
            },
            http: HttpConfig {
                ca_file: None,
                proxy: None,
                timeout: Duration::from_secs(15),
                source_timeout: Duration::from_secs(10),
            },
            optimize: OptimizeConfig::default(),
            elasticsearch: ElasticsearchConfig {
                url: reqwest::Url::parse("http://localhost:9200")
                    .unwrap_or_else(|_| unreachable!("a constant, valid URL")),
                index_prefix: "optimize".into(),
                auth: None,
            },
            license_file: None,
            engines: Vec::new(),
            state: StateConfig {
                kind: StoreKind::Embedded,
                dir: PathBuf::from("optimize-telemetry-state"),
            },
            control: ControlConfig {
                enabled: true,
                address: std::net::SocketAddr::from(([127, 0, 0, 1], 8095)),
                super_user_ids: Vec::new(),
                tokens: Vec::new(),
                metrics_public: false,
            },
            kill_switch: None,
        }
    }
}

// The file as written. Every value is spanned, so a bad one can be reported with its line.

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    telemetry: RawTelemetry,
    #[serde(default)]
    optimize: RawOptimize,
    #[serde(default)]
    elasticsearch: RawElasticsearch,
    #[serde(default)]
    license: RawLicense,
    #[serde(default)]
    engines: Vec<RawEngine>,
    #[serde(default)]
    state: RawState,
    #[serde(default)]
    http: RawHttp,
    #[serde(default)]
    control: RawControl,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawControl {
    enabled: Option<Spanned<bool>>,
    address: Option<Spanned<String>>,
    super_user_ids: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    tokens: Vec<RawToken>,
    metrics_public: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawToken {
    user_id: Spanned<String>,
    sha256: Spanned<String>,
    expires: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawTelemetry {
    initialize_telemetry: Option<Spanned<bool>>,
    reporting_interval_in_hours: Option<Spanned<f64>>,
    telemetry_endpoint: Option<Spanned<String>>,
    initial_delay_seconds: Option<Spanned<f64>>,
    max_attempts_per_period: Option<Spanned<i64>>,
    send_lease_seconds: Option<Spanned<f64>>,
    state_poll_seconds: Option<Spanned<f64>>,
    retry_base_seconds: Option<Spanned<f64>>,
    retry_cap_seconds: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawOptimize {
    version: Option<Spanned<String>>,
    edition: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawElasticsearch {
    url: Option<Spanned<String>>,
    index_prefix: Option<Spanned<String>>,
    username: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    api_key_file: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawLicense {
    file: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawEngine {
    name: Spanned<String>,
    rest: Spanned<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawState {
    kind: Option<Spanned<String>>,
    dir: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawHttp {
    ca_file: Option<Spanned<String>>,
    proxy: Option<Spanned<String>>,
    timeout_seconds: Option<Spanned<f64>>,
    source_timeout_seconds: Option<Spanned<f64>>,
}

/// The environment variables that override file keys, and the key each overrides.
pub const ENV_OVERRIDES: &[(&str, &str)] = &[
    (
        "OPTIMIZE_TELEMETRY_INITIALIZE",
        "telemetry.initializeTelemetry",
    ),
    (
        "OPTIMIZE_TELEMETRY_INTERVAL_HOURS",
        "telemetry.reportingIntervalInHours",
    ),
    ("OPTIMIZE_TELEMETRY_ENDPOINT", "telemetry.telemetryEndpoint"),
    ("OPTIMIZE_TELEMETRY_OPTIMIZE_VERSION", "optimize.version"),
    ("OPTIMIZE_TELEMETRY_OPTIMIZE_EDITION", "optimize.edition"),
    ("OPTIMIZE_TELEMETRY_ELASTICSEARCH_URL", "elasticsearch.url"),
    (
        "OPTIMIZE_TELEMETRY_INDEX_PREFIX",
        "elasticsearch.indexPrefix",
    ),
    ("OPTIMIZE_TELEMETRY_LICENSE_FILE", "license.file"),
    ("OPTIMIZE_TELEMETRY_STATE_DIR", "state.dir"),
    ("OPTIMIZE_TELEMETRY_CA_FILE", "http.caFile"),
    ("OPTIMIZE_TELEMETRY_PROXY", "http.proxy"),
    ("OPTIMIZE_TELEMETRY_CONTROL_ADDRESS", "control.address"),
    ("OPTIMIZE_TELEMETRY_METRICS_PUBLIC", "control.metricsPublic"),
];

/// Where a value came from, for messages.
struct Origin<'a> {
    file: &'a str,
    text: &'a str,
}

impl Origin<'_> {
    fn at(&self, span: std::ops::Range<usize>) -> String {
        let start = span.start.min(self.text.len());
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{}:{line}:{col}", self.file)
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
    pub fn parse(
        file: &str,
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let origin = Origin { file, text };
        let raw: RawFile = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            at: origin.at(e.span().unwrap_or(0..0)),
            message: e.message().trim_end().replace('\n', " "),
        })?;
        let mut c = Config::default();
        let bad = |span: std::ops::Range<usize>, key: &str, why: String| ConfigError::Invalid {
            at: origin.at(span),
            message: format!("`{key}` {why}"),
        };

        let t = &raw.telemetry;
        if let Some(v) = &t.initialize_telemetry {
            c.initialize_telemetry = *v.get_ref();
        }
        if let Some(v) = &t.reporting_interval_in_hours {
            c.interval = positive_duration(*v.get_ref() * 3600.0)
                .filter(|d| *d >= MIN_INTERVAL)
                .ok_or_else(|| {
                    bad(
                        v.span(),
                        "telemetry.reportingIntervalInHours",
                        "must be a number of hours greater than 0 (at least one second)".into(),
                    )
                })?;
        }
        if let Some(v) = &t.telemetry_endpoint {
            c.endpoint = Some(
                https_url(v.get_ref())
                    .map_err(|why| bad(v.span(), "telemetry.telemetryEndpoint", why))?,
            );
        }
        if let Some(v) = &t.initial_delay_seconds {
            c.initial_delay = non_negative_duration(*v.get_ref()).ok_or_else(|| {
                bad(
                    v.span(),
                    "telemetry.initialDelaySeconds",
                    "must be a number of seconds, 0 or more".into(),
                )
            })?;
        }
        if let Some(v) = &t.max_attempts_per_period {
            c.retry.max_attempts = u32::try_from(*v.get_ref())
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| {
                    bad(
                        v.span(),
                        "telemetry.maxAttemptsPerPeriod",
                        "must be between 1 and 100".into(),
                    )
                })?;
        }
        // A floor on the pause between attempts: a failing endpoint must never be hammered
        // (Camunda 7 once spent CPU and logs retrying a discontinued endpoint).
        if let Some(v) = &t.retry_base_seconds {
            c.retry.base = positive_duration(*v.get_ref())
                .filter(|d| *d >= MIN_RETRY)
                .ok_or_else(|| {
                    bad(
                        v.span(),
                        "telemetry.retryBaseSeconds",
                        "must be a number of seconds, at least 1".into(),
                    )
                })?;
        }
        if let Some(v) = &t.retry_cap_seconds {
            c.retry.cap = positive_duration(*v.get_ref())
                .filter(|d| *d >= MIN_RETRY)
                .ok_or_else(|| {
                    bad(
                        v.span(),
                        "telemetry.retryCapSeconds",
                        "must be a number of seconds, at least 1".into(),
                    )
                })?;
        }
        if let Some(v) = &t.send_lease_seconds {
            c.send_lease = positive_duration(*v.get_ref())
                .filter(|d| *d >= MIN_RETRY)
                .ok_or_else(|| {
                    bad(
                        v.span(),
                        "telemetry.sendLeaseSeconds",
                        "must be a number of seconds, at least 1".into(),
                    )
                })?;
        }
        if let Some(v) = &t.state_poll_seconds {
            c.state_poll = positive_duration(*v.get_ref())
                .filter(|d| *d >= MIN_RETRY)
                .ok_or_else(|| {
                    bad(
                        v.span(),
                        "telemetry.statePollSeconds",
                        "must be a number of seconds, at least 1".into(),
                    )
                })?;
        }
        c.optimize.version = raw.optimize.version.as_ref().map(|v| v.get_ref().clone());
        c.optimize.edition = raw.optimize.edition.as_ref().map(|v| v.get_ref().clone());
        if let Some(v) = &raw.elasticsearch.url {
            c.elasticsearch.url = source_url(v.get_ref(), ES_CREDENTIALS)
                .map_err(|why| bad(v.span(), "elasticsearch.url", why))?;
        }
        if let Some(v) = &raw.elasticsearch.index_prefix {
            c.elasticsearch.index_prefix = index_prefix(v.get_ref())
                .map_err(|why| bad(v.span(), "elasticsearch.indexPrefix", why))?;
        }
        let es = &raw.elasticsearch;
        let secret = |v: &Spanned<String>,
                      key: &str,
                      env_var: &str|
         -> Result<String, ConfigError> {
            let path = v.get_ref();
            std::fs::read_to_string(path)
                    .map(|s| s.trim().to_owned())
                    .map_err(|e| {
                        bad(
                            v.span(),
                            key,
                            format!(
                                "names a file that cannot be read ({e}); the value is not repeated here in case it is the secret itself: this key takes the path of a file holding the secret (or set {env_var})"
                            ),
                        )
                    })
        };
        let password = match (env("OPTIMIZE_TELEMETRY_ES_PASSWORD"), &es.password_file) {
            (Some(p), _) => Some(p),
            (None, Some(v)) => Some(secret(
                v,
                "elasticsearch.passwordFile",
                "OPTIMIZE_TELEMETRY_ES_PASSWORD",
            )?),
            (None, None) => None,
        };
        let api_key = match (env("OPTIMIZE_TELEMETRY_ES_API_KEY"), &es.api_key_file) {
            (Some(k), _) => Some(k),
            (None, Some(v)) => Some(secret(
                v,
                "elasticsearch.apiKeyFile",
                "OPTIMIZE_TELEMETRY_ES_API_KEY",
            )?),
            (None, None) => None,
        };
        c.elasticsearch.auth = match (&es.username, password, api_key) {
            (_, _, Some(key)) => Some(EsAuth::ApiKey(key.trim().to_owned())),
            (Some(user), Some(password), None) => Some(EsAuth::Basic {
                username: user.get_ref().clone(),
                password,
            }),
            (Some(user), None, None) => {
                return Err(bad(
                    user.span(),
                    "elasticsearch.username",
                    "needs a password: set elasticsearch.passwordFile or OPTIMIZE_TELEMETRY_ES_PASSWORD".into(),
                ));
            }
            (None, Some(_), None) => {
                return Err(ConfigError::Invalid {
                    at: file.to_owned(),
                    message: "an Elasticsearch password is set but `elasticsearch.username` is not"
                        .into(),
                });
            }
            (None, None, None) => None,
        };
        if let Some(v) = &raw.state.kind {
            c.state.kind = match v.get_ref().as_str() {
                "embedded" => StoreKind::Embedded,
                "elasticsearch" | "opensearch" => StoreKind::Elasticsearch,
                _ => {
                    return Err(bad(
                        v.span(),
                        "state.kind",
                        "must be \"embedded\" or \"elasticsearch\"".into(),
                    ));
                }
            };
        }
        c.license_file = raw
            .license
            .file
            .as_ref()
            .map(|v| PathBuf::from(v.get_ref()));
        for e in &raw.engines {
            if e.name.get_ref().trim().is_empty() {
                return Err(bad(
                    e.name.span(),
                    "engines.name",
                    "must not be empty".into(),
                ));
            }
            c.engines.push(EngineConfig {
                name: e.name.get_ref().clone(),
                rest: source_url(e.rest.get_ref(), ENGINE_CREDENTIALS)
                    .map_err(|why| bad(e.rest.span(), "engines.rest", why))?,
            });
        }
        if let Some(v) = &raw.state.dir {
            c.state.dir = PathBuf::from(v.get_ref());
        }
        c.http.ca_file = raw
            .http
            .ca_file
            .as_ref()
            .map(|v| PathBuf::from(v.get_ref()));
        if let Some(v) = &raw.http.proxy {
            c.http.proxy =
                Some(http_url(v.get_ref()).map_err(|why| bad(v.span(), "http.proxy", why))?);
        }
        if let Some(v) = &raw.http.timeout_seconds {
            c.http.timeout = positive_duration(*v.get_ref()).ok_or_else(|| {
                bad(
                    v.span(),
                    "http.timeoutSeconds",
                    "must be a number of seconds greater than 0".into(),
                )
            })?;
        }
        if let Some(v) = &raw.http.source_timeout_seconds {
            c.http.source_timeout = positive_duration(*v.get_ref()).ok_or_else(|| {
                bad(
                    v.span(),
                    "http.sourceTimeoutSeconds",
                    "must be a number of seconds greater than 0".into(),
                )
            })?;
        }
        let ctl = &raw.control;
        if let Some(v) = &ctl.enabled {
            c.control.enabled = *v.get_ref();
        }
        if let Some(v) = &ctl.metrics_public {
            c.control.metrics_public = *v.get_ref();
        }
        if let Some(v) = &ctl.address {
            c.control.address = v.get_ref().trim().parse().map_err(|_| {
                bad(
                    v.span(),
                    "control.address",
                    "must be an IP address and port, such as 127.0.0.1:8095".into(),
                )
            })?;
        }
        for id in ctl.super_user_ids.iter().flatten() {
            if id.get_ref().trim().is_empty() {
                return Err(bad(
                    id.span(),
                    "control.superUserIds",
                    "must not hold an empty user id".into(),
                ));
            }
            c.control.super_user_ids.push(id.get_ref().clone());
        }
        for t in &ctl.tokens {
            if t.user_id.get_ref().trim().is_empty() {
                return Err(bad(
                    t.user_id.span(),
                    "control.tokens.userId",
                    "must not be empty".into(),
                ));
            }
            let sha256 = parse_digest(t.sha256.get_ref()).ok_or_else(|| {
                bad(
                    t.sha256.span(),
                    "control.tokens.sha256",
                    "must be the 64 hex digits of the token's SHA-256 (make it with `optimize-telemetry hash-token`)".into(),
                )
            })?;
            let expires = match &t.expires {
                None => None,
                Some(v) => Some(
                    crate::clock::Timestamp::parse_rfc3339(v.get_ref()).ok_or_else(|| {
                        bad(
                            v.span(),
                            "control.tokens.expires",
                            "must be an RFC 3339 time such as 2027-01-01T00:00:00Z".into(),
                        )
                    })?,
                ),
            };
            c.control.tokens.push(TokenConfig {
                user_id: t.user_id.get_ref().clone(),
                sha256,
                expires,
            });
        }
        c.apply_env(env)?;
        c.kill_switch = KILL_SWITCHES
            .iter()
            .find(|var| env(var).is_some_and(|v| is_set(&v)))
            .map(|var| (*var).to_owned());
        if c.send_lease < c.http.timeout * 2 {
            return Err(ConfigError::Invalid {
                at: file.to_owned(),
                message: format!(
                    "`telemetry.sendLeaseSeconds` ({:?}) must be at least twice `http.timeoutSeconds` ({:?}): a lease must outlast the send it protects",
                    c.send_lease, c.http.timeout
                ),
            });
        }
        if c.retry.cap < c.retry.base {
            c.retry.cap = c.retry.base;
        }
        Ok(c)
    }

    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        for (var, key) in ENV_OVERRIDES {
            let Some(value) = env(var) else { continue };
            let bad = |why: String| ConfigError::Invalid {
                at: format!("environment variable {var}"),
                message: format!("`{key}` {why}"),
            };
            match *key {
                "telemetry.initializeTelemetry" => {
                    self.initialize_telemetry = env_bool(&value).ok_or_else(|| bad(BOOL.into()))?
                }
                "control.metricsPublic" => {
                    self.control.metrics_public =
                        env_bool(&value).ok_or_else(|| bad(BOOL.into()))?
                }
                "telemetry.reportingIntervalInHours" => {
                    self.interval = value
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .and_then(|h| positive_duration(h * 3600.0))
                        .filter(|d| *d >= MIN_INTERVAL)
                        .ok_or_else(|| {
                            bad(
                                "must be a number of hours greater than 0 (at least one second)"
                                    .into(),
                            )
                        })?;
                }
                "telemetry.telemetryEndpoint" => {
                    self.endpoint = Some(https_url(&value).map_err(bad)?)
                }
                "optimize.version" => self.optimize.version = Some(value),
                "optimize.edition" => self.optimize.edition = Some(value),
                "elasticsearch.url" => {
                    self.elasticsearch.url = source_url(&value, ES_CREDENTIALS).map_err(bad)?
                }
                "elasticsearch.indexPrefix" => {
                    self.elasticsearch.index_prefix = index_prefix(&value).map_err(bad)?
                }
                "license.file" => self.license_file = Some(PathBuf::from(value)),
                "state.dir" => self.state.dir = PathBuf::from(value),
                "http.caFile" => self.http.ca_file = Some(PathBuf::from(value)),
                "http.proxy" => self.http.proxy = Some(http_url(&value).map_err(bad)?),
                "control.address" => {
                    self.control.address = value.trim().parse().map_err(|_| {
                        bad("must be an IP address and port, such as 127.0.0.1:8095".into())
                    })?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

const BOOL: &str = "must be true or false";

/// A boolean override from the environment: `true`/`1` or `false`/`0`.
fn env_bool(value: &str) -> Option<bool> {
    match value.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Whether a kill-switch variable is set: anything but empty, `0` or `false`.
fn is_set(value: &str) -> bool {
    !matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "" | "0" | "false" | "no"
    )
}

fn parse_digest(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn positive_duration(seconds: f64) -> Option<Duration> {
    (seconds.is_finite() && seconds > 0.0 && seconds < 1e12)
        .then(|| Duration::from_secs_f64(seconds))
}

fn non_negative_duration(seconds: f64) -> Option<Duration> {
    (seconds.is_finite() && (0.0..1e12).contains(&seconds))
        .then(|| Duration::from_secs_f64(seconds))
}

/// The telemetry endpoint: an absolute `https://` URL, nothing else.
fn https_url(text: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text.trim()).map_err(|e| format!("is not a URL ({e})"))?;
    if url.scheme() != "https" {
        return Err(format!(
            "must be an https:// URL, not {}://: reports are only ever sent encrypted",
            url.scheme()
        ));
    }
    if url.host_str().is_none() {
        return Err("must name a host".into());
    }
    refuse_credentials(&url, "the endpoint takes none")?;
    Ok(url)
}

const ES_CREDENTIALS: &str =
    "set `elasticsearch.username` with `elasticsearch.passwordFile`, or `elasticsearch.apiKeyFile`";
const ENGINE_CREDENTIALS: &str = "the engine's telemetry data is read without credentials";

/// A source URL that must not carry credentials: they would be shown wherever it is.
fn source_url(text: &str, hint: &str) -> Result<reqwest::Url, String> {
    let url = http_url(text)?;
    refuse_credentials(&url, hint)?;
    Ok(url)
}

fn refuse_credentials(url: &reqwest::Url, hint: &str) -> Result<(), String> {
    if url.username().is_empty() && url.password().is_none() {
        return Ok(());
    }
    Err(format!(
        "must not hold credentials (`user:password@`), which would be shown in logs and status: {hint}"
    ))
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

/// A source URL (Elasticsearch, an engine, a proxy): http or https.
fn http_url(text: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text.trim()).map_err(|e| format!("is not a URL ({e})"))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        "http" | "https" => Err("must name a host".into()),
        other => Err(format!(
            "must be an http:// or https:// URL, not {other}://"
        )),
    }
}

fn index_prefix(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 200
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !text.starts_with(['-', '_']);
    if ok {
        Ok(text.to_owned())
    } else {
        Err(
            "must be lowercase letters, digits, `-` and `_` (an Elasticsearch index name prefix)"
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse("t.toml", text, &no_env)
    }

    #[test]
    fn shown_urls_hide_credentials_and_query_values() {
        let url = |t: &str| reqwest::Url::parse(t).unwrap_or_else(|e| panic!("{e}"));
        let shown = redacted(&url("https://u:s3cret@t.example/p?apikey=k3y&x=1#frag"));
        assert_eq!(shown, "https://***@t.example/p?apikey=***&x=***");
        assert_eq!(redacted(&url("https://t.example/p")), "https://t.example/p");
    }

    #[test]
    fn credentials_in_urls_are_refused_without_repeating_them() {
        for (text, key) in [
            (
                "[telemetry]\ntelemetryEndpoint = \"https://u:s3cret@t.example/\"",
                "telemetryEndpoint",
            ),
            (
                "[elasticsearch]\nurl = \"http://elastic:s3cret@127.0.0.1:9200\"",
                "elasticsearch.url",
            ),
            (
                "[[engines]]\nname = \"e\"\nrest = \"http://u:s3cret@127.0.0.1/engine-rest\"",
                "engines",
            ),
        ] {
            let err = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("must not hold credentials"), "{key}: {err}");
            assert!(err.contains(key), "{key}: {err}");
            assert!(!err.contains("s3cret"), "{key}: {err}");
        }
        let hint = parse("[elasticsearch]\nurl = \"http://e:s3cret@127.0.0.1:9200\"")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            hint.contains("passwordFile") && hint.contains("apiKeyFile"),
            "{hint}"
        );
    }

    #[test]
    fn a_secret_pasted_as_a_password_file_is_not_echoed() {
        let err =
            parse("[elasticsearch]\nusername = \"elastic\"\npasswordFile = \"hunter2-s3cret\"")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
        assert!(err.contains("elasticsearch.passwordFile"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn defaults_are_off_and_daily() {
        let c = parse("").unwrap_or_else(|e| panic!("{e}"));
        assert!(!c.initialize_telemetry);
        assert_eq!(c.interval, Duration::from_secs(86_400));
        assert_eq!(c.http.timeout, Duration::from_secs(15));
        assert!(c.endpoint.is_none());
        assert!(
            c.control.address.ip().is_loopback(),
            "the control API is loopback-only by default"
        );
        assert!(c.kill_switch.is_none());
        assert!(
            !c.control.metrics_public,
            "metrics need a token unless made public"
        );
    }

    #[test]
    fn metrics_public_is_read_from_the_file_and_the_environment() {
        let c = parse("[control]\nmetricsPublic = true\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(c.control.metrics_public);
        let env = |k: &str| (k == "OPTIMIZE_TELEMETRY_METRICS_PUBLIC").then(|| "0".to_owned());
        let c = Config::parse("t.toml", "[control]\nmetricsPublic = true\n", &env)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!c.control.metrics_public, "the environment wins");
        let err = parse("[control]\nmetricsPublic = \"yes\"\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("t.toml:2:17: invalid type"), "{err}");
        let env = |k: &str| (k == "OPTIMIZE_TELEMETRY_METRICS_PUBLIC").then(|| "yes".to_owned());
        let err = Config::parse("t.toml", "", &env)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            err,
            "environment variable OPTIMIZE_TELEMETRY_METRICS_PUBLIC: `control.metricsPublic` must be true or false"
        );
    }

    #[test]
    fn errors_name_the_key_and_the_line() {
        let cases = [
            (
                "[telemetry]\ntelemetryEndpoint = \"http://x.example\"\n",
                "t.toml:2:21: `telemetry.telemetryEndpoint` must be an https:// URL",
            ),
            (
                "[telemetry]\n\nreportingIntervalInHours = 0\n",
                "t.toml:3:28: `telemetry.reportingIntervalInHours` must be a number of hours greater than 0",
            ),
            (
                "[telemetry]\nreportingIntervalInHours = -2\n",
                "t.toml:2:28: `telemetry.reportingIntervalInHours`",
            ),
            (
                "[telemetry]\ninitializeTelemetry = \"yes\"\n",
                "t.toml:2:23: invalid type: string \"yes\", expected a boolean",
            ),
            (
                "[telemetry]\ntelemetryEndpont = \"https://x\"\n",
                "t.toml:2:1: unknown field `telemetryEndpont`",
            ),
            (
                "[elasticsearch]\nindexPrefix = \"Optimize\"\n",
                "t.toml:2:15: `elasticsearch.indexPrefix`",
            ),
            (
                "[[engines]]\nname = \"a\"\nrest = \"ftp://x\"\n",
                "t.toml:3:8: `engines.rest` must be an http:// or https:// URL",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text)
                .err()
                .unwrap_or_else(|| panic!("{text} must be refused"))
                .to_string();
            assert!(err.starts_with(expected), "{err}\nexpected: {expected}");
        }
    }

    #[test]
    fn kill_switches_are_read_from_the_environment() {
        for (var, value, expected) in [
            (
                "OPTIMIZE_TELEMETRY_DISABLED",
                "1",
                Some("OPTIMIZE_TELEMETRY_DISABLED"),
            ),
            ("DO_NOT_TRACK", "1", Some("DO_NOT_TRACK")),
            ("DO_NOT_TRACK", "0", None),
            ("OPTIMIZE_TELEMETRY_DISABLED", "", None),
        ] {
            let env = |k: &str| (k == var).then(|| value.to_owned());
            let c = Config::parse("t.toml", "", &env).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(c.kill_switch.as_deref(), expected, "{var}={value}");
        }
    }

    #[test]
    fn tokens_are_digests_and_never_shown() {
        let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let c = parse(&format!("[control]\nsuperUserIds = [\"demo\"]\n[[control.tokens]]\nuserId = \"demo\"\nsha256 = \"{digest}\"\n"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.control.tokens[0].sha256[0], 0x9f);
        assert!(
            !format!("{c:?}").contains("9f86d0"),
            "the digest must not appear in debug output"
        );
        let err = parse("[[control.tokens]]\nuserId = \"demo\"\nsha256 = \"test\"\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("t.toml:3:10: `control.tokens.sha256` must be the 64 hex digits"),
            "{err}"
        );
    }

    #[test]
    fn environment_overrides_the_file_and_is_named_in_errors() {
        let env = |k: &str| match k {
            "OPTIMIZE_TELEMETRY_ENDPOINT" => {
                Some("https://telemetry.example.invalid/pings".to_owned())
            }
            "OPTIMIZE_TELEMETRY_INITIALIZE" => Some("true".to_owned()),
            _ => None,
        };
        let c = Config::parse("t.toml", "[telemetry]\ninitializeTelemetry = false\n", &env)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(c.initialize_telemetry);
        assert_eq!(
            c.endpoint.map(|u| u.to_string()).as_deref(),
            Some("https://telemetry.example.invalid/pings")
        );
        let env = |k: &str| (k == "OPTIMIZE_TELEMETRY_INTERVAL_HOURS").then(|| "never".to_owned());
        let err = Config::parse("t.toml", "", &env)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            err,
            "environment variable OPTIMIZE_TELEMETRY_INTERVAL_HOURS: `telemetry.reportingIntervalInHours` must be a number of hours greater than 0 (at least one second)"
        );
    }
}
