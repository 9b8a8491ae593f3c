"""The dbt project as Dagster sees it: manifest preparation and asset keys and groups.

Asset keys are ``[schema, table]`` (e.g. ``opportunity_funnel/kpi_summary``), so the two
marts' ``kpi_summary`` tables stay distinct; groups are the dbt folder = schema.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from collections.abc import Mapping, Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
)
from packaging.version import Version

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
_FINGERPRINT_PATH = DBT_PROJECT_DIR / "target" / "manifest.fingerprint"

# The dbt var holding the build database's path; profiles.yml reads it (standalone dbt
# runs fall back to CRM_BUILD_DB, then target/dev.duckdb).
BUILD_DB_VAR = "build_db"
# The project's code fingerprint as a dbt var: the incremental staging models keep rows
# computed by the project's macros, so a build with other code rebuilds them from scratch
# (macros/changed_records.sql). dbt itself cannot see macro sources from a model.
CODE_VAR = "project_code"


# dbt's artifacts (manifest, run_results, compiled SQL: ~10 MB a build) go to one folder per
# invocation under WAREHOUSE/build/dbt_target/, never into the source tree; only the
# newest KEEP_TARGET_RUNS folders are kept.
TARGET_DIR_NAME = "dbt_target"
KEEP_TARGET_RUNS = 6  # the last three builds: one `run` and one `test` each


def run_target_path(build_dir: Path, label: str) -> Path:
    """A fresh target folder for one dbt invocation (older ones beyond the last few are
    removed first), named so that name order is time order."""
    import datetime as dt

    root = build_dir / TARGET_DIR_NAME
    prune_target_runs(root, keep=KEEP_TARGET_RUNS - 1)
    # per-run folders earlier versions left inside the dbt project (~11 MB a build)
    for legacy in (DBT_PROJECT_DIR / "target").glob("crm_dbt_models-*"):
        shutil.rmtree(legacy, ignore_errors=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in label)
    return root / f"{stamp}-{safe}"


# dbt's parse state for the build's dbt step (orchestration.dbt_worker), one per warehouse
PARSE_STATE_DIR_NAME = "dbt_parse"


def prune_target_runs(root: Path, keep: int = KEEP_TARGET_RUNS) -> list[Path]:
    """Remove all but the newest ``keep`` per-invocation folders under ``root``."""
    if not root.is_dir():
        return []
    runs = sorted(p for p in root.iterdir() if p.is_dir())
    stale = runs[: max(len(runs) - keep, 0)]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)
    return stale


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR)


def dbt_executable(name: str = "dbt") -> str:
    """The dbt next to this interpreter (the project's venv), so PATH need not be set.

    ``name="crm-dbt"``: the build step's dbt (orchestration.dbt_worker), installed with the
    project as a console script.
    """
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else name


class CrmDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource, without the set-up this project never uses.

    Before starting each dbt command, ``DbtCliResource.cli`` (dagster-dbt 0.29) runs
    ``dbt --version`` in a subprocess (once per resource) and builds a dbt adapter inside
    the calling process: it imports dbt, loads the profile and parses dbt's own macros.
    That costs several CPU seconds per command, on the build's critical path, and serves
    only ``fetch_row_counts()`` and ``fetch_column_metadata()``, which this project does not
    call (row counts come from orchestration.dbt_metadata once dbt has finished: DuckDB
    has one writer). So the version is read from the installed dbt-core package (which
    ``crm-dbt`` beside this interpreter runs, see :func:`dbt_executable`) and no adapter is
    built; dagster-dbt handles a missing adapter. Both are private hooks of dagster-dbt:
    tests/unit/test_dbt_step.py fails if an upgrade renames them.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def project_fingerprint() -> str:
    """Hash of every file dbt parses: the manifest is rebuilt, and incremental staging
    rebuilt from scratch, exactly when it changes."""
    digest = hashlib.sha256()
    for folder in ("models", "macros", "tests"):
        for path in sorted((DBT_PROJECT_DIR / folder).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode())
                digest.update(path.read_bytes())
    for name in ("dbt_project.yml", "profiles.yml"):
        digest.update((DBT_PROJECT_DIR / name).read_bytes())
    return digest.hexdigest()


def project_vars(settings_vars: dict[str, Any], build_db: Path) -> dict[str, Any]:
    """The vars of every dbt command on a warehouse: the configured settings (with the
    build date), the build database, and the fingerprint of the project's code."""
    return {**settings_vars, BUILD_DB_VAR: str(build_db), CODE_VAR: project_fingerprint()}


def ensure_manifest() -> Path:
    """Parse the dbt project when its files changed since the last parse.

    ``DbtProject.prepare_if_dev()`` only parses under ``dagster dev``; the CLI and tests
    load definitions outside it, so they need this.
    """
    fingerprint = project_fingerprint()
    if (
        MANIFEST_PATH.exists()
        and _FINGERPRINT_PATH.exists()
        and _FINGERPRINT_PATH.read_text() == fingerprint
    ):
        return MANIFEST_PATH
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(
        [
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--quiet",
        ]
    )
    if not result.success:
        raise RuntimeError(f"dbt could not parse {DBT_PROJECT_DIR}: {result.exception}")
    _FINGERPRINT_PATH.write_text(fingerprint)
    return MANIFEST_PATH


class CrmDbtTranslator(DagsterDbtTranslator):
    """Keys ``[schema, alias]`` for models, ``[schema, table]`` for sources; group = schema.

    A source's key is its raw table's (``raw/leads``), the asset the ingest step
    materialises, so dbt's source tests (the contract's column tests) show up as asset
    checks on the raw assets rather than as separate, never-materialised source assets.
    """

    def __init__(self) -> None:
        super().__init__(
            settings=DagsterDbtTranslatorSettings(
                enable_asset_checks=True, enable_source_tests_as_checks=True
            )
        )

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = _node(manifest, unique_id)
        if node["resource_type"] == "source":
            return spec.replace_attributes(key=dg.AssetKey([node["schema"], node["name"]]))
        schema = node["config"].get("schema") or node["schema"]
        alias = node.get("alias") or node["name"]
        return spec.replace_attributes(key=dg.AssetKey([schema, alias]), group_name=schema)

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """dbt tests as non-blocking checks: the publish step's gate blocks on them.

        dagster-dbt makes error-severity tests blocking, which fails the dbt step itself:
        the run would end as *failed* (exit 1), with no publish-log row, report or alert,
        instead of *blocked* (exit 2) with the failing test named. The gate
        (quality.gate) reads every error-severity test result and refuses to publish.
        """
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        return spec._replace(blocking=False) if spec is not None else None


def _node(manifest: Mapping[str, Any], unique_id: str) -> Mapping[str, Any]:
    if unique_id in manifest.get("sources", {}):
        return manifest["sources"][unique_id]
    return manifest["nodes"][unique_id]
