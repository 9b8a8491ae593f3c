"""Meaning in the serving file: comments on every table and column, and one labels table.

BI users read the published DuckDB file and the Parquet copies, not the dbt project. So
the descriptions written in the dbt ymls (Chinese name first, then the English definition,
exactly as the ymls hold them) become ``COMMENT ON TABLE/COLUMN`` in the serving file
(``duckdb_tables().comment``, ``duckdb_columns().comment``, DBeaver's "Comment" column)
and key-value metadata in each Parquet file (``parquet_kv_metadata``). ``data_quality``
takes its comments from core/quality_tables.py.

Enumeration keys stay keys in the marts (stable for joins and filters); their Chinese and
English names are in one table, ``reference.labels`` (enum, key, label_zh, label_en),
generated from core/labels.yaml, so a BI tool joins ``labels`` on (enum, key) instead of
every mart carrying label columns.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import yaml

from core.labels import label_table
from core.quality_tables import (
    COLUMN_COMMENTS,
    DQ_SCHEMA,
    TABLE_COLUMN_COMMENTS,
    TABLE_COMMENTS,
    TABLES,
)

MARTS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "models" / "marts"
MART_SCHEMAS: tuple[str, ...] = ("opportunity_funnel", "customer_lifecycle")
REFERENCE_SCHEMA = "reference"
LABELS_TABLE = "labels"
LABELS_COMMENT = (
    "枚举标签 Chinese and English names of every enumeration key in the marts: join on "
    "(enum, key), e.g. enum 'stage' with fct_opportunities.stage."
)
LABELS_COLUMNS: dict[str, str] = {
    "enum": "枚举 Which enumeration: stage, status, source, channel, service_type, priority, "
    "urgency, grade, tier, lifecycle_status, attention_reason, risk_reason.",
    "key": "键 The key as stored in the marts.",
    "label_zh": "中文名称 Chinese label.",
    "label_en": "英文名称 English label.",
    "sort_order": "排序 Position of the key within its enumeration (1 = first).",
}


@dataclass(frozen=True)
class TableMeaning:
    """The comment of one published table and of its columns."""

    comment: str
    columns: dict[str, str] = field(default_factory=dict)


def _clean(text: object) -> str:
    """One line: yml folded blocks keep trailing newlines and inner line breaks."""
    return " ".join(str(text or "").split())


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SQL_ALIAS = re.compile(r"config\([^)]*alias\s*=\s*['\"]([^'\"]+)['\"]")


def _table_name(yml_path: Path, model: dict[str, object]) -> str:
    """The published table of a model: its alias (yml config or the SQL file's
    ``config(alias=...)``), else the model name."""
    config = model.get("config") or {}
    alias = config.get("alias") if isinstance(config, dict) else None
    if alias:
        return str(alias)
    sql = yml_path.with_name(f"{model['name']}.sql")
    found = _SQL_ALIAS.search(sql.read_text(encoding="utf-8")) if sql.exists() else None
    return found.group(1) if found else str(model["name"])


def _mart_tables(yml_path: Path) -> dict[str, TableMeaning]:
    # libyaml's loader: the marts' yml files are long, and PyYAML's pure-Python loader spent
    # ~0.4 s of every publish reading them
    data = yaml.load(yml_path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER) or {}
    tables: dict[str, TableMeaning] = {}
    for model in data.get("models") or []:
        name = _table_name(yml_path, model)
        columns = {
            column["name"]: _clean(column.get("description"))
            for column in model.get("columns") or []
            if column.get("description")
        }
        tables[name] = TableMeaning(_clean(model.get("description")), columns)
    return tables


@cache
def meanings() -> dict[tuple[str, str], TableMeaning]:
    """``{(schema, table): TableMeaning}`` for every mart, data_quality and labels table."""
    found: dict[tuple[str, str], TableMeaning] = {}
    for schema in MART_SCHEMAS:
        for yml_path in sorted((MARTS_DIR / schema).glob("*.yml")):
            for table, meaning in _mart_tables(yml_path).items():
                found[(schema, table)] = meaning
    for table, comment in TABLE_COMMENTS.items():
        columns = [c.split()[0] for c in TABLES.get(table, "").split(",") if c.strip()]
        described = {
            c: TABLE_COLUMN_COMMENTS.get((table, c)) or COLUMN_COMMENTS[c]
            for c in columns
            if c in COLUMN_COMMENTS or (table, c) in TABLE_COLUMN_COMMENTS
        }
        found[(DQ_SCHEMA, table)] = TableMeaning(comment, described)
    found[(REFERENCE_SCHEMA, LABELS_TABLE)] = TableMeaning(LABELS_COMMENT, LABELS_COLUMNS)
    return found


def label_rows() -> list[tuple[str, str, str, str, int]]:
    """(enum, key, label_zh, label_en, sort_order) for every key of core/labels.yaml."""
    return [
        (enum, key, names["zh"], names["en"], position)
        for enum, keys in label_table().items()
        for position, (key, names) in enumerate(keys.items(), start=1)
    ]


def refresh_labels(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create ``reference.labels`` in the connected (build) database from labels.yaml."""
    con.execute(f"create schema if not exists {REFERENCE_SCHEMA}")
    con.execute(
        f"create or replace table {REFERENCE_SCHEMA}.{LABELS_TABLE} ("
        "enum varchar not null, key varchar not null, label_zh varchar not null, "
        "label_en varchar not null, sort_order integer not null)"
    )
    con.executemany(
        f"insert into {REFERENCE_SCHEMA}.{LABELS_TABLE} values (?, ?, ?, ?, ?)", label_rows()
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [catalog, schema, table],
    ).fetchall()
    return [name for (name,) in rows]


def write_comments(con: duckdb.DuckDBPyConnection, catalog: str) -> int:
    """Comment every known table and column present in ``catalog``; returns the count."""
    written = 0
    for (schema, table), meaning in meanings().items():
        present = _columns(con, catalog, schema, table)
        if not present:
            continue
        qualified = f"{catalog}.{schema}.{table}"
        if meaning.comment:
            con.execute(f"comment on table {qualified} is {_literal(meaning.comment)}")
            written += 1
        for column in present:
            text = meaning.columns.get(column)
            if text:
                con.execute(f'comment on column {qualified}."{column}" is {_literal(text)}')
                written += 1
    return written


def parquet_metadata(schema: str, table: str) -> dict[str, str]:
    """Key-value metadata for one Parquet file: ``comment`` (the table's) and
    ``column_comments`` (JSON object column → comment), both UTF-8."""
    meaning = meanings().get((schema, table))
    if meaning is None:
        return {}
    return {
        "comment": meaning.comment,
        "column_comments": json.dumps(meaning.columns, ensure_ascii=False, sort_keys=True),
    }


def kv_metadata_option(schema: str, table: str) -> str:
    """The ``kv_metadata {...}`` COPY option carrying :func:`parquet_metadata` (or '')."""
    metadata = parquet_metadata(schema, table)
    if not metadata:
        return ""
    pairs = ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in metadata.items())
    return f", kv_metadata {{{pairs}}}"
