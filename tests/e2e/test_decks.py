"""End to end: the managers' decks after published builds of the e2e fixtures.

Two daily builds as of D = 2026-03-31 (tests/e2e/fixtures/funnel_landing and
customer_landing, the stories told in test_funnel_build.py and test_customer_build.py)
run the whole Dagster job; its decks asset writes WAREHOUSE/reports/D/*_deck.pptx|html
from the serving file. The PPTX is read back with python-pptx and every chart compared
with the query its footer names; the HTML is opened in headless Chromium; the decks are
delivered to a local SMTP server and a local webhook.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiosmtpd.controller import Controller
from pptx import Presentation

from core.labels import label
from core.settings import AlertChannel, AlertsConfig, ReportsConfig, Settings
from crm_pipeline.cli import main
from delivery.decks import customer, opportunity
from delivery.decks.build import DeckFiles, build_decks
from delivery.decks.common import Context
from delivery.decks.data import Unavailable, run_query
from delivery.decks.model import ChartSpec
from delivery.decks.queries import QUERIES
from delivery.decks.send import send_decks, send_owner_digests
from delivery.decks.service import published_by
from tests.unit.test_alerts import MailSink, free_port

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parent / "fixtures"
AS_OF = dt.date(2026, 3, 31)
DECK_FILES = {"opportunity_deck.pptx", "opportunity_deck.html", "customer_deck.pptx",
              "customer_deck.html"}  # fmt: skip
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
ARTIFACTS = Path(os.environ.get("CRM_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))


def _build(tmp_path_factory: pytest.TempPathFactory, fixture: str) -> Path:
    warehouse = tmp_path_factory.mktemp(fixture)
    code = main(["build", "--landing", str(FIXTURES / fixture), "--warehouse", str(warehouse),
                 "--as-of", AS_OF.isoformat()])  # fmt: skip
    assert code == 0
    return warehouse


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {name: _build(tmp_path_factory, f"{name}_landing") for name in ("funnel", "customer")}


def _serving(warehouse: Path) -> Path:
    return warehouse / "serving" / "crm.duckdb"


def _decks(warehouse: Path) -> Path:
    return warehouse / "reports" / AS_OF.isoformat()


# ------------------------------------------------------------------------ the PPTX files
def _slides(path: Path) -> list[Any]:
    return list(Presentation(str(path)).slides)


def _slide_id(slide: Any) -> str:
    return next(s.name.split(":", 1)[1] for s in slide.shapes if s.name.startswith("title:"))


def _footer(slide: Any) -> str:
    return next(s.text_frame.text for s in slide.shapes if s.name == "footer")


def test_the_published_build_wrote_both_decks(warehouses: dict[str, Path]) -> None:
    for warehouse in warehouses.values():
        assert {p.name for p in _decks(warehouse).iterdir() if "deck" in p.name} == DECK_FILES


@pytest.mark.parametrize("name", ["funnel", "customer"])
def test_every_required_slide_exists_with_a_traceable_footer(
    warehouses: dict[str, Path], name: str
) -> None:
    folder = _decks(warehouses[name])
    for deck, expected in (("opportunity_deck", OPPORTUNITY_SLIDES),
                           ("customer_deck", CUSTOMER_SLIDES)):  # fmt: skip
        slides = _slides(folder / f"{deck}.pptx")
        assert [_slide_id(s) for s in slides] == expected
        for slide in slides:
            footer = _footer(slide)
            assert "2026-03-31" in footer
            assert re.search(r"(opportunity_funnel|customer_lifecycle|data_quality)\.\w+", footer)
        title = " ".join(s.text_frame.text for s in slides[0].shapes if s.has_text_frame)
        assert "截至 2026-03-31" in title and "已发布" in title and "隔离 0 行" in title


def _expected_category(spec: ChartSpec, row: dict[str, Any]) -> str:
    value = row[spec.category.column]
    if value is None and spec.category.missing is not None:
        return spec.category.missing
    if spec.category.enum:
        return label(spec.category.enum, value, "zh")
    if spec.category.month:
        return value.strftime("%Y-%m")
    return str(value)


def _expected_value(value: Any, unit: str) -> float | None:
    """Independent of the deck code: 万元 = yuan ÷ 10,000; percent = ratio × 100."""
    if value is None:
        return None
    value = float(Decimal(str(value)))
    return {"money": round(value / 10_000, 2), "rate": round(value * 100, 1),
            "count": float(int(value))}.get(unit, round(value, 1))  # fmt: skip


@pytest.mark.parametrize("name", ["funnel", "customer"])
def test_every_chart_equals_the_query_its_footer_names(
    warehouses: dict[str, Path], name: str
) -> None:
    warehouse = warehouses[name]
    checked = 0
    with duckdb.connect(str(_serving(warehouse)), read_only=True) as con:
        ctx = Context(con, "zh", AS_OF)
        specs = {**opportunity.chart_specs(ctx), **customer.chart_specs(ctx)}
        for deck in ("opportunity_deck", "customer_deck"):
            for slide in _slides(_decks(warehouse) / f"{deck}.pptx"):
                for shape in slide.shapes:
                    if not shape.name.startswith("chart:"):
                        continue
                    spec = specs[shape.name.split(":", 1)[1]]
                    query = QUERIES[spec.query]
                    assert all(table in _footer(slide) for table in query.tables)
                    rows = run_query(con, query)
                    assert not isinstance(rows, Unavailable)
                    plot = shape.chart.plots[0]
                    assert list(plot.categories) == [_expected_category(spec, r) for r in rows]
                    drawn = [list(s.values) for s in plot.series]
                    expected = [[_expected_value(r[s.column], s.unit) for r in rows]
                                for s in spec.series]  # fmt: skip
                    assert drawn == expected, shape.name
                    checked += 1
    assert checked >= 12  # both decks of a warehouse hold at least this many charts


def _chart(path: Path, chart_id: str) -> tuple[list[str], list[list[float | None]]]:
    for slide in _slides(path):
        for shape in slide.shapes:
            if shape.name == f"chart:{chart_id}":
                plot = shape.chart.plots[0]
                return list(plot.categories), [list(s.values) for s in plot.series]
    raise AssertionError(f"no chart {chart_id}")


def test_funnel_story_as_a_manager_reads_it(warehouses: dict[str, Path]) -> None:
    """The numbers derived by hand in test_funnel_build.py, in stage labels and 万元."""
    deck = _decks(warehouses["funnel"]) / "opportunity_deck.pptx"
    # 11 leads exist as of D; L01, L03, L11 won. Every lead reached 线索.
    categories, series = _chart(deck, "funnel_by_stage")
    assert categories == ["线索", "初步接触", "需求确认", "方案报价", "商务谈判", "赢单"]
    assert series[0][0] == 11 and series[0][-1] == 3
    # Open deals by expected close month: L04 300,000 in March; L05 900,000 + L07 50,000
    # + L08 400,000 in April; L06 has no expected close date (150,000).
    categories, series = _chart(deck, "forecast_by_month")
    assert categories == ["2026-03", "2026-04", "未填预计成交日期"]
    assert series[0] == [30.0, 135.0, 15.0]


# ---------------------------------------------------------------- languages and the CLI
def test_report_command_regenerates_in_english(warehouses: dict[str, Path], tmp_path: Path) -> None:
    warehouse = tmp_path / "copy"
    shutil.copytree(warehouses["funnel"] / "serving", warehouse / "serving")
    assert main(["report", "--warehouse", str(warehouse), "--lang", "en"]) == 0
    folder = _decks(warehouse)
    assert {p.name for p in folder.iterdir()} == DECK_FILES
    slides = _slides(folder / "opportunity_deck.pptx")
    title = " ".join(s.text_frame.text for s in slides[0].shapes if s.has_text_frame)
    assert "Weekly opportunity review" in title and "As of 2026-03-31" in title
    categories, _ = _chart(folder / "opportunity_deck.pptx", "funnel_by_stage")
    assert categories[0] == "Lead" and categories[-1] == "Won"
    assert main(["report", "--warehouse", str(warehouse), "--as-of", "2026-03-01"]) == 1


def test_decks_only_for_the_run_that_published(warehouses: dict[str, Path]) -> None:
    serving = _serving(warehouses["funnel"])
    with duckdb.connect(str(serving), read_only=True) as con:
        (run_id,) = con.execute("select run_id from data_quality.publish_log").fetchone()
    assert published_by(serving, run_id)
    assert not published_by(serving, "a-blocked-run")
    assert not published_by(serving.parent / "missing.duckdb", run_id)


# ------------------------------------------------------------------------------ the HTML
def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Debian's chromium is not installed (.ci/run installs it; so can apt-get)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )  # fmt: skip
        yield instance
        instance.close()


@pytest.mark.parametrize("deck", ["opportunity_deck", "customer_deck"])
@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_html_opens_offline_without_errors(
    warehouses: dict[str, Path], browser: Any, deck: str, viewport: tuple[int, int]
) -> None:
    from PIL import Image

    path = _decks(warehouses["customer"]) / f"{deck}.html"
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_function(  # every chart drawn
        "document.querySelectorAll('[data-chart] .main-svg').length"
        " >= document.querySelectorAll('[data-chart]').length"
    )
    assert errors == []
    assert [r for r in requests if r != path.as_uri()] == []  # no network request at all
    charts = page.locator("[data-chart]").count()
    assert charts > 0 and page.locator("[data-chart] .main-svg").count() >= charts
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0] + 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{deck}-{viewport[0]}.png"
    page.screenshot(path=str(shot), full_page=viewport[0] > 1000)
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 20  # charts and text, not a blank page
    if viewport[0] > 1000:
        pdf = page.pdf(format="A4", landscape=True, print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert pages == page.locator("section.slide").count()  # one slide per A4 page
    page.close()


# ------------------------------------------------------------------------------ delivery
@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[int, MailSink]]:
    """The local SMTP receiver of the alert tests (aiosmtpd)."""
    sink, port = MailSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, sink
    controller.stop()


@pytest.fixture(scope="module")
def webhook() -> Iterator[tuple[int, list[tuple[str, bytes]]]]:
    """A local HTTP receiver: every POST's path and body."""
    received: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            received.append((self.path, self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1]), received
    server.shutdown()


def _files(warehouse: Path) -> DeckFiles:
    return build_decks(_serving(warehouse), warehouse / "reports")


def _mail(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def _text(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part else ""


def test_email_gets_both_decks_attached(
    warehouses: dict[str, Path], smtp: tuple[int, MailSink]
) -> None:
    port, sink = smtp
    sink.messages.clear()
    files = _files(warehouses["funnel"])
    url = f"mailto://127.0.0.1:{port}?from=bot@example.com&to=boss@example.com&mode=insecure"
    settings = Settings(
        alerts=AlertsConfig(retries=0, timeout_seconds=5),
        reports=ReportsConfig(channels=[AlertChannel(name="mail", url=url)]),
    )
    results = send_decks(settings, files)
    assert [r.status for r in results] == ["sent"]
    message = _mail(sink.messages[-1])
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert set(attachments) == DECK_FILES
    pptx = attachments["opportunity_deck.pptx"]
    assert pptx == files.files["opportunity_deck.pptx"].read_bytes()
    assert "商机周报" in str(message["subject"]) and "客户月报" in str(message["subject"])
    body = _text(message)
    assert "附件" in body and "加权管道：67.25 万元" in body


def test_chat_gets_headlines_within_its_limit_and_a_link(
    warehouses: dict[str, Path], webhook: tuple[int, list[tuple[str, bytes]]]
) -> None:
    port, received = webhook
    received.clear()
    files = _files(warehouses["funnel"])
    wecom: list[tuple[str, str]] = []

    def capture(url: str, subject: str, body: str, timeout: float) -> tuple[bool, str | None]:
        wecom.append((subject, body))
        return True, None

    base = "https://bi.example.com/reports"
    channels = [AlertChannel(name="hook", url=f"json://127.0.0.1:{port}/deck")]
    settings = Settings(alerts=AlertsConfig(retries=0, timeout_seconds=5),
                        reports=ReportsConfig(channels=channels, base_url=base))  # fmt: skip
    assert [r.status for r in send_decks(settings, files)] == ["sent"]
    payload = json.loads(received[-1][1])
    text = payload["title"] + "\n" + payload["message"]
    assert len(text.encode("utf-8")) <= 4000
    assert "在手金额：180.00 万元" in text  # the open amount, 1,800,000 yuan
    assert f"{base}/2026-03-31/opportunity_deck.html" in text
    # 企业微信: title and body together within 2,048 bytes, with the link kept.
    wide = Settings(
        reports=ReportsConfig(
            channels=[AlertChannel(name="wecom", url="wecombot://key")], base_url=base
        )
    )
    send_decks(wide, files, send=capture)
    subject, body = wecom[-1]
    assert len((subject + "\r\n" + body).encode("utf-8")) <= 2048
    assert body.endswith(f"{base}/2026-03-31/customer_deck.html")


def test_each_owner_receives_only_their_own_rows(
    warehouses: dict[str, Path], smtp: tuple[int, MailSink]
) -> None:
    """Funnel story: Li owns L04 (stalled, overdue, untouched) and L07 (never touched);
    Wang owns L06 (follow-up overdue); Zhang has nothing to follow up."""
    port, sink = smtp
    sink.messages.clear()

    def mailbox(name: str) -> str:
        return f"mailto://127.0.0.1:{port}?from=bot@example.com&to={name}@example.com&mode=insecure"

    settings = Settings(
        alerts=AlertsConfig(retries=0, timeout_seconds=5),
        owners={"Li": mailbox("li"), "Wang": mailbox("wang"), "Zhang": mailbox("zhang")},
    )
    results = send_owner_digests(settings, _serving(warehouses["funnel"]), AS_OF)
    assert sorted(r.channel for r in results) == ["owner:Li", "owner:Wang"]
    mails = {str(_mail(raw)["to"]).split("@")[0]: _text(_mail(raw)) for raw in sink.messages}
    assert set(mails) == {"li", "wang"}
    assert "L04" in mails["li"] and "L07" in mails["li"] and "L06" not in mails["li"]
    assert "L06" in mails["wang"] and "L04" not in mails["wang"]
    assert "停滞" in mails["li"] and "需求确认" in mails["li"]
    for text in mails.values():
        assert not re.search(r"1\d{10}", text)  # no phone number (the fixture has them)
        assert "@" not in text


def test_a_blocked_build_makes_no_new_decks(warehouses: dict[str, Path], tmp_path: Path) -> None:
    """Runs last: a build as of 2026-04-01 on the funnel warehouse whose only new file has
    three leads without an owner (3 of 3 quarantined > 20 %) is blocked; the serving file
    and the decks of 2026-03-31 stay as they were, and no decks appear for 2026-04-01."""
    warehouse = warehouses["funnel"]
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "funnel_landing", landing)
    header = (FIXTURES / "funnel_landing" / "leads" / "2026-03-31.csv").read_text(
        encoding="utf-8").splitlines()[0]  # fmt: skip
    rows = [f"N{i},2026-04-01 09:00:00,2026-04-01 09:00:00,website,新客户{i},,联系人,,,需求,"
            f"10000,,,,East,lead,,,,,low,false" for i in range(3)]  # fmt: skip
    (landing / "leads" / "2026-04-01.csv").write_text("\n".join([header, *rows]) + "\n",
                                                      encoding="utf-8")  # fmt: skip
    before = {p.name: p.read_bytes() for p in _decks(warehouse).glob("*_deck.*")}
    serving = _serving(warehouse).read_bytes()
    code = main(["build", "--landing", str(landing), "--warehouse", str(warehouse),
                 "--as-of", "2026-04-01"])  # fmt: skip
    assert code == 2
    assert _serving(warehouse).read_bytes() == serving
    assert not list((warehouse / "reports" / "2026-04-01").glob("*_deck.*"))
    assert {p.name: p.read_bytes() for p in _decks(warehouse).glob("*_deck.*")} == before
