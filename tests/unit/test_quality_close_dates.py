"""A lead version cannot report a close after its own export time (contract rule
closed_at_not_after_updated_at): such a version would count as closed before it closed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from core.settings import Settings
from quality.checks import run_quality_checks
from tests.fixtures.quality_raw.rows import fresh_database, land, valid_lead

# every row below sets its own lead_id
BASE = valid_lead("", "won")


def test_future_close_is_quarantined_and_same_time_close_is_not(tmp_path: Path) -> None:
    rows = [
        # exported 03-31, says it was won on 04-05: impossible at export time
        {
            **BASE,
            "lead_id": "FUTURE",
            "updated_at": dt.datetime(2026, 3, 31, 9, 0),
            "closed_at": dt.datetime(2026, 4, 5, 0, 0),
        },
        # won at the moment of the export: fine
        {
            **BASE,
            "lead_id": "NOW",
            "updated_at": dt.datetime(2026, 3, 20, 15, 0),
            "closed_at": dt.datetime(2026, 3, 20, 15, 0),
        },
        # exported later than the close: fine
        {
            **BASE,
            "lead_id": "PAST",
            "updated_at": dt.datetime(2026, 3, 25, 9, 0),
            "closed_at": dt.datetime(2026, 3, 21, 11, 0),
        },
    ]
    with duckdb.connect(str(tmp_path / "b.duckdb")) as con:
        fresh_database(con)
        land(
            con,
            "leads",
            rows,
            file_name="2026-03-31.csv",
            run_id="r1",
            as_of_date=dt.date(2026, 3, 31),
        )
        run_quality_checks(con, Settings(), run_id="r1", as_of_date=dt.date(2026, 3, 31))
        held = con.execute(
            "select record_id, rule, column_name, detail from data_quality.quarantine"
        ).fetchall()
    assert [(r[0], r[1], r[2]) for r in held] == [("FUTURE", "conditional", "updated_at")]
    assert "before closed_at" in held[0][3]
