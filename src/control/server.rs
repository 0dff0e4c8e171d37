//! The control API's connections: bounded in number, time and size, and robust against clients
//! that hold connections open (see [`Slots`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;

use super::Control;
use super::routes::handle;

/// The largest request head (request line and headers) accepted.
pub const MAX_HEAD: usize = 16 * 1024;
/// Connections open at once; a newcomer evicts the oldest one that is not answering a request.
pub const MAX_CONNECTIONS: usize = 64;
/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// The open connections, oldest first. A connection is *busy* while a request it sent is being
/// answered; otherwise it is waiting for a request head, which costs its client nothing to
/// prolong. When every slot is taken, a new connection evicts the oldest one that is not busy,
/// so idle or trickling clients cannot lock a legitimate one out: they can only push each
/// other out. Only when all slots are answering real requests (each bounded by
/// [`super::routes::REQUEST_TIMEOUT`]) is the newcomer refused.
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
