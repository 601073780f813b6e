# Two commands for a new machine (Debian, Python 3.11, Node.js 20.19+ with npm, no venv yet):
#   make demo   installs into .venv (and the demo FHIR server with npm ci), then serves the FHIR server with the
#               synthetic cohort and the service (gunicorn) on 127.0.0.1, and prints curls and a Sandbox URL
#   make test   installs .[test] into .venv and runs lint, format check, mypy --strict and the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
CDS_PORT ?= 8000

.PHONY: demo serve cohort docs i18n test lint typecheck pytest bench bench-latency bench-store fuzz soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

# The launcher runs `npm ci` in demo/fhir-server when node_modules is missing or stale, starts both servers,
# and stops them on Ctrl-C. FHIR_PORT (default 8090) and CDS_PORT (default 8000) pick the ports.
demo: $(STAMP)
	CDS_PORT=$(CDS_PORT) $(BIN)/python -m demo

# The service alone (no FHIR server), for the fixture requests under cards_fixtures/.
serve: $(STAMP)
	CDS_PORT=$(CDS_PORT) $(BIN)/python -m demo.serve

# Rewrite demo/cohort/, demo/cohort-manifest.json and the README's cohort table from stories/scenarios.py.
cohort: $(STAMP)
	$(BIN)/python -m demo.cohort

# Rewrite the services table of docs/services.md from hooks.REGISTRY (a test fails when it drifts).
docs: $(STAMP)
	$(BIN)/python -m scripts.services_doc

# Rewrite the .pot templates from the English catalogues (cards: catalogue_en.py; errors: service/errors.py) and
# merge them into every .po: new keys get an empty translation, changed English texts a fuzzy one (a test names each).
i18n: $(STAMP)
	$(BIN)/python -m scripts.i18n

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy service hooks fhir_maps demo stories scripts bench ln_testing

# pytest exits 5 when it collected nothing: report it as the failure it is.
pytest: $(STAMP)
	sh scripts/install-chromium.sh
	$(BIN)/python -m pytest --cov --cov-report=term; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

test: lint typecheck pytest

# The shipped gunicorn config under wrk (Debian package `wrk`, installed here when missing and we are root; without
# it the load figures are skipped, said so, and only the in-process floors run): framework floor, payloads A/B,
# scale series, fetch path; one table, JSON in bench/results/latest.json (docs/performance.md). ~4-5 min when quiet.
bench: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null 2>&1; } || \
	  echo "wrk is not installed (apt-get install wrk): load figures will be skipped"
	$(BIN)/python -m bench.run

# The older sequential-latency comparison (requests, one call at a time; gunicorn defaults, in process too).
bench-latency: $(STAMP)
	$(BIN)/python -m bench.latency

# The time storing a card issue and a feedback item adds to a call (p50/p99), on a throwaway SQLite file;
# DATABASE_URL=postgresql://... measures a PostgreSQL server instead (docs/database.md).
bench-store: $(STAMP)
	$(BIN)/python -m bench.store_overhead $(if $(DATABASE_URL),--database-url $(DATABASE_URL))

# At least 10,000 generated and mutated requests against the app in memory (`make test` runs a few thousand);
# prints the request count and the 5xx count.
fuzz: $(STAMP)
	CDS_FUZZ_PROFILE=full $(BIN)/python -m pytest -q -p no:cacheprovider tests/security/test_fuzz.py

# 60 s of the shipped gunicorn.conf.py under a fault mix (slow clients, hanging/dripping FHIR servers, malformed
# bodies, valid calls), all on 127.0.0.1 (not in `make test`); prints per class requests, 5xx, p50/p99, RSS, threads.
soak: $(STAMP)
	$(BIN)/python -m bench.soak --seconds 60 --concurrency 8

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .demo demo/fhir-server/node_modules
