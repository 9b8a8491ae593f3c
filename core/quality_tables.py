"""The ``data_quality`` schema: tables kept across builds and published with the marts.

Created before anything else runs so that ingestion, dbt (which reads the quarantine and
``checked_loads`` to exclude rows) and the gate can rely on them. Columns follow
spec/quality.md; the extra ones (run ids, rule sources, row keys) help tie a row back to
its build and file; ``checked_loads``, ``gate_holds`` and ``acceptances`` are the gate's
durable state (quality.gate).
"""

from __future__ import annotations

import duckdb

DQ_SCHEMA = "data_quality"

TABLES: dict[str, str] = {
    "check_results": """
        run_id varchar, as_of_date date, checked_at timestamp, entity varchar,
        rule varchar, column_name varchar, severity varchar, checked_rows bigint,
        failed_rows bigint, failure_rate double, passed boolean,
        check_source varchar, detail varchar, status varchar
    """,
    "quarantine": """
        run_id varchar, as_of_date date, entity varchar, source_file varchar,
        source_row integer, record_id varchar, owner varchar, rule varchar,
        column_name varchar, detail varchar, first_quarantined_at timestamp,
        released_at timestamp, row_id varchar
    """,
    "plausibility_findings": """
        run_id varchar, as_of_date date, entity varchar, source_file varchar,
        source_row integer, record_id varchar, owner varchar, rule varchar,
        column_name varchar, detail varchar, row_id varchar
    """,
    "file_loads": """
        file_path varchar, file_hash varchar, entity varchar, loaded_at timestamp,
        rows_read bigint, rows_loaded bigint, rows_quarantined bigint, status varchar,
        error varchar, run_id varchar, as_of_date date, load_seq bigint
    """,
    "publish_log": """
        run_id varchar, as_of_date date, started_at timestamp, finished_at timestamp,
        status varchar, reason varchar, outcome varchar, warnings bigint,
        rows_quarantined bigint
    """,
    "owner_scorecard": """
        as_of_date date, owner varchar, entity varchar, records bigint,
        quarantined bigint, completeness_rate double, run_id varchar
    """,
    # One row per file load whose rows the quality step checked (checks follow the rows,
    # not the run: a loaded file without a row here is pending, and staging leaves it out).
    "checked_loads": """
        run_id varchar, as_of_date date, checked_at timestamp, entity varchar,
        file_path varchar, file_hash varchar, load_seq bigint, rows_checked bigint,
        rows_quarantined bigint
    """,
    # A quarantine-rate breach, tied to each file whose rows caused it; it holds the gate
    # while that file's latest file_loads row is still this (path, hash) loaded.
    "gate_holds": """
        run_id varchar, as_of_date date, created_at timestamp, entity varchar,
        file_path varchar, file_hash varchar, reason varchar
    """,
    # `crm-pipeline accept FILE --reason ...`: who let a blocking file through, when, why.
    "acceptances": """
        file_path varchar, file_hash varchar, entity varchar, accepted_at timestamp,
        accepted_by varchar, reason varchar, resolved varchar
    """,
    "alert_log": """
        run_id varchar, as_of_date date, sent_at timestamp, channel varchar,
        status varchar, attempts integer, error varchar, subject varchar, body varchar
    """,
}


# Columns added after a table was first released: a warehouse created before them gets
# them (NULL in old rows) the next time it is opened, so inserts can name them.
ADDED_COLUMNS: dict[str, list[tuple[str, str]]] = {
    # check_results.status: pass | warn | fail | error, and passed = (status = 'pass')
    "check_results": [("status", "varchar")],
    # publish_log.status stays published | blocked | failed (the spec's values); outcome
    # adds "published with warnings", with the warnings and quarantined rows behind it
    "publish_log": [("outcome", "varchar"), ("warnings", "bigint"), ("rows_quarantined", "bigint")],
}


def create_quality_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``data_quality`` and its tables, if missing (adding later columns)."""
    con.execute(f"create schema if not exists {DQ_SCHEMA}")
    for name, columns in TABLES.items():
        con.execute(f"create table if not exists {DQ_SCHEMA}.{name} ({columns})")
    for name, added in ADDED_COLUMNS.items():
        for column, kind in added:
            con.execute(f"alter table {DQ_SCHEMA}.{name} add column if not exists {column} {kind}")


# check_results columns in the order every writer passes them (named, so the order of a
# migrated table, where status comes last, does not matter).
CHECK_RESULT_COLUMNS = (
    "run_id",
    "as_of_date",
    "checked_at",
    "entity",
    "rule",
    "column_name",
    "severity",
    "checked_rows",
    "failed_rows",
    "failure_rate",
    "status",
    "passed",
    "check_source",
    "detail",
)


def check_status(severity: str, failed_rows: int, *, error: bool = False) -> str:
    """A check's status: ``error`` when it could not run, ``pass`` when nothing failed,
    else ``warn`` for a warn-level check and ``fail`` for a blocking one.

    ``passed`` is ``status == 'pass'``: a warn-level check that found rows did not pass.
    """
    if error:
        return "error"
    if not failed_rows:
        return "pass"
    return "warn" if severity == "warn" else "fail"


def insert_check_results(con: duckdb.DuckDBPyConnection, rows: list[tuple[object, ...]]) -> None:
    """Insert check_results rows given in :data:`CHECK_RESULT_COLUMNS` order."""
    if not rows:
        return
    names = ", ".join(CHECK_RESULT_COLUMNS)
    marks = ", ".join("?" for _ in CHECK_RESULT_COLUMNS)
    con.executemany(f"insert into {DQ_SCHEMA}.check_results ({names}) values ({marks})", rows)
