# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench dagster-ui clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (found %s)" % sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/crm-pipeline demo

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python benchmarks/run_benchmark.py

dagster-ui: install
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/demo_warehouse/dagster} CRM_WAREHOUSE_DIR=$${CRM_WAREHOUSE_DIR:-$(CURDIR)/demo_warehouse} CRM_LANDING_DIR=$${CRM_LANDING_DIR:-$(CURDIR)/demo_landing} $(BIN)/dagster dev -m orchestration.definitions

clean:
	rm -rf $(VENV) demo_warehouse demo_landing dbt_project/target dbt_project/logs
