"""Run the daily build job in-process: the same Dagster job the schedule runs.

The CLI and the tests call :func:`run_build`; it points the Dagster resources at the
landing and warehouse folders through environment variables (which is how Dagster
resources are configured everywhere else too), keeps the Dagster instance under
``WAREHOUSE/dagster`` unless ``DAGSTER_HOME`` is set, and turns the run's outcome into the
exit codes of spec/operations.md: 0 published, 2 blocked by the gate, 1 error.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from crm_pipeline.config import load_config
from crm_pipeline.paths import WarehousePaths

EXIT_PUBLISHED, EXIT_ERROR, EXIT_BLOCKED = 0, 1, 2


@dataclass(frozen=True)
class BuildOutcome:
    as_of_date: dt.date
    run_id: str | None
    status: str  # published | blocked | failed
    reason: str

    @property
    def exit_code(self) -> int:
        return {"published": EXIT_PUBLISHED, "blocked": EXIT_BLOCKED}.get(self.status, EXIT_ERROR)


def configure_environment(landing: Path, warehouse: Path, config: Path | None) -> WarehousePaths:
    """Export the locations the Dagster resources read, and prepare the warehouse."""
    paths = WarehousePaths(warehouse.resolve()).ensure()
    os.environ["CRM_LANDING_DIR"] = str(landing.resolve())
    os.environ["CRM_WAREHOUSE_DIR"] = str(paths.root)
    if config is not None:
        os.environ["CRM_PIPELINE_CONFIG"] = str(config.resolve())
    if not os.environ.get("DAGSTER_HOME"):
        paths.dagster_home.mkdir(parents=True, exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(paths.dagster_home)
    return paths


def _publish_status(paths: WarehousePaths, run_id: str) -> tuple[str, str] | None:
    import duckdb

    if not paths.build_db.exists():
        return None
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        row = con.execute(
            "select status, reason from data_quality.publish_log where run_id = ?", [run_id]
        ).fetchone()
    return (row[0], row[1]) if row else None


def run_build(
    landing: Path,
    warehouse: Path,
    as_of_date: dt.date,
    config: Path | None = None,
    *,
    verbose: bool = False,
) -> BuildOutcome:
    """Execute the daily build job for ``as_of_date`` and report how it ended."""
    if not landing.is_dir():
        raise FileNotFoundError(f"landing folder {landing} does not exist")
    paths = configure_environment(landing, warehouse, config)
    load_config(config, paths.root)  # fail fast, with key and reason, before Dagster starts

    from dagster import DagsterInstance

    from orchestration.build import build_definitions
    from orchestration.jobs import DAILY_BUILD_JOB

    job = build_definitions().resolve_job_def(DAILY_BUILD_JOB)
    log_level = "INFO" if verbose else "ERROR"
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            partition_key=as_of_date.isoformat(),
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
    recorded = _publish_status(paths, result.run_id)
    if result.success and recorded:
        return BuildOutcome(as_of_date, result.run_id, recorded[0], recorded[1])
    failure = _first_failure(result)
    return BuildOutcome(as_of_date, result.run_id, "failed", failure)


def _first_failure(result: object) -> str:
    """The first step error of a failed run, as one line."""
    for event in getattr(result, "all_events", []):
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause is not None and "dagster" in error.cls_name.lower():
                error = error.cause
            return f"step {event.step_key} failed: {error.message.strip().splitlines()[0]}"
    return "the build run failed before publishing"
