"""``required``, ``conditional``, ``range``, ``enumeration``: the contract's GX suites.

The suites are generated from the contract (:mod:`quality.gx_suites`); Great
Expectations stays their evaluator. Each batch holds ``_row_id`` and only the columns the
suite reads (issue 14), streamed from the new rows as Arrow record batches and handed to
GX as pandas frames whose text columns stay Arrow-backed; every failing row comes back by
its ``_row_id``. What GX could not evaluate is returned as an infrastructure error, never
counted as failing data.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pyarrow as pa

from core.contract import Entity
from quality.gx_suites import ContractCheck, GxValidator, suite_columns
from quality.rules.new_rows import Failure, add_failures, new_rows_table, quote

# Rows per GX batch: GX's cost per batch is mostly fixed (building the validator and the
# metric graph of every expectation, ~0.1-0.2 s CPU for a suite), so batches are large; a
# batch of the widest suite (leads, text as categories) stays a few hundred MB.
BATCH_ROWS = 1_000_000


def batch_query(entity: Entity, checks: list[ContractCheck]) -> str:
    """``_row_id`` and the suite's columns of the new rows.

    Money (DECIMAL) is read as DOUBLE, which is what pandas held for it before batches
    came through Arrow: GX compares numbers vectorised only on float columns, and a
    detail echoes ``-175000``, not ``Decimal('-175000.00')``.
    """
    types = {c.name: c.type for c in entity.columns}
    columns = [
        f"cast({quote(c)} as double) as {quote(c)}" if types.get(c) == "money" else quote(c)
        for c in ["_row_id", *suite_columns(checks)]
    ]
    return f"select {', '.join(columns)} from {new_rows_table(entity.name)}"


def expectation_failures(
    con: duckdb.DuckDBPyConnection,
    validator: GxValidator,
    entity: Entity,
    checks: list[ContractCheck],
) -> list[str]:
    """Run the entity's suite batch by batch; record failing rows; return GX errors."""
    errors: list[str] = []
    rows: list[Failure] = []
    reader: pa.RecordBatchReader = con.sql(batch_query(entity, checks)).to_arrow_reader(BATCH_ROWS)
    for batch in gx_batches(reader, BATCH_ROWS):
        result = validator.validate(entity.name, batch.to_pandas())
        errors.extend(e for e in result.infrastructure_errors if e not in errors)
        rows.extend(
            (entity.name, f.row_id, f.check.rule, f.check.column, f.detail, "gx", "block")
            for f in result.findings
        )
    add_failures(con, rows)  # after the last batch: one result stream at a time
    return errors


def gx_batches(reader: pa.RecordBatchReader, rows: int) -> Iterator[pa.Table]:
    """The stream regrouped into tables of about ``rows`` rows (the last one smaller).

    DuckDB hands out record batches of whatever size its pipelines produced (a 377 k-row
    stream came as 138 k + 239 k): each would cost GX its fixed per-batch work, so they are
    gathered up to ``rows`` first.
    """
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in reader:
        if not batch.num_rows:
            continue
        pending.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(pending)
            pending, count = [], 0
    if pending:
        yield pa.Table.from_batches(pending)
