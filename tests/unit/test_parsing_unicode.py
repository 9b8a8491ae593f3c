"""Unicode digits and punctuation (issue 10 item 4): full-width and other scripts' digits are
values like ASCII ones, and no landed value can crash a load."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from core.settings import Settings
from ingestion import parsing
from ingestion.loader import load_landing
from ingestion.parsing import (
    normalise_text,
    parse_boolean,
    parse_integer,
    parse_money,
    parse_number,
    timestamp_parser,
)

AS_OF = dt.date(2026, 3, 31)
HEADER = "lead_id,created_at,source,account_name,contact_name,requirement,budget,owner,stage"


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("１２０００", "12000"),  # full-width digits (NFKC)
        ("１２，０００．５０", "12,000.50"),  # full-width comma and point (NFKC)
        ("١٢٠٠٠", "12000"),  # Arabic-Indic digits: NFKC keeps them, unicodedata.decimal maps
        ("۱۲۳", "123"),  # Extended Arabic-Indic
        ("१२३", "123"),  # Devanagari
        (" 1\x002 ", "12"),  # NUL removed
        ("甲公司", "甲公司"),
    ],
)
def test_normalise_text(text: str, normal: str) -> None:
    assert normalise_text(text) == normal


def test_every_digit_form_parses_to_the_same_value() -> None:
    for text in ("12000", "１２０００", "١٢٠٠٠", "１２，０００．００", "¥１２，０００", "１.２万"):
        assert parse_money(text) == (Decimal("12000.00"), None), text
    assert parse_integer("４") == (4, None) and parse_integer("٤") == (4, None)
    assert parse_number("３５％") == (35.0, None)
    assert parse_boolean("１") == (True, None) and parse_boolean("٠") == (False, None)
    parse = timestamp_parser("Asia/Shanghai")
    assert parse("２０２６年３月３１日 １４：０５") == (dt.datetime(2026, 3, 31, 14, 5), None)
    assert parse("٢٠٢٦-٠٣-٣١") == (dt.datetime(2026, 3, 31), None)


def _land(tmp_path: Path, *rows: str) -> tuple[duckdb.DuckDBPyConnection, list]:
    (tmp_path / "leads").mkdir(parents=True, exist_ok=True)
    text = HEADER + "\n" + "".join(r + "\n" for r in rows)
    (tmp_path / "leads" / "a.csv").write_text(text, encoding="utf-8")
    con = duckdb.connect()
    results = load_landing(con, tmp_path, Settings(), run_id="t", as_of_date=AS_OF)
    return con, results


def test_full_width_budget_loads_instead_of_crashing(tmp_path: Path) -> None:
    # issue 10: `budget = １２０００` gave a DuckDB ConversionException and exit 1
    con, results = _land(
        tmp_path,
        "L1,2026-03-01 10:00,官网,甲,张,CRM,１２０００,王,线索",
        "L2,２０２６-０３-０１ １０:００,官网,甲,张,CRM,١٢٠٠٠,王,线索",
        "L3,2026-03-01 10:00,官网,甲,张,CRM,１２x００,王,线索",
    )
    assert [(r.status, r.rows_read, r.rows_loaded) for r in results] == [("loaded", 3, 3)]
    found = con.execute("select lead_id, budget, _errors from raw.leads order by 1").fetchall()
    assert found[:2] == [("L1", Decimal("12000.00"), "[]"), ("L2", Decimal("12000.00"), "[]")]
    assert found[2][1] is None and '"column": "budget"' in found[2][2]  # a type problem


def test_a_value_the_database_still_refuses_rejects_with_row_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Take away the parser's guard: the insert's cast fails, and the loader turns that into
    # a sentence naming row and column instead of an exception.
    monkeypatch.setattr(parsing, "_only_castable_money", lambda *args: None)
    monkeypatch.setattr(parsing, "MONEY_TEXT", r".+")
    monkeypatch.setattr(parsing, "_money_text", lambda text: (text, None))
    _, results = _land(
        tmp_path,
        "L1,2026-03-01 10:00,官网,甲,张,CRM,1000,王,线索",
        "L2,2026-03-01 10:00,官网,甲,张,CRM,12x00,王,线索",
    )
    assert [(r.status, r.error) for r in results] == [
        (
            "rejected",
            "leads/a.csv: row 3, column 'budget' holds a value that cannot be stored as "
            "decimal(18, 2).",
        )
    ]
