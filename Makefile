# Quick start: `make run` (embedded pilot at http://127.0.0.1:8000) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

# Tests run against real PostgreSQL and Redis (CI and this machine: loopback, trust auth).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
PROD_LIKE_ENV := DJANGO_ENV=production SECRET_KEY=check-only-$(shell printf 'x%.0s' {1..60}) \
	ALLOWED_HOSTS=soudan.example.jp CSRF_TRUSTED_ORIGINS=https://soudan.example.jp \
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL)

.PHONY: run test soak lint typecheck deploy-check check bench bench-quick messages lock clean

$(VENV)/.runtime: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $@

run: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@# The SLA worker and the background worker (housekeeping, retention) run beside the web server
	@# and stop with it.
	$(PY) manage.py run_sla_worker & sla=$$!; $(PY) manage.py background_worker & jobs=$$!; \
		trap "kill $$sla $$jobs 2>/dev/null" EXIT INT TERM; \
		$(PY) manage.py runserver 127.0.0.1:8000

test: $(VENV)/.dev
	scripts/ensure-services.sh
	DJANGO_ENV=test DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.dev
	DJANGO_ENV=test $(VENV)/bin/mypy .

deploy-check: $(VENV)/.runtime
	$(PROD_LIKE_ENV) $(PY) manage.py check --deploy --fail-level WARNING

check: lint typecheck deploy-check test

# Benchmarks (bench/run.py): full run under 10 minutes -> bench/RESULTS.md; quick smoke run for CI.
bench: $(VENV)/.dev
	scripts/ensure-services.sh
	$(PY) bench/run.py

bench-quick: $(VENV)/.dev
	scripts/ensure-services.sh
	$(PY) bench/run.py --quick

# The minutes-long tests (docs/security.md): the `soak`-marked ones and the API fuzzer with 300 examples.
soak: $(VENV)/.dev
	scripts/ensure-services.sh
	SOAK=1 API_FUZZ_EXAMPLES=300 DJANGO_ENV=test DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(PY) -m pytest tests/security/test_soak.py tests/security/test_fuzz_api.py $(PYTEST_ARGS)

messages: $(VENV)/.dev
	$(PY) scripts/compile_messages.py

lock:
	rm -rf /tmp/soudan-lock && $(PYTHON) -m venv /tmp/soudan-lock
	$(PYTHON) scripts/write_locks.py /tmp/soudan-lock

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
