"""Layout of the raw layer: one append-only table per entity in schema ``raw``.

Each landed row keeps its typed contract columns (NULL where a value was missing or could
not be parsed), the original text of every field in ``_raw`` (JSON, extra columns too),
the parse problems in ``_errors`` (JSON list), and its lineage: file, row, hash, load.
The column list comes from the contract; nothing here names a contract column.
"""

from __future__ import annotations

import duckdb

from core.contract import Entity, load_contract

RAW_SCHEMA = "raw"

SQL_TYPES: dict[str, str] = {
    "text": "varchar",
    "timestamp": "timestamp",
    "date": "date",
    "money": "decimal(18, 2)",
    "integer": "integer",
    "number": "double",
    "boolean": "boolean",
    "enum": "varchar",
    "currency": "varchar",
}

# Lineage and bookkeeping columns every raw table carries, in order.
META_COLUMNS: list[tuple[str, str, str]] = [
    ("_row_id", "varchar", "stable row key: first 16 hex digits of the file hash ':' row number"),
    ("_file_hash", "varchar", "SHA-256 of the landed file's bytes"),
    ("_source_file", "varchar", "landed file path relative to the landing folder"),
    ("_source_row", "integer", "row number as a person sees it (header = row 1; jsonl line)"),
    ("_load_seq", "bigint", "order in which files were loaded (later file wins ties)"),
    ("_loaded_at", "timestamp", "when the file was loaded (UTC)"),
    ("_account_key", "varchar", "account_id when given, else the normalised account_name"),
    ("_raw", "varchar", "JSON object of the row's original header -> text, extra columns too"),
    ("_errors", "varchar", "JSON list of parse problems {column, rule, detail}; [] when clean"),
]


def raw_columns(entity: Entity) -> list[tuple[str, str]]:
    """(name, SQL type) of the entity's raw table: contract columns, then metadata."""
    typed = [(col.name, SQL_TYPES[col.type]) for col in entity.columns]
    return typed + [(name, sql_type) for name, sql_type, _ in META_COLUMNS]


# ``_raw`` (every row's whole text as JSON) is written once and almost never read: stored
# with zstd it costs half the CPU of DuckDB's default string compression (DICT_FSST) and a
# third of the disk (docs/benchmarks.md, "Ingest of large files"). Content is unchanged.
# Older storage formats (v1.0.0, the serving copy's) have no zstd: there it keeps the default.
_RAW_COMPRESSION = " using compression zstd"


def _create_table(con: duckdb.DuckDBPyConnection, name: str, entity: Entity) -> None:
    """Create one raw table if missing, ``_raw`` compressed with zstd where the format can."""
    columns = raw_columns(entity)
    plain = ", ".join(f'"{col}" {sql_type}' for col, sql_type in columns)
    packed = plain.replace('"_raw" varchar', f'"_raw" varchar{_RAW_COMPRESSION}')
    try:
        con.execute(f"create table if not exists {RAW_SCHEMA}.{name} ({packed})")
    except duckdb.BinderException:  # a storage format without zstd
        con.execute(f"create table if not exists {RAW_SCHEMA}.{name} ({plain})")


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``raw`` and one table per contract entity, if missing."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for name, entity in load_contract().entities.items():
        _create_table(con, name, entity)
