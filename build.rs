//! Generates the payload types and collectors from `spec/telemetry.toml` into
//! `$OUT_DIR/telemetry.rs`. A spec error fails the build with every diagnostic shown by cargo.

use std::path::{Path, PathBuf};

fn main() {
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        println!("cargo::error=OUT_DIR is not set; build.rs must run under cargo");
        return;
    };
    let out = PathBuf::from(out_dir).join("telemetry.rs");
    for line in telemetry_spec::buildscript::run(Path::new("spec/telemetry.toml"), &out) {
        println!("{line}");
    }
}
