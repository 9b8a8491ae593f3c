"""Alerts to managers through apprise (e-mail, WeCom, DingTalk, Feishu, Slack, webhooks).

Channels are apprise URLs in the configuration (``alerts.channels``) with secrets written as
``${ENV_VAR}`` placeholders, filled from the environment only when sending. Each channel is
tried ``1 + retries`` times; every channel's outcome (sent or failed, attempts, error) is
recorded in ``data_quality.alert_log`` together with the alert text, so nothing depends on
a chat channel being up. Nothing here raises: an alert that cannot be delivered never
fails the build and never blocks the publish. URLs are never logged or recorded; errors are
stripped of URLs and of every secret value used.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import duckdb

from core.labels import Language
from core.masking import redact_urls, scrub
from core.quality_tables import DQ_SCHEMA
from core.settings import AlertChannel, Settings

if TYPE_CHECKING:
    from delivery.report import BuildSummary

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
NO_CHANNEL = "(alert log only)"


class MissingSecret(LookupError):
    """A ``${VAR}`` placeholder of a channel URL has no value in the environment."""


@dataclass(frozen=True)
class DeliveryResult:
    """One channel's outcome after all attempts."""

    channel: str
    status: str  # sent | failed | logged
    attempts: int
    error: str | None = None


# A sender takes a resolved URL, subject, body and timeout; returns (ok, error text).
Sender = Callable[[str, str, str, float], tuple[bool, str | None]]


def resolve_url(url: str, environ: Mapping[str, str] | None = None) -> tuple[str, list[str]]:
    """Fill ``${VAR}`` placeholders from the environment; return the URL and the secrets."""
    environ = os.environ if environ is None else environ
    secrets: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = environ.get(name)
        if not value:
            raise MissingSecret(f"environment variable {name} is not set")
        secrets.append(value)
        return value

    return _PLACEHOLDER.sub(fill, url), secrets


def _with_timeouts(url: str, timeout: float) -> str:
    """Add apprise's connect/read timeouts (cto, rto) unless the URL sets them."""
    query = urlsplit(url).query
    extra = [f"{key}={timeout:g}" for key in ("cto", "rto") if f"{key}=" not in query]
    if not extra:
        return url
    return url + ("&" if "?" in url else "?") + "&".join(extra)


def apprise_send(
    url: str,
    subject: str,
    body: str,
    timeout: float,
    attach: Sequence[str] | None = None,
    *,
    body_format: str = "text",
    notify_type: str = "info",
) -> tuple[bool, str | None]:
    """Send through apprise; the error is what apprise logged (URLs removed later).

    ``attach``: files to attach (e-mail channels: the quality report, the manager decks);
    ``body_format``: text, markdown or html; ``notify_type``: info, warning or failure."""
    import apprise

    import delivery.feishu  # noqa: F401  (registers feishusign://, signed Feishu/Lark bots)
    import delivery.wecom  # noqa: F401  (registers wecommd://, WeCom bots in markdown)

    notifier = apprise.Apprise()
    if not notifier.add(_with_timeouts(url, timeout)):
        return False, "the channel URL is not a valid apprise URL"
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = bool(
            notifier.notify(
                title=subject,
                body=body,
                body_format=apprise.NotifyFormat(body_format),
                notify_type=apprise.NotifyType(notify_type),
                attach=list(attach) if attach else None,
            )
        )
    log = captured.getvalue().strip() if hasattr(captured, "getvalue") else ""
    if ok:
        return True, None
    last = log.splitlines()[-1] if log else "delivery failed"
    return False, re.sub(r"^[\d\-: ,]+- \w+ - ", "", last)


def _clean_error(error: str, secrets: list[str]) -> str:
    """An error message safe to log: no URL, no secret value, no personal data."""
    for secret in secrets:
        if secret:
            error = error.replace(secret, "***")
    return (scrub(redact_urls(error)) or "")[:500]


def deliver(
    channel: AlertChannel,
    subject: str,
    body: str,
    settings: Settings,
    *,
    send: Sender = apprise_send,
    sleep: Callable[[float], None] = time.sleep,
    environ: Mapping[str, str] | None = None,
) -> DeliveryResult:
    """Try one channel up to 1 + retries times; never raises."""
    try:
        url, secrets = resolve_url(channel.url, environ)
    except MissingSecret as exc:
        return DeliveryResult(channel.name, "failed", 0, f"not sent: {exc}")
    attempts, error = 0, None
    for attempt in range(settings.alerts.retries + 1):
        attempts = attempt + 1
        try:
            ok, error = send(url, subject, body, settings.alerts.timeout_seconds)
        except Exception as exc:  # a sender bug must not fail the build either
            ok, error = False, f"{type(exc).__name__}: {exc}"
        if ok:
            return DeliveryResult(channel.name, "sent", attempts)
        error = _clean_error(error or "delivery failed", secrets)
        logger.warning("alert channel %s: attempt %d failed: %s", channel.name, attempts, error)
        if attempt < settings.alerts.retries:
            sleep(settings.alerts.retry_wait_seconds)
    return DeliveryResult(channel.name, "failed", attempts, error)


def record_alert(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    as_of_date: dt.date,
    subject: str,
    body: str,
    results: list[DeliveryResult],
) -> None:
    """One alert_log row per channel (or one 'logged' row when no channel is set)."""
    sent_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = results or [DeliveryResult(NO_CHANNEL, "logged", 0, None)]
    con.executemany(
        f"insert into {DQ_SCHEMA}.alert_log values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                run_id,
                as_of_date,
                sent_at,
                r.channel,
                r.status,
                r.attempts,
                r.error,
                scrub(subject),
                scrub(body),
            )
            for r in rows
        ],
    )


def send_alert(
    settings: Settings,
    subject: str,
    body: str,
    *,
    send: Sender = apprise_send,
    sleep: Callable[[float], None] = time.sleep,
    environ: Mapping[str, str] | None = None,
    notify_type: str = "failure",
) -> list[DeliveryResult]:
    """Deliver one plain-text alert (a failed build's) to every channel; never raises.

    The text is cut to each channel's size limit."""
    from delivery.alert_message import channel_profile

    subject, body = scrub(subject) or "", scrub(body) or ""
    results = []
    for channel in settings.alerts.channels:
        limit = channel_profile(channel.url).limit
        text = body if limit is None else _cut(body, limit - len(subject.encode()) - 2)
        sender = _with_options(send, "text", notify_type, None)
        results.append(
            deliver(channel, subject, text, settings, send=sender, sleep=sleep, environ=environ)
        )
    return results


def _cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` bytes (whole characters)."""
    return text.encode("utf-8")[: max(0, limit)].decode("utf-8", errors="ignore")


def _with_options(
    send: Sender, body_format: str, notify_type: str, attach: Sequence[str] | None
) -> Sender:
    """apprise_send with the channel's format, type and attachments; a test's sender as is."""
    if send is not apprise_send:
        return send
    return functools.partial(
        apprise_send, attach=attach, body_format=body_format, notify_type=notify_type
    )


def send_content(
    settings: Settings,
    summary: BuildSummary,
    *,
    send: Sender = apprise_send,
    sleep: Callable[[float], None] = time.sleep,
    environ: Mapping[str, str] | None = None,
) -> tuple[list[DeliveryResult], str, str]:
    """Deliver one build's alert to every channel, each in its own format and size limit;
    return the results and the plain-text subject and body recorded in alert_log."""
    from delivery.alert_message import PLAIN_LOG, channel_profile, compose, render

    languages: list[Language] = (
        ["zh", "en"] if settings.alerts.language == "both" else [settings.alerts.language]
    )
    per_owner = settings.alerts.records_per_owner
    contents = [compose(summary, lang, records_per_owner=per_owner) for lang in languages]
    attach = [str(summary.report_path)] if summary.report_path is not None else None
    results = []
    for channel in settings.alerts.channels:
        profile = channel_profile(channel.url)
        subject, body = render(contents, profile)
        # chat bots show no title: the subject is the body's first line (in the limit)
        title = subject if profile.kind in {"email", "webhook"} else ""
        sender = _with_options(
            send,
            profile.body_format,
            summary.notify_type,
            attach if profile.kind == "email" else None,
        )
        results.append(
            deliver(
                channel,
                title,
                scrub(body) or "",
                settings,
                send=sender,
                sleep=sleep,
                environ=environ,
            )
        )
    subject, body = render(contents, PLAIN_LOG)
    return results, scrub(subject) or "", scrub(body) or ""


def report_url(settings: Settings, as_of_date: dt.date, name: str) -> str | None:
    """The report as a link under ``reports.base_url`` (None when no base URL is set)."""
    base = settings.reports.base_url
    return f"{base.rstrip('/')}/{as_of_date.isoformat()}/{name}" if base else None


@dataclass(frozen=True)
class AlertOutcome:
    """What the report-and-alert step did (for the Dagster asset's metadata)."""

    report_path: str | None
    alerted: bool
    results: list[DeliveryResult]
    error: str | None = None
    outcome: str = ""  # published / published with warnings / blocked / failed
    report_url: str | None = None


def report_and_alert(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    run_id: str,
    as_of_date: dt.date,
    report_dir: Path,
    serving_db: Path | None = None,
    send: Sender = apprise_send,
    sleep: Callable[[float], None] = time.sleep,
) -> AlertOutcome:
    """Write the HTML report, then alert managers if there is anything to say.

    Sends after every build that quarantined rows, rejected a file, failed a check or was
    blocked; an all-clear message only when ``alerts.send_all_clear`` is set. Never raises.
    """
    from delivery.report import collect_summary, write_report

    report_path: str | None = None
    try:
        summary = collect_summary(con, run_id, as_of_date, settings=settings)
        summary.serving_db = serving_db
        report_path = str(write_report(con, summary, report_dir))
        summary.report_url = report_url(settings, as_of_date, Path(report_path).name)
        done = functools.partial(
            AlertOutcome, report_path, outcome=summary.label, report_url=summary.report_url
        )
        if not summary.has_news and not settings.alerts.send_all_clear:
            return done(False, [])
        results, subject, body = send_content(settings, summary, send=send, sleep=sleep)
        record_alert(
            con, run_id=run_id, as_of_date=as_of_date, subject=subject, body=body, results=results
        )
        return done(True, results)
    except Exception as exc:  # the alert step must never fail the build
        error = _clean_error(f"{type(exc).__name__}: {exc}", [])
        logger.error("quality report/alert step failed: %s", error)
        return AlertOutcome(report_path, False, [], error)
