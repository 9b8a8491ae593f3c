"""Build the dbt project on PostgreSQL from a DuckDB build database and compare the marts.

Spec operations.md, "Scaling out": the same dbt project builds on PostgreSQL by switching
the target. The Python loaders write DuckDB only, so this script takes the pipeline's build
database (``WAREHOUSE/build/crm.duckdb``), copies its ``raw`` and ``data_quality`` tables to
PostgreSQL (DDL from the same column lists the pipeline uses), replays the dbt builds of
every date in ``data_quality.publish_log`` on the ``postgres`` target (snapshot tables keep
one set of rows per build date), and compares every mart table with the DuckDB one.

Run it with a Python that has dbt-postgres, psycopg2, duckdb and this project installed
(docs/postgres.md; scripts/check_postgres.sh sets that up). Connection settings come from
the profile's environment variables CRM_PG_HOST, CRM_PG_PORT, CRM_PG_USER, CRM_PG_PASSWORD,
CRM_PG_DATABASE. Subcommands: ``copy`` (raw and data_quality only), ``build``
(copy, then dbt for every build date), ``compare`` (marts only), ``all`` (the three).
Exit code 0 when everything built and the marts agree, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg2

from core.contract import load_contract
from core.quality_tables import DQ_SCHEMA, TABLES
from core.raw_schema import RAW_SCHEMA, raw_columns
from core.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
MART_SCHEMAS = ("opportunity_funnel", "customer_lifecycle")
# DuckDB type names the pipeline's DDL uses that PostgreSQL spells differently.
POSTGRES_TYPES = {"double": "double precision"}
# Relative tolerance for floating-point results (averages, medians, ratios).
FLOAT_TOLERANCE = 1e-9


def postgres_type(duckdb_type: str) -> str:
    """PostgreSQL spelling of a column type from core/raw_schema.py or core/quality_tables.py."""
    return POSTGRES_TYPES.get(duckdb_type.strip().lower(), duckdb_type.strip())


def quality_columns(table: str) -> list[tuple[str, str]]:
    """(name, type) pairs of a data_quality table, parsed from core/quality_tables.py."""
    pairs = []
    for column in TABLES[table].split(","):
        name, sql_type = column.split(maxsplit=1)
        pairs.append((name, sql_type))
    return pairs


def source_tables() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(schema, table, columns) of every table dbt reads: raw.* and data_quality.*."""
    tables = [
        (RAW_SCHEMA, name, raw_columns(entity)) for name, entity in load_contract().entities.items()
    ]
    tables += [(DQ_SCHEMA, name, quality_columns(name)) for name in TABLES]
    return tables


def pg_connect() -> psycopg2.extensions.connection:
    """A connection with the same settings as the dbt profile's postgres output."""
    return psycopg2.connect(
        host=os.environ.get("CRM_PG_HOST", "localhost"),
        port=int(os.environ.get("CRM_PG_PORT", "5432")),
        user=os.environ.get("CRM_PG_USER", "crm"),
        password=os.environ.get("CRM_PG_PASSWORD", ""),
        dbname=os.environ.get("CRM_PG_DATABASE", "crm"),
    )


def copy_sources(duckdb_path: Path) -> None:
    """Replace raw.* and data_quality.* in PostgreSQL with the DuckDB build database's rows.

    Rows travel as CSV through PostgreSQL's COPY: DuckDB writes NULL as an empty field and
    an empty string as a quoted "", which is exactly how COPY ... csv tells them apart.
    """
    with (
        duckdb.connect(str(duckdb_path), read_only=True) as source,
        pg_connect() as target,
        target.cursor() as cursor,
        tempfile.TemporaryDirectory() as scratch,
    ):
        for schema, table, columns in source_tables():
            names = ", ".join(f'"{name}"' for name, _ in columns)
            ddl = ", ".join(f'"{name}" {postgres_type(sql_type)}' for name, sql_type in columns)
            cursor.execute(f"create schema if not exists {schema}")
            cursor.execute(f"drop table if exists {schema}.{table}")
            cursor.execute(f"create table {schema}.{table} ({ddl})")
            csv_path = Path(scratch) / f"{schema}.{table}.csv"
            source.execute(
                f"copy (select {names} from {schema}.{table}) to '{csv_path}' (header true)"
            )
            with csv_path.open(encoding="utf-8") as rows:
                cursor.copy_expert(
                    f"copy {schema}.{table} ({names}) from stdin with (format csv, header true)",
                    rows,
                )
            print(f"copied {schema}.{table}: {cursor.rowcount} rows")


def build_dates(duckdb_path: Path) -> list[dt.date]:
    """The as-of dates the pipeline built, in the order it built them (publish_log)."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            "select as_of_date, min(started_at) as first_started from data_quality.publish_log "
            "group by as_of_date order by first_started"
        ).fetchall()
    return [row[0] for row in rows]


def run_dbt_postgres(as_of: dt.date, work_dir: Path, full_refresh: bool = False) -> bool:
    """`dbt build --target postgres` as of a date with the configuration's vars; True if green.

    full_refresh rebuilds the incremental snapshot tables from nothing (the first date of a
    replay), so their history is exactly the replayed builds'.
    """
    dbt = Path(sys.executable).parent / "dbt"
    command = [
        str(dbt), "build",
        "--target", "postgres",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
        "--vars", json.dumps(Settings().dbt_vars(as_of)),
        *(["--full-refresh"] if full_refresh else []),
    ]  # fmt: skip
    env = {**os.environ, "CRM_DBT_TARGET": "postgres"}
    print(f"dbt build --target postgres as of {as_of.isoformat()}", flush=True)
    completed = subprocess.run(command, env=env, check=False)
    return completed.returncode == 0


def _normalise(value: Any) -> Any:
    """A value comparable across engines: numbers as floats, everything else unchanged."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal | int | float):
        return float(value)
    return value


def _same(left: Any, right: Any) -> bool:
    """Equal values; floats within FLOAT_TOLERANCE (relative) of each other."""
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
    return left == right


def _sort_key(row: Sequence[Any]) -> tuple[Any, ...]:
    """Order rows the same way on both sides: NULLs first, then by (type name, value)."""
    return tuple((value is not None, type(value).__name__, value) for value in row)


def _fetch(cursor: Any, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor.execute(sql)
    names = [description[0] for description in cursor.description]
    rows = [tuple(_normalise(value) for value in row) for row in cursor.fetchall()]
    return names, sorted(rows, key=_sort_key)


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table) of every mart table in the DuckDB build database."""
    placeholders = ", ".join("?" for _ in MART_SCHEMAS)
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_schema in ({placeholders}) order by 1, 2",
        list(MART_SCHEMAS),
    ).fetchall()


def compare_table(
    duck: duckdb.DuckDBPyConnection, pg_cursor: Any, schema: str, table: str
) -> list[str]:
    """Differences between the DuckDB and PostgreSQL copies of one mart table (none: [])."""
    duck_names, duck_rows = _fetch(duck.cursor(), f"select * from {schema}.{table}")
    column_list = ", ".join(f'"{name}"' for name in duck_names)
    try:
        _, pg_rows = _fetch(pg_cursor, f"select {column_list} from {schema}.{table}")
    except psycopg2.Error as error:
        pg_cursor.connection.rollback()
        return [f"{schema}.{table}: cannot read on PostgreSQL: {str(error).strip()}"]
    if len(duck_rows) != len(pg_rows):
        return [f"{schema}.{table}: {len(duck_rows)} rows on DuckDB, {len(pg_rows)} on PostgreSQL"]
    problems = []
    for duck_row, pg_row in zip(duck_rows, pg_rows, strict=True):
        for name, left, right in zip(duck_names, duck_row, pg_row, strict=True):
            if not _same(left, right):
                problems.append(f"{schema}.{table}.{name}: DuckDB {left!r} vs PostgreSQL {right!r}")
    return problems[:20]


# PostgreSQL types a DuckDB mart column type may come out as. Whole numbers may be integer
# or bigint (PostgreSQL's date - date is an integer, DuckDB's datediff a BIGINT).
TYPE_FAMILIES = {
    "VARCHAR": {"text", "character varying"},
    "BIGINT": {"bigint", "integer"},
    "INTEGER": {"integer", "bigint"},
    "DOUBLE": {"double precision"},
    "DATE": {"date"},
    "TIMESTAMP": {"timestamp without time zone"},
    "BOOLEAN": {"boolean"},
}


def compare_types(duck: duckdb.DuckDBPyConnection, pg_cursor: Any) -> list[str]:
    """Mart columns whose PostgreSQL type is not the counterpart of their DuckDB type."""
    sql = (
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        f"where table_schema in ('{MART_SCHEMAS[0]}', '{MART_SCHEMAS[1]}')"
    )
    duck_types = {row[:3]: row[3] for row in duck.execute(sql).fetchall()}
    pg_cursor.execute(sql)
    pg_types = {tuple(row[:3]): row[3] for row in pg_cursor.fetchall()}
    problems = []
    for column, duck_type in sorted(duck_types.items()):
        pg_type = pg_types.get(column)
        expected = {"numeric"} if duck_type.startswith("DECIMAL") else TYPE_FAMILIES.get(duck_type)
        if pg_type not in (expected or {duck_type.lower()}):
            problems.append(f"{'.'.join(column)}: DuckDB type {duck_type} vs PostgreSQL {pg_type}")
    return problems


def compare_marts(duckdb_path: Path) -> list[str]:
    """Compare every mart table of the DuckDB build database with PostgreSQL's."""
    problems: list[str] = []
    with (
        duckdb.connect(str(duckdb_path), read_only=True) as duck,
        pg_connect() as pg,
        pg.cursor() as cursor,
    ):
        tables = mart_tables(duck)
        for schema, table in tables:
            table_problems = compare_table(duck, cursor, schema, table)
            count = duck.execute(f"select count(*) from {schema}.{table}").fetchone()
            status = "differs" if table_problems else "same"
            print(f"{schema}.{table}: {count[0] if count else 0} rows, {status}")
            problems += table_problems
        problems += compare_types(duck, cursor)
    return problems


def build_all(duckdb_path: Path, dates: Iterable[dt.date]) -> bool:
    """Copy the sources, then run the dbt build of every date in order (the first one with
    --full-refresh, so the snapshot tables hold exactly these builds)."""
    copy_sources(duckdb_path)
    with tempfile.TemporaryDirectory(prefix="crm-dbt-postgres-") as work_dir:
        return all(
            run_dbt_postgres(as_of, Path(work_dir), full_refresh=index == 0)
            for index, as_of in enumerate(dates)
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: copy | build | compare | all, on a DuckDB build database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["copy", "build", "compare", "all"])
    parser.add_argument("build_db", type=Path, help="the pipeline's WAREHOUSE/build/crm.duckdb")
    args = parser.parse_args(argv)
    if not args.build_db.exists():
        print(f"{args.build_db}: no such DuckDB build database", file=sys.stderr)
        return 1
    dates = build_dates(args.build_db)
    if not dates:
        print(f"{args.build_db}: data_quality.publish_log records no build", file=sys.stderr)
        return 1
    if args.step == "copy":
        copy_sources(args.build_db)
        return 0
    if args.step in ("build", "all") and not build_all(args.build_db, dates):
        print("dbt build on PostgreSQL failed (see the dbt output above)", file=sys.stderr)
        return 1
    if args.step in ("compare", "all"):
        problems = compare_marts(args.build_db)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            return 1
        print(f"PostgreSQL marts equal DuckDB's as of {dates[-1].isoformat()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
