"""Turn the text of landed cells into typed values, one contract column at a time.

Every parser takes any string and never raises: it returns the typed value, or ``None``
with a :class:`Problem` naming the column and the rule (sources.md, quality.md):

- ``type``: the text is not a value of the column's type (``not a date``, ``not an amount``);
- ``enumeration``: no configured key or alias matched; the trimmed original text is kept in
  the typed column so the later in-set check still sees it.

Ranges (budget < 0, satisfaction outside 1-5, probability outside 0-100) are the quality
step's business: parsed out-of-range numbers are returned as they are. Empty or
whitespace-only text is *missing*, not unparseable: ``None`` without a problem.

Details never echo personal data: for ``pii`` columns they only say what is wrong; for
other columns they quote at most 40 characters of the value.

Columns are parsed in bulk (:func:`parse_column`): a vectorised fast path for the common
canonical forms, then the per-value parser (cached, values repeat) for the rest.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from core.contract import Column, normalise_value
from core.settings import Settings

MAX_ECHO = 40
# Money is stored as decimal(18, 2): at most 16 digits before the point.
MONEY_LIMIT = Decimal("1e16")
# Money text the database casts to decimal(18, 2) without fail.
MONEY_TEXT = r"[+-]?[0-9]{1,16}(?:\.[0-9]{1,2})?"
INT_LIMIT = 2**31 - 1  # raw integer columns are 32-bit
YEAR_RANGE = (1900, 2200)  # plausible CRM years; also keeps pandas timestamps in range


@dataclass(frozen=True)
class Problem:
    """A parse problem of one value: column, rule (``type`` / ``enumeration``), detail."""

    column: str
    rule: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"column": self.column, "rule": self.rule, "detail": self.detail}


# A per-value parser: stripped, non-empty text -> (value, detail of a problem or None).
ValueParser = Callable[[str], tuple[Any, str | None]]


def normalise_text(text: str) -> str:
    """The text every typed parser reads: NUL removed, NFKC, every decimal digit ASCII, trimmed.

    NFKC turns full-width digits and punctuation (``１２，０００．５０``) into ASCII; digits
    it leaves alone (Arabic-Indic ``١٢``, Devanagari, ...) are mapped through
    :func:`unicodedata.decimal`, so ``١٢٠٠٠`` is the number 12000 like ``12000``. After this
    the parsers only ever see ASCII digits, and what reaches a typed raw column is the
    canonical text the database casts without fail.
    """
    text = unicodedata.normalize("NFKC", text.replace("\x00", ""))
    if not text.isascii():
        text = "".join(_ascii_digit(c) for c in text)
    return text.strip()


def _ascii_digit(char: str) -> str:
    """A decimal digit of any script as its ASCII digit; other characters unchanged."""
    if char.isascii() or not char.isdecimal():
        return char
    return str(unicodedata.decimal(char))


_nfkc = normalise_text


def echo(value: str, pii: bool = False) -> str:
    """The value as a detail may quote it: nothing for personal data, else <= 40 chars."""
    if pii:
        return "(value withheld: personal data)"
    text = value.strip()
    if len(text) > MAX_ECHO:
        text = text[: MAX_ECHO - 1] + "…"
    return repr(text)


# --------------------------------------------------------------------------- timestamps
_TS_RE = re.compile(
    r"""^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?
        (?:(?:\s+|T|\s*T\s*)
           (?P<H>\d{1,2})\s*[:时點点]\s*(?P<M>\d{1,2})
           (?:\s*[:分]\s*(?P<S>\d{1,2})(?:[.,](?P<f>\d{1,9}))?\s*秒?|\s*分)?
        )?
        \s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$""",
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)


def _to_datetime(text: str, timezone: str) -> tuple[dt.datetime | None, str | None]:
    """Parse a timestamp in any accepted form to a naive local datetime (or a reason)."""
    match = _TS_RE.match(_nfkc(text))
    if match is None:
        return None, "not a date or timestamp"
    parts = match.groupdict()
    year, month, day = int(parts["y"]), int(parts["m"]), int(parts["d"])
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        return None, f"year {year} is out of range"
    micro = int((parts["f"] or "0")[:6].ljust(6, "0"))
    try:
        value = dt.datetime(
            year,
            month,
            day,
            int(parts["H"] or 0),
            int(parts["M"] or 0),
            int(parts["S"] or 0),
            micro,
        )
    except ValueError:
        return None, "not a valid calendar date or time"
    offset = parts["tz"]
    if offset:
        value = value.replace(tzinfo=_offset(offset))
        value = value.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    return value, None


def _offset(text: str) -> dt.tzinfo:
    if text.upper() in ("Z", "UTC", "GMT"):
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def timestamp_parser(timezone: str) -> ValueParser:
    """Per-value timestamp parser for the configured time zone."""

    def parse(text: str) -> tuple[dt.datetime | None, str | None]:
        return _to_datetime(text, timezone)

    return parse


def date_parser(timezone: str) -> ValueParser:
    """Per-value date parser: the date part of any accepted timestamp form."""

    def parse(text: str) -> tuple[dt.date | None, str | None]:
        value, reason = _to_datetime(text, timezone)
        if value is None:
            return None, (reason or "not a date").replace("or timestamp", "").strip()
        return value.date(), None

    return parse


# --------------------------------------------------------------------------- numbers
_MONEY_RE = re.compile(
    r"""^(?P<s1>[+-])?\s*(?:¥|\$|rmb|cny|人民币)?\s*(?P<s2>[+-])?\s*
        (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*
        (?P<unit>万|亿|千|k|w)?\s*(?:元|rmb|cny)?$""",
    re.VERBOSE | re.ASCII,
)
_UNITS = {
    "万": Decimal(10_000),
    "w": Decimal(10_000),
    "亿": Decimal(100_000_000),
    "千": Decimal(1_000),
    "k": Decimal(1_000),
    None: Decimal(1),
}


def parse_money(text: str) -> tuple[Decimal | None, str | None]:
    """Amounts: 1200000, 1,200,000.00, ¥1,200,000, ￥…, RMB/CNY prefix, 120万, 1.2亿."""
    match = _MONEY_RE.match(_nfkc(text).casefold().replace(" ", ""))
    if match is None:
        return None, "not an amount"
    if match["s1"] and match["s2"]:
        return None, "not an amount"
    negative = (match["s1"] or match["s2"]) == "-"
    try:
        value = Decimal(match["num"].replace(",", "")) * _UNITS[match["unit"]]
    except InvalidOperation:
        return None, "not an amount"
    if abs(value) >= MONEY_LIMIT:
        return None, "amount is too large"
    value = value.quantize(Decimal("0.01"))
    return (-value if negative else value), None


def _money_text(text: str) -> tuple[str | None, str | None]:
    """:func:`parse_money` as exact decimal text (how money reaches the raw table)."""
    value, reason = parse_money(text)
    return (None if value is None else str(value)), reason


_NUMBER_RE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:e[+-]?\d+)?%?$", re.ASCII)


def _to_decimal(text: str) -> Decimal | None:
    cleaned = _nfkc(text).casefold().replace(" ", "")
    if not cleaned or not _NUMBER_RE.match(cleaned) or not any(c.isdigit() for c in cleaned):
        return None
    try:
        value = Decimal(cleaned.rstrip("%").replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_number(text: str) -> tuple[float | None, str | None]:
    """Decimal numbers; a trailing % is allowed (``35%`` -> 35, probabilities are 0-100)."""
    value = _to_decimal(text)
    if value is None or abs(value) >= Decimal("1e300"):
        return None, "not a number"
    return float(value), None


def parse_integer(text: str) -> tuple[int | None, str | None]:
    """Whole numbers (``4`` and ``4.0`` both give 4; ``4.5`` is not a whole number)."""
    value = _to_decimal(text)
    if value is None:
        return None, "not a whole number"
    if value != value.to_integral_value():
        return None, "not a whole number"
    if abs(value) > INT_LIMIT:
        return None, "number is too large"
    return int(value), None


# --------------------------------------------------------------------------- small types
_TRUE = {"true", "yes", "y", "1", "是", "t", "对", "有", "已接触", "√", "✓"}
_FALSE = {"false", "no", "n", "0", "否", "f", "错", "无", "未接触", "×", "✗"}
BOOLEAN_TEXTS = frozenset(_TRUE | _FALSE)  # for the SQL path's literal map


def parse_boolean(text: str) -> tuple[bool | None, str | None]:
    """true/false, yes/no, y/n, 1/0, t/f, 是/否 (and 对/错, 有/无)."""
    key = normalise_text(text).casefold()
    if key in _TRUE:
        return True, None
    if key in _FALSE:
        return False, None
    return None, "not a yes/no value"


_CURRENCY_SYMBOLS = {
    "¥": "CNY",
    "人民币": "CNY",
    "元": "CNY",
    "rmb": "CNY",
    "us$": "USD",
    "美元": "USD",
    "€": "EUR",
    "欧元": "EUR",
    "港币": "HKD",
    "港元": "HKD",
}
CURRENCY_SYMBOLS = tuple(_CURRENCY_SYMBOLS)  # for the SQL path's literal map


def parse_currency(text: str) -> tuple[str | None, str | None]:
    """ISO 4217 codes, upper-cased; ¥ / 人民币 / RMB mean CNY."""
    key = _nfkc(text).casefold()
    if key in _CURRENCY_SYMBOLS:
        return _CURRENCY_SYMBOLS[key], None
    code = key.upper()
    if re.fullmatch(r"[A-Z]{3}", code):
        return code, None
    return None, "not a three-letter currency code"


def enum_parser(aliases: dict[str, str], name: str = "") -> ValueParser:
    """Configured key or alias (matched after NFKC, trim, case folding) -> canonical key.

    No match keeps the trimmed original text and reports an ``enumeration`` problem.
    """

    def parse(text: str) -> tuple[str, str | None]:
        key = aliases.get(normalise_value(text))
        if key is None:
            return text.strip(), f"not a configured {name} value"
        return key, None

    return parse


# --------------------------------------------------------------------------- accounts
_SPACES = re.compile(r"\s+")


def account_name_key(name: str | None) -> str | None:
    """The normalised account name: NFKC, trimmed, inner whitespace collapsed, lower case.

    ``ＡＢＣ科技 `` and ``abc科技`` give the same key (sources.md, "Accounts").
    """
    if name is None:
        return None
    key = _SPACES.sub(" ", unicodedata.normalize("NFKC", name)).strip().lower()
    return key or None


# --------------------------------------------------------------------------- columns
@dataclass(frozen=True)
class ColumnParser:
    """How one contract column is parsed: per-value parser, problem rule and pandas dtype."""

    column: Column
    parse_value: ValueParser
    fast: Callable[[pd.Series], pd.Series] | None
    dtype: str

    @property
    def rule(self) -> str:
        return "enumeration" if self.column.type == "enum" else "type"


def _fast_timestamp(fmt: str) -> Callable[[pd.Series], pd.Series]:
    def fast(values: pd.Series) -> pd.Series:
        parsed = pd.to_datetime(values, format=fmt, errors="coerce")
        years = parsed.dt.year
        in_range = (years >= YEAR_RANGE[0]) & (years <= YEAR_RANGE[1])
        return parsed.where(in_range)

    return fast


def _fast_number(values: pd.Series) -> pd.Series:
    # Plain decimal notation only; anything else (commas, units, exponents) takes the
    # per-value path so both paths accept exactly the same texts.
    plain = values.str.fullmatch(r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,2})?", na=False)
    return pd.to_numeric(values.where(plain), errors="coerce")


def _fast_money(values: pd.Series) -> pd.Series:
    # Money travels as exact decimal text and is cast to decimal(18, 2) on insert: only
    # ASCII digits (``\d`` would let ``１２０００`` through to a failing cast).
    plain = values.str.fullmatch(MONEY_TEXT, na=False)
    return values.where(plain)


def column_parser(column: Column, settings: Settings) -> ColumnParser:
    """The parser of one contract column under the given configuration."""
    kind = column.type
    if kind == "timestamp":
        return ColumnParser(
            column,
            timestamp_parser(settings.timezone),
            _fast_timestamp("%Y-%m-%d %H:%M:%S"),
            "datetime64[us]",
        )
    if kind == "date":
        return ColumnParser(
            column, date_parser(settings.timezone), _fast_timestamp("%Y-%m-%d"), "datetime64[us]"
        )
    if kind == "money":
        return ColumnParser(column, _money_text, _fast_money, "object")
    if kind == "number":
        return ColumnParser(column, parse_number, _fast_number, "float64")
    if kind == "integer":
        return ColumnParser(column, parse_integer, None, "Int64")
    if kind == "boolean":
        return ColumnParser(column, parse_boolean, None, "boolean")
    if kind == "currency":
        return ColumnParser(column, parse_currency, None, "object")
    if kind == "enum":
        name = column.enum or ""
        return ColumnParser(column, enum_parser(settings.alias_map(name), name), None, "object")
    return ColumnParser(column, lambda text: (text.strip(), None), None, "object")


def parse_value(parser: ColumnParser, text: object) -> tuple[Any, Problem | None]:
    """Parse one value of any kind; never raises. Empty -> (None, None)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None, None
    raw = text if isinstance(text, str) else str(text)
    if not raw.strip():
        return None, None
    try:
        value, reason = parser.parse_value(raw)
    except Exception:  # noqa: BLE001 - a parser bug must not stop a load
        value, reason = None, "could not be read"
    if reason is None:
        return value, None
    detail = f"{parser.column.name}: {reason}: {echo(raw, parser.column.pii is not None)}"
    return value, Problem(parser.column.name, parser.rule, detail)


def parse_column(
    parser: ColumnParser, values: Iterable[object]
) -> tuple[pd.Series, dict[int, Problem]]:
    """Parse a whole column: typed Series (pandas dtype of the type) and problems by index.

    Text is stripped first; empty text is missing. A vectorised fast path takes the
    canonical forms (plain timestamps and numbers); the remaining *distinct* values are
    parsed once each (enumerations, flags and dates repeat a lot) and mapped back. Plain
    Python list comprehensions do the per-value work: they are much cheaper than pandas'
    string methods on object columns.
    """
    stripped = np.array(
        [v.strip() if type(v) is str else _as_text(v) for v in values], dtype=object
    )
    n = len(stripped)
    present = stripped != "" if n else np.zeros(0, dtype=bool)
    problems: dict[int, Problem] = {}
    if parser.column.type == "text":
        return pd.Series(np.where(present, stripped, None), dtype=object), problems
    result = _empty(parser, n)
    todo = present
    if parser.fast is not None and todo.any():
        candidates = pd.Series(np.where(present, stripped, None), dtype=object)
        fast = parser.fast(candidates)
        hit = fast.notna().to_numpy(dtype=bool) & todo
        if hit.any():
            result[hit] = fast[hit].to_numpy(dtype=result.dtype)
            todo = todo & ~hit
    if todo.any():
        index = np.flatnonzero(todo)
        rest = stripped[index]
        parsed = {u: parse_value(parser, u) for u in set(rest)}
        result[index] = _convert([parsed[v][0] for v in rest], parser)
        if any(problem is not None for _, problem in parsed.values()):
            for i, value in zip(index, rest, strict=True):
                problem = parsed[value][1]
                if problem is not None:
                    problems[int(i)] = problem
    if parser.column.type == "money":
        _only_castable_money(parser, stripped, result, problems)
    if parser.dtype in ("Int64", "boolean"):
        return pd.Series(pd.array(list(result), dtype=parser.dtype)), problems
    return pd.Series(result, dtype=result.dtype), problems


_MONEY_TEXT_RE = re.compile(MONEY_TEXT)


def _only_castable_money(
    parser: ColumnParser, texts: np.ndarray, result: np.ndarray, problems: dict[int, Problem]
) -> None:
    """Guard of the insert's cast to decimal(18, 2): money text that is not plain ASCII
    decimal becomes a type problem of its row instead of a failing load."""
    for i, value in enumerate(result):
        if value is not None and not _MONEY_TEXT_RE.fullmatch(str(value)):
            result[i] = None
            if i not in problems:
                detail = f"{parser.column.name}: not an amount: {echo(str(texts[i]))}"
                problems[i] = Problem(parser.column.name, parser.rule, detail)


def _as_text(value: object) -> str:
    """Cell value as stripped text; None and NaN are empty."""
    if type(value) is str:
        return value.strip()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _empty(parser: ColumnParser, n: int) -> np.ndarray:
    """An all-missing array to fill: NaT, NaN, or None (objects, Int64 and boolean)."""
    if parser.dtype == "datetime64[us]":
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    if parser.dtype == "float64":
        return np.full(n, np.nan)
    out = np.empty(n, dtype=object)
    out[:] = None
    return out


def _convert(values: list[object], parser: ColumnParser) -> np.ndarray:
    """Per-value parse results (None for failures) as an array for :func:`_empty`'s."""
    cleaned = [None if _missing(v) else v for v in values]
    if parser.dtype == "datetime64[us]":
        return pd.to_datetime(pd.Series(cleaned, dtype=object)).to_numpy(dtype="datetime64[us]")
    if parser.dtype == "float64":
        return np.array([np.nan if v is None else float(v) for v in cleaned], dtype=float)
    out = np.empty(len(cleaned), dtype=object)
    out[:] = cleaned
    return out


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT
