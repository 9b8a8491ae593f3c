"""The dbt step's fixed costs: what runs before and between its dbt commands."""

from __future__ import annotations

from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import pytest
from dagster_dbt import DbtCliResource
from packaging.version import Version

from orchestration.dbt import DBT_PROJECT_DIR, CrmDbtCliResource, dbt_executable


def test_dagster_dbt_still_has_the_hooks_the_resource_overrides() -> None:
    # an upgrade renaming them would silently bring back seconds of set-up per dbt command
    assert "_cli_version" in vars(DbtCliResource)
    assert "_initialize_dbt_core_adapter" in vars(DbtCliResource)


def test_a_dbt_command_starts_without_a_version_subprocess_or_an_adapter(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from dagster_dbt.core import resource as dagster_dbt_resource
    from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

    def no_subprocess(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError(f"a subprocess was started before dbt: {args}")

    started: dict[str, Any] = {}

    def record_start(**kwargs: Any) -> str:
        started.update(kwargs)
        return "started"

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    monkeypatch.setattr(DbtCliInvocation, "run", staticmethod(record_start))
    resource = CrmDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )
    assert resource.cli(["parse"], target_path=tmp_path / "target") == "started"
    assert started["adapter"] is None
    # dbt-core, not the Fusion engine: dagster-dbt reads dbt-core's JSON events
    assert started["cli_version"] == Version(installed_version("dbt-core"))
    assert started["cli_version"].major == 1
