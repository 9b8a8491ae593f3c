"""End to end: `backfill` over two days fills pipeline_snapshot history, survives a transient
step failure through the retry policy, and resumes without rebuilding published days.

One tiny generated landing folder (30 leads), one backfill of two dates (two real Dagster
runs of the daily_build job), then the same backfill again. The first call of the loader
raises a transient error: the step's retry policy must absorb it.
"""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg
import duckdb
import pytest

from core.build_lock import describe_holder
from core.paths import WarehousePaths
from crm_pipeline.generator import GeneratorOptions, generate

pytestmark = pytest.mark.e2e

START, END = dt.date(2026, 3, 9), dt.date(2026, 3, 10)


class FlakyLoader:
    """The real loader, except that its first call fails like a file still being copied."""

    def __init__(self, real) -> None:
        self.real = real
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == 1:
            raise OSError("temporary failure: landing file is still being written")
        return self.real(*args, **kwargs)


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory):
    import ingestion.loader
    from crm_pipeline.backfill import run_backfill

    root = tmp_path_factory.mktemp("backfill")
    landing, warehouse = root / "landing", root / "warehouse"
    generate(
        landing,
        GeneratorOptions(leads=30, start=dt.date(2026, 3, 1), end=END, seed=7),
    )
    mp = pytest.MonkeyPatch()
    mp.delenv("DAGSTER_HOME", raising=False)  # the warehouse keeps its own Dagster instance
    flaky = FlakyLoader(ingestion.loader.load_landing)
    mp.setattr(ingestion.loader, "load_landing", flaky)

    environment_before = dict(os.environ)
    first_lines: list[str] = []
    first_code = run_backfill(
        landing, warehouse, START, END, None, first_lines.append, step_retry_delay_seconds=0
    )
    second_lines: list[str] = []
    second_code = run_backfill(landing, warehouse, START, END, None, second_lines.append)
    yield {
        "paths": WarehousePaths(warehouse.resolve()),
        "first": (first_code, first_lines),
        "second": (second_code, second_lines),
        "loader_calls": flaky.calls,
        "environment_changed": dict(os.environ) != environment_before,
    }
    mp.undo()


def test_every_date_is_published_once_in_order(backfilled) -> None:
    code, lines = backfilled["first"]
    assert code == 0, lines
    # "published" or, when rows were quarantined, "published with warnings"
    assert [line for line in lines if ": published" in line][0].startswith("[1/2] 2026-03-09")
    with duckdb.connect(str(backfilled["paths"].build_db), read_only=True) as con:
        rows = con.execute(
            "select as_of_date, status from data_quality.publish_log order by started_at"
        ).fetchall()
    assert rows == [(START, "published"), (END, "published")]


def test_pipeline_snapshot_has_one_set_of_rows_per_date(backfilled) -> None:
    with duckdb.connect(str(backfilled["paths"].serving_db), read_only=True) as con:
        per_date = con.execute(
            "select snapshot_date, count(*), count(distinct stage) "
            "from opportunity_funnel.pipeline_snapshot group by snapshot_date "
            "order by snapshot_date"
        ).fetchall()
    assert [row[0] for row in per_date] == [START, END]
    for _, rows, stages in per_date:
        assert rows == stages > 0  # one row per open stage, no duplicate set


def test_a_transient_step_failure_is_retried(backfilled) -> None:
    # first call failed, its retry and the second date's load succeeded
    assert backfilled["loader_calls"] == 3
    with dg.DagsterInstance.from_config(str(backfilled["paths"].dagster_home)) as instance:
        runs = instance.get_runs(dg.RunsFilter(job_name="daily_build"))
        assert sorted(run.tags["dagster/partition"] for run in runs) == ["2026-03-09", "2026-03-10"]
        assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
        first = next(run for run in runs if run.tags["dagster/partition"] == "2026-03-09")
        retries = instance.all_logs(first.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY)
        assert len(retries) == 1


def test_the_local_instance_limits_writers_and_the_lock_is_released(backfilled) -> None:
    paths = backfilled["paths"]
    assert "default_limit: 1" in (paths.dagster_home / "dagster.yaml").read_text("utf-8")
    assert describe_holder(paths.lock_file) == "another build"  # nobody holds it now


def test_builds_leave_the_process_environment_as_they_found_it(backfilled) -> None:
    # settings reach the job as a Dagster resource and dbt as vars, never through os.environ
    assert backfilled["environment_changed"] is False


def test_running_the_same_backfill_again_rebuilds_nothing(backfilled) -> None:
    code, lines = backfilled["second"]
    assert code == 0
    assert sum("already published, skipped" in line for line in lines) == 2
    assert lines[-1] == "backfill done: 0 published, 0 blocked, 2 skipped"
    with duckdb.connect(str(backfilled["paths"].build_db), read_only=True) as con:
        assert con.execute("select count(*) from data_quality.publish_log").fetchone()[0] == 2


def test_mart_materializations_show_row_count_and_as_of_date(backfilled) -> None:
    paths = backfilled["paths"]
    key = dg.AssetKey(["opportunity_funnel", "pipeline_snapshot"])
    with dg.DagsterInstance.from_config(str(paths.dagster_home)) as instance:
        event = instance.get_latest_materialization_event(key)
    metadata = event.asset_materialization.metadata
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        rows = con.execute("select count(*) from opportunity_funnel.pipeline_snapshot").fetchone()
    assert metadata["dagster/row_count"].value == rows[0]
    assert metadata["as_of_date"].value == "2026-03-10"
