"""The customer-lifecycle mart (客户关系管理, marts.md) built by dbt on a hand-made data set.

One dbt build per module (dbt takes seconds): it runs the mart's dbt unit tests and data
tests, then builds every table from raw rows inserted directly into ``raw.*``. The rows are
those of the end-to-end landing folder ``tests/e2e/fixtures/customer_landing`` (read here
with the csv module, typed by DuckDB on insert), so both levels assert the same hand-worked
story. Expected values below are derived by hand from the spec, as of D = 2026-03-31:

Customers (won deal closed by D, or service record opened by D):
  R001 Repeat Co   won L1 2025-11-10 (100k) + L2 2026-02-15 (50k; its first version was
                   negotiation); service S1 03-10 (high, 2h/6h, rated 5), S7 03-31 20:00
                   (low, unanswered). acquired 2025-11-10; last activity 03-31 -> 0 days;
                   acquired 141 days before D (>= 90: not new) -> active. LTV 150k, rank 1.
  老客户有限公司   legacy, service records only: S2 repair 2025-10-08 (rated 4), S3 renewal
                   2026-01-20 (20k, rated 4). last activity 01-20 -> 70 days -> active.
                   LTV 20k, rank 6.
  C001 Cancel Co   won L3 2025-12-01 (80k); cancellation S4 2026-03-05 14:00, no purchase or
                   renewal after it -> churned 2026-03-05 14:00 (cancellation). rank 2.
  I001 Sleep Co    won L4 2025-06-01 only; D - 2025-06-01 = 303 days > 180 -> churned
                   (inactive) at 2025-06-01 10:00 + 180 days = 2025-11-28 10:00. LTV 30k.
  K001 Risk Co     won L5 2025-09-15 (60k); S6 02-10 rated 2 (in the 90 days ending D:
                   avg 2.0 <= 2.5), complaint S5 03-16 unresolved, open 15 days > 7 ->
                   at_risk (low_satisfaction, open_complaint). rank 3.
  N001 New Co      won L6 2026-03-20 (30k); S8 03-25 (medium, responded after 10h > 8h:
                   breach; rated 3). acquired 11 days before D -> new. LTV 30k ties I001;
                   ties go by account_key: I001 rank 4, N001 rank 5.
  Q001 Quiet Co    won L9 2025-10-15 (10k) only; 167 days inactive (> 90, <= 180) ->
                   at_risk (inactive). rank 7.
Not customers: X001 (lost), F001 (its won version is dated 2026-04-02, after D).
Tiers, n = 7: A = rank <= ceil(7 * 0.2) = 2; B = rank <= ceil(7 * 0.5) = 4; else C.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from core.contract import load_contract
from core.quality_tables import create_quality_tables
from core.raw_schema import create_raw_tables, raw_columns
from tests.conftest import DbtHarness

LANDING = Path(__file__).resolve().parent.parent / "e2e" / "fixtures" / "customer_landing"
MART_YML = (Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"
            / "customer_lifecycle" / "_customer_lifecycle__models.yml")
TABLE_OF_MODEL = {"lifecycle_kpi_summary": "kpi_summary"}
AS_OF = dt.date(2026, 3, 31)
LEGACY = "老客户有限公司"


def _account_key(row: dict[str, str]) -> str | None:
    """account_id when given, else the normalised account_name (sources.md)."""
    if row.get("account_id"):
        return row["account_id"].strip()
    name = unicodedata.normalize("NFKC", row.get("account_name") or "").strip()
    return " ".join(name.split()).lower() or None


def insert_landing_rows(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    """Insert every CSV row of the landing folder into raw.<entity>, as a clean load."""
    contract = load_contract()
    for load_seq, csv_path in enumerate(sorted(landing.glob("*/*.csv")), start=1):
        entity = csv_path.parent.name
        columns = [name for name, _ in raw_columns(contract.entities[entity])]
        with csv_path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for source_row, row in enumerate(rows, start=2):
            values: dict[str, Any] = {
                name: (row.get(name) or None) for name in columns if not name.startswith("_")
            }
            values.update(
                _row_id=f"{csv_path.stem}:{entity}:{source_row}",
                _file_hash=f"hash-{entity}",
                _source_file=f"{entity}/{csv_path.name}",
                _source_row=source_row,
                _load_seq=load_seq,
                _loaded_at="2026-03-31 23:00:00",
                _account_key=_account_key(row),
                _raw="{}",
                _errors="[]",
            )
            names = ", ".join(f'"{name}"' for name in values)
            marks = ", ".join("?" for _ in values)
            con.execute(
                f"insert into raw.{entity} ({names}) values ({marks})", list(values.values())
            )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DbtHarness, Any]]:
    """Build the customer-lifecycle mart and its parents once, unit tests included."""
    root = tmp_path_factory.mktemp("customer_lifecycle")
    db_path = root / "build.duckdb"
    with duckdb.connect(str(db_path)) as con:
        create_raw_tables(con)
        create_quality_tables(con)
        insert_landing_rows(con, LANDING)
    harness = DbtHarness(db_path, root / "dbt_target")
    result = harness.run("build", "--select", "+path:models/marts/customer_lifecycle", as_of=AS_OF)
    yield harness, result


def _rows_by(harness: DbtHarness, table: str, *keys: str) -> dict[Any, dict[str, Any]]:
    rows = harness.query_dicts(f"select * from customer_lifecycle.{table}")
    if len(keys) == 1:
        return {row[keys[0]]: row for row in rows}
    return {tuple(row[k] for k in keys): row for row in rows}


def test_build_passes_unit_tests_and_data_tests(built: tuple[DbtHarness, Any]) -> None:
    _, result = built
    failures = [
        f"{r.node.name}: {r.status} {r.message}"
        for r in result.result
        if str(r.status) not in ("success", "pass")
    ]
    assert result.success, failures
    assert not failures
    unit_tests = {r.node.name for r in result.result if r.node.resource_type == "unit_test"}
    # every mart model and every intermediate model with logic has hand-worked unit tests
    for model in (
        "int_service__records_as_of",
        "int_customer__won_deals",
        "int_customer__activities",
        "int_customer__accounts",
        "int_customer__churn",
        "int_customer__risk_signals",
        "dim_customers",
        "customer_monthly",
        "cohort_retention",
        "service_monthly",
        "tier_summary",
        "churn_watchlist",
        "lifecycle_kpi_summary",
    ):
        tested = {r.node.tested_node_unique_id for r in result.result
                  if r.node.resource_type == "unit_test"}
        assert any(uid.endswith("." + model) for uid in tested), (model, unit_tests)


def test_dim_customers(built: tuple[DbtHarness, Any]) -> None:
    harness, _ = built
    rows = _rows_by(harness, "dim_customers", "account_key")
    assert set(rows) == {"R001", LEGACY, "C001", "I001", "K001", "N001", "Q001"}
    expected = {
        # key: (status, churned_at, churn_reason, value_rank, tier, owner, ltv, won_deals,
        #       days_since_last_activity)
        "R001": ("active", None, None, 1, "A", "李娜", 150000, 2, 0),
        LEGACY: ("active", None, None, 6, "C", None, 20000, 0, 70),
        "C001": ("churned", dt.datetime(2026, 3, 5, 14), "cancellation", 2, "A", "王伟",
                 80000, 1, 120),
        "I001": ("churned", dt.datetime(2025, 11, 28, 10), "inactive", 4, "B", "李娜",
                 30000, 1, 303),
        "K001": ("at_risk", None, None, 3, "B", "王伟", 60000, 1, 15),
        "N001": ("new", None, None, 5, "C", "李娜", 30000, 1, 6),
        "Q001": ("at_risk", None, None, 7, "C", "王伟", 10000, 1, 167),
    }
    for key, (status, churned_at, reason, rank, tier, owner, ltv, deals, days) in expected.items():
        row = rows[key]
        assert (row["lifecycle_status"], row["churned_at"], row["churn_reason"]) == (
            status, churned_at, reason), key
        assert (row["value_rank"], row["tier"], row["owner"]) == (rank, tier, owner), key
        assert (float(row["lifetime_value"]), row["won_deals"]) == (ltv, deals), key
        assert row["days_since_last_activity"] == days, key
        assert row["as_of_date"] == AS_OF
    repeat = rows["R001"]
    assert repeat["account_name"] == "Repeat Co"
    assert repeat["acquired_at"] == dt.datetime(2025, 11, 10, 10)
    assert repeat["first_purchase_at"] == dt.datetime(2025, 11, 10, 10)
    assert repeat["last_purchase_at"] == dt.datetime(2026, 2, 15, 10)
    assert repeat["is_repeat_buyer"] is True
    assert (repeat["service_requests"], repeat["complaints"]) == (2, 0)
    assert repeat["avg_satisfaction"] == pytest.approx(5.0)  # S7 is unrated, not imputed
    assert repeat["last_activity_at"] == dt.datetime(2026, 3, 31, 20)
    legacy = rows[LEGACY]
    assert legacy["account_name"] == LEGACY
    assert legacy["acquired_at"] == dt.datetime(2025, 10, 8, 10)
    assert legacy["first_purchase_at"] is None
    assert float(legacy["won_amount"]) == 0 and float(legacy["renewal_amount"]) == 20000
    assert legacy["avg_satisfaction"] == pytest.approx(4.0)
    risk = rows["K001"]
    assert (risk["service_requests"], risk["complaints"]) == (2, 1)
    # the cancellation is not an activity: Cancel Co's last activity is its won deal
    assert rows["C001"]["last_activity_at"] == dt.datetime(2025, 12, 1, 10)


def test_customer_monthly(built: tuple[DbtHarness, Any]) -> None:
    harness, _ = built
    rows = _rows_by(harness, "customer_monthly", "month")
    # acquisitions: I001 2025-06, K001 2025-09, legacy + Q001 2025-10, R001 2025-11,
    # C001 2025-12, N001 2026-03; churn: I001 2025-11 (11-28), C001 2026-03.
    # first won deals: 06 I001, 09 K001, 10 Q001, 11 R001, 12 C001, 03 N001;
    # second won deal: R001 2026-02.
    expected = {
        # month: (at_start, new, churned, at_end, churn_rate, repeat, repurchase_rate)
        dt.date(2025, 6, 1): (0, 1, 0, 1, None, 0, 0.0),
        dt.date(2025, 7, 1): (1, 0, 0, 1, 0.0, 0, 0.0),
        dt.date(2025, 8, 1): (1, 0, 0, 1, 0.0, 0, 0.0),
        dt.date(2025, 9, 1): (1, 1, 0, 2, 0.0, 0, 0.0),
        dt.date(2025, 10, 1): (2, 2, 0, 4, 0.0, 0, 0.0),
        dt.date(2025, 11, 1): (4, 1, 1, 4, 0.25, 0, 0.0),
        dt.date(2025, 12, 1): (4, 1, 0, 5, 0.0, 0, 0.0),
        dt.date(2026, 1, 1): (5, 0, 0, 5, 0.0, 0, 0.0),
        dt.date(2026, 2, 1): (5, 0, 0, 5, 0.0, 1, 1 / 5),
        dt.date(2026, 3, 1): (5, 1, 1, 5, 1 / 5, 1, 1 / 6),
    }
    assert set(rows) == set(expected)
    for month, (start, new, churned, end, churn_rate, repeat, repurchase) in expected.items():
        row = rows[month]
        assert (row["customers_at_start"], row["new_customers"], row["churned_customers"],
                row["customers_at_end"], row["repeat_buyers_at_end"]) == (
            start, new, churned, end, repeat), month
        assert row["churn_rate"] == pytest.approx(churn_rate), month
        assert row["repurchase_rate"] == pytest.approx(repurchase), month
    # ratings by month opened: 2025-10 S2 4; 2026-01 S3 4; 2026-02 S6 2; 2026-03 S1 5, S8 3
    satisfaction = {m: (r["avg_satisfaction"], r["csat_rate"]) for m, r in rows.items()}
    assert satisfaction[dt.date(2025, 10, 1)] == pytest.approx((4.0, 1.0))
    assert satisfaction[dt.date(2026, 2, 1)] == pytest.approx((2.0, 0.0))
    assert satisfaction[dt.date(2026, 3, 1)] == pytest.approx((4.0, 0.5))
    assert satisfaction[dt.date(2025, 7, 1)] == (None, None)  # no ratings: NULL, not 0


def test_cohort_retention(built: tuple[DbtHarness, Any]) -> None:
    harness, _ = built
    rows = _rows_by(harness, "cohort_retention", "cohort_month", "months_since_acquisition")
    # cohorts (months up to 2026-03): 2025-06 k0..9, 2025-09 k0..6, 2025-10 k0..5,
    # 2025-11 k0..4, 2025-12 k0..3, 2026-03 k0 -> 10 + 7 + 6 + 5 + 4 + 1 = 33 rows
    assert len(rows) == 33
    active = {key: (r["cohort_size"], r["active_customers"]) for key, r in rows.items()}
    oct_cohort = dt.date(2025, 10, 1)
    assert active[(oct_cohort, 0)] == (2, 2)  # S2 (legacy) and L9 (Q001)
    assert active[(oct_cohort, 3)] == (2, 1)  # legacy renewal S3 in 2026-01
    assert rows[(oct_cohort, 3)]["retention_rate"] == pytest.approx(0.5)
    assert active[(oct_cohort, 1)] == (2, 0)
    nov_cohort = dt.date(2025, 11, 1)  # R001: L2 won 2026-02 (k3), S1 + S7 2026-03 (k4)
    assert [active[(nov_cohort, k)][1] for k in range(5)] == [1, 0, 0, 1, 1]
    sep_cohort = dt.date(2025, 9, 1)  # K001: S6 2026-02 (k5), S5 2026-03 (k6)
    assert [active[(sep_cohort, k)][1] for k in range(7)] == [1, 0, 0, 0, 0, 1, 1]
    dec_cohort = dt.date(2025, 12, 1)  # C001: the cancellation is not an activity
    assert [active[(dec_cohort, k)][1] for k in range(4)] == [1, 0, 0, 0]
    # active cells: 2025-06 k0 (1); 2025-09 k0, k5, k6 (3); 2025-10 k0 (2) + k3 (1);
    # 2025-11 k0, k3, k4 (3); 2025-12 k0 (1); 2026-03 k0 (1) -> 12
    assert sum(a for _, a in active.values()) == 12


def test_service_monthly(built: tuple[DbtHarness, Any]) -> None:
    harness, _ = built
    rows = _rows_by(harness, "service_monthly", "month", "priority")
    # 2025-10 .. 2026-03 = 6 months x 4 configured priorities
    assert len(rows) == 24
    march = dt.date(2026, 3, 1)
    medium = rows[(march, "medium")]
    # S4 (cancellation; 1h response, 24h resolution) and S8 (10h > 8h: breach; 24h; rated 3)
    assert (medium["requests"], medium["complaints"], medium["resolved"]) == (2, 0, 2)
    assert medium["median_first_response_hours"] == pytest.approx(5.5)  # (1 + 10) / 2
    assert medium["p90_first_response_hours"] == pytest.approx(9.1)  # 1 + 0.9 * (10 - 1)
    assert medium["median_resolution_hours"] == pytest.approx(24.0)
    assert (medium["sla_breaches"], medium["sla_breach_rate"]) == (1, pytest.approx(0.5))
    assert (medium["rated"], medium["avg_satisfaction"], medium["csat_rate"]) == (
        1, pytest.approx(3.0), pytest.approx(0.0))
    urgent = rows[(march, "urgent")]
    # S5 complaint: 3h response > 1h, and unresolved at end of D after 375h > 8h: one breach
    assert (urgent["requests"], urgent["complaints"], urgent["resolved"]) == (1, 1, 0)
    assert urgent["median_first_response_hours"] == pytest.approx(3.0)
    assert urgent["median_resolution_hours"] is None
    assert (urgent["sla_breaches"], urgent["sla_breach_rate"]) == (1, pytest.approx(1.0))
    assert (urgent["rated"], urgent["avg_satisfaction"], urgent["csat_rate"]) == (0, None, None)
    low = rows[(march, "low")]
    # S7 opened 03-31 20:00, unanswered: 4h at the end of D, within 24h -> no breach yet
    assert (low["requests"], low["resolved"], low["sla_breaches"]) == (1, 0, 0)
    assert low["median_first_response_hours"] is None
    high = rows[(march, "high")]
    assert (high["requests"], high["median_first_response_hours"], high["sla_breaches"]) == (
        1, pytest.approx(2.0), 0)
    empty = rows[(dt.date(2025, 11, 1), "medium")]
    assert (empty["requests"], empty["sla_breach_rate"], empty["csat_rate"]) == (0, None, None)
    assert sum(r["sla_breaches"] for r in rows.values()) == 2
    assert sum(r["requests"] for r in rows.values()) == 8


def test_tier_summary(built: tuple[DbtHarness, Any]) -> None:
    harness, _ = built
    rows = _rows_by(harness, "tier_summary", "tier")
    # total LTV 380k. A: R001 150k + C001 80k; B: K001 60k + I001 30k;
    # C: N001 30k + legacy 20k + Q001 10k. Ratings: A S1 5; B S6 2; C S8 3, S2 4, S3 4.
    expected = {
        "A": (2, 230000, 230 / 380, 115000, 0.5, 5.0),
        "B": (2, 90000, 90 / 380, 45000, 0.0, 2.0),
        "C": (3, 60000, 60 / 380, 20000, 0.0, 11 / 3),
    }
    assert set(rows) == set(expected)
    for tier, (customers, ltv, share, avg_ltv, repeat_rate, satisfaction) in expected.items():
        row = rows[tier]
        assert row["customers"] == customers, tier
        assert float(row["lifetime_value"]) == ltv, tier
        assert float(row["share_of_value"]) == pytest.approx(share), tier
        assert float(row["avg_lifetime_value"]) == pytest.approx(avg_ltv), tier
        assert float(row["repeat_buyer_rate"]) == pytest.approx(repeat_rate), tier
        assert row["avg_satisfaction"] == pytest.approx(satisfaction), tier


def test_churn_watchlist(built: tuple[DbtHarness, Any]) -> None:
    harness, _ = built
    rows = harness.query_dicts(
        "select * from customer_lifecycle.churn_watchlist order by account_key, reason"
    )
    # I001 churned 2025-11-28: outside the 90 days ending D, so not listed
    assert [(r["account_key"], r["reason"], r["lifecycle_status"]) for r in rows] == [
        ("C001", "cancellation", "churned"),
        ("K001", "low_satisfaction", "at_risk"),
        ("K001", "open_complaint", "at_risk"),
        ("Q001", "inactive", "at_risk"),
    ]
    details = {(r["account_key"], r["reason"]): r["detail"] for r in rows}
    assert details[("C001", "cancellation")] == "cancelled on 2026-03-05"
    assert details[("K001", "open_complaint")] == (
        "1 complaint(s) unresolved; oldest S5 open for 15 days")
    assert details[("Q001", "inactive")] == "no activity for 167 days (last on 2025-10-15)"
    assert details[("K001", "low_satisfaction")].startswith("average satisfaction 2")
    owners = {r["account_key"]: (r["owner"], float(r["lifetime_value"])) for r in rows}
    assert owners["C001"] == ("王伟", 80000)
    text = json.dumps(rows, default=str, ensure_ascii=False)
    for pii in ("13812345678", "qian@cancel.example.com", "@"):  # no phone, e-mail or note
        assert pii not in text


def test_kpi_summary(built: tuple[DbtHarness, Any]) -> None:
    harness, _ = built
    [row] = harness.query_dicts("select * from customer_lifecycle.kpi_summary")
    assert row["as_of_date"] == AS_OF
    # not churned: R001, legacy, K001, N001, Q001; new or active: R001, legacy, N001
    assert (row["customers"], row["new_customers_mtd"], row["active_customers"],
            row["at_risk_customers"], row["churned_customers_90d"]) == (5, 1, 3, 2, 1)
    assert row["repurchase_rate"] == pytest.approx(1 / 6)  # R001 of 6 customers with a deal
    # opened 2026-01-01 .. 03-31 and rated: S3 4, S6 2, S1 5, S8 3
    assert row["avg_satisfaction_90d"] == pytest.approx(3.5)
    assert row["csat_rate_90d"] == pytest.approx(0.5)
    # opened 03-02 .. 03-31 and answered: S4 1h, S1 2h, S5 3h, S8 10h -> (2 + 3) / 2
    assert row["median_first_response_hours_30d"] == pytest.approx(2.5)
    # (150k + 20k + 60k + 30k + 10k) / 5
    assert float(row["avg_lifetime_value"]) == pytest.approx(54000)


def test_no_personal_data_in_any_mart_table(built: tuple[DbtHarness, Any]) -> None:
    harness, _ = built
    tables = [r[0] for r in harness.query(
        "select table_name from information_schema.tables "
        "where table_schema = 'customer_lifecycle'")]
    assert len(tables) == 7
    for table in tables:
        text = json.dumps(harness.query(f"select * from customer_lifecycle.{table}"),
                          default=str, ensure_ascii=False)
        assert "138123" not in text and "example.com" not in text, table


def test_every_published_column_is_documented_in_english_and_chinese(
    built: tuple[DbtHarness, Any],
) -> None:
    harness, _ = built
    models = yaml.safe_load(MART_YML.read_text(encoding="utf-8"))["models"]
    assert len(models) == 7
    for model in models:
        table = TABLE_OF_MODEL.get(model["name"], model["name"])
        built_columns = [r[0] for r in harness.query(
            "select column_name from information_schema.columns "
            f"where table_schema = 'customer_lifecycle' and table_name = '{table}'")]
        documented = {c["name"]: c.get("description", "") for c in model["columns"]}
        assert built_columns and set(built_columns) == set(documented), table
        for name, text in documented.items():
            has_chinese = any("\u4e00" <= ch <= "\u9fff" for ch in text)
            has_english = any("a" <= ch.lower() <= "z" for ch in text.replace(name, ""))
            assert has_chinese and has_english, (table, name)


@pytest.fixture(scope="module")
def built_end_of_february(tmp_path_factory: pytest.TempPathFactory) -> DbtHarness:
    """The same raw rows rebuilt as of an earlier D, 2026-02-28 (models only)."""
    root = tmp_path_factory.mktemp("customer_lifecycle_feb")
    db_path = root / "build.duckdb"
    with duckdb.connect(str(db_path)) as con:
        create_raw_tables(con)
        create_quality_tables(con)
        insert_landing_rows(con, LANDING)
    harness = DbtHarness(db_path, root / "dbt_target")
    result = harness.run("run", "--select", "+path:models/marts/customer_lifecycle",
                         as_of=dt.date(2026, 2, 28))
    assert result.success, result.exception
    return harness


def test_rebuild_for_an_earlier_date_only_sees_what_was_known_then(
    built_end_of_february: DbtHarness,
) -> None:
    """As of D = 2026-02-28 (hand-derived): N001's deal (03-20) and every March service record
    are in the future, so N001 is no customer and C001's cancellation (03-05) has not happened.
    C001 was acquired 2025-12-01, 89 days before D -> new. K001: S6 (02-10) rated 2 ->
    at_risk. Q001: 136 days inactive -> at_risk. R001: last activity L2 won 02-15 -> active.
    Legacy: S3 01-20 -> active. I001: churned 2025-11-28, outside the 90 days ending D
    (2025-12-01 .. 2026-02-28)."""
    harness = built_end_of_february
    statuses = dict(harness.query(
        "select account_key, lifecycle_status from customer_lifecycle.dim_customers"))
    assert statuses == {"R001": "active", LEGACY: "active", "C001": "new", "I001": "churned",
                        "K001": "at_risk", "Q001": "at_risk"}
    [kpi] = harness.query_dicts("select * from customer_lifecycle.kpi_summary")
    assert kpi["as_of_date"] == dt.date(2026, 2, 28)
    assert (kpi["customers"], kpi["new_customers_mtd"], kpi["active_customers"],
            kpi["at_risk_customers"], kpi["churned_customers_90d"]) == (5, 0, 3, 2, 0)
    assert kpi["repurchase_rate"] == pytest.approx(1 / 5)  # R001 of R001, C001, I001, K001, Q001
    # opened 2025-12-01 .. 2026-02-28 and rated: S3 4, S6 2
    assert (kpi["avg_satisfaction_90d"], kpi["csat_rate_90d"]) == pytest.approx((3.0, 0.5))
    assert kpi["median_first_response_hours_30d"] == pytest.approx(2.0)  # S6 only (02-10)
    # (150k + 20k + 80k + 60k + 10k) / 5
    assert float(kpi["avg_lifetime_value"]) == pytest.approx(64000)
    months = [r[0] for r in harness.query(
        "select month from customer_lifecycle.customer_monthly order by month")]
    assert months[0] == dt.date(2025, 6, 1) and months[-1] == dt.date(2026, 2, 1)
