#!/usr/bin/env bash
# Docs drift check (run by scripts/test.sh): regenerates docs/authenticators.md from the code
# (`python -m certdesk.dns.docs`) into a temporary file and fails, showing the difference, when
# the committed page is not what the code and the installed dns-lexicon produce.
# Fix a failure with: .venv/bin/python -m certdesk.dns.docs --output docs/authenticators.md
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
fresh=$(mktemp)
trap 'rm -f "$fresh"' EXIT

"$PYTHON" -m certdesk.dns.docs --output "$fresh"
if ! diff -u docs/authenticators.md "$fresh"; then
    echo "check-docs: docs/authenticators.md is out of date; regenerate it with" >&2
    echo "  $PYTHON -m certdesk.dns.docs --output docs/authenticators.md" >&2
    exit 1
fi
echo "check-docs: docs/authenticators.md is up to date"
