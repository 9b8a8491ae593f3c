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
import html
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.contract import load_contract
from core.masking import scrub
from core.quality_tables import DQ_SCHEMA
from core.settings import Settings
from quality.checks import NO_OWNER
from quality.gate import acceptances_since_previous_build, blocking_files, pending_loads

MAX_EXAMPLES = 10
MAX_REPORT_ROWS = 500
REPORT_NAME = "quality_report.html"

RULE_LABELS: dict[str, str] = {
    "structure": "文件结构",
    "required": "必填",
    "type": "类型/格式",
    "range": "取值范围",
    "enumeration": "枚举值",
    "conditional": "条件规则",
    "uniqueness": "唯一性",
    "reference": "关联引用",
    "plausibility": "合理性(仅提醒)",
    "dbt": "dbt 测试",
    "infrastructure": "检查运行故障",
}
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "published": ("已发布", "published"),
    "blocked": ("已阻止发布", "BLOCKED"),
    "failed": ("构建失败", "FAILED"),
    "validated": ("仅校验(未发布)", "validated only, nothing published"),
}


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
    summary.ignored_entries, summary.withdrawn_files = (
        [
            scrub(str(e)) or ""
            for (e,) in con.execute(
                f"select coalesce(error, file_path) from {DQ_SCHEMA}.file_loads "
                "where run_id = ? and status = ? order by file_path",
                [run_id, status],
            ).fetchall()
        ]
        for status in ("ignored", "withdrawn")
    )
    summary.acceptances = [
        scrub(f"{path}: accepted by {who} at {at:%Y-%m-%d %H:%M} UTC — {why} ({what})") or ""
        for path, who, at, why, what in acceptances_since_previous_build(con, run_id)
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
            "where run_id = ? and rule = 'infrastructure' order by detail",
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
            source_file=Path(str(source_file or "")).name,
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
            "where run_id = ? and rule = 'quarantine_rate'",
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


def quarantined_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple[object, ...]]:
    """Row-level listing for the HTML report (first 500 rows)."""
    return con.execute(
        f"select entity, source_file, source_row, record_id, owner, rule, column_name, detail "
        f"from {DQ_SCHEMA}.quarantine where run_id = ? "
        "order by entity, owner, record_id, rule limit ?",
        [run_id, MAX_REPORT_ROWS],
    ).fetchall()


# --------------------------------------------------------------------------- rendering
def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def _status_line(summary: BuildSummary) -> str:
    zh, en = STATUS_LABELS.get(summary.status, (summary.status, summary.status))
    return f"{zh} / {en}"


def alert_subject(summary: BuildSummary) -> str:
    zh, en = STATUS_LABELS.get(summary.status, (summary.status, summary.status))
    return (
        f"[CRM 数据质量 / data quality] {summary.as_of_date.isoformat()}: {zh} / {en}, "
        f"隔离 {summary.quarantined_rows} 行 / {summary.quarantined_rows} rows quarantined"
    )


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
            label = RULE_LABELS.get(r.rule, r.rule)
            kind = "提醒 / warning" if r.severity == "warn" else "隔离 / quarantined"
            examples = ", ".join(r.examples) or "—"
            lines.append(
                f"  - {r.entity} · {label} / {r.rule} [{kind}]: {r.failed_rows} 行 rows "
                f"({_pct(r.rate)}); 示例 / e.g.: {examples}"
            )
    if summary.owners:
        lines.append("负责人待办 / Owner to-do list (records to fix, rules):")
        for o in summary.owners:
            rules = ", ".join(f"{RULE_LABELS.get(x, x)}/{x}" for x in o.rules)
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
    tables = ", ".join(
        f"data_quality.{t}"
        for t in (
            "quarantine",
            "check_results",
            "file_loads",
            "owner_scorecard",
            "plausibility_findings",
            "publish_log",
        )
    )
    where = f" ({summary.serving_db})" if summary.serving_db is not None else ""
    parts.append(f"  - 数据表 / tables{where}: {tables}")
    return "\n".join(parts)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return html.escape(scrub(text) or "", quote=True)


def _table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{_cell(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    if not rows:
        body = f'<tr><td colspan="{len(headers)}">无 / none</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(summary: BuildSummary, row_listing: list[tuple[object, ...]]) -> str:
    """A self-contained HTML page (inline CSS, no scripts), everything escaped."""
    sections = [
        f"<h1>CRM 数据质量报告 / Data quality report — {_cell(summary.as_of_date)}</h1>",
        f'<p class="{_cell(summary.status)}"><b>{_cell(_status_line(summary))}</b>'
        + (f" — {_cell(summary.reason)}" if summary.reason else "")
        + "</p>",
        f"<p>构建 / Run: {_cell(summary.run_id)}</p>",
        "<h2>被拒收的文件 / Rejected files</h2>",
        _table(["文件与原因 / file and reason"], [[f] for f in summary.rejected_files]),
        "<h2>已人工接受 / Accepted explicitly</h2>",
        _table(
            ["文件、接受人、时间与原因 / file, who, when, why"], [[a] for a in summary.acceptances]
        ),
        "<h2>已撤回 / Withdrawn from landing</h2>",
        _table(["文件 / file"], [[w] for w in summary.withdrawn_files]),
        "<h2>未加载的条目 / Landing entries not loaded</h2>",
        _table(["条目与原因 / entry and reason"], [[i] for i in summary.ignored_entries]),
        "<h2>各实体隔离率 / Quarantine rate per entity</h2>",
        _table(
            [
                "实体 / entity",
                "新行 / new rows",
                "隔离 / quarantined",
                "比例 / rate",
                "上限 / limit",
            ],
            [
                [
                    e.entity,
                    e.rows_checked,
                    e.rows_quarantined,
                    _pct(e.rate),
                    "—" if e.limit is None else f"{e.limit:.0%}",
                ]
                for e in summary.entities
            ],
        ),
        "<h2>按实体和规则 / Per entity and rule</h2>",
        _table(
            [
                "实体 / entity",
                "规则 / rule",
                "级别 / severity",
                "行数 / rows",
                "比例 / rate",
                "示例记录 / example records",
            ],
            [
                [
                    r.entity,
                    f"{RULE_LABELS.get(r.rule, r.rule)} / {r.rule}",
                    r.severity,
                    r.failed_rows,
                    _pct(r.rate),
                    ", ".join(r.examples),
                ]
                for r in summary.rules
            ],
        ),
        "<h2>负责人待办 / Owner to-do list</h2>",
        _table(
            ["负责人 / owner", "记录 / records", "实体 / entities", "规则 / rules"],
            [
                [o.owner, o.records, ", ".join(o.entities), ", ".join(o.rules)]
                for o in summary.owners
            ],
        ),
        "<h2>dbt 测试与检查故障 / dbt tests and check errors</h2>",
        _table(
            ["问题 / problem"], [[x] for x in summary.dbt_failures + summary.infrastructure_errors]
        ),
        f"<h2>隔离明细 / Quarantined rows (first {MAX_REPORT_ROWS})</h2>",
        _table(
            [
                "实体 / entity",
                "文件 / file",
                "行 / row",
                "记录 / record",
                "负责人 / owner",
                "规则 / rule",
                "列 / column",
                "说明 / detail",
            ],
            [list(r) for r in row_listing],
        ),
        "<h2>完整数据 / Full data</h2>",
        f"<pre>{_cell(_where_text(summary))}</pre>",
    ]
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        ".blocked,.failed{color:#b00}.published{color:#070}"
    )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>CRM 数据质量 {_cell(summary.as_of_date)}</title><style>{style}</style>"
        "</head><body>" + "\n".join(sections) + "</body></html>\n"
    )


def write_report(con: duckdb.DuckDBPyConnection, summary: BuildSummary, report_dir: Path) -> Path:
    """Write ``report_dir/quality_report.html`` (atomically) and note it in the summary."""
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / REPORT_NAME
    summary.report_path = path
    temporary = path.with_name(f".{REPORT_NAME}.tmp")
    temporary.write_text(
        render_html(summary, quarantined_rows(con, summary.run_id)), encoding="utf-8"
    )
    temporary.replace(path)
    return path
