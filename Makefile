# The two set-up commands: `make run` and `make test`. Every pip call goes through constraints.txt.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PIP     := $(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt
HOST    ?= 127.0.0.1
PORT    ?= 8000

.PHONY: run test test-fast bench bench-threads build eval check clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) -e '.[test,st]'
	touch $@

# axe-core for the browser tests' accessibility checks (npm registry; injected into pages by the tests, never served)
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed
	$(PIP) -e '.[bench]'
	touch $@

build: $(VENV)/.installed
	$(BIN)/bot build --if-stale

run: build
	$(BIN)/bot serve --host $(HOST) --port $(PORT)

check: $(VENV)/.installed
	$(BIN)/bot check-corpus

test: $(VENV)/.installed-test node_modules/.installed
	$(BIN)/bot check-corpus
	$(BIN)/python -m pytest -q

# The edit-test loop: everything but the tests marked slow (the real encoder) or browser (chromium).
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -m "not slow and not browser"

eval: build
	$(BIN)/bot eval

bench: build $(VENV)/.installed-bench
	$(BIN)/python -m bench.harness $(BENCH_ARGS)

bench-threads: $(VENV)/.installed
	$(BIN)/python -m bench.encoder_threads $(BENCH_ARGS)

clean:
	rm -rf $(VENV) index
