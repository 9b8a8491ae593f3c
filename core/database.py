"""Connections to the pipeline's DuckDB files, with a bounded memory budget.

DuckDB's default memory limit is 80 % of the machine's RAM: on a large build its buffer
pool alone would grow past the product's 4 GB target. Every pipeline connection (and dbt,
through profiles.yml) uses ``CRM_DUCKDB_MEMORY_LIMIT`` instead (default 2GB); beyond it
DuckDB spills to a temporary directory next to the database instead of growing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

MEMORY_LIMIT_ENV = "CRM_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "2GB"


def memory_limit() -> str:
    """The configured DuckDB memory limit, validated (e.g. ``2GB``, ``512MB``)."""
    value = os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT).strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, re.IGNORECASE):
        raise ValueError(f"{MEMORY_LIMIT_ENV}={value!r} is not a memory size such as 2GB or 512MB")
    return value


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a pipeline database with the memory limit applied."""
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute(f"set memory_limit = '{memory_limit()}'")
    return con
