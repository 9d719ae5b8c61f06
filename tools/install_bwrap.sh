#!/usr/bin/env bash
# Installs bubblewrap (Debian's `bubblewrap` package), which `gradlab grade` uses to isolate
# submissions when the grader is not root, and which the tests use to check that isolation.
# Quiet, a no-op when `bwrap` is there; where it cannot be installed (not root and no sudo),
# it says so and the tests of that mode skip with the reason.
set -euo pipefail

command -v bwrap > /dev/null && exit 0
[[ -x /usr/bin/bwrap ]] && exit 0

sudo=""
if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo > /dev/null || ! sudo -n true 2> /dev/null; then
        echo "install_bwrap: bubblewrap is missing and cannot be installed without root;" \
             "install Debian's bubblewrap package as root to test grading without root." >&2
        exit 0
    fi
    sudo="sudo -n"
fi
if ! command -v apt-get > /dev/null; then
    echo "install_bwrap: no apt-get here; install bubblewrap with this system's packages." >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "install_bwrap: installing Debian's bubblewrap"
if [[ -z $(apt-cache policy bubblewrap 2> /dev/null | awk '/Candidate:/ && $2 != "(none)"') ]]; then
    $sudo apt-get update -qq > /dev/null
fi
# stdout is dropped; stderr is kept, less debconf's note about apt-utils.
$sudo apt-get install -y -qq --no-install-recommends bubblewrap 2>&1 > /dev/null \
    | { grep -v "^debconf: delaying package configuration" >&2 || true; }
