"""The command line: dbt's exit codes, and `report --send` with no channel."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.paths import WarehousePaths
from core.settings import AlertChannel, ReportsConfig, Settings
from crm_pipeline import dbt_cli
from crm_pipeline.cli import main, unsent_note


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


# ------------------------------------------------------------------------ report --send
def _settings(**fields: Any) -> Settings:
    return Settings(**fields)


def test_send_without_report_channels_says_nothing_was_sent() -> None:
    note = unsent_note(_settings(), send=True)
    assert note is not None
    assert "nothing was sent" in note and "no report channel is configured" in note
    assert "reports.channels" in note and "\n" not in note


def test_alert_channels_do_not_count_as_report_channels() -> None:
    alerts = {"channels": [{"name": "hook", "url": "jsons://hooks.example.com/x"}]}
    note = unsent_note(_settings(alerts=alerts), send=True)
    assert note is not None and "reports.channels" in note


def test_owner_digests_without_report_channels_are_named() -> None:
    settings = _settings(owners={"张伟": "jsons://hooks.example.com/zw"})
    note = unsent_note(settings, send=True)
    assert note is not None and "owners' digests" in note and "nothing was sent" not in note


def test_no_note_with_a_report_channel_or_without_send() -> None:
    channel = AlertChannel(name="hook", url="jsons://hooks.example.com/x")
    assert unsent_note(_settings(reports=ReportsConfig(channels=[channel])), send=True) is None
    assert unsent_note(_settings(), send=False) is None


def test_report_send_prints_the_note_and_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from delivery.decks import service
    from delivery.decks.build import DeckFiles

    deck = tmp_path / "reports" / "opportunity_deck.html"
    seen: dict[str, Any] = {}

    def fake_make_decks(*args: Any, **kwargs: Any) -> service.DeckRun:
        seen.update(kwargs)
        files = DeckFiles(dt.date(2026, 3, 31), deck.parent, {deck.name: deck})
        return service.DeckRun(files)  # no channel: nothing sent, no results

    monkeypatch.setattr(service, "make_decks", fake_make_decks)
    monkeypatch.delenv("CRM_PIPELINE_CONFIG", raising=False)  # the built-in defaults
    code = main(["report", "--warehouse", str(tmp_path), "--send"])
    out = capsys.readouterr().out
    assert code == 0
    assert seen["send"] is True
    assert str(deck) in out
    assert [line for line in out.splitlines() if "no report channel is configured" in line]
