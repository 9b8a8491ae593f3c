"""Row counts and the as-of date on every dbt model's materialization (shown in the UI).

dagster-dbt's own ``fetch_row_counts()`` queries each table while dbt is still running;
DuckDB lets only one process open the build database for writing, so that would collide
with the dbt subprocess. Instead the step's events are held until dbt has finished, then
each model's table is counted once through the build connection (the step already holds
the writer lock, so this re-enters it) and the events are handed back with
``dagster/row_count`` and ``as_of_date`` added, as a list, in dbt's order: the models'
materializations before the test results that check them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import dagster as dg
import duckdb

from core.paths import WarehousePaths
from orchestration.runtime import build_connection


def _count_rows(con: duckdb.DuckDBPyConnection, key: dg.AssetKey) -> int | None:
    """Rows of the table behind ``[schema, table]``, or None if it is not a table there."""
    if len(key.path) != 2:
        return None
    schema, table = key.path
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = ? and table_type = 'BASE TABLE'",
        [schema, table],
    ).fetchone()[0]
    if not found:
        return None
    return int(con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0])


def with_build_metadata(
    events: Iterable[Any],
    context: dg.AssetExecutionContext,
    paths: WarehousePaths,
    as_of: dt.date,
) -> list[Any]:
    """The dbt events once dbt is done, model outputs with row counts added (counted now)."""
    held = list(events)
    outputs = [event for event in held if isinstance(event, dg.Output)]
    counts: dict[str, int | None] = {}
    if outputs:
        try:
            with build_connection(paths) as con:
                for event in outputs:
                    key = context.asset_key_for_output(event.output_name)
                    counts[event.output_name] = _count_rows(con, key)
        except duckdb.Error as exc:
            context.log.warning(f"row counts not available: {exc}")
    return [_with_metadata(event, counts, as_of) for event in held]


def _with_metadata(event: Any, counts: dict[str, int | None], as_of: dt.date) -> Any:
    """A model output with its row count and the as-of date; any other event unchanged."""
    if not isinstance(event, dg.Output):
        return event
    extra: dict[str, Any] = {"as_of_date": as_of.isoformat()}
    if counts.get(event.output_name) is not None:
        extra["dagster/row_count"] = counts[event.output_name]
    return dg.Output(
        value=event.value,
        output_name=event.output_name,
        metadata={**event.metadata, **extra},
        data_version=event.data_version,
        tags=event.tags,
    )
