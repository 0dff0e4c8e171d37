//! A fake of Elasticsearch (and OpenSearch) for the cluster store's tests: no Elasticsearch or
//! OpenSearch server can be installed on these machines.
//!
//! It implements exactly the REST calls the store makes, following Elasticsearch's documented
//! semantics, and nothing else: any other call is answered 400 and recorded, so a test can
//! assert the store never relied on something unverified.
//!
//! - `GET /`, `GET /_cluster/health`, `HEAD /<index>`, `PUT /<index>` (400
//!   `resource_already_exists_exception` if it exists);
//! - `GET /<index>/_doc/<id>`: `found`, `_seq_no`, `_primary_term`, `_version`, `_source`; 404
//!   `found: false` (and `index_not_found_exception` for a missing index);
//! - `PUT /<index>/_create/<id>`: 201, or 409 `version_conflict_engine_exception` if it exists;
//! - `PUT /<index>/_doc/<id>` with optional `if_seq_no` + `if_primary_term`: 409 when they do not
//!   match the stored document (or there is none), else 200 `updated` / 201 `created`;
//! - `POST /<index>/_update/<id>` with an upsert and the store's one script (set the
//!   installation id only if it is null): 201 `created`, 200 `updated` or 200 `noop`, and the
//!   resulting `_source` under `get` when `_source=true`.
//!
//! Every write bumps the index's `_seq_no`; `_primary_term` stays 1. Flavours differ as the real
//! servers do: Elasticsearch 7 and OpenSearch 1 still return `_type: "_doc"`, 8 and 2 do not;
//! OpenSearch identifies itself with `version.distribution`, and its security plugin answers a
//! bad password with a plain-text `Unauthorized`, where Elasticsearch answers JSON.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response};
use serde_json::{Value, json};

use super::server::{Background, http1};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Es7,
    Es8,
    OpenSearch1,
    OpenSearch2,
}

impl Flavor {
    pub const ALL: [Flavor; 4] = [
        Flavor::Es7,
        Flavor::Es8,
        Flavor::OpenSearch1,
        Flavor::OpenSearch2,
    ];

    fn has_type(self) -> bool {
        matches!(self, Flavor::Es7 | Flavor::OpenSearch1)
    }

    fn root(self) -> Value {
        match self {
            Flavor::Es7 => {
                json!({"name": "es", "cluster_name": "optimize", "version": {"number": "7.17.21", "build_flavor": "default"}, "tagline": "You Know, for Search"})
            }
            Flavor::Es8 => {
                json!({"name": "es", "cluster_name": "optimize", "version": {"number": "8.13.4", "build_flavor": "default"}, "tagline": "You Know, for Search"})
            }
            Flavor::OpenSearch1 => {
                json!({"name": "os", "cluster_name": "optimize", "version": {"distribution": "opensearch", "number": "1.3.14"}, "tagline": "The OpenSearch Project: https://opensearch.org/"})
            }
            Flavor::OpenSearch2 => {
                json!({"name": "os", "cluster_name": "optimize", "version": {"distribution": "opensearch", "number": "2.11.1"}, "tagline": "The OpenSearch Project: https://opensearch.org/"})
            }
        }
    }
}

/// How the fake cluster behaves right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Healthy,
    /// Primary shards unassigned: health `red`, writes 503.
    Red,
    /// Connections are accepted and closed at once.
    Down,
}

#[derive(Debug, Clone)]
struct Doc {
    source: Value,
    seq_no: u64,
    version: u64,
}

#[derive(Debug, Default)]
struct Index {
    docs: HashMap<String, Doc>,
    next_seq: u64,
}

struct State {
    flavor: Flavor,
    indices: HashMap<String, Index>,
    mode: Mode,
    /// `Authorization` header required, if any.
    auth: Option<String>,
    /// The next this many conditional writes lose their race (409).
    conflicts: usize,
    unknown: Vec<String>,
    calls: Vec<String>,
}

pub struct EsFake {
    server: Background,
    state: Arc<Mutex<State>>,
}

/// The store's script, as the fake accepts it (and nothing else).
const SCRIPT: &str = optimize_telemetry::store::elasticsearch::SET_ID_IF_NULL;

pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    bytes
        .chunks(3)
        .flat_map(|c| {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            (0..4).map(move |i| {
                if i <= c.len() {
                    A[(n >> (18 - 6 * i) & 63) as usize] as char
                } else {
                    '='
                }
            })
        })
        .collect()
}

impl EsFake {
    pub fn start(flavor: Flavor) -> EsFake {
        let state = Arc::new(Mutex::new(State {
            flavor,
            indices: HashMap::new(),
            mode: Mode::Healthy,
            auth: None,
            conflicts: 0,
            unknown: Vec::new(),
            calls: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        let server = Background::spawn(0, move |listener| async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                if shared.lock().map(|s| s.mode == Mode::Down).unwrap_or(false) {
                    drop(tcp);
                    continue;
                }
                let state = Arc::clone(&shared);
                tokio::spawn(http1(
                    tcp,
                    hyper::service::service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(handle(&state, req).await) }
                    }),
                ));
            }
        });
        EsFake { server, state }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.addr.port())
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.with(|s| s.mode = mode);
    }

    /// Require HTTP basic auth with these credentials.
    pub fn require_basic(&self, user: &str, password: &str) {
        let header = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
        self.with(|s| s.auth = Some(header));
    }

    pub fn inject_conflicts(&self, n: usize) {
        self.with(|s| s.conflicts = n);
    }

    /// Calls this fake does not implement that were made (must stay empty).
    pub fn unknown_calls(&self) -> Vec<String> {
        self.with(|s| s.unknown.clone())
    }

    /// Every call made, as `METHOD path`.
    pub fn calls(&self) -> Vec<String> {
        self.with(|s| s.calls.clone())
    }

    pub fn source(&self, index: &str, id: &str) -> Option<Value> {
        self.with(|s| {
            s.indices
                .get(index)
                .and_then(|i| i.docs.get(id))
                .map(|d| d.source.clone())
        })
    }

    /// Stores a document as if another writer (Optimize itself) had.
    pub fn put_doc(&self, index: &str, id: &str, source: Value) {
        self.with(|s| {
            let idx = s.indices.entry(index.to_owned()).or_default();
            idx.next_seq += 1;
            let seq = idx.next_seq - 1;
            idx.docs.insert(
                id.to_owned(),
                Doc {
                    source,
                    seq_no: seq,
                    version: 1,
                },
            );
        });
    }
}

fn reply(status: u16, body: &Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn es_error(status: u16, kind: &str, reason: &str) -> Response<Full<Bytes>> {
    reply(
        status,
        &json!({"error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason}, "status": status}),
    )
}

fn doc_meta(flavor: Flavor, index: &str, id: &str) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("_index".into(), json!(index));
    if flavor.has_type() {
        m.insert("_type".into(), json!("_doc"));
    }
    m.insert("_id".into(), json!(id));
    m
}

fn write_result(flavor: Flavor, index: &str, id: &str, doc: &Doc, result: &str) -> Value {
    let mut m = doc_meta(flavor, index, id);
    m.insert("_version".into(), json!(doc.version));
    m.insert("result".into(), json!(result));
    m.insert(
        "_shards".into(),
        json!({"total": 2, "successful": 1, "failed": 0}),
    );
    m.insert("_seq_no".into(), json!(doc.seq_no));
    m.insert("_primary_term".into(), json!(1));
    Value::Object(m)
}

async fn handle(state: &Arc<Mutex<State>>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query: HashMap<String, String> = req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map_or((p.to_owned(), String::new()), |(k, v)| {
                    (k.to_owned(), v.to_owned())
                })
        })
        .collect();
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
    let flavor = s.flavor;
    s.calls.push(format!("{method} {path}"));
    if let Some(required) = &s.auth
        && authorization.as_deref() != Some(required.as_str())
    {
        return match flavor {
            Flavor::OpenSearch1 | Flavor::OpenSearch2 => {
                let mut r = Response::new(Full::new(Bytes::from_static(b"Unauthorized")));
                *r.status_mut() = hyper::StatusCode::UNAUTHORIZED;
                r
            }
            _ => es_error(
                401,
                "security_exception",
                "unable to authenticate user [optimize] for REST request [/]",
            ),
        };
    }
    const KNOWN: [&str; 5] = [
        "refresh",
        "retry_on_conflict",
        "_source",
        "if_seq_no",
        "if_primary_term",
    ];
    if let Some(bad) = query.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        let what = format!("{method} {path}?{bad}");
        s.unknown.push(what.clone());
        return es_error(
            400,
            "fake_unsupported_call",
            &format!("this fake does not implement {what}"),
        );
    }
    let red = s.mode == Mode::Red;
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (&method, seg.as_slice()) {
        (&Method::GET, [""]) => reply(200, &flavor.root()),
        (&Method::GET, ["_cluster", "health"]) => reply(
            200,
            &json!({"cluster_name": "optimize", "status": if red { "red" } else { "green" }, "number_of_nodes": 1}),
        ),
        (&Method::HEAD, [index]) => reply(
            if s.indices.contains_key(*index) {
                200
            } else {
                404
            },
            &Value::Null,
        ),
        (&Method::PUT, [index]) => {
            if red {
                return es_error(
                    503,
                    "cluster_block_exception",
                    "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized]",
                );
            }
            if s.indices.contains_key(*index) {
                return es_error(
                    400,
                    "resource_already_exists_exception",
                    &format!("index [{index}] already exists"),
                );
            }
            if body.get("mappings").is_none() {
                s.unknown.push(format!("PUT /{index} without mappings"));
                return es_error(
                    400,
                    "fake_unsupported_call",
                    "the store creates indices with explicit mappings",
                );
            }
            s.indices.insert((*index).to_owned(), Index::default());
            reply(
                200,
                &json!({"acknowledged": true, "shards_acknowledged": true, "index": index}),
            )
        }
        (&Method::GET, [index, "_doc", id]) => {
            let Some(idx) = s.indices.get(*index) else {
                return es_error(
                    404,
                    "index_not_found_exception",
                    &format!("no such index [{index}]"),
                );
            };
            let mut m = doc_meta(flavor, index, id);
            match idx.docs.get(*id) {
                Some(d) => {
                    m.insert("_version".into(), json!(d.version));
                    m.insert("_seq_no".into(), json!(d.seq_no));
                    m.insert("_primary_term".into(), json!(1));
                    m.insert("found".into(), json!(true));
                    m.insert("_source".into(), d.source.clone());
                    reply(200, &Value::Object(m))
                }
                None => {
                    m.insert("found".into(), json!(false));
                    reply(404, &Value::Object(m))
                }
            }
        }
        (&Method::PUT, [index, op @ ("_create" | "_doc"), id]) => {
            if red {
                return es_error(
                    503,
                    "unavailable_shards_exception",
                    "primary shard is not active",
                );
            }
            let conditional = *op == "_create" || query.contains_key("if_seq_no");
            if conditional && s.conflicts > 0 {
                s.conflicts -= 1;
                return es_error(
                    409,
                    "version_conflict_engine_exception",
                    &format!("[{id}]: version conflict (injected)"),
                );
            }
            let Some(idx) = s.indices.get_mut(*index) else {
                return es_error(
                    404,
                    "index_not_found_exception",
                    &format!("no such index [{index}]"),
                );
            };
            let existing = idx.docs.get(*id).cloned();
            if *op == "_create"
                && let Some(d) = &existing
            {
                return es_error(
                    409,
                    "version_conflict_engine_exception",
                    &format!(
                        "[{id}]: version conflict, document already exists (current version [{}])",
                        d.version
                    ),
                );
            }
            if let (Some(seq), Some(term)) = (query.get("if_seq_no"), query.get("if_primary_term"))
            {
                let matches = existing
                    .as_ref()
                    .is_some_and(|d| d.seq_no.to_string() == *seq && term == "1");
                if !matches {
                    return es_error(
                        409,
                        "version_conflict_engine_exception",
                        &format!(
                            "[{id}]: version conflict, required seqNo [{seq}], primary term [{term}]. current document has seqNo [{}] and primary term [1]",
                            existing.as_ref().map_or(-1, |d| d.seq_no as i64)
                        ),
                    );
                }
            }
            let seq_no = idx.next_seq;
            idx.next_seq += 1;
            let doc = Doc {
                source: body,
                seq_no,
                version: existing.as_ref().map_or(1, |d| d.version + 1),
            };
            idx.docs.insert((*id).to_owned(), doc.clone());
            let (status, result) = if existing.is_some() {
                (200, "updated")
            } else {
                (201, "created")
            };
            reply(status, &write_result(flavor, index, id, &doc, result))
        }
        (&Method::POST, [index, "_update", id]) => {
            if red {
                return es_error(
                    503,
                    "unavailable_shards_exception",
                    "primary shard is not active",
                );
            }
            let script = body["script"]["source"].as_str().unwrap_or_default();
            let id_param = body["script"]["params"]["id"].clone();
            if script != SCRIPT || !id_param.is_string() || !body["upsert"].is_object() {
                s.unknown.push(format!("POST {path} with another script"));
                return es_error(
                    400,
                    "fake_unsupported_call",
                    "this fake runs only the store's set-id-if-null script",
                );
            }
            let Some(idx) = s.indices.get_mut(*index) else {
                return es_error(
                    404,
                    "index_not_found_exception",
                    &format!("no such index [{index}]"),
                );
            };
            let (status, result, doc) = match idx.docs.get(*id).cloned() {
                None => {
                    let doc = Doc {
                        source: body["upsert"].clone(),
                        seq_no: idx.next_seq,
                        version: 1,
                    };
                    idx.next_seq += 1;
                    (201, "created", doc)
                }
                Some(d) if d.source.get("installationId").is_none_or(Value::is_null) => {
                    let mut source = d.source.clone();
                    source["installationId"] = id_param;
                    let doc = Doc {
                        source,
                        seq_no: idx.next_seq,
                        version: d.version + 1,
                    };
                    idx.next_seq += 1;
                    (200, "updated", doc)
                }
                Some(d) => (200, "noop", d),
            };
            idx.docs.insert((*id).to_owned(), doc.clone());
            let mut out = write_result(flavor, index, id, &doc, result);
            if query.get("_source").map(String::as_str) == Some("true") {
                out["get"] = json!({"_seq_no": doc.seq_no, "_primary_term": 1, "found": true, "_source": doc.source});
            }
            reply(status, &out)
        }
        _ => {
            let what = format!("{method} {path}");
            s.unknown.push(what.clone());
            es_error(
                400,
                "fake_unsupported_call",
                &format!("this fake does not implement {what}"),
            )
        }
    }
}
