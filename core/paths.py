"""Where files live inside a warehouse directory (operations.md, "Where files live")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WarehousePaths:
    """The fixed layout of ``WAREHOUSE/``; only the pipeline writes under ``build/``."""

    root: Path

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def build_db(self) -> Path:
        """The private build database: raw history, staging, marts under construction."""
        return self.build_dir / "crm.duckdb"

    @property
    def serving_dir(self) -> Path:
        return self.root / "serving"

    @property
    def serving_db(self) -> Path:
        """The published database BI tools open (replaced atomically at publish)."""
        return self.serving_dir / "crm.duckdb"

    @property
    def parquet_dir(self) -> Path:
        return self.serving_dir / "parquet"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    def report_dir(self, as_of_date: str) -> Path:
        return self.reports_dir / as_of_date

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def lock_file(self) -> Path:
        """Held by any step that writes the build database (one writer at a time)."""
        return self.build_dir / "build.lock"

    def ensure(self) -> WarehousePaths:
        for folder in (self.build_dir, self.serving_dir, self.reports_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self
