//! `optimize-telemetry`: the runtime that reports Camunda Optimize's telemetry payload.
//!
//! What may be sent is generated at build time from `spec/telemetry.toml` ([`generated`]).
//! The runtime is strictly opt-in: it reports only while the stored setting says so, once per
//! interval, over HTTPS, on its own thread ([`runtime::start`]), and stops at once when asked.

/// The payload types, the `Sources` trait, `collect()` and the item table, generated from the
/// spec by `build.rs`. Read the code with `telemetry-spec rust`.
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/telemetry.rs"));
}

pub mod audit;
pub mod cli;
pub mod clock;
pub mod config;
pub mod consent;
pub mod control;
pub mod disclosed;
pub mod hex;
pub mod http;
pub mod metrics;
pub mod runtime;
pub mod scheduler;
pub mod sender;
pub mod sources;
pub mod statefs;
pub mod store;

pub use config::Config;
pub use runtime::{Handle, start};
