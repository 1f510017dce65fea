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

# The suite starts (and stops) its own throwaway PostGIS; with CI set, a PostGIS test that
# cannot run fails instead of skipping.
test: install-test
	./scripts/system-deps.sh test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
