"""Dagster resources: where the landing and warehouse folders are and the configuration.

Values are resolved when a run starts (EnvVar), never at import time, so the same
definitions serve the CLI, tests and `dagster dev`.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from core.paths import WarehousePaths
from core.settings import Settings, load_config


class PipelineResource(dg.ConfigurableResource):
    """Locations and validated settings of one pipeline installation."""

    landing_dir: str
    warehouse_dir: str
    config_path: str = ""

    def paths(self) -> WarehousePaths:
        return WarehousePaths(Path(self.warehouse_dir)).ensure()

    def landing(self) -> Path:
        return Path(self.landing_dir)

    def settings(self) -> Settings:
        explicit = self.config_path or os.environ.get("CRM_PIPELINE_CONFIG", "")
        return load_config(Path(explicit) if explicit else None, Path(self.warehouse_dir))
