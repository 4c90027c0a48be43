# The two commands of the README, and what they need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: demo test setup venv lint bench load browser-deps

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"

# Installs the pinned dependencies whenever pyproject.toml or constraints.txt changed.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt --group dev
	touch $@

setup: $(VENV)/.installed

# 1. Run the app with demo data on the embedded default (SQLite, Celery eager).
demo: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# 2. Set up everything and run the whole test suite.
test: setup browser-deps
	$(BIN)/python manage.py check
	$(BIN)/pytest $(PYTEST_ARGS)

# Debian's Chromium and CJK fonts for the browser tests (Playwright's own download
# does not work on our intranet machines), and pango for the server's PDFs
# (WeasyPrint, summaries/pdf.py), which embed the same CJK font. Needs root and
# apt; skipped otherwise (the PDF tests then skip, the PDF view answers 503).
SYSTEM_DEPS := chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk" || \
	    ! ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y --no-install-recommends $(SYSTEM_DEPS) >/dev/null 2>&1 || \
	     (apt-get update >/dev/null && apt-get install -y --no-install-recommends $(SYSTEM_DEPS) >/dev/null)); \
	  else echo "Chromium, CJK fonts or pango are missing and cannot be installed here: browser and PDF tests will be skipped"; fi; \
	fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

# Every benchmark on PostgreSQL, one database per scale: S and L in full, M for the
# exports' memory; prints one table with targets and appends it to bench/results.md.
# BENCH_ARGS="--scale S" for one scale (bench/README.md).
bench: setup
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The load test (bench/README.md, Load): needs DATABASE_URL (PostgreSQL, a database
# of its own), REDIS_URL and CELERY_BROKER_URL; about 15 minutes.
load: setup
	$(BIN)/python -m bench.load $(LOAD_ARGS)
