# Nearbox: `make run` starts the demo, `make test` runs every test. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test install lint format services bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Nearbox needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED)

run: install
	bash scripts/run-deps.sh
	$(BIN)/python -m config.devrun

# System packages and services the tests need (Chromium, zbar, poppler, PostgreSQL, Redis).
services:
	bash scripts/test-services.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The whole suite on PostgreSQL (in TEST_PROCESSES processes, a test module each at a time),
# then the tests of code with a vendor branch or hand-written SQL again on SQLite, the database
# `make run` uses.
TEST_PROCESSES ?= 2
test: install services lint
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder --durations=25 $(PYTEST_ARGS)
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder -m sqlite -p no:cacheprovider --ds=tests.settings_sqlite $(PYTEST_ARGS)

# Each benchmark prints its figures and writes bench/results/<name>.json.
bench: install services
	$(BIN)/python -m bench.pmedian --all ../shared/data/pmed_orlib
	$(BIN)/python -m bench.vrptw --all ../shared/data/solomon --time-limit 10
	$(BIN)/python -m bench.placement
	$(BIN)/python -m bench.forecast
	$(BIN)/python -m bench.orders_intake
	$(BIN)/python -m bench.order_pages
	$(BIN)/python -m bench.rate_shopping
	$(BIN)/python -m bench.labels
	$(BIN)/python -m bench.label_batch
	$(BIN)/python -m bench.eta
	$(BIN)/python -m bench.tracking
	$(BIN)/python -m bench.parser_fidelity
	$(BIN)/python -m bench.courier_positions
	$(BIN)/python -m bench.platform_intake
	$(BIN)/python -m bench.delivery_options
	$(BIN)/python -m bench.reservations
	$(BIN)/python -m bench.bulk_ship --orders 500
	$(BIN)/python -m bench.address_risk
	$(BIN)/python -m bench.analytics
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.cluster --minutes 5

clean:
	rm -rf $(VENV) var staticfiles test-artifacts .pytest_cache .ruff_cache
