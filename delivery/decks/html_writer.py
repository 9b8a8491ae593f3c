"""Draw a :class:`~delivery.decks.model.Deck` as one self-contained HTML page.

Charts are Plotly figures with plotly.js inlined (no network fetch at all: no CDN, no web
font, no MathJax); the page reads well on a phone (slides stack, charts resize) and on a
desktop, and prints one slide per A4 landscape page. The template is
``templates/deck.html.j2`` (jinja2, autoescaped).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import plotly.graph_objects as go
import plotly.offline

from delivery.decks.model import Chart, Deck, Element, Kpi, Note, Table

FONT_STACK = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, '
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif'
)
PALETTE = ["#1d4ed8", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b"]
TEMPLATES = Path(__file__).with_name("templates")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )


def figure(chart: Chart) -> go.Figure:
    """The Plotly figure of a chart: same categories, series and units as the PPTX."""
    kind = chart.spec.kind
    fig = go.Figure()
    if kind == "pie":
        name, values = chart.series[0]
        fig.add_trace(
            go.Pie(
                labels=chart.categories,
                values=values,
                name=name,
                hole=0.45,
                sort=False,
                marker={"colors": PALETTE},
            )
        )
    for i, (name, values) in enumerate(chart.series if kind != "pie" else []):
        colour = PALETTE[i % len(PALETTE)]
        if kind == "line":
            fig.add_trace(
                go.Scatter(
                    x=chart.categories,
                    y=values,
                    name=name,
                    mode="lines+markers+text",
                    text=values,
                    textposition="top center",
                    line={"color": colour},
                )
            )
        elif kind == "bar":
            fig.add_trace(
                go.Bar(
                    y=chart.categories,
                    x=values,
                    name=name,
                    orientation="h",
                    text=values,
                    textposition="auto",
                    marker_color=colour,
                )
            )
        else:
            fig.add_trace(
                go.Bar(
                    x=chart.categories,
                    y=values,
                    name=name,
                    text=values,
                    textposition="auto",
                    marker_color=colour,
                )
            )
    fig.update_layout(
        font={"family": FONT_STACK, "size": 13},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=len(chart.series) > 1 or kind == "pie",
        legend={"orientation": "h", "y": -0.15},
        barmode="stack" if kind == "stacked" else "group",
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        autosize=True,
    )
    if kind == "bar":
        fig.update_yaxes(autorange="reversed", automargin=True, type="category")
    elif kind != "pie":
        fig.update_xaxes(type="category", automargin=True)
    return fig


def _element_view(element: Element, index: str) -> dict[str, Any]:
    if isinstance(element, Chart):
        return {
            "kind": "chart",
            "id": f"chart-{index}",
            "name": element.spec.chart_id,
            "figure": figure(element).to_json(),
        }
    if isinstance(element, Table):
        heat = element.heat
        rows = [
            [
                (text, _heat_style(heat[r][c]) if heat and heat[r][c] is not None else "")
                for c, text in enumerate(row)
            ]
            for r, row in enumerate(element.rows)
        ]
        return {"kind": "table", "headers": element.headers, "rows": rows}
    if isinstance(element, Note):
        return {"kind": "note", "text": element.text}
    return {"kind": "kpis", "kpis": [_kpi_view(k) for k in element]}


def _kpi_view(kpi: Kpi) -> dict[str, Any]:
    return {
        "label": kpi.label,
        "value": kpi.value,
        "delta": kpi.delta or "",
        "trend": "up" if kpi.trend > 0 else "down" if kpi.trend < 0 else "flat",
    }


def _heat_style(value: float) -> str:
    value = min(max(value, 0.0), 1.0)
    light = round(97 - value * 60)
    ink = "#fff" if value > 0.55 else "#1f2937"
    return f"background:hsl(221,75%,{light}%);color:{ink}"


def render_html(deck: Deck) -> str:
    """The page as text (plotly.js inlined once)."""
    as_of = deck.as_of_date.isoformat() if deck.as_of_date else "—"
    slides = []
    for s, page in enumerate(deck.slides):
        sep = "、" if deck.language == "zh" else ", "
        source = sep.join(page.tables) or "—"
        footer = (
            f"数据来源：{source}（serving/crm.duckdb）· 截至 {as_of}"
            if deck.language == "zh"
            else f"Source: {source} (serving/crm.duckdb) · as of {as_of}"
        )
        slides.append(
            {
                "id": page.slide_id,
                "kind": page.kind,
                "title": page.title,
                "message": page.message,
                "lines": page.lines,
                "footer": footer,
                "elements": [_element_view(e, f"{s}-{i}") for i, e in enumerate(page.elements)],
            }
        )
    charts = [
        {"id": view["id"], "figure": view["figure"]}
        for slide in slides
        for view in slide["elements"]
        if view["kind"] == "chart"
    ]
    return (
        _environment()
        .get_template("deck.html.j2")
        .render(
            deck=deck,
            lang="zh-CN" if deck.language == "zh" else "en",
            slides=slides,
            font_stack=FONT_STACK,
            plotly_js=plotly.offline.get_plotlyjs(),
            charts_json=json.dumps(charts, ensure_ascii=False).replace("</", "<\\/"),
        )
    )


def write_html(deck: Deck, path: Path) -> Path:
    """Write the page to ``path`` (next to it first, then moved into place)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(render_html(deck), encoding="utf-8")
    temporary.replace(path)
    return path
