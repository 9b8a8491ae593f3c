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
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from core.masking import redact_urls, scrub
from core.quality_tables import DQ_SCHEMA
from core.settings import AlertChannel, Settings

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


def apprise_send(url: str, subject: str, body: str, timeout: float) -> tuple[bool, str | None]:
    """Send through apprise; the error is what apprise logged (URLs removed later)."""
    import apprise

    import delivery.feishu  # noqa: F401  (registers feishusign://, signed Feishu/Lark bots)

    notifier = apprise.Apprise()
    if not notifier.add(_with_timeouts(url, timeout)):
        return False, "the channel URL is not a valid apprise URL"
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = bool(
            notifier.notify(title=subject, body=body, body_format=apprise.NotifyFormat.TEXT)
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
            (run_id, as_of_date, sent_at, r.channel, r.status, r.attempts, r.error,
             scrub(subject), scrub(body))
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
) -> list[DeliveryResult]:
    """Deliver one alert to every configured channel; never raises."""
    subject, body = scrub(subject) or "", scrub(body) or ""
    return [
        deliver(channel, subject, body, settings, send=send, sleep=sleep, environ=environ)
        for channel in settings.alerts.channels
    ]


@dataclass(frozen=True)
class AlertOutcome:
    """What the report-and-alert step did (for the Dagster asset's metadata)."""

    report_path: str | None
    alerted: bool
    results: list[DeliveryResult]
    error: str | None = None


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
    from delivery.report import alert_subject, collect_summary, render_text, write_report

    report_path: str | None = None
    try:
        summary = collect_summary(con, run_id, as_of_date, settings=settings)
        summary.serving_db = serving_db
        report_path = str(write_report(con, summary, report_dir))
        if not summary.has_news and not settings.alerts.send_all_clear:
            return AlertOutcome(report_path, False, [])
        subject, body = alert_subject(summary), render_text(summary)
        results = send_alert(settings, subject, body, send=send, sleep=sleep)
        record_alert(con, run_id=run_id, as_of_date=as_of_date, subject=subject, body=body,
                     results=results)
        return AlertOutcome(report_path, True, results)
    except Exception as exc:  # the alert step must never fail the build
        error = _clean_error(f"{type(exc).__name__}: {exc}", [])
        logger.error("quality report/alert step failed: %s", error)
        return AlertOutcome(report_path, False, [], error)
