# Levée — every target sets up what it needs; `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.lock
	$(PY) -m pip install -q --no-deps -e .
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned dependencies

# WeasyPrint (invoice duplicatas) renders through Pango; Debian's chromium brings it too.
pango:
	@if ! ldconfig -p | grep -q libpangoft2-1.0; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Pango for the PDF invoices (WeasyPrint)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; \
	  else \
	    echo "The PDF invoices need Pango: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core" >&2; exit 1; \
	  fi; \
	fi

setup: install pango ## Migrate the embedded database and load the demo data (idempotent)
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py createcachetable
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py demo_load

demo: setup ## Serve the portal with its demo data on http://127.0.0.1:$(PORT)
	@echo "Levée : http://127.0.0.1:$(PORT)/  (Ctrl+C pour arrêter ; emails dans var/mail/)"
	@# The periodic jobs (outbox, payments left waiting…) every minute, stopped with gunicorn.
	@# Tasks run in the request here (a billing run, a rôle with its PDFs): 180 s, not 30.
	@(while :; do $(PY) manage.py periodic >>var/periodic.log 2>&1; sleep 60; done) & loop=$$!; \
	trap 'kill $$loop 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/gunicorn levee.wsgi -b 127.0.0.1:$(PORT) --workers 2 --timeout 180 --access-logfile -

reset: ## Delete the embedded database, the mails and the uploads (start the tutorials over)
	rm -rf var/levee.sqlite3 var/levee.sqlite3-wal var/levee.sqlite3-shm var/mail var/media var/private
	@echo "Base de démonstration effacée : « make demo » la recrée."

chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	  else \
	    echo "The browser tests need Debian's 'chromium' package: sudo apt-get install chromium" >&2; exit 1; \
	  fi; \
	fi

# pytest-xdist workers: one per CPU; TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= auto

test: install pango chromium ## Run the whole suite but the long tests (DATABASE_URL selects PostgreSQL, default SQLite)
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not slow" $(PYTEST_ARGS)

test-fast: install pango ## Run the unit and view tests only (no browser, no long test)
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not browser and not slow" $(PYTEST_ARGS)

# The fault tests start PostgreSQL clusters of their own: they need its server's binaries.
PG_BIN := /usr/lib/postgresql/15/bin
postgresql-server:
	@if [ ! -x $(PG_BIN)/initdb ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing PostgreSQL 15's server for the fault tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null; \
	  else \
	    echo "The fault tests need PostgreSQL 15's server: sudo apt-get install postgresql-15" >&2; exit 1; \
	  fi; \
	fi

test-slow: install pango postgresql-server ## Run the long tests apart (the faults: PostgreSQL restarted, a worker killed…), minutes
	$(PY) -m pytest -n 0 -m slow $(PYTEST_ARGS)

lint: install ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## Format the code with ruff
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock: ## Re-pin the dependencies from pyproject.toml
	$(PY) -m piptools compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	$(PY) -m piptools compile -q --strip-extras --no-emit-index-url --no-emit-find-links --extra dev -o requirements-dev.lock pyproject.toml

.PHONY: help install pango setup demo reset chromium test test-fast postgresql-server test-slow lint format lock
