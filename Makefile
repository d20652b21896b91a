# Một Cửa portal — the commands a newcomer needs. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages: to run, venv and WeasyPrint's text stack (PDF slips); to test, also
# gettext (extracting translations), chromium (browser journeys), poppler-utils (reading PDFs).
RUN_PACKAGES := python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
TEST_PACKAGES := $(RUN_PACKAGES) gettext chromium poppler-utils
SYSTEM_PACKAGES ?= $(TEST_PACKAGES)

.PHONY: help system-deps venv run serve test test-sqlite test-postgres lint bench messages check-messages clean

help:
	@echo "make run        install, migrate, load the demo, start web server + queue worker"
	@echo "make test       the whole test suite (PostgreSQL when DATABASE_URL is set)"
	@echo "make lint       ruff, migrations check, translations check"
	@echo "make bench      benchmarks in tests/perf (needs PostgreSQL)"
	@echo "make messages   extract and compile translations (locale/vi)"

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

venv: system-deps $(VENV)/.installed

# The web server and the queue worker share one cache in the database (calendar version,
# lookup throttle), so both see an editor's calendar change at once.
run serve: export CACHE_BACKEND ?= database
# The QR codes and links on the slips point where this server answers (make run PORT=8080).
run serve: export SITE_URL ?= http://$(HOST):$(PORT)
# Result documents are signed with the demo certificates `make_demo_signing_certs` makes (names
# marked "DEMO — không có giá trị pháp lý"), and /xac-thuc/ trusts their demo root.
run serve: export SIGNING_PKCS12_PASSWORD ?= motcua-demo
run serve: export SIGNING_TRUST_ROOTS ?= var/signing/demo-root.pem

run: SYSTEM_PACKAGES = $(RUN_PACKAGES)
run: venv
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py createcachetable
	DEBUG=1 $(PY) manage.py seed_calendar
	DEBUG=1 $(PY) manage.py setup_schedules
	DEBUG=1 $(PY) manage.py load_demo
	DEBUG=1 $(PY) manage.py make_demo_signing_certs
	DEBUG=1 $(PY) manage.py generate_dossiers --count 400 --years 0.25 --if-empty
	@$(MAKE) --no-print-directory serve

# Web server and queue worker together; Ctrl-C (or either one ending) stops both. The worker
# runs in its own process group: asked to stop, it finishes the task at hand, and whatever is
# left of the group after STOP_SECONDS is killed (a killed task runs again, tasks are idempotent).
STOP_SECONDS ?= 5
serve:
	@echo ""
	@echo "  Cổng Một cửa: http://$(HOST):$(PORT)/   (quản trị: http://$(HOST):$(PORT)/quan-tri/)"
	@echo "  Demo logins are listed above (password: motcua2026). Ctrl-C stops the portal."
	@echo ""
	@DEBUG=1 setsid $(PY) manage.py qcluster & queue=$$!; \
	DEBUG=1 $(PY) manage.py runserver --noreload $(HOST):$(PORT) & web=$$!; \
	stop() { \
		trap '' INT TERM; \
		kill -TERM $$web $$queue 2>/dev/null; \
		for _ in $$(seq $$(( $(STOP_SECONDS) * 10 ))); do \
			kill -0 -- -$$queue 2>/dev/null || kill -0 $$web 2>/dev/null || break; sleep 0.1; \
		done; \
		kill -KILL -- -$$queue 2>/dev/null; kill -KILL $$web 2>/dev/null; \
		wait; echo "  Stopped."; \
	}; \
	trap 'stop; exit 0' INT TERM; \
	wait -n; stop

test: venv
	DEBUG=1 $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m portal.messages check
	DEBUG=1 $(PY) -m pytest tests/intake/test_architecture.py -q -p no:cacheprovider

bench: venv
	DEBUG=1 $(PY) tests/perf/bench_catalogue.py
	DEBUG=1 $(PY) tests/perf/bench_deadlines.py
	DEBUG=1 $(PY) tests/perf/bench_counter.py
	DEBUG=1 $(PY) tests/perf/bench_processing.py
	DEBUG=1 $(PY) tests/perf/bench_watch.py
	DEBUG=1 $(PY) tests/perf/bench_statistics.py
	DEBUG=1 $(PY) tests/perf/bench_signing.py
	$(PY) tests/perf/bench_national.py
	DEBUG=1 $(PY) tests/perf/bench_scans.py
	DEBUG=1 $(PY) tests/perf/bench_online.py
	DEBUG=1 $(PY) tests/perf/bench_payments.py
	DEBUG=1 $(PY) tests/perf/bench_petitions.py
	DEBUG=1 $(PY) tests/perf/bench_scorecard.py

# Extract msgids (needs gettext's xgettext), then compile the .mo with polib (no msgfmt needed).
messages: venv
	DEBUG=1 $(PY) manage.py makemessages -l vi --no-obsolete --no-location --ignore=.venv --ignore=staticfiles
	$(PY) -m portal.messages compile

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
