"""Write the dbt source and staging-test definitions and the column reference from the
source contract.

``python -m quality.dbt_sources`` regenerates
``dbt_project/models/staging/_crm__sources.yml`` (raw tables, their columns and warn-level
source tests: raw keeps quarantined rows, so failures there are reported, not blocking),
``dbt_project/models/staging/_crm__contract_tests.yml`` (error-level tests on the
staging models, which hold only rows that passed quarantine: a failure there is a real
defect and blocks the publish) and ``docs/contract.md`` (the column reference for people).
A unit test keeps the committed files equal to the output.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from core.contract import Column, Contract, Entity, load_contract
from core.quality_tables import DQ_SCHEMA
from core.raw_schema import META_COLUMNS, RAW_SCHEMA

REPO_ROOT = Path(__file__).resolve().parent.parent
STAGING_DIR = REPO_ROOT / "dbt_project" / "models" / "staging"
CONTRACT_DOC = REPO_ROOT / "docs" / "contract.md"
SOURCES_FILE = STAGING_DIR / "_crm__sources.yml"
TESTS_FILE = STAGING_DIR / "_crm__contract_tests.yml"
HEADER = "# Generated from core/contract.yaml by `python -m quality.dbt_sources`. Do not edit.\n"


def _describe(col: Column) -> str:
    parts = [col.description or col.name]
    if col.required:
        parts.append("required")
    if col.required_unless:
        parts.append(f"required unless {col.required_unless} is given")
    if col.required_when:
        parts.append(f"required when {col.required_when.column} in {list(col.required_when.in_)}")
    if col.pii:
        parts.append(f"personal data ({col.pii}): masked outside raw and staging")
    if col.aliases:
        parts.append("headers: " + ", ".join(col.aliases))
    return "; ".join(parts)


def _column_tests(col: Column, severity: str) -> list[Any]:
    tests: list[Any] = []
    if col.required:
        tests.append({"not_null": {"config": {"severity": severity}}})
    if col.enum:
        tests.append(
            {"accepted_enum": {"arguments": {"enum": col.enum}, "config": {"severity": severity}}}
        )
    return tests


def _source_table(entity: Entity) -> dict[str, Any]:
    columns = []
    for col in entity.columns:
        spec: dict[str, Any] = {"name": col.name, "description": _describe(col)}
        tests = _column_tests(col, "warn")
        if tests:
            spec["data_tests"] = tests
        columns.append(spec)
    columns += [{"name": n, "description": d} for n, _, d in META_COLUMNS]
    return {
        "name": entity.name,
        "description": f"{entity.label_zh}: {entity.grain}. Append-only raw history.",
        "columns": columns,
    }


def sources_document(contract: Contract) -> dict[str, Any]:
    return {
        "version": 2,
        "sources": [
            {
                "name": "crm",
                "schema": RAW_SCHEMA,
                "description": "CRM exports as landed, typed by the loaders (ingestion/).",
                "tables": [_source_table(e) for e in contract.entities.values()],
            },
            {
                "name": "data_quality",
                "schema": DQ_SCHEMA,
                "description": "Quality bookkeeping written by the pipeline (quality/).",
                "tables": [
                    {
                        "name": "quarantine",
                        "description": "Rows held back from the marts, one per (row, rule); "
                        "released_at is set when a re-check passes.",
                    },
                    {
                        "name": "check_results",
                        "description": "One row per rule and entity per run; a quarantine "
                        "row's released_at is its releasing run's checked_at.",
                    },
                    {
                        "name": "checked_loads",
                        "description": "File loads whose rows the quality step checked; rows "
                        "of a load not listed here are pending and stay out of staging.",
                    },
                ],
            },
        ],
    }


def tests_document(contract: Contract) -> dict[str, Any]:
    models = []
    for entity in contract.entities.values():
        columns = []
        for col in entity.columns:
            spec: dict[str, Any] = {"name": col.name, "description": _describe(col)}
            tests = _column_tests(col, "error")
            if tests:
                spec["data_tests"] = tests
            columns.append(spec)
        if entity.kind == "event":
            unique = {"unique": {"config": {"severity": "error"}}}
            for spec in columns:
                if spec["name"] == entity.record_id:
                    spec.setdefault("data_tests", []).append(unique)
        models.append(
            {
                "name": f"stg_crm__{entity.name}",
                "description": f"{entity.label_zh}: {entity.grain}; rows that passed quarantine.",
                "columns": columns,
            }
        )
    return {"version": 2, "models": models}


def render(document: dict[str, Any]) -> str:
    return HEADER + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


def expected_files() -> dict[Path, str]:
    """Every generated file and the text it must hold."""
    from ingestion.contract_docs import contract_markdown

    contract = load_contract()
    return {
        SOURCES_FILE: render(sources_document(contract)),
        TESTS_FILE: render(tests_document(contract)),
        CONTRACT_DOC: contract_markdown(contract),
    }


def main() -> int:
    for path, text in expected_files().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
