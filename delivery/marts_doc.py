"""Write docs/marts.md, the BI contract of the serving file, from the dbt ymls.

Each mart table's and column's description (Chinese name, then the English definition)
is written once, in the dbt yml next to the model; the serving file's comments
(delivery/serving_meta.py) and this page both come from there, so a BI user reads the same
definition in DBeaver and in the repository. ``data_quality`` comes from
core/quality_tables.py and the label table from core/labels.yaml.

``python -m delivery.marts_doc`` regenerates the page; a unit test keeps the committed
file equal to the output.
"""

from __future__ import annotations

import sys
from pathlib import Path

from core.labels import label_table
from core.quality_tables import DQ_SCHEMA
from delivery.serving_meta import (
    MART_SCHEMAS,
    REFERENCE_SCHEMA,
    TableMeaning,
    meanings,
)

MARTS_DOC = Path(__file__).resolve().parent.parent / "docs" / "marts.md"
HEADER = (
    "<!-- Generated from the dbt ymls, core/quality_tables.py and core/labels.yaml by "
    "`python -m delivery.marts_doc`. Do not edit. -->\n"
)
SCHEMA_TITLES = {
    "opportunity_funnel": "`opportunity_funnel` (商机管理)",
    "customer_lifecycle": "`customer_lifecycle` (客户关系管理)",
    DQ_SCHEMA: "`data_quality` (数据质量)",
    REFERENCE_SCHEMA: "`reference` (标签)",
}
INTRO = """\
# Marts: tables, columns and metric definitions

The serving file `WAREHOUSE/serving/crm.duckdb` (and the Parquet copies under
`WAREHOUSE/serving/parquet/<schema>/<table>.parquet`) holds the schemas below. Every
description here is also stored in the file itself: `COMMENT ON` each table and column
(`select comment from duckdb_columns()`, the *Comment* column in DBeaver) and, in each
Parquet file, the key-value metadata `comment` and `column_comments` (JSON).

Rules shared by every mart table:

- Every table carries `as_of_date`, the business date D of the build; every figure counts
  only rows and versions known at the end of D, so a rebuild for a past D gives the same
  numbers.
- A ratio whose denominator is 0 is NULL, never 0. Ratios are DOUBLE.
- Money is `DECIMAL(…, 2)` in the configured currency: amounts derived by multiplication
  or division (weighted amounts, averages) are rounded to cents once.
- Months are the first day of the local calendar month; weeks start on Monday.
- Enumeration columns hold keys (`proposal`, `at_risk`); their Chinese and English names
  are in `reference.labels` (last section): join on `(enum, key)`.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "—"


def _table_section(schema: str, table: str, meaning: TableMeaning) -> list[str]:
    lines = [f"### `{schema}.{table}`", "", _cell(meaning.comment), ""]
    if meaning.columns:
        lines += ["| column | meaning |", "|---|---|"]
        lines += [f"| `{name}` | {_cell(text)} |" for name, text in meaning.columns.items()]
        lines.append("")
    return lines


def _labels_section() -> list[str]:
    lines = ["### Label keys", "", "| enum | key | 中文 | English |", "|---|---|---|---|"]
    for enum, keys in label_table().items():
        for key, names in keys.items():
            lines.append(f"| `{enum}` | `{key}` | {names['zh']} | {names['en']} |")
    lines.append("")
    return lines


def marts_markdown() -> str:
    """The whole page."""
    found = meanings()
    lines = [HEADER, INTRO]
    for schema in (*MART_SCHEMAS, DQ_SCHEMA, REFERENCE_SCHEMA):
        lines += [f"## Schema {SCHEMA_TITLES[schema]}", ""]
        for (table_schema, table), meaning in found.items():
            if table_schema == schema:
                lines += _table_section(schema, table, meaning)
        if schema == REFERENCE_SCHEMA:
            lines += _labels_section()
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    MARTS_DOC.write_text(marts_markdown(), encoding="utf-8")
    print(f"wrote {MARTS_DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
