# The two commands a learner or maintainer needs: `make lab` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := gradlab
SHELL  := /bin/bash
.SHELLFLAGS := -o pipefail -c
# pip on some machines warns about missing local index folders; keep the log readable.
QUIET_PIP := 2>&1 | { grep -v "is ignored: it is neither" || true; }

.PHONY: lab test parity bench lint e2e clean kernel

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip $(QUIET_PIP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]" $(QUIET_PIP)
	touch $(STAMP)

kernel: $(STAMP)
	$(BIN)/python -m ipykernel install --user --name $(KERNEL) --display-name "Python 3 (gradlab)" > /dev/null

# Jupyter refuses to start as root unless told; containers often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

# The server's root is the project, so notebooks link to their exercises; the course opens first.
# `jupyter trust` signs the course's own notebooks, so their stored scripts (the animation's
# player, the widgets) run in JupyterLab before anything is re-run.
lab: $(STAMP) kernel
	$(BIN)/jupyter trust $(wildcard notebooks/*.ipynb exercises/*.ipynb solutions/*.ipynb) > /dev/null
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) \
		notebooks/00_derivatives_by_hand.ipynb

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg

# Unit and property tests, then every stored notebook output re-checked by nbval (one notebook
# per worker: --dist loadscope keeps a notebook's cells together, in order). bubblewrap is
# installed first: the grader's isolation without root is tested as an unprivileged user.
test: $(STAMP)
	$(BIN)/ruff check .
	bash tools/install_bwrap.sh
	$(BIN)/python -m pytest -n auto tests
	$(BIN)/python -m pytest -n auto --dist loadscope $(NBVAL) notebooks $(wildcard solutions/*.ipynb)

# The tests that compare with PyTorch itself (marked `parity`), with torch 2.13.0 installed from
# a local wheel (skipped, with a note, where there is none). Every other test pins literals.
parity: $(STAMP)
	bash tools/install_torch_ref.sh
	$(BIN)/python -m pytest -n auto -m parity tests

# The browser tests: JupyterLab on 127.0.0.1 driven by Debian's headless Chromium (every
# notebook opened whole before it runs, trusted and not, and as nbconvert HTML without
# JavaScript; notebook 07 run in full; the links between notebooks; an exercise done and checked).
e2e: $(STAMP)
	bash tools/install_e2e.sh
	$(BIN)/python -m pytest e2e

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
