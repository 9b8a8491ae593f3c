"""Each channel gets the alert in its own format and within its documented size limit.

One hand-made build that publishes with warnings (55 of 300 lead rows quarantined, within
the 20 % limit; owners 张伟, 李娜 and nobody) is alerted, with up to 100 records per
owner, to a WeCom bot in markdown and in text, a signed Feishu bot and a JSON webhook
(the local HTTP receiver) and by e-mail (the local SMTP server). DingTalk and Slack, whose
endpoints apprise fixes, are checked on the rendered message.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.settings import AlertChannel, ReportsConfig, Settings
from delivery.alert_message import PROFILES, channel_profile, compose, render
from delivery.alerts import report_and_alert
from delivery.publish import record_publish
from delivery.report import collect_summary
from quality.checks import run_quality_checks
from quality.gate import build_findings
from tests.fixtures.quality_raw.rows import fresh_database, land
from tests.unit.test_alerts import (  # noqa: F401  (fixtures)
    LEAD,
    MailSink,
    mail_attachments,
    mail_text,
    settings_with,
    smtp,
    webhook,
)

D = dt.date(2026, 3, 31)
BASE_URL = "https://bi.example.cn/reports"


def lead_rows() -> list[dict[str, Any]]:
    """300 leads: 40 without source (张伟), 10 with a negative budget (李娜), 5 without
    an owner — 55 quarantined, 18.3 %."""
    rows = []
    for i in range(300):
        row = {**LEAD, "lead_id": f"L{i:03d}", "owner": "王芳"}
        if i < 40:
            row.update(source=None, owner="张伟")
        elif i < 50:
            row.update(budget=-1, owner="李娜")
        elif i < 55:
            row.update(owner=None)
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def warned_build(
    tmp_path_factory: pytest.TempPathFactory,
    smtp: tuple[int, MailSink],  # noqa: F811
    webhook: tuple[int, list[tuple[str, bytes]]],  # noqa: F811
) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("channels")
    smtp_port, sink = smtp
    http_port, received = webhook
    before_mail, before_http = len(sink.messages), len(received)
    local = f"http://127.0.0.1:{http_port}"
    channels = [
        AlertChannel(name="wecom-md", url=f"wecommd://k1?base={local}/wecom-md"),
        AlertChannel(name="wecom-text", url=f"wecommd://k2?format=text&base={local}/wecom-text"),
        AlertChannel(name="feishu", url=f"feishusign://sec@tok?base={local}/feishu"),
        AlertChannel(name="webhook", url=f"json://127.0.0.1:{http_port}/json"),
        AlertChannel(
            name="email",
            url=f"mailto://127.0.0.1:{smtp_port}?from=bot@example.com"
            "&to=manager@example.com&mode=insecure",
        ),
    ]
    settings = settings_with(channels, records_per_owner=100)
    settings = settings.model_copy(update={"reports": ReportsConfig(base_url=BASE_URL)})
    with duckdb.connect(str(root / "build.duckdb")) as con:
        fresh_database(con)
        land(con, "leads", lead_rows(), file_name="线索导出.csv", run_id="r1")
        run_quality_checks(con, settings, run_id="r1", as_of_date=D)
        findings = build_findings(con, "r1")
        record_publish(
            con,
            run_id="r1",
            as_of_date=D,
            started_at=dt.datetime(2026, 4, 1),
            status="published",
            reason=findings.describe(),
            outcome=findings.outcome("published"),
            warnings=findings.warnings,
            rows_quarantined=findings.rows_quarantined,
        )
        outcome = report_and_alert(
            con,
            settings,
            run_id="r1",
            as_of_date=D,
            report_dir=root / "reports" / D.isoformat(),
            sleep=lambda _: None,
        )
        summary = collect_summary(con, "r1", D, settings=settings)
        log = con.execute("select channel, status from data_quality.alert_log").fetchall()
    by_path: dict[str, list[bytes]] = {}
    for path, body in received[before_http:]:
        by_path.setdefault("/" + path.split("?")[0].split("/")[1], []).append(body)
    return {
        "outcome": outcome,
        "http": by_path,
        "mail": sink.messages[before_mail:],
        "summary": summary,
        "log": log,
    }


def test_every_channel_was_sent(warned_build: dict[str, Any]) -> None:
    assert sorted(warned_build["log"]) == sorted(
        (name, "sent") for name in ("wecom-md", "wecom-text", "feishu", "webhook", "email")
    )


def test_wecom_markdown_stays_within_4096_bytes(warned_build: dict[str, Any]) -> None:
    (raw,) = warned_build["http"]["/wecom-md"]
    payload = json.loads(raw)
    assert payload["msgtype"] == "markdown"
    content = payload["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert content.startswith("### [销售数据质量] 2026-03-31 已发布（有警告），隔离 55 行")
    assert re.search(r"…及另外 \d+ 条，见报告", content)
    assert f"[完整报告]({BASE_URL}/2026-03-31/quality_report.html)" in content


def test_wecom_text_stays_within_2048_bytes(warned_build: dict[str, Any]) -> None:
    (raw,) = warned_build["http"]["/wecom-text"]
    payload = json.loads(raw)
    assert payload["msgtype"] == "text"
    content = payload["text"]["content"]
    assert len(content.encode("utf-8")) <= 2048
    assert "…及另外" in content and "**" not in content
    assert content.rstrip().endswith(f"{BASE_URL}/2026-03-31/quality_report.html")


def test_feishu_and_webhook_get_the_whole_list_within_their_limits(
    warned_build: dict[str, Any],
) -> None:
    (feishu,) = warned_build["http"]["/feishu"]
    (hook,) = warned_build["http"]["/json"]
    text = json.loads(feishu)["content"]["text"]
    payload = json.loads(hook)
    assert len(feishu) <= 20_000 and len(text.encode()) <= 18_000
    # 100 records per owner fit: all 40 of 张伟's, no "more" line for him
    assert "张伟：40 条记录" in text and text.count("「来源」缺失") == 40
    assert payload["type"] == "warning"  # published, rows quarantined
    assert "已发布（有警告）" in payload["title"]


def test_email_is_html_with_the_report_attached(warned_build: dict[str, Any]) -> None:
    (raw,) = warned_build["mail"]
    message_html = raw.decode("utf-8", errors="replace")
    assert "text/html" in message_html
    subject, body = mail_text(raw)
    assert "已发布（有警告）" in subject
    assert "无负责人：5 条记录" in body
    assert mail_attachments(raw) == ["quality_report.html"]


# Allowed in a Chinese alert: record ids (L001), file names and the report's link (both
# removed first, like any URL or path), numbers.
ALLOWED = re.compile(r"^[LF]\d+$")
FILE_NAME = re.compile(r"[\w\-.]+\.(csv|xlsx|json|html)\b")
# table names are identifiers to type into a query, like file names: not words to translate
TABLE_NAME = re.compile(r"\bdata_quality\.\w+")


def english_words(text: str) -> list[str]:
    text = FILE_NAME.sub(" ", re.sub(r"https?://\S+|\S*/\S*", " ", text))
    text = TABLE_NAME.sub(" ", text)
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9_]*", text) if not ALLOWED.match(w)]


def test_chinese_alerts_contain_no_english_words(warned_build: dict[str, Any]) -> None:
    texts = [json.loads(b)["markdown"]["content"] for b in warned_build["http"]["/wecom-md"]]
    texts += [json.loads(b)["text"]["content"] for b in warned_build["http"]["/wecom-text"]]
    texts += [json.loads(b)["content"]["text"] for b in warned_build["http"]["/feishu"]]
    texts += [
        json.loads(b)["title"] + json.loads(b)["message"] for b in warned_build["http"]["/json"]
    ]
    texts += list(mail_text(warned_build["mail"][0]))
    for text in texts:
        assert english_words(text) == [], text[:300]


def test_the_word_check_catches_english() -> None:
    assert english_words("「来源」 is missing, see L001 in a.csv") == ["is", "missing", "see", "in"]
    assert english_words("数据表: data_quality.quarantine, quarantine rows") == [
        "quarantine",
        "rows",
    ]


@pytest.mark.parametrize("scheme", sorted(PROFILES))
def test_every_channel_type_is_fitted_to_its_limit(
    warned_build: dict[str, Any], scheme: str
) -> None:
    profile = channel_profile(f"{scheme}://token@host/")
    summary = warned_build["summary"]
    content = compose(summary, "zh", records_per_owner=100)
    subject, body = render([content], profile)
    if profile.limit is not None:
        assert len(body.encode("utf-8")) <= profile.limit
    expected_format = {
        "dingtalk": "markdown",
        "slack": "markdown",
        "wecommd": "markdown",
        "mailto": "html",
        "mailtos": "html",
    }.get(scheme, "text")
    assert profile.body_format == expected_format
    if expected_format == "markdown":
        assert body.startswith("### ") and "**负责人待办（需改正的记录）**" in body
    if expected_format == "html":
        assert "<h3>张伟：40 条记录</h3>" in body  # e-mail is never trimmed
    assert "已发布（有警告）" in subject


def test_english_and_both(warned_build: dict[str, Any]) -> None:
    summary = warned_build["summary"]
    english = compose(summary, "en", records_per_owner=2)
    subject, body = render([english], channel_profile("json://x"))
    assert "published with warnings" in subject
    assert "(no owner): 5 records" in body and "source is missing" in body
    assert "…and 38 more in the report" in body
    chinese = compose(summary, "zh", records_per_owner=2)
    _, both = render([chinese, english], channel_profile("wecombot://k"))
    assert both.index("业务日期") < both.index("Business date")
    assert len(both.encode("utf-8")) <= 2048


def test_a_blocked_build_is_a_failure_notification(tmp_path: Path) -> None:
    with duckdb.connect() as con:
        fresh_database(con)
        land(con, "leads", [{**LEAD, "source": None}], file_name="a.csv", run_id="r1")
        run_quality_checks(con, Settings(), run_id="r1", as_of_date=D)
        record_publish(
            con,
            run_id="r1",
            as_of_date=D,
            started_at=dt.datetime(2026, 4, 1),
            status="blocked",
            reason="rate",
        )
        summary = collect_summary(con, "r1", D)
    assert summary.notify_type == "failure"
    assert summary.label == "blocked"


def test_the_report_says_published_with_warnings_chinese_first(
    warned_build: dict[str, Any],
) -> None:
    report = Path(warned_build["outcome"].report_path).read_text(encoding="utf-8")
    assert (
        '<p class="outcome warnings">已发布（有警告） <span class="en">published with warnings'
        in report
    )
    assert "已发布（有警告）" in report and "全部检查通过" not in report
    assert report.index("数据质量报告") < report.index("Data quality report")
    # every record of every owner, with the column by its Chinese header
    assert report.count("「来源」缺失，在客户管理系统中补填后重新导出") == 40
    assert "<h3>无负责人：5 条记录" in report
    assert '商机 / 线索 <span class="en">leads</span></td><td>300</td>\n<td>55</td>' in report


def test_a_failed_build_alert_in_chinese_has_no_english_words() -> None:
    from orchestration.failures import failure_message

    subject, body = failure_message(D, "run-1", "step dbt failed: Boom at x", "zh")
    assert "构建失败" in subject and "2026-03-31" in body
    assert english_words(subject + "\n" + body) == []
    _, english = failure_message(D, "run-1", "step dbt failed: Boom\nTrace", "en")
    assert "Boom" in english and "Trace" not in english


def test_ignored_withdrawn_and_accepted_files_are_in_the_chinese_alert() -> None:
    from delivery.report import BuildSummary

    summary = BuildSummary("r9", D, "published", "")
    summary.ignored_paths = ["leads/2026-03-29.xls", "README.txt"]
    summary.withdrawn_paths = ["follow_ups/2026-03-30.csv"]
    summary.accepted = [("leads/2026-03-30.csv", "王经理", "2026-04-01 08:00")]
    _, body = render([compose(summary, "zh")], channel_profile("json://x"))
    assert "未加载的条目（原因见报告）：leads/2026-03-29.xls、README.txt" in body
    assert "已撤回（已从落地目录移除）：follow_ups/2026-03-30.csv" in body
    assert "已人工接受：leads/2026-03-30.csv（王经理，2026-04-01 08:00，原因见报告）" in body
    assert english_words(body) == []
