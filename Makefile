# The README's commands. `make run` serves the service; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STANDIN_JAR := tools/mongo-standin/target/mongo-standin.jar
SECRET_FILE := var/secret_key
# A development secret kept under var/; production passes DJANGO_SECRET_KEY.
WITH_SECRET = DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat $(SECRET_FILE))}"
DEMO_CATEGORIES ?= 30
DEMO_PRODUCTS ?= 2000

.PHONY: setup system-deps run run-asgi test lint format stack-up stack-down check-compose bench-documents bench-serialization bench bench-quick

setup: system-deps $(VENV)/.installed $(STANDIN_JAR) $(SECRET_FILE)

system-deps:
	@bin/install-system-deps

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

$(STANDIN_JAR): tools/mongo-standin/pom.xml $(shell find tools/mongo-standin/src -name '*.java')
	cd tools/mongo-standin && mvn -q -B -DskipTests package

$(SECRET_FILE):
	mkdir -p var
	python3 -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

stack-up: setup
	bin/stack up

stack-down:
	bin/stack down

# Before serving, under either interface: migrations, document indexes, static files, demo data
# and, when DJANGO_SUPERUSER_USERNAME/PASSWORD are set, the superuser.
PREPARE = set -e; \
  $(PY) manage.py migrate --noinput; \
  $(PY) manage.py ensure_document_indexes; \
  $(PY) manage.py collectstatic --noinput -v0; \
  $(PY) manage.py seed_catalog --if-empty --categories $(DEMO_CATEGORIES) --products $(DEMO_PRODUCTS); \
  if [ -n "$${DJANGO_SUPERUSER_USERNAME:-}" ] && [ -n "$${DJANGO_SUPERUSER_PASSWORD:-}" ]; then \
    $(PY) manage.py ensure_superuser; fi

# Plain HTTP on loopback: no HTTPS redirect or Secure cookies unless DJANGO_HTTPS says otherwise.
run: setup
	$(WITH_SECRET) DJANGO_HTTPS="$${DJANGO_HTTPS:-false}" bin/with-stack bash -c '$(PREPARE); \
	  exec $(VENV)/bin/gunicorn -c config/gunicorn.conf.py catalog_service.wsgi'

# The same service under ASGI: gunicorn with uvicorn workers (config/gunicorn_asgi.conf.py).
run-asgi: setup
	$(WITH_SECRET) DJANGO_HTTPS="$${DJANGO_HTTPS:-false}" bin/with-stack bash -c '$(PREPARE); \
	  exec $(VENV)/bin/gunicorn -c config/gunicorn_asgi.conf.py catalog_service.asgi:application'

# The routing tests need two replicas; bin/with-stack keeps a stack the environment names.
test: setup
	STACK_REPLICAS=$${STACK_REPLICAS:-2} $(WITH_SECRET) bin/with-stack $(VENV)/bin/pytest $(PYTEST_ARGS)

# The listing variants side by side under Locust (loadtests/bench/); BENCH_ARGS adds options,
# e.g. BENCH_ARGS=--large for 1,000,000 products. The runner turns the HTTPS redirect and the
# API throttle off for its servers (load comes from one address over plain HTTP on loopback).

bench: setup
	$(WITH_SECRET) bin/with-stack $(PY) -m loadtests.bench $(BENCH_ARGS)

bench-quick: setup
	$(WITH_SECRET) bin/with-stack $(PY) -m loadtests.bench --quick $(BENCH_ARGS)

# Batched document loading against one find_one per instance, side by side (issue 4).
bench-documents: setup
	$(WITH_SECRET) bin/with-stack bash -c '$(PY) manage.py migrate --noinput -v0 && $(PY) -m loadtests.bench_documents'

# The listing's serialization path before (ModelSerializer, DRF's JSON) and after (dicts, orjson).
bench-serialization: setup
	$(WITH_SECRET) bin/with-stack bash -c '$(PY) manage.py migrate --noinput -v0 && $(PY) -m loadtests.bench_serialization'

# check_migrations_safe: the zero-downtime migration rules (docs/operations.md); it reads files, no server.
lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# The layering contracts in pyproject.toml's [tool.importlinter].
	$(VENV)/bin/lint-imports --no-cache
	DJANGO_SECRET_KEY=lint-only LOG_LEVEL=WARNING $(PY) manage.py check_migrations_safe

format:
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# config/env.example and docs/configuration.md, generated from catalog_service/environment.py
# (tests/test_environment.py fails when either differs from what it produces).
.PHONY: config-docs
config-docs:
	$(PY) -m catalog_service.environment_docs --write

check-compose:
	@# The secrets compose requires, as placeholders: the check reads the file, it starts nothing.
	DJANGO_SECRET_KEY=x POSTGRES_PASSWORD=x REPLICATION_PASSWORD=x REDIS_PASSWORD=x MONGO_PASSWORD=x \
	  docker-compose -f docker-compose.yml config -q
