"""Which business dates are already published: the one rule both backfill paths follow.

``crm-pipeline backfill`` and a partition backfill launched in the Dagster UI skip a date
whose most recent build (per ``data_quality.publish_log``) published, unless forced:
the command line with ``--force``, the UI with the run tag ``crm/force: true``. Daily
builds (schedule, landing sensor, ``crm-pipeline build``) always build.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

import duckdb

from core.constants import BACKFILL_RUN_TAG, FORCE_TAG
from core.quality_tables import DQ_SCHEMA

_LATEST_PUBLISHED_SQL = f"""
with ranked_builds as (
    select
        as_of_date,
        status,
        row_number() over (
            partition by as_of_date order by finished_at desc, started_at desc
        ) as recency
    from {DQ_SCHEMA}.publish_log
)
select as_of_date from ranked_builds where recency = 1 and status = 'published'
"""


def published_dates(con: duckdb.DuckDBPyConnection) -> set[dt.date]:
    """As-of dates whose most recent build published (none before the first build)."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = 'publish_log'",
        [DQ_SCHEMA],
    ).fetchone()[0]
    if not exists:
        return set()
    return {row[0] for row in con.execute(_LATEST_PUBLISHED_SQL).fetchall()}


def backfill_skips(as_of_date: dt.date, published: Collection[dt.date], *, force: bool) -> bool:
    """True when a backfill should leave ``as_of_date`` alone: published and not forced."""
    return not force and as_of_date in published


def ui_backfill_run(tags: Mapping[str, str]) -> tuple[bool, bool]:
    """(is this run part of a Dagster backfill, did its launcher force a rebuild)."""
    return BACKFILL_RUN_TAG in tags, tags.get(FORCE_TAG, "").lower() == "true"
