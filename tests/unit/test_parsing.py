"""Value parsing (ingestion/parsing.py): every accepted form of sources.md, table-driven;
problems for unparseable and unknown values; never an exception on any text."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.contract import Column, load_contract
from core.settings import Settings
from ingestion.parsing import (
    MONEY_TEXT,
    account_name_key,
    column_parser,
    parse_column,
    parse_money,
    parse_value,
)

SETTINGS = Settings()
MONEY_TEXT_RE = re.compile(MONEY_TEXT)
LEADS = load_contract().entity("leads")
SERVICE = load_contract().entity("service_records")
FOLLOW_UPS = load_contract().entity("follow_ups")


def parse(entity_column: Column, text: str | None) -> tuple[object, object]:
    return parse_value(column_parser(entity_column, SETTINGS), text)


# sources.md: "Accepted timestamp forms include 2026-03-31 14:05:00,
# 2026-03-31T14:05:00+08:00, 2026/3/31 14:05, 2026年3月31日 14:05, and a bare date
# (midnight)". Offsets convert to Asia/Shanghai (UTC+8): 06:05Z -> 14:05 local,
# 09:05+03:00 = 06:05Z -> 14:05 local.
TIMESTAMPS = [
    ("2026-03-31 14:05:00", dt.datetime(2026, 3, 31, 14, 5)),
    ("2026-03-31 14:05", dt.datetime(2026, 3, 31, 14, 5)),
    ("2026-03-31T14:05:00+08:00", dt.datetime(2026, 3, 31, 14, 5)),
    ("2026-03-31T06:05:00Z", dt.datetime(2026, 3, 31, 14, 5)),
    ("2026-03-31T09:05:00+03:00", dt.datetime(2026, 3, 31, 14, 5)),
    ("2026-03-31T22:30:00-02:00", dt.datetime(2026, 4, 1, 8, 30)),
    ("2026/3/31 14:05", dt.datetime(2026, 3, 31, 14, 5)),
    ("2026/03/31", dt.datetime(2026, 3, 31)),
    ("2026年3月31日 14:05", dt.datetime(2026, 3, 31, 14, 5)),
    ("2026年3月31日", dt.datetime(2026, 3, 31)),
    ("2026-03-31", dt.datetime(2026, 3, 31)),
    ("  2026-03-31 14:05:07.250 ", dt.datetime(2026, 3, 31, 14, 5, 7, 250000)),
    ("２０２６－０３－３１　１４：０５", dt.datetime(2026, 3, 31, 14, 5)),  # full-width
]


@pytest.mark.parametrize(("text", "expected"), TIMESTAMPS)
def test_every_accepted_timestamp_form(text: str, expected: dt.datetime) -> None:
    value, problem = parse(LEADS.column("created_at"), text)
    assert problem is None
    assert value == expected


@pytest.mark.parametrize(("text", "expected"), TIMESTAMPS)
def test_dates_accept_the_same_forms_and_keep_the_local_date(
    text: str, expected: dt.datetime
) -> None:
    value, problem = parse(LEADS.column("expected_close_date"), text)
    assert problem is None
    assert value == expected.date()


def test_timestamps_in_another_configured_zone() -> None:
    # 2026-03-31T14:05:00+08:00 = 06:05 UTC; in Europe/Berlin (CEST, UTC+2) that is 08:05.
    berlin = Settings(timezone="Europe/Berlin")
    parser = column_parser(LEADS.column("created_at"), berlin)
    value, problem = parse_value(parser, "2026-03-31T14:05:00+08:00")
    assert (value, problem) == (dt.datetime(2026, 3, 31, 8, 5), None)
    # without an offset the text already is local time
    assert parse_value(parser, "2026-03-31 14:05")[0] == dt.datetime(2026, 3, 31, 14, 5)


# sources.md: "Money accepts 1200000, 1,200,000.00, ¥1,200,000, 120万 (= 1 200 000) and
# 1.2亿" (1.2 × 10^8 = 120 000 000).
MONEY = [
    ("1200000", Decimal("1200000")),
    ("1,200,000.00", Decimal("1200000")),
    ("¥1,200,000", Decimal("1200000")),
    ("￥1,200,000", Decimal("1200000")),
    ("120万", Decimal("1200000")),
    ("1.2亿", Decimal("120000000")),
    ("RMB 1,200,000", Decimal("1200000")),
    ("CNY1200000", Decimal("1200000")),
    ("1200000元", Decimal("1200000")),
    ("12.345", Decimal("12.34")),  # two decimals kept (banker's rounding of the half)
    ("-300", Decimal("-300")),  # negative parses; the range check is the quality step's
    ("１２０万", Decimal("1200000")),  # full-width digits
]


@pytest.mark.parametrize(("text", "expected"), MONEY)
def test_every_accepted_money_form(text: str, expected: Decimal) -> None:
    value, reason = parse_money(text)
    assert reason is None
    assert value == expected
    # and through the column parser, as the exact text cast to decimal(18, 2) on insert
    typed, problem = parse(LEADS.column("budget"), text)
    assert problem is None
    assert Decimal(str(typed)) == expected


@pytest.mark.parametrize("text", ["abc", "1,20,0", "12..5", "¥", "1e400", "万", "1.2.3"])
def test_unparseable_money_is_a_type_problem(text: str) -> None:
    value, problem = parse(LEADS.column("budget"), text)
    assert value is None
    assert problem is not None and problem.rule == "type" and problem.column == "budget"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("False", False),
        ("YES", True),
        ("no", False),
        ("y", True),
        ("N", False),
        ("1", True),
        ("0", False),
        ("是", True),
        ("否", False),
        ("T", True),
        ("f", False),
    ],
)
def test_booleans(text: str, expected: bool) -> None:
    assert parse(LEADS.column("decision_maker_reached"), text) == (expected, None)


@pytest.mark.parametrize(
    ("column", "text", "expected"),
    [
        (SERVICE.column("satisfaction"), "4", 4),
        (SERVICE.column("satisfaction"), "4.0", 4),
        (SERVICE.column("satisfaction"), "9", 9),  # out of range: kept for the range check
        (LEADS.column("probability"), "35", 35.0),
        (LEADS.column("probability"), "35%", 35.0),
        (LEADS.column("probability"), "150", 150.0),
        (LEADS.column("currency"), "usd", "USD"),
        (LEADS.column("currency"), "¥", "CNY"),
        (LEADS.column("currency"), "人民币", "CNY"),
        (LEADS.column("lead_id"), "  L-01 ", "L-01"),
        (LEADS.column("account_name"), "ＡＢＣ科技 ", "ＡＢＣ科技"),  # text: trimmed, not NFKC
    ],
)
def test_numbers_currency_and_text(column: Column, text: str, expected: object) -> None:
    assert parse(column, text) == (expected, None)


@pytest.mark.parametrize(
    ("column", "text"),
    [
        (SERVICE.column("satisfaction"), "4.5"),
        (SERVICE.column("satisfaction"), "good"),
        (LEADS.column("probability"), "high"),
        (LEADS.column("currency"), "dollars"),
        (LEADS.column("decision_maker_reached"), "maybe"),
        (LEADS.column("created_at"), "2026-02-30"),
        (LEADS.column("created_at"), "yesterday"),
        (LEADS.column("created_at"), "0026-01-01"),
    ],
)
def test_unparseable_values_are_type_problems(column: Column, text: str) -> None:
    value, problem = parse(column, text)
    assert value is None
    assert problem is not None and problem.rule == "type"
    assert problem.detail.startswith(column.name)


@pytest.mark.parametrize(
    ("column", "text", "expected"),
    [
        (LEADS.column("stage"), "赢单", "won"),
        (LEADS.column("stage"), " Negotiation ", "negotiation"),
        (LEADS.column("stage"), "谈判签约", "negotiation"),
        (LEADS.column("source"), "客户推荐", "referral"),
        (LEADS.column("urgency"), "高", "high"),
        (FOLLOW_UPS.column("channel"), "上门", "visit"),
        (SERVICE.column("type"), "取消合作", "cancellation"),
        (SERVICE.column("priority"), "紧急", "urgent"),
        (FOLLOW_UPS.column("stage_after"), "ＷＯＮ", "won"),
    ],
)
def test_enumerations_match_keys_and_aliases(column: Column, text: str, expected: str) -> None:
    assert parse(column, text) == (expected, None)


def test_unknown_enumeration_value_is_kept_as_text_with_an_enumeration_problem() -> None:
    value, problem = parse(LEADS.column("stage"), "  暂停 ")
    assert value == "暂停"
    assert problem is not None
    assert (problem.column, problem.rule) == ("stage", "enumeration")
    assert "暂停" in problem.detail


def test_configured_aliases_are_used() -> None:
    stages = [v.model_dump() for v in SETTINGS.enums["stage"]]
    stages[0]["aliases"] = [*stages[0]["aliases"], "潜在客户"]
    custom = Settings(enums={"stage": stages})
    assert parse_value(column_parser(LEADS.column("stage"), custom), "潜在客户") == ("lead", None)
    assert parse(LEADS.column("stage"), "潜在客户")[1] is not None  # not in the defaults


@pytest.mark.parametrize("text", ["", "   ", "\t", None])
def test_empty_is_missing_not_a_problem(text: str | None) -> None:
    for col in LEADS.columns:
        assert parse(col, text) == (None, None), col.name


def test_details_never_echo_personal_data_and_cut_long_values() -> None:
    # contact_phone is plain text (never a problem); a pii column that could fail must
    # not echo: check the detail builder through a pii-flagged timestamp column.
    pii_col = LEADS.column("created_at").model_copy(update={"pii": "phone"})
    value, problem = parse_value(column_parser(pii_col, SETTINGS), "13812345678")
    assert value is None and problem is not None
    assert "13812345678" not in problem.detail
    long_text = "x" * 100
    _, problem = parse(LEADS.column("budget"), long_text)
    assert problem is not None and "x" * 41 not in problem.detail


def test_account_key_normalisation() -> None:
    # sources.md: NFKC, trimmed, inner whitespace collapsed, Latin letters lower-cased;
    # `ＡＢＣ科技 ` and `abc科技` are one account.
    assert account_name_key("ＡＢＣ科技 ") == account_name_key("abc科技") == "abc科技"
    assert account_name_key("  Foo \t  Bar  Ltd ") == account_name_key("foo bar ltd")
    assert account_name_key("foo bar") != account_name_key("foobar")
    assert account_name_key("   ") is None


def test_bulk_parsing_equals_per_value_parsing() -> None:
    # the vectorised fast path and the per-value path must agree on every value
    texts = [t for t, _ in TIMESTAMPS] + ["", None, "bad", "2026-03-31 14:05:00"]
    parser = column_parser(LEADS.column("created_at"), SETTINGS)
    series, problems = parse_column(parser, texts)
    for i, text in enumerate(texts):
        value, problem = parse_value(parser, text)
        got = series[i]
        assert (None if pd.isna(got) else got.to_pydatetime()) == value, text
        assert problems.get(i) == problem
    money_texts = [t for t, _ in MONEY] + ["12", "0.5", "bad"]
    parser = column_parser(LEADS.column("budget"), SETTINGS)
    series, problems = parse_column(parser, money_texts)
    for i, text in enumerate(money_texts):
        value, problem = parse_value(parser, text)
        assert (series[i] is None and value is None) or Decimal(series[i]) == Decimal(value)
        assert problems.get(i) == problem


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(), st.text(alphabet="0123456789-/:年月日 .,+TZ万亿¥元e%")))
def test_parsing_arbitrary_text_never_raises(text: str) -> None:
    for entity in load_contract().entities.values():
        for col in entity.columns:
            parser = column_parser(col, SETTINGS)
            value, problem = parse_value(parser, text)
            assert problem is None or problem.rule in ("type", "enumeration")
            if not text.strip():
                assert (value, problem) == (None, None)
    for col in ONE_COLUMN_PER_TYPE:
        series, problems = parse_column(column_parser(col, SETTINGS), [text, " ", None])
        assert len(series) == 3 and set(problems) <= {0}


ONE_COLUMN_PER_TYPE = list(
    {c.type: c for e in load_contract().entities.values() for c in e.columns}.values()
)


def _plain(value: object) -> object:
    """A bulk-parsed cell as the per-value parser returns it (None for every missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _reference(column: Column, value: object) -> object:
    """The per-value result as it reaches the raw table: dates as midnight timestamps."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    if column.type == "money" and value is not None:
        return str(value)
    return value


# Texts near the fast paths' canonical forms (so both paths are exercised), in any script
# of digits and with Chinese units, dates and full-width forms.
_NEAR_CANONICAL = st.one_of(
    st.text(alphabet="0123456789-:. ", min_size=1, max_size=22),
    st.text(alphabet="0123456789-+.,万亿¥元年月日时分秒 T:Z%", max_size=24),
    st.text(alphabet="0123456789０１２３٠١٢३४५-.:", max_size=20),
    st.datetimes(min_value=dt.datetime(1850, 1, 1), max_value=dt.datetime(2250, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
    ),
    st.dates(min_value=dt.date(1850, 1, 1)).map(lambda d: d.isoformat()),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    st.integers().map(str),
    st.floats(allow_nan=False).map(str),
    st.text(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(_NEAR_CANONICAL, min_size=1, max_size=8))
def test_bulk_fast_path_equals_reference_parser_on_any_text(texts: list[str]) -> None:
    """Differential (issue 14): the bulk path (vectorised fast paths, then the per-value
    parser on distinct leftovers) gives every value and every problem the reference
    per-value parser gives, for one column of every type."""
    for column in ONE_COLUMN_PER_TYPE:
        parser = column_parser(column, SETTINGS)
        series, problems = parse_column(parser, texts)
        assert len(series) == len(texts)
        for i, text in enumerate(texts):
            value, problem = parse_value(parser, text)
            expected = _reference(column, value)
            if column.type == "money" and expected is not None and problem is None:
                expected = expected if MONEY_TEXT_RE.fullmatch(expected) else None
            got = _plain(series[i])
            if column.type == "money" and got is not None and expected is not None:
                got, expected = Decimal(got), Decimal(expected)  # both cast to decimal(18, 2)
            assert got == expected, (column.type, text)
            if problem is not None:
                assert problems.get(i) == problem, (column.type, text)
            else:
                assert i not in problems or column.type == "money", (column.type, text)
