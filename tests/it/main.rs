//! Integration tests of the runtime crate: the generated code, the runtime over real loopback
//! HTTPS, scheduling on a paused clock, and the command line.

mod audit;
mod browser;
mod cli;
mod cluster;
mod collect;
mod compile_fail;
mod config_builder;
mod config_docs;
mod config_hostile;
mod consent;
mod control;
mod daemon;
mod faults;
mod follow;
mod hardening;
mod ops;
mod presend;
mod proxy;
mod runtime;
mod schedule;
mod sender;
mod sources;
mod store;
mod store_faults;
mod support;

// Shared with the compiler's tests (test-support): the workspace root, the real spec
// validated, and the snapshot settings that keep every snapshot in `snapshots/`.
pub use test_support::{real_spec, repo_root, snapshot};
