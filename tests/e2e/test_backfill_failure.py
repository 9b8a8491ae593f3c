"""End to end: a step that keeps failing stops the backfill with exit 1, after its retries,
and the failed build is recorded and alerted once, without personal data.

The loader is replaced by one that always raises (its message carries a phone number, as a
careless error might); the run fails in its first step, so no dbt run is needed.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import pytest

from core.paths import WarehousePaths

pytestmark = pytest.mark.e2e

PHONE = "13812345678"


@pytest.fixture(scope="module")
def failed_backfill(tmp_path_factory: pytest.TempPathFactory):
    import ingestion.loader
    from crm_pipeline.backfill import run_backfill

    root = tmp_path_factory.mktemp("backfill_failure")
    landing, warehouse = root / "landing", root / "warehouse"
    (landing / "leads").mkdir(parents=True)
    calls: list[dt.date] = []

    def broken_loader(*args, **kwargs):
        calls.append(kwargs.get("as_of_date"))
        raise OSError(f"disk error while reading the row of contact {PHONE}")

    mp = pytest.MonkeyPatch()
    mp.delenv("DAGSTER_HOME", raising=False)  # the warehouse keeps its own Dagster instance
    mp.setattr(ingestion.loader, "load_landing", broken_loader)
    lines: list[str] = []
    code = run_backfill(
        landing,
        warehouse,
        dt.date(2026, 3, 9),
        dt.date(2026, 3, 10),
        None,
        lines.append,
        step_retry_delay_seconds=0,  # the three attempts fail at once instead of over ~9 s
    )
    yield {
        "code": code,
        "lines": lines,
        "calls": calls,
        "paths": WarehousePaths(warehouse.resolve()),
    }
    mp.undo()


def test_backfill_stops_at_the_first_error_with_exit_1(failed_backfill) -> None:
    assert failed_backfill["code"] == 1
    # the first date only: tried once and retried twice by the step retry policy
    assert failed_backfill["calls"] == [dt.date(2026, 3, 9)] * 3
    lines = failed_backfill["lines"]
    assert lines[-1].startswith("backfill stopped at 2026-03-09")
    assert not any("2026-03-10: building" in line for line in lines)


def test_failed_build_is_recorded_and_alerted_once_without_the_phone(failed_backfill) -> None:
    with duckdb.connect(str(failed_backfill["paths"].build_db), read_only=True) as con:
        publish = con.execute(
            "select as_of_date, status, reason from data_quality.publish_log"
        ).fetchall()
        alerts = con.execute("select subject, body from data_quality.alert_log").fetchall()
    ((as_of, status, reason),) = publish
    assert (as_of, status) == (dt.date(2026, 3, 9), "failed")
    assert reason.startswith("step raw_landing_files failed: OSError: disk error")
    ((subject, body),) = alerts
    # alerts are Chinese by default (alerts.language: zh): 构建失败 = the build failed
    assert "构建失败" in subject and "2026-03-09" in subject
    everything = " ".join([reason, body, *failed_backfill["lines"]])
    assert PHONE not in everything and "138****5678" in everything


def test_the_failed_run_is_in_the_instance_with_its_retries(failed_backfill) -> None:
    home = failed_backfill["paths"].dagster_home
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs(dg.RunsFilter(job_name="daily_build"))
        assert run.status == dg.DagsterRunStatus.FAILURE
        assert run.tags["crm/trigger"] == "cli"
        retries = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY)
        assert len(retries) == 2
