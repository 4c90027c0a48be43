# The two commands of the README, and what they need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: demo test setup venv lint bench browser-deps

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
# does not work on our intranet machines). Needs root and apt; skipped otherwise.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y --no-install-recommends chromium fonts-noto-cjk >/dev/null 2>&1 || \
	     (apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium fonts-noto-cjk >/dev/null)); \
	  else echo "Chromium is missing and cannot be installed here: browser tests will be skipped"; fi; \
	fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: setup
	$(BIN)/python -m bench.run $(BENCH_ARGS)
