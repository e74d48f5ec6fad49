#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite: real model, real index, real server and browser.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
# The browser tests drive Debian's chromium; Chinese needs a CJK font to render in screenshots.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto.*cjk\|wqy"; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "chromium and fonts-noto-cjk are needed for the browser tests: sudo apt-get install chromium fonts-noto-cjk" >&2
  fi
fi
# The systemd unit of `qa service` is checked with systemd-analyze (systemd need not be running).
if ! command -v systemd-analyze >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
  else
    echo "systemd-analyze checks the service unit: sudo apt-get install systemd (else that test is skipped)" >&2
  fi
fi
# Lint first: a style or import error fails fast, before the slow suite.
.venv/bin/ruff check --quiet qa tests bench train
.venv/bin/ruff format --check --quiet qa tests bench train
exec .venv/bin/python -m pytest "$@"
