"""The daily partitions: one partition per business date D (the build's as-of date)."""

from __future__ import annotations

import dagster as dg

# Far enough back for any realistic backfill (e.g. a 2024 history); today is a valid
# partition too (end_offset=1), so a build "as of today" can run during the day.
FIRST_BUSINESS_DATE = "2015-01-01"


def daily_partitions(timezone: str) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(
        start_date=FIRST_BUSINESS_DATE, timezone=timezone, end_offset=1
    )
