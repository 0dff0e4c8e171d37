//! The checks behind the keys: each turns a value (from the file or the environment alike) into
//! what the runtime uses, or says what the value must be. Messages follow the key's name, as in
//! "`http.proxy` must name a host".

use std::time::Duration;

use super::{MIN_INTERVAL, MIN_RETRY};

/// A reporting interval given in hours.
pub(super) fn hours(hours: f64) -> Result<Duration, String> {
    positive_duration(hours * 3600.0)
        .filter(|d| *d >= MIN_INTERVAL)
        .ok_or_else(|| "must be a number of hours greater than 0 (at least one second)".into())
}

/// A pause between attempts or reads of shared state. The floor keeps a failing endpoint from
/// being hammered (Camunda 7 once spent CPU and logs retrying a discontinued endpoint).
pub(super) fn pause(seconds: f64) -> Result<Duration, String> {
    positive_duration(seconds)
        .filter(|d| *d >= MIN_RETRY)
        .ok_or_else(|| "must be a number of seconds, at least 1".into())
}

pub(super) fn timeout(seconds: f64) -> Result<Duration, String> {
    positive_duration(seconds).ok_or_else(|| "must be a number of seconds greater than 0".into())
}

pub(super) fn delay(seconds: f64) -> Result<Duration, String> {
    (seconds.is_finite() && (0.0..1e12).contains(&seconds))
        .then(|| Duration::from_secs_f64(seconds))
        .ok_or_else(|| "must be a number of seconds, 0 or more".into())
}

fn positive_duration(seconds: f64) -> Option<Duration> {
    (seconds.is_finite() && seconds > 0.0 && seconds < 1e12)
        .then(|| Duration::from_secs_f64(seconds))
}

pub(super) fn attempts(n: i64) -> Result<u32, String> {
    u32::try_from(n)
        .ok()
        .filter(|n| (1..=100).contains(n))
        .ok_or_else(|| "must be between 1 and 100".into())
}

pub(super) fn non_empty(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(text.to_owned())
    }
}

pub(super) fn user_id(text: &str) -> Result<String, String> {
    non_empty(text).map_err(|_| "must not hold an empty user id".into())
}

pub(super) fn address(text: &str) -> Result<std::net::SocketAddr, String> {
    text.trim()
        .parse()
        .map_err(|_| "must be an IP address and port, such as 127.0.0.1:8095".into())
}

pub(super) fn store_kind(text: &str) -> Result<super::StoreKind, String> {
    match text {
        "embedded" => Ok(super::StoreKind::Embedded),
        "elasticsearch" | "opensearch" => Ok(super::StoreKind::Elasticsearch),
        _ => Err("must be \"embedded\" or \"elasticsearch\"".into()),
    }
}

pub(super) fn digest(text: &str) -> Result<[u8; 32], String> {
    parse_digest(text).ok_or_else(|| {
        "must be the 64 hex digits of the token's SHA-256 (make it with `optimize-telemetry hash-token`)"
            .into()
    })
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

pub(super) fn time(text: &str) -> Result<crate::clock::Timestamp, String> {
    crate::clock::Timestamp::parse_rfc3339(text)
        .ok_or_else(|| "must be an RFC 3339 time such as 2027-01-01T00:00:00Z".into())
}

pub(super) fn index_prefix(text: &str) -> Result<String, String> {
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

/// The telemetry endpoint: an absolute `https://` URL, nothing else.
pub(super) fn https_url(text: &str) -> Result<reqwest::Url, String> {
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

/// A source URL that must not carry credentials: they would be shown wherever it is. `hint`
/// says where credentials go instead.
pub(super) fn source_url(text: &str, hint: &str) -> Result<reqwest::Url, String> {
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

/// A source URL (Elasticsearch, an engine, a proxy): http or https.
pub(super) fn http_url(text: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text.trim()).map_err(|e| format!("is not a URL ({e})"))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        "http" | "https" => Err("must name a host".into()),
        other => Err(format!(
            "must be an http:// or https:// URL, not {other}://"
        )),
    }
}

/// A secret kept in a file: its content, trimmed. The file's name is not repeated, in case
/// the secret itself was pasted where its path belongs.
pub(super) fn secret_file(path: &str, env_var: Option<&str>) -> Result<String, String> {
    let or_env = env_var
        .map(|v| format!(" (or set {v})"))
        .unwrap_or_default();
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|e| {
            format!(
                "names a file that cannot be read ({e}); the value is not repeated here in case it is the secret itself: this key takes the path of a file holding the secret{or_env}"
            )
        })
}
