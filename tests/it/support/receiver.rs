//! The loopback HTTPS receiver: a real TLS server (hyper + tokio-rustls) on 127.0.0.1 that
//! records every request and answers as the test says — success, an error status, a stall.
//! It runs on its own thread and runtime, with real time, whatever clock the test uses.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

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
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
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
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread_state = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("{e}"));
            rt.block_on(async move {
                let listener = TcpListener::bind(("127.0.0.1", port))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let _ = addr_tx.send(listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
                let serve = async {
                    loop {
                        let Ok((tcp, _)) = listener.accept().await else {
                            continue;
                        };
                        thread_state.connections.fetch_add(1, Ordering::SeqCst);
                        let acceptor = acceptor.clone();
                        let state = Arc::clone(&thread_state);
                        tokio::spawn(async move {
                            state.open.fetch_add(1, Ordering::SeqCst);
                            let close_early = matches!(
                                state.behaviour.lock().ok().and_then(|b| b.clone()),
                                Some(Behaviour::CloseMidRequest)
                            );
                            if close_early {
                                if let Ok(mut tls) = acceptor.accept(tcp).await {
                                    let mut head = [0u8; 16];
                                    let _ =
                                        tokio::io::AsyncReadExt::read(&mut tls, &mut head).await;
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
                                let service = hyper::service::service_fn(|req| {
                                    handle(Arc::clone(&state), req)
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                                    .await;
                            }
                            state.open.fetch_sub(1, Ordering::SeqCst);
                        });
                    }
                };
                tokio::select! {
                    () = serve => {}
                    _ = stop_rx => {}
                }
            });
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("receiver did not start: {e}"));
        Receiver {
            addr,
            state,
            stop: Some(stop_tx),
            thread: Some(thread),
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

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
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
    let path = req.uri().path().to_owned();
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
