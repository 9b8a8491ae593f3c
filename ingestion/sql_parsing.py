"""Value parsing in DuckDB, generated from the contract: the fast path of the CSV load.

Every contract column type gets SQL for its *canonical* forms only, the forms exports
write (``2026-03-31 14:05:00``, ``2026-03-31``, ``1200000.00``, ``42``, ``CNY``, an enum
key or alias). The SQL takes a value only when it is exactly in such a form and the
reference parser (:mod:`ingestion.parsing`) would give that very value without a problem;
everything else that is not blank (padded text, full-width and other-script digits,
Chinese dates, 万/亿 money, unknown enum values, ...) goes to the reference parser, once per
distinct text, and its value and problem are joined back. So the two paths cannot diverge:
the SQL never reports a problem, and never accepts a text the reference would read
differently. Lookup types (booleans, enums, currency symbols) are literal maps built by
running the reference parser itself over the texts it accepts.

Blank (whitespace-only, as Python's ``str.isspace`` sees it) is missing: NULL, no problem.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from ingestion.parsing import (
    BOOLEAN_TEXTS,
    CURRENCY_SYMBOLS,
    MONEY_TEXT,
    YEAR_RANGE,
    ColumnParser,
    account_name_key,
    parse_column,
    parse_value,
)

# Every character Python's ``str.strip`` removes; DuckDB's trim(text, characters) removes
# the same from both ends.
_SPACES = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
# Account names the SQL key reads exactly as ``account_name_key``: printable ASCII
# (NFKC leaves it alone, lower() means the same in Python and SQL), CJK ideographs (NFKC
# leaves them alone, they have no case and are no whitespace: a test checks every one)
# and the full-width parentheses of Chinese company names, which NFKC makes ASCII ones.
CJK_IDEOGRAPHS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF))
FULL_WIDTH = {"（": "(", "）": ")"}
_CJK = "".join(f"\\x{{{first:x}}}-\\x{{{last:x}}}" for first, last in CJK_IDEOGRAPHS)
_SIMPLE_NAME = f"[\\x{{20}}-\\x{{7e}}{_CJK}{''.join(FULL_WIDTH)}]*"

_DATE_TEXT = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME_TEXT = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_NUMBER_TEXT = r"[+-]?[0-9]{1,15}(\.[0-9]{1,2})?"
_INTEGER_TEXT = r"[+-]?[0-9]{1,9}"  # at most 9 digits: always a 32-bit integer


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _edge_space_sql(cell: str) -> str:
    """True when the text starts or ends with whitespace: a cheap test that spares almost
    every cell trim() with a character set, which is ten times slower than plain trim()."""
    return (
        f"(contains({literal(_SPACES)}, left({cell}, 1)) "
        f"or contains({literal(_SPACES)}, right({cell}, 1)))"
    )


def blank_sql(cell: str) -> str:
    """True when the cell text (never NULL) is empty or only whitespace.

    A CASE, not ``or``/``and``: DuckDB evaluates a CASE branch only on the rows that reach
    it, while a negated ``or`` ran trim() with a character set on every cell (13 times the
    cost of the whole test, docs/benchmarks.md "Ingest: checkpoints and runs of files").
    """
    return (
        f"(case when {cell} = '' then true when {_edge_space_sql(cell)} "
        f"then trim({cell}, {literal(_SPACES)}) = '' else false end)"
    )


def strip_sql(cell: str) -> str:
    """The cell text without leading and trailing whitespace (Python's ``str.strip``).

    The empty text first: its edge test is true (every text contains ''), and trim()
    with a character set on the empty cells of a mostly empty column cost ten times the
    rest of the column (docs/benchmarks.md, "Ingest: typing each cell once").
    """
    return (
        f"(case when {cell} = '' then '' when {_edge_space_sql(cell)} "
        f"then trim({cell}, {literal(_SPACES)}) else {cell} end)"
    )


@dataclass(frozen=True)
class ColumnSql:
    """SQL of one column's canonical forms over a cell expression (text, never NULL).

    ``canonical`` is a condition: the SQL value is the reference parser's value.
    ``value`` is that value (only meaningful when ``canonical`` holds). Text columns
    are all SQL (``complete``): no cell goes to the reference parser.
    """

    canonical: str
    value: str
    complete: bool = False


def _timestamp_sql(cell: str, pattern: str, cast: str) -> ColumnSql:
    """A fixed-width ISO form within the plausible years, typed by DuckDB's cast.

    The pattern pins every field's width and keeps hours to 00-23 and minutes and seconds
    to 00-59 (the cast would read ``24:00:00`` as the next day); the cast then refuses
    what the calendar refuses (2026-02-30), as the reference parser does. The cast reads
    these fixed forms three times faster than ``try_strptime`` with a format
    (docs/benchmarks.md, "Ingest: typing each cell once"); the differential test holds
    both paths to the same values.
    """
    parsed = f"try_cast({cell} as {cast})"
    first, last = f"{YEAR_RANGE[0]}-01-01", f"{YEAR_RANGE[1]}-12-31 23:59:59.999999"
    # a CASE: the cast runs only on the cells that match the pattern
    canonical = (
        f"(case when regexp_full_match({cell}, '{pattern}') then coalesce({parsed} "
        f"between timestamp '{first}' and timestamp '{last}', false) else false end)"
    )
    return ColumnSql(canonical, parsed)


def _literal_map_sql(cell: str, parser: ColumnParser, texts: Iterable[str]) -> ColumnSql:
    """Exact texts the reference parser maps to a value without a problem."""
    accepted = {}
    for text in sorted(set(texts)):
        value, problem = parse_value(parser, text)
        if problem is None and value is not None and text == text.strip():
            accepted[text] = value
    if not accepted:
        return ColumnSql("false", "null")
    keys = ", ".join(literal(t) for t in accepted)
    cases = " ".join(f"when {literal(t)} then {_value_literal(v)}" for t, v in accepted.items())
    return ColumnSql(f"({cell} in ({keys}))", f"(case {cell} {cases} end)")


def _value_literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return literal(str(value))


def _variants(texts: Iterable[str]) -> set[str]:
    """Texts as written in lower, upper and title case (exports differ in case)."""
    return {v for t in texts for v in (t, t.upper(), t.title())}


def _currency_sql(cell: str, parser: ColumnParser) -> ColumnSql:
    """Three upper-case letters (an ISO code), plus the symbols the reference maps."""
    symbols = _literal_map_sql(cell, parser, _variants(CURRENCY_SYMBOLS))
    # three-letter symbols (RMB) map to another code: they take the literal map
    special = [t for t in _variants(CURRENCY_SYMBOLS) if len(t) == 3 and t.isascii()]
    excluded = ", ".join(literal(t) for t in sorted(special)) or "''"
    code = f"(regexp_full_match({cell}, '[A-Z]{{3}}') and {cell} not in ({excluded}))"
    return ColumnSql(
        f"({code} or {symbols.canonical})",
        f"(case when {code} then {cell} else {symbols.value} end)",
    )


def column_sql(parser: ColumnParser, cell: str, aliases: Iterable[str] = ()) -> ColumnSql:
    """The canonical-form SQL of one contract column over ``cell``.

    ``aliases`` are the normalised enum keys and aliases of the column's enumeration
    (``Settings.alias_map``); the reference parser decides which of them it accepts.
    """
    kind = parser.column.type
    if kind == "text":
        return ColumnSql("true", f"nullif({strip_sql(cell)}, '')", complete=True)
    if kind == "timestamp":
        return _timestamp_sql(cell, f"{_DATE_TEXT}[ T]{_TIME_TEXT}", "timestamp")
    if kind == "date":
        return _timestamp_sql(cell, _DATE_TEXT, "date")
    if kind == "money":
        return ColumnSql(
            f"regexp_full_match({cell}, '{MONEY_TEXT}')", f"cast({cell} as decimal(18, 2))"
        )
    if kind == "number":
        return ColumnSql(f"regexp_full_match({cell}, '{_NUMBER_TEXT}')", f"cast({cell} as double)")
    if kind == "integer":
        return ColumnSql(
            f"regexp_full_match({cell}, '{_INTEGER_TEXT}')", f"cast({cell} as integer)"
        )
    if kind == "boolean":
        return _literal_map_sql(cell, parser, _variants(BOOLEAN_TEXTS))
    if kind == "currency":
        return _currency_sql(cell, parser)
    if kind == "enum":
        return _literal_map_sql(cell, parser, _variants(aliases))
    raise ValueError(f"no SQL for column type {kind!r}")


def reference_results(parser: ColumnParser, cells: list[str]) -> pd.DataFrame:
    """The reference parser's value and problem (JSON) for each distinct cell text.

    Uses the same bulk parser the row-by-row loader used (``parse_column``), so even its
    guards (money that could not be stored) apply here unchanged.
    """
    series, problems = parse_column(parser, cells)
    problem_json = [None] * len(cells)
    for index, problem in problems.items():
        problem_json[index] = json.dumps(problem.as_dict(), ensure_ascii=False)
    return pd.DataFrame(
        {"cell": pd.Series(cells, dtype=object), "value": series, "problem": problem_json}
    )


def account_keys(names: list[str]) -> pd.DataFrame:
    """``account_name_key`` of each distinct (stripped) account name the SQL key cannot
    read (:func:`simple_name_sql`)."""
    return pd.DataFrame(
        {
            "name": pd.Series(names, dtype=object),
            "account_key": pd.Series([account_name_key(n) for n in names], dtype=object),
        }
    )


def simple_account_key_sql(name: str) -> str:
    """SQL ``account_name_key`` of a stripped name :func:`simple_name_sql` accepts:
    full-width parentheses made ASCII (what NFKC does to them), inner spaces collapsed,
    lower case."""
    ascii_name = name
    for full, ascii_char in FULL_WIDTH.items():
        ascii_name = f"replace({ascii_name}, '{full}', '{ascii_char}')"
    # only a run of two spaces or more changes: the regular expression runs on those alone
    collapsed = (
        f"case when contains({ascii_name}, '  ') "
        f"then regexp_replace({ascii_name}, ' +', ' ', 'g') else {ascii_name} end"
    )
    return f"nullif(lower({collapsed}), '')"


def simple_name_sql(text: str) -> str:
    """True when the text is printable ASCII, CJK ideographs and full-width parentheses
    only: the SQL key then equals ``account_name_key``, so no name of that kind is sent
    to Python (most generated and real Chinese company names; docs/benchmarks.md,
    "Ingest: typing each cell once")."""
    return f"regexp_full_match({text}, '{_SIMPLE_NAME}')"
