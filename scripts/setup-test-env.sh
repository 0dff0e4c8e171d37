#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain: Debian's Chromium and
# ChromeDriver for the consent page's browser test (no browser is downloaded by any tool), and
# Debian's systemd for `systemd-analyze`, which checks the shipped unit (tests/it/ops.rs).
# Run as root, or with sudo available. Safe to run again.
set -euo pipefail
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
[[ -x /usr/bin/chromedriver ]] || need+=(chromium-driver)
[[ -x /usr/bin/systemd-analyze ]] || need+=(systemd)
if ((${#need[@]} == 0)); then
  echo "chromium, chromedriver and systemd-analyze are installed"
  exit 0
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${need[@]}" fonts-dejavu-core
/usr/bin/chromium --version
/usr/bin/chromedriver --version
/usr/bin/systemd-analyze --version | head -n 1
