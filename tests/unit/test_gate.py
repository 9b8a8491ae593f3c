"""The publish gate decides from the warehouse's durable state (quality.md, "The gate").

Hand-made builds on an in-memory warehouse: rows are landed with the test fixture, checked
by the real quality step, dbt outcomes recorded as dbt would report them. Each test says
which rule holds the gate and what resolves it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.settings import QualityConfig, Settings
from ingestion.loader import load_landing
from quality.checks import run_quality_checks
from quality.dbt_results import record_dbt_results
from quality.gate import NothingToAccept, accept_file, evaluate_gate, pending_loads
from tests.fixtures.quality_raw.rows import fresh_database, land, reject, valid_lead

D = dt.date(2026, 3, 31)
T = dt.datetime(2026, 3, 1, 10, 0)
LEAD = valid_lead("L1")
DBT_PASS = {"results": [{"unique_id": "test.crm.not_null_x.a", "status": "pass"}]}


def leads(count: int, without_owner: int) -> list[dict[str, Any]]:
    """``count`` clean leads, the last ``without_owner`` of them missing the owner."""
    return [
        {**LEAD, "lead_id": f"L{i}", "owner": None if i >= count - without_owner else "amy"}
        for i in range(count)
    ]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    fresh_database(connection)
    return connection


def build(
    con: duckdb.DuckDBPyConnection, run_id: str, settings: Settings | None = None
) -> list[str]:
    """The gate-relevant steps of one build: checks, dbt tests (passing), the decision."""
    run_quality_checks(con, settings or Settings(), run_id=run_id, as_of_date=D)
    record_dbt_results(con, DBT_PASS, run_id=run_id, as_of_date=D)
    return evaluate_gate(con, settings or Settings(), run_id=run_id).reasons


def test_clean_build_publishes(con: duckdb.DuckDBPyConnection) -> None:
    land(con, "leads", leads(10, 2), file_name="a.csv", run_id="r1")  # 20%: at the limit
    assert build(con, "r1") == []
    assert evaluate_gate(con, Settings(), run_id="r1").summary == "the gate passed"


def test_rate_breach_holds_every_later_build_until_accepted(
    con: duckdb.DuckDBPyConnection,
) -> None:
    land(con, "leads", leads(10, 3), file_name="a.csv", run_id="r1")  # 3 of 10 = 30%
    expected = [
        "leads: 3 of 10 new rows quarantined (30.0%), above the limit of 20% "
        "(held until leads/a.csv is corrected, withdrawn or accepted)"
    ]
    assert build(con, "r1") == expected
    assert build(con, "r2") == expected  # nothing new, same reason
    land(con, "leads", leads(10, 0), file_name="b.csv", run_id="r3")  # a clean later day
    assert build(con, "r3") == expected
    accepted = accept_file(con, "leads/a.csv", "owners assigned in the CRM", user="lina")
    assert (accepted.accepted_by, accepted.reason) == ("lina", "owners assigned in the CRM")
    assert build(con, "r4") == []
    assert con.execute(
        "select status, error from data_quality.file_loads where file_path = 'leads/a.csv' "
        "order by loaded_at"
    ).fetchall() == [
        ("loaded", None),
        ("accepted", "leads/a.csv: accepted by lina: owners assigned in the CRM"),
    ]


def test_rate_hold_lifts_once_every_quarantined_row_of_its_file_is_released(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Follow-ups of a lead that has not landed yet are quarantined (reference rule); 2 of 4
    breach the 20 % limit. When the lead lands, the re-check releases both rows: the file
    holds nothing any more, with no accept needed. A file whose rows are still quarantined
    keeps holding (the first test)."""
    land(con, "leads", leads(5, 0), file_name="a.csv", run_id="r1")
    follow_up = dict(occurred_at=T, owner="amy", channel="call")
    rows = [{**follow_up, "follow_up_id": f"F{i}", "lead_id": "L1"} for i in range(2)] + [
        {**follow_up, "follow_up_id": f"F{i}", "lead_id": "L_LATE"} for i in range(2, 4)
    ]
    land(con, "follow_ups", rows, file_name="f.csv", run_id="r1")
    reasons = build(con, "r1")
    assert len(reasons) == 1 and "follow_ups/f.csv" in reasons[0]
    assert build(con, "r2") == reasons  # still held: the lead has not arrived
    land(con, "leads", [{**LEAD, "lead_id": "L_LATE"}], file_name="b.csv", run_id="r3")
    assert build(con, "r3") == []


def test_rate_denominator_is_the_rows_checked_in_this_build_per_entity(
    con: duckdb.DuckDBPyConnection,
) -> None:
    land(con, "leads", leads(10, 0), file_name="a.csv", run_id="r1")
    assert build(con, "r1") == []
    # 2 of the 4 rows checked in r2 are bad: 50%, though 2 of 14 overall would pass
    land(con, "leads", leads(4, 2), file_name="b.csv", run_id="r2")
    assert build(con, "r2") == [
        "leads: 2 of 4 new rows quarantined (50.0%), above the limit of 20% "
        "(held until leads/b.csv is corrected, withdrawn or accepted)"
    ]


def test_per_entity_limit_applies(con: duckdb.DuckDBPyConnection) -> None:
    land(con, "leads", leads(10, 3), file_name="a.csv", run_id="r1")
    settings = Settings(quality=QualityConfig(max_quarantine_rate_per_entity={"leads": 0.5}))
    assert build(con, "r1", settings) == []


def test_rejected_file_blocks_until_replaced_by_a_corrected_version(
    con: duckdb.DuckDBPyConnection,
) -> None:
    reject(con, "leads", "bad.csv", "r1", "leads/bad.csv: the column owner is missing.")
    expected = ["file rejected: leads/bad.csv: the column owner is missing."]
    assert build(con, "r1") == expected
    assert build(con, "other") == expected  # any later build
    land(con, "leads", leads(3, 0), file_name="bad.csv", run_id="r2")  # same path, new hash
    assert build(con, "r2") == []


def test_rows_of_an_unfinished_run_stay_pending_and_block(
    con: duckdb.DuckDBPyConnection,
) -> None:
    land(con, "leads", leads(5, 0), file_name="a.csv", run_id="killed")  # never checked
    record_dbt_results(con, DBT_PASS, run_id="killed", as_of_date=D)
    assert evaluate_gate(con, Settings(), run_id="killed").reasons == [
        "1 loaded file(s) not yet checked by the quality step (leads/a.csv)"
    ]
    outcome = run_quality_checks(con, Settings(), run_id="next", as_of_date=D)
    assert outcome.entities["leads"].rows_checked == 5  # the next build checks them
    assert pending_loads(con) == []


def test_failed_dbt_test_blocks_while_it_fails_and_must_run_after_the_checks(
    con: duckdb.DuckDBPyConnection,
) -> None:
    land(con, "leads", leads(2, 0), file_name="a.csv", run_id="r1")
    run_quality_checks(con, Settings(), run_id="r1", as_of_date=D)
    assert evaluate_gate(con, Settings(), run_id="r1").reasons == [
        "dbt tests have not run on the current data"
    ]
    failing = {
        "results": [
            {"unique_id": "test.crm.not_null_fct_x_id.abc", "status": "fail", "failures": 3},
            {"unique_id": "test.crm.accepted_range_y.def", "status": "warn", "failures": 1},
        ]
    }
    record_dbt_results(con, failing, run_id="r1", as_of_date=D)
    blocked = ["dbt check failed: not_null_fct_x_id (3 rows)"]
    assert evaluate_gate(con, Settings(), run_id="r1").reasons == blocked
    # a re-run whose dbt step was skipped still sees the latest dbt outcome
    assert evaluate_gate(con, Settings(), run_id="r2").reasons == blocked
    # new rows checked after the latest dbt tests: they must run again first
    land(con, "leads", [{**LEAD, "lead_id": "L9"}], file_name="b.csv", run_id="r3")
    run_quality_checks(con, Settings(), run_id="r3", as_of_date=D)
    assert evaluate_gate(con, Settings(), run_id="r3").reasons == [
        "dbt tests have not run since rows were last checked"
    ]
    record_dbt_results(con, DBT_PASS, run_id="r3", as_of_date=D)
    assert evaluate_gate(con, Settings(), run_id="r3").reasons == []


def test_infrastructure_error_blocks(con: duckdb.DuckDBPyConnection) -> None:
    record_dbt_results(con, DBT_PASS, run_id="r1", as_of_date=D)
    con.execute(
        "insert into data_quality.check_results (run_id, as_of_date, entity, rule, severity, "
        "passed, check_source, detail) values ('r1', ?, '(all)', 'infrastructure', 'block', "
        "false, 'gx', 'Great Expectations could not validate leads')",
        [D],
    )
    decision = evaluate_gate(con, Settings(), run_id="r1")
    assert decision.reasons == [
        "quality checks could not run: Great Expectations could not validate leads"
    ]


def test_accepting_a_file_that_holds_nothing_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    land(con, "leads", leads(3, 0), file_name="a.csv", run_id="r1")
    with pytest.raises(NothingToAccept, match="leads/a.csv holds nothing against the gate"):
        accept_file(con, "leads/a.csv", "fine")
    reject(con, "leads", "bad.csv", "r1", "leads/bad.csv: broken.")
    with pytest.raises(NothingToAccept, match="--reason"):
        accept_file(con, "leads/bad.csv", "  ")


def test_withdrawing_a_rejected_file_lifts_the_block(tmp_path: Path) -> None:
    """The loader records a blocking file that left the landing folder as withdrawn."""
    landing = tmp_path / "landing"
    bad = landing / "leads" / "bad.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("lead_id,owner\nL1,amy\n", encoding="utf-8")  # required columns missing
    con = duckdb.connect()
    load_landing(con, landing, Settings(), run_id="r1", as_of_date=D)
    assert build(con, "r1")[0].startswith("file rejected: leads/bad.csv: required column")
    load_landing(con, landing, Settings(), run_id="r2", as_of_date=D)  # still there
    assert build(con, "r2")[0].startswith("file rejected: leads/bad.csv")
    bad.unlink()
    load_landing(con, landing, Settings(), run_id="r3", as_of_date=D)
    assert build(con, "r3") == []
    assert con.execute(
        "select status, rows_read, run_id from data_quality.file_loads order by loaded_at"
    ).fetchall() == [("rejected", 1, "r1"), ("withdrawn", 0, "r3")]
    # the same broken file landing again is looked at afresh, and rejected again
    bad.write_text("lead_id,owner\nL1,amy\n", encoding="utf-8")
    load_landing(con, landing, Settings(), run_id="r4", as_of_date=D)
    assert build(con, "r4")[0].startswith("file rejected: leads/bad.csv")
