"""The command line: dbt's exit codes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.paths import WarehousePaths
from crm_pipeline import dbt_cli
from crm_pipeline.cli import main


# ---------------------------------------------------------------------------- dbt exit
@pytest.mark.parametrize(
    ("dbt_code", "ours"), [(0, 0), (1, 1), (2, 1), (3, 1), (127, 1), (-9, 1), (-15, 1)]
)
def test_dbt_exit_codes_other_than_0_and_1_become_1(dbt_code: int, ours: int) -> None:
    assert dbt_cli.exit_code(dbt_code) == ours


@pytest.mark.parametrize("private", [False, True])
def test_dbt_usage_error_is_not_reported_as_blocked(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    private: bool,
) -> None:
    paths = WarehousePaths(tmp_path)
    paths.build_db.parent.mkdir(parents=True, exist_ok=True)
    paths.build_db.write_bytes(b"")  # run_dbt only needs it to exist; dbt is faked below
    commands: list[list[str]] = []

    def fake_dbt(command: list[str], check: bool) -> subprocess.CompletedProcess[bytes]:
        commands.append(command)
        return subprocess.CompletedProcess(command, returncode=2)  # click's usage error

    monkeypatch.setattr(dbt_cli.subprocess, "run", fake_dbt)
    monkeypatch.delenv("CRM_PIPELINE_CONFIG", raising=False)
    argv = ["dbt", "--warehouse", str(tmp_path), "--as-of", "2026-03-31"]
    argv += ["--private"] if private else []
    code = main([*argv, "--", "notacommand"])
    assert code == 1
    assert len(commands) == 1 and commands[0][1] == "notacommand"
    assert "dbt exited with code 2" in capsys.readouterr().err
