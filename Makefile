# Two commands matter: `make demo` and `make test`. Each builds .venv by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m aa_otel_analytics demo

test: $(STAMP) lint
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not e2e and not slow"

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check aa_otel_analytics tests bench collector-config
	$(BIN)/ruff format --check aa_otel_analytics tests bench collector-config

format: $(STAMP)
	$(BIN)/ruff format aa_otel_analytics tests bench collector-config
	$(BIN)/ruff check --fix aa_otel_analytics tests bench collector-config

clean:
	rm -rf $(VENV) .venv-aa .pytest_cache .ruff_cache .hypothesis
