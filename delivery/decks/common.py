"""What both deck builders share: running a query once, and turning its answer (rows, no
rows, or a table this build does not have) into a chart, a table or words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb

from core.labels import Language
from delivery.decks.data import Row, Unavailable, run_query
from delivery.decks.model import (
    Chart,
    ChartSpec,
    Column,
    Element,
    Kpi,
    Note,
    Slide,
    Table,
    make_chart,
    make_table,
    show,
)
from delivery.decks.queries import QUERIES


@dataclass
class Context:
    """One deck's build: the read-only connection, language, D, and query answers."""

    con: duckdb.DuckDBPyConnection
    language: Language
    as_of_date: dt.date | None
    answers: dict[str, list[Row] | Unavailable] = field(default_factory=dict)

    def t(self, zh: str, en: str) -> str:
        """The text in the deck's language."""
        return zh if self.language == "zh" else en

    def rows(self, key: str) -> list[Row] | Unavailable:
        """The answer of ``QUERIES[key]``, run once per deck."""
        if key not in self.answers:
            self.answers[key] = run_query(self.con, QUERIES[key])
        return self.answers[key]

    def rows_or_empty(self, key: str) -> list[Row]:
        answer = self.rows(key)
        return [] if isinstance(answer, Unavailable) else answer

    def unavailable(self, answer: Unavailable) -> Note:
        tables = (
            "、".join(answer.query.tables)
            if self.language == "zh"
            else ", ".join(answer.query.tables)
        )
        return Note(
            self.t(
                f"本次发布的数据中还没有这部分指标（需要 {tables}），本页暂无数据。",
                f"This published build does not have these figures yet (needs {tables}); "
                "nothing to show on this slide.",
            ),
            answer.query.key,
            unavailable=True,
        )

    def chart(self, spec: ChartSpec, empty: str) -> Chart | Note:
        """The chart, or words saying why there is none."""
        answer = self.rows(spec.query)
        if isinstance(answer, Unavailable):
            return self.unavailable(answer)
        return make_chart(spec, answer, self.language) or Note(empty, spec.query)

    def table(
        self,
        key: str,
        columns: Sequence[Column],
        empty: str,
        cell: Callable[[Column, Row], str] | None = None,
    ) -> Table | Note:
        answer = self.rows(key)
        if isinstance(answer, Unavailable):
            return self.unavailable(answer)
        if not answer:
            return Note(empty, key)
        return make_table(key, columns, answer, self.language, cell)

    def chart_with_table(
        self, spec: ChartSpec, columns: Sequence[Column], empty: str, table_empty: str = ""
    ) -> list[Element]:
        """The chart and, when there is one, the same rows as a table beneath it (the
        numbers a manager quotes); only the chart's note when there is nothing to draw."""
        chart = self.chart(spec, empty)
        if not isinstance(chart, Chart):
            return [chart]
        return [chart, self.table(spec.query, columns, table_empty)]

    def show(self, value: object, unit: str) -> str:
        return show(value, unit, self.language)  # type: ignore[arg-type]

    def slide(self, slide_id: str, title: str, message: str, elements: list[Element]) -> Slide:
        """A content slide whose footer names every table its elements read."""
        tables: list[str] = []
        for element in elements:
            key = _query_of(element)
            if key:
                for table in QUERIES[key].tables:
                    if table not in tables:
                        tables.append(table)
        if elements and all(isinstance(e, Note) and e.unavailable for e in elements):
            message = self.t(
                "这部分指标在本次发布中尚不可用。",
                "These figures are not available in this published build.",
            )
        return Slide(slide_id, title, message, elements, tuple(tables))


def _query_of(element: Element) -> str | None:
    if isinstance(element, Chart):
        return element.spec.query
    if isinstance(element, Table | Note):
        return element.query
    return None


def headline(kpis: Sequence[Kpi], language: Language) -> dict[str, str]:
    """The title slide's KPI texts (value and change) keyed by label, for chat and e-mail."""

    def change(delta: str | None) -> str:
        if not delta:
            return ""
        return f"（{delta}）" if language == "zh" else f" ({delta})"

    return {k.label: k.value + change(k.delta) for k in kpis}


def delta_text(current: object, previous: object, unit: str, language: Language) -> str | None:
    """The change against the previous period: +12 / −3.5 pp / +1.20 万元; None if unknown."""
    from delivery.decks.model import convert

    now, before = convert(current, unit), convert(previous, unit)  # type: ignore[arg-type]
    if now is None or before is None:
        return None
    change = now - before
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    size = abs(change)
    if unit == "rate":
        return f"{sign}{size:.1f} " + ("个百分点" if language == "zh" else "pp")
    if unit == "money":
        return f"{sign}{size:,.2f} " + ("万元" if language == "zh" else "×10k CNY")
    if unit == "count":
        return f"{sign}{int(size):,}"
    return f"{sign}{size:,.1f}"


def trend(current: object, previous: object, higher_is_better: bool = True) -> int:
    from delivery.decks.model import number

    now, before = number(current), number(previous)
    if now is None or before is None or now == before:
        return 0
    return 1 if (now > before) == higher_is_better else -1


def quality_lines(ctx: Context) -> list[str]:
    """The title slide's data-quality status, from data_quality in the serving file."""
    answer = ctx.rows("publish_status")
    if isinstance(answer, Unavailable) or not answer:
        return [
            ctx.t(
                "数据质量：服务库中没有发布记录。",
                "Data quality: no publish record in the serving database.",
            )
        ]
    row = answer[0]
    status = ctx.t("已发布（通过质量门禁）", "published (passed the quality gate)")
    checked = int(row.get("rows_checked") or 0)
    quarantined = int(row.get("rows_quarantined") or 0)
    held = int(row.get("rows_held") or 0)
    return [
        ctx.t(f"数据质量：{status}", f"Data quality: {status}"),
        ctx.t(
            f"本次构建新数据 {checked:,} 行，隔离 {quarantined:,} 行；当前仍隔离待修正 {held:,} 行",
            f"This build: {checked:,} new rows, {quarantined:,} quarantined; "
            f"{held:,} rows still held for correction",
        ),
    ]
