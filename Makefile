# orgscan developer commands. `make demo` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# One stamp per set of dependencies: `make demo` installs what orgscan needs to run, `make test`
# adds the dev extra (test, lint and type tools). Either re-installs when pyproject.toml changes.
STAMP_RUNTIME := $(VENV)/.installed-runtime
STAMP_DEV := $(VENV)/.installed-dev
PYTEST_ARGS ?=
# e.g. make bench BENCH_ARGS="--accounts 3000 --latency-ms 0" (python -m benchmarks.run --help)
BENCH_ARGS ?=

.PHONY: install demo test test-fast lint format typecheck pytest bench wheel-test clean

# The venv gets uv, which installs the same packages from the same index as pip, several times
# faster (parallel downloads, no compiling). Where uv cannot be installed or cannot install, pip
# does it. Users install with pip (.ci/wheel-test proves it).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv || echo "make: uv is not available; pip installs" >&2

# $(call install,REQUIREMENT): uv when the venv has it, else (or when it fails) pip.
install = { [ -x $(BIN)/uv ] && $(BIN)/uv pip install --quiet --python $(BIN)/python $(1); } \
	|| { $(BIN)/python -m pip install --quiet --upgrade pip && $(BIN)/python -m pip install --quiet $(1); }

# What make runs keeps its bytecode cache inside the venv, even where PYTHONDONTWRITEBYTECODE
# is set (as on this kind of machine): each module is compiled the first time any process
# imports it, and never again. Without it every test process, and every orgscan or aws child a
# test starts, compiled botocore, moto, pandas and orgscan anew (~1 s of CPU each); compiling
# everything at install instead costs ~20 s, mostly for modules nothing imports. The checkout
# stays clean.
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache
export PYTHONDONTWRITEBYTECODE :=

$(STAMP_RUNTIME): pyproject.toml | $(BIN)/python
	$(call install,-e .)
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(call install,-e '.[dev]')
	touch $@ $(STAMP_RUNTIME)

install: $(STAMP_DEV)

demo: $(STAMP_RUNTIME)
	$(BIN)/orgscan demo --output-dir reports/demo

lint: $(STAMP_DEV)
	$(BIN)/ruff check orgscan tests benchmarks
	$(BIN)/ruff format --check orgscan tests benchmarks

# Rewrites the code the way `make lint` checks it: ruff's fixes, then its formatter.
format: $(STAMP_DEV)
	$(BIN)/ruff check --fix orgscan tests benchmarks
	$(BIN)/ruff format orgscan tests benchmarks

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

pytest: $(STAMP_DEV)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# mypy runs beside the tests: they leave a core idle while they wait (subprocesses, the browser,
# the last test), and mypy fills it: ~10 s sooner on 2 cores. -Oline keeps their lines whole.
test: lint
	$(MAKE) --no-print-directory -j2 -Oline typecheck pytest

# The inner loop: everything but the subprocess/AWS CLI (e2e) and headless-browser tests.
# `make test` and CI still run every test.
test-fast: $(STAMP_DEV)
	$(BIN)/python -m pytest -n 2 -m "not e2e and not browser" $(PYTEST_ARGS)

bench: $(STAMP_DEV)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# The wheel in a clean venv without the dev extra, as a user installs it (.ci/run runs it too).
wheel-test:
	PYTHON=$(PYTHON) .ci/wheel-test

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build dist *.egg-info
