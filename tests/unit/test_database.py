"""Pipeline DuckDB connections carry a bounded memory limit, configurable and validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import database


def test_default_limit_is_applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(database.MEMORY_LIMIT_ENV, raising=False)
    with database.connect(tmp_path / "a.duckdb") as con:
        setting = con.execute("select current_setting('memory_limit')").fetchone()[0]
    # DuckDB reports 2GB as "1.8 GiB"; its own default here would be ~80 % of the RAM.
    assert setting == "1.8 GiB"


def test_limit_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(database.MEMORY_LIMIT_ENV, "512MB")
    with database.connect(tmp_path / "a.duckdb") as con:
        setting = con.execute("select current_setting('memory_limit')").fetchone()[0]
    assert setting == "488.2 MiB"


def test_invalid_limit_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(database.MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(ValueError, match="CRM_DUCKDB_MEMORY_LIMIT='lots' is not a memory size"):
        database.memory_limit()
