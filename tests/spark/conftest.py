"""A local Spark session for the tests marked ``spark`` (``make test-spark``), one per run.

pyspark is not in the project's ``.venv`` (Great Expectations imports it whenever it is
installed, slowing every pipeline process); ``make test-spark`` installs it, with
dbt-spark, into ``.venv-spark`` and runs these tests there. The session is the one the dbt
``spark`` target (``session`` method) picks up in the same process, so the source tables
the tests register and the tables dbt builds live in one catalog: a Hive metastore (Derby)
and a warehouse folder under the test's temporary directory, deleted at the end.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The settings of the `spark` output of dbt_project/profiles.yml, so dbt's getOrCreate()
# finds a session configured as it would configure one itself.
SESSION_CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "2g",
    "spark.sql.shuffle.partitions": "2",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without pyspark (the project's .venv), deselect the Spark tests whatever ``-m`` says
    (``-m "not e2e"`` replaces the configured ``-m "not spark"``): they run in .venv-spark."""
    if importlib.util.find_spec("pyspark") is not None:
        return
    spark_items = [item for item in items if item.get_closest_marker("spark")]
    if spark_items:
        config.hook.pytest_deselected(items=spark_items)
        items[:] = [item for item in items if not item.get_closest_marker("spark")]


@pytest.fixture(scope="session")
def spark_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Spark warehouse folder (CRM_SPARK_WAREHOUSE for the dbt profile)."""
    return tmp_path_factory.mktemp("spark") / "warehouse"


@pytest.fixture(scope="session")
def spark(spark_warehouse: Path) -> Iterator[Any]:
    """A ``local[2]`` SparkSession with Hive support, its metastore beside the warehouse."""
    from pyspark.sql import SparkSession

    root = spark_warehouse.parent
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("crm-spark-parity")
        .config("spark.sql.warehouse.dir", str(spark_warehouse))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={root / 'metastore_db'};create=true",
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={root}")
    )
    for key, value in SESSION_CONFIG.items():
        builder = builder.config(key, value)
    session = builder.enableHiveSupport().getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
