"""The generated files (dbt sources/tests yml, docs/contract.md) equal fresh generator output,
and the column reference really is derived from the contract."""

from __future__ import annotations

from core.contract import load_contract
from quality.dbt_sources import CONTRACT_DOC, expected_files


def test_committed_generated_files_equal_generator_output() -> None:
    stale = [
        str(path)
        for path, text in expected_files().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"regenerate with `python -m quality.dbt_sources`: {stale}"


def test_contract_doc_lists_every_column_and_alias_of_the_contract() -> None:
    doc = expected_files()[CONTRACT_DOC]
    for entity in load_contract().entities.values():
        assert f"### `{entity.name}`" in doc
        for col in entity.columns:
            row = next(line for line in doc.splitlines() if line.startswith(f"| `{col.name}` |"))
            for alias in col.aliases:
                assert alias in doc, (col.name, alias)
            assert row
    # required_unless is rendered as such, not as "no"
    assert "yes, unless `account_id` is given" in doc
