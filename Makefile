# Circles — everyday commands. `make run` and `make test` set themselves up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test test-browser lint typecheck bench lock clean
.DEFAULT_GOAL := run

# The virtualenv is rebuilt when missing and refreshed whenever a lock file changes.
$(STAMP): requirements-dev.lock requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	touch $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py createcachetable
	$(PY) manage.py demo
	PORT=$(PORT) $(PY) manage.py serve

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo --no-cache
	$(VENV)/bin/mypy circles
	$(PY) -m pytest -m "not browser"

# Browser tests drive Debian's chromium (see bin/install-browser-deps); CI runs them.
test-browser: $(STAMP)
	bin/install-browser-deps
	$(PY) -m pytest -m browser

# ruff, then the stack of apps: each imports only those below it (pyproject.toml, docs/architecture.md).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo --no-cache

typecheck: $(STAMP)
	$(VENV)/bin/mypy circles

# The page benchmarks use a throwaway SQLite file; the ones that measure several processes at once need
# PostgreSQL: each creates its own throwaway database on this server and drops it (bench/README.md).
BENCH_POSTGRES ?= postgres://postgres@127.0.0.1:5432
bench: $(STAMP)
	$(PY) bench/network.py
	$(PY) bench/checkins.py
	$(PY) bench/sharing.py
	$(PY) bench/caseload.py
	$(PY) bench/alerts.py --database-url $(BENCH_POSTGRES)/circles_bench_alerts
	DATABASE_URL=$(BENCH_POSTGRES)/postgres $(PY) bench/rules.py --postgres-ok --sos
	$(PY) bench/checkin_throughput.py --database-url $(BENCH_POSTGRES)/postgres --postgres-ok

# Regenerate both hash-pinned lock files after editing pyproject.toml.
lock: $(STAMP)
	$(VENV)/bin/pip-compile -q --generate-hashes --strip-extras --allow-unsafe -o requirements.lock pyproject.toml
	$(VENV)/bin/pip-compile -q --generate-hashes --strip-extras --allow-unsafe --extra dev -o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
