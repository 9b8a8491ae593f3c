"""End to end: a hand-made landing folder through `crm-pipeline build` to the published
customer-lifecycle mart (客户关系管理).

The folder tests/e2e/fixtures/customer_landing holds one leads file and one service-records
file covering a repeat buyer (R001, two won deals, the second one re-exported from
negotiation to won), a legacy customer known only from service records (老客户有限公司),
a cancellation (C001), a customer churned by inactivity (I001), at-risk customers (K001:
low rating and an open complaint; Q001: inactive), SLA breaches (S5 urgent answered after
3h and unresolved; S8 medium answered after 10h) and unanswered / unresolved requests (S5,
S7), plus a lost deal and a deal won only after D, which make no customer. The same story
is derived customer by customer in tests/dbt/test_customer_lifecycle.py; here we assert the
numbers a BI tool reads from WAREHOUSE/serving/crm.duckdb, as of D = 2026-03-31.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crm_pipeline.cli import main

pytestmark = pytest.mark.e2e

LANDING = Path(__file__).resolve().parent / "fixtures" / "customer_landing"
AS_OF = "2026-03-31"
MART_TABLES = (
    "dim_customers", "customer_monthly", "cohort_retention", "service_monthly",
    "tier_summary", "churn_watchlist", "kpi_summary",
)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """Run one daily build through the CLI; return its exit code and the warehouse."""
    warehouse = tmp_path_factory.mktemp("customer_warehouse")
    code = main(["build", "--landing", str(LANDING), "--warehouse", str(warehouse),
                 "--as-of", AS_OF])
    return code, warehouse


def _query(warehouse: Path, sql: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(warehouse / "serving" / "crm.duckdb"), read_only=True) as con:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def test_build_publishes_every_customer_table(published: tuple[int, Path]) -> None:
    code, warehouse = published
    assert code == 0
    tables = {r["table_name"] for r in _query(
        warehouse,
        "select table_name from information_schema.tables "
        "where table_schema = 'customer_lifecycle'")}
    assert tables == set(MART_TABLES)
    for table in MART_TABLES:
        assert (warehouse / "serving" / "parquet" / "customer_lifecycle"
                / f"{table}.parquet").exists(), table
    # nothing of the clean folder was quarantined, so every row reached the mart
    assert _query(warehouse, "select count(*) as n from data_quality.quarantine") == [{"n": 0}]


def test_published_kpi_summary(published: tuple[int, Path]) -> None:
    _, warehouse = published
    [row] = _query(warehouse, "select * from customer_lifecycle.kpi_summary")
    assert row["as_of_date"] == dt.date(2026, 3, 31)
    # not churned: R001, legacy, K001, N001, Q001 (C001 cancelled, I001 inactive 303 days);
    # new or active: N001 (acquired 03-20), R001, legacy; at risk: K001, Q001;
    # churned in 2026-01-01 .. 03-31: C001 (03-05) only (I001 churned 2025-11-28).
    assert (row["customers"], row["new_customers_mtd"], row["active_customers"],
            row["at_risk_customers"], row["churned_customers_90d"]) == (5, 1, 3, 2, 1)
    # R001 is the one repeat buyer among six customers with a won deal (legacy has none)
    assert row["repurchase_rate"] == pytest.approx(1 / 6)
    # ratings on records opened 2026-01-01 .. 03-31: S3 4, S6 2, S1 5, S8 3 -> 14 / 4;
    # ratings >= 4: S3, S1 -> 2 / 4
    assert row["avg_satisfaction_90d"] == pytest.approx(3.5)
    assert row["csat_rate_90d"] == pytest.approx(0.5)
    # opened 03-02 .. 03-31 and answered: S4 1h, S1 2h, S5 3h, S8 10h (S7 unanswered)
    assert row["median_first_response_hours_30d"] == pytest.approx(2.5)
    # not churned: (150 000 + 20 000 + 60 000 + 30 000 + 10 000) / 5
    assert row["avg_lifetime_value"] == pytest.approx(54000)


def test_published_customer_monthly(published: tuple[int, Path]) -> None:
    _, warehouse = published
    rows = _query(warehouse, "select * from customer_lifecycle.customer_monthly order by month")
    # acquired: I001 2025-06, K001 09, legacy + Q001 10, R001 11, C001 12, N001 2026-03;
    # churned: I001 2025-11 (06-01 + 180 days = 11-28), C001 2026-03 (cancellation 03-05)
    assert [(r["month"], r["customers_at_start"], r["new_customers"], r["churned_customers"],
             r["customers_at_end"]) for r in rows] == [
        (dt.date(2025, 6, 1), 0, 1, 0, 1),
        (dt.date(2025, 7, 1), 1, 0, 0, 1),
        (dt.date(2025, 8, 1), 1, 0, 0, 1),
        (dt.date(2025, 9, 1), 1, 1, 0, 2),
        (dt.date(2025, 10, 1), 2, 2, 0, 4),
        (dt.date(2025, 11, 1), 4, 1, 1, 4),
        (dt.date(2025, 12, 1), 4, 1, 0, 5),
        (dt.date(2026, 1, 1), 5, 0, 0, 5),
        (dt.date(2026, 2, 1), 5, 0, 0, 5),
        (dt.date(2026, 3, 1), 5, 1, 1, 5),
    ]
    by_month = {r["month"]: r for r in rows}
    assert by_month[dt.date(2025, 6, 1)]["churn_rate"] is None  # 0 at start: NULL, not 0
    assert by_month[dt.date(2025, 11, 1)]["churn_rate"] == pytest.approx(1 / 4)
    assert by_month[dt.date(2026, 3, 1)]["churn_rate"] == pytest.approx(1 / 5)
    # R001's second deal closes 2026-02-15: 1 repeat buyer of 5 buyers, then of 6 in March
    assert by_month[dt.date(2026, 1, 1)]["repurchase_rate"] == pytest.approx(0.0)
    assert by_month[dt.date(2026, 2, 1)]["repurchase_rate"] == pytest.approx(1 / 5)
    assert by_month[dt.date(2026, 3, 1)]["repurchase_rate"] == pytest.approx(1 / 6)
    # March ratings: S1 5, S8 3
    assert by_month[dt.date(2026, 3, 1)]["avg_satisfaction"] == pytest.approx(4.0)
    assert by_month[dt.date(2026, 3, 1)]["csat_rate"] == pytest.approx(0.5)
    assert all(r["as_of_date"] == dt.date(2026, 3, 31) for r in rows)


def test_published_service_monthly(published: tuple[int, Path]) -> None:
    _, warehouse = published
    rows = _query(warehouse, "select * from customer_lifecycle.service_monthly")
    assert len(rows) == 6 * 4  # 2025-10 .. 2026-03, four priorities
    cells = {(r["month"], r["priority"]): r for r in rows}
    march = dt.date(2026, 3, 1)
    urgent = cells[(march, "urgent")]
    # S5 complaint: answered after 3h > 1h and still open at the end of D -> one breach
    assert (urgent["requests"], urgent["complaints"], urgent["resolved"],
            urgent["sla_breaches"]) == (1, 1, 0, 1)
    assert urgent["sla_breach_rate"] == pytest.approx(1.0)
    assert urgent["median_resolution_hours"] is None
    medium = cells[(march, "medium")]
    # S4 (1h, 24h) and S8 (10h > 8h breach, 24h, rated 3)
    assert (medium["requests"], medium["resolved"], medium["sla_breaches"]) == (2, 2, 1)
    assert medium["median_first_response_hours"] == pytest.approx(5.5)
    assert medium["p90_first_response_hours"] == pytest.approx(9.1)
    assert medium["median_resolution_hours"] == pytest.approx(24.0)
    assert (medium["rated"], medium["avg_satisfaction"], medium["csat_rate"]) == (
        1, pytest.approx(3.0), pytest.approx(0.0))
    low = cells[(march, "low")]
    # S7 opened 03-31 20:00, unanswered: 4h elapsed at the end of D, within 24h
    assert (low["requests"], low["resolved"], low["sla_breaches"]) == (1, 0, 0)
    october = cells[(dt.date(2025, 10, 1), "medium")]  # legacy repair S2: 2h, 24h, rated 4
    assert (october["requests"], october["median_first_response_hours"],
            october["median_resolution_hours"], october["csat_rate"]) == (
        1, pytest.approx(2.0), pytest.approx(24.0), pytest.approx(1.0))
    empty = cells[(dt.date(2025, 12, 1), "high")]
    assert (empty["requests"], empty["sla_breach_rate"], empty["avg_satisfaction"]) == (
        0, None, None)
    assert sum(r["requests"] for r in rows) == 8
    assert sum(r["sla_breaches"] for r in rows) == 2


def test_published_customers_and_watchlist_carry_no_personal_data(
    published: tuple[int, Path],
) -> None:
    _, warehouse = published
    for table in MART_TABLES:
        text = repr(_query(warehouse, f"select * from customer_lifecycle.{table}"))
        for pii in ("13812345678", "13900001111", "example.com", "客户来电"):
            assert pii not in text, (table, pii)
    watch = _query(warehouse, "select account_key, reason from customer_lifecycle.churn_watchlist "
                              "order by account_key, reason")
    assert [(r["account_key"], r["reason"]) for r in watch] == [
        ("C001", "cancellation"), ("K001", "low_satisfaction"), ("K001", "open_complaint"),
        ("Q001", "inactive"),
    ]
