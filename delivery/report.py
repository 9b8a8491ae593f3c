"""The quality report of one build: what failed, whose records, where to look.

:func:`collect_summary` reads what the build recorded in ``data_quality`` (publish
decision, rejected files, quarantine, warnings, dbt results) into a :class:`BuildSummary`;
:func:`render_html` writes the managers' report (``reports/<D>/quality_report.html``) and
:func:`render_text` the bilingual (Chinese and English) text the alert and the ``validate``
command print. Every value shown is escaped, and masked again on the way out: no phone
number, e-mail address or note text ever appears.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import jinja2

from core.contract import load_contract
from core.labels import label
from core.masking import scrub
from core.quality_tables import DQ_SCHEMA
from core.rules import Rule
from core.settings import Settings
from delivery.alert_message import column_name, entity_name, owner_name, what_to_do
from quality.gate import acceptances_since_previous_build, blocking_files, pending_loads
from quality.scorecard import NO_OWNER

MAX_EXAMPLES = 10
MAX_REPORT_ROWS = 500
REPORT_NAME = "quality_report.html"

TEMPLATES = Path(__file__).with_name("templates")
TABLES = (
    "quarantine",
    "check_results",
    "file_loads",
    "owner_scorecard",
    "plausibility_findings",
    "publish_log",
    "alert_log",
)


def outcome_labels(outcome: str) -> tuple[str, str]:
    """(Chinese, English) of an outcome: 已发布（有警告） / published with warnings."""
    return label("outcome", outcome, "zh"), label("outcome", outcome, "en")


@dataclass(frozen=True)
class RuleLine:
    """Failing rows of one (entity, rule) in this build."""

    entity: str
    rule: str
    severity: str
    failed_rows: int
    checked_rows: int
    examples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.failed_rows / self.checked_rows if self.checked_rows else None


@dataclass(frozen=True)
class OwnerLine:
    """The manager's to-do list: one owner's quarantined records and the rules broken."""

    owner: str
    records: int
    rules: list[str]
    entities: list[str]


@dataclass(frozen=True)
class EntityLine:
    entity: str
    rows_checked: int
    rows_quarantined: int
    limit: float | None

    @property
    def rate(self) -> float | None:
        return self.rows_quarantined / self.rows_checked if self.rows_checked else None


@dataclass(frozen=True)
class RecordLine:
    """One quarantined record to fix: where it is and which rule it broke."""

    owner: str
    entity: str
    record_id: str | None
    source_file: str
    source_row: int | None
    column: str | None
    rule: str
    detail: str


@dataclass
class BuildSummary:
    """Everything the report and the alert say about one build."""

    run_id: str
    as_of_date: dt.date
    status: str
    reason: str
    rejected_files: list[str] = field(default_factory=list)
    ignored_entries: list[str] = field(default_factory=list)  # recorded by this build
    withdrawn_files: list[str] = field(default_factory=list)  # recorded by this build
    acceptances: list[str] = field(default_factory=list)  # since the previous build
    entities: list[EntityLine] = field(default_factory=list)
    rules: list[RuleLine] = field(default_factory=list)
    owners: list[OwnerLine] = field(default_factory=list)
    dbt_failures: list[str] = field(default_factory=list)
    infrastructure_errors: list[str] = field(default_factory=list)
    rows_released: int = 0
    report_path: Path | None = None
    serving_db: Path | None = None
    outcome: str = ""  # status, or "published with warnings" (publish_log.outcome)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    rate_holds: list[tuple[str, str]] = field(default_factory=list)  # (entity, file)
    dbt_warnings: list[str] = field(default_factory=list)  # warn-level tests with rows
    pending_checks: bool = False  # loaded files not yet checked hold the gate
    records: list[RecordLine] = field(default_factory=list)  # every quarantined record
    ignored_paths: list[str] = field(default_factory=list)  # landing entries not loaded
    withdrawn_paths: list[str] = field(default_factory=list)
    accepted: list[tuple[str, str, str]] = field(default_factory=list)  # path, who, when UTC
    report_url: str | None = None  # the report as a link (reports.base_url)

    @property
    def label(self) -> str:
        """published / published with warnings / blocked / failed."""
        return self.outcome or self.status

    @property
    def notify_type(self) -> str:
        """apprise's notification type: failure when not published, warning when the
        build quarantined rows or found anything, info otherwise."""
        if self.status in {"blocked", "failed"}:
            return "failure"
        return "warning" if self.has_news else "info"

    @property
    def quarantined_rows(self) -> int:
        return sum(e.rows_quarantined for e in self.entities)

    @property
    def has_news(self) -> bool:
        """Something to tell managers: quarantine, rejection, failed check, or blocked."""
        return bool(
            self.status in {"blocked", "failed"}
            or self.rejected_files
            or self.ignored_entries
            or self.withdrawn_files
            or self.acceptances
            or self.quarantined_rows
            or self.dbt_failures
            or self.dbt_warnings
            or self.infrastructure_errors
            or any(r.failed_rows for r in self.rules)
        )


# ------------------------------------------------------------------------- collecting
def collect_summary(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    as_of_date: dt.date,
    *,
    settings: Settings | None = None,
    status: str | None = None,
    reason: str | None = None,
) -> BuildSummary:
    """Read one build's recorded outcome from the ``data_quality`` tables."""
    if status is None:
        row = con.execute(
            f"select status, reason from {DQ_SCHEMA}.publish_log where run_id = ?", [run_id]
        ).fetchone()
        status, reason = (row[0], row[1]) if row else ("failed", "no publish decision recorded")
    summary = BuildSummary(run_id, as_of_date, status, reason or "")
    summary.outcome = _outcome(con, run_id, status)
    # rejected files still holding the gate, whichever build rejected them
    holding = blocking_files(con)
    summary.rejected_files = [
        scrub(s.error or s.file_path) or "" for s in holding if s.status == "rejected"
    ]
    summary.rejected = [
        (Path(s.file_path).name, scrub(s.error or "") or "")
        for s in holding
        if s.status == "rejected"
    ]
    summary.rate_holds = [
        (s.entity or "", Path(s.file_path).name) for s in holding if s.status == "loaded"
    ]
    summary.pending_checks = bool(pending_loads(con))
    for status, texts, paths in (
        ("ignored", summary.ignored_entries, summary.ignored_paths),
        ("withdrawn", summary.withdrawn_files, summary.withdrawn_paths),
    ):
        for path, error in con.execute(
            f"select file_path, error from {DQ_SCHEMA}.file_loads "
            "where run_id = ? and status = ? order by file_path",
            [run_id, status],
        ).fetchall():
            texts.append(scrub(str(error or path)) or "")
            paths.append(scrub(str(path)) or "")
    accepted = acceptances_since_previous_build(con, run_id)
    summary.acceptances = [
        scrub(f"{path}: accepted by {who} at {at:%Y-%m-%d %H:%M} UTC — {why} ({what})") or ""
        for path, who, at, why, what in accepted
    ]
    summary.accepted = [
        (scrub(str(path)) or "", scrub(str(who)) or "", f"{at:%Y-%m-%d %H:%M}")
        for path, who, at, _, _ in accepted
    ]
    summary.entities = _entities(con, run_id, settings)
    summary.rules = _rules(con, run_id, {e.entity: e.rows_checked for e in summary.entities})
    summary.owners = _owners(con, run_id)
    summary.dbt_failures = [
        scrub(f"{rule} ({failed or 0} rows): {detail or 'failed'}") or ""
        for rule, failed, detail in con.execute(
            f"select rule, failed_rows, detail from {DQ_SCHEMA}.check_results "
            "where run_id = ? and check_source = 'dbt' and not passed "
            "and coalesce(status, 'fail') <> 'warn' order by rule",
            [run_id],
        ).fetchall()
    ]
    summary.dbt_warnings = [
        scrub(f"{rule} ({failed or 0} rows)") or ""
        for rule, failed in con.execute(
            f"select rule, failed_rows from {DQ_SCHEMA}.check_results where run_id = ? "
            "and check_source = 'dbt' and status = 'warn' order by rule",
            [run_id],
        ).fetchall()
    ]
    summary.records = _records(con, run_id)
    summary.infrastructure_errors = [
        scrub(str(d)) or ""
        for (d,) in con.execute(
            f"select detail from {DQ_SCHEMA}.check_results "
            f"where run_id = ? and rule = '{Rule.INFRASTRUCTURE}' order by detail",
            [run_id],
        ).fetchall()
    ]
    # The quality step stamps releases with its own checked_at.
    summary.rows_released = int(
        con.execute(
            f"select count(distinct row_id) from {DQ_SCHEMA}.quarantine "
            f"where released_at in (select checked_at from {DQ_SCHEMA}.check_results "
            "where run_id = ? and check_source <> 'dbt')",
            [run_id],
        ).fetchone()[0]
    )
    return summary


def _outcome(con: duckdb.DuckDBPyConnection, run_id: str, status: str) -> str:
    """publish_log.outcome of the run (``published with warnings``), else the status."""
    row = con.execute(
        f"select outcome from {DQ_SCHEMA}.publish_log where run_id = ? and status = ?",
        [run_id, status],
    ).fetchone()
    return str(row[0]) if row and row[0] else status


def _records(con: duckdb.DuckDBPyConnection, run_id: str) -> list[RecordLine]:
    """Every record this build quarantined, per owner (most records first), in file order."""
    rows = con.execute(
        f"""
        with flagged as (
            select coalesce(owner, '{NO_OWNER}') as owner, entity, record_id, source_file,
                   source_row, column_name, rule, detail
            from {DQ_SCHEMA}.quarantine where run_id = ?
        ),
        per_owner as (select owner, count(*) as records from flagged group by owner)
        select flagged.*
        from flagged join per_owner using (owner)
        order by per_owner.records desc, owner, source_file, source_row, rule, column_name
        """,
        [run_id],
    ).fetchall()
    return [
        RecordLine(
            owner=scrub(str(owner)) or "",
            entity=str(entity),
            record_id=scrub(str(record)) if record is not None else None,
            # the landing-relative path: leads/ and follow_ups/ may hold files of one name
            source_file=str(source_file or ""),
            source_row=int(row) if row is not None else None,
            column=str(column) if column else None,
            rule=str(rule),
            detail=scrub(str(detail or "")) or "",
        )
        for owner, entity, record, source_file, row, column, rule, detail in rows
    ]


def _entities(
    con: duckdb.DuckDBPyConnection, run_id: str, settings: Settings | None
) -> list[EntityLine]:
    settings = settings or Settings()
    counts = {
        entity: (int(checked or 0), int(failed or 0))
        for entity, checked, failed in con.execute(
            f"select entity, checked_rows, failed_rows from {DQ_SCHEMA}.check_results "
            f"where run_id = ? and rule = '{Rule.QUARANTINE_RATE}'",
            [run_id],
        ).fetchall()
    }
    return [
        EntityLine(name, *counts.get(name, (0, 0)), settings.quality.limit_for(name))
        for name in load_contract().entities
    ]


def _rules(con: duckdb.DuckDBPyConnection, run_id: str, checked: dict[str, int]) -> list[RuleLine]:
    rows = con.execute(
        f"""
        with flagged as (
            select entity, rule, 'block' as severity, row_id, record_id
            from {DQ_SCHEMA}.quarantine where run_id = ?
            union all
            select entity, rule, 'warn' as severity, row_id, record_id
            from {DQ_SCHEMA}.plausibility_findings where run_id = ?
        )
        select entity, rule, severity, count(distinct row_id) as failed_rows,
               list(distinct record_id order by record_id) filter (where record_id is not null)
        from flagged
        group by entity, rule, severity
        order by severity, entity, rule
        """,
        [run_id, run_id],
    ).fetchall()
    return [
        RuleLine(
            entity,
            rule,
            severity,
            int(failed),
            checked.get(entity, 0),
            [str(x) for x in (examples or [])][:MAX_EXAMPLES],
        )
        for entity, rule, severity, failed, examples in rows
    ]


def _owners(con: duckdb.DuckDBPyConnection, run_id: str) -> list[OwnerLine]:
    rows = con.execute(
        f"""
        select coalesce(owner, '{NO_OWNER}') as owner, count(distinct row_id) as records,
               list(distinct rule order by rule), list(distinct entity order by entity)
        from {DQ_SCHEMA}.quarantine
        where run_id = ?
        group by 1
        order by records desc, owner
        """,
        [run_id],
    ).fetchall()
    return [OwnerLine(str(o), int(n), list(r), list(e)) for o, n, r, e in rows]


# --------------------------------------------------------------------------- rendering
def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def _status_line(summary: BuildSummary) -> str:
    zh, en = outcome_labels(summary.label)
    return f"{zh} / {en}"


def render_text(summary: BuildSummary, *, where: bool = True) -> str:
    """The alert's body: Chinese and English side by side, no personal data.

    ``where`` adds where the full report is (not for ``validate``, which keeps nothing).
    """
    lines = [
        f"业务日期 / Business date: {summary.as_of_date.isoformat()}",
        f"结果 / Outcome: {_status_line(summary)}",
    ]
    if summary.reason and summary.status != "published":
        lines.append(f"原因 / Why: {summary.reason}")
    if summary.rejected_files:
        lines.append("被拒收的文件 / Rejected files:")
        lines += [f"  - {f}" for f in summary.rejected_files]
    if summary.acceptances:
        lines.append("已人工接受 / Accepted explicitly (crm-pipeline accept):")
        lines += [f"  - {a}" for a in summary.acceptances]
    if summary.withdrawn_files:
        lines.append("已撤回(已从落地目录移除) / Withdrawn (removed from landing):")
        lines += [f"  - {w}" for w in summary.withdrawn_files]
    if summary.ignored_entries:
        lines.append("未加载的条目 / Landing entries not loaded (ignored):")
        lines += [f"  - {i}" for i in summary.ignored_entries]
    lines.append("各实体隔离率 / Quarantine rate per entity:")
    for e in summary.entities:
        limit = "" if e.limit is None else f" (上限 / limit {e.limit:.0%})"
        lines.append(
            f"  - {e.entity}: {e.rows_quarantined}/{e.rows_checked} 行 rows, {_pct(e.rate)}{limit}"
        )
    if summary.rules:
        lines.append("按实体和规则 / Per entity and rule (failing rows, rate, examples):")
        for r in summary.rules:
            rule_zh = label("quality_rule", r.rule, "zh")
            kind = "提醒 / warning" if r.severity == "warn" else "隔离 / quarantined"
            examples = ", ".join(r.examples) or "—"
            lines.append(
                f"  - {r.entity} · {rule_zh} / {r.rule} [{kind}]: {r.failed_rows} 行 rows "
                f"({_pct(r.rate)}); 示例 / e.g.: {examples}"
            )
    if summary.owners:
        lines.append("负责人待办 / Owner to-do list (records to fix, rules):")
        for o in summary.owners:
            rules = ", ".join(f"{label('quality_rule', x, 'zh')}/{x}" for x in o.rules)
            lines.append(
                f"  - {o.owner}: {o.records} 条记录 records ({', '.join(o.entities)}) — {rules}"
            )
    if summary.dbt_failures:
        lines.append("未通过的 dbt 测试 / Failed dbt tests:")
        lines += [f"  - {f}" for f in summary.dbt_failures]
    if summary.infrastructure_errors:
        lines.append("检查未能运行 / Checks that could not run:")
        lines += [f"  - {e}" for e in summary.infrastructure_errors]
    if summary.rows_released:
        lines.append(
            f"已放行 / Released: {summary.rows_released} 行此前隔离的记录已找到关联商机 / "
            "earlier quarantined rows whose lead has now arrived"
        )
    if where:
        lines.append(_where_text(summary))
    return scrub("\n".join(lines)) or ""


def _where_text(summary: BuildSummary) -> str:
    parts = ["完整报告 / Full report:"]
    if summary.report_path is not None:
        parts.append(f"  - HTML: {summary.report_path}")
    tables = ", ".join(f"data_quality.{t}" for t in TABLES)
    where = f" ({summary.serving_db})" if summary.serving_db is not None else ""
    parts.append(f"  - 数据表 / tables{where}: {tables}")
    return "\n".join(parts)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )


def _safe(value: object) -> str:
    """Text for the report: personal data masked (escaping is the template's)."""
    return scrub("" if value is None else str(value)) or ""


def _owner_blocks(summary: BuildSummary) -> tuple[list[dict[str, object]], str]:
    """Each owner's records (the first MAX_REPORT_ROWS in all) and a line for the rest."""
    owners: dict[str, list[dict[str, object]]] = {}
    for record in summary.records[:MAX_REPORT_ROWS]:
        owners.setdefault(record.owner, []).append(
            {
                "record": _safe(record.record_id) or label("alert_text", "no_record_id", "zh"),
                "file": _safe(record.source_file),
                "row": "—" if record.source_row is None else record.source_row,
                "column_zh": column_name(record.entity, record.column, "zh"),
                "column": record.column or "",
                "problem": what_to_do(record.rule, record.entity, record.column, "zh"),
                "detail": _safe(record.detail),
            }
        )
    left = len(summary.records) - MAX_REPORT_ROWS
    more = (
        f"…及另外 {left} 条，见数据表 data_quality.quarantine / "
        f"and {left} more in data_quality.quarantine"
        if left > 0
        else ""
    )
    blocks = [{"name": owner_name(o, "zh"), "records": r} for o, r in owners.items()]
    return blocks, more


def _lists(summary: BuildSummary) -> list[dict[str, object]]:
    def block(zh: str, en: str, items: list[str]) -> dict[str, object]:
        return {"zh": zh, "en": en, "entries": [_safe(i) for i in items]}

    return [
        block("被拒收的文件", "Rejected files", summary.rejected_files),
        block("已人工接受", "Accepted explicitly (crm-pipeline accept)", summary.acceptances),
        block("已撤回", "Withdrawn from landing", summary.withdrawn_files),
        block("未加载的条目", "Landing entries not loaded", summary.ignored_entries),
        block("未通过的数据测试", "Failed dbt tests", summary.dbt_failures),
        block(
            "发现可疑数据的数据测试（仅提醒）",
            "Warn-level dbt tests that found rows",
            summary.dbt_warnings,
        ),
        block("检查未能运行", "Checks that could not run", summary.infrastructure_errors),
    ]


def render_html(summary: BuildSummary) -> str:
    """The report page (jinja2 template ``templates/quality_report.html.j2``): Chinese
    first, self-contained (inline CSS, no scripts), everything escaped and masked."""
    zh, en = outcome_labels(summary.label)
    owners, more = _owner_blocks(summary)
    outcome_class = {
        "published": "published",
        "published with warnings": "warnings",
    }.get(summary.label, summary.status)
    return (
        _environment()
        .get_template("quality_report.html.j2")
        .render(
            date=summary.as_of_date.isoformat(),
            outcome_zh=zh,
            outcome_en=en,
            outcome_class=outcome_class,
            reason=_safe(summary.reason),
            run_id=_safe(summary.run_id),
            entities=[
                {
                    "name": entity_name(e.entity, "zh"),
                    "key": e.entity,
                    "checked": e.rows_checked,
                    "quarantined": e.rows_quarantined,
                    "rate": _pct(e.rate),
                    "limit": "—" if e.limit is None else f"{e.limit:.0%}",
                }
                for e in summary.entities
            ],
            rules=[
                {
                    "entity": entity_name(r.entity, "zh"),
                    "rule_zh": label("quality_rule", r.rule, "zh"),
                    "rule": r.rule,
                    "severity": label("severity", r.severity, "zh"),
                    "failed": r.failed_rows,
                    "rate": _pct(r.rate),
                    "examples": _safe(", ".join(r.examples)),
                }
                for r in summary.rules
            ],
            owners=owners,
            records_left=more,
            lists=_lists(summary),
            serving_db=_safe(summary.serving_db) if summary.serving_db else "",
            tables=", ".join(f"data_quality.{t}" for t in TABLES),
        )
    )


def write_report(con: duckdb.DuckDBPyConnection, summary: BuildSummary, report_dir: Path) -> Path:
    """Write ``report_dir/quality_report.html`` (atomically) and note it in the summary."""
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / REPORT_NAME
    summary.report_path = path
    temporary = path.with_name(f".{REPORT_NAME}.tmp")
    temporary.write_text(render_html(summary), encoding="utf-8")
    temporary.replace(path)
    return path
