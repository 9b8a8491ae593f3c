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
        assert expectation_failures(con, validator, entity, checks, len(rows)) == []
        found = con.execute(
            f"select row_id, rule, column_name, detail from {FAILURES} order by all"
        ).fetchall()
    assert len(expected) >= at_least
    assert sorted(found) == expected


def test_failing_rows_come_back_by_position_whatever_the_index() -> None:
    """GX reports failing rows by position; each maps back to its own ``_row_id`` and value.

    A frame with a shuffled, gapped index and one bad satisfaction (7, range 1-5) and one
    unknown type in different rows: each finding must name that row's id and echo that
    row's value, never its neighbour's.
    """
    import pandas as pd

    entity = load_contract().entity("service_records")
    checks = contract_checks(entity, Settings())
    validator = GxValidator()
    validator.register(entity.name, checks)
    frame = pd.DataFrame(
        {
            "_row_id": ["f:2", "f:3", "f:4"],
            "service_id": ["S1", "S2", "S3"],
            "account_name": ["Acme", "Acme", "Acme"],
            "account_id": ["A1", "A1", "A1"],
            "opened_at": pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03"]),
            "type": ["complaint", "teleport", "complaint"],
            "priority": ["high", "high", "high"],
            "agent": ["ann", "ann", "ann"],
            "satisfaction": [3.0, 4.0, 7.0],
            "renewal_amount": [float("nan")] * 3,
        },
        index=[40, 7, 19],
    ).astype({"type": "str", "agent": "str", "service_id": "str"})
    result = validator.validate(entity.name, frame)
    assert result.infrastructure_errors == []
    assert sorted((f.row_id, f.check.key, f.detail) for f in result.findings) == [
        ("f:3", "enumeration:type", "type 'teleport' is not a configured service_type value"),
        (
            "f:4",
            "range:satisfaction",
            "satisfaction '7' is out of range (satisfaction must be between 1 and 5)",
        ),
    ]


def test_stream_is_regrouped_into_large_batches_without_losing_a_row() -> None:
    """Record batches of 3, 0, 4 and 5 rows regrouped by 6: 7 then 5 rows, in order."""
    import pyarrow as pa

    from quality.rules.expectations import gx_batches

    sizes = [3, 0, 4, 5]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    batches = [
        pa.record_batch({"_row_id": [f"f:{n}" for n in range(start, start + size)]})
        for start, size in zip(starts, sizes, strict=True)
    ]
    reader = pa.RecordBatchReader.from_batches(batches[0].schema, batches)
    tables = list(gx_batches(reader, 6))
    assert [t.num_rows for t in tables] == [7, 5]
    assert [r for t in tables for r in t.column("_row_id").to_pylist()] == [
        f"f:{n}" for n in range(12)
    ]


def test_batch_without_row_ids_is_an_infrastructure_error() -> None:
    """Failing rows are named by ``_row_id``: a batch without it is a bug, never data."""
    import pandas as pd

    entity = load_contract().entity("service_records")
    validator = GxValidator()
    validator.register(entity.name, contract_checks(entity, Settings()))
    result = validator.validate(entity.name, pd.DataFrame({"satisfaction": [7.0]}))
    assert result.findings == []
    assert result.infrastructure_errors == [
        "Great Expectations could not validate service_records: the batch has no _row_id"
    ]
