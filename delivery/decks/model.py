"""What a deck is, independent of its format: slides of charts, tables and headline numbers.

Builders (:mod:`delivery.decks.opportunity`, :mod:`delivery.decks.customer`) turn query
rows into these objects; the PPTX and HTML writers only draw them. Values are converted
once here (money to 万元, rates to percent), so both formats show the same numbers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from core.labels import Language, label
from delivery.decks.data import Row

Unit = Literal["count", "money", "rate", "days", "hours", "score", "text"]
ChartKind = Literal["column", "bar", "line", "pie", "stacked"]
WAN = 10_000  # 1 万元 = 10,000 yuan

UNIT_SUFFIX: dict[Language, dict[str, str]] = {
    "zh": {"money": "（万元）", "rate": "（%）", "days": "（天）", "hours": "（小时）"},
    "en": {"money": " (10k CNY)", "rate": " (%)", "days": " (days)", "hours": " (hours)"},
}


def number(value: Any) -> float | None:
    """A finite float, or None for NULL / NaN / infinity (never shown as NaN)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    try:
        result = float(value) if isinstance(value, int | float | Decimal) else float(str(value))
    except ValueError:
        return None
    return result if math.isfinite(result) else None


def convert(value: Any, unit: Unit) -> float | None:
    """A mart value in the unit a manager reads: 万元 (2 decimals), percent (1 decimal)."""
    raw = number(value)
    if raw is None:
        return None
    if unit == "money":
        return round(raw / WAN, 2)
    if unit == "rate":
        return round(raw * 100, 1)
    if unit == "count":
        return round(raw)  # an int: shown without decimals
    return round(raw, 1)


def show(value: Any, unit: Unit, language: Language) -> str:
    """A value as text with its unit; '—' for a missing value."""
    if unit == "text":
        return "—" if value in (None, "") else str(value)
    converted = convert(value, unit)
    if converted is None:
        return "—"
    if unit == "money":
        return f"{converted:,.2f} 万元" if language == "zh" else f"{converted:,.2f} ×10k CNY"
    if unit == "rate":
        return f"{converted:.1f}%"
    if unit == "count":
        return f"{int(converted):,}"
    suffix = {"days": {"zh": " 天", "en": " d"}, "hours": {"zh": " 小时", "en": " h"}}
    return f"{converted:,.1f}{suffix.get(unit, {}).get(language, '')}"


def month_text(value: Any) -> str:
    """``2026-03`` for a month (a date on the 1st)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m")
    return str(value)


@dataclass(frozen=True)
class Category:
    """How a query column becomes chart categories: an enum label, a month or raw text."""

    column: str
    enum: str | None = None
    month: bool = False
    missing: str | None = None  # label for NULL (e.g. "no expected close date")

    def text(self, row: Row, language: Language) -> str:
        value = row.get(self.column)
        if value is None and self.missing is not None:
            return self.missing
        if self.enum:
            return label(self.enum, value, language)
        if self.month:
            return month_text(value)
        return "—" if value in (None, "") else str(value)


@dataclass(frozen=True)
class SeriesSpec:
    name: str
    column: str
    unit: Unit


@dataclass(frozen=True)
class ChartSpec:
    """A native chart drawn from one query: categories from a column, one series per column."""

    chart_id: str
    query: str
    kind: ChartKind
    category: Category
    series: tuple[SeriesSpec, ...]
    title: str = ""


@dataclass
class Chart:
    spec: ChartSpec
    categories: list[str]
    series: list[tuple[str, list[float | None]]]


@dataclass(frozen=True)
class Column:
    header: str
    column: str
    unit: Unit = "text"
    enum: str | None = None
    month: bool = False


@dataclass
class Table:
    query: str
    headers: list[str]
    rows: list[list[str]]
    heat: list[list[float | None]] | None = None  # 0..1 per cell, for a heat map


@dataclass
class Kpi:
    label: str
    value: str
    delta: str | None = None
    trend: int = 0  # +1 better, -1 worse, 0 neutral/unknown


@dataclass
class Note:
    """Words in place of a chart or table: no data, or a table missing in this build."""

    text: str
    query: str | None = None
    unavailable: bool = False  # the serving file lacks a table or column it needs


Element = Chart | Table | Note | list[Kpi]


@dataclass
class Slide:
    slide_id: str
    title: str
    message: str
    elements: list[Element] = field(default_factory=list)
    tables: tuple[str, ...] = ()
    kind: Literal["title", "content"] = "content"
    lines: list[str] = field(default_factory=list)  # the title slide's text lines


@dataclass
class Deck:
    deck_id: str
    title: str
    language: Language
    as_of_date: dt.date | None
    period: str
    slides: list[Slide]
    headline: dict[str, str] = field(default_factory=dict)  # label -> value text


def make_chart(spec: ChartSpec, rows: Sequence[Row], language: Language) -> Chart | None:
    """The chart for ``rows``, or None when there is nothing to draw (no non-zero value)."""
    categories = [spec.category.text(row, language) for row in rows]
    series = [
        (
            s.name + UNIT_SUFFIX[language].get(s.unit, ""),
            [convert(r.get(s.column), s.unit) for r in rows],
        )
        for s in spec.series
    ]
    if not rows or not any(v for _, values in series for v in values):
        return None
    return Chart(spec, categories, series)


def make_table(
    query: str,
    columns: Sequence[Column],
    rows: Sequence[Row],
    language: Language,
    cell: Callable[[Column, Row], str] | None = None,
) -> Table:
    """A table of text cells with a header per column."""

    def text(col: Column, row: Row) -> str:
        if cell is not None:
            custom = cell(col, row)
            if custom:
                return custom
        value = row.get(col.column)
        if col.enum and isinstance(value, list | tuple):
            return ("、" if language == "zh" else ", ").join(
                label(col.enum, item, language) for item in value
            )
        if col.enum:
            return label(col.enum, value, language)
        if col.month:
            return month_text(value)
        if col.unit == "money":  # the header states 万元
            converted = convert(value, "money")
            return "—" if converted is None else f"{converted:,.2f}"
        return show(value, col.unit, language)

    headers = [
        c.header + UNIT_SUFFIX[language].get(c.unit, "") if c.unit == "money" else c.header
        for c in columns
    ]
    return Table(query, headers, [[text(c, r) for c in columns] for r in rows])
