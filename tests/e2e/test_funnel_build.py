"""End to end: the hand-made landing folder tests/e2e/fixtures/funnel_landing through
`crm-pipeline build` to the published opportunity-funnel mart (商机管理), as of
D = 2026-03-31, read the way a BI tool reads it (WAREHOUSE/serving/crm.duckdb).

The folder (four lead files, two follow-up files) tells this story:

    lead  created  source       as of D                                             amount
    L01   01-05    website      won 02-18, walked through every stage               480000
    L02   01-12    expo         lost 03-03 after needs_confirmed                    200000
    L03   02-02    referral     won 03-10; contacted → proposal skips a stage       1000000
    L04   02-03    phone        open, needs_confirmed since 02-16: stalled, overdue 300000 (25 %)
    L05   03-02    referral     open negotiation, its own probability 60           900000
    L06   03-09    website      open contacted, follow-up planned 03-25 overdue,    150000 (10 %)
                                no expected close date
    L07   01-20    third_party  open lead, never touched (70 days)                  50000 (5 %)
    L08   03-25    expo         open contacted; its won version of 04-03 is after D 400000 (10 %)
    L09   04-01    website      created after D: does not exist
    L10   02-10    advertising  lost 02-24 at stage lead                            80000
    L11   03-03    phone        won 03-15                                           120000
    L12   01-15    website      lost 03-26 after negotiation                        250000

Sales cycles (closed_at date − created_at date): L01 44, L03 36, L11 12 (won); L02 50,
L10 14, L12 70 (lost). Expected close dates of open deals: L04 03-25, L05 04-15, L07 04-30,
L08 04-20, L06 none. The same scenario is checked model by model in
tests/dbt/test_opportunity_funnel.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crm_pipeline.cli import main

pytestmark = pytest.mark.e2e

LANDING = Path(__file__).resolve().parent / "fixtures" / "funnel_landing"
AS_OF = dt.date(2026, 3, 31)
FUNNEL_TABLES = {
    "fct_opportunities", "fct_stage_history", "funnel_conversion", "monthly_kpis",
    "pipeline_snapshot", "forecast_snapshot", "forecast", "forecast_accuracy",
    "rep_performance", "source_performance", "loss_reasons", "attention_list", "kpi_summary",
}  # fmt: skip


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One daily build through the CLI; the build must publish (exit code 0)."""
    warehouse = tmp_path_factory.mktemp("funnel_warehouse")
    code = main(
        ["build", "--landing", str(LANDING), "--warehouse", str(warehouse),
         "--as-of", AS_OF.isoformat()]
    )  # fmt: skip
    assert code == 0
    return warehouse


def query(warehouse: Path, sql: str) -> list[dict[str, Any]]:
    """Rows of the published database as dicts."""
    with duckdb.connect(str(warehouse / "serving" / "crm.duckdb"), read_only=True) as con:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def test_every_funnel_table_is_published(warehouse: Path) -> None:
    tables = {
        r["table_name"]
        for r in query(
            warehouse,
            "select table_name from information_schema.tables "
            "where table_schema = 'opportunity_funnel'",
        )
    }
    assert tables == FUNNEL_TABLES
    for table in FUNNEL_TABLES:
        parquet = warehouse / "serving" / "parquet" / "opportunity_funnel" / f"{table}.parquet"
        assert parquet.exists(), table
    # The folder is clean: nothing quarantined, every row reaches the mart.
    assert query(warehouse, "select count(*) as n from data_quality.quarantine") == [{"n": 0}]
    # L09 (created after D) is absent; the other eleven leads exist.
    assert query(warehouse, "select count(*) as n from opportunity_funnel.fct_opportunities") == [
        {"n": 11}
    ]


def test_published_kpi_summary(warehouse: Path) -> None:
    [row] = query(warehouse, "select * from opportunity_funnel.kpi_summary")
    assert row["as_of_date"] == AS_OF
    # Open: L04 300000×25 % = 75000, L05 900000×60 % = 540000, L06 150000×10 % = 15000,
    # L07 50000×5 % = 2500, L08 400000×10 % = 40000 → 5 deals, 1800000, weighted 672500.
    assert (row["open_count"], row["open_amount"]) == (5, Decimal("1800000"))
    assert row["weighted_pipeline"] == pytest.approx(672500)
    # Created 03-01 … 03-31: L05, L06, L08, L11. Won in March: L03 1000000 + L11 120000.
    assert row["new_opportunities_mtd"] == 4
    assert row["won_amount_mtd"] == Decimal("1120000")
    # Closed 01-01 … 03-31: won L01, L03, L11; lost L02, L10, L12 → 3 ÷ 6 = 0.5.
    # Mean cycle of those won: (44 + 36 + 12) ÷ 3 = 92 ÷ 3.
    assert row["win_rate_90d"] == pytest.approx(0.5)
    assert row["avg_sales_cycle_days_90d"] == pytest.approx(92 / 3)
    # Stalled: L04 (43 days > 21 in needs_confirmed), L07 (70 > 7 in lead).
    assert row["stalled_count"] == 2
    # Untouched > 14 days: L04 (last follow-up 02-16, 43 days), L07 (created 01-20, 70
    # days); L05 3, L06 11, L08 6 days → 2 ÷ 5 open = 0.4.
    assert row["follow_up_loss_rate"] == pytest.approx(0.4)


def test_published_funnel_conversion(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select cohort_month, stage, reached_count, advanced_count, won_count, "
        "conversion_to_next_rate, conversion_to_won_rate, as_of_date "
        "from opportunity_funnel.funnel_conversion order by cohort_month, stage_order",
    )
    assert {r["as_of_date"] for r in rows} == {AS_OF}
    # Furthest stage reached (lead 1, contacted 2, needs_confirmed 3, proposal 4,
    # negotiation 5, won 6; lost counts the furthest stage entered before it):
    #   January  L01 won 6, L02 lost 3, L07 1, L12 lost 5      (won: L01)
    #   February L03 won 6, L04 3, L10 lost 1                  (won: L03)
    #   March    L05 5, L06 2, L08 2 (its won version is after D), L11 won 6 (won: L11)
    # reached = rank ≥ stage; advanced = rank ≥ next stage (won after negotiation).
    jan, feb, mar = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
    expected = [
        (jan, "lead", 4, 3, 1, 3 / 4, 1 / 4),
        (jan, "contacted", 3, 3, 1, 1.0, 1 / 3),
        (jan, "needs_confirmed", 3, 2, 1, 2 / 3, 1 / 3),
        (jan, "proposal", 2, 2, 1, 1.0, 1 / 2),
        (jan, "negotiation", 2, 1, 1, 1 / 2, 1 / 2),
        (feb, "lead", 3, 2, 1, 2 / 3, 1 / 3),
        (feb, "contacted", 2, 2, 1, 1.0, 1 / 2),
        (feb, "needs_confirmed", 2, 1, 1, 1 / 2, 1 / 2),
        (feb, "proposal", 1, 1, 1, 1.0, 1.0),
        (feb, "negotiation", 1, 1, 1, 1.0, 1.0),
        (mar, "lead", 4, 4, 1, 1.0, 1 / 4),
        (mar, "contacted", 4, 2, 1, 1 / 2, 1 / 4),
        (mar, "needs_confirmed", 2, 2, 1, 1.0, 1 / 2),
        (mar, "proposal", 2, 2, 1, 1.0, 1 / 2),
        (mar, "negotiation", 2, 1, 1, 1 / 2, 1 / 2),
    ]
    actual = [
        (
            r["cohort_month"], r["stage"], r["reached_count"], r["advanced_count"],
            r["won_count"], r["conversion_to_next_rate"], r["conversion_to_won_rate"],
        )
        for r in rows
    ]  # fmt: skip
    assert [a[:5] for a in actual] == [e[:5] for e in expected]
    for a, e in zip(actual, expected, strict=True):
        assert a[5:] == (pytest.approx(e[5]), pytest.approx(e[6])), a[:2]


def test_published_monthly_kpis(warehouse: Path) -> None:
    rows = query(warehouse, "select * from opportunity_funnel.monthly_kpis order by month")
    assert [r["month"] for r in rows] == [
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
    ]
    jan, feb, mar = rows
    # January: created L01, L02, L07, L12; nothing closed → NULL rates and cycle stats.
    assert (jan["new_opportunities"], jan["won_count"], jan["lost_count"]) == (4, 0, 0)
    assert (jan["win_rate"], jan["win_rate_by_amount"], jan["median_sales_cycle_days"]) == (
        None,
        None,
        None,
    )
    # February: created L03, L04, L10; won L01 (480000, 44 days), lost L10 (80000).
    assert (feb["new_opportunities"], feb["won_count"], feb["lost_count"]) == (3, 1, 1)
    assert (feb["won_amount"], feb["lost_amount"]) == (Decimal("480000"), Decimal("80000"))
    assert feb["win_rate"] == pytest.approx(0.5)
    assert feb["win_rate_by_amount"] == pytest.approx(480000 / 560000)
    assert (feb["avg_sales_cycle_days"], feb["median_sales_cycle_days"]) == (44, 44)
    # March: created L05, L06, L08, L11; won L03 (1000000, 36 d) and L11 (120000, 12 d);
    # lost L02 (200000) and L12 (250000). Median of two = (12 + 36) ÷ 2 = 24.
    assert (mar["new_opportunities"], mar["won_count"], mar["lost_count"]) == (4, 2, 2)
    assert (mar["won_amount"], mar["lost_amount"]) == (Decimal("1120000"), Decimal("450000"))
    assert mar["win_rate"] == pytest.approx(0.5)
    assert mar["win_rate_by_amount"] == pytest.approx(1120000 / 1570000)
    assert mar["avg_sales_cycle_days"] == pytest.approx(24)
    assert mar["median_sales_cycle_days"] == pytest.approx(24)


def test_published_forecast(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select expected_close_month, open_count, open_amount, weighted_amount, won_count, "
        "won_amount from opportunity_funnel.forecast order by expected_close_month nulls last",
    )
    # Open by expected close month: March L04 (300000, 75000); April L05 + L07 + L08
    # (900000 + 50000 + 400000, 540000 + 2500 + 40000); no date: L06 (150000, 15000).
    # Won by close month: February L01 480000; March L03 + L11 1120000.
    assert [
        (r["expected_close_month"], r["open_count"], r["open_amount"], r["won_count"]) for r in rows
    ] == [
        (dt.date(2026, 2, 1), 0, Decimal("0"), 1),
        (dt.date(2026, 3, 1), 1, Decimal("300000"), 2),
        (dt.date(2026, 4, 1), 3, Decimal("1350000"), 0),
        (None, 1, Decimal("150000"), 0),
    ]
    assert [r["weighted_amount"] for r in rows] == [
        pytest.approx(0),
        pytest.approx(75000),
        pytest.approx(582500),
        pytest.approx(15000),
    ]
    assert [r["won_amount"] for r in rows] == [
        Decimal("480000"),
        Decimal("1120000"),
        Decimal("0"),
        Decimal("0"),
    ]
