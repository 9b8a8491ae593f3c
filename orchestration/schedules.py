"""The daily schedule: at ``schedule.time`` in ``schedule_timezone``, build yesterday.

Choice (documented in docs/dagster.md): a tick builds the **latest complete business
day**, i.e. the local day before the tick. The default 06:00 Asia/Shanghai tick on
2026-03-31 builds as of 2026-03-30, the day that just ended, whose exports have landed
overnight. Building "today" at 06:00 would publish a day that has barely started.

The schedule is RUNNING by default, so it ticks whenever a Dagster daemon runs against the
instance (``dagster dev`` starts one).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from core.settings import Settings
from orchestration.partitions import latest_complete_day

DAILY_SCHEDULE = "daily_build_schedule"


def cron_for(time_hhmm: str) -> str:
    """``"06:00"`` → ``"0 6 * * *"`` (the config already validated HH:MM)."""
    hour, minute = (int(part) for part in time_hhmm.split(":"))
    return f"{minute} {hour} * * *"


def daily_build_schedule(
    job: dg.UnresolvedAssetJobDefinition, settings: Settings
) -> dg.ScheduleDefinition:
    """The schedule for ``job``, from settings read when the definitions load."""
    business_timezone = settings.timezone

    @dg.schedule(
        name=DAILY_SCHEDULE,
        job=job,
        cron_schedule=cron_for(settings.schedule.time),
        execution_timezone=settings.schedule_timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Every day at {settings.schedule.time} ({settings.schedule_timezone}): "
        "build the business day that just ended.",
    )
    def daily_build_tick(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        tick = context.scheduled_execution_time or dt.datetime.now(dt.UTC)
        if tick.tzinfo is None:
            tick = tick.replace(tzinfo=dt.UTC)
        as_of = latest_complete_day(tick, business_timezone)
        return dg.RunRequest(
            run_key=f"schedule-{as_of.isoformat()}",
            partition_key=as_of.isoformat(),
            tags={"crm/trigger": "schedule"},
        )

    return daily_build_tick
