"""The one job: the daily build (ingest → quality → dbt → publish → report and alert).

The schedule, the landing sensor, the UI's backfills and the CLI all run this job; the
partition key is the as-of date D.
"""

from __future__ import annotations

import dagster as dg

from core.constants import BUILD_DB_RUN_TAG

DAILY_BUILD_JOB = "daily_build"

# A step that fails on something transient (the build database still held by a
# command-line build past the lock timeout, a file still being copied, a full disk being
# cleaned) is tried again after 3 s, then 6 s (± jitter). A real defect fails three times
# and the run fails with its first error; the run-failure sensor alerts. The first delay
# is the pipeline resource's ``step_retry_delay_seconds`` (tests use 0).
STEP_RETRY_DELAY_SECONDS = 3.0


def step_retry_policy(delay_seconds: float = STEP_RETRY_DELAY_SECONDS) -> dg.RetryPolicy:
    """Two retries, the second after twice the first delay (± jitter)."""
    return dg.RetryPolicy(
        max_retries=2,
        delay=delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


def daily_build_job(
    partitions_def: dg.PartitionsDefinition,
    retry_delay_seconds: float = STEP_RETRY_DELAY_SECONDS,
) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        DAILY_BUILD_JOB,
        selection=dg.AssetSelection.all(),
        partitions_def=partitions_def,
        op_retry_policy=step_retry_policy(retry_delay_seconds),
        tags={BUILD_DB_RUN_TAG: "writer"},
        description="One daily build as of the partition's date; the CLI runs this same job.",
    )
