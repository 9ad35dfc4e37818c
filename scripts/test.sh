#!/usr/bin/env bash
# The single test command (README, .ci/run): installs the Debian packages the tests need
# (scripts/install-system-deps.sh), creates .venv with Python 3.11 and installs certdesk with its
# test extras, then runs ruff check, ruff format --check, mypy, lint-imports, the docs drift
# check (scripts/check-docs.sh, if present) and pytest over all tests, stopping at the first
# step that fails and saying which. Extra arguments go to pytest (e.g. `scripts/test.sh
# tests/unit -x`). Works from any directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV="$ROOT/.venv"
RUN_START=$EPOCHREALTIME

elapsed_since() {
    awk -v start="$1" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.1f", now - start }'
}

step() {
    local name=$1
    shift
    local start=$EPOCHREALTIME status=0
    echo
    echo "==> [$name] $*"
    "$@" || status=$?
    if [[ $status -ne 0 ]]; then
        echo
        echo "FAILED: step '$name' exited with status $status after $(elapsed_since "$start")s" \
            "(total $(elapsed_since "$RUN_START")s)"
        if [[ $name == pytest && $status -eq 5 ]]; then
            echo "FAILED: pytest collected no tests"
        fi
        exit "$status"
    fi
    echo "<== [$name] ok in $(elapsed_since "$start")s"
}

find_python() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))'; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "no Python >= 3.11 found (python3.11 or python3)" >&2
    return 1
}

make_venv() {
    if [[ -x $VENV/bin/python ]] && "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
        echo "using existing $VENV ($("$VENV/bin/python" --version))"
        return 0
    fi
    local python
    python=$(find_python)
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
}

install_package() {
    # Reinstall only when pyproject.toml changed since the last successful install.
    local stamp="$VENV/.certdesk-install-stamp" digest
    digest=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [[ -f $stamp && $(cat "$stamp") == "$digest" ]] &&
        "$VENV/bin/python" -c 'import certdesk' 2>/dev/null; then
        echo "certdesk and its test dependencies are installed (pyproject.toml unchanged)"
        return 0
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
    echo "$digest" >"$stamp"
}

docs_check() {
    if [[ -f scripts/check-docs.sh ]]; then
        bash scripts/check-docs.sh
    else
        echo "no scripts/check-docs.sh: nothing to check"
    fi
}

step system-deps bash scripts/install-system-deps.sh
step venv make_venv
step install install_package
step ruff-check "$VENV/bin/ruff" check .
step ruff-format "$VENV/bin/ruff" format --check .
step mypy "$VENV/bin/mypy"
step lint-imports "$VENV/bin/lint-imports"
step docs docs_check
step pytest "$VENV/bin/pytest" --durations=15 "$@"

echo
echo "ALL STEPS PASSED in $(elapsed_since "$RUN_START")s"
