"""Late files: which published dates a file landed late makes stale (docs/operations.md).

A file's business date B is the date in its name (the rule staging applies,
:func:`orchestration.partitions.name_date`). Its rows count in every build for a date D on
or after B: a later version from the start of B, a first copy from its own time. So when
the file lands after the build of such a D was published, D's published numbers (and its
``pipeline_snapshot`` / ``forecast_snapshot`` rows, kept per date) were made without it:
D is **stale**. Exactly the dates D ≥ B whose latest published build finished before the
file was loaded are stale; a file without a date in its name is known from the day it is
loaded, so it is never late.

``crm-pipeline backfill --late`` rebuilds, forced and in order, every stale date and then
the latest published date, so that the serving file ends on the newest date again
(rebuilding a date that already had the file gives the same marts: the incremental
staging bases hold the same rows whatever date is built). A rebuilt date is no longer
stale: its latest published build finished after the file was loaded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePosixPath

import duckdb

from core.quality_tables import DQ_SCHEMA
from orchestration.partitions import name_date

_PUBLISHED_SQL = f"""
with ranked_builds as (
    select
        as_of_date,
        status,
        finished_at,
        row_number() over (
            partition by as_of_date order by finished_at desc, started_at desc
        ) as recency
    from {DQ_SCHEMA}.publish_log
)
select as_of_date, finished_at from ranked_builds where recency = 1 and status = 'published'
"""

_LOADED_FILES_SQL = f"""
select file_path, min(loaded_at) as loaded_at
from {DQ_SCHEMA}.file_loads
where status = 'loaded'
group by file_path, file_hash
"""


@dataclass(frozen=True)
class LateFile:
    """A loaded file and the published dates its late arrival made stale."""

    file_path: str
    business_date: dt.date
    loaded_at: dt.datetime
    stale_dates: tuple[dt.date, ...]


@dataclass(frozen=True)
class LateRebuild:
    """What ``backfill --late`` rebuilds: the late files, and the dates in build order
    (every stale date, then the latest published date)."""

    files: tuple[LateFile, ...]
    dates: tuple[dt.date, ...]


def _has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? "
        "and table_name in ('publish_log', 'file_loads')",
        [DQ_SCHEMA],
    ).fetchone()
    return bool(found and found[0] == 2)


def late_files(con: duckdb.DuckDBPyConnection) -> list[LateFile]:
    """Every loaded file with at least one stale date, by business date then path."""
    if not _has_tables(con):
        return []
    published = con.execute(_PUBLISHED_SQL).fetchall()
    found: list[LateFile] = []
    for file_path, loaded_at in con.execute(_LOADED_FILES_SQL).fetchall():
        business_date = name_date(PurePosixPath(str(file_path).replace("\\", "/")).name)
        if business_date is None:
            continue
        stale = sorted(
            as_of
            for as_of, finished_at in published
            if as_of >= business_date and finished_at < loaded_at
        )
        if stale:
            found.append(LateFile(file_path, business_date, loaded_at, tuple(stale)))
    return sorted(found, key=lambda late: (late.business_date, late.file_path))


def late_rebuild(con: duckdb.DuckDBPyConnection) -> LateRebuild | None:
    """The dates ``backfill --late`` rebuilds, or None when no published date is stale."""
    files = late_files(con)
    if not files:
        return None
    published = [as_of for as_of, _ in con.execute(_PUBLISHED_SQL).fetchall()]
    stale = {date for late in files for date in late.stale_dates}
    return LateRebuild(tuple(files), tuple(sorted(stale | {max(published)})))


def describe(rebuild: LateRebuild) -> list[str]:
    """One line per late file, naming its business date and the dates it made stale."""
    return [
        f"{late.file_path} (business date {late.business_date}) landed after "
        f"{len(late.stale_dates)} published date(s) it belongs to: "
        f"{late.stale_dates[0]} … {late.stale_dates[-1]}"
        for late in rebuild.files
    ]
