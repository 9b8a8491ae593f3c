"""Deck building blocks: units, empty data, missing tables, chat sizes and the cadence."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from pptx import Presentation

from core.settings import AlertChannel, ReportCadence, ReportsConfig, Settings
from delivery.decks.build import build_decks
from delivery.decks.data import MartQuery, Unavailable, run_query
from delivery.decks.model import Category, ChartSpec, SeriesSpec, convert, make_chart, show
from delivery.decks.send import chat_limit, due_decks, fit

OPPORTUNITY_SLIDES = [
    "title",
    "kpis",
    "funnel",
    "monthly_trend",
    "forecast",
    "forecast_accuracy",
    "sources",
    "reps",
    "loss_reasons",
    "grades",
    "attention",
    "recycle",
]
CUSTOMER_SLIDES = ["title", "kpis", "lifecycle", "tiers", "ltv", "repurchase", "churn", "cohorts",
                   "csat", "service", "at_risk"]  # fmt: skip


def test_units_a_manager_reads() -> None:
    assert convert(Decimal("1234567.00"), "money") == 123.46  # 万元
    assert convert(0.25666, "rate") == 25.7  # percent
    assert convert(3.0, "count") == 3
    assert convert(float("nan"), "rate") is None
    assert convert(None, "money") is None
    assert show(1_500_000, "money", "zh") == "150.00 万元"
    assert show(0.5, "rate", "en") == "50.0%"
    assert show(None, "rate", "zh") == "—"
    assert show(float("inf"), "days", "zh") == "—"


def test_a_chart_with_nothing_to_draw_is_none() -> None:
    spec = ChartSpec(
        "c",
        "q",
        "column",
        Category("month", month=True),
        (SeriesSpec("Won", "won_amount", "money"),),
    )
    assert make_chart(spec, [], "zh") is None
    assert make_chart(spec, [{"month": dt.date(2026, 3, 1), "won_amount": None}], "zh") is None
    chart = make_chart(spec, [{"month": dt.date(2026, 3, 1), "won_amount": 250_000}], "en")
    assert chart is not None
    assert chart.categories == ["2026-03"]
    assert chart.series == [("Won (10k CNY)", [25.0])]


def test_a_missing_table_or_column_is_unavailable_not_an_error() -> None:
    con = duckdb.connect()
    con.execute("create schema s; create table s.t (a integer)")
    assert run_query(con, MartQuery("ok", ("s.t",), "select a from s.t")) == []
    missing_table = run_query(con, MartQuery("x", ("s.u",), "select a from s.u"))
    missing_column = run_query(con, MartQuery("y", ("s.t",), "select b from s.t"))
    assert isinstance(missing_table, Unavailable) and "s.u" in missing_table.query.tables
    assert isinstance(missing_column, Unavailable)


def _slides(path: Path) -> list[dict[str, object]]:
    """Per slide: its id (title shape's name), chart names, notes and footer text."""
    slides = []
    for slide in Presentation(str(path)).slides:
        names = [shape.name for shape in slide.shapes]
        texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        slides.append(
            {
                "id": next(n.split(":", 1)[1] for n in names if n.startswith("title:")),
                "charts": [n for n in names if n.startswith("chart:")],
                "notes": [s.text_frame.text for s in slide.shapes if s.name.startswith("note:")],
                "footer": texts[-1],
            }
        )
    return slides


@pytest.mark.parametrize("kind", ["no tables", "empty tables"])
def test_a_new_warehouse_gives_no_data_slides_not_a_crash(tmp_path: Path, kind: str) -> None:
    serving = tmp_path / "crm.duckdb"
    with duckdb.connect(str(serving)) as con:
        con.execute("create schema opportunity_funnel; create schema customer_lifecycle")
        if kind == "empty tables":
            con.execute(
                "create table opportunity_funnel.kpi_summary (as_of_date date, "
                "open_count bigint, open_amount decimal(18,2))"
            )
            con.execute(
                "create table customer_lifecycle.dim_customers (account_key varchar, "
                "lifecycle_status varchar, lifetime_value double, as_of_date date)"
            )
    files = build_decks(serving, tmp_path / "reports", "zh", dt.date(2026, 3, 31))
    assert sorted(files.files) == [
        "customer_deck.html",
        "customer_deck.pptx",
        "opportunity_deck.html",
        "opportunity_deck.pptx",
    ]
    assert files.report_dir == tmp_path / "reports" / "2026-03-31"
    for deck, expected in (
        ("opportunity_deck", OPPORTUNITY_SLIDES),
        ("customer_deck", CUSTOMER_SLIDES),
    ):
        slides = _slides(files.files[f"{deck}.pptx"])
        assert [s["id"] for s in slides] == expected
        for slide in slides[1:]:
            assert slide["charts"] == [], slide["id"]  # never a blank chart
            assert slide["notes"] and all(slide["notes"]), slide["id"]  # words instead
            assert "2026-03-31" in str(slide["footer"])
        html = files.files[f"{deck}.html"].read_text(encoding="utf-8")
        assert "NaN" not in html.replace("isNaN", "").split("</script>", 1)[1]


def test_chat_messages_fit_the_channel_in_bytes() -> None:
    subject = "商机周报 / 客户月报 截至 2026-03-31"
    lines = [f"第 {i} 项指标：{i * 1000:,} 万元（较上周 +{i}）" for i in range(300)]
    link = "https://reports.example.com/2026-03-31/opportunity_deck.html"
    body = fit(subject, lines, 2048, [link])
    assert len((subject + "\r\n" + body).encode("utf-8")) <= 2048
    assert body.endswith(link) and "…" in body
    assert body.startswith(lines[0])
    assert fit(subject, lines[:3], 2048) == "\n".join(lines[:3])  # nothing cut
    assert chat_limit(AlertChannel(name="w", url="wecombot://k")) == 2048
    assert chat_limit(AlertChannel(name="s", url="slack://a/b/c")) > 2048


@pytest.mark.parametrize(
    ("as_of", "due"),
    [
        (dt.date(2026, 3, 29), ["opportunity_deck"]),  # Sunday: Monday's run, week that ended
        (dt.date(2026, 3, 31), ["customer_deck"]),  # month end: the 1st's run
        (dt.date(2026, 5, 31), ["opportunity_deck", "customer_deck"]),  # both
        (dt.date(2026, 3, 30), []),
    ],
)
def test_default_cadence(as_of: dt.date, due: list[str]) -> None:
    assert due_decks(Settings(), as_of) == due


def test_configured_cadence() -> None:
    settings = Settings(
        reports=ReportsConfig(
            cadence=ReportCadence(opportunity_weekday="friday", customer_day_of_month=5)
        )
    )
    assert due_decks(settings, dt.date(2026, 4, 2)) == ["opportunity_deck"]  # run on Fri 04-03
    assert due_decks(settings, dt.date(2026, 4, 4)) == ["customer_deck"]  # run on the 5th
    assert due_decks(settings, dt.date(2026, 3, 29)) == []  # Monday and the 30th: not due


def test_every_query_parses_and_names_its_tables() -> None:
    """On an empty database every deck query is 'unavailable' (never a SQL syntax error),
    and each reads only tables it declares for the footer."""
    from delivery.decks.queries import QUERIES

    con = duckdb.connect()
    for query in QUERIES.values():
        answer = run_query(con, query, ["someone"] if "?" in query.sql else None)
        assert isinstance(answer, Unavailable), query.key
        referenced = set(
            re.findall(
                r"\b(opportunity_funnel|customer_lifecycle|data_quality)"
                r"\.(\w+)",
                query.sql,
            )
        )
        assert {f"{s}.{t}" for s, t in referenced} == set(query.tables), query.key


def test_reports_and_owners_configuration_is_validated(tmp_path: Path) -> None:
    from core.settings import ConfigError, load_config

    path = tmp_path / "config.yaml"
    path.write_text("reports: {language: fr}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="reports.language"):
        load_config(path)
    path.write_text("owners: {张伟: zhang.wei@example.com}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="owners"):
        load_config(path)
    path.write_text(
        "reports: {language: en, base_url: 'https://bi.example.com/r',"
        " cadence: {opportunity_weekday: friday}}\n"
        "owners: {张伟: 'mailto://bot:${SMTP_PASSWORD}@smtp.example.com?to=z@example.com'}\n",
        encoding="utf-8",
    )
    settings = load_config(path)
    assert settings.reports.language == "en"
    assert settings.reports.cadence.opportunity_weekday == "friday"
    assert settings.reports.cadence.customer_day_of_month == 1
    assert list(settings.owners) == ["张伟"]


def test_decks_go_only_to_report_channels_never_to_alert_channels(tmp_path: Path) -> None:
    from core.settings import AlertsConfig
    from delivery.decks.build import DeckFiles
    from delivery.decks.send import send_decks

    sent: list[str] = []

    def capture(url: str, subject: str, body: str, timeout: float) -> tuple[bool, str | None]:
        sent.append(url)
        return True, None

    files = DeckFiles(dt.date(2026, 3, 31), tmp_path, titles={"opportunity_deck": "商机周报"})
    alerts = AlertsConfig(channels=[AlertChannel(name="data team", url="json://dq.example")])
    assert send_decks(Settings(alerts=alerts), files, ["opportunity_deck"], send=capture) == []
    reports = ReportsConfig(channels=[AlertChannel(name="sales", url="json://sales.example")])
    results = send_decks(Settings(alerts=alerts, reports=reports), files, ["opportunity_deck"],
                         send=capture)  # fmt: skip
    assert [r.status for r in results] == ["sent"] and sent == ["json://sales.example"]
