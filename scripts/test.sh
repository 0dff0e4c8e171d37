#!/usr/bin/env bash
# The project's test command (README "The tests"; .ci/run calls exactly this): installs what the
# tests need beyond the Rust toolchain (scripts/setup-test-env.sh: Debian's Chromium and
# ChromeDriver), then runs every test of both packages. Arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-test-env.sh
# Everything the tests talk to is on loopback: never through a proxy the machine may define.
export NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}"
export no_proxy="127.0.0.1,localhost,::1${no_proxy:+,$no_proxy}"
locked=()
# CI must build exactly what Cargo.lock says; a developer who just added a dependency need not.
if [[ "${CI:-}" == "true" ]]; then locked=(--locked); fi
exec cargo test "${locked[@]}" "$@"
