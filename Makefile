# The two commands a newcomer needs: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
# The real Python worker's indexing code (azure-functions-runtime), for devhost's start check and
# tests/conformance only; never deployed (Azure brings its own worker). It declares Python >= 3.13
# and depends on azurefunctions-extensions-base, but its indexing runs on 3.11 without it: hence
# --no-deps --ignore-requires-python, into a git-ignored side folder instead of the venv.
WORKER_RUNTIME       := .worker-runtime
WORKER_RUNTIME_SPEC  ?= azure-functions-runtime>=1.3,<2
WORKER_RUNTIME_STAMP := $(WORKER_RUNTIME)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 7071
DATA   ?= .devhost
# Parallel workers for the test run (2 cores here); override with `make test PYTEST_WORKERS=0`.
PYTEST_WORKERS ?= 2

.PHONY: install run check test lint doctor unit bench bench-data load clean browser-deps browser screenshots

$(STAMP): requirements.txt requirements-dev.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# pip 23.2 (what python3 -m venv brings here) trips on the opentelemetry pins; upgrade first.
	$(PIP) install -q --disable-pip-version-check -U pip
	$(PIP) install -q --disable-pip-version-check -r requirements-dev.txt
	$(PIP) install -q --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

$(WORKER_RUNTIME_STAMP): $(STAMP)
	rm -rf $(WORKER_RUNTIME)
	$(PIP) install -q --disable-pip-version-check --no-deps --ignore-requires-python \
		--target $(WORKER_RUNTIME) "$(WORKER_RUNTIME_SPEC)"
	touch $(WORKER_RUNTIME_STAMP)

install: $(STAMP) $(WORKER_RUNTIME_STAMP)

local.settings.json:
	cp local.settings.sample.json local.settings.json

run: install local.settings.json
	$(PY) -m devhost start --host $(HOST) --port $(PORT) --data-dir $(DATA)

check: install
	$(PY) -m devhost check

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

doctor: install
	$(VENV)/bin/azure-functions-doctor doctor --path . --profile minimal

# The browser tests share one seeded devhost across the workers (tests/browser/shared_devhost.py).
test: install browser-deps
	$(MAKE) lint
	$(MAKE) doctor
	$(PY) -m tests.servers.run -- $(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider -q -rfE tests

# What the browser tests need besides pip packages: Debian's chromium (apt-get, as root) and
# axe-core (npm ci into .browser-tools/). Playwright's own browser download is never used.
browser-deps: $(STAMP)
	$(PY) -m tests.browser.deps

# Only the browser journeys (storefront and back office in headless Chromium).
browser: install browser-deps
	$(PY) -m pytest -p no:cacheprovider -q -rfE tests/browser

# PNGs of the main pages into docs/screenshots/ (a seeded devhost on a free port, headless Chromium).
screenshots: install browser-deps
	$(PY) -m tests.browser.screenshots

unit: install
	$(PY) -m pytest -q tests/unit

bench: install
	for b in bench/*_bench.py; do m=$$(basename $$b .py); echo "== $$m"; $(PY) -m bench.$$m || exit 1; done

# Load test against devhost on loopback (bench/load.py): 50 and 200 users, a minute each, then the
# consistency checks (orders final, stock adds up, no double capture). LOAD_ARGS to change it.
LOAD_ARGS ?= --users 50 200 --seconds 60
load: install
	$(PY) -m bench.load $(LOAD_ARGS)

# Dominick's orangeJuice panel for bench/forecast_bench.py: Debian's r-cran-bayesm, unpacked (no R).
bench-data: $(STAMP)
	$(PY) -c "from bench.forecast_data import fetch_orange_juice; print(fetch_orange_juice())"

clean:
	rm -rf $(DATA) .pytest_cache .mypy_cache .ruff_cache
