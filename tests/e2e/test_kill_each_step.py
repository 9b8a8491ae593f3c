"""Checks follow the rows, not the run: a build killed at any step, then re-run, publishes
exactly what a clean run publishes (quality.md, "The gate"; issue 10 items 2 and 3).

One warehouse sees four `crm-pipeline build` processes, each SIGKILLed at a later step
(tests/e2e/kill_build.py): after ingest, inside the quality step, after dbt, and between
the serving-file swap and its `published` record; then a normal build. A second warehouse
gets one clean build of the same landing folder. The landing folder: 5 leads, of which L5
has no owner (1 of 5 = 20 %, at the limit: quarantined, published without it).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.paths import WarehousePaths
from crm_pipeline.backfill import published_dates

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2026-03-31"
HEADER = "lead_id,created_at,source,account_name,contact_name,requirement,budget,owner,stage"
ROWS = [f"L{i},2026-03-{20 + i} 10:00,官网,客户{i},联系人,CRM,10万,王芳,线索" for i in range(1, 5)]
ROWS.append("L5,2026-03-25 10:00,官网,客户5,联系人,CRM,10万,,线索")
STEPS = ("ingest", "quality", "dbt", "publish")


def build(landing: Path, warehouse: Path, kill_at: str | None = None) -> int:
    args = ["build", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", AS_OF]
    runner = (
        ["-m", "tests.e2e.kill_build", kill_at, "--"] if kill_at else ["-m", "crm_pipeline.cli"]
    )
    done = subprocess.run(
        [sys.executable, *runner, *args], cwd=REPO, capture_output=True, text=True, timeout=900
    )
    return done.returncode


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("kill")
    landing = root / "landing"
    (landing / "leads").mkdir(parents=True)
    (landing / "leads" / "2026-03-31.csv").write_text(
        "\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8"
    )
    killed, clean = root / "killed", root / "clean"
    facts: dict[str, Any] = {"killed": killed, "clean": clean, "codes": {}}
    for step in STEPS:
        facts["codes"][step] = build(landing, killed, kill_at=step)
        if step == "dbt":
            facts["pending_after_dbt_kill"] = rows(
                WarehousePaths(killed).build_db,
                "select count(*) from data_quality.checked_loads",
            )[0][0]
    paths = WarehousePaths(killed)
    facts["published_before_rerun"] = published_dates(paths)
    facts["serving_after_publish_kill"] = paths.serving_db.exists()
    facts["rerun"] = build(landing, killed)
    facts["clean_run"] = build(landing, clean)
    return facts


MARTS = "select lead_id, owner, stage from opportunity_funnel.fct_opportunities order by lead_id"
HELD = "select record_id, rule from data_quality.quarantine where released_at is null order by 1"


def test_each_kill_ended_the_process_and_the_rerun_published(runs: dict[str, Any]) -> None:
    assert runs["codes"] == {step: -9 for step in STEPS}
    assert (runs["rerun"], runs["clean_run"]) == (0, 0)


def test_published_marts_equal_a_clean_run(runs: dict[str, Any]) -> None:
    killed = WarehousePaths(runs["killed"]).serving_db
    clean = WarehousePaths(runs["clean"]).serving_db
    assert rows(killed, MARTS) == rows(clean, MARTS)
    assert [r[0] for r in rows(killed, MARTS)] == ["L1", "L2", "L3", "L4"]


def test_bad_rows_quarantined_once_and_no_raw_row_duplicated(runs: dict[str, Any]) -> None:
    for name in ("killed", "clean"):
        db = WarehousePaths(runs[name]).build_db
        assert rows(db, HELD) == [("L5", "required")]
        assert rows(db, "select count(*), count(distinct _row_id) from raw.leads") == [(5, 5)]
        assert rows(
            db,
            "select rows_read, rows_loaded, rows_quarantined from "
            "data_quality.file_loads where status = 'loaded'",
        ) == [(5, 4, 1)]


def test_a_kill_between_swap_and_record_leaves_no_published_row(runs: dict[str, Any]) -> None:
    # dbt was killed after the quality step committed: those rows were checked
    assert runs["pending_after_dbt_kill"] == 1
    # the publish kill swapped the file in but recorded nothing: backfill rebuilds the date
    assert runs["serving_after_publish_kill"]
    assert runs["published_before_rerun"] == set()
    log = rows(
        WarehousePaths(runs["killed"]).build_db,
        "select as_of_date, status from data_quality.publish_log",
    )
    assert log == [(dt.date(2026, 3, 31), "published")]
