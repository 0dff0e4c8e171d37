//! The HTTPS sender: one POST of the payload to the configured endpoint.
//!
//! TLS is rustls with certificate verification always on (the built-in Mozilla roots, plus an
//! optional extra CA file); only `https://` is ever used, redirects included; connect and total
//! time are bounded; at most 64 KiB of the response is read; no connection is kept open between
//! reports. A 2xx answer is success.

use std::time::Duration;

use crate::config::Config;

/// The most of a response body the sender reads; the rest is dropped with the connection.
pub const MAX_RESPONSE_BODY: usize = 64 * 1024;
/// The most redirects followed (all of them to https).
const MAX_REDIRECTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    #[error(transparent)]
    Http(#[from] crate::http::HttpError),
    #[error("no telemetry endpoint is configured (`telemetry.telemetryEndpoint`)")]
    NoEndpoint,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub success: bool,
    pub status: Option<u16>,
    /// Why it failed, without any secret.
    pub error: Option<String>,
    /// The server asked to wait this long (429/503 with `Retry-After` in seconds).
    pub retry_after: Option<Duration>,
}

impl Outcome {
    /// A short description for logs, `status` and the audit ledger.
    pub fn describe(&self) -> String {
        match (self.status, &self.error) {
            (Some(s), None) => format!("HTTP {s}"),
            (Some(s), Some(e)) => format!("HTTP {s}: {e}"),
            (None, Some(e)) => e.clone(),
            (None, None) => "no answer".into(),
        }
    }
}

/// Where the scheduler sends a report: the HTTPS [`Sender`], or a test double.
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// The endpoint, for logs and the audit ledger.
    fn endpoint(&self) -> String;
    /// Sends one report. Never fails: the outcome says what happened.
    fn send(&self, body: Vec<u8>) -> futures_util::future::BoxFuture<'_, Outcome>;
}

impl Transport for Sender {
    fn endpoint(&self) -> String {
        crate::config::redacted(&self.endpoint)
    }

    fn send(&self, body: Vec<u8>) -> futures_util::future::BoxFuture<'_, Outcome> {
        Box::pin(Sender::send(self, body))
    }
}

/// Sends reports to one endpoint.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    endpoint: reqwest::Url,
}

impl Sender {
    pub fn new(config: &Config) -> Result<Self, SenderError> {
        let endpoint = config.endpoint.clone().ok_or(SenderError::NoEndpoint)?;
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            // `previous()` holds the original URL too, so three hops have been followed when it
            // holds more than three.
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if attempt.url().scheme() != "https" {
                attempt.error("refused a redirect away from https")
            } else {
                attempt.follow()
            }
        });
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(crate::http::tls_config(config.http.ca_file.as_deref())?)
            .https_only(true)
            .redirect(redirects)
            .connect_timeout(config.http.timeout)
            .timeout(config.http.timeout)
            .pool_max_idle_per_host(0)
            .user_agent(user_agent());
        if let Some(proxy) = &config.http.proxy {
            let proxy = reqwest::Proxy::all(proxy.clone())
                .map_err(|e| SenderError::Http(crate::http::HttpError::Client(e.to_string())))?;
            builder = builder.proxy(proxy);
        }
        let client = builder
            .build()
            .map_err(|e| SenderError::Http(crate::http::HttpError::Client(e.to_string())))?;
        Ok(Self { client, endpoint })
    }

    pub fn endpoint(&self) -> &reqwest::Url {
        &self.endpoint
    }

    /// POSTs `body` (the serialized payload). Never fails: the outcome says what happened.
    pub async fn send(&self, body: Vec<u8>) -> Outcome {
        let request = self
            .client
            .post(self.endpoint.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                return Outcome {
                    success: false,
                    status: None,
                    error: Some(crate::http::describe(&e)),
                    retry_after: None,
                };
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        // Read a little of the body (so a well-behaved server sees the exchange finish), and
        // never more than the bound, whatever the server sends.
        let mut read = 0usize;
        let mut body_error = None;
        while read < MAX_RESPONSE_BODY {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                Ok(None) => break,
                Err(e) => {
                    body_error = Some(crate::http::describe(&e));
                    break;
                }
            }
        }
        let success = status.is_success();
        Outcome {
            success,
            status: Some(status.as_u16()),
            error: if success { None } else { body_error },
            retry_after,
        }
    }
}

/// `Camunda Optimize telemetry/<spec version> (optimize-telemetry <crate version>)`.
pub fn user_agent() -> String {
    format!(
        "{} telemetry/{} (optimize-telemetry {})",
        crate::generated::PRODUCT_NAME,
        crate::generated::SPEC_VERSION,
        env!("CARGO_PKG_VERSION")
    )
}
