//! The control API and consent page served by `optimize-telemetry run` (loopback by default):
//!
//! | route | who | what |
//! | --- | --- | --- |
//! | `GET /` | anyone | the consent page (its data comes from the API, with the user's token) |
//! | `GET /api/telemetry/disclosure` | anyone | the published disclosure page |
//! | `GET /api/me` | signed in | `{"userId", "superUser"}` |
//! | `GET /api/settings` | signed in | `{"metadataTelemetryEnabled", "lastModifier", "lastModified", "approval"?}` |
//! | `PUT /api/settings` | superusers | `{"metadataTelemetryEnabled": bool}`; applied at once; `true` approves the running spec |
//! | `GET /api/status` | signed in | the effective state, `consent` (approval against the running spec), kill switch, endpoint, last and next send |
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
mod page;
mod routes;
mod server;

use std::sync::Arc;

use crate::runtime::Shared;
use auth::Auth;
pub use server::{MAX_CONNECTIONS, MAX_HEAD, serve};

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
        let (page, page_csp) = page::consent_page();
        Self {
            shared,
            auth,
            page,
            page_csp,
        }
    }
}
