//! The loopback HTTPS receiver: a real TLS server (hyper + tokio-rustls) on 127.0.0.1 that
//! records every request and answers as the test says — success, an error status, a stall.
//! It runs on its own thread and runtime, with real time, whatever clock the test uses.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use http_body_util::BodyExt;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use tokio_rustls::TlsAcceptor;

use super::server::{Background, http1};

use super::tls::ServerCert;

/// How the receiver answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Answer with this status (Optimize's endpoint answers 202).
    Status(u16),
    /// Answer with this status and these headers.
    StatusWith(u16, Vec<(&'static str, String)>),
    /// Accept the request and never answer.
    Hang,
    /// Never answer the first `n` requests; answer later ones with the status.
    HangFirst(usize, u16),
    /// Send the status and the first bytes of a body, then stall forever.
    StallBody(u16),
    /// Answer with the status and a body of this many bytes.
    BigBody(u16, usize),
    /// Complete the TLS handshake, read a few bytes of the request, and close the connection.
    CloseMidRequest,
}

/// A response body: whole, huge, or one that stalls after its first chunk.
pub enum Payload {
    Whole(Option<Bytes>),
    Big(usize),
    Stall(bool),
}

impl hyper::body::Body for Payload {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        use std::task::Poll;
        match &mut *self {
            Payload::Whole(b) => Poll::Ready(b.take().map(|b| Ok(hyper::body::Frame::data(b)))),
            Payload::Big(left) if *left == 0 => Poll::Ready(None),
            Payload::Big(left) => {
                let n = (*left).min(64 * 1024);
                *left -= n;
                Poll::Ready(Some(Ok(hyper::body::Frame::data(Bytes::from(vec![
                    b'x';
                    n
                ])))))
            }
            Payload::Stall(sent) if !*sent => {
                *sent = true;
                Poll::Ready(Some(Ok(hyper::body::Frame::data(Bytes::from_static(
                    b"{\"partial\":",
                )))))
            }
            // Never wakes: the body never ends.
            Payload::Stall(_) => Poll::Pending,
        }
    }
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("the body is not JSON: {e}"))
    }
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Received>>,
    connections: AtomicUsize,
    open: AtomicUsize,
    behaviour: Mutex<Option<Behaviour>>,
}

pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<State>,
    _server: Background,
}

impl Receiver {
    pub fn start(cert: ServerCert, behaviour: Behaviour) -> Receiver {
        Receiver::start_on(0, cert, behaviour)
    }

    /// Like [`Receiver::start`], on a given port (to replace a failing endpoint with a healthy one).
    pub fn start_on(port: u16, cert: ServerCert, behaviour: Behaviour) -> Receiver {
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|e| panic!("{e}"))
        .with_no_client_auth()
        .with_single_cert(cert.chain, cert.key)
        .unwrap_or_else(|e| panic!("{e}"));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let state = Arc::new(State {
            behaviour: Mutex::new(Some(behaviour)),
            ..State::default()
        });
        let shared = Arc::clone(&state);
        let server = Background::spawn(port, move |listener| async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    state.open.fetch_add(1, Ordering::SeqCst);
                    if matches!(behaviour_now(&state), Some(Behaviour::CloseMidRequest)) {
                        if let Ok(mut tls) = acceptor.accept(tcp).await {
                            let mut head = [0u8; 16];
                            let _ = tokio::io::AsyncReadExt::read(&mut tls, &mut head).await;
                            if let Ok(mut r) = state.requests.lock() {
                                r.push(Received {
                                    method: "?".into(),
                                    path: "?".into(),
                                    headers: Vec::new(),
                                    body: Vec::new(),
                                });
                            }
                        }
                    } else if let Ok(tls) = acceptor.accept(tcp).await {
                        let for_requests = Arc::clone(&state);
                        let service = hyper::service::service_fn(move |req| {
                            handle(Arc::clone(&for_requests), req)
                        });
                        http1(tls, service).await;
                    }
                    state.open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Receiver {
            addr: server.addr,
            state,
            _server: server,
        }
    }

    /// `https://127.0.0.1:<port>/pings`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/pings", self.addr.port())
    }

    pub fn requests(&self) -> Vec<Received> {
        self.state
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Connections still open.
    pub fn open_connections(&self) -> usize {
        self.state.open.load(Ordering::SeqCst)
    }
}

fn behaviour_now(state: &State) -> Option<Behaviour> {
    state.behaviour.lock().ok().and_then(|b| b.clone())
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Payload>, Infallible> {
    let method = req.method().to_string();
    // With the query, so a test can see that the configured URL is used as it was written.
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), ToString::to_string);
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let nth = match state.requests.lock() {
        Ok(mut r) => {
            r.push(Received {
                method,
                path,
                headers,
                body,
            });
            r.len()
        }
        Err(_) => 0,
    };
    let behaviour = state
        .behaviour
        .lock()
        .ok()
        .and_then(|b| b.clone())
        .unwrap_or(Behaviour::Status(202));
    let (status, extra) = match behaviour {
        Behaviour::Status(s) => (s, Vec::new()),
        Behaviour::StatusWith(s, h) => (s, h),
        Behaviour::Hang => {
            std::future::pending::<()>().await;
            (500, Vec::new())
        }
        Behaviour::HangFirst(n, _) if nth <= n => {
            std::future::pending::<()>().await;
            (500, Vec::new())
        }
        Behaviour::HangFirst(_, s) => (s, Vec::new()),
        Behaviour::StallBody(s) | Behaviour::BigBody(s, _) => (s, Vec::new()),
        Behaviour::CloseMidRequest => (500, Vec::new()),
    };
    let body = match behaviour_now(&state) {
        Some(Behaviour::StallBody(_)) => Payload::Stall(false),
        Some(Behaviour::BigBody(_, n)) => Payload::Big(n),
        _ => Payload::Whole(Some(Bytes::from_static(b"{}"))),
    };
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in extra {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&v) {
            response.headers_mut().insert(k, v);
        }
    }
    Ok(response)
}
