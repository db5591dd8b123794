# Two commands on a fresh machine: `make run` (set up, load the demo, serve) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= deft_site.settings.dev

.PHONY: setup run prod test lint worker worker-gpu chromium clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

## make run: install, migrate, load the demo once, start two background workers (interactive, long) and the web server.
run: setup
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py recover_jobs
	$(PY) manage.py load_demo
	@trap 'kill $$short $$long 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py jobs_worker --queue interactive --tag interactive >var/worker-interactive.log 2>&1 & short=$$!; \
	$(PY) manage.py jobs_worker --queue long --tag long >var/worker-long.log 2>&1 & long=$$!; \
	echo ""; \
	echo "  DEFT platform: http://$(HOST):$(PORT)/"; \
	$(PY) manage.py demo_logins; \
	echo "  Workers: interactive (imports, scoring) and long (selection, training); logs var/worker-*.log"; \
	echo ""; \
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

## make prod: the production stack on this machine: gunicorn (deft_site/gunicorn.conf.py) with WhiteNoise, PostgreSQL
## (DATABASE_URL) and RQ workers on Redis (REDIS_URL) for the interactive and long queues (GPU_WORKER=1 adds one for
## gpu). Plain HTTP on $(HOST), so secure cookies and the HTTPS redirect are off here; see docs/deploy.md.
PROD_ENV = DJANGO_SETTINGS_MODULE=deft_site.settings.prod \
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/deft}" \
	REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:6379/0}" TASKS_BACKEND="$${TASKS_BACKEND:-rq}" \
	SECRET_KEY="$${SECRET_KEY:-$$(cat var/secret_key)}" SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 \
	CSRF_COOKIE_SECURE=0 SECURE_HSTS_SECONDS=0 HOST=$(HOST) PORT=$(PORT)
RQWORKER = $(PY) manage.py rqworker --job-class django_tasks_rq.Job --with-scheduler
prod: setup
	@mkdir -p var/prod
	@test -s var/secret_key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" >var/secret_key
	@$(PROD_ENV) $(PY) -m deft_site.preflight
	@$(PROD_ENV) $(PY) manage.py migrate --noinput
	@$(PROD_ENV) $(PY) manage.py collectstatic --noinput -v 0
	@if [ -n "$(DEMO)" ]; then $(PROD_ENV) $(PY) manage.py load_demo; fi
	@trap 'kill $$interactive $$long $$gpu 2>/dev/null' EXIT INT TERM; \
	$(PROD_ENV) $(RQWORKER) interactive default >var/prod/worker-interactive.log 2>&1 & interactive=$$!; \
	$(PROD_ENV) $(RQWORKER) long >var/prod/worker-long.log 2>&1 & long=$$!; \
	if [ -n "$(GPU_WORKER)" ]; then $(PROD_ENV) $(RQWORKER) gpu >var/prod/worker-gpu.log 2>&1 & gpu=$$!; fi; \
	echo ""; echo "  DEFT platform (production stack): http://$(HOST):$(PORT)/"; \
	echo "  RQ workers: interactive+default, long$${GPU_WORKER:+, gpu} (logs in var/prod/)"; echo ""; \
	$(PROD_ENV) $(VENV)/bin/gunicorn -c deft_site/gunicorn.conf.py --pid var/prod/gunicorn.pid deft_site.wsgi

## make worker: a background worker alone for QUEUES (default interactive,long; the web server enqueues, this runs).
QUEUES ?= interactive,long
worker: setup
	$(PY) manage.py jobs_worker --queue $(QUEUES)

## make worker-gpu: a worker that takes GPU training (jobs queued with `train --gpu` or DEFT_TRAINING_QUEUE=gpu).
worker-gpu: setup
	$(PY) manage.py jobs_worker --queue gpu --tag gpu

## make lint: ruff (rules in pyproject.toml) and the import-linter contracts (the layers' allowed arrows).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

## make test: install (and Debian's chromium for browser tests, when root), lint, then the whole suite.
test: setup chromium lint
	$(PY) -m pytest

chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: browser tests will skip"; \
	  else echo "chromium is not installed and this user cannot install it: browser tests will skip"; fi; \
	fi

clean:
	rm -rf $(VENV) var
