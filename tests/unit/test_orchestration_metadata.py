"""dbt model materializations carry dagster/row_count and as_of_date (counted after dbt)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import dagster as dg
import duckdb

from core.paths import WarehousePaths
from orchestration.dbt_metadata import with_build_metadata


class FakeContext:
    """The two things with_build_metadata asks of an AssetExecutionContext."""

    log = logging.getLogger("test")

    @staticmethod
    def asset_key_for_output(output_name: str) -> dg.AssetKey:
        return dg.AssetKey(output_name.split("__", 1))


def test_outputs_get_row_counts_and_other_events_pass_unchanged(tmp_path: Path) -> None:
    paths = WarehousePaths(tmp_path / "warehouse").ensure()
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute("create schema opportunity_funnel")
        con.execute("create table opportunity_funnel.kpi_summary as select * from range(3)")
        con.execute("create view opportunity_funnel.a_view as select 1 as x")
    check = dg.AssetCheckResult(
        asset_key=dg.AssetKey(["opportunity_funnel", "kpi_summary"]), check_name="c", passed=True
    )
    events = [
        dg.Output(None, "opportunity_funnel__kpi_summary", metadata={"status": "success"}),
        check,
        dg.Output(None, "opportunity_funnel__a_view"),
    ]
    out = list(with_build_metadata(iter(events), FakeContext(), paths, dt.date(2026, 3, 30)))
    assert len(out) == 3 and out[1] is check
    table, view = out[0], out[2]
    assert table.metadata["dagster/row_count"].value == 3  # range(3) has three rows
    assert table.metadata["as_of_date"].value == "2026-03-30"
    assert table.metadata["status"].value == "success"  # dbt's own metadata is kept
    assert "dagster/row_count" not in view.metadata  # views are not counted
    assert view.metadata["as_of_date"].value == "2026-03-30"
