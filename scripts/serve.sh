#!/usr/bin/env bash
# Install certdesk into ./.venv (Python 3.11+) and run `certdesk serve` with the given arguments.
# On a fresh Debian machine this also installs python3-venv when it is missing (needs root/sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-venv
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q .
exec .venv/bin/certdesk serve "$@"
