"""Dagster resources: where the landing and warehouse folders are and the configuration.

The folders and the configuration file reach every asset, check and sensor through
:class:`PipelineResource`, never through the process environment: the command line builds
the definitions with its own resource (:func:`crm_pipeline.runner.run_build`), tests with
theirs, and ``dagster dev`` / the daemon with :func:`pipeline_from_environment`, which
reads the ``CRM_*`` variables once, read-only, when the definitions load.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from core.paths import WarehousePaths
from core.settings import Settings, load_config
from orchestration.jobs import STEP_RETRY_DELAY_SECONDS

LANDING_ENV = "CRM_LANDING_DIR"
WAREHOUSE_ENV = "CRM_WAREHOUSE_DIR"
CONFIG_ENV = "CRM_PIPELINE_CONFIG"


class PipelineResource(dg.ConfigurableResource):
    """Locations and validated settings of one pipeline installation."""

    landing_dir: str
    warehouse_dir: str
    config_path: str = ""
    # Command-line runs print short progress lines on the terminal while Dagster's own
    # console log stays quiet; the daemon only logs.
    progress_to_terminal: bool = False
    # Seconds before a failed step's first retry (the second waits twice as long).
    step_retry_delay_seconds: float = STEP_RETRY_DELAY_SECONDS

    def paths(self) -> WarehousePaths:
        return WarehousePaths(Path(self.warehouse_dir)).ensure()

    def landing(self) -> Path:
        return Path(self.landing_dir)

    def settings(self) -> Settings:
        """``config_path``, else ``WAREHOUSE/config.yaml``, else the built-in defaults."""
        explicit = Path(self.config_path) if self.config_path else None
        return load_config(explicit, Path(self.warehouse_dir))


def pipeline_from_environment(environ: Mapping[str, str] | None = None) -> PipelineResource:
    """The resource ``dagster dev`` and the daemon use: ``CRM_*`` variables, read once.

    A folder variable that is not set stays a Dagster ``EnvVar``: the code location still
    loads (with the default settings) and a run names the missing variable when it starts.
    """
    env = os.environ if environ is None else environ
    return PipelineResource(
        landing_dir=env.get(LANDING_ENV) or dg.EnvVar(LANDING_ENV),
        warehouse_dir=env.get(WAREHOUSE_ENV) or dg.EnvVar(WAREHOUSE_ENV),
        config_path=env.get(CONFIG_ENV, ""),
    )


def settings_at_load(pipeline: PipelineResource) -> Settings:
    """The settings the definitions are built with (timezone, schedule time).

    Same resolution as :meth:`PipelineResource.settings`; a warehouse folder still to be
    resolved from the environment at run time contributes no ``config.yaml``.
    """
    explicit = Path(pipeline.config_path) if pipeline.config_path else None
    warehouse = pipeline.warehouse_dir
    known = None if isinstance(warehouse, dg.EnvVar) else Path(warehouse)
    return load_config(explicit, known)
