"""What one quality run found, as the gate, the Dagster asset and the CLI read it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EntityOutcome:
    """Quarantine counts of one entity in this build's new rows, against its limit."""

    entity: str
    rows_checked: int
    rows_quarantined: int
    limit: float

    @property
    def quarantine_rate(self) -> float | None:
        """Quarantined ÷ checked; None when nothing was checked (no rate, no breach)."""
        return self.rows_quarantined / self.rows_checked if self.rows_checked else None

    @property
    def within_limit(self) -> bool:
        """The rate is at most the entity's ``max_quarantine_rate``."""
        rate = self.quarantine_rate
        return rate is None or rate <= self.limit


@dataclass
class QualityOutcome:
    """What the quality step found; the gate and the Dagster asset read it."""

    run_id: str
    as_of_date: dt.date
    entities: dict[str, EntityOutcome] = field(default_factory=dict)
    rejected_files: list[str] = field(default_factory=list)
    rows_released: int = 0
    infrastructure_errors: list[str] = field(default_factory=list)

    @property
    def data_rules_pass(self) -> bool:
        """The gate's data rules: no rejected file, every rate within its limit."""
        return not self.rejected_files and all(e.within_limit for e in self.entities.values())
