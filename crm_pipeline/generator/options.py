"""What to generate and what was generated: options, summary, shared row types."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ENTITIES: tuple[str, ...] = ("leads", "follow_ups", "service_records")
DEFAULT_SPILL_BATCH_ROWS = 50_000
PROGRESS_EVERY_LEADS = 100_000

Row = dict[str, str | None]
Values = list[str | None]
SortKey = tuple[str, int, int, int]


@dataclass(frozen=True)
class GeneratorOptions:
    """What to generate. The same options (including ``seed``) give identical files."""

    leads: int = 2000
    start: dt.date = dt.date(2026, 1, 1)
    end: dt.date = dt.date(2026, 3, 31)
    seed: int = 42
    headers: Literal["en", "zh"] = "en"
    encoding: Literal["utf-8", "gbk"] = "utf-8"
    format: Literal["csv", "xlsx", "jsonl"] = "csv"
    dirty_rate: float = 0.0
    # Service records per lead to reach (spec: 1 M per 10⁶ leads). ``None`` keeps the
    # simulated ratio (about 0.2); a higher ratio is topped up with legacy customers.
    service_ratio: float | None = None


@dataclass
class GenerationSummary:
    """What was written: file count, rows per entity and deliberately dirty rows per entity."""

    out_dir: Path
    files: int
    rows: dict[str, int] = field(default_factory=dict)
    dirty_rows: dict[str, int] = field(default_factory=dict)


def validate_options(options: GeneratorOptions) -> None:
    """Refuse options the generator cannot honour, naming the command-line flag."""
    if options.leads < 0:
        raise ValueError(f"--leads must be 0 or more, got {options.leads}")
    if options.end < options.start:
        raise ValueError(f"--end {options.end} is before --start {options.start}")
    if not 0.0 <= options.dirty_rate <= 1.0:
        raise ValueError(f"--dirty-rate must be between 0 and 1, got {options.dirty_rate}")
    if options.service_ratio is not None and options.service_ratio < 0:
        raise ValueError(f"--service-ratio must be 0 or more, got {options.service_ratio}")
    if options.headers not in ("en", "zh"):
        raise ValueError(f"--headers must be en or zh, got {options.headers!r}")
    if options.encoding not in ("utf-8", "gbk"):
        raise ValueError(f"--encoding must be utf-8 or gbk, got {options.encoding!r}")
    if options.format not in ("csv", "xlsx", "jsonl"):
        raise ValueError(f"--format must be csv, xlsx or jsonl, got {options.format!r}")
