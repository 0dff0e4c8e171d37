//! Routing and the handlers of the control API: pages, the settings and status API, probes and
//! metrics. Every refusal has its status and an Optimize-shaped error body.

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;

use super::Control;
use super::auth::{AuthError, User};
use crate::runtime::SetError;

/// The largest request body accepted (a settings change is about 40 bytes).
pub const MAX_BODY: usize = 4 * 1024;
/// How long one request may take from its head to the answer.
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

const DISCLOSURE: &str = include_str!("../../docs/disclosure/telemetry.html");

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

pub(super) async fn handle(control: &Control, req: Request<Incoming>, peer: SocketAddr) -> Reply {
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
            (method_not_allowed("GET, HEAD"), None)
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
        (_, "/api/settings") => method_not_allowed("GET, HEAD, PUT"),
        _ => method_not_allowed("GET, HEAD"),
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
