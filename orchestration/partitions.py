"""The daily partitions: one partition per business date D (the build's as-of date)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

# Far enough back for any realistic backfill (e.g. a 2024 history); today is a valid
# partition too (end_offset=1), so a build "as of today" can run during the day.
FIRST_BUSINESS_DATE = "2015-01-01"


def daily_partitions(timezone: str) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(
        start_date=FIRST_BUSINESS_DATE, timezone=timezone, end_offset=1
    )


def latest_complete_day(instant: dt.datetime, timezone: str) -> dt.date:
    """The business day that ended most recently at ``instant``: the local day before.

    Both automatic triggers build this day: the 06:00 schedule tick on 2026-03-31 builds
    as of 2026-03-30 (the whole day's exports are in), and so does a sensor run started by
    late files at 10:00 the same morning. ``instant`` must be timezone-aware; the date is
    taken in the pipeline's business ``timezone``.
    """
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(ZoneInfo(timezone)).date() - dt.timedelta(days=1)
