"""``type`` (and ``enumeration``) problems the loader found while parsing.

The loader cannot parse a value into its typed column without losing it, so it leaves the
column NULL and records ``{column, rule, detail}`` in the row's ``_errors`` JSON list
(docs/architecture.md, "Data flow"). This family turns each recorded problem into a
blocking finding; an enumeration problem counts as the GX enumeration rule's, so it is
reported once.
"""

from __future__ import annotations

import json

import duckdb

from core.contract import Entity
from core.masking import scrub
from core.rules import Rule
from quality.rules.new_rows import Failure, add_failures, new_rows_table


def parse_problem_failures(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """One blocking finding per problem recorded in the new rows' ``_errors``."""
    con.execute(
        f"select _row_id, _errors from {new_rows_table(entity.name)} "
        "where _errors is not null and _errors <> '[]'"
    )
    rows: list[Failure] = []
    while batch := con.fetchmany(10_000):
        for row_id, errors in batch:
            for problem in _problems(errors):
                rule = str(problem.get("rule") or Rule.TYPE)
                source = "parser" if rule == Rule.TYPE else "gx"
                rows.append(
                    (
                        entity.name,
                        row_id,
                        rule,
                        problem.get("column"),
                        scrub(str(problem.get("detail") or f"{rule} problem")) or "",
                        source,
                        "block",
                    )
                )
    add_failures(con, rows)


def _problems(errors: str) -> list[dict[str, str]]:
    """The problems of one ``_errors`` value; an unreadable list is itself a problem."""
    try:
        parsed = json.loads(errors)
    except (TypeError, ValueError):
        return [{"column": None, "rule": Rule.TYPE, "detail": "unreadable parse problem list"}]
    return [p for p in parsed if isinstance(p, dict)] if isinstance(parsed, list) else []
