//! The control API and consent page served by `optimize-telemetry run` (loopback by default):
//!
//! | route | who | what |
//! | --- | --- | --- |
//! | `GET /` | anyone | the consent page (its data comes from the API, with the user's token) |
//! | `GET /api/telemetry/disclosure` | anyone | the published disclosure page |
//! | `GET /api/me` | signed in | `{"userId", "superUser"}` |
//! | `GET /api/settings` | signed in | `{"metadataTelemetryEnabled", "lastModifier", "lastModified"}` |
//! | `PUT /api/settings` | superusers | `{"metadataTelemetryEnabled": bool}`; applied at once |
//! | `GET /api/status` | signed in | the effective state, kill switch, endpoint, last and next send |
//! | `GET /api/telemetry/preview` | signed in | the report that would be sent now; never sends |
//! | `GET /healthz` | anyone | liveness: 200 while the runtime answers |
//! | `GET /readyz` | anyone | readiness: 200, or 503 with the reason (the store is not reachable) |
//! | `GET /metrics` | signed in, or anyone with `control.metricsPublic` | Prometheus text ([`crate::metrics`]) |
//!
//! Users sign in with a bearer token; the configuration holds only each token's SHA-256, and
//! digests are compared in constant time. A token is never logged. Refusals: no or bad token 401,
//! not a superuser 403 (`user [<id>] is not authorized to configure settings`), kill switch 409,
//! bad JSON 400, wrong content type 415, oversized body 413; in every refused case the stored
//! state is unchanged. Probes and scrapes are logged at debug level only, so a kubelet polling
//! every few seconds does not fill the log.

pub mod auth;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use tokio::net::TcpListener;

use crate::runtime::{SetError, Shared};
use auth::{Auth, AuthError, User};

/// The largest request body accepted (a settings change is about 40 bytes).
pub const MAX_BODY: usize = 4 * 1024;
/// The largest request head (request line and headers) accepted.
pub const MAX_HEAD: usize = 16 * 1024;
/// Connections open at once; a newcomer evicts the oldest one that is not answering a request.
pub const MAX_CONNECTIONS: usize = 64;
/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one request may take from its head to the answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

const PAGE: &str = include_str!("page.html");
const DISCLOSURE: &str = include_str!("../../docs/disclosure/telemetry.html");

/// Everything a request needs.
pub struct Control {
    shared: Arc<Shared>,
    auth: Auth,
    page: String,
    page_csp: String,
}

impl Control {
    pub fn new(shared: Arc<Shared>) -> Self {
        let auth = Auth::new(&shared.parts.config.control);
        let page = PAGE
            .replace("{{PRODUCT}}", &escape(crate::generated::PRODUCT_NAME))
            .replace("{{ITEMS}}", &items_html());
        // Only this page's own inline script may run: allowed by its hash.
        let script = page
            .split("<script>")
            .nth(1)
            .and_then(|s| s.split("</script>").next())
            .unwrap_or_default();
        let digest = sha2::Sha256::digest(script.as_bytes());
        let page_csp = format!(
            "default-src 'none'; script-src 'sha256-{}'; style-src 'unsafe-inline'; connect-src 'self'; \
             base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            base64(&digest)
        );
        Self {
            shared,
            auth,
            page,
            page_csp,
        }
    }
}

use sha2::Digest as _;

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The disclosed items, as the page's summary: labels with their sensitivity.
fn items_html() -> String {
    let mut out = String::from("<ul class=\"items\">\n");
    for item in crate::generated::items::ITEMS {
        out.push_str(&format!(
            "  <li>{} <span class=\"muted\">({})</span></li>\n",
            escape(item.label),
            item.sensitivity
                .map_or("unclassified", telemetry_types::Sensitivity::as_str)
        ));
    }
    out.push_str("</ul>");
    out
}

/// The open connections, oldest first. A connection is *busy* while a request it sent is being
/// answered; otherwise it is waiting for a request head, which costs its client nothing to
/// prolong. When every slot is taken, a new connection evicts the oldest one that is not busy,
/// so idle or trickling clients cannot lock a legitimate one out: they can only push each
/// other out. Only when all slots are answering real requests (each bounded by
/// [`REQUEST_TIMEOUT`]) is the newcomer refused.
#[derive(Default)]
struct Slots {
    next_id: u64,
    open: std::collections::VecDeque<Slot>,
}

struct Slot {
    id: u64,
    busy: Arc<AtomicBool>,
    task: tokio::task::AbortHandle,
}

impl Slots {
    /// Makes room for one more connection: `Some` with the evicted connection's task (to be
    /// aborted once the lock is released), if one had to go; `None` if every slot is busy.
    fn make_room(&mut self) -> Option<Option<tokio::task::AbortHandle>> {
        if self.open.len() < MAX_CONNECTIONS {
            return Some(None);
        }
        let idle = self
            .open
            .iter()
            .position(|s| !s.busy.load(Ordering::Acquire))?;
        Some(self.open.remove(idle).map(|evicted| evicted.task))
    }
}

/// Removes its connection from [`Slots`] when the connection's task ends, however it ends.
struct SlotGuard {
    slots: Arc<Mutex<Slots>>,
    id: u64,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.open.retain(|s| s.id != self.id);
        }
    }
}

/// Marks a connection busy for as long as one request is being answered.
struct BusyGuard(Arc<AtomicBool>);

impl BusyGuard {
    fn new(flag: &Arc<AtomicBool>) -> Self {
        flag.store(true, Ordering::Release);
        Self(Arc::clone(flag))
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Serves the control API on `listener` until the future is dropped.
pub async fn serve(listener: TcpListener, control: Arc<Control>) {
    let slots = Arc::new(Mutex::new(Slots::default()));
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            // Out of file descriptors or similar: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        admit(&slots, tcp, peer, &control);
        // Let the new connection read its head before accepting more: a flood of connects
        // must not evict a client whose request is already in its socket buffer.
        tokio::task::yield_now().await;
    }
}

/// Makes room and starts serving `tcp`, or closes it when every slot is answering a request.
fn admit(
    slots: &Arc<Mutex<Slots>>,
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    control: &Arc<Control>,
) {
    let Ok(mut open) = slots.lock() else { return };
    let Some(evicted) = open.make_room() else {
        return;
    };
    open.next_id += 1;
    let id = open.next_id;
    let busy = Arc::new(AtomicBool::new(false));
    let guard = SlotGuard {
        slots: Arc::clone(slots),
        id,
    };
    let task = tokio::spawn(connection(
        tcp,
        peer,
        Arc::clone(control),
        Arc::clone(&busy),
        guard,
    ));
    open.open.push_back(Slot {
        id,
        busy,
        task: task.abort_handle(),
    });
    drop(open);
    if let Some(task) = evicted {
        task.abort();
    }
}

async fn connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    control: Arc<Control>,
    busy: Arc<AtomicBool>,
    _slot: SlotGuard,
) {
    let service = hyper::service::service_fn(move |req| {
        let control = Arc::clone(&control);
        let busy = Arc::clone(&busy);
        async move {
            let _busy = BusyGuard::new(&busy);
            Ok::<_, Infallible>(handle(&control, req, peer).await)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD)
        .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
        .await;
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    r
}

fn json(status: StatusCode, value: &serde_json::Value) -> Reply {
    reply(
        status,
        "application/json",
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

/// An error in Optimize's shape: `{"errorCode", "errorMessage"}`.
fn error(status: StatusCode, code: &str, message: &str) -> Reply {
    json(
        status,
        &serde_json::json!({ "errorCode": code, "errorMessage": message }),
    )
}

async fn handle(control: &Control, req: Request<Incoming>, peer: SocketAddr) -> Reply {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // The whole request, body included, within a bound: a client trickling its body cannot
    // hold one of the connection slots for ever.
    let (response, user) = match tokio::time::timeout(REQUEST_TIMEOUT, route(control, req)).await {
        Ok(answered) => answered,
        Err(_) => (
            error(
                StatusCode::REQUEST_TIMEOUT,
                "requestTimeout",
                "the request took too long to arrive",
            ),
            None,
        ),
    };
    // Never the Authorization header, never a token: who, what, and the answer.
    let shown = path.chars().take(200).collect::<String>();
    let status = response.status().as_u16();
    let user = user.as_deref().unwrap_or("-");
    if matches!(path.as_str(), "/healthz" | "/readyz" | "/metrics") {
        tracing::debug!(%peer, %method, path = %shown, status, user, "control API");
    } else {
        tracing::info!(%peer, %method, path = %shown, status, user, "control API");
    }
    response
}

async fn route(control: &Control, mut req: Request<Incoming>) -> (Reply, Option<String>) {
    // HEAD is answered as GET; hyper leaves out the body because it parsed a HEAD request.
    if req.method() == Method::HEAD {
        *req.method_mut() = Method::GET;
    }
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    match (&method, path.as_str()) {
        (&Method::GET, "/") => {
            let mut r = reply(
                StatusCode::OK,
                "text/html; charset=utf-8",
                control.page.clone(),
            );
            if let Ok(v) = HeaderValue::from_str(&control.page_csp) {
                r.headers_mut().insert(CONTENT_SECURITY_POLICY, v);
            }
            r.headers_mut()
                .insert("x-frame-options", HeaderValue::from_static("DENY"));
            (r, None)
        }
        (&Method::GET, "/api/telemetry/disclosure") => {
            let mut r = reply(StatusCode::OK, "text/html; charset=utf-8", DISCLOSURE);
            r.headers_mut().insert(
                CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
                ),
            );
            (r, None)
        }
        (&Method::GET, "/healthz") => (
            json(StatusCode::OK, &serde_json::json!({ "status": "ok" })),
            None,
        ),
        (&Method::GET, "/readyz") => match crate::metrics::ready(&control.shared).await {
            Ok(()) => (
                json(StatusCode::OK, &serde_json::json!({ "status": "ready" })),
                None,
            ),
            Err(reason) => (
                json(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &serde_json::json!({ "status": "notReady", "reason": reason }),
                ),
                None,
            ),
        },
        (&Method::GET, "/metrics") => {
            let mut name = None;
            if !control.shared.parts.config.control.metrics_public {
                let now = control.shared.parts.clock.now();
                match control
                    .auth
                    .authenticate(req.headers().get(hyper::header::AUTHORIZATION), now)
                {
                    Ok(user) => name = Some(user.id),
                    Err(e) => return (unauthorized(&e), None),
                }
            }
            let text = crate::metrics::render(&control.shared).await;
            (
                reply(StatusCode::OK, crate::metrics::CONTENT_TYPE, text),
                name,
            )
        }
        (_, "/" | "/api/telemetry/disclosure" | "/healthz" | "/readyz" | "/metrics") => {
            (method_not_allowed("GET"), None)
        }
        (_, "/api/me" | "/api/settings" | "/api/status" | "/api/telemetry/preview") => {
            let now = control.shared.parts.clock.now();
            let user = match control
                .auth
                .authenticate(req.headers().get(hyper::header::AUTHORIZATION), now)
            {
                Ok(user) => user,
                Err(e) => return (unauthorized(&e), None),
            };
            let name = Some(user.id.clone());
            (api(control, req, &user).await, name)
        }
        _ => (
            error(
                StatusCode::NOT_FOUND,
                "notFound",
                "there is nothing at this path",
            ),
            None,
        ),
    }
}

fn method_not_allowed(allow: &'static str) -> Reply {
    let mut r = error(
        StatusCode::METHOD_NOT_ALLOWED,
        "methodNotAllowed",
        &format!("only {allow} is allowed here"),
    );
    r.headers_mut()
        .insert(hyper::header::ALLOW, HeaderValue::from_static(allow));
    r
}

fn unauthorized(e: &AuthError) -> Reply {
    let mut r = error(StatusCode::UNAUTHORIZED, "notAuthorized", &e.to_string());
    r.headers_mut().insert(
        hyper::header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer"),
    );
    r
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SettingsChange {
    metadata_telemetry_enabled: bool,
}

async fn api(control: &Control, req: Request<Incoming>, user: &User) -> Reply {
    let shared = &control.shared;
    let path = req.uri().path().to_owned();
    match (req.method().clone(), path.as_str()) {
        (Method::GET, "/api/me") => json(
            StatusCode::OK,
            &serde_json::json!({ "userId": user.id, "superUser": user.super_user }),
        ),
        (Method::GET, "/api/settings") => match shared.stored_settings().await {
            Ok(s) => json(StatusCode::OK, &serde_json::to_value(s).unwrap_or_default()),
            Err(e) => error(
                StatusCode::SERVICE_UNAVAILABLE,
                "storeUnavailable",
                &e.to_string(),
            ),
        },
        (Method::PUT, "/api/settings") => put_settings(control, req, user).await,
        (Method::GET, "/api/status") => match shared.status().await {
            Ok(status) => json(
                StatusCode::OK,
                &serde_json::to_value(status).unwrap_or_default(),
            ),
            Err(e) => error(
                StatusCode::SERVICE_UNAVAILABLE,
                "storeUnavailable",
                &e.to_string(),
            ),
        },
        (Method::GET, "/api/telemetry/preview") => {
            let (payload, _) = crate::runtime::preview(&shared.parts).await;
            json(StatusCode::OK, &payload)
        }
        (_, "/api/settings") => method_not_allowed("GET, PUT"),
        _ => method_not_allowed("GET"),
    }
}

async fn put_settings(control: &Control, req: Request<Incoming>, user: &User) -> Reply {
    if !user.super_user {
        return error(
            StatusCode::FORBIDDEN,
            "notAuthorized",
            &format!("user [{}] is not authorized to configure settings", user.id),
        );
    }
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupportedMediaType",
            "send the change as Content-Type: application/json",
        );
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payloadTooLarge",
                &format!("the request body is larger than {MAX_BODY} bytes"),
            );
        }
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "badRequest",
                "the request body could not be read",
            );
        }
    };
    // Only the documented object: serde would also take a struct from an array (`[true]`).
    let change = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v @ serde_json::Value::Object(_)) => serde_json::from_value::<SettingsChange>(v),
        Ok(_) => Err(serde::de::Error::custom("the body is not a JSON object")),
        Err(e) => Err(e),
    };
    let change: SettingsChange = match change {
        Ok(c) => c,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "badRequest",
                &format!("expected {{\"metadataTelemetryEnabled\": true|false}}: {e}"),
            );
        }
    };
    match control
        .shared
        .set_enabled(change.metadata_telemetry_enabled, &user.id)
        .await
    {
        Ok(s) => json(StatusCode::OK, &serde_json::to_value(s).unwrap_or_default()),
        Err(SetError::KillSwitch(var)) => error(
            StatusCode::CONFLICT,
            "killSwitch",
            &format!(
                "telemetry is switched off on this host by the environment variable {var}; the setting cannot be changed while it is set"
            ),
        ),
        Err(SetError::Store(e)) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "storeUnavailable",
            &e.to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
