"""The alert managers read: composed in their language, fitted to each channel.

:func:`compose` turns a build's :class:`~delivery.report.BuildSummary` into an
:class:`AlertContent` in one language: outcome, why (for a blocked build), rows quarantined
per entity and rule, and each owner's records to fix (record id, file, row, the column by
the header the exporter used, what is wrong and how to fix it) — the first
``alerts.records_per_owner`` per owner, the rest in the report. In Chinese every word is
Chinese: entity and column names come from the contract (``label_zh`` and the first
alias), every other text from ``core/labels.yaml``; English-only free text (file errors,
dbt messages) stays in the report.

:func:`render` writes it for one channel (:func:`channel_profile`): markdown where the bot
renders it, plain text where it does not, HTML for e-mail; chat messages are trimmed to the
channel's documented size limit, whole lines at a time, ending with "…及另外 N 条，见报告".
Nothing here reads the database or sends anything.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from core.contract import load_contract
from core.labels import Language, label
from core.masking import scrub
from core.quality_tables import DQ_SCHEMA
from quality.scorecard import NO_OWNER

if TYPE_CHECKING:
    from delivery.report import BuildSummary, RecordLine

# The data_quality tables an alert points to: each quarantined row, each check's result,
# each file's counts (the report lists every table).
ALERT_TABLES = tuple(
    f"{DQ_SCHEMA}.{table}" for table in ("quarantine", "check_results", "file_loads")
)

# ------------------------------------------------------------------------------ channels


@dataclass(frozen=True)
class ChannelProfile:
    """How a channel is written to: body format and largest message in bytes (title and
    body together; None = no limit, e-mail)."""

    kind: str
    body_format: str  # text | markdown | html
    limit: int | None


# Documented limits: 企业微信 group bot text 2,048 bytes, markdown 4,096 bytes; 钉钉 ~20,000
# bytes; 飞书 / Lark request body 20 KB (JSON around the text included); Slack ~40,000
# characters (apprise caps at 35,000). The generic JSON webhook has no documented limit:
# 64 KB keeps it within common proxies.
PROFILES: dict[str, ChannelProfile] = {
    "wecombot": ChannelProfile("wecom", "text", 2048),
    "wecommd": ChannelProfile("wecom", "markdown", 4096),
    "dingtalk": ChannelProfile("dingtalk", "markdown", 19_000),
    "feishu": ChannelProfile("feishu", "text", 18_000),
    "feishusign": ChannelProfile("feishu", "text", 18_000),
    "lark": ChannelProfile("feishu", "text", 18_000),
    "slack": ChannelProfile("slack", "markdown", 35_000),
    "json": ChannelProfile("webhook", "text", 64_000),
    "jsons": ChannelProfile("webhook", "text", 64_000),
    "mailto": ChannelProfile("email", "html", None),
    "mailtos": ChannelProfile("email", "html", None),
}
DEFAULT_PROFILE = ChannelProfile("other", "text", 2048)
# the alert_log copy: the whole text, untrimmed
PLAIN_LOG = ChannelProfile("log", "text", None)


def channel_profile(url: str) -> ChannelProfile:
    """The profile of an apprise URL (by scheme); unknown schemes get the strictest one.

    ``wecommd://`` with ``?format=text`` is a WeCom bot sent plain text (2,048 bytes)."""
    parts = urlsplit(url)
    profile = PROFILES.get(parts.scheme.lower(), DEFAULT_PROFILE)
    if profile.kind == "wecom" and "format=text" in parts.query:
        return PROFILES["wecombot"]
    return profile


# ------------------------------------------------------------------------------- content


@dataclass
class Section:
    """A heading and its lines; ``hidden`` lines are left to the report ("…及另外 N 条")."""

    heading: str
    items: list[str] = field(default_factory=list)
    hidden: int = 0
    trimmable: bool = True


@dataclass
class AlertContent:
    """One alert in one language, before it is written for a channel."""

    language: Language
    subject: str
    sections: list[Section]
    footer: list[str]  # where the full report is; never trimmed
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, url)


def t(key: str, language: Language, **values: object) -> str:
    """An alert text from labels.yaml, filled in."""
    return label("alert_text", key, language).format(**values)


def entity_name(entity: str, language: Language) -> str:
    """The entity as its managers call it (contract label_zh), or its key in English."""
    known = load_contract().entities.get(entity)
    if language == "zh" and known is not None:
        return known.label_zh
    return entity


def column_name(entity: str, column: str | None, language: Language) -> str:
    """The column by the header the exporter used (the contract's first alias)."""
    if not column:
        return ""
    known = load_contract().entities.get(entity)
    if language == "zh" and known is not None:
        for col in known.columns:
            if col.name == column and col.aliases:
                return col.aliases[0]
        return "相关字段"
    return column


def owner_name(owner: str, language: Language) -> str:
    return t("no_owner", language) if owner == NO_OWNER else owner


def rule_name(rule: str, language: Language) -> str:
    name = label("quality_rule", rule, language)
    if language == "zh" and name == rule:  # a rule without a label: no English word
        return "其他规则"
    return name


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def problem_and_fix(
    rule: str, entity: str, column: str | None, language: Language
) -> tuple[str, str]:
    """What is wrong and how to fix it, from the rule and the column alone (the English
    detail text is for the report): ("「来源」缺失", "在客户管理系统中补填后重新导出")."""
    col = column_name(entity, column, language) or ("相关字段" if language == "zh" else "a field")
    problem = label("quality_problem", rule, language)
    if problem == rule:
        problem = "数据不符合规则" if language == "zh" else f"{rule} rule broken"
    fix = label("quality_fix", rule, language)
    if fix == rule:
        fix = "见报告" if language == "zh" else "see the report"
    return problem.format(column=col), fix


def what_to_do(rule: str, entity: str, column: str | None, language: Language) -> str:
    """The problem and its fix in one phrase, for the report's table."""
    problem, fix = problem_and_fix(rule, entity, column, language)
    return f"{problem}，{fix}" if language == "zh" else f"{problem}; {fix}"


def _why(s: BuildSummary, language: Language) -> list[str]:
    """Why a build was blocked or failed, from recorded state (never the English reason)."""
    lines = [t("rejected_line", language, file=name) for name, _ in s.rejected]
    lines += [
        t("rate_hold", language, entity=entity_name(e, language), file=f) for e, f in s.rate_holds
    ]
    if s.dbt_failures:
        lines.append(t("dbt_failed", language, n=len(s.dbt_failures)))
    if s.pending_checks:
        lines.append(t("unchecked", language))
    if s.infrastructure_errors:
        lines.append(t("infrastructure", language, n=len(s.infrastructure_errors)))
    if s.status == "failed":
        lines.insert(0, t("failed_build", language))
    if not lines:
        lines.append(t("blocked_other", language))
    return lines


def compose(s: BuildSummary, language: Language, *, records_per_owner: int = 5) -> AlertContent:
    """The alert of one build in ``language`` (see the module docstring)."""
    outcome = label("outcome", s.label, language)
    date = s.as_of_date.isoformat()
    quarantined = s.quarantined_rows
    subject = f"[{t('title', language)}] {date} {outcome}"
    if quarantined:
        subject += ("，" if language == "zh" else ", ") + t(
            "quarantined_total", language, n=quarantined
        )
    head = Section(
        "",
        [
            f"{t('business_date', language)}: {date}",
            f"{t('outcome', language)}: {outcome}",
        ],
        trimmable=False,
    )
    sections = [head]
    if s.status in {"blocked", "failed"}:
        sections.append(Section(t("why", language), _why(s, language), trimmable=False))
    entities = [
        t(
            "entity_line",
            language,
            entity=entity_name(e.entity, language),
            failed=e.rows_quarantined,
            checked=e.rows_checked,
            rate=_pct(e.rate),
            limit="—" if e.limit is None else f"{e.limit:.0%}",
        )
        for e in s.entities
        if e.rows_quarantined or e.rows_checked
    ]
    if entities:
        sections.append(Section(t("per_entity", language), entities, trimmable=False))
    rules = [
        t(
            "rule_line",
            language,
            entity=entity_name(r.entity, language),
            rule=rule_name(r.rule, language),
            severity=label("severity", r.severity, language),
            failed=r.failed_rows,
            rate=_pct(r.rate),
            examples=", ".join(r.examples[:5]) or "—",
        )
        for r in s.rules
    ]
    if rules:
        sections.append(Section(t("per_rule", language), rules))
    notes = []
    if s.dbt_warnings:
        notes.append(t("dbt_warned", language, n=len(s.dbt_warnings)))
    notes += [t("accepted", language, file=f, who=who, at=at) for f, who, at in s.accepted]
    joined = "、" if language == "zh" else ", "
    if s.withdrawn_paths:
        notes.append(t("withdrawn", language, files=joined.join(s.withdrawn_paths)))
    if s.ignored_paths:
        notes.append(t("ignored", language, files=joined.join(s.ignored_paths)))
    if s.rows_released:
        notes.append(t("released", language, n=s.rows_released))
    if notes:
        sections.append(Section("", notes, trimmable=False))
    sections += _owner_sections(s.records, language, records_per_owner)
    footer, links = _where(s, language)
    return AlertContent(language, scrub(subject) or "", sections, footer, links)


def _owner_sections(records: list[RecordLine], language: Language, per_owner: int) -> list[Section]:
    """One section per owner: their records to fix, the first ``per_owner`` of them."""
    by_owner: dict[str, list[RecordLine]] = {}
    for record in records:
        by_owner.setdefault(record.owner, []).append(record)
    if not by_owner:
        return []
    sections = [Section(t("owners", language), [], trimmable=False)]
    for owner, mine in by_owner.items():
        lines = [_record_line(r, language) for r in mine[:per_owner]]
        heading = t("owner_line", language, owner=owner_name(owner, language), n=len(mine))
        sections.append(Section(heading, lines, hidden=max(0, len(mine) - per_owner)))
    return sections


def _record_line(record: RecordLine, language: Language) -> str:
    problem, fix = problem_and_fix(record.rule, record.entity, record.column, language)
    return t(
        "record_line",
        language,
        record=record.record_id or t("no_record_id", language),
        file=record.source_file,
        row=record.source_row if record.source_row is not None else "—",
        problem=problem,
        fix=fix,
    )


def _where(s: BuildSummary, language: Language) -> tuple[list[str], list[tuple[str, str]]]:
    url, path = s.report_url, s.report_path
    # the rows behind every number, for whoever fixes the data; the report link stays last
    database = f" ({s.serving_db})" if s.serving_db is not None else ""
    lines: list[str] = [f"{t('tables', language)}{database}: {', '.join(ALERT_TABLES)}"]
    links: list[tuple[str, str]] = []
    if url:
        links.append((t("report", language), url))
        lines.append(f"{t('report', language)}: {url}")
    elif path is not None:
        lines.append(f"{t('report', language)}: {path}")
    return lines, links


# ------------------------------------------------------------------------------ rendering


def _text(content: AlertContent, markdown: bool) -> str:
    out: list[str] = [f"### {content.subject}" if markdown else content.subject]
    for section in content.sections:
        if section.heading:
            out.append(f"**{section.heading}**" if markdown else section.heading)
        out += [f"- {item}" if markdown or section.heading else item for item in section.items]
        if section.hidden:
            out.append(("- " if markdown else "") + t("more", content.language, n=section.hidden))
    for line in content.footer:
        if markdown and content.links and line.endswith(content.links[0][1]):
            text, url = content.links[0]
            out.append(f"[{text}]({url})")
        else:
            out.append(line)
    return "\n".join(out)


def _html(content: AlertContent) -> str:
    e = html.escape
    parts = [f"<h2>{e(content.subject)}</h2>"]
    for section in content.sections:
        if section.heading:
            parts.append(f"<h3>{e(section.heading)}</h3>")
        items = [*section.items]
        if section.hidden:
            items.append(t("more", content.language, n=section.hidden))
        if items:
            parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in items) + "</ul>")
    for text, url in content.links:
        parts.append(f'<p><a href="{e(url, quote=True)}">{e(text)}</a></p>')
    if not content.links:
        parts += [f"<p>{e(line)}</p>" for line in content.footer]
    lang = "zh-CN" if content.language == "zh" else "en"
    return f'<!DOCTYPE html><html lang="{lang}"><body>' + "\n".join(parts) + "</body></html>"


def render_one(content: AlertContent, body_format: str) -> str:
    """The whole message (subject included) in one format, untrimmed."""
    if body_format == "html":
        return _html(content)
    return _text(content, markdown=body_format == "markdown")


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def fit(content: AlertContent, body_format: str, limit: int | None) -> str:
    """Render within ``limit`` bytes: hide the last lines of the longest trimmable section
    (owners' records, then rules) until it fits; the hidden lines are counted in
    "…及另外 N 条，见报告". A message that still does not fit is cut, and says so."""
    text = render_one(content, body_format)
    if limit is None or _size(text) <= limit:
        return text
    work = replace(content, sections=[replace(s, items=list(s.items)) for s in content.sections])
    while _size(text) > limit:
        candidates = [s for s in work.sections if s.trimmable and s.items]
        if not candidates:
            break
        longest = max(candidates, key=lambda s: len(s.items))
        longest.items.pop()
        longest.hidden += 1
        text = render_one(work, body_format)
    if _size(text) > limit:  # only untrimmable lines left: cut at a line, then a character
        tail = "\n" + t("cut", content.language)
        budget = limit - _size(tail)
        cut = text.encode("utf-8")[: max(0, budget)].decode("utf-8", errors="ignore")
        text = cut[: cut.rfind("\n")] if "\n" in cut else cut
        text += tail
    return text


def render(contents: list[AlertContent], profile: ChannelProfile) -> tuple[str, str]:
    """(subject, body) for one channel: one language, or Chinese then English (``both``),
    each within its share of the channel's limit."""
    subject = " / ".join(c.subject for c in contents)
    share = None if profile.limit is None else (profile.limit - 8) // len(contents)
    bodies = [fit(c, profile.body_format, share) for c in contents]
    separator = "<hr>" if profile.body_format == "html" else "\n\n"
    return subject, separator.join(bodies)


def failed_build_message(
    as_of_date: dt.date, run_id: str, reason: str, language: Language
) -> tuple[str, str]:
    """Subject and body of a failed build's alert in one language.

    The Chinese one carries no error text (English, from the code): where to find it."""
    date = as_of_date.isoformat()
    outcome = label("outcome", "failed", language)
    subject = f"[{t('title', language)}] {date} {outcome}"
    if language == "zh":
        lines = [
            f"{t('business_date', language)}：{date}",
            f"{t('outcome', language)}：{outcome}",
            t("failed_build", language),
            "原因：详见构建日志",
            "重新运行构建是安全的。",
        ]
    else:
        first = (reason.strip().splitlines() or ["unknown"])[0]
        lines = [
            f"{t('business_date', language)}: {date}",
            f"{t('outcome', language)}: {outcome}",
            t("failed_build", language),
            f"{t('why', language)}: {scrub(first) or 'unknown'}",
            f"Dagster run: {run_id}",
            f"Re-running is safe: crm-pipeline build --as-of {date}",
        ]
    return subject, "\n".join(lines)
