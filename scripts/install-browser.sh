#!/usr/bin/env bash
# Install Debian's Chromium and ChromeDriver for the browser tests, where the machine allows it.
# Needs root (or sudo) and apt-get. The tests drive /usr/bin/chromium with Playwright;
# no browser is downloaded from anywhere but the Debian archive.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(chromium --version 2>/dev/null || true)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: no apt-get on this machine; install Chromium yourself to run the browser tests" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-browser: not root and no sudo; install Chromium yourself to run the browser tests" >&2
    exit 1
  fi
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
echo "installed: $(chromium --version)"
