"""The one job: the daily build (ingest → quality → dbt → publish → report and alert)."""

from __future__ import annotations

import dagster as dg

DAILY_BUILD_JOB = "daily_build"


def daily_build_job(partitions_def: dg.PartitionsDefinition) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        DAILY_BUILD_JOB,
        selection=dg.AssetSelection.all(),
        partitions_def=partitions_def,
        description="One daily build as of the partition's date; the CLI runs this same job.",
    )
