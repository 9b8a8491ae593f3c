"""The contract refuses definitions whose checks would contradict or shadow each other.

Every check the quality step runs is keyed ``<rule>:<column>`` within its entity (the SQL
candidate flags and GX's results are matched by that key), so two checks with one key
would be merged silently. These tests pin that the shipped contract has none and that a
contract which would produce one is refused with its entity and column named.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from core.contract import CONTRACT_PATH, Contract, load_contract
from core.settings import Settings
from quality.gx_suites import contract_checks


def _contract_data() -> dict[str, Any]:
    with open(CONTRACT_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _column(data: dict[str, Any], entity: str, name: str) -> dict[str, Any]:
    return next(c for c in data["entities"][entity]["columns"] if c["name"] == name)


def test_every_check_key_of_the_shipped_contract_is_unique_within_its_entity() -> None:
    for entity in load_contract().entities.values():
        keys = Counter(check.key for check in contract_checks(entity, Settings()))
        assert [key for key, n in keys.items() if n > 1] == [], entity.name


def test_a_column_both_required_and_required_unless_is_refused() -> None:
    data = _contract_data()
    _column(data, "leads", "owner")["required_unless"] = "team"
    with pytest.raises(ValidationError, match=r"leads\.owner: `required` and `required_unless`"):
        Contract.model_validate(data)


def test_required_unless_naming_an_unknown_column_is_refused() -> None:
    data = _contract_data()
    _column(data, "leads", "team")["required_unless"] = "no_such_column"
    with pytest.raises(ValidationError, match=r"leads\.team: unknown column 'no_such_column'"):
        Contract.model_validate(data)


def test_the_shipped_contract_passes_its_own_validation() -> None:
    assert set(Contract.model_validate(_contract_data()).entities) == {
        "leads",
        "follow_ups",
        "service_records",
    }
