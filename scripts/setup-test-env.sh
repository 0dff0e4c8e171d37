#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain: Debian's Chromium and
# ChromeDriver for the consent page's browser test (no browser is downloaded by any tool).
# Run as root, or with sudo available. Safe to run again.
set -euo pipefail
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
[[ -x /usr/bin/chromedriver ]] || need+=(chromium-driver)
if ((${#need[@]} == 0)); then
  echo "chromium and chromedriver are installed"
  exit 0
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${need[@]}" fonts-dejavu-core
/usr/bin/chromium --version
/usr/bin/chromedriver --version
