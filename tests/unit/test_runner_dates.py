"""A build date outside the job's partitions is refused in one sentence before Dagster
runs (Dagster's own refusal is an exception naming an unknown partition key)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crm_pipeline.runner import _check_in_history, require_landing_folder
from orchestration.partitions import daily_partitions

START = dt.date(2026, 1, 1)
ZONE = "Asia/Shanghai"


def _today_there() -> dt.date:
    return dt.datetime.now(ZoneInfo(ZONE)).date()


def test_today_and_the_first_day_are_accepted() -> None:
    partitions = daily_partitions(ZONE, START)
    _check_in_history(partitions, START)
    _check_in_history(partitions, _today_there())


def test_a_date_after_today_is_one_sentence_naming_today() -> None:
    partitions = daily_partitions(ZONE, START)
    today = _today_there()
    with pytest.raises(ValueError) as caught:
        _check_in_history(partitions, today + dt.timedelta(days=2))
    message = str(caught.value)
    assert message == (
        f"as of {today + dt.timedelta(days=2)} is after today ({today} in {ZONE}): "
        "a business date can be today at the latest"
    )


def test_a_date_before_the_history_names_its_first_day() -> None:
    with pytest.raises(ValueError, match="before the history's first business date 2026-01-01"):
        _check_in_history(daily_partitions(ZONE, START), dt.date(2025, 12, 31))


def test_a_landing_path_that_is_a_file_is_named_as_one(tmp_path: Path) -> None:
    afile = tmp_path / "2026-09-01.csv"
    afile.write_text("lead_id\n")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        require_landing_folder(afile)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        require_landing_folder(tmp_path / "nowhere")
    require_landing_folder(tmp_path)
