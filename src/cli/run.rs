//! `run`: the daemon with its control API, until SIGINT or SIGTERM.

use std::sync::Arc;

use super::local_runtime;
use crate::config::Config;
use crate::runtime;

pub(super) fn run(config: Config) -> u8 {
    let Some(rt) = local_runtime() else { return 1 };
    let handle = match runtime::start(config) {
        Ok(h) => h,
        Err(e) => {
            note!("optimize-telemetry: error: {e}");
            return 1;
        }
    };
    let control = &handle.shared().parts.config.control;
    if control.enabled {
        let listener = match std::net::TcpListener::bind(control.address)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
        {
            Ok(l) => l,
            Err(e) => {
                note!(
                    "optimize-telemetry: error: cannot listen on {} (control.address): {e}",
                    control.address
                );
                return 1;
            }
        };
        if !control.address.ip().is_loopback() {
            tracing::warn!(
                address = %control.address,
                "the control API listens beyond loopback: anyone who can reach it can try tokens"
            );
        }
        let api = Arc::new(crate::control::Control::new(Arc::clone(handle.shared())));
        handle.runtime().spawn(async move {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(l) => crate::control::serve(l, api).await,
                Err(e) => tracing::error!(error = %e, "cannot serve the control API"),
            }
        });
        tracing::info!(address = %control.address, "control API and consent page listening");
    }
    tracing::info!(
        enabled = handle.shared().enabled(),
        state = %handle.shared().parts.config.state.dir.display(),
        "telemetry runtime started"
    );
    let signal = rt.block_on(async {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => return Err(e),
            };
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map(|()| "SIGINT"),
            _ = term.recv() => Ok("SIGTERM"),
        }
    });
    match signal {
        Ok(name) => tracing::info!(signal = name, "stopping; nothing more is collected or sent"),
        Err(e) => tracing::error!(error = %e, "cannot wait for signals; stopping"),
    }
    handle.stop();
    0
}
