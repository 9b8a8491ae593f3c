"""Sensors: start a build when files land; alert when a build run fails.

Landing sensor. Every ``minimum_interval_seconds`` it lists ``LANDING/<entity>/*`` (names,
sizes, modification times; no file is opened) and compares with the fingerprints it has
already seen, kept in the sensor's cursor as JSON ``{relative_path: "size:mtime_ns"}``.
New or changed files trigger **one** run, whose ``run_key`` is a digest of exactly those
fingerprints, so the same file never triggers twice even if a cursor update were lost.
A file modified within the last ``settle_seconds`` is still being copied and waits for the
next evaluation. The run builds the **latest complete business day** (yesterday in the
pipeline timezone), the same partition as the morning schedule: late exports republish
the day that just ended. On its very first evaluation the sensor only records what is
already there, unless the warehouse has never been built (then it starts the first build).

Run-failure sensor. When a ``daily_build`` run fails (a step raised after its retries),
managers get an alert through ``delivery.alerts`` on the configured channels; failed or
warning checks of a completed build are alerted by the build's own report step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from core.constants import CLI_TRIGGER, CLI_TRIGGER_TAG
from core.paths import WarehousePaths
from ingestion.landing import LandedFile, landed_files
from orchestration.partitions import latest_complete_day
from orchestration.resources import PipelineResource

LANDING_SENSOR = "landing_files_sensor"
RUN_FAILURE_SENSOR = "daily_build_failure_alert"
SETTLE_SECONDS = 30.0
MINIMUM_INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class LandingChanges:
    """What one evaluation found: the files to build for and the cursor to keep."""

    new_files: list[str]
    cursor: str

    @property
    def run_key(self) -> str | None:
        """Digest of the new files' fingerprints; None when nothing is new."""
        if not self.new_files:
            return None
        seen = json.loads(self.cursor)
        text = "\n".join(f"{path}\0{seen[path]}" for path in sorted(self.new_files))
        return "landing-" + hashlib.sha256(text.encode()).hexdigest()[:24]


def _fingerprint(file: LandedFile) -> str:
    return f"{file.size}:{file.mtime_ns}"


def parse_cursor(cursor: str | None) -> dict[str, str] | None:
    """The seen fingerprints, or None before the first evaluation (or if unreadable)."""
    if not cursor:
        return None
    try:
        seen = json.loads(cursor)
    except json.JSONDecodeError:
        return None
    return seen if isinstance(seen, dict) else None


def landing_changes(
    cursor: str | None,
    files: Iterable[LandedFile],
    now: float,
    settle_seconds: float = SETTLE_SECONDS,
    trigger_on_first: bool = False,
) -> LandingChanges:
    """Compare the landing listing with the cursor (pure, so it is tested directly).

    ``now`` is a POSIX timestamp; files modified less than ``settle_seconds`` before it
    are left for a later evaluation. Without a cursor every settled file is new when
    ``trigger_on_first``, else it becomes the baseline.
    """
    previous = parse_cursor(cursor)
    first = previous is None
    previous = previous or {}
    seen: dict[str, str] = {}
    new_files: list[str] = []
    for file in files:
        settling = now - file.mtime_ns / 1e9 < settle_seconds
        if settling:
            if file.relative_path in previous:
                seen[file.relative_path] = previous[file.relative_path]
            continue
        seen[file.relative_path] = _fingerprint(file)
        if previous.get(file.relative_path) != seen[file.relative_path]:
            new_files.append(file.relative_path)
    if first and not trigger_on_first:
        new_files = []
    return LandingChanges(new_files, json.dumps(seen, sort_keys=True, separators=(",", ":")))


def landing_files_sensor(
    job: dg.UnresolvedAssetJobDefinition,
    settle_seconds: float = SETTLE_SECONDS,
) -> dg.SensorDefinition:
    """The sensor on the landing folder (located through the ``pipeline`` resource)."""

    @dg.sensor(
        name=LANDING_SENSOR,
        job=job,
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts a build of the latest complete day when new files land in "
        "LANDING/<entity>/ (each file triggers at most one build).",
    )
    def landing_sensor(
        context: dg.SensorEvaluationContext, pipeline: PipelineResource
    ) -> dg.SensorResult:
        landing = pipeline.landing()
        if not landing.is_dir():
            return dg.SensorResult(skip_reason=f"landing folder {landing} does not exist")
        never_built = not WarehousePaths(Path(pipeline.warehouse_dir)).build_db.exists()
        changes = landing_changes(
            context.cursor, landed_files(landing), time.time(), settle_seconds, never_built
        )
        if not changes.new_files:
            return dg.SensorResult(
                skip_reason="no new files in the landing folder", cursor=changes.cursor
            )
        as_of = latest_complete_day(dt.datetime.now(dt.UTC), pipeline.settings().timezone)
        context.log.info(
            f"{len(changes.new_files)} new file(s) landed; building as of {as_of}: "
            + ", ".join(changes.new_files[:10])
        )
        request = dg.RunRequest(
            run_key=changes.run_key,
            partition_key=as_of.isoformat(),
            tags={"crm/trigger": "landing_sensor", "crm/new_files": str(len(changes.new_files))},
        )
        return dg.SensorResult(run_requests=[request], cursor=changes.cursor)

    return landing_sensor


def build_failure_sensor(job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    """Alert managers, and record ``failed`` in publish_log, when a daily build run fails."""

    @dg.run_failure_sensor(
        name=RUN_FAILURE_SENSOR,
        monitored_jobs=[job],
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="When a daily_build run fails: alert the configured channels (Chinese "
        "and English) and record the failed build in data_quality.publish_log.",
    )
    def daily_build_failure_alert(
        context: dg.RunFailureSensorContext, pipeline: PipelineResource
    ) -> None:
        from orchestration.failures import report_failed_run

        run = context.dagster_run
        if run.tags.get(CLI_TRIGGER_TAG) == CLI_TRIGGER:
            return  # crm-pipeline build reports its own failures
        partition = run.tags.get("dagster/partition")
        if not partition:
            context.log.warning(f"run {run.run_id} failed without a partition; not alerted")
            return
        message = context.failure_event.message or "the run failed before any step finished"
        report_failed_run(
            context.instance,
            pipeline.paths(),
            pipeline.settings(),
            run_id=run.run_id,
            as_of_date=dt.date.fromisoformat(partition),
            fallback=message.strip().splitlines()[0],
            log=context.log.warning,
        )

    return daily_build_failure_alert
