# Export Hub: `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.installed-test-stamp
DEV_ENV := var/dev.env

.PHONY: run test lint bench clean

# The service and the demo extra (emulators) for `make run`; the test extra
# (which includes demo) for `make test`, `make lint` and `make bench`.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[demo]'
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

$(DEV_ENV): | $(STAMP)
	mkdir -p var
	$(BIN)/python -m export_hub.devkeys > $(DEV_ENV).tmp && mv $(DEV_ENV).tmp $(DEV_ENV)

## Create .venv, install, migrate var/export_hub.sqlite3, load demo data, serve :8080
## with the Amazon and eBay emulators running in-process (ports 8091, 8092).
run: $(STAMP) $(DEV_ENV)
	set -a && . ./$(DEV_ENV) && set +a && \
	EXPORT_HUB_EMULATORS__ENABLED=$${EXPORT_HUB_EMULATORS__ENABLED:-true} $(BIN)/export-hub demo

## Create/update .venv and run the whole test suite.
test: $(TEST_STAMP)
	$(BIN)/python -m pytest

## ruff, mypy --strict and the import rules of .importlinter.
lint: $(TEST_STAMP)
	$(BIN)/ruff check export_hub connectors jobs emulators tests bench
	$(BIN)/mypy export_hub connectors jobs emulators
	$(BIN)/lint-imports

## Run every benchmark (each prints one JSON line last).
bench: $(TEST_STAMP)
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache
