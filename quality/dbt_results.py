"""dbt results as quality results: every dbt test (and any failed model) becomes a row of
``data_quality.check_results`` with its severity, so the gate and the alert see them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import duckdb

from core.quality_tables import check_status, insert_check_results

_FAILED = {"fail", "error", "runtime error"}


def _row(
    result: Mapping[str, Any], run_id: str, as_of_date: dt.date, checked_at: dt.datetime
) -> tuple[Any, ...] | None:
    unique_id: str = result["unique_id"]
    status = str(result.get("status", "")).lower()
    kind = unique_id.split(".", 1)[0]
    if kind == "test" or kind == "unit_test":
        failed_rows = int(result.get("failures") or 0)
        severity = "warn" if status == "warn" else "block"
        # dbt says "warn" for a warn-severity test that found rows: not passed (status warn)
        check = check_status(
            severity,
            max(failed_rows, 1) if status in _FAILED | {"warn"} else 0,
            error=status in {"error", "runtime error"},
        )
        rule = unique_id.split(".")[2]
    elif kind in {"model", "snapshot", "seed"} and status in _FAILED:
        failed_rows, severity, check = 0, "block", "error"
        rule = f"model_built:{unique_id.split('.')[-1]}"
    else:
        return None
    message = str(result.get("message") or "")[:500]
    return (
        run_id,
        as_of_date,
        checked_at,
        "dbt",
        rule,
        None,
        severity,
        None,
        failed_rows,
        None,
        check,
        check == "pass",
        "dbt",
        message,
    )


def record_dbt_results(
    con: duckdb.DuckDBPyConnection,
    run_results: Mapping[str, Any],
    *,
    run_id: str,
    as_of_date: dt.date,
) -> list[str]:
    """Write dbt test/model outcomes to check_results; return one line per blocking failure."""
    checked_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [
        row
        for result in run_results.get("results", [])
        if (row := _row(result, run_id, as_of_date, checked_at)) is not None
    ]
    con.execute(
        "delete from data_quality.check_results where run_id = ? and check_source = 'dbt'",
        [run_id],
    )
    insert_check_results(con, rows)
    return [f"{r[4]}: {r[13] or 'failed'}" for r in rows if not r[11] and r[6] == "block"]
