# Ledgerline: `make run` (local stack with demo data), `make test` (the whole suite) and
# `make fuzz` (schemathesis over the OpenAPI document against a fresh PostgreSQL database).
# Without DATABASE_URL / REDIS_URL: SQLite in var/ and kombu's filesystem broker in var/broker.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Touched after a successful install; newer than pyproject.toml means nothing to do.
STAMP := $(VENV)/.ledgerline-installed

# Seconds schemathesis spends generating requests (its fuzzing and stateful phases repeat).
FUZZ_BUDGET ?= 600

.PHONY: install run test fuzz

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py runstack --demo

test: install
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "chromium is missing (browser tests need it): apt-get install -y chromium" >&2; \
		fi; \
	fi
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest

fuzz: install
	$(PY) bench/fuzz.py --seconds $(FUZZ_BUDGET)
