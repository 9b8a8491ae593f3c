"""``required``, ``conditional``, ``range``, ``enumeration``: the contract's GX suites.

The suites are generated from the contract (:mod:`quality.gx_suites`); Great
Expectations stays their evaluator. Each batch holds ``_row_id`` and only the columns the
suite reads (issue 14), fetched from the new rows in chunks; every failing row comes back
by its ``_row_id``. What GX could not evaluate is returned as an infrastructure error,
never counted as failing data.
"""

from __future__ import annotations

import duckdb

from core.contract import Entity
from quality.gx_suites import ContractCheck, GxValidator, suite_columns
from quality.rules.new_rows import Failure, add_failures, new_rows_table, quote

CHUNK_VECTORS = 98  # DuckDB vectors of 2,048 rows: ~200k rows per pandas chunk


def expectation_failures(
    con: duckdb.DuckDBPyConnection,
    validator: GxValidator,
    entity: Entity,
    checks: list[ContractCheck],
) -> list[str]:
    """Run the entity's suite chunk by chunk; record failing rows; return GX errors."""
    columns = ", ".join(quote(c) for c in ["_row_id", *suite_columns(checks)])
    con.execute(f"select {columns} from {new_rows_table(entity.name)}")
    errors: list[str] = []
    rows: list[Failure] = []
    while True:
        frame = con.fetch_df_chunk(CHUNK_VECTORS)
        if frame is None or frame.empty:
            break
        result = validator.validate(entity.name, frame)
        errors.extend(e for e in result.infrastructure_errors if e not in errors)
        rows.extend(
            (entity.name, f.row_id, f.check.rule, f.check.column, f.detail, "gx", "block")
            for f in result.findings
        )
    add_failures(con, rows)  # after the last chunk: one result stream at a time
    return errors
