# Tessera: `make run` serves a demo on http://127.0.0.1:$(PORT); `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install install-test bench clean vendor

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# The browser tests' axe-core and the till's decoder sources come from npm (package-lock.json).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Copies the till's QR decoder (and its licences) into app/static/vendor, which is committed.
vendor: node_modules/.package-lock.json
	sh scripts/vendor-assets.sh

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test node_modules/.package-lock.json

run: install
	$(FLASK) init-db
	$(FLASK) seed-demo
	PORT=$(PORT) TESSERA_EMBEDDED_WORKER=1 $(FLASK) run --host 127.0.0.1 --port $(PORT) --with-threads

# One worker per core, a test file per worker at a time (its browser and fixtures stay shared).
PYTEST_PARALLEL ?= -n auto --dist loadfile

test: install-test
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python benchmarks/sign_throughput.py

clean:
	rm -rf $(VENV) instance/tessera.db* .pytest_cache
