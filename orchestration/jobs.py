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
# and the run fails with its first error; the run-failure sensor alerts.
STEP_RETRY_POLICY = dg.RetryPolicy(
    max_retries=2, delay=3, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def daily_build_job(partitions_def: dg.PartitionsDefinition) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        DAILY_BUILD_JOB,
        selection=dg.AssetSelection.all(),
        partitions_def=partitions_def,
        op_retry_policy=STEP_RETRY_POLICY,
        tags={BUILD_DB_RUN_TAG: "writer"},
        description="One daily build as of the partition's date; the CLI runs this same job.",
    )
