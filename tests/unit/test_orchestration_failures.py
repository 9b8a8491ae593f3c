"""A failed build run is recorded as ``failed`` in publish_log and alerted, once.

A tiny partitioned job whose step raises stands in for the daily build (the sensor reads
only the run's partition, tags and step failure); it runs on an ephemeral instance and
the run-failure sensor is evaluated with Dagster's build_run_status_sensor_context.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from core.paths import WarehousePaths
from orchestration.failures import failure_message
from orchestration.resources import PipelineResource
from orchestration.sensors import RUN_FAILURE_SENSOR, build_failure_sensor

PARTITIONS = dg.DailyPartitionsDefinition(start_date="2026-01-01")


@dg.asset(partitions_def=PARTITIONS)
def broken_step() -> None:
    raise OSError("disk unavailable while reading the lead of 13812345678")


# retried once without delay, like the real job's policy: the reason must still be the
# user's error, not Dagster's "Exceeded max_retries"
JOB = dg.define_asset_job(
    "daily_build",
    selection=[broken_step],
    partitions_def=PARTITIONS,
    op_retry_policy=dg.RetryPolicy(max_retries=1),
)
DEFS = dg.Definitions(assets=[broken_step], jobs=[JOB])


def _failed_run(instance: dg.DagsterInstance, tags: dict[str, str] | None = None):
    result = DEFS.resolve_job_def("daily_build").execute_in_process(
        partition_key="2026-03-30", instance=instance, raise_on_error=False, tags=tags or {}
    )
    assert not result.success
    return result


def _evaluate(instance: dg.DagsterInstance, result, warehouse: Path) -> None:
    pipeline = PipelineResource(
        landing_dir=str(warehouse / "landing"), warehouse_dir=str(warehouse)
    )
    context = dg.build_run_status_sensor_context(
        sensor_name=RUN_FAILURE_SENSOR,
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"pipeline": pipeline},
    ).for_run_failure()
    build_failure_sensor(JOB)(context)


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CRM_PIPELINE_CONFIG", raising=False)  # default settings: no channel
    return tmp_path / "warehouse"


def test_failed_run_is_recorded_and_alerted_without_personal_data(warehouse: Path) -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        result = _failed_run(instance)
        _evaluate(instance, result, warehouse)
    with duckdb.connect(str(WarehousePaths(warehouse).build_db), read_only=True) as con:
        publish = con.execute(
            "select run_id, as_of_date, status, reason from data_quality.publish_log"
        ).fetchall()
        alerts = con.execute(
            "select run_id, as_of_date, channel, status, subject, body from data_quality.alert_log"
        ).fetchall()
    ((run_id, as_of, status, reason),) = publish
    assert (run_id, as_of, status) == (result.run_id, dt.date(2026, 3, 30), "failed")
    assert reason.startswith("step broken_step failed: OSError: disk unavailable")
    assert "13812345678" not in reason and "138****5678" in reason
    ((alert_run, alert_day, channel, alert_status, subject, body),) = alerts
    assert (alert_run, alert_day) == (result.run_id, dt.date(2026, 3, 30))
    assert alert_status == "logged"  # no channel configured: the alert log still has it
    # the default alert language is Chinese: the English error stays in publish_log
    assert "构建失败" in subject and "2026-03-30" in subject
    assert "详见构建日志" in body and "13812345678" not in body


def test_command_line_runs_are_left_to_run_build(warehouse: Path) -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        result = _failed_run(instance, tags={"crm/trigger": "cli"})
        _evaluate(instance, result, warehouse)
    assert not WarehousePaths(warehouse).build_db.exists()


def test_failure_message_is_bilingual_and_names_the_day() -> None:
    subject, body = failure_message(dt.date(2026, 3, 30), "run-1", "step x failed: boom\nTrace")
    assert "构建失败" in subject and "Build FAILED" in subject
    assert "业务日期 Business date: 2026-03-30" in body
    assert "原因 Reason: step x failed: boom" in body and "Trace" not in body
