"""`crm-pipeline backfill`: order, resume, exit codes, progress (builds replaced by a fake).

The real builds are exercised in tests/e2e/test_backfill.py; here ``run_build`` is a
stand-in that returns chosen outcomes, so every branch is cheap to test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

import crm_pipeline.backfill as backfill
from core.paths import WarehousePaths
from core.quality_tables import create_quality_tables
from crm_pipeline.runner import BuildOutcome

D1, D2, D3, D4 = (dt.date(2026, 3, day) for day in (1, 2, 3, 4))


def _publish_log(paths: WarehousePaths, rows: list[tuple[dt.date, str, int]]) -> None:
    """rows: (as_of_date, status, minute the build finished) — later minute = more recent."""
    paths.ensure()
    with duckdb.connect(str(paths.build_db)) as con:
        create_quality_tables(con)
        for number, (as_of, status, minute) in enumerate(rows):
            finished = dt.datetime(2026, 4, 1, 8, minute)
            con.execute(
                "insert into data_quality.publish_log (run_id, as_of_date, started_at, "
                "finished_at, status, reason) values (?, ?, ?, ?, ?, ?)",
                [
                    f"run-{number}",
                    as_of,
                    finished - dt.timedelta(seconds=30),
                    finished,
                    status,
                    "test",
                ],
            )


class FakeBuilds:
    """Replaces run_build: returns the status chosen per date and records the calls."""

    def __init__(self, statuses: dict[dt.date, str]) -> None:
        self.statuses = statuses
        self.calls: list[dt.date] = []

    def __call__(
        self,
        landing,
        warehouse,
        as_of,
        config=None,
        *,
        notify=None,
        verbose=False,
        step_retry_delay_seconds=None,
    ):
        self.calls.append(as_of)
        status = self.statuses.get(as_of, "published")
        return BuildOutcome(as_of, f"run-{as_of}", status, f"reason for {as_of}")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    landing = tmp_path / "landing"
    landing.mkdir()
    warehouse = tmp_path / "warehouse"

    def run(statuses: dict[dt.date, str], start: dt.date, end: dt.date, force: bool = False):
        fake = FakeBuilds(statuses)
        monkeypatch.setattr(backfill, "run_build", fake)
        lines: list[str] = []
        code = backfill.run_backfill(
            landing, warehouse, start, end, None, lines.append, force=force
        )
        return code, fake.calls, lines

    return WarehousePaths(warehouse), run


def test_latest_status_per_date_decides_what_is_published(env) -> None:
    paths, _ = env
    _publish_log(
        paths,
        [
            (D1, "published", 1),
            (D1, "blocked", 2),  # rebuilt later and blocked: not done
            (D2, "failed", 3),
            (D2, "published", 4),  # failed, then published: done
            (D3, "published", 5),  # done
            (D4, "blocked", 6),  # never published
        ],
    )
    assert backfill.published_dates(paths) == {D2, D3}


def test_no_build_database_means_nothing_published(env) -> None:
    paths, _ = env
    assert backfill.published_dates(paths) == set()


def test_builds_in_order_and_resumes_past_published_dates(env) -> None:
    paths, run = env
    _publish_log(paths, [(D2, "published", 1)])
    code, calls, lines = run({}, D1, D3)
    assert code == 0
    assert calls == [D1, D3]
    assert lines[0] == "backfill 2026-03-01 → 2026-03-03: 3 daily build(s), in order"
    assert "[2/3] 2026-03-02: already published, skipped (use --force to rebuild)" in lines
    assert any(line.startswith("[3/3] 2026-03-03: published in ") for line in lines)
    assert lines[-1] == "backfill done: 2 published, 0 blocked, 1 skipped"


def test_force_rebuilds_published_dates(env) -> None:
    paths, run = env
    _publish_log(paths, [(D2, "published", 1)])
    _, calls, _ = run({}, D1, D3, force=True)
    assert calls == [D1, D2, D3]


def test_a_blocked_date_gives_exit_2_and_the_backfill_goes_on(env) -> None:
    _, run = env
    code, calls, lines = run({D2: "blocked"}, D1, D3)
    assert code == 2
    assert calls == [D1, D2, D3]
    assert lines[-1] == "backfill done: 2 published, 1 blocked, 0 skipped"


def test_the_first_error_stops_the_backfill_with_exit_1(env) -> None:
    _, run = env
    code, calls, lines = run({D1: "blocked", D2: "failed"}, D1, D4)
    assert code == 1  # an error outranks an earlier blocked date
    assert calls == [D1, D2]
    assert any(
        "2026-03-02: failed in" in line and "reason for 2026-03-02" in line for line in lines
    )
    assert lines[-1].startswith("backfill stopped at 2026-03-02: fix the cause")


def test_bad_ranges_and_folders_are_one_sentence(env, tmp_path: Path) -> None:
    _, run = env
    with pytest.raises(ValueError, match="--end 2026-03-01 is before --start 2026-03-03"):
        run({}, D3, D1)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        backfill.run_backfill(tmp_path / "nope", tmp_path / "wh", D1, D1, None, print)


# ------------------------------------------------------------- a backfill from the UI
@pytest.fixture
def ui_defs(tmp_path: Path):
    """Definitions on a warehouse where D2 is published and D3 only blocked."""
    from orchestration.build import build_definitions
    from orchestration.resources import PipelineResource

    landing = tmp_path / "landing"
    landing.mkdir()
    paths = WarehousePaths(tmp_path / "warehouse")
    _publish_log(paths, [(D2, "published", 1), (D3, "blocked", 2)])
    pipeline = PipelineResource(landing_dir=str(landing), warehouse_dir=str(paths.root))
    return build_definitions(pipeline), paths


def _raw_run(defs, partition: str, tags: dict[str, str]):
    import dagster as dg

    raw = [dg.AssetKey(["raw", name]) for name in ("leads", "follow_ups", "service_records")]
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            asset_selection=raw, partition_key=partition, instance=instance, tags=tags
        )
    assert result.success
    return {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}


def test_a_ui_backfill_skips_a_published_date_like_the_command_line(ui_defs) -> None:
    defs, _ = ui_defs
    assert _raw_run(defs, D2.isoformat(), {"dagster/backfill": "b1"}) == set()


def test_a_ui_backfill_builds_blocked_dates_and_forced_ones(ui_defs) -> None:
    defs, _ = ui_defs
    everything = {"leads", "follow_ups", "service_records"}
    assert _raw_run(defs, D3.isoformat(), {"dagster/backfill": "b1"}) == everything
    forced = {"dagster/backfill": "b1", "crm/force": "true"}
    assert _raw_run(defs, D2.isoformat(), forced) == everything


def test_a_daily_build_of_a_published_date_still_builds(ui_defs) -> None:
    # the landing sensor rebuilds the latest day when its files are re-exported
    defs, _ = ui_defs
    assert _raw_run(defs, D2.isoformat(), {}) == {"leads", "follow_ups", "service_records"}


def test_a_skipped_date_skips_every_later_step_of_its_run(ui_defs) -> None:
    import dagster as dg

    defs, paths = ui_defs
    job = defs.resolve_job_def("daily_build")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            partition_key=D2.isoformat(), instance=instance, tags={"dagster/backfill": "b1"}
        )
    assert result.success
    assert result.get_asset_materialization_events() == []
    skipped = {event.step_key for event in result.all_events if event.is_step_skipped}
    assert {"data_quality__quarantine", "crm_dbt_models", "serving__published_marts"} <= skipped
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        assert con.execute("select count(*) from data_quality.publish_log").fetchone() == (2,)
