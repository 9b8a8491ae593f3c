"""Small run-time helpers shared by the asset modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from crm_pipeline.paths import WarehousePaths
from ingestion.raw_schema import create_raw_tables
from quality.tables import create_quality_tables

# Every step that writes the build database takes a slot in this pool; the instance
# limits it to one (dagster.yaml / the CLI's instance), so writers never overlap.
BUILD_DB_POOL = "crm_build_db"


def partition_date(context: dg.AssetExecutionContext) -> dt.date:
    """The build's business date D, from the run's partition key (YYYY-MM-DD)."""
    return dt.date.fromisoformat(context.partition_key)


@contextmanager
def build_connection(paths: WarehousePaths) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the private build database, tables ensured."""
    paths.ensure()
    con = duckdb.connect(str(paths.build_db))
    try:
        create_raw_tables(con)
        create_quality_tables(con)
        yield con
    finally:
        con.close()
