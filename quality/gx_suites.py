"""Great Expectations suites generated from the contract, run on pandas batches.

Every expectation is derived from ``core/contract.yaml`` (through
:func:`core.contract.load_contract`) and the configured enumerations; nothing here names
a contract column. GX runs on pandas DataFrames (its SQL data source does not work with
DuckDB), with ``result_format`` COMPLETE so that every failing row comes back (by its
position in the batch, mapped back to its ``_row_id``) and can be quarantined on its own.

A GX ``exception_info`` with ``raised_exception`` set means GX could not evaluate an
expectation: that is an *infrastructure* error, reported separately (it blocks the
publish) and never counted as failing data.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.contract import Entity
from core.masking import scrub
from core.rules import Rule
from core.settings import Settings

ROW_ID = "_row_id"
MAX_ECHO = 40


@dataclass(frozen=True)
class ContractCheck:
    """One expectation derived from the contract, with the quality rule it enforces."""

    key: str  # unique within the entity, e.g. "required:owner"
    entity: str
    rule: Rule  # required | conditional | range | enumeration
    column: str
    kind: str  # not_null | in_set | between | pair_not_before
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the expectation reads (its own, a pair's other, a condition's)."""
        p = self.params
        others = (p.get("other"), p.get("when_column"), p.get("unless_null"))
        return (self.column, *(c for c in others if c))


def suite_columns(checks: Iterable[ContractCheck]) -> list[str]:
    """The columns a suite reads, in first-use order: all a validation batch needs.

    Fetching only these (plus ``_row_id``) halves the fetch and speeds up validation
    (issue 14); the findings are the same because no expectation reads another column.
    """
    needed: dict[str, None] = {}
    for check in checks:
        needed.update(dict.fromkeys(check.columns))
    return list(needed)


@dataclass
class GxFinding:
    """A failing row: which check, which row, and a detail free of personal data."""

    check: ContractCheck
    row_id: str
    detail: str


@dataclass
class GxChunkResult:
    findings: list[GxFinding] = field(default_factory=list)
    infrastructure_errors: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------- the check plan
def contract_checks(entity: Entity, settings: Settings) -> list[ContractCheck]:
    """Required, conditional, range and enumeration checks of one entity, from the contract."""
    checks: list[ContractCheck] = []
    for col in entity.columns:
        if col.required:
            checks.append(
                ContractCheck(
                    f"required:{col.name}",
                    entity.name,
                    Rule.REQUIRED,
                    col.name,
                    "not_null",
                    description=f"{col.name} must be filled",
                )
            )
        if col.required_unless:
            checks.append(
                ContractCheck(
                    f"required:{col.name}",
                    entity.name,
                    Rule.REQUIRED,
                    col.name,
                    "not_null",
                    {"unless_null": col.required_unless},
                    f"{col.name} must be filled unless {col.required_unless} is given",
                )
            )
        if col.required_when:
            values = list(col.required_when.in_)
            checks.append(
                ContractCheck(
                    f"conditional:{col.name}",
                    entity.name,
                    Rule.CONDITIONAL,
                    col.name,
                    "not_null",
                    {"when_column": col.required_when.column, "when_in": values},
                    f"{col.name} must be filled when {col.required_when.column} is "
                    + " or ".join(values),
                )
            )
        low = col.min if col.min is not None else (0.0 if col.type == "money" else None)
        if col.type in {"money", "integer", "number"} and (low is not None or col.max is not None):
            checks.append(
                ContractCheck(
                    f"range:{col.name}",
                    entity.name,
                    Rule.RANGE,
                    col.name,
                    "between",
                    {"min": low, "max": col.max},
                    _range_text(col.name, low, col.max),
                )
            )
        if col.type == "enum" and col.enum:
            keys = [v.key for v in settings.enums[col.enum]]
            checks.append(
                ContractCheck(
                    f"enumeration:{col.name}",
                    entity.name,
                    Rule.ENUMERATION,
                    col.name,
                    "in_set",
                    {"values": keys, "enum": col.enum},
                    f"{col.name} must be one of the configured {col.enum} values",
                )
            )
    for rule in entity.rules:
        checks.append(
            ContractCheck(
                f"conditional:{rule.name}",
                entity.name,
                Rule.CONDITIONAL,
                rule.column,
                "pair_not_before",
                {"other": rule.not_before, "rule_name": rule.name},
                rule.description,
            )
        )
    return checks


def _range_text(column: str, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{column} must be between {low:g} and {high:g}"
    if low is not None:
        return f"{column} must be at least {low:g}"
    return f"{column} must be at most {high:g}"


# ----------------------------------------------------------------------- GX plumbing
def _quiet_gx() -> None:
    """No chatter in the pipeline's logs (progress bars and analytics: see GxValidator)."""
    for name in ("great_expectations", "great_expectations.core", "tqdm"):
        logging.getLogger(name).setLevel(logging.ERROR)


_GX_MODULES = (
    "great_expectations",
    "great_expectations.data_context.types.base",
    "great_expectations.validator.v1_validator",
    "great_expectations.expectations",
)


def warm_up() -> threading.Thread:
    """Import Great Expectations in a background thread; the thread, already started.

    Importing GX takes seconds of Python (2.5–4 s here), paid by every build before its
    first validation. A build starts this while it loads the landing folder — DuckDB work
    that leaves the interpreter free — so the quality step finds GX imported, or waits on
    Python's import lock for the rest of it. Nothing else happens in the thread, and a
    failed import there is left to the quality step, which imports GX again and fails
    in its own place with its own message.
    """

    def import_all() -> None:
        with contextlib.suppress(Exception):
            for module in _GX_MODULES:
                importlib.import_module(module)

    _quiet_gx()
    thread = threading.Thread(target=import_all, name="great-expectations-import", daemon=True)
    thread.start()
    return thread


class GxValidator:
    """One ephemeral GX context per build (creating it is slow), one suite per entity."""

    def __init__(self) -> None:
        _quiet_gx()
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.validator.v1_validator import Validator

        self._gx = gx
        self._validator_class = Validator
        self.context = gx.get_context(mode="ephemeral")
        self.context.enable_analytics(False)  # GX's own setting, not the process environment
        self.context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        self._source = self.context.data_sources.add_pandas("crm_new_rows")
        self._batches: dict[str, Any] = {}
        self._suites: dict[str, Any] = {}
        self._checks: dict[str, dict[str, ContractCheck]] = {}

    @property
    def registered(self) -> set[str]:
        """Entities whose suite exists in this context."""
        return set(self._suites)

    def register(self, entity: str, checks: Iterable[ContractCheck]) -> None:
        """Build the entity's suite and its whole-dataframe batch definition."""
        gx = self._gx
        asset = self._source.add_dataframe_asset(entity)
        self._batches[entity] = asset.add_batch_definition_whole_dataframe(f"{entity}_chunk")
        suite = gx.ExpectationSuite(name=f"crm_{entity}")
        by_key: dict[str, ContractCheck] = {}
        for check in checks:
            suite.add_expectation(_expectation(check))
            by_key[check.key] = check
        self._suites[entity] = self.context.suites.add(suite)
        self._checks[entity] = by_key

    def validate(self, entity: str, frame: pd.DataFrame) -> GxChunkResult:
        """Validate one chunk; failing rows by ``_row_id``, GX failures as infrastructure.

        GX sees the chunk without ``_row_id`` (nothing checks it) and with its text as
        categories (:func:`gx_frame`), and reports failing rows by position; the row ids
        and the values a detail echoes are then looked up here, vectorised, in ``frame``.
        """
        outcome = GxChunkResult()
        if frame.empty or not self._checks.get(entity):
            return outcome
        if ROW_ID not in frame.columns:  # a caller's bug: failing rows could not be named
            outcome.infrastructure_errors.append(
                f"Great Expectations could not validate {entity}: the batch has no {ROW_ID}"
            )
            return outcome
        frame = frame.reset_index(drop=True)  # GX's positions are this frame's labels
        try:
            # One validator per frame loads the batch once (``get_batch`` followed by
            # ``Batch.validate`` loads and fingerprints the whole frame twice).
            result = self._validator_class(
                batch_definition=self._batches[entity],
                batch_parameters={"dataframe": gx_frame(frame)},
                result_format={"result_format": "COMPLETE", "return_unexpected_index_query": False},
            ).validate_expectation_suite(self._suites[entity])
        except Exception as exc:  # GX itself failed: not a data problem
            outcome.infrastructure_errors.append(
                f"Great Expectations could not validate {entity}: {type(exc).__name__}: "
                f"{scrub(str(exc))}"
            )
            return outcome
        for item in result.results:
            check = self._checks[entity].get(str(item.expectation_config.meta.get("check")))
            if check is None:
                continue
            error = _raised(item.exception_info)
            if error is not None:
                outcome.infrastructure_errors.append(
                    f"Great Expectations could not evaluate {check.rule} check on "
                    f"{entity}.{check.column}: {scrub(error)}"
                )
                continue
            if not item.success:
                positions = item.result.get("unexpected_index_list") or []
                outcome.findings += _findings(check, frame, positions)
        return outcome


def gx_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The chunk as GX validates it: no ``_row_id``, text columns as categories.

    GX filters the whole frame for every row condition and every failing-row lookup, and
    fingerprints it once per batch; on categories both touch small integer codes instead
    of every string (about half of GX's time on the contract's suites, issue 14). Nulls,
    set membership and row conditions mean the same on categories, so the findings do
    not change; only pandas' own text dtype is converted, never an object column.
    """
    text = [name for name, dtype in frame.dtypes.items() if isinstance(dtype, pd.StringDtype)]
    return frame.drop(columns=[ROW_ID], errors="ignore").astype(
        {name: "category" for name in text if name != ROW_ID}
    )


def _findings(check: ContractCheck, frame: pd.DataFrame, positions: list[Any]) -> list[GxFinding]:
    """The failing rows at ``positions`` of ``frame``, each with its detail."""
    if not positions:
        return []
    rows = frame.iloc[list(positions)]
    columns = [c for c in dict.fromkeys(check.columns) if c in rows.columns]
    values = {c: rows[c].tolist() for c in columns}
    found: list[GxFinding] = []
    for i, row_id in enumerate(rows[ROW_ID].tolist()):
        if row_id is None or row_id != row_id:  # no id (None or NaN): nothing to quarantine
            continue
        entry = {c: values[c][i] for c in columns}
        found.append(GxFinding(check, str(row_id), failure_detail(check, entry)))
    return found


def _raised(info: Any) -> str | None:
    """The message of a raised exception in a GX ``exception_info`` (flat or per metric)."""
    if not isinstance(info, dict) or not info:
        return None
    if "raised_exception" in info:
        if info.get("raised_exception"):
            return str(info.get("exception_message") or "unknown error")
        return None
    for nested in info.values():
        message = _raised(nested)
        if message is not None:
            return message
    return None


def _expectation(check: ContractCheck) -> Any:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    meta = {"check": check.key}
    p = check.params
    if check.kind == "not_null":
        condition = None
        if "when_column" in p:
            condition = Column(p["when_column"]).is_in(p["when_in"])
        elif "unless_null" in p:
            condition = Column(p["unless_null"]).is_null()
        if condition is None:
            return gxe.ExpectColumnValuesToNotBeNull(column=check.column, meta=meta)
        return gxe.ExpectColumnValuesToNotBeNull(
            column=check.column, row_condition=condition, meta=meta
        )
    if check.kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(
            column=check.column, value_set=p["values"], meta=meta
        )
    if check.kind == "between":
        return gxe.ExpectColumnValuesToBeBetween(
            column=check.column, min_value=p["min"], max_value=p["max"], meta=meta
        )
    if check.kind == "pair_not_before":
        return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=check.column,
            column_B=p["other"],
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=meta,
        )
    raise ValueError(f"unknown check kind {check.kind!r}")


def _echo(value: Any) -> str:
    """A value as a detail may show it: masked, at most 40 characters."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = scrub(str(value)) or ""
    return repr(text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 1] + "…")


def failure_detail(check: ContractCheck, entry: dict[str, Any]) -> str:
    """One sentence on why the row failed; values only from non-personal columns."""
    p = check.params
    if check.kind == "not_null":
        if "when_column" in p:
            return f"{check.column} is missing although {p['when_column']} is " + " or ".join(
                p["when_in"]
            )
        if "unless_null" in p:
            return f"{check.column} is missing and {p['unless_null']} is not given"
        return f"{check.column} is missing"
    value = entry.get(check.column)
    if check.kind == "in_set":
        return f"{check.column} {_echo(value)} is not a configured {p['enum']} value"
    if check.kind == "between":
        return f"{check.column} {_echo(value)} is out of range ({check.description})"
    if check.kind == "pair_not_before":
        other = entry.get(p["other"])
        return f"{check.column} {_echo(value)} is before {p['other']} {_echo(other)}"
    return check.description
