#!/usr/bin/env bash
# Installs every Debian package the certdesk test suite needs: openssl (independent verifier),
# BIND9 and its tools, Pebble, PostgreSQL, PowerDNS with the SQLite backend, Chromium (browser
# tests through Playwright), lego (benchmarks), python3-venv and git. Idempotent: when every
# package is already installed it changes nothing and needs no privileges; otherwise it must run
# as root or be able to use sudo. Services the packages would start are held back while
# installing, because the tests start their own servers on free loopback ports.
set -euo pipefail
trap 'echo "install-system-deps: FAILED at line $LINENO (exit $?): $BASH_COMMAND" >&2' ERR

PACKAGES=(
    openssl
    ca-certificates
    bind9
    bind9-utils
    bind9-dnsutils
    pebble
    postgresql
    pdns-server
    pdns-backend-sqlite3
    chromium
    lego
    python3
    python3-venv
    git
)

missing=()
for package in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    if [[ "$status" != "installed" ]]; then
        missing+=("$package")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-system-deps: all ${#PACKAGES[@]} Debian packages are installed"
    exit 0
fi
echo "install-system-deps: installing ${missing[*]}"

if [[ $EUID -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-system-deps: ERROR: ${missing[*]} must be installed, which needs root;" \
        "run this script as root or install sudo" >&2
    exit 1
fi

# Hold back service starts (named, postgresql, pdns would grab ports 53 and 5432) unless the
# machine already has a policy of its own.
policy=/usr/sbin/policy-rc.d
made_policy=no
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod 755 "$policy"
    made_policy=yes
fi
cleanup() {
    if [[ $made_policy == yes ]]; then
        "${as_root[@]}" rm -f "$policy"
    fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}"

still_missing=()
for package in "${missing[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "installed" ]] || still_missing+=("$package")
done
if [[ ${#still_missing[@]} -ne 0 ]]; then
    echo "install-system-deps: ERROR: still not installed: ${still_missing[*]}" >&2
    exit 1
fi
echo "install-system-deps: done"
