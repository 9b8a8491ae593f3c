"""Spec operations.md, "Scaling out": the same dbt project builds on Spark by switching the
target, with the same results as on DuckDB (docs/scaling.md, "Spark").

Each hand-made landing folder of the end-to-end tests (whose DuckDB results those tests
check against hand-derived values) is built by ``crm-pipeline build`` on DuckDB; its
``raw`` and ``data_quality`` tables are exported to Parquet and registered as Spark tables,
and ``dbt build --target spark`` (a local Spark session, dbt-spark's ``session`` method)
runs every model and data test over them. Every mart table must then hold the same rows
with the same values (floats within a relative 1e-9), the same column names in the same
order, and corresponding column types (:data:`SPARK_TYPES`). The dbt unit tests then run
on Spark against the built models.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from dbt.cli.main import dbtRunner, dbtRunnerResult

from core.settings import Settings
from crm_pipeline.cli import main
from tests.postgres.parity import (
    MART_SCHEMAS,
    SOURCE_SCHEMAS,
    _normalise,
    _same,
    _sort_key,
    mart_tables,
    source_tables,
)

pytestmark = [pytest.mark.spark, pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
FIXTURES = REPO_ROOT / "tests" / "e2e" / "fixtures"
AS_OF = dt.date(2026, 3, 31)
# Spark types a DuckDB mart column may come out as: whole numbers as bigint or int (a
# datediff is an int on Spark), timestamps without time zone as timestamp_ntz. A DECIMAL
# keeps its scale, not its precision: a sum of decimal(18,2) is DECIMAL(38,2) on DuckDB and
# decimal(28,2) on Spark (checked apart).
SPARK_TYPES = {
    "VARCHAR": {"string"},
    "BIGINT": {"bigint", "int"},
    "INTEGER": {"int", "bigint"},
    "DOUBLE": {"double"},
    "DATE": {"date"},
    "TIMESTAMP": {"timestamp_ntz"},
    "BOOLEAN": {"boolean"},
}


def _export_sources(build_db: Path, spark: Any, scratch: Path) -> None:
    """raw and data_quality of the DuckDB build as Spark tables (via Parquet)."""
    with duckdb.connect(str(build_db), read_only=True) as duck:
        for schema in SOURCE_SCHEMAS:
            spark.sql(f"create database if not exists {schema}")
            for table in source_tables(duck, schema):
                parquet = scratch / f"{schema}.{table}.parquet"
                duck.execute(f"copy {schema}.{table} to '{parquet}' (format parquet)")
                frame = spark.read.parquet(str(parquet))
                frame.write.mode("overwrite").saveAsTable(f"{schema}.{table}")


def _drop_databases(spark: Any) -> None:
    """A clean catalog: every database but default, with its tables (the previous fixture's)."""
    for row in spark.sql("show databases").collect():
        name = row[0]
        if name != "default":
            spark.sql(f"drop database if exists {name} cascade")


def _dbt(*args: str, work_dir: Path) -> dbtRunnerResult:
    """dbt in this process on the ``spark`` target: its session is the test's session."""
    return dbtRunner().invoke(
        [
            *args, "--target", "spark",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
            "--vars", json.dumps(Settings().dbt_vars(AS_OF)),
        ]
    )  # fmt: skip


def _failures(result: dbtRunnerResult) -> list[str]:
    """One line per node that neither passed nor warned (ANSI colours of diffs removed)."""
    if result.result is None:
        return [f"dbt did not run: {result.exception}"]
    return [
        re.sub(r"\x1b\[[0-9;]*m", "", f"{r.node.unique_id}: {r.status} {r.message}")
        for r in result.result
        if str(r.status) not in ("success", "pass", "warn")
    ]


@pytest.fixture(scope="module", params=["backbone", "customer", "funnel"])
def replayed(
    request: pytest.FixtureRequest,
    spark: Any,
    spark_warehouse: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, Path]]:
    """(DuckDB build database, dbt work folder) of one fixture, built on both engines."""
    name = request.param
    warehouse = tmp_path_factory.mktemp(f"{name}_warehouse")
    code = main(
        ["build", "--landing", str(FIXTURES / f"{name}_landing"), "--warehouse", str(warehouse),
         "--as-of", AS_OF.isoformat()]
    )  # fmt: skip
    assert code == 0
    build_db = warehouse / "build" / "crm.duckdb"
    _drop_databases(spark)
    _export_sources(build_db, spark, tmp_path_factory.mktemp(f"{name}_parquet"))
    work_dir = tmp_path_factory.mktemp(f"{name}_dbt_spark")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRM_SPARK_WAREHOUSE", str(spark_warehouse))
        result = _dbt(
            "build", "--full-refresh", "--exclude-resource-type", "unit_test", work_dir=work_dir
        )
        assert _failures(result) == []
        assert result.success
        yield build_db, work_dir


def _rows(names: list[str], rows: list[Any]) -> list[tuple[Any, ...]]:
    return sorted((tuple(_normalise(row[n]) for n in names) for row in rows), key=_sort_key)


def _compare(duck: duckdb.DuckDBPyConnection, spark: Any, schema: str, table: str) -> list[str]:
    """Differences between the DuckDB and the Spark copy of one mart table (none: [])."""
    cursor = duck.execute(f"select * from {schema}.{table}")
    names = [column[0] for column in cursor.description]
    duck_rows = _rows(names, [dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
    frame = spark.table(f"{schema}.{table}")
    # Spark keeps a table's partition columns last (the snapshot tables' snapshot_date)
    partitions = [c.name for c in spark.catalog.listColumns(f"{schema}.{table}") if c.isPartition]
    expected = [name for name in names if name not in partitions] + partitions
    if frame.columns != expected:
        return [f"{schema}.{table}: columns {names} on DuckDB, {frame.columns} on Spark"]
    spark_rows = _rows(names, frame.collect())
    if len(duck_rows) != len(spark_rows):
        return [f"{schema}.{table}: {len(duck_rows)} rows on DuckDB, {len(spark_rows)} on Spark"]
    problems = [
        f"{schema}.{table}.{name}: DuckDB {left!r} vs Spark {right!r}"
        for duck_row, spark_row in zip(duck_rows, spark_rows, strict=True)
        for name, left, right in zip(names, duck_row, spark_row, strict=True)
        if not _same(left, right)
    ]
    return problems[:20]


def test_every_mart_table_holds_the_same_rows_and_values(
    replayed: tuple[Path, Path], spark: Any
) -> None:
    build_db, _ = replayed
    with duckdb.connect(str(build_db), read_only=True) as duck:
        tables = mart_tables(duck)
        # both marts are there, with the tables the e2e tests read (not an empty comparison)
        assert {schema for schema, _ in tables} == set(MART_SCHEMAS)
        assert len(tables) >= 20
        problems = [p for schema, table in tables for p in _compare(duck, spark, schema, table)]
    assert problems == []
    assert spark.table("customer_lifecycle.kpi_summary").count() > 0


def _decimal_scale(type_name: str) -> int | None:
    """The scale of ``DECIMAL(p,s)`` / ``decimal(p,s)``; None for another type."""
    match = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", type_name.lower())
    return int(match.group(2)) if match else None


def test_column_types_correspond(replayed: tuple[Path, Path], spark: Any) -> None:
    build_db, _ = replayed
    with duckdb.connect(str(build_db), read_only=True) as duck:
        duck_types = duck.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns where table_schema in (?, ?)",
            list(MART_SCHEMAS),
        ).fetchall()
    spark_types: dict[tuple[str, str], dict[str, str]] = {}
    problems = []
    for schema, table, column, duck_type in sorted(duck_types):
        if (schema, table) not in spark_types:
            fields = spark.table(f"{schema}.{table}").schema.fields
            spark_types[schema, table] = {f.name: f.dataType.simpleString() for f in fields}
        spark_type = spark_types[schema, table].get(column)
        if duck_type.startswith("DECIMAL"):
            matches = _decimal_scale(duck_type) == _decimal_scale(spark_type or "")
        else:
            matches = spark_type in SPARK_TYPES.get(duck_type, set())
        if not matches:
            problems.append(f"{schema}.{table}.{column}: DuckDB {duck_type} vs Spark {spark_type}")
    assert problems == []


# Once, on the last fixture: the unit tests bring their own rows and only need the
# models' tables to exist.
@pytest.mark.parametrize("replayed", ["funnel"], indirect=True)
def test_dbt_unit_tests_pass_on_spark(replayed: tuple[Path, Path], spark_warehouse: Path) -> None:
    """The hand-worked dbt unit tests, on Spark, over the models the build just made."""
    _, work_dir = replayed
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRM_SPARK_WAREHOUSE", str(spark_warehouse))
        result = _dbt("test", "--resource-type", "unit_test", work_dir=work_dir)
    assert _failures(result) == []
    assert result.result is not None
    # the results also hold the project's on-run-start hook (it does nothing for a test)
    ran = [r for r in result.result if r.node.resource_type == "unit_test"]
    assert len(ran) == _unit_test_count()


def _unit_test_count() -> int:
    """How many dbt unit tests the project defines (all of them ran, not an empty selection)."""
    return sum(
        len((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", []))
        for path in (DBT_PROJECT_DIR / "models").rglob("*.yml")
    )
