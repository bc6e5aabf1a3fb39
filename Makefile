# Clientela: `make run` serves the demo, `make test` runs the whole suite. Nothing else is needed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE := config.settings
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# The suite runs in one pytest process per CPU (pytest-xdist), each with its own test database.
TEST_WORKERS ?= auto

.PHONY: run test lint format messages venv clean-db bench

venv: $(STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Clientela needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/clientela compile_catalogs --verbosity 0
	$(BIN)/clientela migrate --noinput
	$(BIN)/clientela bootstrap
	$(BIN)/clientela serve 127.0.0.1:8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy clientela/core clientela/accounts clientela/parties/services.py clientela/parties/selectors.py clientela/parties/validation.py clientela/parties/normalize.py clientela/parties/search.py clientela/parties/links.py clientela/interactions/services.py clientela/interactions/selectors.py clientela/interactions/stats.py clientela/interactions/payloads.py clientela/imports/pipeline.py clientela/imports/jobs.py clientela/imports/party_rows.py clientela/imports/party_bulk.py clientela/imports/interaction_rows.py clientela/imports/undo.py clientela/imports/readers.py clientela/imports/readers_xlsx.py clientela/imports/mapping.py clientela/imports/values.py clientela/imports/names.py clientela/imports/suggest.py clientela/imports/fields.py clientela/imports/exports.py clientela/imports/prepare.py clientela/identity/matching clientela/identity/services.py clientela/identity/references.py clientela/identity/resolution.py clientela/identity/selectors.py clientela/identity/tasks.py clientela/identity/keys.py clientela/identity/check.py clientela/imports/duplicates.py clientela/parties/changed.py clientela/sales/services.py clientela/sales/selectors.py clientela/sales/config.py clientela/sales/leads.py clientela/sales/totals.py clientela/sales/forecast.py clientela/products/services.py clientela/products/selectors.py clientela/orders/services clientela/orders/selectors.py clientela/activities/services.py clientela/activities/selectors.py clientela/integrations/services.py clientela/integrations/selectors.py clientela/integrations/webhooks.py clientela/integrations/erp.py clientela/segments/services.py clientela/segments/selectors.py clientela/segments/evaluation.py clientela/segments/rules clientela/analytics/services.py clientela/analytics/selectors.py clientela/analytics/scores.py clientela/analytics/ledger.py clientela/analytics/tasks.py clientela/analytics/clv clientela/analytics/warehouse.py

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(STAMP)
	$(BIN)/clientela makemessages -l es -l en --no-location --ignore '.venv/*' --ignore 'var/*' --ignore 'bench/*'
	$(BIN)/clientela compile_catalogs

# Browser tests drive Debian's Chromium; install it when missing and we are allowed to.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: browser tests will be skipped"; }

test: $(STAMP) chromium lint
	$(BIN)/clientela compile_catalogs --verbosity 0
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/demo.py
