"""Opportunity-funnel mart (issue #4): dbt unit tests, then a data-driven build on the
hand-made landing files of tests/e2e/fixtures/funnel_landing, inserted straight into raw.*.

The scenario (build date D = 2026-03-31 unless said otherwise), by lead:

    lead  created     owner  source       as of D                                  amount / prob
    L01   01-05       Zhang  website      won 02-18 (lead→contacted→…→negotiation)   480000
    L02   01-12       Li     expo         lost 03-03 after needs_confirmed          200000
    L03   02-02       Zhang  referral     won 03-10; contacted→proposal (skip)      1000000
    L04   02-03       Li     phone        open needs_confirmed since 02-16          300000 / 25
    L05   03-02       Wang   referral     open negotiation since 03-20, own prob    900000 / 60
    L06   03-09       Wang   website      open contacted since 03-20, no close date 150000 / 10
    L07   01-20       Li     third_party  open lead, never touched                  50000 / 5
    L08   03-25       Zhang  expo         open contacted (won version of 04-03 ignored) 400000 / 10
    L09   04-01       Zhao   website      does not exist yet
    L10   02-10       Wang   advertising  lost 02-24 at stage lead                  80000
    L11   03-03       Li     phone        won 03-15 (lead→negotiation skip)         120000
    L12   01-15       Zhang  website      lost 03-26 after negotiation              250000

Follow-ups up to D: 17 (F14 of 04-02 is after D). Expected numbers below are derived by
hand from marts.md; each assertion says how.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from core.quality_tables import create_quality_tables
from core.raw_schema import create_raw_tables
from tests.conftest import DbtHarness

LANDING = Path(__file__).resolve().parent.parent / "e2e" / "fixtures" / "funnel_landing"
FUNNEL = "path:models/marts/opportunity_funnel"
D = dt.date(2026, 3, 31)


def insert_landing_into_raw(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    """Insert every landing CSV row into raw.<entity> as the loader would: typed columns
    (empty text = NULL, cast by DuckDB), lineage columns, `_errors` '[]' and `_raw` '{}'."""
    for load_seq, path in enumerate(sorted(landing.glob("*/*.csv")), start=1):
        entity = path.parent.name
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for row_number, row in enumerate(rows, start=2):
            values: dict[str, Any] = {k: (v if v != "" else None) for k, v in row.items()}
            values.update(
                _row_id=f"{path.stem}:{entity}:{row_number}",
                _file_hash=f"hash-{entity}-{path.stem}",
                _source_file=f"{entity}/{path.name}",
                _source_row=row_number,
                _load_seq=load_seq,
                _loaded_at=dt.datetime(2026, 4, 5),
                _account_key=values.get("account_id")
                or (values.get("account_name") or "").strip().lower()
                or None,
                _raw=json.dumps(row, ensure_ascii=False),
                _errors="[]",
            )
            cols = ", ".join(f'"{c}"' for c in values)
            marks = ", ".join("?" for _ in values)
            sql = f"insert into raw.{entity} ({cols}) values ({marks})"
            con.execute(sql, list(values.values()))


def assert_dbt_ok(result: Any) -> None:
    """Every node of a dbt invocation succeeded; otherwise name the failing ones."""
    failures = [
        f"{r.node.unique_id}: {r.status}: {r.message}"
        for r in (result.result or [])
        if str(r.status) not in ("success", "pass")
    ]
    assert result.success, failures or result.exception


@pytest.fixture(scope="module")
def funnel_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbtHarness]:
    """Builds of the funnel on the scenario: D = 2026-04-01 and 2026-03-01 (snapshot
    history), then a full `build` of D = 2026-03-31 (unit + data tests), then a rebuild of
    2026-03-31 (must replace, not duplicate, its snapshot rows)."""
    tmp = tmp_path_factory.mktemp("funnel")
    harness = DbtHarness(tmp / "build.duckdb", tmp / "dbt_target")
    with harness.connect() as con:
        create_raw_tables(con)
        create_quality_tables(con)
        insert_landing_into_raw(con, LANDING)
    harness.build_results = {}  # type: ignore[attr-defined]
    for as_of in (dt.date(2026, 4, 1), dt.date(2026, 3, 1)):
        assert_dbt_ok(harness.run("run", "--select", f"+{FUNNEL}", as_of=as_of))
    harness.build_results = harness.run(  # type: ignore[attr-defined]
        "build", "--select", f"+{FUNNEL}", as_of=D
    )
    assert_dbt_ok(harness.run("run", "--select", FUNNEL, as_of=D))
    yield harness


def rows_by(harness: DbtHarness, sql: str, *key: str) -> dict[Any, dict[str, Any]]:
    """Query rows keyed by one column (or a tuple of columns)."""
    out: dict[Any, dict[str, Any]] = {}
    for row in harness.query_dicts(sql):
        out[row[key[0]] if len(key) == 1 else tuple(row[k] for k in key)] = row
    return out


def approx(value: float) -> Any:
    return pytest.approx(value, rel=1e-9)


# --------------------------------------------------------------------------- dbt tests
def test_build_passes_unit_and_data_tests(funnel_db: DbtHarness) -> None:
    result = funnel_db.build_results  # type: ignore[attr-defined]
    assert_dbt_ok(result)
    unit = [r for r in result.result if r.node.resource_type == "unit_test"]
    funnel_models = {
        r.node.name
        for r in result.result
        if r.node.resource_type == "model"
        and ("opportunity_funnel" in r.node.original_file_path or "int_funnel__" in r.node.name)
    }
    tested = {r.node.tested_node_unique_id.split(".")[-1] for r in unit}
    assert funnel_models - tested == set(), "models without unit tests"
    assert all(str(r.status) == "pass" for r in unit)


# ------------------------------------------------------------------- fct_opportunities
def test_opportunities_exist_as_of_d_only(funnel_db: DbtHarness) -> None:
    # L09 is created 04-01 (after D): 11 leads exist; L08's won version of 04-03 is ignored.
    opps = rows_by(funnel_db, "select * from opportunity_funnel.fct_opportunities", "lead_id")
    assert sorted(opps) == [f"L{i:02d}" for i in (1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12)]
    assert opps["L08"]["stage"] == "contacted" and opps["L08"]["status"] == "open"
    assert opps["L08"]["stage_label_zh"] == "初步接触"
    assert opps["L08"]["follow_up_count"] == 0  # F14 (04-02) is after D
    assert {row["as_of_date"] for row in opps.values()} == {D}


def test_opportunity_days_money_and_grade(funnel_db: DbtHarness) -> None:
    opps = rows_by(funnel_db, "select * from opportunity_funnel.fct_opportunities", "lead_id")
    # L03 won: cycle 03-10 − 02-02 = 36 days; in stage won since 03-10: 31 − 10 = 21 days.
    assert opps["L03"]["sales_cycle_days"] == 36
    assert opps["L03"]["days_in_current_stage"] == 21
    assert opps["L03"]["amount"] == Decimal("1000000")
    # L02 lost: 03-03 − 01-12 = 19 (Jan) + 31 (to 03-03 via Feb's 28 days) = 50 days.
    assert opps["L02"]["sales_cycle_days"] == 50
    assert opps["L02"]["loss_reason"] == "价格太高"
    assert opps["L04"]["sales_cycle_days"] is None  # open
    # L05: own probability 60 → weighted 900000 × 60 / 100 = 540000.
    assert opps["L05"]["probability"] == 60 and opps["L05"]["weighted_amount"] == approx(540000)
    # L04: stage default 25 → 300000 × 25 / 100 = 75000.
    assert opps["L04"]["probability"] == 25 and opps["L04"]["weighted_amount"] == approx(75000)
    # Grades (defaults): L05 30 (≥300k) + 25 high + 25 dm + 10 referral = 90 → A;
    # L06 20 (≥100k) + 15 medium + 6 website = 41 → B; L07 5 + 5 low + 4 third_party = 14 → C;
    # L04 30 + 15 + 5 phone = 50 → B; L08 30 + 8 expo = 38 → C.
    grades = {k: v["grade"] for k, v in opps.items()}
    assert [grades[k] for k in ("L05", "L06", "L07", "L04", "L08")] == ["A", "B", "C", "B", "C"]
    assert opps["L05"]["grade_score"] == 90
    # No personal data in the mart.
    columns = {c.lower() for c in opps["L01"]}
    assert not columns & {"contact_name", "contact_phone", "contact_email", "notes"}


def test_opportunity_flags(funnel_db: DbtHarness) -> None:
    opps = rows_by(funnel_db, "select * from opportunity_funnel.fct_opportunities", "lead_id")
    # L04: needs_confirmed since 02-16 → 43 days > 21 stalled; last touch F10 02-16 → 43 > 14;
    # F10 planned 02-23 < D with nothing after → overdue. 43 ≤ 60 → not recycle.
    l04 = opps["L04"]
    assert (l04["days_in_current_stage"], l04["days_since_last_touch"]) == (43, 43)
    assert (l04["is_stalled"], l04["is_overdue_follow_up"]) == (True, True)
    assert (l04["is_no_touch"], l04["is_recycle_candidate"]) == (True, False)
    # L07: never touched, created 01-20 → 70 days: stalled (> 7), no touch, recycle (> 60).
    l07 = opps["L07"]
    assert l07["last_follow_up_at"] is None and l07["days_since_last_touch"] == 70
    assert (l07["is_stalled"], l07["is_recycle_candidate"], l07["is_overdue_follow_up"]) == (
        True,
        True,
        False,
    )
    # L06: contacted since 03-20 → 11 ≤ 14; F13 planned 03-25 09:00 < D, nothing after.
    l06 = opps["L06"]
    assert (l06["is_stalled"], l06["is_overdue_follow_up"], l06["is_no_touch"]) == (
        False,
        True,
        False,
    )
    # L05: latest follow-up F12 (03-28) plans 04-03 → not overdue although F11 planned 03-18.
    assert opps["L05"]["is_overdue_follow_up"] is False
    assert opps["L05"]["last_follow_up_at"] == dt.datetime(2026, 3, 28, 10, 0)
    assert opps["L05"]["days_since_last_touch"] == 3
    # Closed deals are never flagged.
    assert not any(opps["L10"][f] for f in ("is_stalled", "is_no_touch", "is_recycle_candidate"))


# -------------------------------------------------------------------- fct_stage_history
def test_stage_history(funnel_db: DbtHarness) -> None:
    history = funnel_db.query(
        "select lead_id, stage, entered_at, exited_at, days_in_stage, is_current, "
        "skipped_stage_count from opportunity_funnel.fct_stage_history "
        "where lead_id in ('L03', 'L05') order by lead_id, entry_number"
    )
    t = dt.datetime
    assert history == [
        # L03: lead 02-02 → contacted (F07) 02-06 → proposal (F08; the version of the same
        # time holds the same stage: no entry) 02-20 → won at closed_at 03-10, current to D.
        ("L03", "lead", t(2026, 2, 2, 9), t(2026, 2, 6, 10), 4, False, 0),
        ("L03", "contacted", t(2026, 2, 6, 10), t(2026, 2, 20, 11), 14, False, 0),
        ("L03", "proposal", t(2026, 2, 20, 11), t(2026, 3, 10, 9), 18, False, 1),
        # proposal → won jumps over negotiation: one skipped stage (still "reached").
        ("L03", "won", t(2026, 3, 10, 9), None, 21, True, 1),
        # L05: lead and contacted (first version) at the same instant, lead first.
        ("L05", "lead", t(2026, 3, 2, 10), t(2026, 3, 2, 10), 0, False, 0),
        ("L05", "contacted", t(2026, 3, 2, 10), t(2026, 3, 12, 15), 10, False, 0),
        ("L05", "proposal", t(2026, 3, 12, 15), t(2026, 3, 20, 11), 8, False, 1),
        ("L05", "negotiation", t(2026, 3, 20, 11), None, 11, True, 0),
    ]
    # L08: the follow-up and the version after D leave no trace.
    assert funnel_db.query(
        "select stage from opportunity_funnel.fct_stage_history where lead_id = 'L08' "
        "order by entry_number"
    ) == [("lead",), ("contacted",)]
    # The current entry's stage always equals the version's stage as of D.
    assert funnel_db.query(
        "select count(*) from opportunity_funnel.fct_stage_history h "
        "join opportunity_funnel.fct_opportunities o using (lead_id) "
        "where h.is_current and h.stage <> o.stage"
    ) == [(0,)]


# --------------------------------------------------------------------- other mart tables
def test_attention_list(funnel_db: DbtHarness) -> None:
    rows = funnel_db.query(
        "select lead_id, reason, days, amount from opportunity_funnel.attention_list "
        "order by lead_id, reason"
    )
    # L04: stalled 43, overdue since 02-23 → 31 − 23 + 28 = 36 days, no touch 43.
    # L06: overdue since 03-25 → 6 days. L07: no touch / recycle / stalled, all 70 days.
    assert rows == [
        ("L04", "no_touch", 43, Decimal("300000")),
        ("L04", "overdue_follow_up", 36, Decimal("300000")),
        ("L04", "stalled", 43, Decimal("300000")),
        ("L06", "overdue_follow_up", 6, Decimal("150000")),
        ("L07", "no_touch", 70, Decimal("50000")),
        ("L07", "recycle_candidate", 70, Decimal("50000")),
        ("L07", "stalled", 70, Decimal("50000")),
    ]
    details = dict(
        funnel_db.query(
            "select lead_id || ':' || reason, detail from opportunity_funnel.attention_list"
        )
    )
    assert details["L04:stalled"] == "stage needs_confirmed (需求确认) for 43 days, limit 21"
    assert details["L06:overdue_follow_up"] == (
        "follow-up planned for 2026-03-25 not done, 6 days overdue"
    )


def test_no_personal_data_in_any_funnel_table(funnel_db: DbtHarness) -> None:
    # The landing files carry phones 1380000000x, e-mails …@….example and a note quoting a
    # phone; none of it may reach a mart table.
    tables = funnel_db.query(
        "select table_name from information_schema.tables where table_schema = 'opportunity_funnel'"
    )
    assert len(tables) == 13  # the 12 tables of marts.md + forecast_snapshot
    for (table,) in tables:
        text = " ".join(
            str(row) for row in funnel_db.query(f"select * from opportunity_funnel.{table}")
        )
        assert "1380000" not in text and ".example" not in text, table


def test_rep_performance_for_march(funnel_db: DbtHarness) -> None:
    reps = rows_by(
        funnel_db,
        "select * from opportunity_funnel.rep_performance where month = date '2026-03-01'",
        "owner",
    )
    # Zhang: new L08; won L03 (1000000, 36 days), lost L12; open L08 (weighted 40000).
    # Li: new L11; won L11 (120000, 12 days), lost L02; F15; open L04 + L07 (75000 + 2500),
    #     both stalled. Wang: new L05, L06; no close; F11, F13; open 540000 + 15000.
    # Zhao: follow-up F12 only; no lead as of D → team NULL, D's month pipeline 0.
    expected = {
        "Zhang": ("East", 1, 1, Decimal("1000000"), 1, 0.5, 0, 36.0, 1, 40000.0, 0),
        "Li": ("North", 1, 1, Decimal("120000"), 1, 0.5, 1, 12.0, 2, 77500.0, 2),
        "Wang": ("South", 2, 0, Decimal("0"), 0, None, 2, None, 2, 555000.0, 0),
        "Zhao": (None, 0, 0, Decimal("0"), 0, None, 1, None, 0, 0.0, 0),
    }
    cols = (
        "team",
        "new_opportunities",
        "won_count",
        "won_amount",
        "lost_count",
        "win_rate",
        "follow_ups",
        "avg_sales_cycle_days",
        "open_count",
        "weighted_pipeline",
        "stalled_count",
    )
    assert {owner: tuple(row[c] for c in cols) for owner, row in reps.items()} == expected
    # Pipeline columns belong to D's month only.
    feb = funnel_db.query(
        "select count(*) from opportunity_funnel.rep_performance "
        "where month < date '2026-03-01' and open_count is not null"
    )
    assert feb == [(0,)]


def test_source_performance_and_loss_reasons(funnel_db: DbtHarness) -> None:
    sources = rows_by(
        funnel_db,
        "select * from opportunity_funnel.source_performance",
        "cohort_month",
        "source",
    )
    jan = dt.date(2026, 1, 1)
    # January website: L01 won (480000, 44 days) and L12 lost → win rate 1/2.
    web = sources[(jan, "website")]
    assert (web["leads"], web["won_count"], web["lost_count"]) == (2, 1, 1)
    assert (web["win_rate"], web["won_amount"], web["avg_sales_cycle_days"]) == (
        0.5,
        Decimal("480000"),
        44.0,
    )
    # January third_party: L07 open only → no closed deal → win rate NULL.
    assert sources[(jan, "third_party")]["win_rate"] is None
    assert sources[(jan, "expo")]["win_rate"] == 0.0  # L02 lost: 0 ÷ 1
    assert len(sources) == 10  # Jan 3 sources, Feb 3, Mar 4
    losses = funnel_db.query(
        "select month, loss_reason, lost_count, lost_amount from opportunity_funnel.loss_reasons "
        "order by month"
    )
    # Feb: L10 无预算 80000; Mar: L02 200000 + L12 250000, both 价格太高.
    assert losses == [
        (dt.date(2026, 2, 1), "无预算", 1, Decimal("80000")),
        (dt.date(2026, 3, 1), "价格太高", 2, Decimal("450000")),
    ]


# ------------------------------------------------------------- snapshots and accuracy
def test_pipeline_snapshot_history(funnel_db: DbtHarness) -> None:
    snap = funnel_db.query(
        "select snapshot_date, stage, open_count, open_amount, weighted_amount "
        "from opportunity_funnel.pipeline_snapshot "
        "where snapshot_date in (date '2026-03-01', date '2026-03-31') "
        "order by snapshot_date, stage_order"
    )
    m1, m31 = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    assert snap == [
        # As of 03-01: L07 lead; L02 + L04 needs_confirmed (200000×25% + 300000×25%);
        # L03 proposal 1200000×50%; L12 negotiation 250000×75%.
        (m1, "lead", 1, Decimal("50000"), 2500.0),
        (m1, "contacted", 0, Decimal("0"), 0.0),
        (m1, "needs_confirmed", 2, Decimal("500000"), 125000.0),
        (m1, "proposal", 1, Decimal("1200000"), 600000.0),
        (m1, "negotiation", 1, Decimal("250000"), 187500.0),
        # As of 03-31 (built twice, rows not doubled): L07; L06 + L08; L04; none; L05.
        (m31, "lead", 1, Decimal("50000"), 2500.0),
        (m31, "contacted", 2, Decimal("550000"), 55000.0),
        (m31, "needs_confirmed", 1, Decimal("300000"), 75000.0),
        (m31, "proposal", 0, Decimal("0"), 0.0),
        (m31, "negotiation", 1, Decimal("900000"), 540000.0),
    ]
    dates = funnel_db.query(
        "select snapshot_date, count(*) from opportunity_funnel.pipeline_snapshot "
        "group by snapshot_date order by snapshot_date"
    )
    assert dates == [(m1, 5), (m31, 5), (dt.date(2026, 4, 1), 5)]


def test_forecast_accuracy_uses_first_day_snapshots_up_to_d(funnel_db: DbtHarness) -> None:
    rows = funnel_db.query(
        "select month, forecast_weighted_amount, actual_won_amount, accuracy_ratio, as_of_date "
        "from opportunity_funnel.forecast_accuracy order by month"
    )
    # Snapshot of 03-01, deals expected in March: L02 50000 + L03 600000 + L04 75000
    # + L12 187500 = 912500. Won in March as of D: L03 1000000 + L11 120000 = 1120000.
    # The 04-01 snapshot exists but is after D, so April has no row.
    assert len(rows) == 1
    month, forecast, actual, ratio, as_of = rows[0]
    assert (month, as_of) == (dt.date(2026, 3, 1), D)
    assert float(forecast) == approx(912500) and float(actual) == approx(1120000)
    assert ratio == approx(1120000 / 912500)


# ------------------------------------------------------------------------- documentation
def test_every_column_is_documented_in_english_and_chinese(funnel_db: DbtHarness) -> None:
    docs_path = (
        Path(__file__).resolve().parents[2]
        / "dbt_project/models/marts/opportunity_funnel/_opportunity_funnel__models.yml"
    )
    models = yaml.safe_load(docs_path.read_text(encoding="utf-8"))["models"]
    documented = {
        m.get("config", {}).get("alias", m["name"]): {
            c["name"]: c["description"] for c in m["columns"]
        }
        for m in models
    }
    built = funnel_db.query(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'opportunity_funnel'"
    )
    missing = [f"{t}.{c}" for t, c in built if c not in documented.get(t, {})]
    assert missing == []
    for table, columns in documented.items():
        for column, description in columns.items():
            has_chinese = any("\u4e00" <= ch <= "\u9fff" for ch in description)
            has_english = any("a" <= ch.lower() <= "z" for ch in description)
            assert has_chinese and has_english, f"{table}.{column}"
