"""The honest outcome of a build (issue 13 item 1): check status, findings, publish_log.

A published build that quarantined rows or had warn-level findings is "published with
warnings"; a warn-severity dbt test that found rows did not pass.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from core.quality_tables import check_status, create_quality_tables
from core.settings import Settings
from quality.checks import run_quality_checks
from quality.dbt_results import record_dbt_results
from quality.gate import PUBLISHED_WITH_WARNINGS, build_findings
from tests.fixtures.quality_raw.rows import fresh_database, land
from tests.unit.test_gate import DBT_PASS, leads

D = dt.date(2026, 3, 31)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    fresh_database(connection)
    return connection


@pytest.mark.parametrize(
    ("severity", "failed", "error", "status"),
    [
        ("block", 0, False, "pass"),
        ("warn", 0, False, "pass"),
        ("warn", 3, False, "warn"),
        ("block", 3, False, "fail"),
        ("block", 0, True, "error"),
    ],
)
def test_check_status(severity: str, failed: int, error: bool, status: str) -> None:
    assert check_status(severity, failed, error=error) == status


def test_a_warn_level_dbt_test_with_rows_is_not_passed(con: duckdb.DuckDBPyConnection) -> None:
    results = {
        "results": [
            {"unique_id": "test.crm.ok_test.a", "status": "pass", "failures": 0},
            {"unique_id": "test.crm.warn_test.b", "status": "warn", "failures": 4},
            {"unique_id": "test.crm.fail_test.c", "status": "fail", "failures": 2},
            {"unique_id": "test.crm.broken_test.d", "status": "error"},
        ]
    }
    record_dbt_results(con, results, run_id="r1", as_of_date=D)
    rows = con.execute(
        "select rule, severity, status, passed from data_quality.check_results "
        "where run_id = 'r1' order by rule"
    ).fetchall()
    assert rows == [
        ("broken_test", "block", "error", False),
        ("fail_test", "block", "fail", False),
        ("ok_test", "block", "pass", True),
        ("warn_test", "warn", "warn", False),
    ]


def test_passed_is_status_pass_for_every_quality_check(con: duckdb.DuckDBPyConnection) -> None:
    land(con, "leads", leads(10, 2), file_name="a.csv", run_id="r1")
    run_quality_checks(con, Settings(), run_id="r1", as_of_date=D)
    mismatched = con.execute(
        "select count(*) from data_quality.check_results "
        "where status is null or passed <> (status = 'pass')"
    ).fetchone()[0]
    assert mismatched == 0
    required = con.execute(
        "select status, failed_rows from data_quality.check_results "
        "where rule = 'required' and column_name = 'owner'"
    ).fetchone()
    assert required == ("fail", 2)


def test_a_build_that_quarantined_rows_is_published_with_warnings(
    con: duckdb.DuckDBPyConnection,
) -> None:
    land(con, "leads", leads(10, 2), file_name="a.csv", run_id="r1")  # 2 of 10: within 20 %
    run_quality_checks(con, Settings(), run_id="r1", as_of_date=D)
    record_dbt_results(con, DBT_PASS, run_id="r1", as_of_date=D)
    findings = build_findings(con, "r1")
    assert findings.quarantined["leads"] == 2
    assert findings.outcome("published") == PUBLISHED_WITH_WARNINGS
    assert findings.outcome("blocked") == "blocked"
    assert "2 rows quarantined (leads 2)" in findings.describe()


def test_a_clean_build_is_published(con: duckdb.DuckDBPyConnection) -> None:
    land(con, "leads", leads(5, 0), file_name="a.csv", run_id="r1")
    run_quality_checks(con, Settings(), run_id="r1", as_of_date=D)
    record_dbt_results(con, DBT_PASS, run_id="r1", as_of_date=D)
    findings = build_findings(con, "r1")
    assert findings.outcome("published") == "published"
    assert findings.describe() == "all checks passed"


def test_an_older_warehouse_gets_the_new_columns() -> None:
    con = duckdb.connect()
    con.execute("create schema data_quality")
    con.execute(
        "create table data_quality.publish_log (run_id varchar, as_of_date date, "
        "started_at timestamp, finished_at timestamp, status varchar, reason varchar)"
    )
    con.execute(
        "insert into data_quality.publish_log values ('old', null, null, null, "
        "'published', 'all checks passed')"
    )
    create_quality_tables(con)
    columns = {r[0] for r in con.execute("describe data_quality.publish_log").fetchall()}
    assert {"outcome", "warnings", "rows_quarantined"} <= columns
    assert con.execute("select count(*) from data_quality.publish_log").fetchone()[0] == 1
