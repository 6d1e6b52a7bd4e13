# Dure — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Tests run on every core (pytest-xdist; each worker has its own test database), handed out
# one at a time: xdist's default chunks gave one worker all the long browser tests at the end
# while the other sat idle for minutes. (Work stealing would balance too, but could run a test
# that needs the demo data after a transactional test emptied that worker's database.)
# `make test PYTEST_ARGS="tests/desk -x"` runs a part serially.
PYTEST_ARGS ?= -n auto --maxschedchunk 1
HOST ?= 127.0.0.1

.PHONY: run test setup db browser-deps lint typecheck check-migrations test-postgres clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required"'
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3-venv is missing; installing it with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && \
	  $(PYTHON) -m venv $(VENV); }

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python -q -r requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python -q --no-deps -e .
	@touch $@

setup: $(VENV)/.installed

db: setup
	$(BIN)/dure migrate --noinput -v 0
	$(BIN)/dure load-reference
	$(BIN)/dure load-demo
	$(BIN)/dure techbank-embed   # search vectors of the demo technologies (semantic ranking)

run: db
	@echo
	@echo "  Dure is starting on http://$(HOST):$(PORT)/"
	@echo "  Demo accounts (password: dure-demo-2026):"
	@echo "    admin (platform admin), center (support-centre staff), researcher (KITECH),"
	@echo "    sme (SME representative), coop (chair of 세리오협동조합), member (member of 세리오협동조합),"
	@echo "    supplier, seller, creator (marketplace roles)"
	@echo
	$(BIN)/dure runserver $(HOST):$(PORT)

# Browser tests need Debian's chromium; install it when we can (root + apt), else they are
# skipped with one line saying so.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	    || echo "could not install chromium: browser tests will be skipped"; \
	fi

test: setup browser-deps
	$(BIN)/pytest $(PYTEST_ARGS)

# The suite's database-dependent part on PostgreSQL (after `make test` has run all of it on
# SQLite); `DATABASE_URL=postgres://… make test` runs all of it there.
test-postgres: setup
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest $(PYTEST_ARGS) --database-dependent-only

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy src/dure/*/services.py src/dure/*/selectors.py src/dure/*/access.py src/dure/core/audit.py src/dure/core/backup.py src/dure/core/pagecache.py src/dure/core/idempotency.py src/dure/core/validation.py

check-migrations: setup
	$(BIN)/dure makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var
