//! `optimize-telemetry`: the runtime that reports Camunda Optimize's telemetry payload.
//!
//! Everything the runtime may send is generated at build time from `spec/telemetry.toml`
//! (see [`generated`]); the runtime itself arrives with a later change.

/// The payload types, the `Sources` trait, `collect()` and the item table, generated from the
/// spec by `build.rs`. Read the code with `telemetry-spec rust`.
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/telemetry.rs"));
}
