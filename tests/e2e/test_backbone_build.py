"""Backbone end to end: `crm-pipeline build` on a hand-made landing folder publishes the
four first mart tables with values derived by hand from spec/marts.md.

Landing folder (tests/e2e/fixtures/backbone_landing), build as of D = 2026-03-31:
- L1 created 2026-01-10, won 2026-02-15 with amount 120,000 (owner 王芳, account 华启科技).
- L2 created 2026-02-01 (account "ＡＢＣ科技 "), lost 2026-03-10, budget 50,000, no amount;
  its loss reason holds a phone number.
- L3 created 2026-03-05 (account "abc科技": same key as L2), contacted; a version dated
  2026-04-02 (after D) marks it won — it must not count.
- L4 created 2026-03-20, negotiation, own probability 60, budget 30,000.
- S2: legacy customer 老客户有限公司, one repair on 2025-11-15 (no lead at all).
- S1: 华启科技 consultation on 2026-03-01, rated 5.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crm_pipeline.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "backbone_landing"
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("backbone")
    landing = root / "landing"
    shutil.copytree(FIXTURE, landing)
    warehouse = root / "warehouse"
    code = main(
        ["build", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", "2026-03-31"]
    )
    assert code == 0
    return warehouse / "serving" / "crm.duckdb"


def _rows(db: Path, sql: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(db), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_opportunities_as_of_the_build_date(published: Path) -> None:
    rows = {
        r["lead_id"]: r
        for r in _rows(published, "select * from opportunity_funnel.fct_opportunities")
    }
    assert set(rows) == {"L1", "L2", "L3", "L4"}
    assert all(r["as_of_date"] == dt.date(2026, 3, 31) for r in rows.values())
    # L1: won; cycle = 2026-02-15 - 2026-01-10 = 36 days.
    assert (rows["L1"]["status"], rows["L1"]["stage"]) == ("won", "won")
    assert rows["L1"]["amount"] == Decimal("120000")
    assert rows["L1"]["sales_cycle_days"] == 36
    # L2: lost; amount defaults to the budget; cycle = 2026-03-10 - 2026-02-01 = 37 days.
    assert rows["L2"]["status"] == "lost"
    assert rows["L2"]["amount"] == Decimal("50000")
    assert rows["L2"]["sales_cycle_days"] == 37
    # The loss reason was typed with a phone number in it: masked in the mart.
    assert rows["L2"]["loss_reason"] == "价格过高，客户电话139****5678"
    # L3: the 2026-04-02 "won" version is after D: still open in contacted, probability
    # defaults to the stage's 10 → weighted 80,000 × 10 / 100 = 8,000; no cycle (open).
    assert (rows["L3"]["status"], rows["L3"]["stage"]) == ("open", "contacted")
    assert float(rows["L3"]["weighted_amount"]) == pytest.approx(8000)
    assert rows["L3"]["sales_cycle_days"] is None
    # L4: own probability 60 → weighted 30,000 × 60 / 100 = 18,000.
    assert float(rows["L4"]["probability"]) == 60
    assert float(rows["L4"]["weighted_amount"]) == pytest.approx(18000)
    # L2 and L3 are one account: "ＡＢＣ科技 " and "abc科技" normalise to the same key.
    assert rows["L2"]["account_key"] == rows["L3"]["account_key"] == "abc科技"
    # No phone number reaches the mart.
    assert "13812345678" not in str(rows) and "13912345678" not in str(rows)


def test_monthly_kpis(published: Path) -> None:
    rows = {
        r["month"]: r for r in _rows(published, "select * from opportunity_funnel.monthly_kpis")
    }
    # From the first lead's month (2026-01) to D's month (2026-03).
    assert sorted(rows) == [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    jan, feb, mar = (rows[dt.date(2026, m, 1)] for m in (1, 2, 3))
    assert (jan["new_opportunities"], jan["won_count"], jan["lost_count"]) == (1, 0, 0)
    assert jan["win_rate"] is None  # 0 / (0 + 0): NULL, never 0
    # February: L2 created; L1 won (120,000, cycle 36).
    assert (feb["new_opportunities"], feb["won_count"], feb["lost_count"]) == (1, 1, 0)
    assert feb["win_rate"] == pytest.approx(1.0)
    assert float(feb["won_amount"]) == pytest.approx(120000)
    assert float(feb["avg_sales_cycle_days"]) == pytest.approx(36)
    assert float(feb["median_sales_cycle_days"]) == pytest.approx(36)
    # March: L3 and L4 created; L2 lost (50,000); L3's April win does not count.
    assert (mar["new_opportunities"], mar["won_count"], mar["lost_count"]) == (2, 0, 1)
    assert mar["win_rate"] == pytest.approx(0.0)
    assert float(mar["lost_amount"]) == pytest.approx(50000)
    assert mar["win_rate_by_amount"] == pytest.approx(0.0)
    assert mar["avg_sales_cycle_days"] is None


def test_customers_from_won_deals_and_service_records(published: Path) -> None:
    rows = {
        r["account_name"]: r
        for r in _rows(published, "select * from customer_lifecycle.dim_customers")
    }
    # 华启科技 (won L1) and the legacy 老客户有限公司; abc科技 only lost / won after D.
    assert set(rows) == {"华启科技", "老客户有限公司"}
    huaqi, legacy = rows["华启科技"], rows["老客户有限公司"]
    # acquired at the earlier of first won close (02-15 10:00) and first service (03-01).
    assert huaqi["acquired_at"] == dt.datetime(2026, 2, 15, 10, 0)
    assert (huaqi["won_deals"], float(huaqi["won_amount"])) == (1, 120000)
    assert float(huaqi["lifetime_value"]) == pytest.approx(120000)
    assert huaqi["is_repeat_buyer"] is False
    assert huaqi["service_requests"] == 1
    assert float(huaqi["avg_satisfaction"]) == pytest.approx(5)
    assert huaqi["last_activity_at"] == dt.datetime(2026, 3, 1, 9, 0)
    assert huaqi["days_since_last_activity"] == 30  # 03-31 - 03-01
    assert huaqi["lifecycle_status"] == "new"  # acquired 44 days before D (< 90)
    assert huaqi["owner"] == "王芳"
    # Legacy: acquired 2025-11-15, 136 days before D: not new, not churned (≤ 180),
    # inactive > 90 days → at_risk.
    assert legacy["won_deals"] == 0
    assert float(legacy["lifetime_value"]) == pytest.approx(0)
    assert legacy["days_since_last_activity"] == 136
    assert legacy["lifecycle_status"] == "at_risk"
    assert legacy["churned_at"] is None


def test_customer_monthly(published: Path) -> None:
    rows = {
        r["month"]: r for r in _rows(published, "select * from customer_lifecycle.customer_monthly")
    }
    # From the first customer's month (2025-11) to D's month (2026-03): five months.
    assert sorted(rows) == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
    ]
    nov, feb, mar = rows[dt.date(2025, 11, 1)], rows[dt.date(2026, 2, 1)], rows[dt.date(2026, 3, 1)]
    start_new_churn_end = (
        "customers_at_start",
        "new_customers",
        "churned_customers",
        "customers_at_end",
    )
    assert tuple(nov[k] for k in start_new_churn_end) == (0, 1, 0, 1)
    assert nov["churn_rate"] is None  # 0 customers at start: NULL
    assert tuple(feb[k] for k in start_new_churn_end) == (1, 1, 0, 2)
    assert tuple(mar[k] for k in start_new_churn_end) == (2, 0, 0, 2)
    assert mar["churn_rate"] == pytest.approx(0.0)
    # One customer with a won deal at the end of March, no repeat buyer: 0 / 1.
    assert mar["repurchase_rate"] == pytest.approx(0.0)
    assert nov["repurchase_rate"] is None  # no customer with a won deal yet
