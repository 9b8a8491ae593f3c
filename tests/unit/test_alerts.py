"""Alerts reach real receivers: a local SMTP server and a local HTTP webhook.

One hand-made blocked build (6 lead rows, 2 follow-ups) is checked, reported and alerted
to four channels: e-mail (aiosmtpd), a JSON webhook (http.server), a closed port and a
channel whose secret variable is missing. What the managers read is taken from what the
receivers got.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiosmtpd.controller import Controller

from core.settings import AlertChannel, AlertsConfig, Settings
from delivery.alerts import AlertOutcome, report_and_alert, resolve_url, send_alert
from delivery.publish import record_publish
from quality.checks import run_quality_checks
from tests.fixtures.quality_raw.rows import fresh_database, land, valid_lead

D = dt.date(2026, 3, 31)
T = dt.datetime(2026, 3, 1, 10, 0)
PHONE = "13912345678"
EMAIL = "li.na@example.com"
TOKEN = "tok-9f8e7d6c5b4a"
LEAD = valid_lead("L1", contact_name="Li")

LEADS = [
    LEAD,
    {**LEAD, "lead_id": "L2", "source": None},  # required: amy
    {**LEAD, "lead_id": "L3", "source": None, "owner": "bob"},  # required: bob
    {
        **LEAD,
        "lead_id": "L4",
        "budget": -1,
        "owner": "bob",
        "contact_phone": PHONE,
        "contact_email": EMAIL,
    },  # range: bob
    {**LEAD, "lead_id": "L5", "owner": "<script>alert(1)</script>", "stage": "bogus"},
    {**LEAD, "lead_id": "L6"},
]
FOLLOW_UPS = [
    {
        "follow_up_id": "F1",
        "lead_id": "L1",
        "occurred_at": T,
        "owner": "amy",
        "channel": "call",
        "notes": f"客户电话 {PHONE}, 邮箱 {EMAIL}",
    },
    {
        "follow_up_id": "F2",
        "lead_id": "L99",
        "occurred_at": T,
        "owner": "cai",
        "channel": "call",
        "notes": f"call {PHONE}",
    },  # reference
]
# leads: L2, L3, L4, L5 quarantined -> 4 of 6 (66.7%), above 20%: blocked.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailSink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[int, MailSink]]:
    sink, port = MailSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, sink
    controller.stop()


@pytest.fixture(scope="module")
def webhook() -> Iterator[tuple[int, list[tuple[str, bytes]]]]:
    received: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            received.append((self.path, self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1]), received
    server.shutdown()


def settings_with(channels: list[AlertChannel], **alerts: Any) -> Settings:
    config = AlertsConfig(
        channels=channels, retries=2, retry_wait_seconds=0, timeout_seconds=3, **alerts
    )
    return Settings(alerts=config)


@pytest.fixture(scope="module")
def blocked_build(
    tmp_path_factory: pytest.TempPathFactory,
    smtp: tuple[int, MailSink],
    webhook: tuple[int, list[tuple[str, bytes]]],
) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("alerts")
    db = root / "build.duckdb"
    smtp_port, _ = smtp
    http_port, _ = webhook
    channels = [
        AlertChannel(
            name="email",
            url=f"mailto://127.0.0.1:{smtp_port}?from=bot@example.com"
            "&to=manager@example.com&mode=insecure",
        ),
        AlertChannel(name="webhook", url=f"json://127.0.0.1:{http_port}/hook/${{HOOK_TOKEN}}"),
        AlertChannel(name="down", url=f"json://127.0.0.1:{free_port()}/x/${{HOOK_TOKEN}}"),
        AlertChannel(name="wecom", url="wecombot://${WECOM_KEY_NOT_SET}"),
    ]
    settings = settings_with(channels)
    mp = pytest.MonkeyPatch()
    mp.setenv("HOOK_TOKEN", TOKEN)
    mp.delenv("WECOM_KEY_NOT_SET", raising=False)
    waits: list[float] = []
    try:
        with duckdb.connect(str(db)) as con:
            fresh_database(con)
            land(con, "leads", LEADS, file_name="2026-03-31.csv", run_id="r1")
            land(con, "follow_ups", FOLLOW_UPS, file_name="2026-03-31.csv", run_id="r1")
            run_quality_checks(con, settings, run_id="r1", as_of_date=D)
            record_publish(
                con,
                run_id="r1",
                as_of_date=D,
                started_at=dt.datetime(2026, 4, 1),
                status="blocked",
                reason="leads: 4 of 6 new rows quarantined",
            )
            outcome = report_and_alert(
                con,
                settings,
                run_id="r1",
                as_of_date=D,
                report_dir=root / "reports" / D.isoformat(),
                sleep=waits.append,
            )
            log = con.execute(
                "select channel, status, attempts, error, subject, body "
                "from data_quality.alert_log order by channel"
            ).fetchall()
    finally:
        mp.undo()
    return {"outcome": outcome, "log": log, "waits": waits, "root": root}


def mail_text(raw: bytes) -> tuple[str, str]:
    """Subject and the text of the HTML body (tags removed) of one e-mail."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    part = message.get_body(preferencelist=("html", "plain"))
    assert part is not None
    return str(message["Subject"]), re.sub(r"<[^>]+>", "\n", part.get_content())


def mail_attachments(raw: bytes) -> list[str]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return [str(part.get_filename()) for part in message.iter_attachments()]


def test_email_reaches_the_smtp_server(
    blocked_build: dict[str, Any], smtp: tuple[int, MailSink]
) -> None:
    _, sink = smtp
    assert len(sink.messages) == 1
    subject, body = mail_text(sink.messages[0])
    assert "2026-03-31" in subject and "已阻止发布" in subject
    # leads: 2 required rows (L2, L3) of 6 = 33.3%; examples listed by record id.
    assert "商机 / 线索 · 必填（隔离）：2 行（33.3%），例如 L2, L3" in body
    # bob owns L3 (required) and L4 (range): two records to fix, each with file, row,
    # the column by its Chinese header, what is wrong and how to fix it.
    assert "bob：2 条记录" in body
    assert (
        "L3（leads/2026-03-31.csv 第 4 行）：「来源」缺失，在客户管理系统中补填后重新导出" in body
    )
    assert "L4（leads/2026-03-31.csv 第 5 行）：「预算」超出允许范围" in body
    # where the rows are: the data_quality tables, besides the report
    assert (
        "数据表: data_quality.quarantine, data_quality.check_results, data_quality.file_loads"
        in body
    )
    assert "cai：1 条记录" in body and "「商机编号」找不到对应的记录" in body
    # why it was blocked, in Chinese
    assert "商机 / 线索 隔离率超过上限，文件 2026-03-31.csv 需改正、撤回或人工接受" in body
    # the quality report travels with the e-mail
    assert mail_attachments(sink.messages[0]) == ["quality_report.html"]


def test_no_personal_data_or_secret_anywhere(
    blocked_build: dict[str, Any],
    smtp: tuple[int, MailSink],
    webhook: tuple[int, list[tuple[str, bytes]]],
) -> None:
    _, sink = smtp
    _, received = webhook
    texts = [mail_text(sink.messages[0])[1]]
    texts += [json.loads(body)["message"] for _, body in received]
    texts += [" ".join(str(v) for v in row) for row in blocked_build["log"]]
    report = Path(blocked_build["outcome"].report_path).read_text(encoding="utf-8")
    for text in [*texts, report]:
        assert PHONE not in text and EMAIL not in text and "客户电话" not in text
        assert TOKEN not in text


def test_webhook_receives_the_json_alert(
    blocked_build: dict[str, Any], webhook: tuple[int, list[tuple[str, bytes]]]
) -> None:
    _, received = webhook
    assert len(received) == 1
    path, body = received[0]
    assert path == f"/hook/{TOKEN}"  # the secret filled in from the environment
    payload = json.loads(body)
    assert "已阻止发布" in payload["title"]
    assert "业务日期" in payload["message"]
    assert payload["type"] == "failure"  # a blocked build


def test_failures_are_retried_and_logged_without_raising(blocked_build: dict[str, Any]) -> None:
    outcome: AlertOutcome = blocked_build["outcome"]
    assert outcome.error is None and outcome.alerted
    by_channel = {row[0]: row for row in blocked_build["log"]}
    assert set(by_channel) == {"email", "webhook", "down", "wecom"}
    assert by_channel["email"][1:3] == ("sent", 1)
    assert by_channel["webhook"][1:3] == ("sent", 1)
    # closed port: 1 try + 2 retries, waiting between them.
    channel, status, attempts, error, _, _ = by_channel["down"]
    assert (status, attempts) == ("failed", 3) and error
    assert "127.0.0.1:" not in error and "json://" not in error
    assert blocked_build["waits"] == [0, 0]
    # a missing secret is not tried at all and says which variable is missing
    assert by_channel["wecom"][1:4] == (
        "failed",
        0,
        "not sent: environment variable WECOM_KEY_NOT_SET is not set",
    )


def test_html_report_escapes_everything(blocked_build: dict[str, Any]) -> None:
    path = Path(blocked_build["outcome"].report_path)
    assert path == blocked_build["root"] / "reports" / "2026-03-31" / "quality_report.html"
    report = path.read_text(encoding="utf-8")
    assert "<script>" not in report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "L4" in report and "budget" in report


def test_all_clear_sends_nothing_unless_configured(
    tmp_path: Path, webhook: tuple[int, list[tuple[str, bytes]]]
) -> None:
    http_port, received = webhook
    before = len(received)
    channel = AlertChannel(name="webhook", url=f"json://127.0.0.1:{http_port}/clear")
    with duckdb.connect(str(tmp_path / "b.duckdb")) as con:
        fresh_database(con)
        land(con, "leads", [LEAD], file_name="clean.csv", run_id="ok")
        run_quality_checks(con, Settings(), run_id="ok", as_of_date=D)
        record_publish(
            con,
            run_id="ok",
            as_of_date=D,
            started_at=dt.datetime(2026, 4, 1),
            status="published",
            reason="all checks passed",
        )
        quiet = report_and_alert(
            con, settings_with([channel]), run_id="ok", as_of_date=D, report_dir=tmp_path / "r"
        )
        assert not quiet.alerted and len(received) == before
        assert con.execute("select count(*) from data_quality.alert_log").fetchone() == (0,)
        loud = report_and_alert(
            con,
            settings_with([channel], send_all_clear=True),
            run_id="ok",
            as_of_date=D,
            report_dir=tmp_path / "r",
        )
    assert loud.alerted and len(received) == before + 1
    payload = json.loads(received[-1][1])
    assert received[-1][0] == "/clear" and "已发布" in payload["title"]
    assert payload["type"] == "info"


def test_a_broken_sender_never_raises() -> None:
    def explode(url: str, subject: str, body: str, timeout: float) -> tuple[bool, str | None]:
        raise RuntimeError(f"boom at {url}")

    settings = settings_with(
        [AlertChannel(name="x", url="json://secret-host/path")],
    )
    (result,) = send_alert(settings, "s", "b", send=explode, sleep=lambda _: None)
    assert (result.status, result.attempts) == ("failed", 3)
    assert "secret-host" not in (result.error or "") and "boom" in (result.error or "")


def test_feishu_bot_with_signing_secret(
    webhook: tuple[int, list[tuple[str, bytes]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Feishu's documented signature: base64(HMAC-SHA256(key="{timestamp}\\n{secret}", b""))."""
    import base64
    import hashlib
    import hmac

    http_port, received = webhook
    monkeypatch.setenv("FEISHU_SECRET", "s1gn-secret")
    monkeypatch.setenv("FEISHU_TOKEN", "bot-token-1")
    url = f"feishusign://${{FEISHU_SECRET}}@${{FEISHU_TOKEN}}?base=http://127.0.0.1:{http_port}/fs"
    (result,) = send_alert(
        settings_with([AlertChannel(name="feishu", url=url)]), "标题 subject", "正文 body"
    )
    assert (result.status, result.attempts) == ("sent", 1)
    path, raw = received[-1]
    payload = json.loads(raw)
    assert path == "/fs/bot-token-1"
    key = f"{payload['timestamp']}\ns1gn-secret".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert payload["sign"] == expected
    assert payload["content"]["text"] == "标题 subject\n正文 body"
    assert "s1gn-secret" not in raw.decode()


def test_resolve_url_fills_placeholders() -> None:
    url, secrets = resolve_url("dingtalk://${A}/${B}", {"A": "tok", "B": "sec"})
    assert url == "dingtalk://tok/sec" and secrets == ["tok", "sec"]
