"""Pipeline configuration: one YAML file, validated at start-up (operations.md).

Resolution order: an explicit path (``--config`` / ``CRM_PIPELINE_CONFIG``), else
``WAREHOUSE/config.yaml`` when it exists, else the built-in defaults below. Enumeration
defaults come from the source contract (core/contract.yaml); every other default is the
spec's. An invalid file fails with the key and the reason, never with a stack trace.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.contract import EnumValue, alias_map, load_contract


class ConfigError(ValueError):
    """The configuration file is invalid; the message names the key and the reason."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


Rate = Annotated[float, Field(ge=0, le=1)]
PositiveRate = Annotated[float, Field(gt=0)]
Points = Annotated[int, Field(ge=0)]


def _known_entities(keys: object, section: str) -> None:
    """Per-entity keys must name contract entities (``leads``, not ``lead``)."""
    entities = list(load_contract().entities)
    unknown = sorted(set(keys) - set(entities))  # type: ignore[call-overload]
    if unknown:
        raise ValueError(
            f"unknown entity {unknown[0]!r} in {section} (expected one of {', '.join(entities)})"
        )


def _contract_enums() -> dict[str, list[EnumValue]]:
    return {name: list(enum.values) for name, enum in load_contract().enums.items()}


class Thresholds(_Section):
    """Day counts and limits the marts use (marts.md)."""

    no_touch_days: int = Field(14, ge=1)
    recycle_days: int = Field(60, ge=1)
    churn_inactive_days: int = Field(180, ge=1)
    new_customer_days: int = Field(90, ge=1)
    at_risk_inactive_days: int = Field(90, ge=1)
    at_risk_satisfaction_window_days: int = Field(90, ge=1)
    at_risk_max_avg_satisfaction: float = Field(2.5, ge=1, le=5)
    at_risk_open_complaint_days: int = Field(7, ge=0)
    churn_watch_days: int = Field(90, ge=1)
    outlier_amount_multiple: float = Field(100, gt=1)


class Attention(_Section):
    """Rules of the opportunity funnel's attention list (marts.md, attention_list).

    ``no_close_date_stage``: an open deal at or past this stage needs an expected close date.
    ``recyclable_loss_reasons``: loss reasons (exact text) after which a lost deal is worth
    another try once ``thresholds.recycle_days`` have passed; the defaults are the generator's
    reasons that say "not now" rather than "never" (budget, timing, changed needs).
    """

    no_close_date_stage: str = "proposal"
    recyclable_loss_reasons: list[str] = Field(
        default_factory=lambda: ["预算取消", "项目搁置", "需求变更", "无预算", "时机未到"]
    )


class GradeBand(_Section):
    """Points for an amount at or above ``min_amount``."""

    min_amount: float = Field(ge=0)
    points: int = Field(ge=0)


class Grading(_Section):
    """商机分级: a score card over amount, urgency, decision maker and source.

    Score = amount points (highest band reached) + urgency points + decision-maker points
    + source points. Grade A at ``a_min_score`` or more, B at ``b_min_score`` or more,
    else C. The defaults give A to large, urgent deals with the decision maker engaged,
    and C to small, low-urgency leads without one.
    """

    amount_bands: list[GradeBand] = Field(
        default_factory=lambda: [
            GradeBand(min_amount=1_000_000, points=40),
            GradeBand(min_amount=300_000, points=30),
            GradeBand(min_amount=100_000, points=20),
            GradeBand(min_amount=0, points=5),
        ]
    )
    urgency_points: dict[str, Points] = Field(
        default_factory=lambda: {"high": 25, "medium": 15, "low": 5}
    )
    decision_maker_points: int = Field(25, ge=0)
    source_points: dict[str, Points] = Field(
        default_factory=lambda: {
            "referral": 10,
            "expo": 8,
            "website": 6,
            "phone": 5,
            "third_party": 4,
            "advertising": 3,
            "other": 0,
        }
    )
    a_min_score: int = Field(70, ge=0)
    b_min_score: int = Field(40, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Grading:
        if self.b_min_score > self.a_min_score:
            raise ValueError("b_min_score must not exceed a_min_score")
        return self


class Tiers(_Section):
    """客户分层 by lifetime-value rank: top ``a_share`` = A, next ``b_share`` = B, rest C."""

    a_share: float = Field(0.2, gt=0, lt=1)
    b_share: float = Field(0.3, gt=0, lt=1)

    @model_validator(mode="after")
    def _fits(self) -> Tiers:
        if self.a_share + self.b_share > 1:
            raise ValueError("a_share + b_share must be at most 1")
        return self


class SlaLimit(_Section):
    response_hours: float = Field(gt=0)
    resolution_hours: float = Field(gt=0)


def _default_sla() -> dict[str, SlaLimit]:
    return {
        "urgent": SlaLimit(response_hours=1, resolution_hours=8),
        "high": SlaLimit(response_hours=4, resolution_hours=24),
        "medium": SlaLimit(response_hours=8, resolution_hours=72),
        "low": SlaLimit(response_hours=24, resolution_hours=168),
    }


class QualityConfig(_Section):
    """The publish gate's threshold (quality.md), globally or per entity."""

    max_quarantine_rate: float = Field(0.2, ge=0, le=1)
    max_quarantine_rate_per_entity: dict[str, Rate] = Field(default_factory=dict)

    @field_validator("max_quarantine_rate_per_entity")
    @classmethod
    def _entities(cls, value: dict[str, float]) -> dict[str, float]:
        _known_entities(value, "max_quarantine_rate_per_entity")
        return value

    def limit_for(self, entity: str) -> float:
        return self.max_quarantine_rate_per_entity.get(entity, self.max_quarantine_rate)


class AlertChannel(_Section):
    """One notification target, as an apprise URL.

    Secrets are written as ``${ENV_VAR}`` placeholders and filled from the environment
    when the alert is sent, so no token ever sits in the file.
    """

    name: str
    url: str

    @field_validator("url")
    @classmethod
    def _no_literal_secret_check(cls, url: str) -> str:
        if "://" not in url:
            raise ValueError("must be a notification URL such as slack://… or mailtos://…")
        return url


class AlertsConfig(_Section):
    channels: list[AlertChannel] = Field(default_factory=list)
    # zh: every word Chinese (the managers' language); en; both: Chinese, then English
    language: Literal["zh", "en", "both"] = "zh"
    # each owner's records to fix listed in the alert; the rest are in the report
    records_per_owner: int = Field(5, ge=1, le=100)
    send_all_clear: bool = False
    retries: int = Field(3, ge=0, le=10)
    retry_wait_seconds: float = Field(2.0, ge=0)
    timeout_seconds: float = Field(10.0, gt=0)


class ServingConfig(_Section):
    """Serving the marts from PostgreSQL as well as the DuckDB file (docs/scaling.md).

    ``dsn`` is a libpq connection string or URI written with ``${ENV_VAR}`` placeholders
    (e.g. ``${PG_DSN}``): the secret is filled from the environment only when publishing
    or running ``serve-setup``, and never logged.
    """

    target: Literal["postgres"] = "postgres"
    dsn: str
    # The role BI users read through (granted to their logins); serve-setup creates it.
    reader_role: str = Field("crm_reader", pattern=r"^[a-z_][a-z0-9_]*$")
    # How long the swap may wait for BI transactions still reading the old marts.
    lock_timeout_seconds: float = Field(60.0, gt=0)

    @field_validator("dsn")
    @classmethod
    def _placeholder_only(cls, dsn: str) -> str:
        if "${" not in dsn:
            raise ValueError("must be an environment placeholder such as ${PG_DSN}")
        return dsn


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ReportCadence(_Section):
    """When the decks are sent after a published build as of D (the build runs on D + 1).

    商机周报 when D + 1 is ``opportunity_weekday`` (default Monday: the week that ended);
    客户月报 when D + 1 is day ``customer_day_of_month`` (default the 1st: the month that
    ended). ``crm-pipeline report --send`` sends on demand, whatever the day.
    """

    opportunity_weekday: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = "monday"
    customer_day_of_month: int = Field(1, ge=1, le=28)


class ReportsConfig(_Section):
    """The manager decks (issue 12): language, link, cadence and where they go."""

    language: Literal["zh", "en"] = "zh"
    base_url: str | None = None  # where WAREHOUSE/reports is served; chat messages link to it
    cadence: ReportCadence = Field(default_factory=ReportCadence)
    # Same URL format as alerts.channels; none by default, so quality-alert recipients
    # (often a data team) do not start receiving decks unasked.
    channels: list[AlertChannel] = Field(default_factory=list)
    send: bool = True  # send on the cadence after published builds


class ScheduleConfig(_Section):
    time: str = "06:00"
    timezone: str | None = None  # defaults to the pipeline timezone

    @field_validator("time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("must be HH:MM (24-hour clock)")
        return value


class FolderConfig(_Section):
    """Per landing folder reading options."""

    encoding: str | None = None  # detected when not set
    sheet: str | int | None = None  # xlsx: first sheet when not set
    header_row: int = Field(1, ge=1)  # xlsx: 1-based row holding the headers


class Settings(_Section):
    """The validated configuration of one pipeline installation."""

    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    currency_rates: dict[str, PositiveRate] = Field(default_factory=dict)
    enums: dict[str, list[EnumValue]] = Field(default_factory=_contract_enums)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    grading: Grading = Field(default_factory=Grading)
    attention: Attention = Field(default_factory=Attention)
    tiers: Tiers = Field(default_factory=Tiers)
    sla: dict[str, SlaLimit] = Field(default_factory=_default_sla)
    quality: QualityConfig = Field(default_factory=QualityConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    folders: dict[str, FolderConfig] = Field(default_factory=dict)
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    # owner name -> apprise URL (``${VAR}`` placeholders) for the per-owner digest
    owners: dict[str, str] = Field(default_factory=dict)
    # First business date of the history (first Dagster partition); default: the earliest
    # date in a landed file's name (orchestration/partitions.py).
    history_start: dt.date | None = None
    # PostgreSQL serving next to the DuckDB file; None: DuckDB file and Parquet only
    serving: ServingConfig | None = None

    @field_validator("owners")
    @classmethod
    def _owner_urls(cls, owners: dict[str, str]) -> dict[str, str]:
        for owner, url in owners.items():
            if "://" not in url:
                raise ValueError(f"{owner!r}: must be a notification URL such as mailto://…")
        return owners

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError("must be a three-letter ISO 4217 code such as CNY")
        return value

    @field_validator("currency_rates")
    @classmethod
    def _rate_codes(cls, value: dict[str, float]) -> dict[str, float]:
        for code in value:
            if not re.fullmatch(r"[A-Z]{3}", code):
                raise ValueError(f"{code!r} is not a three-letter ISO 4217 code such as USD")
        return value

    @field_validator("folders")
    @classmethod
    def _folder_entities(cls, value: dict[str, FolderConfig]) -> dict[str, FolderConfig]:
        _known_entities(value, "folders")
        return value

    @model_validator(mode="after")
    def _complete(self) -> Settings:
        contract = load_contract()
        merged = _contract_enums()
        merged.update(self.enums)
        self.enums = merged
        for name in self.enums:
            if name not in contract.enums:
                raise ValueError(f"enums.{name}: not an enumeration of the contract")
        stage_keys = [v.key for v in self.enums["stage"]]
        for required in ("lead", "won", "lost"):
            if required not in stage_keys:
                raise ValueError(f"enums.stage must keep the stage {required!r}")
        for value in self.enums["stage"]:
            if value.probability is None:
                raise ValueError(f"enums.stage.{value.key}: probability is required")
            if not value.terminal and value.stall_days is None:
                raise ValueError(f"enums.stage.{value.key}: stall_days is required")
        priorities = [v.key for v in self.enums["priority"]]
        extra = sorted(set(self.sla) - set(priorities))
        if extra:
            raise ValueError(
                f"sla.{extra[0]}: not a priority (expected one of {', '.join(priorities)})"
            )
        if self.attention.no_close_date_stage not in stage_keys:
            raise ValueError("attention.no_close_date_stage: not a configured stage")
        missing = set(priorities) - set(self.sla)
        if missing:
            raise ValueError(f"sla: no limits for priority {sorted(missing)}")
        return self

    # ----------------------------------------------------------------- derived views
    @property
    def schedule_timezone(self) -> str:
        return self.schedule.timezone or self.timezone

    def stages(self) -> list[EnumValue]:
        return list(self.enums["stage"])

    def alias_map(self, enum: str) -> dict[str, str]:
        """Normalised key or alias -> canonical key, for one configured enumeration."""
        return alias_map(self.enums[enum])

    def dbt_vars(self, as_of_date: dt.date) -> dict[str, Any]:
        """Everything the dbt models may not hard-code, passed as ``--vars``."""
        return {
            "as_of_date": as_of_date.isoformat(),
            "timezone": self.timezone,
            "currency": self.currency,
            "currency_rates": self.currency_rates,
            "stages": [
                {
                    "key": v.key,
                    "label_zh": v.label_zh,
                    "order": i + 1,
                    "probability": v.probability,
                    "stall_days": v.stall_days,
                    "terminal": v.terminal,
                }
                for i, v in enumerate(self.enums["stage"])
            ],
            "enum_keys": {name: [v.key for v in values] for name, values in self.enums.items()},
            "thresholds": self.thresholds.model_dump(),
            "grading": self.grading.model_dump(),
            "attention": self.attention.model_dump(),
            "tiers": self.tiers.model_dump(),
            "sla": {k: v.model_dump() for k, v in self.sla.items()},
        }


def _format_error(exc: ValidationError) -> str:
    """``invalid configuration: KEY: reason`` for the first problem, one sentence."""
    first = exc.errors()[0]
    reason = str(first["msg"]).removeprefix("Value error, ")
    key = ".".join(str(part) for part in first["loc"])
    if not key:  # a whole-file rule: its message starts with the key it is about
        return f"invalid configuration: {reason}"
    return f"invalid configuration: {key}: {reason}"


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """The parser's complaint as one line: where (1-based line and column) and what.

    PyYAML's own text spans several lines with the offending source and a caret; a
    configuration error is one sentence (the file is named by the caller).
    """
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}{problem}" + (f" ({context})" if context else "")


def config_file(path: Path | None, warehouse: Path | None) -> Path | None:
    """The configuration file a build reads: ``path``, else the warehouse's
    ``config.yaml`` when there is one, else None (the built-in defaults)."""
    if path is None and warehouse is not None and (warehouse / "config.yaml").exists():
        return warehouse / "config.yaml"
    return path


def load_config(path: Path | None = None, warehouse: Path | None = None) -> Settings:
    """Load and validate the configuration; raise :class:`ConfigError` naming key and reason."""
    candidate = config_file(path, warehouse)
    if candidate is None:
        return Settings()
    if not candidate.exists():
        raise ConfigError(f"configuration file {candidate} does not exist")
    try:
        data = yaml.safe_load(candidate.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"configuration file {candidate} is not valid YAML: {_yaml_problem(exc)}"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"configuration file {candidate} must hold a mapping of keys")
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{candidate}: {_format_error(exc)}") from exc
