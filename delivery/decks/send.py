"""Delivering the decks (issue #12 items 7 and 8) through the configured channels.

E-mail channels (``mailto://``, ``mailtos://``) get the deck files attached and a short
Chinese summary; chat channels (企业微信, 钉钉, 飞书, Slack, webhooks) get the headline
numbers cut to each channel's size limit in bytes (apprise does not split, and counts
characters, not bytes), with a link when ``reports.base_url`` is set. Each mapped owner
(``owners:``) gets only their own stalled, overdue and untouched deals and at-risk
customers: record id, account, stage, reason, days — never phones, e-mails or notes.

Channel URLs, ``${VAR}`` secrets, retries and error scrubbing are the alert module's
(:func:`delivery.alerts.deliver`); nothing here raises on an undeliverable message.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from core.labels import Language, label
from core.masking import scrub
from core.settings import AlertChannel, Settings
from delivery.alerts import DeliveryResult, Sender, apprise_send, deliver
from delivery.decks.build import DeckFiles
from delivery.decks.data import Row, Unavailable, open_serving, run_query
from delivery.decks.queries import OWNER_CUSTOMERS, OWNER_DEALS

EMAIL_SCHEMES = frozenset({"mailto", "mailtos"})
# Message size limits in bytes (title and body together), per apprise scheme.
CHAT_LIMITS: dict[str, int] = {
    "wecombot": 2048,  # 企业微信 group bot, text message
    "dingtalk": 19_000,  # 钉钉 bot: 20,000 bytes
    "feishu": 19_000,
    "feishusign": 19_000,
    "lark": 19_000,
    "slack": 35_000,
}
DEFAULT_CHAT_LIMIT = 4_000
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def scheme(url: str) -> str:
    return urlsplit(url).scheme.lower()


def is_email(channel: AlertChannel) -> bool:
    return scheme(channel.url) in EMAIL_SCHEMES


def chat_limit(channel: AlertChannel) -> int:
    """The largest message, in bytes, the channel accepts."""
    return CHAT_LIMITS.get(scheme(channel.url), DEFAULT_CHAT_LIMIT)


def fit(subject: str, lines: Sequence[str], limit: int, tail: Sequence[str] = ()) -> str:
    """Lines (then ``tail``, e.g. the link) within ``limit`` bytes with the subject.

    Whole lines are dropped from the end of ``lines`` until it fits; a "…" line says so.
    """
    budget = limit - len(subject.encode("utf-8")) - 4  # apprise joins title and body
    kept = list(lines)

    def size(candidate: list[str]) -> int:
        return len("\n".join(candidate).encode("utf-8"))

    while kept and size([*kept, *(["…"] if len(kept) < len(lines) else []), *tail]) > budget:
        kept.pop()
    body = [*kept, *(["…"] if len(kept) < len(lines) else []), *tail]
    text = "\n".join(body)
    while len(text.encode("utf-8")) > budget and text:  # a single overlong line
        text = text[:-1]
    return text


def due_decks(settings: Settings, as_of_date: dt.date) -> list[str]:
    """The decks the cadence sends after a build as of D (which runs on D + 1)."""
    run_day = as_of_date + dt.timedelta(days=1)
    cadence = settings.reports.cadence
    due = []
    if WEEKDAY_NAMES[run_day.weekday()] == cadence.opportunity_weekday:
        due.append("opportunity_deck")
    if run_day.day == cadence.customer_day_of_month:
        due.append("customer_deck")
    return due


def _channels(settings: Settings) -> list[AlertChannel]:
    return list(settings.reports.channels)


def _link(settings: Settings, files: DeckFiles, name: str) -> str | None:
    base = settings.reports.base_url
    if not base:
        return None
    return f"{base.rstrip('/')}/{files.as_of_date.isoformat()}/{name}"


def _subject(files: DeckFiles, decks: Sequence[str], language: Language) -> str:
    titles = " / ".join(files.titles.get(d, d) for d in decks)
    return (
        f"{titles} 截至 {files.as_of_date}"
        if language == "zh"
        else (f"{titles} as of {files.as_of_date}")
    )


def _headline_lines(files: DeckFiles, decks: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for deck in decks:
        lines.append(f"【{files.titles.get(deck, deck)}】")
        lines += [f"{name}：{value}" for name, value in files.headlines.get(deck, {}).items()]
    return lines


def send_decks(
    settings: Settings,
    files: DeckFiles,
    decks: Sequence[str] = ("opportunity_deck", "customer_deck"),
    *,
    send: Sender = apprise_send,
    sleep: Callable[[float], None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[DeliveryResult]:
    """Send ``decks`` to every report channel: e-mail with attachments, chat as headlines."""
    language = settings.reports.language
    subject = scrub(_subject(files, decks, language)) or ""
    headlines = [scrub(line) or "" for line in _headline_lines(files, decks)]
    links = [link for d in decks if (link := _link(settings, files, f"{d}.html"))]
    options = {"environ": environ, **({"sleep": sleep} if sleep else {})}
    results = []
    for channel in _channels(settings):
        if is_email(channel):
            attachments = [
                str(files.files[f"{d}.{ext}"])
                for d in decks
                for ext in ("pptx", "html")
                if f"{d}.{ext}" in files.files
            ]
            intro = (
                "各位好，附件是本期管理报表（PPTX 可编辑，HTML 可在手机或电脑上直接打开）。"
                if language == "zh"
                else "Attached: this period's decks (PPTX, HTML)."
            )
            body = "\n".join([intro, "", *headlines, *links])
            sender = functools.partial(send, attach=attachments)  # e-mail senders attach
            results.append(deliver(channel, subject, body, settings, send=sender, **options))
        else:
            body = fit(subject, headlines, chat_limit(channel), links)
            results.append(deliver(channel, subject, body, settings, send=send, **options))
    return results


def owner_rows(serving_db: Path, owner: str) -> tuple[list[Row], list[Row]]:
    """One owner's attention deals and at-risk customers (none when a table is missing)."""
    with open_serving(serving_db) as con:
        deals = run_query(con, OWNER_DEALS, [owner])
        customers = run_query(con, OWNER_CUSTOMERS, [owner])
    return (
        [] if isinstance(deals, Unavailable) else deals,
        [] if isinstance(customers, Unavailable) else customers,
    )


def owner_digest_lines(deals: list[Row], customers: list[Row], language: Language) -> list[str]:
    """The digest's lines: id, account, stage, reasons, days (no contact data, no notes)."""
    zh = language == "zh"
    sep = "、" if zh else ", "
    lines = [("需要跟进的商机：" if zh else "Deals to follow up:") + f" {len(deals)}"]
    for d in deals:
        reasons = sep.join(label("attention_reason", r, language) for r in d["reasons"] or [])
        days = f"{d['days']} 天" if zh else f"{d['days']} d"
        lines.append(
            f"- {d['lead_id']} {d['account_name'] or ''} · "
            f"{label('stage', d['stage'], language)} · {reasons} · {days}"
        )
    lines.append(("风险客户：" if zh else "Customers at risk:") + f" {len(customers)}")
    for c in customers:
        reasons = sep.join(label("risk_reason", r, language) for r in c["reasons"] or [])
        days = (
            ""
            if c.get("days") is None
            else (f" · {c['days']} 天无活动" if zh else f" · {c['days']} d inactive")
        )
        lines.append(f"- {c['account_key']} {c['account_name'] or ''} · {reasons}{days}")
    return [scrub(line) or "" for line in lines]


def send_owner_digests(
    settings: Settings,
    serving_db: Path,
    as_of_date: dt.date,
    *,
    send: Sender = apprise_send,
    sleep: Callable[[float], None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[DeliveryResult]:
    """停滞预警 / 漏跟进提醒: each mapped owner gets only their own rows (nothing if none)."""
    language = settings.reports.language
    options = {"environ": environ, **({"sleep": sleep} if sleep else {})}
    results = []
    for owner, url in settings.owners.items():
        deals, customers = owner_rows(serving_db, owner)
        if not deals and not customers:
            continue
        channel = AlertChannel(name=f"owner:{owner}", url=url)
        subject = (
            f"{owner}：待跟进商机与风险客户（截至 {as_of_date}）"
            if language == "zh"
            else f"{owner}: deals to follow up and customers at risk ({as_of_date})"
        )
        lines = owner_digest_lines(deals, customers, language)
        body = "\n".join(lines) if is_email(channel) else fit(subject, lines, chat_limit(channel))
        results.append(deliver(channel, scrub(subject) or "", body, settings, send=send, **options))
    return results
