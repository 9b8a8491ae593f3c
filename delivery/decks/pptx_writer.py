"""Draw a :class:`~delivery.decks.model.Deck` as a 16:9 PowerPoint file with native charts.

Charts are PowerPoint chart objects (editable in PowerPoint and WPS, data in the embedded
workbook), named ``chart:<chart id>`` so anyone can find the query behind them; tables are
native tables. Every content slide has a title, one message line and a footer naming the
mart tables it reads and the as-of date.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.presentation import Presentation as PresentationType
from pptx.slide import Slide as PptxSlide
from pptx.text.text import TextFrame
from pptx.util import Emu, Inches, Pt

from delivery.decks.model import Chart, Deck, Element, Kpi, Note, Slide, Table

FONT_LATIN = "Arial"
FONT_EA = "Microsoft YaHei"  # WPS / PowerPoint on Windows; others substitute a CJK font
INK = RGBColor(0x1F, 0x29, 0x37)
MUTED = RGBColor(0x6B, 0x72, 0x80)
ACCENT = RGBColor(0x1D, 0x4E, 0xD8)
GOOD = RGBColor(0x04, 0x78, 0x57)
BAD = RGBColor(0xB9, 0x1C, 0x1C)
HEADER_FILL = RGBColor(0xE5, 0xE7, 0xEB)
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.45)
CONTENT_TOP, CONTENT_BOTTOM = Inches(1.75), Inches(6.85)
GAP = Inches(0.3)

CHART_TYPES = {
    "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "bar": XL_CHART_TYPE.BAR_CLUSTERED,
    "line": XL_CHART_TYPE.LINE_MARKERS,
    "pie": XL_CHART_TYPE.DOUGHNUT,
    "stacked": XL_CHART_TYPE.COLUMN_STACKED,
}


def _font(run_font: object, size: float, bold: bool = False, color: RGBColor | None = None) -> None:
    """Size, weight, colour, and a Latin plus an East Asian typeface (for Chinese)."""
    run_font.size = Pt(size)  # type: ignore[attr-defined]
    run_font.bold = bold  # type: ignore[attr-defined]
    run_font.name = FONT_LATIN  # type: ignore[attr-defined]
    if color is not None:
        run_font.color.rgb = color  # type: ignore[attr-defined]
    rpr = run_font._rPr  # type: ignore[attr-defined]  # noqa: SLF001
    for tag in ("a:ea", "a:cs"):
        existing = rpr.find(qn(tag))
        if existing is None:
            existing = etree.SubElement(rpr, qn(tag))
        existing.set("typeface", FONT_EA)


def _text(
    frame: TextFrame,
    lines: list[str],
    size: float,
    bold: bool = False,
    color: RGBColor | None = INK,
    align: PP_ALIGN | None = None,
) -> None:
    frame.word_wrap = True
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        run = paragraph.add_run()
        run.text = line
        _font(run.font, size, bold, color)


def _box(
    slide: PptxSlide,
    x: int,
    y: int,
    w: int,
    h: int,
    lines: list[str],
    size: float,
    name: str | None = None,
    **style: object,
) -> None:
    shape = slide.shapes.add_textbox(Emu(x), Emu(y), Emu(w), Emu(h))
    if name:
        shape.name = name
    _text(shape.text_frame, lines, size, **style)  # type: ignore[arg-type]


def _footer(slide: PptxSlide, deck: Deck, page: Slide) -> None:
    as_of = deck.as_of_date.isoformat() if deck.as_of_date else "—"
    tables = ("、" if deck.language == "zh" else ", ").join(page.tables) or "—"
    text = (
        f"数据来源：{tables}（serving/crm.duckdb）· 截至 {as_of}"
        if deck.language == "zh"
        else f"Source: {tables} (serving/crm.duckdb) · as of {as_of}"
    )
    _box(
        slide,
        MARGIN,
        Inches(6.95),
        WIDTH - 2 * MARGIN,
        Inches(0.4),
        [text],
        10,
        "footer",
        color=MUTED,
    )


def _chart(slide: PptxSlide, chart: Chart, x: int, y: int, w: int, h: int) -> None:
    data = CategoryChartData()
    data.categories = chart.categories
    for name, values in chart.series:
        data.add_series(name, values, number_format="#,##0.0#")
    frame = slide.shapes.add_chart(
        CHART_TYPES[chart.spec.kind], Emu(x), Emu(y), Emu(w), Emu(h), data
    )
    frame.name = f"chart:{chart.spec.chart_id}"
    native = frame.chart
    native.font.size = Pt(11)
    native.font.name = FONT_LATIN
    native.has_legend = len(chart.series) > 1 or chart.spec.kind == "pie"
    if native.has_legend:
        native.legend.position = XL_LEGEND_POSITION.BOTTOM
        native.legend.include_in_layout = False
    plot = native.plots[0]
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.font.size = Pt(10)
    labels.number_format = "#,##0.##"
    labels.number_format_is_linked = False
    if chart.spec.kind == "pie":
        labels.show_percentage = False
        labels.show_value = True
    elif chart.spec.kind in ("column", "bar"):
        labels.position = XL_LABEL_POSITION.OUTSIDE_END
    if chart.spec.kind == "bar":
        native.category_axis.reverse_order = True  # the first row on top
    if chart.spec.kind != "pie" and len(chart.series) == 1:
        native.plots[0].series[0].format.fill.solid()
        native.plots[0].series[0].format.fill.fore_color.rgb = ACCENT


def _heat_colour(value: float) -> RGBColor:
    """White (0 %) to deep blue (100 %)."""
    value = min(max(value, 0.0), 1.0)
    start, end = (0xF8, 0xFA, 0xFC), (0x1E, 0x40, 0xAF)
    return RGBColor(*(round(s + (e - s) * value) for s, e in zip(start, end, strict=True)))


def _table(slide: PptxSlide, table: Table, x: int, y: int, w: int, h: int) -> None:
    rows = len(table.rows) + 1
    cols = len(table.headers)
    row_height = min(Inches(0.4), int(h / rows))
    shape = slide.shapes.add_table(rows, cols, Emu(x), Emu(y), Emu(w), Emu(row_height * rows))
    shape.name = f"table:{table.query}"
    grid = shape.table
    size = 12 if rows <= 8 else 10
    for c, header in enumerate(table.headers):
        cell = grid.cell(0, c)
        cell.text = ""
        _text(cell.text_frame, [header], size, bold=True)
        cell.fill.solid()
        cell.fill.fore_color.rgb = HEADER_FILL
    for r, values in enumerate(table.rows, start=1):
        for c, value in enumerate(values):
            cell = grid.cell(r, c)
            cell.text = ""
            heat = table.heat[r - 1][c] if table.heat else None
            colour = RGBColor(0xFF, 0xFF, 0xFF) if heat is not None and heat > 0.55 else INK
            _text(cell.text_frame, [value], size, color=colour)
            cell.fill.solid()
            cell.fill.fore_color.rgb = (
                _heat_colour(heat) if heat is not None else RGBColor(0xFF, 0xFF, 0xFF)
            )


def _kpis(slide: PptxSlide, kpis: list[Kpi], x: int, y: int, w: int, h: int) -> None:
    per_row = 5
    rows = (len(kpis) + per_row - 1) // per_row
    cell_w, cell_h = int(w / per_row), int(h / max(rows, 1))
    for i, kpi in enumerate(kpis):
        cx, cy = x + (i % per_row) * cell_w, y + (i // per_row) * cell_h
        shape = slide.shapes.add_textbox(
            Emu(cx), Emu(cy), Emu(cell_w - Inches(0.15)), Emu(cell_h - Inches(0.15))
        )
        shape.name = "kpi"
        frame = shape.text_frame
        _text(frame, [kpi.label], 13, color=MUTED)
        paragraph = frame.add_paragraph()
        run = paragraph.add_run()
        run.text = kpi.value
        _font(run.font, 20, bold=True, color=INK)
        if kpi.delta:
            paragraph = frame.add_paragraph()
            run = paragraph.add_run()
            run.text = kpi.delta
            colour = GOOD if kpi.trend > 0 else BAD if kpi.trend < 0 else MUTED
            _font(run.font, 12, color=colour)


def _element(slide: PptxSlide, element: Element, x: int, y: int, w: int, h: int) -> None:
    if isinstance(element, Chart):
        _chart(slide, element, x, y, w, h)
    elif isinstance(element, Table):
        _table(slide, element, x, y, w, h)
    elif isinstance(element, Note):
        shape = slide.shapes.add_textbox(Emu(x), Emu(y + h // 3), Emu(w), Emu(h // 3))
        shape.name = f"note:{element.query or ''}"
        _text(shape.text_frame, [element.text], 18, color=MUTED, align=PP_ALIGN.CENTER)
    else:
        _kpis(slide, element, x, y, w, h)


def _weight(element: Element) -> float:
    """Share of the slide's width: wide tables get more room than a chart beside them."""
    if isinstance(element, Table) and len(element.headers) >= 6:
        return 1.8
    return 1.0


def _content(prs: PresentationType, deck: Deck, page: Slide) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    _box(
        slide,
        MARGIN,
        Inches(0.3),
        WIDTH - 2 * MARGIN,
        Inches(0.7),
        [page.title],
        26,
        f"title:{page.slide_id}",
        bold=True,
    )
    _box(
        slide,
        MARGIN,
        Inches(1.0),
        WIDTH - 2 * MARGIN,
        Inches(0.6),
        [page.message],
        15,
        color=ACCENT,
    )
    elements = page.elements or []
    weights = [_weight(element) for element in elements]
    free = WIDTH - 2 * MARGIN - GAP * max(len(elements) - 1, 0)
    x = MARGIN
    for element, weight in zip(elements, weights, strict=True):
        width = int(free * weight / sum(weights))
        _element(slide, element, x, CONTENT_TOP, width, CONTENT_BOTTOM - CONTENT_TOP)
        x += width + GAP
    _footer(slide, deck, page)


def _title(prs: PresentationType, deck: Deck, page: Slide) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    _box(
        slide,
        MARGIN,
        Inches(2.0),
        WIDTH - 2 * MARGIN,
        Inches(1.1),
        [page.title],
        40,
        f"title:{page.slide_id}",
        bold=True,
    )
    _box(
        slide,
        MARGIN,
        Inches(3.1),
        WIDTH - 2 * MARGIN,
        Inches(0.6),
        [page.message],
        20,
        color=ACCENT,
    )
    _box(slide, MARGIN, Inches(4.0), WIDTH - 2 * MARGIN, Inches(2.0), page.lines, 15, color=INK)
    _footer(slide, deck, page)


def write_pptx(deck: Deck, path: Path) -> Path:
    """Write the deck to ``path`` (written next to it, then moved into place)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    prs.core_properties.title = deck.title
    for page in deck.slides:
        (_title if page.kind == "title" else _content)(prs, deck, page)
    temporary = path.with_name(f".{path.name}.tmp")
    prs.save(str(temporary))
    temporary.replace(path)
    return path
