"""The publish gate (spec/quality.md, "The gate"), and its durable state.

A build publishes only when nothing holds the gate. The gate reads the state every earlier
step left in ``data_quality``, not what this run happened to do, so what blocked one build
blocks every later one (a re-run, a later date, a build after a crash) until resolved:

1. a **rejected file** holds while it is the latest record of its landing path;
2. a **quarantine-rate breach** (quarantined ÷ rows checked in one build, per entity, above
   ``max_quarantine_rate``) is tied to the files whose rows were quarantined
   (``gate_holds``) and holds while such a file is still the latest load of its path.
   Both are resolved by a corrected version of the file (same path, another content),
   by removing it from landing (``withdrawn``) or by ``crm-pipeline accept FILE --reason``
   (``accepted``, with who, when and why in ``acceptances``);
3. a **failed error-severity dbt test** holds while it fails: the latest dbt test run is
   read, and it must have run after the rows were last checked (a re-run cannot skip it);
4. **rows not yet checked** (loaded by a run that died before its quality step finished)
   hold until a quality step checks them; and the quality checks of this run must have
   run (a Great Expectations failure is an infrastructure error, never bad data).

Every reason is one sentence, repeated in each blocked build.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections import defaultdict
from dataclasses import dataclass, field

import duckdb

from core.quality_tables import DQ_SCHEMA
from core.rules import Rule
from core.settings import Settings
from ingestion.loader import FileState, latest_file_states


@dataclass(frozen=True)
class GateDecision:
    """Whether to publish, and every reason not to (empty when publishing)."""

    publish: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """Why not (blocked); for a publish only that the gate let it through — what the
        build still found is :class:`BuildFindings`' to say."""
        return "the gate passed" if self.publish else "; ".join(self.reasons)


PUBLISHED_WITH_WARNINGS = "published with warnings"


@dataclass(frozen=True)
class BuildFindings:
    """What a build found that did not block it: rows quarantined per entity, and checks
    that did not pass (warn-level findings, quarantine rules that found rows, warn-severity
    dbt tests). A published build with any of them is "published with warnings"."""

    quarantined: dict[str, int] = field(default_factory=dict)
    warnings: int = 0

    @property
    def rows_quarantined(self) -> int:
        return sum(self.quarantined.values())

    def outcome(self, status: str) -> str:
        """``published with warnings`` for a publish with findings, else ``status``."""
        if status == "published" and (self.rows_quarantined or self.warnings):
            return PUBLISHED_WITH_WARNINGS
        return status

    def describe(self) -> str:
        """One sentence for publish_log.reason and the CLI, e.g.
        ``5 rows quarantined (leads 3, activities 2); 2 checks did not pass``."""
        if not (self.rows_quarantined or self.warnings):
            return "all checks passed"
        parts = []
        if self.rows_quarantined:
            per = ", ".join(f"{e} {n}" for e, n in self.quarantined.items() if n)
            parts.append(f"{_count(self.rows_quarantined, 'row')} quarantined ({per})")
        if self.warnings:
            parts.append(f"{_count(self.warnings, 'check')} did not pass (see check_results)")
        return "; ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def build_findings(con: duckdb.DuckDBPyConnection, run_id: str) -> BuildFindings:
    """The build's non-blocking findings, from its check_results rows."""
    quarantined = {
        str(entity): int(failed or 0)
        for entity, failed in con.execute(
            f"select entity, failed_rows from {DQ_SCHEMA}.check_results "
            f"where run_id = ? and rule = '{Rule.QUARANTINE_RATE}' order by entity",
            [run_id],
        ).fetchall()
    }
    (warnings,) = con.execute(
        f"select count(*) from {DQ_SCHEMA}.check_results where run_id = ? "
        f"and rule <> '{Rule.QUARANTINE_RATE}' and coalesce(status, "
        "case when passed then 'pass' else 'fail' end) <> 'pass'",
        [run_id],
    ).fetchone() or (0,)
    return BuildFindings(quarantined, int(warnings))


class NothingToAccept(ValueError):
    """``accept`` named a file that holds nothing against the gate."""


def blocking_files(con: duckdb.DuckDBPyConnection) -> list[FileState]:
    """Landing paths that hold the gate now (rejected, or loaded under a rate hold)."""
    return [s for _, s in sorted(latest_file_states(con).items()) if s.blocking]


def _rejected_files(states: list[FileState]) -> list[str]:
    return [f"file rejected: {s.error or s.file_path}" for s in states if s.status == "rejected"]


def _rate_breaches(con: duckdb.DuckDBPyConnection, states: list[FileState]) -> list[str]:
    """One sentence per recorded breach still held by at least one of its files."""
    held = {(s.file_path, s.file_hash) for s in states if s.status == "loaded"}
    rows = con.execute(
        f"select created_at, reason, file_path, file_hash from {DQ_SCHEMA}.gate_holds "
        "order by created_at, reason, file_path"
    ).fetchall()
    files: dict[str, list[str]] = defaultdict(list)
    for _, reason, path, file_hash in rows:
        if (path, file_hash) in held and path not in files[reason]:
            files[reason].append(path)
    return [
        f"{reason} (held until {', '.join(paths)} is corrected, withdrawn or accepted)"
        for reason, paths in files.items()
        if paths
    ]


def _latest_dbt_run(con: duckdb.DuckDBPyConnection) -> tuple[str, dt.datetime] | None:
    row = con.execute(
        f"select run_id, max(checked_at) from {DQ_SCHEMA}.check_results "
        "where check_source = 'dbt' group by run_id order by 2 desc limit 1"
    ).fetchone()
    return (str(row[0]), row[1]) if row else None


def _dbt_failures(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Failures of the latest dbt test run, which must be newer than the latest check."""
    latest = _latest_dbt_run(con)
    if latest is None:
        return ["dbt tests have not run on the current data"]
    run_id, tested_at = latest
    last_check = con.execute(f"select max(checked_at) from {DQ_SCHEMA}.checked_loads").fetchone()[0]
    if last_check is not None and tested_at is not None and tested_at < last_check:
        return ["dbt tests have not run since rows were last checked"]
    rows = con.execute(
        f"select rule, failed_rows from {DQ_SCHEMA}.check_results "
        "where run_id = ? and check_source = 'dbt' and severity = 'block' and not passed "
        "order by rule",
        [run_id],
    ).fetchall()
    return [f"dbt check failed: {rule} ({failed or 0} rows)" for rule, failed in rows]


def pending_loads(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Loaded files whose rows no quality step has checked yet (staging leaves them out)."""
    rows = con.execute(
        f"""
        select file_loads.file_path
        from {DQ_SCHEMA}.file_loads as file_loads
        where file_loads.status = 'loaded'
          and not exists (
              select 1 from {DQ_SCHEMA}.checked_loads as checked
              where checked.file_hash = file_loads.file_hash
                and checked.load_seq = file_loads.load_seq)
        order by file_loads.file_path
        """
    ).fetchall()
    return [path for (path,) in rows]


def _unchecked(con: duckdb.DuckDBPyConnection) -> list[str]:
    pending = pending_loads(con)
    if not pending:
        return []
    return [
        f"{len(pending)} loaded file(s) not yet checked by the quality step "
        f"({', '.join(pending[:3])}{', …' if len(pending) > 3 else ''})"
    ]


def _infrastructure_errors(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    rows = con.execute(
        f"select detail from {DQ_SCHEMA}.check_results "
        f"where run_id = ? and rule = '{Rule.INFRASTRUCTURE}' and not passed order by detail",
        [run_id],
    ).fetchall()
    return [f"quality checks could not run: {detail}" for (detail,) in rows]


def evaluate_gate(
    con: duckdb.DuckDBPyConnection, settings: Settings, *, run_id: str, with_dbt: bool = True
) -> GateDecision:
    """Apply the gate rules to the warehouse's recorded state.

    ``settings`` is kept for callers (the rate limit was applied when the rows were
    checked); ``with_dbt=False`` leaves out rule 3, for ``validate``, which runs no dbt.
    """
    del settings
    states = blocking_files(con)
    reasons = (
        _rejected_files(states)
        + _rate_breaches(con, states)
        + (_dbt_failures(con) if with_dbt else [])
        + _unchecked(con)
        + _infrastructure_errors(con, run_id)
    )
    return GateDecision(publish=not reasons, reasons=reasons)


# ---------------------------------------------------------------------------- accept
@dataclass(frozen=True)
class Acceptance:
    """What ``crm-pipeline accept`` recorded."""

    file_path: str
    accepted_by: str
    accepted_at: dt.datetime
    reason: str
    resolved: str


def current_user() -> str:
    """The operating-system user running the command (who accepted)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def accept_file(
    con: duckdb.DuckDBPyConnection,
    file_path: str,
    reason: str,
    *,
    user: str | None = None,
    now: dt.datetime | None = None,
) -> Acceptance:
    """Accept a blocking file explicitly: an ``accepted`` file_loads row and its record.

    Raises :class:`NothingToAccept` (one sentence) when the path holds nothing.
    """
    if not reason.strip():
        raise NothingToAccept("--reason must say why the file is accepted")
    state = latest_file_states(con, file_path).get(file_path)
    if state is None or not state.blocking:
        holding = ", ".join(s.file_path for s in blocking_files(con)) or "none"
        raise NothingToAccept(
            f"{file_path} holds nothing against the gate (files holding it: {holding})"
        )
    who = user or current_user()
    at = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    resolved = (
        f"rejected: {state.error}"
        if state.status == "rejected"
        else "quarantine-rate limit exceeded by its rows"
    )
    con.execute(
        f"insert into {DQ_SCHEMA}.acceptances values (?, ?, ?, ?, ?, ?, ?)",
        [file_path, state.file_hash, state.entity, at, who, reason.strip(), resolved],
    )
    con.execute(
        f"insert into {DQ_SCHEMA}.file_loads (file_path, file_hash, entity, loaded_at, "
        "rows_read, rows_loaded, rows_quarantined, status, error, run_id, as_of_date, "
        "load_seq) values (?, ?, ?, ?, 0, 0, 0, 'accepted', ?, null, null, null)",
        [
            file_path,
            state.file_hash,
            state.entity,
            at,
            f"{file_path}: accepted by {who}: {reason.strip()}",
        ],
    )
    return Acceptance(file_path, who, at, reason.strip(), resolved)


def acceptances_since_previous_build(
    con: duckdb.DuckDBPyConnection, run_id: str
) -> list[tuple[str, str, dt.datetime, str, str]]:
    """(file, who, when, why, what it resolved) accepted since the build before this one."""
    return con.execute(
        f"""
        select file_path, accepted_by, accepted_at, reason, resolved
        from {DQ_SCHEMA}.acceptances
        where accepted_at > coalesce((
            select max(finished_at) from {DQ_SCHEMA}.publish_log where run_id <> ?
        ), timestamp '1900-01-01')
        order by accepted_at, file_path
        """,
        [run_id],
    ).fetchall()
