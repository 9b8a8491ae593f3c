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
        ("tiers:\n  a_share: 0\n", "tiers.a_share", "greater than 0"),
        ("currency_rates:\n  USD: 0\n", "currency_rates.USD", "greater than 0"),
        ("currency_rates:\n  USD: -7.1\n", "currency_rates.USD", "greater than 0"),
        ("currency_rates:\n  dollar: 7.1\n", "currency_rates", "'dollar' is not"),
        (
            "quality:\n  max_quarantine_rate: -0.1\n",
            "quality.max_quarantine_rate",
            "greater than or equal to 0",
        ),
        (
            "quality:\n  max_quarantine_rate_per_entity:\n    leads: 1.5\n",
            "quality.max_quarantine_rate_per_entity.leads",
            "less than or equal to 1",
        ),
        (
            "quality:\n  max_quarantine_rate_per_entity:\n    lead: 0.1\n",
            "quality.max_quarantine_rate_per_entity",
            "unknown entity 'lead'",
        ),
        ("folders:\n  lead:\n    encoding: gbk\n", "folders", "unknown entity 'lead'"),
        (
            "thresholds:\n  recycle_days: -3\n",
            "thresholds.recycle_days",
            "greater than or equal to 1",
        ),
        (
            "thresholds:\n  at_risk_open_complaint_days: -1\n",
            "thresholds.at_risk_open_complaint_days",
            "greater than or equal to 0",
        ),
        ("alerts:\n  retries: -1\n", "alerts.retries", "greater than or equal to 0"),
        (
            "grading:\n  decision_maker_points: -5\n",
            "grading.decision_maker_points",
            "greater than or equal to 0",
        ),
        (
            "sla:\n  urgentt:\n    response_hours: 1\n    resolution_hours: 2\n",
            "sla.urgentt",
            "not a priority",
        ),
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
    assert "\n" not in message and "Value error" not in message  # one sentence


def test_cli_rejects_nonsense_configuration_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crm_pipeline.cli import main

    config = _write(tmp_path, "quality:\n  max_quarantine_rate_per_entity:\n    lead: 0.1\n")
    (tmp_path / "landing").mkdir()
    warehouse = tmp_path / "warehouse"
    code = main(
        [
            "build",
            "--landing",
            str(tmp_path / "landing"),
            "--warehouse",
            str(warehouse),
            "--as-of",
            "2026-03-31",
            "--config",
            str(config),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "unknown entity 'lead'" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert not warehouse.exists()  # nothing ran, nothing was created


def test_missing_file_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_dbt_project_vars_equal_configuration_defaults() -> None:
    """dbt_project.yml repeats the defaults for standalone dbt runs; keep them identical.
    The business date is the exception: it has no default (a stale one would be used
    silently), so every run must pass it."""
    project_vars = yaml.safe_load(DBT_PROJECT.read_text(encoding="utf-8"))["vars"]
    expected = Settings().dbt_vars(dt.date(2026, 3, 31))
    del expected["as_of_date"]
    assert project_vars == expected


def test_dbt_vars_carry_the_configured_values(tmp_path: Path) -> None:
    path = _write(tmp_path, "currency_rates:\n  USD: 7.1\ntiers:\n  a_share: 0.1\n  b_share: 0.2\n")
    dbt_vars = load_config(path).dbt_vars(dt.date(2024, 5, 6))
    assert dbt_vars["as_of_date"] == "2024-05-06"
    assert dbt_vars["currency_rates"] == {"USD": 7.1}
    assert dbt_vars["tiers"] == {"a_share": 0.1, "b_share": 0.2}
    assert [s["key"] for s in dbt_vars["stages"]][0] == "lead"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("foo: [unclosed\n", "line 2, column 1: expected ',' or ']'"),
        ("a: 1\n  b: 2\n", "line 2, column 4: mapping values are not allowed here"),
    ],
)
def test_yaml_syntax_error_is_one_sentence_with_its_place(
    tmp_path: Path, text: str, where: str
) -> None:
    """A malformed file names its line and column in one line, without PyYAML's dump."""
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"configuration file {tmp_path / 'config.yaml'} is not valid YAML")
    assert where in message


def test_validate_reads_the_config_a_build_in_the_named_warehouse_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """validate has no warehouse of its own, but with CRM_WAREHOUSE_DIR set it judges by
    that warehouse's config.yaml, as `build` there would; --config still wins."""
    from crm_pipeline.cli import validate_config

    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    monkeypatch.delenv("CRM_PIPELINE_CONFIG", raising=False)
    monkeypatch.setenv("CRM_WAREHOUSE_DIR", str(warehouse))
    assert validate_config(None) is None  # no config.yaml there: the defaults
    (warehouse / "config.yaml").write_text("quality:\n  max_quarantine_rate: 0.005\n")
    assert validate_config(None) == warehouse / "config.yaml"
    assert load_config(validate_config(None)).quality.max_quarantine_rate == 0.005
    explicit = _write(tmp_path, "currency: USD\n")
    assert validate_config(explicit) == explicit
