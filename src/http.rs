//! Every HTTP client the runtime builds, from one TLS setup: rustls with certificate
//! verification always on (the built-in Mozilla roots, plus an optional extra CA file). The
//! report sender (`crate::sender`) adds its own redirect and proxy rules on top.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot read the CA file `{path}`: {reason}")]
    CaFile { path: String, reason: String },
    #[error("cannot build the HTTPS client: {0}")]
    Client(String),
}

/// The TLS settings of every client: verification on, built-in roots plus `ca_file`.
pub fn tls_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, HttpError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let bad = |reason: String| HttpError::CaFile {
            path: path.display().to_string(),
            reason,
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| bad(e.to_string()))?;
        if certs.is_empty() {
            return Err(bad("it holds no PEM certificate".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| bad(e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| HttpError::Client(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A client for talking to the local daemon (plain HTTP on loopback, no proxy), for the CLI.
pub fn local_client(timeout: Duration) -> Result<reqwest::Client, HttpError> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config(None)?)
        .no_proxy()
        .timeout(timeout)
        .build()
        .map_err(|e| HttpError::Client(e.to_string()))
}

/// A client for the sources: http or https, the configured CA trusted, bounded in time.
pub fn source_client(config: &Config) -> Result<reqwest::Client, HttpError> {
    let tls = tls_config(config.http.ca_file.as_deref())?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(config.http.source_timeout)
        .timeout(config.http.source_timeout)
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(|e| HttpError::Client(e.to_string()))
}

/// A one-line description of a request error: its kind and innermost cause, no URL query.
pub fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_redirect() {
        "redirect refused"
    } else if e.is_body() || e.is_decode() {
        "broken response"
    } else if e.is_request() {
        "request failed"
    } else {
        "failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {cause}")
    }
}
