"""Staging reads only checked rows: rows of a load the quality step has not checked (a run
killed between loading and checking) are pending and stay out (``clean_rows``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from core.settings import Settings
from quality.checks import run_quality_checks
from tests.conftest import DbtHarness
from tests.fixtures.quality_raw.rows import fresh_database, land, valid_lead

D = dt.date(2026, 3, 31)
T = dt.datetime(2026, 3, 1, 10, 0)


def lead(lead_id: str) -> dict[str, object]:
    return valid_lead(lead_id)


def test_pending_rows_stay_out_of_staging_until_checked(tmp_path: Path) -> None:
    db_path = tmp_path / "build.duckdb"
    with duckdb.connect(str(db_path)) as con:
        fresh_database(con)
        land(con, "leads", [lead("L1")], file_name="a.csv", run_id="r1")
        run_quality_checks(con, Settings(), run_id="r1", as_of_date=D)
        land(con, "leads", [lead("L2")], file_name="b.csv", run_id="killed")  # not checked
    harness = DbtHarness(db_path, tmp_path / "dbt_target")
    harness.mark_loads_checked = False
    assert harness.run("run", "--select", "base_crm__leads", "stg_crm__leads", as_of=D).success
    assert harness.query("select lead_id from staging.stg_crm__leads") == [("L1",)]
    with duckdb.connect(str(db_path)) as con:
        run_quality_checks(con, Settings(), run_id="next", as_of_date=D)
    assert harness.run("run", "--select", "base_crm__leads", "stg_crm__leads", as_of=D).success
    assert sorted(harness.query("select lead_id from staging.stg_crm__leads")) == [("L1",), ("L2",)]
