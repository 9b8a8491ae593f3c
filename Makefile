# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-spark lint bench dagster-ui clean

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
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# The Spark parity test (docs/scaling.md, "Spark") in its own virtual environment: the
# project plus dbt-spark and pyspark (constraints-spark.txt), which must stay out of .venv.
SPARK_VENV ?= .venv-spark
SPARK_BIN := $(SPARK_VENV)/bin
SPARK_STAMP := $(SPARK_VENV)/.installed

$(SPARK_STAMP): pyproject.toml constraints.txt constraints-spark.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (found %s)" % sys.version.split()[0])'
	test -x $(SPARK_BIN)/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_BIN)/python -m pip install --quiet --upgrade pip
	$(SPARK_BIN)/python -m pip install --quiet -c constraints.txt -c constraints-spark.txt \
		-e '.[dev]' 'dbt-spark[session]'
	touch $(SPARK_STAMP)

test-spark: $(SPARK_STAMP)
	$(SPARK_BIN)/python -m pytest -m spark tests/spark

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check .

BENCH_SIZES ?= 10000 100000

bench: install
	$(BIN)/python benchmarks/run_benchmark.py --sizes $(BENCH_SIZES)

# The Dagster UI on http://127.0.0.1:3000, on the demo's folders unless set otherwise.
UI_WAREHOUSE ?= $(CURDIR)/demo_warehouse
UI_LANDING ?= $(CURDIR)/demo_landing
UI_DAGSTER_HOME ?= $(UI_WAREHOUSE)/dagster

dagster-ui: install
	$(BIN)/python -c 'import sys; from pathlib import Path; from crm_pipeline.runner import write_instance_config; write_instance_config(Path(sys.argv[1]))' '$(UI_DAGSTER_HOME)'
	DAGSTER_HOME='$(UI_DAGSTER_HOME)' CRM_WAREHOUSE_DIR='$(UI_WAREHOUSE)' CRM_LANDING_DIR='$(UI_LANDING)' VIRTUAL_ENV='$(CURDIR)/$(VENV)' $(BIN)/dg dev --port 3000

clean:
	rm -rf $(VENV) $(SPARK_VENV) demo_warehouse demo_landing demo_landing_export dbt_project/target dbt_project/logs
