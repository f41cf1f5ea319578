# orgscan developer commands. `make demo` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# e.g. make bench BENCH_ARGS="--accounts 3000 --latency-ms 0" (python -m benchmarks.run --help)
BENCH_ARGS ?=

.PHONY: install demo test test-fast lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/orgscan demo --output-dir reports/demo

lint: $(STAMP)
	$(BIN)/ruff check orgscan tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

test: lint typecheck pytest

# The inner loop: everything but the subprocess/AWS CLI (e2e) and headless-browser tests.
# `make test` and CI still run every test.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not e2e and not browser" $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info
