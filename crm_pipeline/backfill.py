"""`crm-pipeline backfill`: one daily build per date, in order, resumable.

Each date runs the same Dagster job as ``crm-pipeline build`` (:func:`run_build`), so each
publishes, or is blocked, exactly like a daily build, and ``pipeline_snapshot`` gains one
set of rows per date. Dates whose latest build is already ``published`` (per
``data_quality.publish_log``) are skipped unless ``force``: after an error, running the
same command again resumes where it stopped (the rule lives in
:mod:`delivery.publish_history`; a backfill launched in the Dagster UI follows it too).
The first error stops the backfill, since later dates build on earlier ones (snapshots,
reference re-checks). ``late=True`` (``backfill --late``) rebuilds, forced, the dates that
files landed late made stale (:mod:`crm_pipeline.late_files`).

Exit code: 1 if a build failed (the backfill stops there), else 2 if any build was blocked
by the gate, else 0.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from core.build_lock import build_db_lock
from core.paths import WarehousePaths
from crm_pipeline.late_files import LateRebuild, describe, late_rebuild
from crm_pipeline.runner import (
    EXIT_BLOCKED,
    EXIT_ERROR,
    EXIT_PUBLISHED,
    require_landing_folder,
    run_build,
)
from delivery import publish_history


def dates_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every date from ``start`` to ``end`` inclusive; a reversed range is an error."""
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]


def published_dates(
    paths: WarehousePaths, notify: Callable[[str], None] | None = None
) -> set[dt.date]:
    """As-of dates whose most recent build published (read under the writer lock)."""
    if not paths.build_db.exists():
        return set()
    with (
        build_db_lock(
            paths.lock_file, "crm-pipeline backfill (reading publish_log)", notify=notify
        ),
        duckdb.connect(str(paths.build_db), read_only=True) as con,
    ):
        return publish_history.published_dates(con)


def late_rebuild_plan(
    paths: WarehousePaths, notify: Callable[[str], None] | None = None
) -> LateRebuild | None:
    """What files landed late and which dates to rebuild (read under the writer lock)."""
    if not paths.build_db.exists():
        return None
    with (
        build_db_lock(paths.lock_file, "crm-pipeline backfill (finding late files)", notify=notify),
        duckdb.connect(str(paths.build_db), read_only=True) as con,
    ):
        return late_rebuild(con)


def run_late_backfill(
    landing: Path,
    warehouse: Path,
    config: Path | None,
    progress: Callable[[str], None],
    *,
    step_retry_delay_seconds: float | None = None,
) -> int:
    """Rebuild, forced and in order, every date a late file made stale, then the latest
    published date; nothing to do (exit 0) when no published date is stale. Returns the
    worst exit code; the first error stops the rebuild."""
    plan = late_rebuild_plan(WarehousePaths(warehouse.resolve()), progress)
    if plan is None:
        progress("no late file: every published date already includes the files it counts")
        return EXIT_PUBLISHED
    for line in describe(plan):
        progress(f"late file: {line}")
    progress(f"rebuilding {len(plan.dates)} date(s): {', '.join(map(str, plan.dates))}")
    worst = EXIT_PUBLISHED
    for as_of in plan.dates:
        code = run_backfill(
            landing,
            warehouse,
            as_of,
            as_of,
            config,
            progress,
            force=True,
            step_retry_delay_seconds=step_retry_delay_seconds,
        )
        if code == EXIT_ERROR:
            return EXIT_ERROR
        worst = max(worst, code)
    return worst


def run_backfill(
    landing: Path,
    warehouse: Path,
    start: dt.date,
    end: dt.date,
    config: Path | None,
    progress: Callable[[str], None],
    *,
    force: bool = False,
    step_retry_delay_seconds: float | None = None,
) -> int:
    """Build every date from ``start`` to ``end`` in order; return the worst exit code.

    ``step_retry_delay_seconds`` overrides the job's retry back-off (tests pass 0).
    """
    dates = dates_between(start, end)
    require_landing_folder(landing)
    published = set() if force else published_dates(WarehousePaths(warehouse.resolve()), progress)
    total = len(dates)
    progress(f"backfill {start} → {end}: {total} daily build(s), in order")
    counts = {"published": 0, "blocked": 0, "skipped": 0}
    for number, as_of in enumerate(dates, start=1):
        step = f"[{number}/{total}] {as_of}"
        if publish_history.backfill_skips(as_of, published, force=force):
            counts["skipped"] += 1
            progress(f"{step}: already published, skipped (use --force to rebuild)")
            continue
        progress(f"{step}: building …")
        began = time.monotonic()
        outcome = run_build(
            landing,
            warehouse,
            as_of,
            config,
            notify=progress,
            step_retry_delay_seconds=step_retry_delay_seconds,
        )
        elapsed = time.monotonic() - began
        progress(f"{step}: {outcome.label} in {elapsed:.1f} s ({outcome.reason})")
        if outcome.exit_code == EXIT_ERROR:
            progress(
                f"backfill stopped at {as_of}: fix the cause and run the same command again "
                "(dates already published are skipped)"
            )
            return EXIT_ERROR
        counts[outcome.status] += 1
    progress(
        f"backfill done: {counts['published']} published, {counts['blocked']} blocked, "
        f"{counts['skipped']} skipped"
    )
    return EXIT_BLOCKED if counts["blocked"] else EXIT_PUBLISHED
