"""Replay a DuckDB build's dbt project on another engine and compare every mart table.

The pipeline loads and checks on DuckDB; this copies the build database's ``raw`` and
``data_quality`` tables to PostgreSQL, runs ``dbt build --target postgres`` (unit tests
included) with the same vars, and compares the marts value by value and type by type.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from core.settings import Settings
from delivery.serving_postgres import copy_table

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
MART_SCHEMAS = ("opportunity_funnel", "customer_lifecycle")
SOURCE_SCHEMAS = ("raw", "data_quality")
# Averages, medians and ratios are 8-byte floats on both engines, summed in another order:
# equal within a relative 1e-9.
FLOAT_TOLERANCE = 1e-9
# PostgreSQL types a DuckDB mart column may come out as. Whole numbers may be integer or
# bigint (PostgreSQL's date - date is an integer, DuckDB's datediff a BIGINT).
TYPE_FAMILIES = {
    "VARCHAR": {"text", "character varying"},
    "BIGINT": {"bigint", "integer"},
    "INTEGER": {"integer", "bigint"},
    "DOUBLE": {"double precision"},
    "DATE": {"date"},
    "TIMESTAMP": {"timestamp without time zone"},
    "BOOLEAN": {"boolean"},
}


def source_tables(duck: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """Names of the build database's tables in one source schema, in name order."""
    rows = duck.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = ? order by 1",
        [schema],
    ).fetchall()
    return [table for (table,) in rows]


def copy_sources(build_db: Path, pg: Any) -> None:
    """Every table of raw and data_quality, with its rows, into the PostgreSQL database."""
    with (
        duckdb.connect(str(build_db), read_only=True) as duck,
        pg.cursor() as cursor,
        tempfile.TemporaryDirectory() as scratch,
    ):
        for schema in SOURCE_SCHEMAS:
            cursor.execute(f"create schema if not exists {schema}")
            for table in source_tables(duck, schema):
                copy_table(duck, cursor, (schema, table), schema, Path(scratch))
    pg.commit()


# the parity build: every model and data test, from scratch
FULL_BUILD = ("build", "--full-refresh", "--exclude-resource-type", "unit_test")


def run_dbt(
    target: str,
    env: dict[str, str],
    as_of: dt.date,
    work_dir: Path,
    command: Sequence[str] = FULL_BUILD,
) -> subprocess.CompletedProcess[str]:
    """A dbt ``command`` (``dbt build --full-refresh`` by default) on ``target`` with the
    default configuration's vars.

    dbt unit tests are left out of the default build: dbt diffs a unit test's rows as text,
    so a DECIMAL(18,2) result prints ``105.00`` on PostgreSQL against the fixture's ``105``.
    The hand-worked unit tests run on DuckDB (tests/dbt); this build compares the marts
    value by value, and every data test still runs on the target.
    """
    dbt = Path(sys.executable).parent / "dbt"
    arguments = [
        str(dbt), *command, "--target", target,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
        "--vars", json.dumps(Settings().dbt_vars(as_of)),
    ]  # fmt: skip
    return subprocess.run(
        arguments, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def _normalise(value: Any) -> Any:
    """A value comparable across engines: numbers as floats, everything else unchanged."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal | int | float):
        return float(value)
    return value


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
    return left == right


def _sort_key(row: Sequence[Any]) -> tuple[Any, ...]:
    """The same row order on both sides: NULLs first, then by (type name, value)."""
    return tuple((value is not None, type(value).__name__, value) for value in row)


def _fetch(cursor: Any, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor.execute(query)
    names = [description[0] for description in cursor.description]
    rows = [tuple(_normalise(value) for value in row) for row in cursor.fetchall()]
    return names, sorted(rows, key=_sort_key)


def mart_tables(duck: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table) of every mart table in the DuckDB build database."""
    return duck.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in (?, ?) order by 1, 2",
        list(MART_SCHEMAS),
    ).fetchall()


def compare_table(
    duck: duckdb.DuckDBPyConnection, other: Any, schema: str, table: str
) -> list[str]:
    """Differences between the two copies of one mart table (none: [])."""
    duck_names, duck_rows = _fetch(duck.cursor(), f"select * from {schema}.{table}")
    other_names, other_rows = _fetch(other, f"select * from {schema}.{table}")
    if duck_names != other_names:
        return [f"{schema}.{table}: columns {duck_names} on DuckDB, {other_names} on the other"]
    if len(duck_rows) != len(other_rows):
        counts = f"{len(duck_rows)} rows on DuckDB, {len(other_rows)} on the other"
        return [f"{schema}.{table}: {counts}"]
    problems = []
    for duck_row, other_row in zip(duck_rows, other_rows, strict=True):
        for name, left, right in zip(duck_names, duck_row, other_row, strict=True):
            if not _same(left, right):
                problems.append(f"{schema}.{table}.{name}: DuckDB {left!r} vs {right!r}")
    return problems[:20]


def compare_types(duck: duckdb.DuckDBPyConnection, pg_cursor: Any) -> list[str]:
    """Mart columns whose PostgreSQL type is not the counterpart of their DuckDB type."""
    query = (
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        f"where table_schema in ('{MART_SCHEMAS[0]}', '{MART_SCHEMAS[1]}')"
    )
    duck_types = {row[:3]: row[3] for row in duck.execute(query).fetchall()}
    pg_cursor.execute(query)
    pg_types = {tuple(row[:3]): row[3] for row in pg_cursor.fetchall()}
    problems = []
    for column, duck_type in sorted(duck_types.items()):
        pg_type = pg_types.get(column)
        expected = {"numeric"} if duck_type.startswith("DECIMAL") else TYPE_FAMILIES.get(duck_type)
        if pg_type not in (expected or {duck_type.lower()}):
            problems.append(f"{'.'.join(column)}: DuckDB type {duck_type} vs PostgreSQL {pg_type}")
    return problems
