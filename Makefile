# CommonGround: two commands do all the set-up on a fresh Debian/Ubuntu machine.
#   make run    venv, install, embedded SQLite store, demo data, serve on 127.0.0.1:5000
#   make test   venv, install (with test extras), throwaway PostGIS, the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
PYTEST_ARGS ?=

.PHONY: run test install install-test lint bench clean

$(BIN)/python:
	./scripts/system-deps.sh run
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/commonground init-db
	$(BIN)/commonground demo
	$(BIN)/commonground serve --host $(HOST) --port $(PORT)

# system-deps.sh fails when PostgreSQL+PostGIS or Chromium cannot be installed (it waits for a
# busy apt lock first). The suite starts (and stops) its own throwaway PostGIS, and a PostGIS
# test that cannot run fails instead of skipping, unless COMMONGROUND_SKIP_POSTGIS=1 opts out.
REQUIRE_POSTGIS := $(if $(filter 1,$(COMMONGROUND_SKIP_POSTGIS)),,--require-postgis)

test: install-test
	./scripts/system-deps.sh test
	$(BIN)/python -m pytest $(REQUIRE_POSTGIS) $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
