#!/usr/bin/env bash
# Installs PyTorch 2.13.0 (CPU) into the project's venv for the parity tests, but only from a
# wheel already on this machine (pip's find-links): it never downloads torch, whose default
# build from PyPI is several GB of CUDA. Without such a wheel it says so and does nothing; the
# parity tests then skip. torch is never a dependency of gradlab itself.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
quiet() { grep -v "is ignored: it is neither" || true; }

if "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" \
        2> /dev/null; then
    exit 0
fi
# Step 1: torch alone, from local wheels only (--no-index): fails fast when there is none.
if ! "${PIP[@]}" install -q --no-index --no-deps torch==2.13.0 > /dev/null 2>&1; then
    echo "install_torch_ref: no local torch 2.13.0 wheel; the PyTorch parity tests will skip."
    exit 0
fi
# Step 2: what torch needs (filelock, sympy, ...); torch itself is already satisfied.
"${PIP[@]}" install -q torch==2.13.0 2>&1 | quiet
echo "install_torch_ref: torch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)')"
