# Sportello: the only entry points people need.
PYTHON     ?= python3
UV_VERSION := 0.9.30
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
VENV       := .venv
PY         := $(VENV)/bin/python
STAMP      := $(VENV)/.installed-$(shell cat requirements.lock package-lock.json | cksum | cut -d' ' -f1)

# Compiled modules cached in the clone's .pycache/, never beside the sources. Where
# PYTHONDONTWRITEBYTECODE is set (this machine) a fresh venv holds no bytecode, and every Python
# process (pytest and its workers, each service of every stack the suite starts) compiled all it
# imports again: 2.2 s of CPU for a service's imports instead of 0.9 (issue 24).
export PYTHONPYCACHEPREFIX := $(CURDIR)/.pycache
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast test-unit test-integration test-e2e test-faults lint fmt lock clean contract

help:
	@echo "make run     the whole system on the embedded default (NATS from the wheel, SQLite, mail sink)"
	@echo "make test    the full suite against real NATS, PostgreSQL and Chromium (parallel)"
	@echo "make test-fast  the unit tier, in memory (the inner loop; add PYTEST_ARGS=--lf)"
	@echo "make test-faults  the fault scenarios alone (outages, SIGKILLs, full disks)"
	@echo "make lint    ruff, mypy --strict and the import boundaries (import-linter)"
	@echo "make lock    re-resolve requirements.lock after changing a pyproject.toml"
	@echo "make contract  regenerate the published JSON Schemas and AsyncAPI (contracts/src/sportello_contracts/published/)"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(STAMP): $(UV) requirements.lock
	test -x $(PY) || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(PY) requirements.lock
	npm ci --silent --no-audit --no-fund
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)
	@test -d node_modules/bootstrap-italia || npm ci --silent --no-audit --no-fund  # wiped by hand

run: install
	$(VENV)/bin/sportello-dev run

# Parallel workers (pytest-xdist): each has its own nats-server (an account per test) and the
# tests their own schemas, ports and mail stores. A module's tests stay on one worker (its
# module-scoped stack starts once). Cheap tiers are collected first, so failures show early.
TEST_WORKERS ?= 4
XDIST        := -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

# What measures time (the fault scenarios, notify's kill test, the SLA breach timing) runs after
# the parallel part, alone on the machine: their bounds (re-election within 10 s, answers within
# STORE_WAIT_S + 1 s) are about the system, not about four other workers beside them.
# bench-quick runs in the parallel part: it checks that every figure is measured and plausible,
# it judges none of them (`make bench` on a quiet machine does).
SERIAL := tests/faults tests/e2e/test_notify_faults.py tests/e2e/test_sla_journey.py

# The slowest tests of each part are listed at its end (where the suite's time goes: issue 24).
DURATIONS := --durations=25 --durations-min=5

test: install chromium pdf-tools promtool
	$(PY) -m pytest $(XDIST) $(DURATIONS) $(SERIAL:%=--ignore=%) $(PYTEST_ARGS); parallel=$$?; \
	$(PY) -m pytest $(DURATIONS) $(SERIAL) $(PYTEST_ARGS); serial=$$?; \
	test $$parallel -eq 0 && test $$serial -eq 0

test-fast: install
	$(PY) -m pytest -n 2 shared/tests/unit services/*/tests/unit $(PYTEST_ARGS)

test-unit: install
	$(PY) -m pytest -m "not e2e" shared/tests/unit services/*/tests/unit $(PYTEST_ARGS)

test-integration: install
	$(PY) -m pytest shared/tests/integration services/*/tests/integration $(PYTEST_ARGS)

test-e2e: install
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

# The fault scenarios alone (SIGKILLs, NATS and PostgreSQL outages, full disks): docs/reliability.md
test-faults: install
	$(PY) -m pytest tests/faults $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy -p sportello_contracts -p sportello_shared -p sportello_devstack -p sportello_intake -p sportello_routing -p sportello_sla -p sportello_notify -p sportello_web -p sportello_console -p sportello_public -p bench

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Regenerates the published contract (JSON Schemas, AsyncAPI) from the pydantic models, into the
# sportello-contracts package (what partners install alone: pip install ./contracts).
PUBLISHED := contracts/src/sportello_contracts/published
contract: install
	$(PY) -m sportello_contracts.publication
	node tests/contract/validate_asyncapi.mjs $(PUBLISHED)/asyncapi.yaml

# Resolves the workspace and writes the one lock file (hashes, no download addresses).
lock: $(UV)
	$(UV) lock --quiet
	$(UV) export --quiet --frozen --all-groups --format requirements-txt -o requirements.lock
	rm -f uv.lock

clean:
	rm -rf .data $(VENV) $(TOOLS)

.PHONY: bench bench-quick
# Benchmarks with their same-run baselines: a table, and bench/results/latest.json.
bench: install
	$(PY) -m bench

# Reduced sizes (< 2 min): checks that every benchmark works, not the figures. CI runs it.
bench-quick: install
	$(PY) -m bench --quick

.PHONY: token
# A bearer token from make run's local issuer: make -s token ROLE=office TENANT=pisa ORG=pisamo
token: install
	@$(VENV)/bin/sportello-dev token --role $(ROLE) $(if $(TENANT),--tenant $(TENANT)) $(if $(ORG),--organization $(ORG))

# Credentials (under .data/, never committed) and durable consumer for one partner or platform
# listed in deploy/nats/partners.yaml: make partner NAME=pisamo [TENANT=pisa]
.PHONY: partner
partner: install
	@test -n "$(NAME)" || { echo "usage: make partner NAME=<partner> [TENANT=<tenant>]"; exit 2; }
	$(VENV)/bin/sportello-dev partner $(NAME) --tenant $(or $(TENANT),pisa)

.PHONY: open311-key
# The demo Open311 API key of one tenant, made at first run: make -s open311-key TENANT=torino
open311-key: install
	@$(PY) -m sportello_devstack.open311_keys $(TENANT)

# The production topology on one machine, no Docker: 3 NATS nodes (deploy/nats/cluster), the
# services on PostgreSQL (DATABASE_URL), 2 replicas of each. Runs detached; cluster-down stops it.
.PHONY: cluster cluster-down test-faults
cluster: install
	$(VENV)/bin/sportello-dev cluster

cluster-down: install
	$(VENV)/bin/sportello-dev cluster-down

.PHONY: chromium
# Debian's Chromium for the console's browser tests (Playwright drives it; no browser download).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }

.PHONY: promtool
# Prometheus's promtool checks and unit-tests the alerts (deploy/prometheus, tests/ops); Debian's
# prometheus package brings it (its server is not started).
promtool:
	@command -v promtool >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus; }

.PHONY: pdf-tools
# What sla-svc's PDF report needs from Debian: Pango and a font for WeasyPrint, pdftotext to test it.
pdf-tools:
	@command -v pdftotext >/dev/null && ldconfig -p | grep -q libpangoft2-1.0.so.0 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; }
