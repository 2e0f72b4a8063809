#!/usr/bin/env bash
# Install the Debian/Ubuntu packages the test suite needs, only those missing; safe to run again.
#   virtuoso-opensource : Virtuoso 7 (virtuoso-t), the second SPARQL server of tests/test_push.py
#   chromium            : headless browser that opens the HTML views in tests/test_view.py (via Playwright)
#   libreoffice-calc-nogui : LibreOffice Calc without GUI (soffice --headless), which opens the exported CSV in
#                         tests/test_spreadsheet.py as a French user's spreadsheet would (58 packages, 87 MB, 277 MB installed)
# Runs apt-get as root, or through sudo when not root. Non-interactive. Exits non-zero with a
# message when a package is missing and cannot be installed.
set -euo pipefail

PACKAGES=(virtuoso-opensource chromium libreoffice-calc-nogui)
# The executable each package must provide (same order), checked after installing.
EXECUTABLES=(virtuoso-t chromium soffice)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-system-deps: already installed: ${PACKAGES[*]}"
else
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "install-system-deps: missing ${missing[*]} and no apt-get here: install them with your package manager" >&2
        exit 1
    fi
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        echo "install-system-deps: missing ${missing[*]}; run this script as root (or with passwordless sudo)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    echo "install-system-deps: installing ${missing[*]}"
    # Refresh the package lists only when they are absent or older than a day.
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q || {
            echo "install-system-deps: apt-get update failed" >&2; exit 1; }
    fi
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" || {
        echo "install-system-deps: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi

for exe in "${EXECUTABLES[@]}"; do
    if ! command -v "$exe" >/dev/null 2>&1; then
        echo "install-system-deps: '$exe' is not on PATH after installing ${PACKAGES[*]}" >&2
        exit 1
    fi
done
echo "install-system-deps: ok (${EXECUTABLES[*]}: $(command -v "${EXECUTABLES[@]}" | tr '\n' ' '))"
