"""Shared fixtures: a fresh build database with the raw and data_quality tables, and a
way to run dbt against it in-process with the configuration's vars."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from core.quality_tables import create_quality_tables
from core.raw_schema import create_raw_tables
from core.settings import Settings
from orchestration.dbt import BUILD_DB_VAR

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


class DbtHarness:
    """A DuckDB build database plus helpers to run dbt on it with chosen vars."""

    def __init__(self, db_path: Path, target_path: Path) -> None:
        self.db_path = db_path
        self.target_path = target_path
        # Rows the tests insert into raw stand for loads the quality step has checked
        # (staging only reads checked loads); a test of pending rows turns this off.
        self.mark_loads_checked = True

    def _mark_loads_checked(self) -> None:
        with self.connect() as con:
            for entity in ("leads", "follow_ups", "service_records"):
                con.execute(
                    "insert into data_quality.checked_loads (run_id, entity, file_hash, "
                    f"load_seq, checked_at) select distinct 'test', '{entity}', _file_hash, "
                    f"_load_seq, now() from raw.{entity} as landed where not exists ("
                    "select 1 from data_quality.checked_loads as checked "
                    "where checked.file_hash = landed._file_hash "
                    "and checked.load_seq = landed._load_seq)"
                )

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.db_path), read_only=read_only)

    def run(
        self,
        *args: str,
        as_of: dt.date = dt.date(2026, 3, 31),
        settings: Settings | None = None,
        extra_vars: dict[str, Any] | None = None,
    ) -> dbtRunnerResult:
        dbt_vars = (settings or Settings()).dbt_vars(as_of)
        dbt_vars[BUILD_DB_VAR] = str(self.db_path)
        dbt_vars.update(extra_vars or {})
        cli_args = [
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(self.target_path),
            "--vars",
            json.dumps(dbt_vars),
            "--quiet",
        ]
        if self.mark_loads_checked:
            self._mark_loads_checked()
        return dbtRunner().invoke(cli_args)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self.connect() as con:
            return con.execute(sql).fetchall()

    def query_dicts(self, sql: str) -> list[dict[str, Any]]:
        with self.connect() as con:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@pytest.fixture
def dbt_harness(tmp_path: Path) -> Iterator[DbtHarness]:
    """An empty build database with raw.* and data_quality.* created from the contract."""
    db_path = tmp_path / "build.duckdb"
    with duckdb.connect(str(db_path)) as con:
        create_raw_tables(con)
        create_quality_tables(con)
    yield DbtHarness(db_path, tmp_path / "dbt_target")
