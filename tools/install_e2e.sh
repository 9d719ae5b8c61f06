#!/usr/bin/env bash
# Installs what the browser test (e2e/) needs: a headless Chromium from Debian's packages and
# the pinned `playwright` package in the project's venv. Quiet, and a no-op when both are there.
# It never runs `playwright install`: that downloads a browser build, which this project avoids.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
# Where Debian puts the browsers; e2e/conftest.py looks in the same places.
CANDIDATES=(
    /usr/lib/chromium/chromium-headless-shell
    /usr/bin/chromium-headless-shell
    /usr/bin/chromium
)

have_chromium() {
    local path
    for path in "${CANDIDATES[@]}"; do
        [[ -x $path ]] && return 0
    done
    return 1
}

apt_candidate() {  # prints the installable version of a Debian package, or nothing
    apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" {print $2}'
}

install_chromium() {
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo > /dev/null || {
            echo "install_e2e: Chromium is missing; install Debian's chromium-headless-shell" \
                 "(or chromium) as root, then run this again." >&2
            exit 1
        }
        sudo="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq > /dev/null
    # The headless shell is the smaller package (no GTK); the full browser is the fallback.
    local package=chromium-headless-shell
    [[ -n $(apt_candidate "$package") ]] || package=chromium
    [[ -n $(apt_candidate "$package") ]] || {
        echo "install_e2e: neither chromium-headless-shell nor chromium is in apt's lists." >&2
        exit 1
    }
    echo "install_e2e: installing Debian's $package"
    # stdout is dropped; stderr is kept, less debconf's note about apt-utils.
    $sudo apt-get install -y -qq --no-install-recommends "$package" fonts-dejavu-core 2>&1 \
        > /dev/null | { grep -v "^debconf: delaying package configuration" >&2 || true; }
}

have_chromium || install_chromium
have_chromium || { echo "install_e2e: Chromium was installed but not found in" \
                        "${CANDIDATES[*]}" >&2; exit 1; }

[[ -x $VENV/bin/python ]] || { echo "install_e2e: no $VENV; run 'make test' or 'make lab' first" \
                                    "to create it." >&2; exit 1; }
# pip on some machines warns about missing local index folders; keep the log readable.
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r e2e/requirements.txt 2>&1 \
    | { grep -v "is ignored: it is neither" || true; }
