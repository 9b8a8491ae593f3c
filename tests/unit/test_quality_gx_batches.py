"""GX on the quality step's Arrow batches finds exactly what it finds on whole rows.

The step streams ``_row_id`` and the suite's columns as Arrow record batches (money read
as DOUBLE) instead of fetching every column through pandas (issue 14). The rows are the
hand-made ones of test_quality_checks: among them a negative budget (a money range
failure whose detail echoes the value), a probability of 150, a close date before the
creation date, a missing contact name and a satisfaction of 7 (an integer column with
NULLs).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from core.contract import load_contract
from core.settings import Settings
from quality.gx_suites import GxValidator, contract_checks
from quality.rules.expectations import expectation_failures
from quality.rules.new_rows import FAILURES, create_failures, stage_new_rows
from tests.fixtures.quality_raw.rows import fresh_database, land
from tests.unit.test_quality_checks import LEAD_ERRORS, LEADS_R1, SERVICES_R1


@pytest.mark.parametrize(
    ("entity_name", "rows", "errors", "at_least"),
    [("leads", LEADS_R1, LEAD_ERRORS, 6), ("service_records", SERVICES_R1, None, 2)],
)
def test_arrow_batches_find_what_whole_rows_find(
    tmp_path: Path,
    entity_name: str,
    rows: list[dict[str, object]],
    errors: dict[int, list[dict[str, str]]] | None,
    at_least: int,
) -> None:
    entity = load_contract().entity(entity_name)
    checks = contract_checks(entity, Settings())
    validator = GxValidator()
    validator.register(entity.name, checks)
    with duckdb.connect(str(tmp_path / "g.duckdb")) as con:
        fresh_database(con)
        land(con, entity_name, rows, file_name="a.csv", run_id="r1", errors=errors)
        listed = ", ".join(f'"{c}"' for c in ["_row_id", *entity.column_names])
        whole = validator.validate(
            entity.name, con.execute(f"select {listed} from raw.{entity_name}").df()
        )
        assert whole.infrastructure_errors == []
        expected = sorted(
            (f.row_id, f.check.rule, f.check.column, f.detail) for f in whole.findings
        )

        create_failures(con)
        stage_new_rows(con, entity_name)
        assert expectation_failures(con, validator, entity, checks) == []
        found = con.execute(
            f"select row_id, rule, column_name, detail from {FAILURES} order by all"
        ).fetchall()
    assert len(expected) >= at_least
    assert sorted(found) == expected
