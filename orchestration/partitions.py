"""The daily partitions: one partition per business date D (the build's as-of date).

Partitions start at the history's first business date, so the Dagster UI does not list
thousands of never-built days: the configured ``history_start``, else the earliest
business date in a landed file's name, else :data:`FALLBACK_HISTORY_START`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from core.settings import Settings

# Used only when nothing has landed yet and no history_start is configured.
FALLBACK_HISTORY_START = dt.date(2025, 1, 1)
_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_COMPACT_DATE = re.compile(r"(?:^|\D)(\d{8})(?:\D|$)")


def name_date(file_name: str) -> dt.date | None:
    """The business date in a landing file's name (``YYYY-MM-DD`` first, else eight digits
    standing alone), the rule staging applies; None when the name holds no calendar date."""
    for pattern, layout in ((_ISO_DATE, "%Y-%m-%d"), (_COMPACT_DATE, "%Y%m%d")):
        found = pattern.search(file_name)
        if found:
            try:
                return dt.datetime.strptime(found.group(1), layout).date()
            except ValueError:
                continue
    return None


def earliest_landed_date(landing_dir: Path | None) -> dt.date | None:
    """The earliest business date named by a loadable file of the landing folder."""
    if landing_dir is None or not landing_dir.is_dir():
        return None
    from ingestion.landing import landed_files

    dates = [d for f in landed_files(landing_dir) if (d := name_date(f.path.name)) is not None]
    return min(dates, default=None)


def history_start(settings: Settings, landing_dir: Path | None) -> dt.date:
    """The first partition: configured, else the earliest landed file, else the fallback."""
    if settings.history_start is not None:
        return settings.history_start
    return earliest_landed_date(landing_dir) or FALLBACK_HISTORY_START


def daily_partitions(
    timezone: str, start: dt.date = FALLBACK_HISTORY_START
) -> dg.DailyPartitionsDefinition:
    """One partition per local day from ``start``; today is a valid partition too
    (end_offset=1), so a build "as of today" can run during the day."""
    return dg.DailyPartitionsDefinition(
        start_date=start.isoformat(), timezone=timezone, end_offset=1
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
