# Flightdeck: `make demo` and `make test` are all a fresh clone needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
# End-to-end tests that serve their own apps on stacks of their own: they run beside the main e2e tests.
OWN_STACKS := tests/e2e/test_faults.py tests/e2e/test_fault_recovery.py tests/e2e/test_refresh.py
# The example release on the production topology (PostgreSQL, Redis, Celery): in `make test`, not in `make test-fast`.
PROD_TOPOLOGY := tests/e2e/test_production_topology.py

.PHONY: install chromium lint format test test-fast lanes unit integration e2e up down demo bench bench-e2e lock clean

install: $(STAMP)

# The venv is built from the pinned locks only; the stamp is renewed whenever a lock changes.
$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@$(VENV)/bin/uv pip sync --quiet --python $(PY) requirements.txt requirements-dev.txt
	@echo "$(CURDIR)/plugins" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/flightdeck.pth
	@printf '#!/bin/sh\nexec "%s" -m flightdeck "$$@"\n' "$(CURDIR)/$(PY)" > $(VENV)/bin/flightdeck && chmod +x $(VENV)/bin/flightdeck
	@touch $(STAMP)

# The browser e2e test drives Debian's Chromium (Playwright's own browser download is never used). Needs root.
chromium: $(CHROMIUM)

$(CHROMIUM):
	@test "$$(id -u)" = 0 || { echo "$(CHROMIUM) is missing: run 'make chromium' as root (apt-get install chromium)"; exit 1; }
	export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends chromium \
	  || { apt-get update && apt-get install -y --no-install-recommends chromium; }
	@test -x $(CHROMIUM)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The end-to-end tests mostly wait on a scheduler: the fault-injection suite and the scheduled refresh run on stacks
# of their own, and the unit and integration tests run beside them (their reports follow the main e2e report), so
# CI takes about as long as the longest of the three. The main e2e tests take longest: the other two run at a lower
# CPU priority (nice). `make test` also releases the example app on the production topology (PostgreSQL, Redis, a
# Celery worker: docs/production-topology.md), after the unit and integration tests; `make test-fast` leaves it out.
test: install lint chromium
	@$(MAKE) --no-print-directory lanes AFTER_FAST="$(PROD_TOPOLOGY)"

test-fast: install lint chromium
	@$(MAKE) --no-print-directory lanes AFTER_FAST=

lanes:
	@mkdir -p .flightdeck && rm -f .flightdeck/fault-recovery.jsonl
	@nice -n 15 $(PY) -m pytest tests/unit tests/integration $(AFTER_FAST) -p no:cacheprovider > .flightdeck/fast-tests.log 2>&1 & fast=$$!; \
	  nice -n 5 $(PY) -m pytest $(OWN_STACKS) -p no:cacheprovider > .flightdeck/fault-tests.log 2>&1 & faults=$$!; \
	  $(PY) -m pytest tests/e2e $(addprefix --ignore=,$(OWN_STACKS) $(PROD_TOPOLOGY)); e2e=$$?; \
	  wait $$fast; fast_rc=$$?; wait $$faults; faults_rc=$$?; \
	  echo "---- fault-injection suite and scheduled refresh (ran beside, on stacks of their own) ----"; cat .flightdeck/fault-tests.log; \
	  echo "---- unit and integration tests$(if $(AFTER_FAST), then the production topology,) (ran beside the e2e tests) ----"; cat .flightdeck/fast-tests.log; \
	  test $$e2e -eq 0 && test $$faults_rc -eq 0 && test $$fast_rc -eq 0

unit: install
	$(PY) -m pytest tests/unit

integration: install
	$(PY) -m pytest tests/integration

e2e: install chromium
	$(PY) -m pytest tests/e2e

up: install
	$(PY) -m scripts.devstack up

down: install
	$(PY) -m scripts.devstack down

demo: install
	$(PY) -m scripts.demo

# Parsing at fleet scale, against dag-factory (benchmarks/requirements.txt, never in the venv). Run on a quiet machine.
# BENCH_ARGS=--write puts the tables into docs/benchmarks.md (benchmarks.parse always does).
BENCH_ARGS ?=
BENCH_DEPS := .flightdeck/bench-deps
BENCH_ENV := AIRFLOW_HOME=$(CURDIR)/.flightdeck/bench-airflow DO_NOT_TRACK=1 AIRFLOW__DAG_FACTORY__ENABLE_TELEMETRY=False
bench: install $(BENCH_DEPS)/.installed
	$(BENCH_ENV) $(PY) -m benchmarks.parse
	$(BENCH_ENV) PYTHONPATH=$(CURDIR)/$(BENCH_DEPS) $(PY) -m benchmarks.parse_dagfactory $(BENCH_ARGS)

$(BENCH_DEPS)/.installed: benchmarks/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --target $(BENCH_DEPS) -r benchmarks/requirements.txt
	@touch $@

# The release on a local stack with injected latency: critical path, worker slots, CloudFormation calls and detection
# lag (docs/benchmarks-howto.md). About an hour on a quiet machine.
bench-e2e: install
	$(PY) -m benchmarks.critical_path $(BENCH_ARGS)
	$(PY) -m benchmarks.slots $(BENCH_ARGS)
	$(PY) -m benchmarks.api_calls --cli-loop --cli-targets 3 $(BENCH_ARGS)
	$(PY) -m benchmarks.api_calls --latency 30 --stack-seconds 180 --section api-calls-long $(BENCH_ARGS)

# Re-resolve the locks (needs the package index); commit both files.
lock: install
	$(VENV)/bin/uv pip compile --quiet --python-version 3.11.7 requirements.in -o requirements.txt
	$(VENV)/bin/uv pip compile --quiet --python-version 3.11.7 requirements-dev.in -o requirements-dev.txt

clean: down
	rm -rf .flightdeck
