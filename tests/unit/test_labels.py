"""The one label table (core/labels.yaml) covers every enumeration key, in both languages."""

from __future__ import annotations

import pytest

from core.contract import load_contract
from core.labels import check_language, label, label_table, labels

# Keys the marts produce that are not source enumerations (spec/marts.md).
MART_ENUMS = {
    "status": {"open", "won", "lost"},
    "grade": {"A", "B", "C"},
    "tier": {"A", "B", "C"},
    "lifecycle_status": {"new", "active", "at_risk", "churned"},
    "attention_reason": {"stalled", "overdue_follow_up", "no_touch", "past_due_close",
                         "no_close_date", "recycle_candidate"},
    "risk_reason": {"inactive", "low_satisfaction", "open_complaint", "cancellation"},
}  # fmt: skip


def test_every_contract_enum_key_has_both_labels() -> None:
    table = label_table()
    for name, enum in load_contract().enums.items():
        for value in enum.values:
            names = table[name][value.key]
            assert names["zh"] and names["en"], (name, value.key)


def test_every_mart_enum_key_has_both_labels() -> None:
    table = label_table()
    for name, keys in MART_ENUMS.items():
        assert set(table[name]) == keys, name
        assert all(table[name][k]["zh"] and table[name][k]["en"] for k in keys)


def test_stage_labels_agree_with_the_contract() -> None:
    """The contract's label_zh (used by dbt as stage_label_zh) and the table never differ."""
    for name in ("stage", "source", "channel", "service_type", "priority"):
        for value in load_contract().enums[name].values:
            assert label(name, value.key, "zh") == value.label_zh, (name, value.key)


def test_lookups() -> None:
    assert label("stage", "won") == "赢单"
    assert label("stage", "won", "en") == "Won"
    assert label("attention_reason", "no_touch", "zh") == "长期未接触"
    assert label("source", "carrier_pigeon") == "carrier_pigeon"  # unknown: the key itself
    assert label("grade", None) == "未填写"
    assert label("grade", None, "en") == "Not set"
    assert list(labels("priority", "en").values()) == ["Urgent", "High", "Medium", "Low"]
    with pytest.raises(KeyError):
        label("no_such_enum", "x")
    with pytest.raises(ValueError, match="fr"):
        check_language("fr")


def test_core_labels_import_nothing_else_from_the_project() -> None:
    import ast
    from pathlib import Path

    import core.labels

    tree = ast.parse(Path(core.labels.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "").split(".")[0]
        if isinstance(node, ast.ImportFrom)
        else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    project = {"crm_pipeline", "ingestion", "quality", "delivery", "orchestration"}
    assert not imported & project
