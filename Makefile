# Two commands for a fresh machine with python3 (3.11+) and make:  make run  |  make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# Local development reads the git-ignored .env that `make setup` writes (DEBUG on, its own secret key);
# production sets its own environment and never has that file.

.PHONY: setup venv run test test-fast lint format worker screen-examples bench bench-engine bench-clean clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

## setup: venv, dependencies, a local .env, migrations, default fixtures (idempotent)
setup: venv .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_defaults

.env:
	$(BIN)/python scripts/make_env.py $@

## run: setup, demo data and demo accounts, then serve http://127.0.0.1:8000
run: setup
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py create_demo_accounts
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## test: the whole suite (set DATABASE_URL / CELERY_BROKER_URL / REQUIRE_SERVICES=1 for the real services),
## in TEST_WORKERS processes (pytest-xdist; each has its own test database, Celery queue and browser)
TEST_WORKERS ?= 2
test: venv
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=15

## test-fast: everything but the browser and real-service tests
test-fast: venv
	$(BIN)/python -m pytest -m "not browser and not services"

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## worker: a Celery worker (needs CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0)
worker: venv
	$(BIN)/celery -A config worker --beat --schedule /tmp/preinfusion-celerybeat --loglevel=info

## screen-examples: screen every intake in examples/ and compare with examples/expected.json (fails on a mismatch)
screen-examples: setup
	$(BIN)/python manage.py screen_examples

## bench: pages under gunicorn on PostgreSQL (100,000 synthetic patients, built once, reused), as ratios
## to the floor, plus engine, impact preview and PDF; writes bench-results.json (docs/performance.md).
## Quick run: make bench BENCH_PATIENTS=5000 BENCH_USERS=1,5 BENCH_SECONDS=5
BENCH_PATIENTS ?= 100000
BENCH_USERS ?= 1,5,20
BENCH_SECONDS ?= 10
bench: venv
	$(BIN)/python scripts/bench.py --patients $(BENCH_PATIENTS) --users $(BENCH_USERS) --seconds $(BENCH_SECONDS)

## bench-engine: the quick engine benchmark and the in-process page timings (SQLite, no server)
bench-engine: venv
	$(BIN)/python scripts/bench_engine.py
	env -u DJANGO_DEBUG $(BIN)/python scripts/bench_pages.py

## bench-clean: drop the bench databases (preinfusion_bench, preinfusion_bench_<n>)
bench-clean: venv
	$(BIN)/python scripts/bench.py --drop

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles media  # .env is kept: it holds your local secret key
