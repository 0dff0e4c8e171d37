//! Loopback HTTP fakes of the runtime's sources, serving the response bodies their vendors
//! document. Named fakes because they are: no Elasticsearch, OpenSearch or Camunda 7 can run on
//! these machines. Each answers exactly one route and counts its requests.
//!
//! - Elasticsearch `GET /` (docs: "Root API"): `{"name", "cluster_name", "version": {"number",
//!   "build_flavor", ...}, "tagline": "You Know, for Search"}`.
//! - OpenSearch `GET /`: the same shape with `"version": {"distribution": "opensearch", ...}`.
//! - Camunda 7 REST `GET /engine-rest/telemetry/data` (docs: "Get Telemetry Data"):
//!   `{"installation": "<uuid>", "product": {...}}`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};

use super::server::{Background, http1};

pub struct FakeServer {
    server: Background,
    hits: Arc<AtomicUsize>,
}

impl FakeServer {
    /// Serves `body` as JSON on `route` (after waiting `delay`), 404 elsewhere.
    pub fn start(route: &'static str, body: String, delay: Duration) -> FakeServer {
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&hits);
        let body = Arc::new(body);
        let server = Background::spawn(0, move |listener| async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (hits, body) = (Arc::clone(&counted), Arc::clone(&body));
                tokio::spawn(http1(
                    tcp,
                    hyper::service::service_fn(move |req: Request<Incoming>| {
                        let (hits, body) = (Arc::clone(&hits), Arc::clone(&body));
                        async move {
                            hits.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(delay).await;
                            let (status, text) = if req.uri().path() == route
                                && req.method() == hyper::Method::GET
                            {
                                (StatusCode::OK, (*body).clone())
                            } else {
                                (
                                    StatusCode::NOT_FOUND,
                                    "{\"error\":\"no such route in this fake\"}".to_owned(),
                                )
                            };
                            let mut r = Response::new(Full::new(Bytes::from(text)));
                            *r.status_mut() = status;
                            r.headers_mut().insert(
                                "content-type",
                                hyper::header::HeaderValue::from_static("application/json"),
                            );
                            Ok::<_, Infallible>(r)
                        }
                    }),
                ));
            }
        });
        FakeServer { server, hits }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.addr.port())
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// A fake Elasticsearch 7 cluster answering `GET /` with `number`.
    pub fn elasticsearch(number: &str) -> FakeServer {
        let body = serde_json::json!({
            "name": "es01",
            "cluster_name": "optimize",
            "cluster_uuid": "k1mSxk5bQTOIu0rYzWGmjQ",
            "version": {
                "number": number,
                "build_flavor": "default",
                "build_type": "docker",
                "lucene_version": "8.0.0",
                "minimum_wire_compatibility_version": "6.7.0",
                "minimum_index_compatibility_version": "6.0.0-beta1"
            },
            "tagline": "You Know, for Search"
        });
        FakeServer::start("/", body.to_string(), Duration::ZERO)
    }

    /// A fake OpenSearch cluster answering `GET /` with `number`.
    pub fn opensearch(number: &str) -> FakeServer {
        let body = serde_json::json!({
            "name": "os01",
            "cluster_name": "optimize",
            "version": {
                "distribution": "opensearch",
                "number": number,
                "build_type": "tar",
                "lucene_version": "9.7.0",
                "minimum_wire_compatibility_version": "7.10.0",
                "minimum_index_compatibility_version": "7.0.0"
            },
            "tagline": "The OpenSearch Project: https://opensearch.org/"
        });
        FakeServer::start("/", body.to_string(), Duration::ZERO)
    }

    /// A fake Camunda 7 engine answering `GET /engine-rest/telemetry/data` with `installation`.
    pub fn camunda7(installation: &str, delay: Duration) -> FakeServer {
        let body = serde_json::json!({
            "installation": installation,
            "product": {
                "name": "Camunda BPM Runtime",
                "version": "7.14.0",
                "edition": "community",
                "internals": { "database": { "vendor": "h2", "version": "1.4.200" } }
            }
        });
        FakeServer::start("/engine-rest/telemetry/data", body.to_string(), delay)
    }
}
