"""The funnel follows the configuration, not numbers written in SQL: the same hand-made
scenario (tests/e2e/fixtures/funnel_landing, D = 2026-03-31, see test_opportunity_funnel.py)
built with another stage list, other thresholds and another grading card."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from core.quality_tables import create_quality_tables
from core.raw_schema import create_raw_tables
from core.settings import Settings
from tests.conftest import DbtHarness
from tests.dbt.test_opportunity_funnel import LANDING, assert_dbt_ok, insert_landing_into_raw

D = dt.date(2026, 3, 31)


def custom_vars() -> dict[str, Any]:
    """Defaults changed: an extra open stage `trial` (试用) after proposal that no lead ever
    enters; needs_confirmed stalls after 50 days; no_touch_days 50; recycle_days 100; the
    A grade needs 95 points."""
    dbt_vars = Settings().dbt_vars(D)
    stages = copy.deepcopy(dbt_vars["stages"])
    keys = [s["key"] for s in stages]
    trial = {"key": "trial", "label_zh": "试用", "probability": 60.0, "stall_days": 10,
             "terminal": False}  # fmt: skip
    stages.insert(keys.index("proposal") + 1, trial)
    for order, stage in enumerate(stages, start=1):
        stage["order"] = order
        if stage["key"] == "needs_confirmed":
            stage["stall_days"] = 50
    thresholds = dict(dbt_vars["thresholds"], no_touch_days=50, recycle_days=100)
    grading = dict(dbt_vars["grading"], a_min_score=95)
    enum_keys = dict(dbt_vars["enum_keys"], stage=[s["key"] for s in stages])
    return {"stages": stages, "thresholds": thresholds, "grading": grading, "enum_keys": enum_keys}


@pytest.fixture(scope="module")
def custom_db(tmp_path_factory: pytest.TempPathFactory) -> DbtHarness:
    tmp = tmp_path_factory.mktemp("funnel_config")
    harness = DbtHarness(tmp / "build.duckdb", tmp / "dbt_target")
    with harness.connect() as con:
        create_raw_tables(con)
        create_quality_tables(con)
        insert_landing_into_raw(con, LANDING)
    result = harness.run(
        "run", "--select", "+path:models/marts/opportunity_funnel",
        as_of=D, extra_vars=custom_vars(),
    )  # fmt: skip
    assert_dbt_ok(result)
    return harness


def test_extra_stage_appears_and_skipped_stage_counts_as_reached(custom_db: DbtHarness) -> None:
    rows = custom_db.query(
        "select stage, stage_order, reached_count, advanced_count, won_count "
        "from opportunity_funnel.funnel_conversion "
        "where cohort_month = date '2026-01-01' order by stage_order"
    )
    # January: L01 won, L02 lost after needs_confirmed, L07 at lead, L12 lost after
    # negotiation. Nobody entered trial, but L01 (won) and L12 (negotiation, now after
    # trial) went past it: trial is reached by 2 and both advanced to negotiation or later.
    assert rows == [
        ("lead", 1, 4, 3, 1),
        ("contacted", 2, 3, 3, 1),
        ("needs_confirmed", 3, 3, 2, 1),
        ("proposal", 4, 2, 2, 1),
        ("trial", 5, 2, 2, 1),
        ("negotiation", 6, 2, 1, 1),
    ]
    # The open pipeline lists the new stage too (empty), in its configured place.
    assert custom_db.query(
        "select stage, stage_order, open_count from opportunity_funnel.pipeline_snapshot "
        "where stage in ('trial', 'negotiation') order by stage_order"
    ) == [("trial", 5, 0), ("negotiation", 6, 1)]


def test_thresholds_and_grading_follow_configuration(custom_db: DbtHarness) -> None:
    opps = {
        r[0]: r[1:]
        for r in custom_db.query(
            "select lead_id, is_stalled, is_no_touch, is_recycle_candidate, grade "
            "from opportunity_funnel.fct_opportunities where lead_id in ('L04', 'L05', 'L07')"
        )
    }
    # L04: 43 days in needs_confirmed ≤ 50 → not stalled; 43 untouched ≤ 50 → no no_touch.
    # L07: 70 days untouched > 50 but ≤ 100 → no_touch, not recycle; 70 > 7 in lead → stalled.
    # L05: 90 points < 95 → B.
    assert opps == {
        "L04": (False, False, False, "B"),
        "L05": (False, False, False, "B"),
        "L07": (True, True, False, "C"),
    }
    reasons = custom_db.query(
        "select lead_id, reason from opportunity_funnel.attention_list order by 1, 2"
    )
    # L04 keeps only its overdue follow-up (planned 02-23); L06 overdue; L07 no touch, stalled.
    assert reasons == [
        ("L04", "overdue_follow_up"),
        ("L06", "overdue_follow_up"),
        ("L07", "no_touch"),
        ("L07", "stalled"),
    ]
    [(detail,)] = custom_db.query(
        "select detail from opportunity_funnel.attention_list "
        "where lead_id = 'L07' and reason = 'no_touch'"
    )
    assert detail == "no follow-up for 70 days, limit 50"
