"""The ``data_quality`` schema: tables kept across builds and published with the marts.

Created before anything else runs so that ingestion, dbt (which reads the quarantine to
exclude rows) and the gate can rely on them. Columns follow spec/quality.md; the extra
ones (run ids, rule sources, row keys) help tie a row back to its build and file.
"""

from __future__ import annotations

import duckdb

DQ_SCHEMA = "data_quality"

TABLES: dict[str, str] = {
    "check_results": """
        run_id varchar, as_of_date date, checked_at timestamp, entity varchar,
        rule varchar, column_name varchar, severity varchar, checked_rows bigint,
        failed_rows bigint, failure_rate double, passed boolean,
        check_source varchar, detail varchar
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
        status varchar, reason varchar
    """,
    "owner_scorecard": """
        as_of_date date, owner varchar, entity varchar, records bigint,
        quarantined bigint, completeness_rate double, run_id varchar
    """,
    "alert_log": """
        run_id varchar, as_of_date date, sent_at timestamp, channel varchar,
        status varchar, attempts integer, error varchar, subject varchar, body varchar
    """,
}


def create_quality_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``data_quality`` and its tables, if missing."""
    con.execute(f"create schema if not exists {DQ_SCHEMA}")
    for name, columns in TABLES.items():
        con.execute(f"create table if not exists {DQ_SCHEMA}.{name} ({columns})")
