"""Assemble the Definitions (called lazily by orchestration.definitions)."""

from __future__ import annotations

import warnings

import dagster as dg

from orchestration.assets.data_quality import build_quality_asset
from orchestration.assets.dbt_models import build_dbt_assets
from orchestration.assets.decks import build_decks_asset
from orchestration.assets.ingest import build_raw_assets
from orchestration.assets.publish import build_publish_asset
from orchestration.assets.report import build_report_asset
from orchestration.dbt import (
    DBT_PROJECT_DIR,
    CrmDbtCliResource,
    dbt_executable,
    dbt_project,
    ensure_manifest,
)
from orchestration.freshness import with_mart_freshness
from orchestration.jobs import daily_build_job
from orchestration.partitions import daily_partitions, history_start
from orchestration.resources import PipelineResource, settings_at_load
from orchestration.schedules import daily_build_schedule
from orchestration.sensors import build_failure_sensor, landing_files_sensor
from orchestration.validation import validate_landing_job


def build_definitions(pipeline: PipelineResource) -> dg.Definitions:
    """The whole code location, around one pipeline resource.

    ``pipeline`` says where the landing and warehouse folders and the configuration are;
    the settings it points at fix the partitions' timezone and the schedule here, and
    every asset, check and sensor gets the same resource when it runs.
    """
    settings = settings_at_load(pipeline)
    landing = None if isinstance(pipeline.landing_dir, dg.EnvVar) else pipeline.landing()
    partitions_def = daily_partitions(settings.timezone, history_start(settings, landing))
    manifest = ensure_manifest()
    with warnings.catch_warnings():
        # The multi-run backfill policy (one build per date) is a beta parameter in
        # Dagster 1.13; it is used deliberately, so its warning is not shown each load.
        warnings.simplefilter("ignore", dg.BetaWarning)
        raw = build_raw_assets(partitions_def)
        quality = build_quality_asset(partitions_def)
        models = with_mart_freshness(build_dbt_assets(manifest, partitions_def))
        publish = build_publish_asset([*models.keys, quality.key], partitions_def)
        report = build_report_asset(partitions_def)
        decks = build_decks_asset(partitions_def)
    job = daily_build_job(partitions_def, pipeline.step_retry_delay_seconds)
    return dg.Definitions(
        assets=[raw, quality, models, publish, report, decks],
        jobs=[job, validate_landing_job],
        schedules=[daily_build_schedule(job, settings)],
        sensors=[landing_files_sensor(job), build_failure_sensor(job)],
        resources={
            "pipeline": pipeline,
            "dbt": CrmDbtCliResource(
                project_dir=dbt_project(),
                profiles_dir=str(DBT_PROJECT_DIR),
                dbt_executable=dbt_executable("crm-dbt"),
            ),
        },
    )
