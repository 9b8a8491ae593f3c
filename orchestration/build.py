"""Assemble the Definitions (called lazily by orchestration.definitions)."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from crm_pipeline.config import load_config
from orchestration.assets.data_quality import build_quality_asset
from orchestration.assets.dbt_models import build_dbt_assets
from orchestration.assets.ingest import build_raw_assets
from orchestration.assets.publish import build_publish_asset
from orchestration.assets.report import build_report_asset
from orchestration.dbt import DBT_PROJECT_DIR, dbt_executable, dbt_project, ensure_manifest
from orchestration.freshness import with_mart_freshness
from orchestration.jobs import daily_build_job
from orchestration.partitions import daily_partitions
from orchestration.resources import PipelineResource
from orchestration.runtime import settings_from_environment
from orchestration.schedules import daily_build_schedule
from orchestration.sensors import build_failure_sensor, landing_files_sensor


def _pipeline_timezone() -> str:
    """The configured timezone, read when definitions load (never at import)."""
    config = os.environ.get("CRM_PIPELINE_CONFIG")
    warehouse = os.environ.get("CRM_WAREHOUSE_DIR")
    settings = load_config(
        Path(config) if config else None, Path(warehouse) if warehouse else None
    )
    return settings.timezone


def build_definitions() -> dg.Definitions:
    partitions_def = daily_partitions(_pipeline_timezone())
    manifest = ensure_manifest()
    raw = build_raw_assets(partitions_def)
    quality = build_quality_asset(partitions_def)
    models = with_mart_freshness(build_dbt_assets(manifest, partitions_def))
    publish = build_publish_asset([*models.keys, quality.key], partitions_def)
    report = build_report_asset(partitions_def)
    job = daily_build_job(partitions_def)
    return dg.Definitions(
        assets=[raw, quality, models, publish, report],
        jobs=[job],
        schedules=[daily_build_schedule(job, settings_from_environment())],
        sensors=[landing_files_sensor(job), build_failure_sensor(job)],
        resources={
            "pipeline": PipelineResource(
                landing_dir=dg.EnvVar("CRM_LANDING_DIR"),
                warehouse_dir=dg.EnvVar("CRM_WAREHOUSE_DIR"),
            ),
            "dbt": DbtCliResource(
                project_dir=dbt_project(),
                profiles_dir=str(DBT_PROJECT_DIR),
                dbt_executable=dbt_executable(),
            ),
        },
    )
