#!/usr/bin/env bash
# What the results page and alert tests need from Debian: headless Chromium (the browser
# tests, driven by playwright-core) and Prometheus (promtool test rules on the chart's
# alerts, and a real Prometheus scraping the operator). Idempotent: installs only what is
# missing; runs apt-get update only when a package is not found.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || need+=(prometheus)
if [ ${#need[@]} -eq 0 ]; then
  echo "install-web-test-deps: chromium and prometheus are installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends "${need[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${need[@]}"
fi
echo "install-web-test-deps: installed ${need[*]}"
