# Two commands for a new machine (Debian, Python 3.11, no venv yet):
#   make demo   installs into .venv and serves the service on its built-in demo patient (gunicorn, 127.0.0.1)
#   make test   installs .[test] into .venv and runs lint, format check, mypy --strict and the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
CDS_PORT ?= 8000

.PHONY: demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	CDS_PORT=$(CDS_PORT) $(BIN)/python -m service.demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy service hooks fhir_maps

# pytest exits 5 when it collected nothing: report it as the failure it is.
pytest: $(STAMP)
	$(BIN)/python -m pytest --cov --cov-report=term; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench.latency

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
