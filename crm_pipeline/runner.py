"""Run the daily build job in-process: the same Dagster job the schedule runs.

The CLI and the tests call :func:`run_build`; it builds the definitions around a pipeline
resource naming the landing and warehouse folders and the configuration file (the process
environment is never written), keeps the Dagster instance under ``WAREHOUSE/dagster``
unless ``DAGSTER_HOME`` is set, and turns the run's outcome into the exit codes of
docs/operations.md: 0 published, 2 blocked by the gate, 1 error.

One writer at a time: the whole run holds the build database's file lock
(``core.build_lock``); a second build waits for it, saying what it waits for. The
instance's ``dagster.yaml`` (written by the first build, never overwritten once edited)
limits the daemon's runs on the build database to one at a time as well (pool
``crm_build_db`` and the run tag ``crm/build_db``), so ``dagster dev`` on the same
DAGSTER_HOME obeys the same rule; it also keeps the event log's SQLite files open between
events (``orchestration/event_log.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.build_lock import BuildLockBusy, build_db_lock
from core.constants import CLI_TRIGGER, CLI_TRIGGER_TAG
from core.paths import WarehousePaths
from core.rules import Rule
from core.settings import load_config

EXIT_PUBLISHED, EXIT_ERROR, EXIT_BLOCKED = 0, 1, 2

# The local instance's dagster.yaml (deploy/dagster.yaml has the same concurrency section
# on PostgreSQL storage; a unit test keeps the two equal). ``{event_log_dir}`` is the
# instance's own history/runs folder, where Dagster keeps its event log by default.
_HEADER = """\
# Dagster instance of this warehouse, written by crm-pipeline (edit freely: once edited, never
# overwritten).
"""
_LIMITS = """\
# Writers to the build database never run concurrently:
#  - every step writing it is in pool crm_build_db; a limit of 1 per pool, enforced per run,
#    lets the run queue start one such run at a time (ad-hoc UI materialisations included);
#  - daily_build runs carry the tag crm/build_db and are queued one at a time;
#  - command-line builds run in-process and share the file lock WAREHOUSE/build/build.lock.
concurrency:
  pools:
    default_limit: 1
    granularity: run
  runs:
    tag_concurrency_limits:
      - key: crm/build_db
        limit: 1
telemetry:
  enabled: false
"""
_EVENT_LOG = """\
# Dagster's default SQLite event log, its files kept open between events (one connection
# per file instead of one per event: docs/dagster.md, "The instance's event log").
event_log_storage:
  module: orchestration.event_log
  class: KeptOpenSqliteEventLogStorage
  config:
    base_dir: {event_log_dir}
"""
INSTANCE_YAML = _HEADER + _LIMITS + _EVENT_LOG
# What earlier versions wrote: such a file, unedited, is brought up to date.
_EARLIER_INSTANCE_YAML = (
    "# Dagster instance of this warehouse, written by crm-pipeline (edit freely; never "
    "overwritten).\n" + _LIMITS
)
_EVENT_LOG_DIR_LINE = re.compile(r"^    base_dir: .*$", re.MULTILINE)


@dataclass(frozen=True)
class BuildOutcome:
    as_of_date: dt.date
    run_id: str | None
    status: str  # published | blocked | failed
    reason: str
    outcome: str = ""  # status, or "published with warnings"

    @property
    def label(self) -> str:
        """What the build ended as, honestly: published / published with warnings /
        blocked / failed."""
        return self.outcome or self.status

    @property
    def exit_code(self) -> int:
        return {"published": EXIT_PUBLISHED, "blocked": EXIT_BLOCKED}.get(self.status, EXIT_ERROR)


def dagster_home(paths: WarehousePaths) -> Path:
    """The Dagster instance folder: ``DAGSTER_HOME`` when set, else ``WAREHOUSE/dagster``."""
    configured = os.environ.get("DAGSTER_HOME")
    return Path(configured).expanduser() if configured else paths.dagster_home


def write_instance_config(dagster_home: Path) -> Path:
    """Create ``DAGSTER_HOME/dagster.yaml`` with the one-writer limits, unless it exists.

    An existing file is the operator's (e.g. a production instance on PostgreSQL) and is
    left alone, unless it is one this program wrote and nobody edited since (an earlier
    version's, or one naming the event log folder of a warehouse since moved): that one is
    brought up to date.
    """
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    wanted = _instance_yaml(dagster_home)
    if not config.exists() or _written_by_us(config.read_text(encoding="utf-8"), wanted):
        config.write_text(wanted, encoding="utf-8")
    return config


def _instance_yaml(dagster_home: Path) -> str:
    event_log_dir = (dagster_home / "history" / "runs").resolve()
    return INSTANCE_YAML.format(event_log_dir=json.dumps(str(event_log_dir)))


def _written_by_us(text: str, wanted: str) -> bool:
    """Whether ``text`` is an unedited dagster.yaml of this or an earlier version."""
    if text in (wanted, _EARLIER_INSTANCE_YAML):
        return True
    return _EVENT_LOG_DIR_LINE.sub("", text) == _EVENT_LOG_DIR_LINE.sub("", wanted)


def _publish_status(paths: WarehousePaths, run_id: str) -> tuple[str, str, str] | None:
    import duckdb

    if not paths.build_db.exists():
        return None
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        row = con.execute(
            "select status, reason, coalesce(outcome, status) from data_quality.publish_log "
            "where run_id = ?",
            [run_id],
        ).fetchone()
    return (row[0], row[1], row[2]) if row else None


@dataclass(frozen=True)
class BuildDetails:
    """What the command line prints under the outcome: rows quarantined per entity and
    each alert channel's delivery (sent, or failed and why)."""

    quarantined: dict[str, int]
    deliveries: list[tuple[str, str, str | None]]  # channel, status, error


def build_details(paths: WarehousePaths, run_id: str | None) -> BuildDetails:
    """Read one build's quarantine counts and alert deliveries from the build database."""
    import duckdb

    if run_id is None or not paths.build_db.exists():
        return BuildDetails({}, [])
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        quarantined = {
            str(e): int(n or 0)
            for e, n in con.execute(
                "select entity, failed_rows from data_quality.check_results "
                f"where run_id = ? and rule = '{Rule.QUARANTINE_RATE}' order by entity",
                [run_id],
            ).fetchall()
        }
        deliveries = [
            (str(c), str(s), e)
            for c, s, e in con.execute(
                "select channel, status, error from data_quality.alert_log "
                "where run_id = ? order by sent_at, channel",
                [run_id],
            ).fetchall()
        ]
    return BuildDetails(quarantined, deliveries)


def require_landing_folder(landing: Path) -> None:
    """Refuse, in one sentence, a landing path that is missing or is not a folder."""
    if landing.is_dir():
        return
    if landing.exists():
        raise NotADirectoryError(
            f"landing folder {landing} is a file, not a folder: pass the folder that holds "
            "the entity folders (leads/, follow_ups/, service_records/)"
        )
    raise FileNotFoundError(f"landing folder {landing} does not exist")


def _check_in_history(partitions_def: object, as_of_date: dt.date) -> None:
    """Refuse, in one sentence, a date before the history's first business date or after
    today (the last day the job's partitions hold, in their time zone)."""
    start = getattr(partitions_def, "start", None)
    if start is not None and as_of_date < start.date():
        raise ValueError(
            f"as of {as_of_date} is before the history's first business date "
            f"{start.date()} (the earliest landed file's date, or history_start in the "
            "configuration): set history_start to build earlier dates"
        )
    last_key = getattr(partitions_def, "get_last_partition_key", lambda: None)()
    if last_key is not None and as_of_date > dt.date.fromisoformat(last_key):
        timezone = getattr(partitions_def, "timezone", None) or "UTC"
        raise ValueError(
            f"as of {as_of_date} is after today ({last_key} in {timezone}): a business "
            "date can be today at the latest"
        )


def run_build(
    landing: Path,
    warehouse: Path,
    as_of_date: dt.date,
    config: Path | None = None,
    *,
    verbose: bool = False,
    notify: Callable[[str], None] | None = None,
    step_retry_delay_seconds: float | None = None,
) -> BuildOutcome:
    """Execute the daily build job for ``as_of_date`` and report how it ended.

    The run holds the build database's lock from start to end; while another build holds
    it, ``notify`` (default: standard error) says so once and the build waits (up to
    ``CRM_BUILD_LOCK_TIMEOUT`` seconds, then it ends as ``failed`` with that reason).
    ``step_retry_delay_seconds`` overrides the job's retry back-off (tests pass 0).
    """
    require_landing_folder(landing)
    # fail fast, with key and reason, before anything is created or run
    settings = load_config(config, warehouse if warehouse.is_dir() else None)
    paths = WarehousePaths(warehouse.resolve()).ensure()
    home = dagster_home(paths)
    write_instance_config(home)

    from dagster import DagsterInstance

    from orchestration.build import build_definitions
    from orchestration.failures import report_failed_run
    from orchestration.jobs import DAILY_BUILD_JOB
    from orchestration.resources import PipelineResource

    pipeline = PipelineResource(
        landing_dir=str(landing.resolve()),
        warehouse_dir=str(paths.root),
        config_path=str(config.resolve()) if config is not None else "",
        progress_to_terminal=not verbose,
        **(
            {"step_retry_delay_seconds": step_retry_delay_seconds}
            if step_retry_delay_seconds is not None
            else {}
        ),
    )
    job = build_definitions(pipeline).resolve_job_def(DAILY_BUILD_JOB)
    _check_in_history(job.partitions_def, as_of_date)
    # quiet runs: the terminal gets progress and one closing sentence; a failed step's
    # stack trace goes to the build log (below), never to the terminal
    log_level = "INFO" if verbose else "CRITICAL"
    purpose = f"crm-pipeline build as of {as_of_date.isoformat()}"
    say = notify or _to_stderr
    try:
        with (
            build_db_lock(paths.lock_file, purpose, notify=say),
            DagsterInstance.from_config(str(home)) as instance,
        ):
            _close_abandoned_cli_runs(instance)
            with _terminal_output(paths, as_of_date, verbose):
                result = job.execute_in_process(
                    partition_key=as_of_date.isoformat(),
                    instance=instance,
                    raise_on_error=False,
                    tags={CLI_TRIGGER_TAG: CLI_TRIGGER},
                    run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
                )
            recorded = _publish_status(paths, result.run_id)
            if result.success and recorded:
                return BuildOutcome(as_of_date, result.run_id, *recorded)
            if not verbose:
                _append_traces(build_log_path(paths, as_of_date), result)
            failure = report_failed_run(
                instance,
                paths,
                settings,
                run_id=result.run_id,
                as_of_date=as_of_date,
                fallback="the build run failed before publishing",
                log=say,
            )
            return BuildOutcome(as_of_date, result.run_id, "failed", failure)
    except BuildLockBusy as exc:
        return BuildOutcome(as_of_date, None, "failed", str(exc))


def build_log_path(paths: WarehousePaths, as_of_date: dt.date) -> Path:
    """Where a quiet command-line build keeps dbt's console output."""
    return paths.build_dir / "logs" / f"build-{as_of_date.isoformat()}.log"


@contextmanager
def _terminal_output(paths: WarehousePaths, as_of_date: dt.date, verbose: bool) -> Iterator[None]:
    """Quiet runs print short progress lines; dbt's own console output goes to a log file.

    dagster-dbt re-emits every dbt log line on standard output (for Dagster's compute
    logs); on a terminal that buries the result, so it is kept in
    ``build/logs/build-<date>.log`` instead. ``--verbose`` shows everything.
    """
    if verbose:
        yield
        return
    log_path = build_log_path(paths, as_of_date)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w", encoding="utf-8") as log, redirect_stdout(log):
        yield


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _close_abandoned_cli_runs(instance: Any) -> None:
    """Mark command-line runs left ``STARTED`` by a killed process as failed.

    Called while holding the build lock: a live command-line build holds that lock for
    its whole run, so any other one still marked in progress has died. Left alone, it
    would count against the instance's one-run-at-a-time limits and hold the daemon's
    queue forever.
    """
    from dagster import DagsterRunStatus, RunsFilter

    stale = instance.get_runs(
        RunsFilter(
            statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING],
            tags={CLI_TRIGGER_TAG: CLI_TRIGGER},
        )
    )
    for run in stale:
        instance.report_run_failed(run, "the command-line build process ended without finishing")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


def _append_traces(log_path: Path, result: object) -> None:
    """Append every failed step's full error (with its stack trace) to the build log,
    personal data masked."""
    from core.masking import scrub

    lines = []
    for event in getattr(result, "all_events", []):
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
        elif event.is_step_up_for_retry and event.event_specific_data is not None:
            error = event.event_specific_data.error
        else:
            continue
        if error is not None:
            lines.append(f"--- step {event.step_key} failed:\n{scrub(error.to_string())}")
    if not lines:
        return
    try:
        with open(log_path, "a", encoding="utf-8") as log:
            log.write("\n".join(lines) + "\n")
    except OSError:
        pass  # the disk may be what failed; the one-line reason is still printed
