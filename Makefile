# The two commands that matter: `make run` and `make test`. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: run test test-fast test-deal-long lint format bench install install-browser migrate seed sandbox clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@[ -x $(PY) ] || { PYBOOT=$$(scripts/find-python) && $$PYBOOT -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed

## run: web :8000, Celery worker + beat, TikTok sandbox :8001, with demo data (SQLite by default)
run: export DJANGO_ENV ?= dev
run: export DJANGO_DEBUG ?= true
run: export TIKTOK_SANDBOX ?= true
run: export PATH := $(abspath $(BIN)):$(PATH)
run: install
	@$(PY) manage.py ensure_redis --install
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py seed_demo
	@echo ""
	@echo "  aspire_tiktok      http://127.0.0.1:8000   (Django admin: /admin/)"
	@echo "  Outbox (sent mail) http://127.0.0.1:8000/staff/outbox/   (sign in as staff)"
	@echo "  TikTok sandbox     http://127.0.0.1:8001   (control page: /sandbox/control/)"
	@echo "  Demo logins (password demo-pass): brand@demo.test  creator@demo.test  member@demo.test  staff@demo.test"
	@echo "  Stop with Ctrl-C."
	@echo ""
	@$(BIN)/honcho start -f Procfile

## test: ruff (lint + format check), mypy and the whole pytest suite
test: export DJANGO_ENV = test
test: export PATH := $(abspath $(BIN)):$(PATH)
test: install
	@$(PY) manage.py ensure_redis --install
	@# Browser journeys need Debian's Chromium (never a Playwright download); without root they skip.
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium chromium-driver); } || echo "chromium missing (not root): browser tests will skip"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
ifeq ($(strip $(PYTEST_ARGS)),)
	@# The unit tests in two pytest-xdist workers (each its own test database and Redis database),
	@# then what starts real processes (sandbox, worker, browser) one at a time, as they share ports and CPU.
	$(BIN)/pytest -q -n 2 -m "not integration and not worker and not browser"
	@# The claims' SQL differs per database and `make run` uses SQLite: run them on SQLite too.
	env -u DATABASE_URL $(BIN)/pytest -q tests/foundation/test_polling.py tests/creators/test_batching.py tests/creators/test_cheap_poll.py
	$(BIN)/pytest -q -m "integration or worker or browser"
else
	$(BIN)/pytest $(PYTEST_ARGS)
endif

## test-fast: ruff (lint + format check), mypy and the unit tests (no live sandbox, worker or browser),
## in two pytest-xdist workers (each with its own test database and Redis database)
test-fast: export DJANGO_ENV = test
test-fast: export PATH := $(abspath $(BIN)):$(PATH)
test-fast: install
	@$(PY) manage.py ensure_redis --install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -n 2 -m "not integration and not worker and not browser" $(PYTEST_ARGS)

## test-deal-long: the model of the deal against the live sandbox, 250 examples of up to 50 steps: Hypothesis
## ends some examples early, so this is about 10,500 steps (the test prints how many it checked)
test-deal-long: export DJANGO_ENV = test
test-deal-long: export DEAL_MODEL_EXAMPLES = 250
test-deal-long: export DEAL_MODEL_STEPS = 50
test-deal-long: install
	$(BIN)/pytest -q tests/sparkads/test_deal_model.py $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: benchmarks, written to docs/benchmarks.md
bench: export DJANGO_ENV = test
bench: install
	@$(PY) manage.py ensure_redis --install
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) db.sqlite3* sandbox.sqlite3* staticfiles .run
