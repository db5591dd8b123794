# Two commands on a fresh machine: `make run` (set up, load the demo, serve) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= deft_site.settings.dev

.PHONY: setup run test worker chromium clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

## make run: install, migrate, load the demo once, start a background worker and the web server.
run: setup
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py recover_jobs
	$(PY) manage.py load_demo
	@trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py db_worker --queue-name '*' --no-reload >var/worker.log 2>&1 & worker=$$!; \
	echo ""; \
	echo "  DEFT platform: http://$(HOST):$(PORT)/"; \
	$(PY) manage.py demo_logins; \
	echo "  Background worker log: var/worker.log (demo training runs in the background)"; \
	echo ""; \
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

## make worker: a background worker alone (the web server enqueues, this runs).
worker: setup
	$(PY) manage.py db_worker --queue-name '*'

## make test: install (and Debian's chromium for browser tests, when root), then the whole suite.
test: setup chromium
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
