"""Render ``docs/contract.md``, the column reference, from the source contract.

People read this page; the loaders, quality suites and dbt read the contract itself. The
page is written by ``python -m quality.dbt_sources`` together with the dbt yml files, and
a unit test keeps the committed page equal to this function's output, so it can never
drift from ``core/contract.yaml``.
"""

from __future__ import annotations

from core.contract import Column, Contract, EnumDef
from core.raw_schema import META_COLUMNS, SQL_TYPES

_TYPE_NOTES = {
    "text": "free text, trimmed; empty = missing",
    "timestamp": "`2026-03-31 14:05:00`, `2026-03-31 14:05`, `2026-03-31T14:05:00+08:00`, "
    "`…Z`, `2026/3/31 14:05`, `2026/03/31`, `2026年3月31日 14:05`, `2026年3月31日`; "
    "a bare date is midnight; values with an offset are converted to the configured time "
    "zone; stored as local time",
    "date": "the same forms as timestamp; the date part is kept",
    "money": "`1200000`, `1,200,000.00`, `¥1,200,000`, `￥…`, `RMB`/`CNY` prefix, `120万`, "
    "`1.2亿`; stored as decimal(18, 2)",
    "integer": "whole number (`4` or `4.0`)",
    "number": "decimal number; a trailing `%` is allowed",
    "boolean": "true/false, yes/no, y/n, t/f, 1/0, 是/否, 对/错",
    "enum": "a key or alias of the named enumeration (trim, NFKC, case folding); an "
    "unknown value is kept as typed and reported as an enumeration problem",
    "currency": "three-letter ISO 4217 code, upper-cased; ¥ / 人民币 / RMB mean CNY",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _requirement(col: Column) -> str:
    if col.required:
        return "yes"
    if col.required_unless:
        return f"yes, unless `{col.required_unless}` is given"
    if col.required_when:
        values = ", ".join(col.required_when.in_)
        return f"when `{col.required_when.column}` is {values}"
    return "no"


def _default(col: Column) -> str:
    if col.default_from:
        return f"`{col.default_from}`"
    if col.default:
        return f"`{col.default}`"
    return ""


def _type(col: Column) -> str:
    kind = f"enum `{col.enum}`" if col.enum else col.type
    bounds = []
    if col.min is not None:
        bounds.append(f"≥ {col.min:g}")
    if col.max is not None:
        bounds.append(f"≤ {col.max:g}")
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


def _enum_section(name: str, enum: EnumDef) -> list[str]:
    lines = [f"### `{name}`", "", enum.description + (" Ordered." if enum.ordered else ""), ""]
    has_stage_facts = any(v.probability is not None for v in enum.values)
    header = "| key | 中文 | aliases |"
    rule = "|---|---|---|"
    if has_stage_facts:
        header += " default probability | stall days | terminal |"
        rule += "---|---|---|"
    lines += [header, rule]
    for value in enum.values:
        row = f"| `{value.key}` | {value.label_zh} | {', '.join(value.aliases)} |"
        if has_stage_facts:
            stall = "" if value.stall_days is None else str(value.stall_days)
            probability = "" if value.probability is None else f"{value.probability:g}"
            row += f" {probability} | {stall} | {'yes' if value.terminal else ''} |"
        lines.append(row)
    return lines + [""]


def contract_markdown(contract: Contract) -> str:
    """The whole column reference page as Markdown text."""
    lines = [
        "<!-- Generated from core/contract.yaml by `python -m quality.dbt_sources`. "
        "Do not edit. -->",
        "",
        "# Source contract: column reference",
        "",
        "Every landed file lives in `LANDING/<entity>/` and is loaded into `raw.<entity>`. "
        "Headers are matched by name (canonical name or any alias, after trimming, NFKC "
        "normalisation and case folding), in any order; unknown columns are kept only in "
        "`_raw`. A file missing a required column is rejected whole.",
        "",
        "## Entities",
        "",
    ]
    for name, entity in contract.entities.items():
        lines += [
            f"### `{name}` ({entity.label_zh})",
            "",
            f"Grain: {entity.grain}. Record id `{entity.record_id}`, version column "
            f"`{entity.version_column}`, owner `{entity.owner_column}`, kind `{entity.kind}`.",
            "",
            "| column | type | raw SQL type | required | default | personal data | "
            "header aliases | meaning |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for col in entity.columns:
            lines.append(
                f"| `{col.name}` | {_type(col)} | {SQL_TYPES[col.type]} | {_requirement(col)} "
                f"| {_default(col)} | {col.pii or ''} | {_cell(', '.join(col.aliases))} "
                f"| {_cell(col.description)} |"
            )
        for rule in entity.rules:
            lines += ["", f"Row rule `{rule.name}` ({rule.kind}): {rule.description}."]
        refs = [c for c in entity.columns if c.references]
        for col in refs:
            assert col.references is not None
            lines += [
                "",
                f"`{col.name}` must match `{col.references.entity}.{col.references.column}`.",
            ]
        lines.append("")
    lines += ["## Enumerations (defaults; configurable)", ""]
    for name, enum in contract.enums.items():
        lines += _enum_section(name, enum)
    lines += ["## Accepted value formats", "", "| type | accepted text |", "|---|---|"]
    for kind, note in _TYPE_NOTES.items():
        lines.append(f"| {kind} | {_cell(note)} |")
    lines += [
        "",
        "Empty or whitespace-only text is missing (NULL), never an error. Text that is not a "
        "value of the column's type is stored as NULL and listed in `_errors` "
        "(`{column, rule: type, detail}`); ranges are checked by the quality step.",
        "",
        "Before any typed value is parsed, the text is NFKC-normalised (full-width digits and "
        "punctuation such as `１２，０００．５０` become `12,000.50`) and the decimal digits "
        "of any other script (Arabic-Indic `١٢٠٠٠`, Devanagari, ...) are read as the digits "
        "they are. NUL characters are removed from every value.",
        "",
        "## File structure rules (a failing file is rejected whole)",
        "",
        "- Encoding: a UTF-8 byte-order mark means UTF-8; lines valid as UTF-8 throughout "
        "(or mostly) mean UTF-8; otherwise GB18030 (the superset of GBK), or, for bytes "
        "GB18030 cannot read, a multi-byte encoding charset-normalizer recognises. "
        "Per-folder `folders.<entity>.encoding` overrides detection. Undecodable bytes "
        "reject the file naming the line; so does a file mixing encodings (a GBK line in a "
        "UTF-8 file or the reverse: the line that differs is named). UTF-16 files are "
        "rejected (save as CSV UTF-8). Lines may end in `\\n`, `\\r\\n` or a lone `\\r`.",
        "- A rejected file's `rows_read` counts every row of the file.",
        "- No header row (CSV, xlsx) or no JSON object (jsonl): the file is empty.",
        "- A required column (see the tables above) missing after header mapping.",
        "- A row with more fields than the header; a row with fewer fields than the header "
        "(called *truncated* when it is the last line and the file has no final line break); "
        "an unterminated quoted field at the end of the file; a jsonl line that is not a "
        "JSON object.",
        "- Blank rows and rows whose cells are all empty are skipped, not counted, and keep "
        "their place in the row numbering (`_source_row`: header row = 1 for CSV and xlsx, "
        "or the configured `header_row`; the line number for jsonl).",
        "- xlsx: first sheet unless `folders.<entity>.sheet` (a name, or a 1-based "
        "position); every cell is read as text (whole numbers without `.0`, dates as ISO "
        "text, text cells as stored, so leading zeros stay).",
        "",
        "## Personal data",
        "",
        "One masking rule (`core/masking.py`; the dbt macro `mask_contact_data` is generated "
        "from it) masks e-mail addresses (`z***@example.com`), Chinese mobile numbers "
        "(`138****5678`, with or without +86 / 0086 and any spaces, hyphens or dots) and "
        "landlines with an area code in any bracket or separator form (`021****0007`). "
        "Staging applies it to every free-text column and to ids, owners, agents, account "
        "names and account keys; `data_quality` tables, logs and alerts use the same rule. "
        "An id, owner or account key that masking changes gets `~` and 8 hex digits of the "
        "MD5 of the original, so two different ids never merge and joins keep matching.",
        "",
        "## Lineage columns of every raw table",
        "",
        "| column | SQL type | meaning |",
        "|---|---|---|",
    ]
    for name, sql_type, meaning in META_COLUMNS:
        lines.append(f"| `{name}` | {sql_type} | {_cell(meaning)} |")
    return "\n".join(lines) + "\n"
