"""The source contract, loaded from ``core/contract.yaml`` and validated at start-up.

This module is the only reader of the contract file. Loaders, quality suites, the dbt
source definitions and the docs all ask it; none of them keeps its own list of columns.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

CONTRACT_PATH = Path(__file__).with_name("contract.yaml")

ColumnType = Literal[
    "text", "timestamp", "date", "money", "integer", "number", "boolean", "enum", "currency"
]
PiiKind = Literal["phone", "email", "free_text"]


def normalise_header(name: str) -> str:
    """Header matching key: trimmed, NFKC-normalised, case-folded (sources.md)."""
    return unicodedata.normalize("NFKC", str(name)).strip().casefold()


def normalise_value(value: str) -> str:
    """Enumeration matching key: NFKC, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", str(value)).strip().casefold()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnumValue(_Strict):
    """One allowed value of an enumeration, with its aliases and (for stages) defaults."""

    key: str
    label_zh: str
    aliases: tuple[str, ...] = ()
    probability: float | None = None
    stall_days: int | None = None
    terminal: bool = False


class EnumDef(_Strict):
    """An enumeration: ordered values (funnel order for stages) and their aliases."""

    description: str = ""
    ordered: bool = False
    values: tuple[EnumValue, ...]

    @property
    def keys(self) -> list[str]:
        return [v.key for v in self.values]

    def alias_map(self) -> dict[str, str]:
        """Normalised key or alias -> canonical key."""
        return alias_map(self.values)


def alias_map(values: Iterable[EnumValue]) -> dict[str, str]:
    """Normalised key or alias -> canonical key, for a list of enumeration values."""
    mapping: dict[str, str] = {}
    for value in values:
        for name in (value.key, *value.aliases):
            mapping[normalise_value(name)] = value.key
    return mapping


class RequiredWhen(_Strict):
    column: str
    in_: tuple[str, ...] = Field(alias="in")


class Reference(_Strict):
    entity: str
    column: str


class Column(_Strict):
    """One contract column: type, requirement, aliases and documentation."""

    name: str
    type: ColumnType
    description: str = ""
    required: bool = False
    required_when: RequiredWhen | None = None
    required_unless: str | None = None
    default_from: str | None = None
    default: str | None = None
    enum: str | None = None
    min: float | None = None
    max: float | None = None
    pii: PiiKind | None = None
    references: Reference | None = None
    aliases: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _enum_named(self) -> Column:
        if (self.type == "enum") != (self.enum is not None):
            raise ValueError(f"column {self.name}: type enum and key `enum` go together")
        return self


class RowRule(_Strict):
    """A rule across columns of one row (e.g. closed_at not before created_at)."""

    name: str
    kind: Literal["conditional"]
    description: str
    column: str
    not_before: str


class Entity(_Strict):
    """One source entity (a landing folder)."""

    name: str = ""
    label_zh: str
    grain: str
    kind: Literal["versioned", "event"]
    record_id: str
    version_column: str
    owner_column: str
    columns: tuple[Column, ...]
    rules: tuple[RowRule, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def required_columns(self) -> list[str]:
        """Columns that must be present (as headers) in every file of this entity."""
        return [c.name for c in self.columns if c.required]

    def header_map(self) -> dict[str, str]:
        """Normalised header (canonical name or alias) -> canonical column name."""
        mapping: dict[str, str] = {}
        for col in self.columns:
            for name in (col.name, *col.aliases):
                mapping.setdefault(normalise_header(name), col.name)
        return mapping


class Contract(_Strict):
    """The whole contract: enumerations and entities."""

    version: int
    enums: dict[str, EnumDef]
    entities: dict[str, Entity]

    @model_validator(mode="after")
    def _consistent(self) -> Contract:
        for ename, entity in self.entities.items():
            object.__setattr__(entity, "name", ename)
            names = set(entity.column_names)
            for col in entity.columns:
                if col.enum and col.enum not in self.enums:
                    raise ValueError(f"{ename}.{col.name}: unknown enum {col.enum!r}")
                if col.required and col.required_unless:
                    # "always required" and "required unless another column is given"
                    # contradict each other, and both would be the check required:<column>
                    raise ValueError(
                        f"{ename}.{col.name}: `required` and `required_unless` exclude each other"
                    )
                for other in (col.default_from, col.required_unless):
                    if other and other not in names:
                        raise ValueError(f"{ename}.{col.name}: unknown column {other!r}")
                if col.required_when and col.required_when.column not in names:
                    raise ValueError(f"{ename}.{col.name}: unknown column in required_when")
                if col.references and col.references.entity not in self.entities:
                    raise ValueError(f"{ename}.{col.name}: unknown referenced entity")
            for key in (entity.record_id, entity.version_column, entity.owner_column):
                if key not in names:
                    raise ValueError(f"{ename}: unknown column {key!r}")
        return self

    def entity(self, name: str) -> Entity:
        return self.entities[name]


@cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    """Read and validate the contract file (cached: it does not change while running)."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return Contract.model_validate(data)
