"""Configuration: defaults from the spec and the contract, clear errors, dbt vars in sync."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from core.settings import ConfigError, Settings, load_config

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_follow_the_spec() -> None:
    settings = Settings()
    assert settings.timezone == "Asia/Shanghai"
    assert settings.currency == "CNY"
    assert settings.quality.max_quarantine_rate == 0.2
    assert settings.thresholds.no_touch_days == 14
    assert settings.thresholds.churn_inactive_days == 180
    stages = {s.key: (s.probability, s.stall_days) for s in settings.stages()}
    assert stages["proposal"] == (50, 21)
    assert stages["won"] == (100, None)
    assert settings.sla["urgent"].response_hours == 1
    assert settings.sla["low"].resolution_hours == 168
    assert settings.schedule.time == "06:00"
    assert settings.schedule_timezone == "Asia/Shanghai"


def test_stage_aliases_map_to_keys() -> None:
    aliases = Settings().alias_map("stage")
    assert aliases["谈判签约"] == "negotiation"
    assert aliases["WON".casefold()] == "won"
    assert aliases["丢单"] == "lost"


def test_no_file_gives_defaults(tmp_path: Path) -> None:
    assert load_config(None, tmp_path) == Settings()


def test_warehouse_default_file_is_used(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("currency: USD\n", encoding="utf-8")
    assert load_config(None, tmp_path).currency == "USD"


def test_partial_override_keeps_other_defaults(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "thresholds:\n  no_touch_days: 10\nquality:\n  max_quarantine_rate: 0.05\n"
    )
    settings = load_config(path)
    assert settings.thresholds.no_touch_days == 10
    assert settings.thresholds.recycle_days == 60
    assert settings.quality.limit_for("leads") == 0.05


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("timezone: Mars/Olympus\n", "timezone", "unknown time zone"),
        ("thresholds:\n  no_touch_days: 0\n", "thresholds.no_touch_days", "greater than or equal"),
        ("quality:\n  max_quarantine_rate: 2\n", "quality.max_quarantine_rate", "less than"),
        ("schedule:\n  time: '25:00'\n", "schedule.time", "HH:MM"),
        ("currency: yuan\n", "currency", "ISO 4217"),
        ("unknown_key: 1\n", "unknown_key", "Extra inputs"),
        ("tiers:\n  a_share: 0.8\n  b_share: 0.5\n", "tiers", "at most 1"),
    ],
)
def test_invalid_configuration_names_key_and_reason(
    tmp_path: Path, text: str, key: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text))
    message = str(info.value)
    assert key in message
    assert reason in message


def test_missing_file_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_dbt_project_vars_equal_configuration_defaults() -> None:
    """dbt_project.yml repeats the defaults for standalone dbt runs; keep them identical."""
    project_vars = yaml.safe_load(DBT_PROJECT.read_text(encoding="utf-8"))["vars"]
    expected = Settings().dbt_vars(dt.date(2026, 3, 31))
    assert project_vars == expected


def test_dbt_vars_carry_the_configured_values(tmp_path: Path) -> None:
    path = _write(tmp_path, "currency_rates:\n  USD: 7.1\ntiers:\n  a_share: 0.1\n  b_share: 0.2\n")
    dbt_vars = load_config(path).dbt_vars(dt.date(2024, 5, 6))
    assert dbt_vars["as_of_date"] == "2024-05-06"
    assert dbt_vars["currency_rates"] == {"USD": 7.1}
    assert dbt_vars["tiers"] == {"a_share": 0.1, "b_share": 0.2}
    assert [s["key"] for s in dbt_vars["stages"]][0] == "lead"
