//! The one table of configuration keys. Each key is written here once: its TOML name, the
//! environment variable that overrides it, its default, its rule and a line of documentation.
//! The file, the environment and the defaults all go through the key's rule; the example
//! configuration and the README's table of variables are checked against this table.

use super::draft::{Draft, EsDraft};
use super::rules;

/// A configuration key.
pub struct Key {
    /// The dotted TOML name, such as `telemetry.reportingIntervalInHours`. Fields of an array
    /// of tables are named below it: `engines.rest`.
    pub name: &'static str,
    /// The environment variable that overrides the file's value.
    pub env: Option<&'static str>,
    pub default: Preset,
    pub doc: &'static str,
    pub(super) rule: Rule,
}

/// What a key is when the file and the environment leave it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Nothing: the feature it configures is off or empty.
    Unset,
    /// This TOML value, checked by the key's rule like any other.
    Value(&'static str),
    /// A field every item of its array of tables must have.
    Required,
}

type Checked = Result<(), String>;

/// How a key's value is read, and where it goes. The value's TOML type is the variant; the
/// function checks it and stores it in the draft.
#[derive(Clone, Copy)]
pub(super) enum Rule {
    Bool(fn(&mut Draft, bool)),
    Number(fn(&mut Draft, f64) -> Checked),
    Integer(fn(&mut Draft, i64) -> Checked),
    Text(fn(&mut Draft, &str) -> Checked),
    /// An array of strings, each checked and stored in turn.
    EachText(fn(&mut Draft, &str) -> Checked),
    /// A secret: the file names a file holding it, the environment holds the secret itself.
    Secret(fn(&mut EsDraft, String)),
    /// An array of tables: starts the next item, whose fields are the keys named below.
    Items(fn(&mut Draft)),
}

fn set<T>(slot: &mut T, value: Result<T, String>) -> Checked {
    *slot = value?;
    Ok(())
}

const ES_CREDENTIALS: &str =
    "set `elasticsearch.username` with `elasticsearch.passwordFile`, or `elasticsearch.apiKeyFile`";
const ENGINE_CREDENTIALS: &str = "the engine's telemetry data is read without credentials";

/// Every key, in the order of the example configuration.
pub static KEYS: &[Key] = &[
    Key {
        name: "telemetry.initializeTelemetry",
        env: Some("OPTIMIZE_TELEMETRY_INITIALIZE"),
        default: Preset::Value("false"),
        doc: "the setting stored when none exists yet; afterwards the stored setting wins",
        rule: Rule::Bool(|d, on| d.config.initialize_telemetry = on),
    },
    Key {
        name: "telemetry.reportingIntervalInHours",
        env: Some("OPTIMIZE_TELEMETRY_INTERVAL_HOURS"),
        default: Preset::Value("24"),
        doc: "one report per interval",
        rule: Rule::Number(|d, h| set(&mut d.config.interval, rules::hours(h))),
    },
    Key {
        name: "telemetry.telemetryEndpoint",
        env: Some("OPTIMIZE_TELEMETRY_ENDPOINT"),
        default: Preset::Unset,
        doc: "where reports go, https:// only; without one nothing is ever sent",
        rule: Rule::Text(|d, t| set(&mut d.config.endpoint, rules::https_url(t).map(Some))),
    },
    Key {
        name: "telemetry.initialDelaySeconds",
        env: None,
        default: Preset::Value("60"),
        doc: "how soon after start (or switching on) a first report is sent",
        rule: Rule::Number(|d, s| set(&mut d.config.initial_delay, rules::delay(s))),
    },
    Key {
        name: "telemetry.maxAttemptsPerPeriod",
        env: None,
        default: Preset::Value("5"),
        doc: "sends tried per period before waiting for the next one",
        rule: Rule::Integer(|d, n| set(&mut d.config.retry.max_attempts, rules::attempts(n))),
    },
    Key {
        name: "telemetry.retryBaseSeconds",
        env: None,
        default: Preset::Value("60"),
        doc: "the first pause after a failed send, doubled after each further failure",
        rule: Rule::Number(|d, s| set(&mut d.config.retry.base, rules::pause(s))),
    },
    Key {
        name: "telemetry.retryCapSeconds",
        env: None,
        default: Preset::Value("3600"),
        doc: "the longest pause between two attempts",
        rule: Rule::Number(|d, s| set(&mut d.config.retry.cap, rules::pause(s))),
    },
    Key {
        name: "telemetry.sendLeaseSeconds",
        env: None,
        default: Preset::Value("60"),
        doc: "how long a won send lease lasts before another instance may finish the period",
        rule: Rule::Number(|d, s| set(&mut d.config.send_lease, rules::pause(s))),
    },
    Key {
        name: "telemetry.statePollSeconds",
        env: None,
        default: Preset::Value("30"),
        doc: "how often the shared state is read again where changes are not notified (the embedded store watches its directory)",
        rule: Rule::Number(|d, s| set(&mut d.config.state_poll, rules::pause(s))),
    },
    Key {
        name: "http.caFile",
        env: Some("OPTIMIZE_TELEMETRY_CA_FILE"),
        default: Preset::Unset,
        doc: "extra certificate authorities (PEM) trusted on top of the built-in roots",
        rule: Rule::Text(|d, t| set(&mut d.config.http.ca_file, Ok(Some(t.into())))),
    },
    Key {
        name: "http.proxy",
        env: Some("OPTIMIZE_TELEMETRY_PROXY"),
        default: Preset::Unset,
        doc: "a proxy for the endpoint; HTTPS_PROXY is honoured when unset",
        rule: Rule::Text(|d, t| set(&mut d.config.http.proxy, rules::http_url(t).map(Some))),
    },
    Key {
        name: "http.timeoutSeconds",
        env: None,
        default: Preset::Value("15"),
        doc: "connect timeout, and total timeout of one send",
        rule: Rule::Number(|d, s| set(&mut d.config.http.timeout, rules::timeout(s))),
    },
    Key {
        name: "http.sourceTimeoutSeconds",
        env: None,
        default: Preset::Value("10"),
        doc: "timeout of one request to Elasticsearch or an engine",
        rule: Rule::Number(|d, s| set(&mut d.config.http.source_timeout, rules::timeout(s))),
    },
    Key {
        name: "optimize.version",
        env: Some("OPTIMIZE_TELEMETRY_OPTIMIZE_VERSION"),
        default: Preset::Unset,
        doc: "the Optimize version reported; \"Unknown\" when unset",
        rule: Rule::Text(|d, t| set(&mut d.config.optimize.version, Ok(Some(t.into())))),
    },
    Key {
        name: "optimize.edition",
        env: Some("OPTIMIZE_TELEMETRY_OPTIMIZE_EDITION"),
        default: Preset::Unset,
        doc: "the Optimize edition reported; \"Unknown\" when unset",
        rule: Rule::Text(|d, t| set(&mut d.config.optimize.edition, Ok(Some(t.into())))),
    },
    Key {
        name: "elasticsearch.url",
        env: Some("OPTIMIZE_TELEMETRY_ELASTICSEARCH_URL"),
        default: Preset::Value("\"http://localhost:9200\""),
        doc: "the cluster Optimize stores its data in",
        rule: Rule::Text(|d, t| {
            set(
                &mut d.config.elasticsearch.url,
                rules::source_url(t, ES_CREDENTIALS),
            )
        }),
    },
    Key {
        name: "elasticsearch.indexPrefix",
        env: Some("OPTIMIZE_TELEMETRY_INDEX_PREFIX"),
        default: Preset::Value("\"optimize\""),
        doc: "the prefix of Optimize's index names",
        rule: Rule::Text(|d, t| {
            set(
                &mut d.config.elasticsearch.index_prefix,
                rules::index_prefix(t),
            )
        }),
    },
    Key {
        name: "elasticsearch.username",
        env: None,
        default: Preset::Unset,
        doc: "the user for the cluster, with its password in a file",
        rule: Rule::Text(|d, t| set(&mut d.es.username, Ok(Some(t.into())))),
    },
    Key {
        name: "elasticsearch.passwordFile",
        env: Some("OPTIMIZE_TELEMETRY_ES_PASSWORD"),
        default: Preset::Unset,
        doc: "the file holding the user's password (the variable holds the password itself)",
        rule: Rule::Secret(|es, secret| es.password = Some(secret)),
    },
    Key {
        name: "elasticsearch.apiKeyFile",
        env: Some("OPTIMIZE_TELEMETRY_ES_API_KEY"),
        default: Preset::Unset,
        doc: "the file holding an API key for the cluster (the variable holds the key itself)",
        rule: Rule::Secret(|es, secret| es.api_key = Some(secret.trim().to_owned())),
    },
    Key {
        name: "license.file",
        env: Some("OPTIMIZE_TELEMETRY_LICENSE_FILE"),
        default: Preset::Unset,
        doc: "the license key file",
        rule: Rule::Text(|d, t| set(&mut d.config.license_file, Ok(Some(t.into())))),
    },
    Key {
        name: "state.kind",
        env: None,
        default: Preset::Value("\"embedded\""),
        doc: "where the state lives: \"embedded\" (a directory) or \"elasticsearch\" (the cluster)",
        rule: Rule::Text(|d, t| set(&mut d.config.state.kind, rules::store_kind(t))),
    },
    Key {
        name: "state.dir",
        env: Some("OPTIMIZE_TELEMETRY_STATE_DIR"),
        default: Preset::Value("\"optimize-telemetry-state\""),
        doc: "the embedded store's directory; the audit ledger is kept here with either kind",
        rule: Rule::Text(|d, t| set(&mut d.config.state.dir, Ok(t.into()))),
    },
    Key {
        name: "engines",
        env: None,
        default: Preset::Unset,
        doc: "the Camunda 7 engines connected to Optimize, one table each",
        rule: Rule::Items(|d| d.engines.push(Default::default())),
    },
    Key {
        name: "engines.name",
        env: None,
        default: Preset::Required,
        doc: "the engine's name",
        rule: Rule::Text(|d, t| set(&mut d.engine().name, rules::non_empty(t).map(Some))),
    },
    Key {
        name: "engines.rest",
        env: None,
        default: Preset::Required,
        doc: "the engine's REST API root, such as http://localhost:8080/engine-rest",
        rule: Rule::Text(|d, t| {
            set(
                &mut d.engine().rest,
                rules::source_url(t, ENGINE_CREDENTIALS).map(Some),
            )
        }),
    },
    Key {
        name: "control.enabled",
        env: None,
        default: Preset::Value("true"),
        doc: "whether `run` serves the control API and consent page",
        rule: Rule::Bool(|d, on| d.config.control.enabled = on),
    },
    Key {
        name: "control.address",
        env: Some("OPTIMIZE_TELEMETRY_CONTROL_ADDRESS"),
        default: Preset::Value("\"127.0.0.1:8095\""),
        doc: "where the control API listens; anything but loopback opens it to the network",
        rule: Rule::Text(|d, t| set(&mut d.config.control.address, rules::address(t))),
    },
    Key {
        name: "control.metricsPublic",
        env: Some("OPTIMIZE_TELEMETRY_METRICS_PUBLIC"),
        default: Preset::Value("false"),
        doc: "whether GET /metrics answers without a token",
        rule: Rule::Bool(|d, on| d.config.control.metrics_public = on),
    },
    Key {
        name: "control.superUserIds",
        env: None,
        default: Preset::Unset,
        doc: "the users who may switch telemetry on and off",
        rule: Rule::EachText(|d, t| {
            let id = rules::user_id(t)?;
            d.config.control.super_user_ids.push(id);
            Ok(())
        }),
    },
    Key {
        name: "control.tokens",
        env: None,
        default: Preset::Unset,
        doc: "bearer tokens, one table each, stored as SHA-256 digests only",
        rule: Rule::Items(|d| d.tokens.push(Default::default())),
    },
    Key {
        name: "control.tokens.userId",
        env: None,
        default: Preset::Required,
        doc: "the user the token signs in",
        rule: Rule::Text(|d, t| set(&mut d.token().user_id, rules::non_empty(t).map(Some))),
    },
    Key {
        name: "control.tokens.sha256",
        env: None,
        default: Preset::Required,
        doc: "the token's SHA-256 as 64 hex digits (`optimize-telemetry hash-token`)",
        rule: Rule::Text(|d, t| set(&mut d.token().sha256, rules::digest(t).map(Some))),
    },
    Key {
        name: "control.tokens.expires",
        env: None,
        default: Preset::Unset,
        doc: "when the token stops working (RFC 3339)",
        rule: Rule::Text(|d, t| set(&mut d.token().expires, rules::time(t).map(Some))),
    },
];

/// The key named `name`.
pub(super) fn key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}
