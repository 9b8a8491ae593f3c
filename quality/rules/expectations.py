"""``required``, ``conditional``, ``range``, ``enumeration``: the contract's GX suites.

The suites are generated from the contract (:mod:`quality.gx_suites`); Great
Expectations stays their evaluator. It validates the rows that can fail — the candidates
DuckDB finds with one predicate per check (:mod:`quality.rules.candidates`) — plus a
check sample of the others (issue 14). Each batch holds ``_row_id`` and only the columns
the suite reads, streamed as Arrow record batches and handed to GX as pandas frames;
every failing row comes back by its ``_row_id``. What GX could not evaluate, and a row GX
fails that the predicate did not flag, is returned as an infrastructure error, never
counted as failing data.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from core.contract import Entity
from quality.gx_suites import ROW_ID, ContractCheck, GxFinding, GxValidator, suite_columns
from quality.rules.candidates import SAMPLE_KEY, candidates_query, flag_column
from quality.rules.new_rows import Failure, add_failures, new_rows_table, quote

# Rows per GX batch: GX's cost per batch is mostly fixed (building the validator and the
# metric graph of every expectation, ~0.1-0.2 s CPU for a suite), so batches are large; a
# batch of the widest suite (leads, text as categories) stays a few hundred MB.
BATCH_ROWS = 1_000_000

# Rows GX validates per entity and build beyond the candidates, all of which the SQL
# predicates say pass: a check that the predicates still mean what GX means (a GX upgrade,
# a new kind of check). See docs/benchmarks.md for why this many.
SAMPLE_ROWS = 10_000


def batch_query(entity: Entity, checks: list[ContractCheck]) -> str:
    """``_row_id`` and the suite's columns of the new rows.

    Money (DECIMAL) is read as DOUBLE, which is what pandas held for it before batches
    came through Arrow: GX compares numbers vectorised only on float columns, and a
    detail echoes ``-175000``, not ``Decimal('-175000.00')``.
    """
    return f"select {', '.join(batch_columns(entity, checks))} from {new_rows_table(entity.name)}"


def batch_columns(entity: Entity, checks: list[ContractCheck]) -> list[str]:
    """The select list of a batch: ``_row_id`` and the suite's columns, money as DOUBLE."""
    types = {c.name: c.type for c in entity.columns}
    return [
        f"cast({quote(c)} as double) as {quote(c)}" if types.get(c) == "money" else quote(c)
        for c in [ROW_ID, *suite_columns(checks)]
    ]


def candidate_batch_query(
    entity: Entity, checks: list[ContractCheck], new_rows: int, sample: int | None
) -> str:
    """The scan that finds the candidates and the rows the sample is taken from.

    Twice ``sample`` rows of the ``new_rows`` are expected in the sample's hash range, so
    that the sample is full even after the candidates among them are set aside; ``None``
    (every row validated) keeps every row.
    """
    share = 1.0 if sample is None else min(1.0, 2 * sample / max(new_rows, 1))
    return candidates_query(
        entity, checks, new_rows_table(entity.name), batch_columns(entity, checks), share
    )


def gx_rows(
    batches: Iterable[pa.RecordBatch], flags: list[str], sample: int | None
) -> Iterator[pa.RecordBatch]:
    """The rows GX validates: every candidate as it comes, then the sample.

    The sample is the ``sample`` non-candidates with the smallest ``_sample_key`` (hash
    of ``_row_id``), ties by ``_row_id``: the same rows in every run over the same data,
    spread over every file and day. Candidates have at least one flag set. ``None``:
    every row, streamed as it comes (nothing held back and sorted).
    """
    pool: list[pa.RecordBatch] = []
    for batch in batches:
        if not batch.num_rows:
            continue
        if sample is None:
            yield batch.drop_columns([SAMPLE_KEY])
            continue
        flagged = functools.reduce(pc.or_, [batch.column(f) for f in flags], pa.scalar(False))
        yield batch.filter(flagged).drop_columns([SAMPLE_KEY])
        pool.append(batch.filter(pc.invert(flagged)))
    if pool and sample > 0:
        others = pa.Table.from_batches(pool).sort_by(
            [(SAMPLE_KEY, "ascending"), (ROW_ID, "ascending")]
        )
        yield from others.slice(0, sample).drop_columns([SAMPLE_KEY]).to_batches()


def expectation_failures(
    con: duckdb.DuckDBPyConnection,
    validator: GxValidator,
    entity: Entity,
    checks: list[ContractCheck],
    new_rows: int,
    *,
    every_row: bool = False,
) -> list[str]:
    """Run the entity's suite on its candidate and sample rows; record failing rows.

    ``new_rows`` is how many new rows the entity has (it sizes the sample's hash range);
    ``every_row`` makes the sample every row (after a run with an infrastructure error).
    Returns the infrastructure errors: what GX could not evaluate, and every check on
    which GX failed a row its SQL predicate did not flag (the predicate and GX disagree,
    so the candidates cannot be trusted: the gate blocks and the rows stay pending).
    """
    if not checks:
        return []
    errors: list[str] = []
    rows: list[Failure] = []
    flags = [flag_column(i) for i in range(len(checks))]
    sample = None if every_row else SAMPLE_ROWS
    query = candidate_batch_query(entity, checks, new_rows, sample)
    reader: pa.RecordBatchReader = con.sql(query).to_arrow_reader(BATCH_ROWS)
    for batch in gx_batches(gx_rows(reader, flags, sample), BATCH_ROWS):
        # only the flagged row ids reach Python: after an infrastructure error the batch
        # is every new row, and the flags are true on a few of them
        flagged = {
            check.key: set(batch[ROW_ID].filter(batch[flag]).to_pylist())
            for check, flag in zip(checks, flags, strict=True)
        }
        result = validator.validate(entity.name, batch.drop_columns(flags).to_pandas())
        errors.extend(e for e in result.infrastructure_errors if e not in errors)
        agreed, unflagged = _split_by_flags(result.findings, flagged)
        errors.extend(e for e in _disagreements(entity.name, unflagged) if e not in errors)
        rows.extend(
            (entity.name, f.row_id, f.check.rule, f.check.column, f.detail, "gx", "block")
            for f in agreed
        )
    add_failures(con, rows)  # after the last batch: one result stream at a time
    return errors


def _split_by_flags(
    findings: list[GxFinding], flagged: dict[str, set[str]]
) -> tuple[list[GxFinding], list[GxFinding]]:
    """GX's failing rows its check's predicate flagged, and those it did not."""
    agreed: list[GxFinding] = []
    unflagged: list[GxFinding] = []
    for finding in findings:
        ok = finding.row_id in flagged.get(finding.check.key, set())
        (agreed if ok else unflagged).append(finding)
    return agreed, unflagged


def _disagreements(entity: str, unflagged: list[GxFinding]) -> list[str]:
    """One infrastructure error per check whose SQL predicate missed rows GX fails."""
    by_check: dict[str, list[GxFinding]] = {}
    for finding in unflagged:
        by_check.setdefault(finding.check.key, []).append(finding)
    return [
        f"Great Expectations and the SQL candidate predicate disagree on {entity} check "
        f"{key}: GX fails {len(found)} row(s) the predicate passed, e.g. row {found[0].row_id}"
        for key, found in by_check.items()
    ]


def gx_batches(reader: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
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
