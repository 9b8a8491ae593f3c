"""The names of the quality rules (docs/quality.md), one spelling for every module.

The values are what ``data_quality.quarantine.rule``, ``check_results.rule`` and
``plausibility_findings.rule`` hold, so a :class:`Rule` compares equal to the stored text
and can key a dict that is looked up with plain strings.
"""

from __future__ import annotations

from enum import StrEnum


class Rule(StrEnum):
    """A rule a row, file or build is checked against."""

    STRUCTURE = "structure"
    REQUIRED = "required"
    TYPE = "type"
    RANGE = "range"
    ENUMERATION = "enumeration"
    CONDITIONAL = "conditional"
    UNIQUENESS = "uniqueness"
    REFERENCE = "reference"
    PLAUSIBILITY = "plausibility"
    LEGACY_ACCOUNT = "legacy_account"
    QUARANTINE_RATE = "quarantine_rate"
    INFRASTRUCTURE = "infrastructure"
    DBT = "dbt"
