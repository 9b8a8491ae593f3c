"""Which new rows can fail a GX suite: one SQL predicate per contract check (issue 14).

Great Expectations evaluating every new row costs more than the whole quality step may
(target 2: 1 M rows/s on 2 cores). Each check of a suite is a per-row test — not null,
in a set, between two bounds, one column not before another, some only when a condition
holds — so DuckDB can say in one scan which rows *may fail*: the rows whose predicate is
true for at least one check. GX then validates those candidate rows plus a deterministic
sample of the others, and its verdicts stay what quarantines rows.

The predicates are generated from the same :class:`~quality.gx_suites.ContractCheck`
objects that build the suites (nothing is listed twice) and mean exactly what GX means on
the pandas batch: a null is SQL ``null`` (and NaN for a ``number`` column, which pandas
treats as missing); a row condition that is unknown does not hold; ``in_set``, ``between``
and the pair check ignore missing values. A property test compares them row by row with
GX run on every row.
"""

from __future__ import annotations

from core.contract import Entity
from quality.gx_suites import ContractCheck
from quality.rules.new_rows import quote

# Marks a candidate column of the query below: ``_may_fail_<n>`` is check n's predicate.
FLAG_PREFIX = "_may_fail_"


def _literal(value: object) -> str:
    """A SQL literal for a number or a text value of a check's parameters."""
    if isinstance(value, int | float):
        return repr(float(value))
    return "'" + str(value).replace("'", "''") + "'"


def _is_null(column: str, types: dict[str, str]) -> str:
    """Missing as pandas sees it: SQL null, or NaN in a double column."""
    name = quote(column)
    if types.get(column) == "number":
        return f"({name} is null or isnan({name}))"
    return f"{name} is null"


def _number(column: str, types: dict[str, str]) -> str:
    """The column as GX compares it: money (DECIMAL) is validated as DOUBLE."""
    name = quote(column)
    return f"cast({name} as double)" if types.get(column) == "money" else name


def failure_predicate(check: ContractCheck, types: dict[str, str]) -> str:
    """A SQL expression, never null, that is true exactly for the rows GX fails ``check`` on.

    ``types`` maps each column to its contract type (``number`` columns can hold NaN).
    """
    p = check.params
    column = quote(check.column)
    missing = _is_null(check.column, types)
    present = f"not {missing}"
    if check.kind == "not_null":
        if "when_column" in p:
            values = ", ".join(_literal(v) for v in p["when_in"])
            return f"({missing} and coalesce({quote(p['when_column'])} in ({values}), false))"
        if "unless_null" in p:
            return f"({missing} and {_is_null(p['unless_null'], types)})"
        return f"({missing})"
    if check.kind == "in_set":
        values = ", ".join(_literal(v) for v in p["values"])
        return f"({present} and coalesce({column} not in ({values}), false))"
    if check.kind == "between":
        value = _number(check.column, types)
        bounds = []
        if p.get("min") is not None:
            bounds.append(f"{value} < {_literal(p['min'])}")
        if p.get("max") is not None:
            bounds.append(f"{value} > {_literal(p['max'])}")
        return f"({present} and coalesce({' or '.join(bounds)}, false))"
    if check.kind == "pair_not_before":
        other = p["other"]
        both = f"{present} and not {_is_null(other, types)}"
        return f"({both} and coalesce({column} < {quote(other)}, false))"
    raise ValueError(f"unknown check kind {check.kind!r}")


def flag_column(index: int) -> str:
    """The name of check ``index``'s predicate column in :func:`candidates_query`."""
    return f"{FLAG_PREFIX}{index}"


SAMPLE_KEY = "_sample_key"


def candidates_query(
    entity: Entity, checks: list[ContractCheck], rows: str, select: list[str], share: float
) -> str:
    """One scan of ``rows``: every candidate, and the rows that may make the sample.

    ``select`` is the batch's column list (``_row_id`` and the suite's columns); each
    check's predicate comes along as ``_may_fail_<n>`` so that a GX failure on a row its
    predicate did not flag is seen as a disagreement, and ``_sample_key`` (the hash of
    ``_row_id``) orders the sample. Besides the candidates, the scan keeps the rows whose
    hash lies in the lowest ``share`` of its range: the sample is taken from those, so
    only a few rows are ever sorted (sorting every row by its hash cost more than finding
    the candidates, issue 14).
    """
    types = {c.name: c.type for c in entity.columns}
    predicates = [failure_predicate(check, types) for check in checks]
    flags = [f"{p} as {flag_column(i)}" for i, p in enumerate(predicates)]
    in_sample_range = f"hash(_row_id) / 18446744073709551616.0 < {float(share)!r}"
    if share >= 1:  # every row may make the sample (the largest hashes round to 1.0)
        in_sample_range = "true"
    return (
        f"select {', '.join([*select, *flags])}, hash(_row_id) as {SAMPLE_KEY} "
        f"from {rows} where {' or '.join([*predicates, in_sample_range])}"
    )
