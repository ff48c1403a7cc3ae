# Quick start on a fresh clone:  make run   |   make test
# Both build .venv themselves; pip runs again only when a requirements file changes.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.stamp
DEV_STAMP := $(VENV)/.stamp-dev
PYTEST_ARGS ?=
# pytest-xdist workers for make test (each test file runs whole, in order, on one worker); 0 runs serially.
TEST_WORKERS ?= 2

.PHONY: help venv dev-venv run test test-fast bench audit clean

help:
	@echo "make run     set up .venv, load the demo into an empty database, serve on \$${PORT:-8501}"
	@echo "make test    set up .venv with dev tools, install chromium if possible, run pytest on 2 workers (TEST_WORKERS=, PYTEST_ARGS=...)"
	@echo "make test-fast  the tests that need no database and no browser (seconds)"
	@echo "make bench   run every bench/*.py (they write BENCHMARKS.md)"
	@echo "make audit   pip-audit of the installed dependencies (fails on a known vulnerability)"
	@echo "make clean   stop the embedded database, remove .venv and .data"

# Runtime venv: rebuilt when requirements.txt changes (or .venv is gone).
$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -r requirements.txt
	@touch $@

# Dev venv: runtime + requirements-dev.txt.
$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(PIP) install -q -r requirements-dev.txt
	@touch $@

venv: $(STAMP)
dev-venv: $(DEV_STAMP)

run: $(STAMP)
	$(PY) -m migrate.bootstrap
	bash scripts/serve.sh

test: $(DEV_STAMP)
	bash scripts/install_browser.sh
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-fast: $(DEV_STAMP)
	$(PY) -m pytest -q -m "not db and not browser and not slow" $(PYTEST_ARGS)

# Each bench/<name>.py runs as module bench.<name> from the repo root, so it can
# import db, migrate and ui like the app does.
bench: $(DEV_STAMP)
	@shopt -s nullglob; ran=0; \
	for f in bench/*.py; do \
		name=$$(basename "$$f" .py); \
		case "$$name" in _*) continue;; esac; \
		echo "== bench.$$name"; \
		$(PY) -m "bench.$$name"; \
		ran=$$((ran + 1)); \
	done; \
	if [ "$$ran" -eq 0 ]; then echo "no bench/*.py to run"; fi

# Known-vulnerability audit of what .venv holds. Fails on a finding; packages the vulnerability
# service cannot be asked about (no route to it) are listed as skipped, not hidden.
audit: $(DEV_STAMP)
	$(VENV)/bin/pip-audit --progress-spinner off --skip-editable

clean:
	@if [ -x $(PY) ]; then $(PY) -m db.embedded stop || echo "embedded database not stopped (not running?)"; fi
	rm -rf $(VENV) .data .pytest_cache .ruff_cache
