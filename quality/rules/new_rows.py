"""The rows one quality run checks, and the failures table every rule family fills.

Checks follow the rows, not the run: an entity's *new rows* are its raw rows of every
``loaded`` file load without a ``checked_loads`` row, whichever run loaded them. Those
loads are fixed once per run and their rows exposed as a temporary view
(:func:`new_rows_table`), so every rule reads the same set; each finding is one row of the
temporary ``dq_failures`` table, which the writers turn into quarantine, findings and check
results at the end of the run.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from core.quality_tables import DQ_SCHEMA

FAILURES = "dq_failures"
FAILURE_COLUMNS = (
    "entity",
    "row_id",
    "rule",
    "column_name",
    "detail",
    "check_source",
    "severity",
)
Failure = tuple[str, str, str, str | None, str, str, str]  # in FAILURE_COLUMNS order


def quote(name: str) -> str:
    """A SQL identifier, quoted (contract column names may be keywords)."""
    return '"' + name.replace('"', '""') + '"'


def new_rows_table(entity: str) -> str:
    """The temporary view of ``entity``'s rows not yet checked."""
    return f"dq_new_{entity}"


def pending_loads_sql(entity: str) -> str:
    """Loaded files of ``entity`` whose rows no quality step has checked yet."""
    return (
        f"select file_path, file_hash, load_seq from {DQ_SCHEMA}.file_loads as file_loads "
        f"where file_loads.status = 'loaded' and file_loads.entity = '{entity}' "
        f"and not exists (select 1 from {DQ_SCHEMA}.checked_loads as checked "
        "where checked.file_hash = file_loads.file_hash "
        "and checked.load_seq = file_loads.load_seq)"
    )


def pending_loads_table(entity: str) -> str:
    """The temporary table of the entity's file loads this run checks."""
    return f"dq_pending_{entity}"


def stage_new_rows(con: duckdb.DuckDBPyConnection, entity: str) -> int:
    """Fix the entity's pending loads for this run and expose their rows; return how many.

    The loads are copied once (``checked_loads`` grows during the run, the set checked
    must not); the rows are a view joining raw to them, so a rule reads only the columns
    it needs straight from raw instead of a copy of every column of every new row.
    """
    con.execute(
        f"create or replace temp table {pending_loads_table(entity)} as {pending_loads_sql(entity)}"
    )
    con.execute(
        f"create or replace temp view {new_rows_table(entity)} as "
        f"select landed.* exclude (_raw) from raw.{entity} as landed "
        f"semi join {pending_loads_table(entity)} as pending "
        "on pending.file_hash = landed._file_hash and pending.load_seq = landed._load_seq"
    )
    ((count,),) = con.execute(f"select count(*) from {new_rows_table(entity)}").fetchall()
    return int(count)


def every_row_is_new(con: duckdb.DuckDBPyConnection, entity: str) -> bool:
    """Whether every raw row of the entity is new (a first build, or a rebuild from the
    landing folder): a rule reading the history of the ids with new rows then reads every
    row anyway and can leave out the filter that finds those ids (issue 14)."""
    ((new, landed),) = con.execute(
        f"select (select count(*) from {new_rows_table(entity)}), "
        f"(select count(*) from raw.{entity})"
    ).fetchall()
    return bool(new == landed)


def reset_pending(con: duckdb.DuckDBPyConnection, entity: str, run_id: str) -> None:
    """Findings an unfinished earlier check left on rows still pending are replaced, and a
    retry of this run replaces its own check results (re-running the step is safe)."""
    for table in ("quarantine", "plausibility_findings"):
        con.execute(
            f"delete from {DQ_SCHEMA}.{table} where entity = ? "
            f"and row_id in (select _row_id from {new_rows_table(entity)})",
            [entity],
        )
    con.execute(
        f"delete from {DQ_SCHEMA}.check_results where run_id = ? and entity = ? "
        "and check_source <> 'dbt'",
        [run_id, entity],
    )


def drop_new_rows(con: duckdb.DuckDBPyConnection, entity: str) -> None:
    """Drop the entity's temporary view and table at the end of the run."""
    con.execute(f"drop view if exists {new_rows_table(entity)}")
    con.execute(f"drop table if exists {pending_loads_table(entity)}")


def create_failures(con: duckdb.DuckDBPyConnection) -> None:
    """An empty failures table for this run (one row per finding, any rule)."""
    con.execute(
        f"create or replace temp table {FAILURES} "
        f"({', '.join(f'{name} varchar' for name in FAILURE_COLUMNS)})"
    )


def drop_failures(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the failures table once everything is recorded."""
    con.execute(f"drop table if exists {FAILURES}")


def add_failures(con: duckdb.DuckDBPyConnection, rows: list[Failure]) -> None:
    """Append findings computed in Python (GX results, parse problems) in one insert.

    Handed over as one Arrow table: ``executemany`` costs a statement per row (seconds
    for the ~10 k findings of 10^5 leads).
    """
    if not rows:
        return
    findings = pa.table(
        {
            name: pa.array([None if v is None else str(v) for v in values], pa.string())
            for name, values in zip(FAILURE_COLUMNS, zip(*rows, strict=True), strict=True)
        }
    )
    con.register("dq_found", findings)
    try:
        con.execute(f"insert into {FAILURES} select * from dq_found")
    finally:
        con.unregister("dq_found")
