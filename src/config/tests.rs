//! Unit tests of the configuration: defaults, rules, where problems are reported, and that all
//! of them are.

use std::time::Duration;

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse("t.toml", text, &no_env)
}

/// The whole error of a refused configuration; a test fails if it is accepted.
fn error(text: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    match Config::parse("t.toml", text, env) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted:\n{text}"),
    }
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
        let err = error(text, &no_env);
        assert!(err.contains("must not hold credentials"), "{key}: {err}");
        assert!(err.contains(key), "{key}: {err}");
        assert!(!err.contains("s3cret"), "{key}: {err}");
    }
    let hint = error(
        "[elasticsearch]\nurl = \"http://e:s3cret@127.0.0.1:9200\"",
        &no_env,
    );
    assert!(
        hint.contains("passwordFile") && hint.contains("apiKeyFile"),
        "{hint}"
    );
}

#[test]
fn a_secret_pasted_as_a_password_file_is_not_echoed() {
    let err = error(
        "[elasticsearch]\nusername = \"elastic\"\npasswordFile = \"hunter2-s3cret\"",
        &no_env,
    );
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
    let err = error("[control]\nmetricsPublic = \"yes\"\n", &no_env);
    assert!(err.starts_with("t.toml:2:17: error: invalid type"), "{err}");
    let env = |k: &str| (k == "OPTIMIZE_TELEMETRY_METRICS_PUBLIC").then(|| "yes".to_owned());
    let err = error("", &env);
    assert_eq!(
        err,
        "environment OPTIMIZE_TELEMETRY_METRICS_PUBLIC: error: `control.metricsPublic` must be true or false"
    );
}

#[test]
fn errors_name_the_key_and_the_line() {
    let cases = [
        (
            "[telemetry]\ntelemetryEndpoint = \"http://x.example\"\n",
            "t.toml:2:21: error: `telemetry.telemetryEndpoint` must be an https:// URL",
        ),
        (
            "[telemetry]\n\nreportingIntervalInHours = 0\n",
            "t.toml:3:28: error: `telemetry.reportingIntervalInHours` must be a number of hours greater than 0",
        ),
        (
            "[telemetry]\nreportingIntervalInHours = -2\n",
            "t.toml:2:28: error: `telemetry.reportingIntervalInHours`",
        ),
        (
            "[telemetry]\ninitializeTelemetry = \"yes\"\n",
            "t.toml:2:23: error: invalid type: string \"yes\", expected a boolean",
        ),
        (
            "[telemetry]\ntelemetryEndpont = \"https://x\"\n",
            "t.toml:2:1: error: unknown field `telemetryEndpont`",
        ),
        (
            "[elasticsearch]\nindexPrefix = \"Optimize\"\n",
            "t.toml:2:15: error: `elasticsearch.indexPrefix`",
        ),
        (
            "[[engines]]\nname = \"a\"\nrest = \"ftp://x\"\n",
            "t.toml:3:8: error: `engines.rest` must be an http:// or https:// URL",
        ),
    ];
    for (text, expected) in cases {
        let err = error(text, &no_env);
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
    let err = error(
        "[[control.tokens]]\nuserId = \"demo\"\nsha256 = \"test\"\n",
        &no_env,
    );
    assert!(
        err.starts_with("t.toml:3:10: error: `control.tokens.sha256` must be the 64 hex digits"),
        "{err}"
    );
}

#[test]
fn environment_overrides_the_file_and_is_named_in_errors() {
    let env = |k: &str| match k {
        "OPTIMIZE_TELEMETRY_ENDPOINT" => Some("https://telemetry.example.invalid/pings".to_owned()),
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
    let err = error("", &env);
    assert_eq!(
        err,
        "environment OPTIMIZE_TELEMETRY_INTERVAL_HOURS: error: `telemetry.reportingIntervalInHours` must be a number of hours greater than 0 (at least one second)"
    );
}

/// The diagnostics of a refused configuration, one line each.
fn refused(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    match Config::parse("t.toml", text, env) {
        Err(ConfigError::Invalid(all)) => all.iter().map(ToString::to_string).collect(),
        Err(e) => panic!("not a diagnostic: {e}"),
        Ok(_) => panic!("accepted:\n{text}"),
    }
}

#[test]
fn every_bad_key_of_a_file_is_reported_at_its_line_and_column() {
    let text = "[telemetry]\n\
                reportingIntervalInHours = 0\n\
                telemetryEndpoint = \"http://t.example\"\n\
                initializeTelemetry = \"yes\"\n\
                reportingInterval = 24\n\
                [http]\n\
                timeoutSeconds = -1\n\
                [[engines]]\n\
                name = \"\"\n\
                [control]\n\
                superUserIds = [\"demo\", \" \"]\n";
    let all = refused(text, &no_env);
    let expected = [
        "t.toml:2:28: error: `telemetry.reportingIntervalInHours` must be a number of hours",
        "t.toml:3:21: error: `telemetry.telemetryEndpoint` must be an https:// URL",
        "t.toml:4:23: error: invalid type: string \"yes\", expected a boolean",
        "t.toml:5:1: error: unknown field `reportingInterval`, expected one of `initializeTelemetry`",
        "t.toml:7:18: error: `http.timeoutSeconds` must be a number of seconds greater than 0",
        "t.toml:8:1: error: missing field `rest`",
        "t.toml:9:8: error: `engines.name` must not be empty",
        "t.toml:11:25: error: `control.superUserIds` must not hold an empty user id",
    ];
    assert_eq!(all.len(), expected.len(), "{all:#?}");
    for (line, want) in all.iter().zip(expected) {
        assert!(line.starts_with(want), "{line}\nexpected: {want}");
    }
}

#[test]
fn a_bad_variable_and_a_bad_file_key_are_both_reported() {
    let env = |k: &str| (k == "OPTIMIZE_TELEMETRY_INITIALIZE").then(|| "maybe".to_owned());
    let all = refused("[state]\nkind = \"postgres\"\n", &env);
    assert_eq!(
        all,
        [
            "t.toml:2:8: error: `state.kind` must be \"embedded\" or \"elasticsearch\"",
            "environment OPTIMIZE_TELEMETRY_INITIALIZE: error: `telemetry.initializeTelemetry` must be true or false",
        ]
    );
    // A file whose syntax is broken is reported with the environment, too.
    let all = refused("[telemetry\nx = = 1\n", &env);
    assert!(all.len() >= 2, "{all:#?}");
    assert!(all[0].starts_with("t.toml:1:"), "{all:#?}");
    assert!(
        all.iter()
            .any(|l| l.starts_with("environment OPTIMIZE_TELEMETRY_INITIALIZE: error:"))
    );
}

#[test]
fn the_file_and_the_environment_refuse_a_value_in_the_same_words() {
    // (key, the value as TOML, the same value as a variable's text)
    let cases = [
        ("telemetry.reportingIntervalInHours", "0", "0"),
        ("telemetry.reportingIntervalInHours", "-2.5", "-2.5"),
        (
            "telemetry.telemetryEndpoint",
            "\"http://t.example\"",
            "http://t.example",
        ),
        (
            "telemetry.telemetryEndpoint",
            "\"https://u:p@t.example\"",
            "https://u:p@t.example",
        ),
        ("elasticsearch.url", "\"ftp://es\"", "ftp://es"),
        ("elasticsearch.indexPrefix", "\"Optimize\"", "Optimize"),
        ("http.proxy", "\"socks://p:1\"", "socks://p:1"),
        ("control.address", "\"localhost\"", "localhost"),
    ];
    for (name, literal, text) in cases {
        let key = keys::key(name).unwrap_or_else(|| panic!("{name}"));
        let var = key.env.unwrap_or_else(|| panic!("{name} has no variable"));
        let (section, field) = name.split_once('.').unwrap_or_default();
        let from_file = refused(&format!("[{section}]\n{field} = {literal}\n"), &no_env);
        let env = |k: &str| (k == var).then(|| text.to_owned());
        let from_env = refused("", &env);
        let file_message = from_file[0]
            .split_once(": error: ")
            .map(|(_, m)| m.to_owned());
        let env_message = from_env[0]
            .split_once(": error: ")
            .map(|(_, m)| m.to_owned());
        assert!(file_message.is_some(), "{from_file:?}");
        assert_eq!(file_message, env_message, "{name} = {literal}");
        assert!(from_env[0].starts_with(&format!("environment {var}: error: `{name}` ")));
    }
}

#[test]
fn checks_across_keys_point_at_the_key_that_was_set() {
    let all = refused("[http]\ntimeoutSeconds = 40\n", &no_env);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert!(
        all[0].starts_with("t.toml:2:18: error: `telemetry.sendLeaseSeconds` (60s) must be at least twice `http.timeoutSeconds` (40s)"),
        "{all:#?}"
    );
    let all = refused("\n[elasticsearch]\nusername = \"optimize\"\n", &no_env);
    assert_eq!(
        all,
        [
            "t.toml:3:12: error: `elasticsearch.username` needs a password: set elasticsearch.passwordFile or OPTIMIZE_TELEMETRY_ES_PASSWORD"
        ]
    );
    let env = |k: &str| (k == "OPTIMIZE_TELEMETRY_ES_PASSWORD").then(|| "pw".to_owned());
    let all = refused("", &env);
    assert_eq!(
        all,
        [
            "environment OPTIMIZE_TELEMETRY_ES_PASSWORD: error: an Elasticsearch password is set but `elasticsearch.username` is not"
        ]
    );
    // A refused value is not second-guessed by a check across keys.
    let all = refused("[http]\ntimeoutSeconds = 0\n", &no_env);
    assert_eq!(all.len(), 1, "{all:#?}");
}

#[test]
fn a_secret_in_the_environment_wins_and_its_file_is_not_read() {
    let env = |k: &str| (k == "OPTIMIZE_TELEMETRY_ES_PASSWORD").then(|| "pw".to_owned());
    let c = Config::parse(
        "t.toml",
        "[elasticsearch]\nusername = \"u\"\npasswordFile = \"/nonexistent/pw\"\n",
        &env,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.elasticsearch.auth,
        Some(EsAuth::Basic {
            username: "u".into(),
            password: "pw".into()
        })
    );
}

#[test]
fn every_default_passes_its_rule() {
    for key in KEYS {
        if let Preset::Value(literal) = key.default {
            let mut draft = draft::Draft::with_defaults();
            let applied = file::apply_literal(&mut draft, key, literal);
            assert!(applied.is_ok(), "{}: {applied:?}", key.name);
        }
    }
    assert_eq!(
        format!("{:?}", Config::default()),
        format!("{:?}", parse("").unwrap_or_else(|e| panic!("{e}"))),
    );
}

#[test]
fn the_table_is_consistent() {
    let mut names = std::collections::HashSet::new();
    let mut vars = std::collections::HashSet::new();
    for key in KEYS {
        assert!(names.insert(key.name), "{} twice", key.name);
        if let Some(var) = key.env {
            assert!(vars.insert(var), "{var} twice");
            assert!(
                !matches!(key.rule, keys::Rule::EachText(_) | keys::Rule::Items(_)),
                "{}: a list cannot come from one variable",
                key.name
            );
        }
        let parent = key.name.rsplit_once('.').map(|(p, _)| p);
        let in_item = parent
            .and_then(keys::key)
            .is_some_and(|p| matches!(p.rule, keys::Rule::Items(_)));
        if key.default == Preset::Required {
            assert!(in_item, "{}: only fields of items are required", key.name);
        }
        let first = key.doc.chars().next().unwrap_or('A');
        assert!(
            !first.is_uppercase() && !key.doc.ends_with('.'),
            "{}: a doc is lowercase, without a trailing period",
            key.name
        );
    }
}
