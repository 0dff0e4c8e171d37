//! The cluster store: the state lives in Optimize's own Elasticsearch or OpenSearch, so every
//! Optimize instance on one cluster shares one installation id, one setting and one send lease.
//!
//! Every write is atomic on the server: the installation id is set by an update with upsert
//! whose script only fills a missing id; the setting is created once (`_create`) and then
//! replaced; the send state (with the lease) is only ever written conditionally
//! (`_create`, or `if_seq_no`/`if_primary_term` of the version read), so two instances racing
//! for a period cannot both win: the loser gets `409 version_conflict_engine_exception`.
//!
//! The REST calls, all of them (README "Cluster-wide state" lists them for operators):
//!
//! - `GET /_cluster/health`, `HEAD /<index>`, `PUT /<index>` (explicit mappings) when first used;
//! - `POST /<prefix>-metadata/_update/1?retry_on_conflict=5&refresh=true&_source=true`;
//! - `GET /<prefix>-settings/_doc/1`, `PUT /<prefix>-settings/_create/1?refresh=true` (only
//!   while there is no setting), `PUT /<prefix>-settings/_doc/1?refresh=true`, and once after
//!   an upgrade
//!   `PUT /<prefix>-settings/_doc/1?if_seq_no=N&if_primary_term=M&refresh=true`;
//! - `GET /<prefix>-telemetry/_doc/send-state`, `PUT /<prefix>-telemetry/_create/send-state`,
//!   `PUT /<prefix>-telemetry/_doc/send-state?if_seq_no=N&if_primary_term=M&refresh=true`.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::{ApproveFn, Attempt, PeriodEnd, SendState, Settings, StateStore, StoreError};
use crate::clock::{Clock, Timestamp};
use crate::config::{Config, EsAuth};

/// The largest answer read from the cluster.
const MAX_ANSWER: usize = 1024 * 1024;
/// Conditional writes retried this often after losing a race, then the operation fails.
const CONFLICT_RETRIES: usize = 5;
/// The schema version written next to the installation id, as Optimize's metadata does.
pub const SCHEMA_VERSION: u32 = 3;
/// The script that fills the installation id only when it is missing.
pub const SET_ID_IF_NULL: &str = "if (ctx._source.installationId == null) { ctx._source.installationId = params.id } else { ctx.op = 'none' }";
const SEND_STATE_ID: &str = "send-state";

#[derive(Debug, Clone)]
pub struct ElasticsearchStore {
    http: reqwest::Client,
    base: reqwest::Url,
    prefix: String,
    auth: Option<EsAuth>,
    clock: Arc<dyn Clock>,
    ready: Arc<Mutex<bool>>,
}

/// A response: status and JSON body (or the text, for servers that answer errors in plain text).
struct Answer {
    status: u16,
    body: Value,
    text: String,
}

impl Answer {
    fn error_type(&self) -> &str {
        self.body["error"]["type"].as_str().unwrap_or("")
    }

    fn reason(&self) -> String {
        self.body["error"]["reason"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| self.text.chars().take(200).collect())
    }
}

fn other(message: impl Into<String>) -> StoreError {
    StoreError::Other(message.into())
}

/// A document read with its version for a conditional write.
struct Versioned<T> {
    doc: Option<T>,
    seq_no: Option<u64>,
    primary_term: Option<u64>,
}

impl ElasticsearchStore {
    pub fn new(config: &Config, http: reqwest::Client, clock: Arc<dyn Clock>) -> Self {
        Self {
            http,
            base: config.elasticsearch.url.clone(),
            prefix: config.elasticsearch.index_prefix.clone(),
            auth: config.elasticsearch.auth.clone(),
            clock,
            ready: Arc::new(Mutex::new(false)),
        }
    }

    fn index(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    fn url(&self, path: &str) -> reqwest::Url {
        let mut url = self.base.clone();
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        url.set_path(&format!(
            "{}{}",
            self.base.path().trim_end_matches('/'),
            path
        ));
        url.set_query((!query.is_empty()).then_some(query));
        url
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, StoreError> {
        let url = self.url(path);
        let mut req = crate::sources::with_es_auth(
            self.http.request(method.clone(), url.clone()),
            self.auth.as_ref(),
        );
        if let Some(b) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b.to_string());
        }
        let response = req.send().await.map_err(|e| {
            other(format!(
                "Elasticsearch at {} is not reachable ({})",
                crate::config::redacted(&self.base),
                crate::http::describe(&e)
            ))
        })?;
        let status = response.status().as_u16();
        // Answers are a few hundred bytes; never hold more than a bound, whatever arrives.
        let mut response = response;
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| other(format!("reading the answer to {method} {path}: {e}")))?
        {
            if bytes.len() + chunk.len() > MAX_ANSWER {
                return Err(other(format!(
                    "the answer to {method} {path} is larger than {MAX_ANSWER} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let answer = Answer { status, body, text };
        match status {
            401 => Err(other(format!(
                "Elasticsearch refused the credentials for {method} {path} (401: {}); check elasticsearch.username/password or apiKey",
                answer.reason()
            ))),
            403 => Err(other(format!(
                "the configured Elasticsearch user may not {method} {path} (403: {}); it needs read and write access to the {}-* indices",
                answer.reason(),
                self.prefix
            ))),
            503 => Err(other(format!(
                "Elasticsearch cannot serve {method} {path} (503: {}); is the cluster red?",
                answer.reason()
            ))),
            _ => Ok(answer),
        }
    }

    /// Makes sure the cluster can take writes and the indices exist, once per process.
    async fn ensure_ready(&self) -> Result<(), StoreError> {
        let mut ready = self.ready.lock().await;
        if *ready {
            return Ok(());
        }
        let health = self
            .call(reqwest::Method::GET, "/_cluster/health", None)
            .await?;
        if health.body["status"] == "red" {
            return Err(other(format!(
                "the Elasticsearch cluster at {} is red: some primary shards are unassigned; telemetry state is not written to a red cluster",
                crate::config::redacted(&self.base)
            )));
        }
        let mappings = [
            (
                "metadata",
                json!({"properties": {"installationId": {"type": "keyword"}, "schemaVersion": {"type": "keyword"}}}),
            ),
            (
                "settings",
                json!({"properties": {
                    "metadataTelemetryEnabled": {"type": "boolean"},
                    "lastModifier": {"type": "keyword"},
                    "lastModified": {"type": "date"},
                    // Kept with the setting and read back whole, never searched.
                    "approval": {"type": "object", "enabled": false}
                }}),
            ),
            (
                "telemetry",
                json!({"dynamic": false, "properties": {
                    "lastSuccess": {"type": "date"},
                    "nextDue": {"type": "date"}
                }}),
            ),
        ];
        for (name, mapping) in mappings {
            let index = self.index(name);
            let head = self
                .call(reqwest::Method::HEAD, &format!("/{index}"), None)
                .await?;
            if head.status == 200 {
                continue;
            }
            let created = self
                .call(
                    reqwest::Method::PUT,
                    &format!("/{index}"),
                    Some(&json!({ "mappings": mapping })),
                )
                .await?;
            let raced = created.status == 400
                && created.error_type() == "resource_already_exists_exception";
            if !(created.status == 200 || raced) {
                return Err(other(format!(
                    "cannot create the index {index} ({}: {})",
                    created.status,
                    created.reason()
                )));
            }
        }
        *ready = true;
        Ok(())
    }

    async fn get<T: DeserializeOwned>(
        &self,
        index: &str,
        id: &str,
    ) -> Result<Versioned<T>, StoreError> {
        let a = self
            .call(reqwest::Method::GET, &format!("/{index}/_doc/{id}"), None)
            .await?;
        match a.status {
            404 => Ok(Versioned {
                doc: None,
                seq_no: None,
                primary_term: None,
            }),
            200 if a.body["found"] == true => {
                let doc = serde_json::from_value(a.body["_source"].clone()).map_err(|e| {
                    other(format!(
                        "the document {index}/{id} is not what telemetry wrote ({e})"
                    ))
                })?;
                Ok(Versioned {
                    doc: Some(doc),
                    seq_no: a.body["_seq_no"].as_u64(),
                    primary_term: a.body["_primary_term"].as_u64(),
                })
            }
            200 => Ok(Versioned {
                doc: None,
                seq_no: None,
                primary_term: None,
            }),
            s => Err(other(format!(
                "GET {index}/{id} failed ({s}: {})",
                a.reason()
            ))),
        }
    }

    /// Writes `doc` only if the document is still at the version read: `Ok(false)` on a lost race.
    async fn put_if<T: serde::Serialize>(
        &self,
        index: &str,
        id: &str,
        read: &Versioned<impl Sized>,
        doc: &T,
    ) -> Result<bool, StoreError> {
        let body = serde_json::to_value(doc).map_err(|e| other(e.to_string()))?;
        let path = match (read.seq_no, read.primary_term) {
            (Some(seq), Some(term)) => {
                format!("/{index}/_doc/{id}?if_seq_no={seq}&if_primary_term={term}&refresh=true")
            }
            _ => format!("/{index}/_create/{id}?refresh=true"),
        };
        let a = self.call(reqwest::Method::PUT, &path, Some(&body)).await?;
        match a.status {
            200 | 201 => Ok(true),
            409 => Ok(false),
            s => Err(other(format!(
                "writing {index}/{id} failed ({s}: {})",
                a.reason()
            ))),
        }
    }

    /// Read-modify-write of the send state with optimistic concurrency. `change` returns the new
    /// state and a result, or `None` to leave the document as it is.
    async fn update_send_state<R>(
        &self,
        mut change: impl FnMut(SendState) -> Option<(SendState, R)>,
        unchanged: R,
    ) -> Result<R, StoreError> {
        self.ensure_ready().await?;
        let index = self.index("telemetry");
        for _ in 0..CONFLICT_RETRIES {
            let read = self.get::<SendState>(&index, SEND_STATE_ID).await?;
            let current = read.doc.clone().unwrap_or_default();
            let Some((next, result)) = change(current) else {
                return Ok(unchanged);
            };
            if self.put_if(&index, SEND_STATE_ID, &read, &next).await? {
                return Ok(result);
            }
        }
        Err(other(format!(
            "{index}/{SEND_STATE_ID}: lost {CONFLICT_RETRIES} races in a row to other instances (version conflicts); trying again later"
        )))
    }
}

impl StateStore for ElasticsearchStore {
    fn installation_id(&self) -> BoxFuture<'_, Result<String, StoreError>> {
        Box::pin(async move {
            self.ensure_ready().await?;
            let index = self.index("metadata");
            let id = uuid::Uuid::new_v4().to_string();
            let body = json!({
                "script": { "source": SET_ID_IF_NULL, "lang": "painless", "params": { "id": id } },
                "upsert": { "installationId": id, "schemaVersion": SCHEMA_VERSION }
            });
            let a = self
                .call(
                    reqwest::Method::POST,
                    &format!("/{index}/_update/1?retry_on_conflict=5&refresh=true&_source=true"),
                    Some(&body),
                )
                .await?;
            if !(a.status == 200 || a.status == 201) {
                return Err(other(format!(
                    "setting the installation id failed ({}: {})",
                    a.status,
                    a.reason()
                )));
            }
            let stored = a.body["get"]["_source"]["installationId"]
                .as_str()
                .ok_or_else(|| other("the update answer holds no installation id"))?;
            if a.body["result"] == "created" {
                // Not the id itself: it is a reported value, and logs hold none (docs/security.md).
                tracing::info!("created the installation id in the cluster");
            }
            Ok(stored.to_owned())
        })
    }

    fn settings(&self, initialize: bool) -> BoxFuture<'_, Result<Settings, StoreError>> {
        Box::pin(async move {
            self.ensure_ready().await?;
            let index = self.index("settings");
            // Read first: this runs at every poll, and a poll must not write to the cluster.
            if let Some(stored) = self.get::<Settings>(&index, "1").await?.doc {
                return Ok(stored);
            }
            let seeded = Settings::seeded(initialize);
            let body = serde_json::to_value(&seeded).map_err(|e| other(e.to_string()))?;
            let a = self
                .call(
                    reqwest::Method::PUT,
                    &format!("/{index}/_create/1?refresh=true"),
                    Some(&body),
                )
                .await?;
            match a.status {
                201 => Ok(seeded),
                409 => self
                    .get::<Settings>(&index, "1")
                    .await?
                    .doc
                    .ok_or_else(|| other(format!("{index}/1 exists but could not be read"))),
                s => Err(other(format!(
                    "seeding the setting failed ({s}: {})",
                    a.reason()
                ))),
            }
        })
    }

    fn put_settings(&self, s: Settings) -> BoxFuture<'_, Result<Settings, StoreError>> {
        Box::pin(async move {
            self.ensure_ready().await?;
            let index = self.index("settings");
            let body = serde_json::to_value(&s).map_err(|e| other(e.to_string()))?;
            let a = self
                .call(
                    reqwest::Method::PUT,
                    &format!("/{index}/_doc/1?refresh=true"),
                    Some(&body),
                )
                .await?;
            match a.status {
                200 | 201 => Ok(s),
                st => Err(other(format!(
                    "storing the setting failed ({st}: {})",
                    a.reason()
                ))),
            }
        })
    }

    fn complete_approval(
        &self,
        approve: ApproveFn,
    ) -> BoxFuture<'_, Result<Option<Settings>, StoreError>> {
        Box::pin(async move {
            self.ensure_ready().await?;
            let index = self.index("settings");
            let read = self.get::<Settings>(&index, "1").await?;
            let Some(done) = read.doc.as_ref().and_then(|s| super::completed(s, approve)) else {
                return Ok(None);
            };
            // Conditional: a superuser's change or another instance's approval in between wins.
            Ok(self
                .put_if(&index, "1", &read, &done)
                .await?
                .then_some(done))
        })
    }

    fn send_state(&self) -> BoxFuture<'_, Result<SendState, StoreError>> {
        Box::pin(async move {
            self.ensure_ready().await?;
            Ok(self
                .get::<SendState>(&self.index("telemetry"), SEND_STATE_ID)
                .await?
                .doc
                .unwrap_or_default())
        })
    }

    fn acquire_lease<'a>(
        &'a self,
        period: &'a str,
        holder: &'a str,
        now: Timestamp,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(self.update_send_state(
            move |state| {
                super::take_lease(state, period, holder, now, ttl).map(|next| (next, true))
            },
            false,
        ))
    }

    fn record_attempt<'a>(&'a self, attempt: Attempt) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.update_send_state(
            move |mut state| {
                state.last_attempt = Some(attempt.clone());
                Some((state, ()))
            },
            (),
        ))
    }

    fn finish_period<'a>(
        &'a self,
        period: &'a str,
        holder: &'a str,
        end: PeriodEnd,
        interval: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let now = self.clock.now();
        Box::pin(self.update_send_state(
            move |state| {
                super::end_period(state, period, holder, end, interval, now)
                    .map(|next| (next, true))
            },
            false,
        ))
    }
}
