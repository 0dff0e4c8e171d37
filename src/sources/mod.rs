//! The real data sources behind the generated `Sources` trait: the state store (installation
//! id), the configuration (product), Elasticsearch or OpenSearch (`GET /`), the license key file
//! and each Camunda 7 engine (`GET <rest>/telemetry/data`).
//!
//! A source that fails returns an error; the generated `collect()` then reports its items as
//! "Unknown" and logs one line. Each source also records its failure here, so `preview` can say
//! which sources were missing.

pub mod license;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::future::join_all;
use serde::Deserialize;

use crate::config::Config;
use crate::generated::sources::{
    DatabaseData, EnginesData, InstallationData, LicenseData, ProductData, SourceError, Sources,
};
use crate::generated::{PRODUCT_NAME, UNKNOWN};
use crate::store::StateStore;

/// The most a source response may weigh; the real ones are a few hundred bytes.
const MAX_SOURCE_BODY: usize = 64 * 1024;

/// The runtime's sources.
#[derive(Debug)]
pub struct RealSources {
    config: Arc<Config>,
    store: Arc<dyn StateStore>,
    http: reqwest::Client,
    failures: Mutex<Vec<(&'static str, String)>>,
    calls: AtomicU64,
}

impl RealSources {
    pub fn new(config: Arc<Config>, store: Arc<dyn StateStore>, http: reqwest::Client) -> Self {
        Self {
            config,
            store,
            http,
            failures: Mutex::new(Vec::new()),
            calls: AtomicU64::new(0),
        }
    }

    /// Takes the failures recorded since the last call: (source, reason).
    pub fn take_failures(&self) -> Vec<(&'static str, String)> {
        self.failures
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or_default()
    }

    /// How many times any source was read, for tests and `status`.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    fn note<T>(
        &self,
        source: &'static str,
        result: Result<T, SourceError>,
    ) -> Result<T, SourceError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = &result
            && let Ok(mut f) = self.failures.lock()
        {
            f.push((source, e.to_string()));
        }
        result
    }
}

/// Adds the configured Elasticsearch credentials to a request.
pub fn with_es_auth(
    req: reqwest::RequestBuilder,
    auth: Option<&crate::config::EsAuth>,
) -> reqwest::RequestBuilder {
    match auth {
        Some(crate::config::EsAuth::Basic { username, password }) => {
            req.basic_auth(username, Some(password))
        }
        Some(crate::config::EsAuth::ApiKey(key)) => {
            req.header(reqwest::header::AUTHORIZATION, format!("ApiKey {key}"))
        }
        None => req,
    }
}

/// GETs `url` (with `auth`, if any) and parses a bounded JSON body.
async fn get_json<T: for<'de> Deserialize<'de>>(
    http: &reqwest::Client,
    url: reqwest::Url,
    auth: Option<&crate::config::EsAuth>,
) -> Result<T, SourceError> {
    let shown = crate::config::redacted(&url);
    let mut response = with_es_auth(http.get(url), auth)
        .send()
        .await
        .map_err(|e| format!("GET {shown}: {}", crate::http::describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {shown}: HTTP {status}").into());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("GET {shown}: {}", crate::http::describe(&e)))?
    {
        if body.len() + chunk.len() > MAX_SOURCE_BODY {
            return Err(
                format!("GET {shown}: response larger than {MAX_SOURCE_BODY} bytes").into(),
            );
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body)
        .map_err(|e| format!("GET {shown}: unexpected response ({e})").into())
}

/// `GET /` of Elasticsearch and OpenSearch.
#[derive(Deserialize)]
struct ClusterRoot {
    version: ClusterVersion,
}

#[derive(Deserialize)]
struct ClusterVersion {
    number: String,
    #[serde(default)]
    distribution: Option<String>,
}

/// `GET <engine-rest>/telemetry/data` of Camunda 7.
#[derive(Deserialize)]
struct EngineTelemetry {
    installation: String,
}

/// `base` with `segment` appended to its path, whatever the trailing slash.
fn join(base: &reqwest::Url, segment: &str) -> reqwest::Url {
    let mut url = base.clone();
    let path = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        segment.trim_start_matches('/')
    );
    url.set_path(&path);
    url
}

impl Sources for RealSources {
    async fn installation(&self) -> Result<InstallationData, SourceError> {
        let result = self
            .store
            .installation_id()
            .await
            .map(|id| InstallationData { id })
            .map_err(SourceError::from);
        self.note("installation", result)
    }

    async fn product(&self) -> Result<ProductData, SourceError> {
        let o = &self.config.optimize;
        let result = Ok(ProductData {
            name: PRODUCT_NAME.to_owned(),
            version: o.version.clone().unwrap_or_else(|| UNKNOWN.to_owned()),
            edition: o.edition.clone().unwrap_or_else(|| UNKNOWN.to_owned()),
        });
        self.note("product", result)
    }

    async fn database(&self) -> Result<DatabaseData, SourceError> {
        let url = join(&self.config.elasticsearch.url, "");
        let auth = self.config.elasticsearch.auth.as_ref();
        let result = get_json::<ClusterRoot>(&self.http, url, auth)
            .await
            .map(|root| DatabaseData {
                vendor: match root.version.distribution.as_deref() {
                    Some("opensearch") => "opensearch".to_owned(),
                    _ => "elasticsearch".to_owned(),
                },
                version: root.version.number,
            });
        self.note("database", result)
    }

    async fn license(&self) -> Result<LicenseData, SourceError> {
        let result = match &self.config.license_file {
            None => Err("no license file is configured (`license.file`)".into()),
            Some(path) => match tokio::fs::read_to_string(path).await {
                Ok(text) => {
                    license::parse(&text).map_err(|e| format!("{}: {e}", path.display()).into())
                }
                Err(e) => {
                    Err(format!("cannot read the license file {}: {e}", path.display()).into())
                }
            },
        };
        self.note("license", result)
    }

    async fn engines(&self) -> Result<EnginesData, SourceError> {
        let asks = self.config.engines.iter().map(|engine| async move {
            let url = join(&engine.rest, "telemetry/data");
            match get_json::<EngineTelemetry>(&self.http, url, None).await {
                Ok(t) => t.installation,
                Err(e) => {
                    // One engine that cannot be asked costs only its own entry.
                    tracing::warn!(engine = %engine.name, error = %e, "engine installation id unavailable; reported as \"Unknown\"");
                    if let Ok(mut f) = self.failures.lock() {
                        f.push(("engines", format!("{}: {e}", engine.name)));
                    }
                    UNKNOWN.to_owned()
                }
            }
        });
        let ids = join_all(asks).await;
        self.note(
            "engines",
            Ok(EnginesData {
                installation_ids: ids,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn joining_paths_ignores_trailing_slashes() {
        let base =
            reqwest::Url::parse("http://h:8080/engine-rest/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            join(&base, "telemetry/data").as_str(),
            "http://h:8080/engine-rest/telemetry/data"
        );
        let base =
            reqwest::Url::parse("http://h:8080/engine-rest").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            join(&base, "telemetry/data").as_str(),
            "http://h:8080/engine-rest/telemetry/data"
        );
        let root = reqwest::Url::parse("http://es:9200").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(join(&root, "").as_str(), "http://es:9200/");
    }
}
