"""A build run that failed: record it and tell the managers.

A failed run (a step raised after its retries) never reaches the publish step, so nothing
else would say so. :func:`report_failed_build` writes the ``failed`` row of
``data_quality.publish_log`` and sends one alert (Chinese and English) through
``delivery.alerts`` to the configured channels, logged in ``data_quality.alert_log``. It is
called through :func:`report_failed_run`, the one path for every failed run: by the
run-failure sensor for runs the daemon launched, and by ``crm_pipeline.runner.run_build``
for command-line runs (which the sensor skips, so a failure is alerted once). Both read
the reason and the start time from the Dagster instance the same way. It never raises:
alerting must not turn one failure into two.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

from core.build_lock import BuildLockBusy
from core.masking import scrub
from core.paths import WarehousePaths
from core.settings import Settings

logger = logging.getLogger(__name__)

# The sensor evaluation has about a minute; a build holding the database longer means the
# failure row and alert log entry are skipped (the alert itself is still sent).
RECORD_LOCK_TIMEOUT_SECONDS = 30.0


def _is_wrapper(cls_name: str) -> bool:
    """Dagster's own errors around the user's exception (step execution, retry request)."""
    return "dagster" in cls_name.lower() or cls_name.startswith("RetryRequested")


def first_step_error(events: Iterable[Any]) -> str | None:
    """``step X failed: <error>`` for the first step that failed or was sent to retry.

    After its retries a step fails with Dagster's "Exceeded max_retries" error; the real
    cause is on the first retry event, so both kinds are considered, in order. Dagster's
    wrapper errors are unwrapped to the user's exception. Personal data is masked.
    """
    for event in events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
        elif event.is_step_up_for_retry and event.event_specific_data is not None:
            error = event.event_specific_data.error
        else:
            continue
        while error is not None and error.cause is not None and _is_wrapper(error.cls_name):
            error = error.cause
        if error is None:
            continue
        first_line = (error.message.strip().splitlines() or ["(no message)"])[0]
        return scrub(f"step {event.step_key} failed: {first_line}")
    return None


def failure_message(
    as_of_date: dt.date, run_id: str, reason: str, language: str = "both"
) -> tuple[str, str]:
    """Subject and body of the alert; the reason is scrubbed of personal data.

    ``zh`` (alerts.language): every word Chinese — the English error stays in the build
    log and the Dagster run; ``en`` English only; ``both`` side by side."""
    if language in {"zh", "en"}:
        from delivery.alert_message import failed_build_message

        return failed_build_message(as_of_date, run_id, reason, language)  # type: ignore[arg-type]
    safe_reason = scrub(reason.strip().splitlines()[0] if reason.strip() else "") or "unknown"
    subject = f"[CRM] 构建失败 Build FAILED — {as_of_date.isoformat()}"
    body = (
        f"业务日期 Business date: {as_of_date.isoformat()}\n"
        "结果 Outcome: 构建失败，未发布；BI 仍显示上次发布的数据。\n"
        "The build failed and published nothing; BI tools keep the last published marts.\n"
        f"原因 Reason: {safe_reason}\n"
        f"Dagster run: {run_id}\n"
        "重跑安全 Re-running the build is safe (crm-pipeline build --as-of "
        f"{as_of_date.isoformat()}, or re-execute the run in the Dagster UI)."
    )
    return subject, body


def run_failure_reason(instance: Any, run_id: str, fallback: str) -> str:
    """Why a run failed, one line: its first step error as stored in the instance's event
    log (where in-process and daemon runs both write), else ``fallback``. A full disk says
    so, since freeing space is the fix."""
    import dagster as dg

    records = instance.all_logs(
        run_id,
        of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.STEP_UP_FOR_RETRY},
    )
    events = [record.dagster_event for record in records if record.dagster_event is not None]
    reason = first_step_error(events) or scrub(fallback)
    if "[Errno 28]" in reason:
        reason = f"the disk is full (free some space and build again): {reason}"
    return reason


def run_started_at(instance: Any, run_id: str) -> dt.datetime:
    """When the run started (naive UTC), per the instance; now when it never started."""
    record = instance.get_run_record_by_id(run_id)
    if record is not None and record.start_time:
        return dt.datetime.fromtimestamp(record.start_time, dt.UTC).replace(tzinfo=None)
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def report_failed_run(
    instance: Any,
    paths: WarehousePaths,
    settings: Settings,
    *,
    run_id: str,
    as_of_date: dt.date,
    fallback: str,
    log: Callable[[str], None] = logger.warning,
) -> str:
    """Record and alert a failed run of the daily build; return the reason reported.

    The one failure path of the command line and the UI: the reason and start time come
    from the instance, then :func:`report_failed_build` records and alerts.
    """
    reason = run_failure_reason(instance, run_id, fallback)
    report_failed_build(
        paths,
        settings,
        run_id=run_id,
        as_of_date=as_of_date,
        started_at=run_started_at(instance, run_id),
        reason=reason,
        log=log,
    )
    return reason


def report_failed_build(
    paths: WarehousePaths,
    settings: Settings,
    *,
    run_id: str,
    as_of_date: dt.date,
    started_at: dt.datetime,
    reason: str,
    log: Callable[[str], None] = logger.warning,
) -> bool:
    """Record the failed build and alert; returns whether the failure row was written."""
    import duckdb

    from delivery.alerts import record_alert, send_alert
    from delivery.publish import record_publish

    subject, body = failure_message(as_of_date, run_id, reason, settings.alerts.language)
    try:
        results = send_alert(settings, subject, body)
    except Exception as exc:  # defensive: send_alert is documented never to raise
        log(f"failure alert could not be sent: {type(exc).__name__}")
        results = []
    for result in results:
        if result.status != "sent":
            log(f"failure alert channel {result.channel}: {result.status}: {result.error}")
    from orchestration.runtime import build_connection

    try:
        with build_connection(paths, timeout=RECORD_LOCK_TIMEOUT_SECONDS) as con:
            record_publish(
                con,
                run_id=run_id,
                as_of_date=as_of_date,
                started_at=started_at,
                status="failed",
                reason=scrub(reason) or "failed",
            )
            record_alert(
                con,
                run_id=run_id,
                as_of_date=as_of_date,
                subject=subject,
                body=body,
                results=results,
            )
    except (BuildLockBusy, duckdb.Error, OSError) as exc:
        log(f"the failed build could not be recorded in data_quality: {scrub(str(exc))}")
        return False
    return True
