"""Daily operations in Dagster: definitions, schedule, landing sensor, retries, instance.

Uses Dagster's own testing utilities (build_schedule_context, build_sensor_context,
Definitions.validate_loadable); no run is executed here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
import yaml

from core.constants import BUILD_DB_POOL, BUILD_DB_RUN_TAG
from core.settings import ConfigError, Settings
from orchestration.jobs import DAILY_BUILD_JOB, daily_build_job
from orchestration.partitions import daily_partitions, latest_complete_day
from orchestration.resources import PipelineResource
from orchestration.schedules import DAILY_SCHEDULE, cron_for, daily_build_schedule
from orchestration.sensors import LANDING_SENSOR, landing_changes

REPO_ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
AN_HOUR_AGO = time.time() - 3600


def _pipeline(root: Path, config: Path | None = None) -> PipelineResource:
    return PipelineResource(
        landing_dir=str(root / "landing"),
        warehouse_dir=str(root / "warehouse"),
        config_path=str(config) if config else "",
    )


@pytest.fixture(scope="module")
def defs(tmp_path_factory: pytest.TempPathFactory) -> dg.Definitions:
    """The definitions as `dagster dev` loads them, with the default configuration."""
    from orchestration.build import build_definitions

    return build_definitions(_pipeline(tmp_path_factory.mktemp("ops_defs")))


# ------------------------------------------------------------------------- definitions
def test_definitions_are_loadable(defs: dg.Definitions) -> None:
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_schedule_def(DAILY_SCHEDULE).job_name == DAILY_BUILD_JOB
    assert defs.resolve_sensor_def(LANDING_SENSOR).job_name == DAILY_BUILD_JOB


def test_job_retries_steps_with_backoff_and_is_tagged_for_the_queue(defs: dg.Definitions) -> None:
    job = defs.resolve_job_def(DAILY_BUILD_JOB)
    policy = job.op_retry_policy
    assert policy is not None and policy.max_retries >= 1
    assert policy.backoff == dg.Backoff.EXPONENTIAL and policy.delay
    assert job.run_tags.get(BUILD_DB_RUN_TAG) == "writer"


def test_the_retry_delay_is_the_pipeline_resources(tmp_path: Path) -> None:
    from orchestration.build import build_definitions

    pipeline = _pipeline(tmp_path).model_copy(update={"step_retry_delay_seconds": 0.0})
    policy = build_definitions(pipeline).resolve_job_def(DAILY_BUILD_JOB).op_retry_policy
    assert policy.delay == 0 and policy.max_retries == 2


def test_every_step_writing_the_build_database_is_in_the_pool(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    for key in (
        dg.AssetKey(["raw", "leads"]),
        dg.AssetKey(["data_quality", "quarantine"]),
        dg.AssetKey(["opportunity_funnel", "pipeline_snapshot"]),
        dg.AssetKey(["serving", "published_marts"]),
    ):
        assert graph.get(key).assets_def.op.pool == BUILD_DB_POOL, key


def test_marts_have_freshness_policies_and_staging_does_not(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    for key in (
        dg.AssetKey(["opportunity_funnel", "kpi_summary"]),
        dg.AssetKey(["customer_lifecycle", "dim_customers"]),
    ):
        policy = graph.get(key).freshness_policy
        assert policy is not None
        # a mart missing one daily build is late (warn), missing two is failed
        warn, fail = policy.warn_window.to_timedelta(), policy.fail_window.to_timedelta()
        assert dt.timedelta(hours=24) < warn < fail <= dt.timedelta(hours=72)
    assert graph.get(dg.AssetKey(["staging", "stg_crm__leads"])).freshness_policy is None


def test_settings_are_read_when_definitions_load_not_at_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("schedule:\n  time: '25:00'\n", encoding="utf-8")
    monkeypatch.setenv("CRM_PIPELINE_CONFIG", str(broken))  # what `dagster dev` would see
    import importlib

    import orchestration.definitions
    import orchestration.schedules

    importlib.reload(orchestration.schedules)  # importing reads nothing
    importlib.reload(orchestration.definitions)
    from orchestration.build import build_definitions

    with pytest.raises(ConfigError, match="schedule.time"):
        build_definitions(_pipeline(tmp_path, broken))
    with pytest.raises(ConfigError, match="schedule.time"):
        orchestration.definitions.defs()


# ---------------------------------------------------------------------------- schedule
def _tick(schedule: dg.ScheduleDefinition, when: dt.datetime) -> dg.RunRequest:
    request = schedule(dg.build_schedule_context(scheduled_execution_time=when))
    assert isinstance(request, dg.RunRequest)
    return request


def test_default_schedule_builds_the_day_that_just_ended(defs: dg.Definitions) -> None:
    schedule = defs.resolve_schedule_def(DAILY_SCHEDULE)
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    # 06:00 on 2026-03-31 in Shanghai: the day that just ended is 2026-03-30
    request = _tick(schedule, dt.datetime(2026, 3, 31, 6, 0, tzinfo=SHANGHAI))
    assert request.partition_key == "2026-03-30"
    # the same instant given in UTC (2026-03-30 22:00Z) is still the Shanghai morning
    request = _tick(schedule, dt.datetime(2026, 3, 30, 22, 0, tzinfo=dt.UTC))
    assert request.partition_key == "2026-03-30"
    assert daily_partitions("Asia/Shanghai").has_partition_key(request.partition_key)


def test_schedule_evaluates_through_the_repository(defs: dg.Definitions) -> None:
    schedule = defs.resolve_schedule_def(DAILY_SCHEDULE)
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 1, 1, 6, 0, tzinfo=SHANGHAI),
        repository_def=defs.get_repository_def(),
    )
    data = schedule.evaluate_tick(context)
    (request,) = data.run_requests
    # New Year's morning builds New Year's Eve (year boundary)
    assert request.partition_key == "2025-12-31"
    assert request.tags["dagster/partition"] == "2025-12-31"


def test_configured_time_and_timezone(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("timezone: Europe/Berlin\nschedule:\n  time: '23:30'\n", encoding="utf-8")
    from orchestration.build import build_definitions

    schedule = build_definitions(_pipeline(tmp_path, config)).resolve_schedule_def(DAILY_SCHEDULE)
    assert schedule.cron_schedule == "30 23 * * *"
    assert schedule.execution_timezone == "Europe/Berlin"
    # 23:30 on 2026-03-31 in Berlin: 2026-03-31 has not ended yet, so 2026-03-30 is built
    request = _tick(schedule, dt.datetime(2026, 3, 31, 23, 30, tzinfo=ZoneInfo("Europe/Berlin")))
    assert request.partition_key == "2026-03-30"


def test_schedule_timezone_differs_from_business_timezone() -> None:
    settings = Settings.model_validate(
        {"timezone": "Asia/Shanghai", "schedule": {"time": "22:30", "timezone": "UTC"}}
    )
    schedule = daily_build_schedule(daily_build_job(daily_partitions("Asia/Shanghai")), settings)
    assert schedule.execution_timezone == "UTC"
    # 22:30Z on 2026-03-30 is 06:30 on 2026-03-31 in Shanghai: the business day that just
    # ended there is 2026-03-30
    request = _tick(schedule, dt.datetime(2026, 3, 30, 22, 30, tzinfo=dt.UTC))
    assert request.partition_key == "2026-03-30"


def test_cron_and_latest_complete_day_helpers() -> None:
    assert cron_for("00:05") == "5 0 * * *"
    # 00:05 Shanghai on 2026-03-01 is still 2026-02-28 16:05 in UTC; Shanghai's last full
    # day is 2026-02-28, UTC's is 2026-02-27
    instant = dt.datetime(2026, 3, 1, 0, 5, tzinfo=SHANGHAI)
    assert latest_complete_day(instant, "Asia/Shanghai") == dt.date(2026, 2, 28)
    assert latest_complete_day(instant, "UTC") == dt.date(2026, 2, 27)
    with pytest.raises(ValueError):
        latest_complete_day(dt.datetime(2026, 3, 1), "UTC")


# ------------------------------------------------------------------------------ sensor
def _land(landing: Path, relative: str, text: str = "id\n1\n", mtime: float = AN_HOUR_AGO) -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def sensor_setup(tmp_path: Path, defs: dg.Definitions):
    landing = tmp_path / "landing"
    landing.mkdir()
    pipeline = PipelineResource(landing_dir=str(landing), warehouse_dir=str(tmp_path / "warehouse"))
    return landing, pipeline, (defs.resolve_sensor_def(LANDING_SENSOR), defs)


def _evaluate(sensor_and_defs, pipeline: PipelineResource, cursor: str | None):
    sensor, defs = sensor_and_defs
    context = dg.build_sensor_context(
        cursor=cursor, resources={"pipeline": pipeline}, repository_def=defs.get_repository_def()
    )
    return sensor.evaluate_tick(context)


def test_sensor_requests_one_build_per_new_file(sensor_setup) -> None:
    landing, pipeline, sensor = sensor_setup
    assert sensor[0].default_status == dg.DefaultSensorStatus.RUNNING
    _land(landing, "leads/2026-03-30.csv")

    # fresh warehouse (never built): the files already there start the first build
    first = _evaluate(sensor, pipeline, None)
    (request,) = first.run_requests
    expected_day = latest_complete_day(dt.datetime.now(dt.UTC), "Asia/Shanghai")
    assert request.partition_key == expected_day.isoformat()
    assert request.tags["crm/new_files"] == "1"

    # same files, cursor carried over: nothing new, no request
    second = _evaluate(sensor, pipeline, first.cursor)
    assert second.run_requests == []

    # one more file lands: exactly one request, with a different run key
    _land(landing, "follow_ups/2026-03-30.csv")
    third = _evaluate(sensor, pipeline, second.cursor)
    (again,) = third.run_requests
    assert again.run_key != request.run_key
    assert again.tags["crm/new_files"] == "1"
    assert _evaluate(sensor, pipeline, third.cursor).run_requests == []

    # the cursor is JSON of fingerprints of exactly the files seen
    assert set(json.loads(third.cursor)) == {"leads/2026-03-30.csv", "follow_ups/2026-03-30.csv"}


def test_sensor_baselines_an_existing_warehouse(sensor_setup) -> None:
    landing, pipeline, sensor = sensor_setup
    _land(landing, "leads/2026-03-29.csv")
    pipeline.paths().build_db.write_bytes(b"")  # the warehouse has been built before
    first = _evaluate(sensor, pipeline, None)
    assert first.run_requests == []
    _land(landing, "leads/2026-03-30.csv")
    (request,) = _evaluate(sensor, pipeline, first.cursor).run_requests
    assert request.tags["crm/new_files"] == "1"


def test_sensor_skips_when_the_landing_folder_is_missing(tmp_path: Path, defs) -> None:
    pipeline = PipelineResource(
        landing_dir=str(tmp_path / "nowhere"), warehouse_dir=str(tmp_path / "warehouse")
    )
    data = _evaluate((defs.resolve_sensor_def(LANDING_SENSOR), defs), pipeline, None)
    assert data.run_requests == []
    assert "does not exist" in data.skip_message


def test_landing_changes_waits_for_files_still_being_copied(tmp_path: Path) -> None:
    from ingestion.landing import landed_files

    landing = tmp_path / "landing"
    now = time.time()
    _land(landing, "leads/a.csv", mtime=now - 3600)
    _land(landing, "leads/b.csv", mtime=now - 5)  # modified 5 s ago: still being written
    changes = landing_changes(None, landed_files(landing), now, 30, trigger_on_first=True)
    assert changes.new_files == ["leads/a.csv"]
    # once it has settled it is new, and only it
    later = landing_changes(changes.cursor, landed_files(landing), now + 60, 30)
    assert later.new_files == ["leads/b.csv"]
    assert later.run_key is not None and later.run_key != changes.run_key


def test_landing_changes_sees_rewritten_files_and_forgets_removed_ones(tmp_path: Path) -> None:
    from ingestion.landing import landed_files

    landing = tmp_path / "landing"
    now = time.time()
    a = _land(landing, "leads/a.csv", mtime=now - 3600)
    _land(landing, "service_records/s.csv", mtime=now - 3600)
    base = landing_changes(None, landed_files(landing), now, 30)
    assert base.new_files == [] and base.run_key is None  # first look: baseline
    _land(landing, "leads/a.csv", text="id\n1\n2\n", mtime=now - 600)  # re-exported
    (landing / "service_records" / "s.csv").unlink()
    changed = landing_changes(base.cursor, landed_files(landing), now, 30)
    assert changed.new_files == ["leads/a.csv"]
    assert set(json.loads(changed.cursor)) == {"leads/a.csv"}
    assert a.exists()


# ---------------------------------------------------------------------------- instance
def _concurrency(text: str) -> dict:
    return yaml.safe_load(text)["concurrency"]


def test_runner_writes_the_instance_config_with_the_pool_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.paths import WarehousePaths
    from crm_pipeline.runner import dagster_home, write_instance_config

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    paths = WarehousePaths(tmp_path / "warehouse")
    home = dagster_home(paths)
    assert home == paths.dagster_home  # no DAGSTER_HOME: the warehouse keeps its instance
    instance_yaml = write_instance_config(home)
    assert instance_yaml == paths.dagster_home / "dagster.yaml"
    concurrency = _concurrency(instance_yaml.read_text(encoding="utf-8"))
    assert concurrency["pools"]["default_limit"] == 1
    assert {"key": BUILD_DB_RUN_TAG, "limit": 1} in concurrency["runs"]["tag_concurrency_limits"]

    with dg.DagsterInstance.from_config(str(home)) as instance:
        config = instance.get_concurrency_config()
        assert config.pool_config.default_pool_limit == 1
        assert config.run_queue_config.tag_concurrency_limits == [
            {"key": BUILD_DB_RUN_TAG, "limit": 1}
        ]

    # an operator's own file is never overwritten
    instance_yaml.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    write_instance_config(home)
    assert instance_yaml.read_text(encoding="utf-8") == "telemetry:\n  enabled: false\n"


def test_production_instance_matches_and_uses_postgres(tmp_path: Path) -> None:
    from crm_pipeline.runner import INSTANCE_YAML

    production = yaml.safe_load((REPO_ROOT / "deploy" / "dagster.yaml").read_text("utf-8"))
    assert production["concurrency"] == _concurrency(INSTANCE_YAML)
    postgres = production["storage"]["postgres"]["postgres_db"]
    assert postgres["password"] == {"env": "DAGSTER_PG_PASSWORD"}  # no secret in the file

    # everything but the storage loads as a real instance (PostgreSQL swapped for SQLite)
    production["storage"] = {"sqlite": {"base_dir": str(tmp_path / "storage")}}
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(production), encoding="utf-8")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_monitoring_enabled and instance.run_retries_enabled
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


def test_abandoned_command_line_runs_are_closed_but_daemon_runs_are_not() -> None:
    from dagster._core.storage.dagster_run import DagsterRun

    from crm_pipeline.runner import _close_abandoned_cli_runs

    with dg.DagsterInstance.ephemeral() as instance:
        for run_id, trigger in (("killed-cli", "cli"), ("daemon", "landing_sensor")):
            instance.add_run(
                DagsterRun(
                    job_name=DAILY_BUILD_JOB,
                    run_id=run_id,
                    status=dg.DagsterRunStatus.STARTED,
                    tags={"crm/trigger": trigger},
                )
            )
        # called while the caller holds the build lock: a live CLI run would hold it too
        _close_abandoned_cli_runs(instance)
        assert instance.get_run_by_id("killed-cli").status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id("daemon").status == dg.DagsterRunStatus.STARTED


def test_dg_project_cli_loads_the_definitions(tmp_path: Path) -> None:
    """`dg dev` (make dagster-ui) finds the project through pyproject's [tool.dg] and loads
    the same definitions; a wrong entry point there would only show when someone opens the UI."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "CRM_LANDING_DIR": str(tmp_path / "landing"),
        "CRM_WAREHOUSE_DIR": str(tmp_path / "warehouse"),
        "DAGSTER_HOME": str(tmp_path),
        "VIRTUAL_ENV": str(Path(sys.executable).parents[1]),
    }
    (tmp_path / "dagster.yaml").write_text("")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "check", "defs"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "All definitions loaded successfully" in done.stdout + done.stderr
