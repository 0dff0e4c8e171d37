//! Test support: certificates made at test time, the loopback HTTPS receiver, and loopback
//! fakes of Elasticsearch and Camunda 7 that serve their documented responses.

pub mod es_fake;
pub mod fakes;
pub mod proxy;
pub mod receiver;
pub mod server;
pub mod tls;
pub mod webdriver;

/// Shared with the compiler's tests.
pub use test_support::TempDir;

/// Polls `condition` every 10 ms until it holds or `timeout` passes (real time, for tests that
/// involve real sockets and threads).
pub fn wait_until(timeout: std::time::Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    condition()
}

/// Runs a future to completion on a fresh single-threaded runtime (for synchronous tests).
pub fn block_on<T>(f: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .block_on(f)
}

/// Open file descriptors of process `pid`.
pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// A numeric field of `/proc/<pid>/<file>`, such as `VmHWM:` of `status` (in KiB).
pub fn proc_field(pid: u32, file: &str, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
