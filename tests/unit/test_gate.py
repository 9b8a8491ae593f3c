"""The publish gate decides from what the run recorded (quality.md, "The gate")."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from core.settings import QualityConfig, Settings
from quality.dbt_results import record_dbt_results
from quality.gate import evaluate_gate
from tests.fixtures.quality_raw.rows import fresh_database, reject

D = dt.date(2026, 3, 31)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    fresh_database(connection)
    return connection


def file_load(con: duckdb.DuckDBPyConnection, entity: str, read: int, held: int) -> None:
    con.execute(
        "insert into data_quality.file_loads (file_path, file_hash, entity, rows_read, "
        "rows_loaded, rows_quarantined, status, run_id, as_of_date) "
        "values (?, ?, ?, ?, ?, ?, 'loaded', 'r1', ?)",
        [f"{entity}/a.csv", f"h-{entity}", entity, read, read - held, held, D],
    )


def test_clean_build_publishes(con: duckdb.DuckDBPyConnection) -> None:
    file_load(con, "leads", 10, 2)  # 20% is at the limit, not above it
    decision = evaluate_gate(con, Settings(), run_id="r1")
    assert decision.publish and decision.summary == "all checks passed"


def test_rate_above_limit_blocks_per_entity_limit(con: duckdb.DuckDBPyConnection) -> None:
    file_load(con, "leads", 10, 3)  # 30%
    file_load(con, "follow_ups", 10, 3)
    settings = Settings(quality=QualityConfig(max_quarantine_rate_per_entity={"leads": 0.5}))
    decision = evaluate_gate(con, settings, run_id="r1")
    assert decision.reasons == [
        "follow_ups: 3 of 10 new rows quarantined (30.0%), above the limit of 20%"
    ]


def test_rejected_file_blocks(con: duckdb.DuckDBPyConnection) -> None:
    reject(con, "leads", "bad.csv", "r1", "leads/bad.csv: the column owner is missing.")
    decision = evaluate_gate(con, Settings(), run_id="r1")
    assert decision.reasons == ["file rejected: leads/bad.csv: the column owner is missing."]
    assert not evaluate_gate(con, Settings(), run_id="other").reasons


def test_failed_error_severity_dbt_test_blocks_warn_does_not(
    con: duckdb.DuckDBPyConnection,
) -> None:
    results = {"results": [
        {"unique_id": "test.crm.not_null_fct_x_id.abc", "status": "fail", "failures": 3},
        {"unique_id": "test.crm.accepted_range_y.def", "status": "warn", "failures": 1},
        {"unique_id": "model.crm.fct_x", "status": "success"},
    ]}
    failures = record_dbt_results(con, results, run_id="r1", as_of_date=D)
    assert len(failures) == 1
    decision = evaluate_gate(con, Settings(), run_id="r1")
    assert decision.reasons == ["dbt check failed: not_null_fct_x_id (3 rows)"]


def test_infrastructure_error_blocks(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "insert into data_quality.check_results (run_id, as_of_date, entity, rule, severity, "
        "passed, check_source, detail) values ('r1', ?, '(all)', 'infrastructure', 'block', "
        "false, 'gx', 'Great Expectations could not validate leads')", [D]
    )
    decision = evaluate_gate(con, Settings(), run_id="r1")
    assert decision.reasons == [
        "quality checks could not run: Great Expectations could not validate leads"
    ]
