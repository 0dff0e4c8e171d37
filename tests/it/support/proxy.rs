//! A loopback HTTP CONNECT proxy, like the corporate proxies telemetry must work through: it
//! records each CONNECT target, opens the tunnel, and copies bytes both ways (the TLS inside is
//! end to end, the proxy sees none of the report).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::server::Background;

pub struct ConnectProxy {
    server: Background,
    targets: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    pub fn start() -> ConnectProxy {
        let targets = Arc::new(Mutex::new(Vec::new()));
        let t = Arc::clone(&targets);
        let server = Background::spawn(0, move |listener| async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let t = Arc::clone(&t);
                tokio::spawn(async move {
                    let _ = tunnel(client, t).await;
                });
            }
        });
        ConnectProxy { server, targets }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.addr.port())
    }

    /// The `host:port` of every CONNECT so far.
    pub fn targets(&self) -> Vec<String> {
        self.targets.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

async fn tunnel(client: TcpStream, targets: Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    let mut client = BufReader::new(client);
    let mut line = String::new();
    client.read_line(&mut line).await?;
    let mut parts = line.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        client
            .get_mut()
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            .await?;
        return Ok(());
    };
    let target = target.to_owned();
    loop {
        let mut header = String::new();
        if client.read_line(&mut header).await? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    if let Ok(mut t) = targets.lock() {
        t.push(target.clone());
    }
    let mut upstream = TcpStream::connect(&target).await?;
    client
        .get_mut()
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    let mut client = client.into_inner();
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
