//! Hostile configuration: every key with a value of the wrong type or an invalid value is
//! refused at start, with the key and `file:line:col` in the message.

use optimize_telemetry::Config;

fn refused(text: &str) -> String {
    Config::parse("c.toml", text, &|_| None)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("accepted:\n{text}"))
}

#[test]
fn every_key_refuses_wrong_types_and_values_naming_key_and_line() {
    // (section, key = value, what the message must contain)
    let cases: &[(&str, &str, &str)] = &[
        (
            "telemetry",
            "initializeTelemetry = \"true\"",
            "expected a boolean",
        ),
        ("telemetry", "initializeTelemetry = 1", "expected a boolean"),
        (
            "telemetry",
            "reportingIntervalInHours = \"24\"",
            "expected f64",
        ),
        (
            "telemetry",
            "reportingIntervalInHours = 0",
            "`telemetry.reportingIntervalInHours`",
        ),
        (
            "telemetry",
            "reportingIntervalInHours = nan",
            "`telemetry.reportingIntervalInHours`",
        ),
        (
            "telemetry",
            "reportingIntervalInHours = 1e-9",
            "at least one second",
        ),
        (
            "telemetry",
            "reportingIntervalInHours = inf",
            "`telemetry.reportingIntervalInHours`",
        ),
        ("telemetry", "telemetryEndpoint = 42", "expected a string"),
        (
            "telemetry",
            "telemetryEndpoint = \"telemetry.example.com\"",
            "`telemetry.telemetryEndpoint` is not a URL",
        ),
        (
            "telemetry",
            "telemetryEndpoint = \"ftp://t.example/pings\"",
            "must be an https:// URL",
        ),
        (
            "telemetry",
            "telemetryEndpoint = \"https://exa mple.com/pings\"",
            "`telemetry.telemetryEndpoint` is not a URL",
        ),
        (
            "telemetry",
            "initialDelaySeconds = -1",
            "`telemetry.initialDelaySeconds`",
        ),
        (
            "telemetry",
            "maxAttemptsPerPeriod = 0",
            "`telemetry.maxAttemptsPerPeriod` must be between 1 and 100",
        ),
        ("telemetry", "maxAttemptsPerPeriod = 1.5", "expected i64"),
        (
            "telemetry",
            "retryBaseSeconds = 0.01",
            "`telemetry.retryBaseSeconds` must be a number of seconds, at least 1",
        ),
        ("telemetry", "retryCapSeconds = \"1h\"", "expected f64"),
        (
            "telemetry",
            "sendLeaseSeconds = 0",
            "`telemetry.sendLeaseSeconds`",
        ),
        (
            "telemetry",
            "statePollSeconds = 0.5",
            "`telemetry.statePollSeconds`",
        ),
        (
            "telemetry",
            "reportingInterval = 24",
            "unknown field `reportingInterval`",
        ),
        ("optimize", "version = 3.2", "expected a string"),
        ("optimize", "edition = true", "expected a string"),
        (
            "elasticsearch",
            "url = \"localhost:9200\"",
            "`elasticsearch.url`",
        ),
        (
            "elasticsearch",
            "url = \"file:///etc/passwd\"",
            "must be an http:// or https:// URL",
        ),
        (
            "elasticsearch",
            "indexPrefix = \"../x\"",
            "`elasticsearch.indexPrefix`",
        ),
        (
            "elasticsearch",
            "indexPrefix = \"\"",
            "`elasticsearch.indexPrefix`",
        ),
        (
            "elasticsearch",
            "username = \"optimize\"",
            "`elasticsearch.username` needs a password",
        ),
        (
            "elasticsearch",
            "passwordFile = \"/nonexistent/pw\"\nusername = \"u\"",
            "`elasticsearch.passwordFile` names a file that cannot be read",
        ),
        (
            "elasticsearch",
            "password = \"hunter2\"",
            "unknown field `password`",
        ),
        ("license", "file = 7", "expected a string"),
        ("state", "kind = \"postgres\"", "`state.kind` must be"),
        ("state", "dir = []", "expected a string"),
        ("http", "caFile = false", "expected a string"),
        ("http", "proxy = \"socks://p:1\"", "`http.proxy`"),
        ("http", "timeoutSeconds = 0", "`http.timeoutSeconds`"),
        (
            "http",
            "sourceTimeoutSeconds = -3",
            "`http.sourceTimeoutSeconds`",
        ),
        ("http", "insecure = true", "unknown field `insecure`"),
        ("control", "enabled = \"yes\"", "expected a boolean"),
        ("control", "address = \"localhost\"", "`control.address`"),
        ("control", "superUserIds = \"demo\"", "expected a sequence"),
        ("control", "superUserIds = [\"\"]", "`control.superUserIds`"),
    ];
    for (section, line, expected) in cases {
        // Some padding lines first, so the reported line number is checked too.
        let text = format!("# a comment\n\n[{section}]\n{line}\n");
        let err = refused(&text);
        assert!(
            err.contains(expected),
            "[{section}] {line}: `{err}` should contain `{expected}`"
        );
        assert!(
            err.starts_with("c.toml:3:")
                || err.starts_with("c.toml:4:")
                || err.starts_with("c.toml:5:"),
            "[{section}] {line}: no position in `{err}`"
        );
    }
}

#[test]
fn engines_and_tokens_are_checked_field_by_field() {
    let cases: &[(&str, &str)] = &[
        ("[[engines]]\nname = \"e\"\n", "missing field `rest`"),
        (
            "[[engines]]\nname = \"\"\nrest = \"http://e:8080/engine-rest\"\n",
            "`engines.name` must not be empty",
        ),
        (
            "[[engines]]\nname = \"e\"\nrest = \"e:8080\"\n",
            "`engines.rest`",
        ),
        (
            "[[engines]]\nname = \"e\"\nrest = \"http://e:8080\"\nport = 1\n",
            "unknown field `port`",
        ),
        (
            "[[control.tokens]]\nuserId = \"demo\"\n",
            "missing field `sha256`",
        ),
        (
            "[[control.tokens]]\nuserId = \"demo\"\nsha256 = \"zz\"\n",
            "`control.tokens.sha256`",
        ),
        (
            "[[control.tokens]]\nuserId = \"demo\"\nsha256 = \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\nexpires = \"tomorrow\"\n",
            "`control.tokens.expires`",
        ),
        (
            "[[control.tokens]]\nuserId = \"demo\"\ntoken = \"plain-text\"\n",
            "unknown field `token`",
        ),
        ("[metrics]\nenabled = true\n", "unknown field `metrics`"),
        ("telemetry = 5\n", "invalid type"),
    ];
    for (text, expected) in cases {
        let err = refused(text);
        assert!(
            err.contains(expected),
            "{text}: `{err}` should contain `{expected}`"
        );
        assert!(err.starts_with("c.toml:"), "{err}");
    }
}

#[test]
fn a_ca_file_that_is_not_pem_stops_the_start() {
    let dir = crate::support::TempDir::new("bad-ca");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, "not a certificate").unwrap_or_else(|e| panic!("{e}"));
    let cfg = crate::runtime::config(
        &test_support::ConfigBuilder::new()
            .endpoint("https://t.example/pings")
            .ca_file(&ca)
            .state_dir(&dir.join("s")),
    );
    let err = optimize_telemetry::start(cfg)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("cannot read the CA file") && err.contains("no PEM certificate"),
        "{err}"
    );
}
