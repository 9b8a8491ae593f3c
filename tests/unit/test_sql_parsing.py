"""Differential property test of the SQL parsing path (issue 14): the same strings through
the contract's generated SQL (ingestion/sql_parsing.py, as the CSV load in DuckDB runs it)
and through the reference per-value parser give identical values and identical problems,
for one column of every type and every enumeration."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from decimal import Decimal

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.contract import Column, load_contract
from core.settings import Settings
from ingestion.csv_engine import ROWS_TABLE, _account_key, column_sqls, scan_rows, typed_columns
from ingestion.parsing import MONEY_TEXT, account_name_key, column_parser, parse_value
from ingestion.sql_parsing import CJK_IDEOGRAPHS, FULL_WIDTH

SETTINGS = Settings()
ALL_COLUMNS = [c for e in load_contract().entities.values() for c in e.columns]
# one column of every type, and one of every enumeration
COLUMNS = list({(c.type, c.enum): c for c in ALL_COLUMNS}.values())
ALIASES = sorted({a for c in COLUMNS if c.enum for a in SETTINGS.alias_map(c.enum)})

_CELL = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
TEXTS = st.one_of(
    st.text(alphabet=_CELL, max_size=12),
    st.text(alphabet="0123456789-:. T+", min_size=1, max_size=22),
    st.text(alphabet="0123456789-+.,万亿¥元年月日时分秒 T:Z%", max_size=24),
    st.text(alphabet="0123456789０１２３٠١٢३४५-.:", max_size=20),
    st.datetimes(min_value=dt.datetime(1850, 1, 1), max_value=dt.datetime(2250, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
    ),
    st.datetimes(min_value=dt.datetime(1850, 1, 1), max_value=dt.datetime(2250, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%S")
    ),
    st.dates(min_value=dt.date(1850, 1, 1)).map(lambda d: d.isoformat()),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?\Z"),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    st.from_regex(r"\A[+-]?[0-9]{1,18}(\.[0-9]{1,3})?\Z"),
    st.integers().map(str),
    st.floats(allow_nan=False).map(str),
    st.sampled_from(ALIASES).flatmap(
        lambda a: st.sampled_from([a, a.upper(), a.title(), f" {a}", f"{a}\u3000"])
    ),
    st.sampled_from(["true", "False", "YES", "n", "1", "0", "是", "否", "t", "✓", "×", "2"]),
    st.sampled_from(["CNY", "usd", "RMB", "rmb", "¥", "人民币", "US$", "€", "EURO", "CN"]),
    st.sampled_from([" ", "\t", "\u3000", "\xa0 ", "", "\u2003x\u2003", "a\x1cb", "\x85"]),
    # fixed-width forms at the edges of the SQL's pattern and of DuckDB's cast: hour 24,
    # second 60, days the calendar lacks, the plausible years' bounds
    st.from_regex(
        r"\A[0-9]{4}-(0[0-9]|1[0-3])-(0[0-9]|[1-3][0-9])[ T]2[0-9]:[0-6][0-9]:[056][0-9]\Z"
    ),
    st.sampled_from(
        [
            "2026-01-01 24:00:00",
            "2026-12-31T23:59:60",
            "2026-02-29",
            "2024-02-29T00:00:00",
            "2026-04-31 10:00:00",
            "1900-01-01 00:00:00",
            "1899-12-31T23:59:59",
            "2200-12-31 23:59:59",
            "2201-01-01",
            "0000-01-01",
        ]
    ),
)


def _sql_results(
    con: duckdb.DuckDBPyConnection, column: Column, texts: list[str]
) -> list[tuple[object, str | None]]:
    """Value and problem JSON of each text as the CSV load in DuckDB types it."""
    con.execute(f"create or replace temp table {ROWS_TABLE} (_source_row integer, c0 varchar)")
    con.executemany(f"insert into {ROWS_TABLE} values (?, ?)", list(enumerate(texts)))
    parser = column_parser(column, SETTINGS)
    aliases = {column.name: list(SETTINGS.alias_map(column.enum))} if column.enum else {}
    (typed,) = typed_columns(con, {column.name: parser}, {column.name: 0}, aliases)
    rows = con.execute(
        f"select cast({typed.value} as {typed.sql_type}), {typed.problem or 'null'} "
        f"from {ROWS_TABLE} as kept {typed.join or ''} order by kept._source_row"
    ).fetchall()
    if typed.join:
        con.unregister(typed.join.split()[2])
    return rows


def _expected(column: Column, text: str) -> tuple[object, str | None]:
    """The reference parser's value (as the raw column stores it) and problem JSON."""
    value, problem = parse_value(column_parser(column, SETTINGS), text)
    if column.type == "money" and value is not None:
        value = Decimal(value)
        # the bulk parser's guard of the decimal(18, 2) cast (parse_column)
        if not re.fullmatch(MONEY_TEXT, str(value)):
            value = None
    if isinstance(value, dt.datetime) and column.type == "date":
        value = value.date()
    return value, None if problem is None else json.dumps(problem.as_dict(), ensure_ascii=False)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(TEXTS, min_size=1, max_size=8))
def test_sql_path_equals_reference_parser_on_any_text(texts: list[str]) -> None:
    con = duckdb.connect()
    for column in COLUMNS:
        got = _sql_results(con, column, texts)
        for text, (value, problem) in zip(texts, got, strict=True):
            assert (value, problem) == _expected(column, text), (column.name, text)


def test_canonical_forms_are_typed_by_sql_alone() -> None:
    # the fast path must really be taken for what exports write: no reference join then
    con = duckdb.connect()
    canonical = {
        "timestamp": ["2026-03-31 14:05:00", "2026-03-31T14:05:00"],
        "date": ["2026-03-31"],
        "money": ["1200000.00", "-5", "0.5"],
        "number": ["35", "12.5"],
        "integer": ["4", "-12"],
        "boolean": ["true", "FALSE", "是"],
        "currency": ["CNY", "USD"],
        "enum": ["lead", "线索"],
        "text": [" x "],
    }
    for column in COLUMNS:
        if column.type == "enum" and column.enum != "stage":
            continue
        con.execute(f"create or replace temp table {ROWS_TABLE} (_source_row integer, c0 varchar)")
        texts = canonical[column.type]
        con.executemany(f"insert into {ROWS_TABLE} values (?, ?)", list(enumerate(texts)))
        aliases = {column.name: list(SETTINGS.alias_map(column.enum))} if column.enum else {}
        parser = column_parser(column, SETTINGS)
        (typed,) = typed_columns(con, {column.name: parser}, {column.name: 0}, aliases)
        assert typed.join is None, column.type


def test_the_sql_key_only_reads_characters_nfkc_and_lower_leave_alone() -> None:
    # the SQL account key takes CJK ideographs as they are: NFKC must leave every one alone
    # (and they must have no case, be no whitespace, combine with nothing), and it must
    # turn the full-width parentheses into the ASCII ones the SQL writes
    for first, last in CJK_IDEOGRAPHS:
        for code in range(first, last + 1):
            char = chr(code)
            assert unicodedata.normalize("NFKC", char) == char, hex(code)
            assert char.lower() == char and not char.isspace(), hex(code)
            assert unicodedata.combining(char) == 0, hex(code)
    for full, ascii_char in FULL_WIDTH.items():
        assert unicodedata.normalize("NFKC", full) == ascii_char


_NAME_CHARS = "abcXYZ019 .-&()（）科技上海有限公司㐀鿿\u3000\t\xa0ＡＢｃ①Ⅷ İ\u0301ﬁ·—"
NAMES = st.one_of(
    st.text(alphabet=_NAME_CHARS, max_size=14),
    st.text(alphabet=_CELL, max_size=8),
    st.sampled_from(
        ["晟诚商贸（大连）有限公司", " ＡＢＣ科技 ", "ABC  Tech（上海）", "（）", "  "]
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(NAMES, min_size=1, max_size=8))
def test_sql_account_key_equals_the_reference_key(names: list[str]) -> None:
    # _account_key as the CSV load in DuckDB builds it (the SQL key for the names it can
    # read, the reference's for the rest) against account_name_key of the typed name
    con = duckdb.connect()
    con.execute(f"create or replace temp table {ROWS_TABLE} (_source_row integer, c0 varchar)")
    con.executemany(f"insert into {ROWS_TABLE} values (?, ?)", list(enumerate(names)))
    leads = load_contract().entity("leads")
    column = next(c for c in leads.columns if c.name == "account_name")
    parsers, positions = {column.name: column_parser(column, SETTINGS)}, {column.name: 0}
    sqls = column_sqls(parsers, positions, {})
    scan = scan_rows(con, positions, sqls, account_name=sqls[column.name].value)
    typed = typed_columns(con, parsers, positions, {}, scan.todo, sqls)
    key, join = _account_key(con, leads, typed, scan.accounts)
    got = con.execute(
        f"select {key} from {ROWS_TABLE} as kept {join or ''} order by kept._source_row"
    ).fetchall()
    for name, (sql_key,) in zip(names, got, strict=True):
        value, _ = parse_value(parsers[column.name], name)
        assert sql_key == account_name_key(value), name
    # names the SQL key reads never go to Python
    assert not [n for n in scan.accounts if re.fullmatch(r"[ -~\u4e00-\u9fff（）]*", n)]
