"""The ``data_quality`` schema: tables kept across builds and published with the marts.

Created before anything else runs so that ingestion, dbt (which reads the quarantine and
``checked_loads`` to exclude rows) and the gate can rely on them. Columns follow
docs/quality.md; the extra ones (run ids, rule sources, row keys) help tie a row back to
its build and file; ``checked_loads``, ``gate_holds`` and ``acceptances`` are the gate's
durable state (quality.gate).
"""

from __future__ import annotations

import duckdb

DQ_SCHEMA = "data_quality"

TABLES: dict[str, str] = {
    "check_results": """
        run_id varchar, as_of_date date, checked_at timestamp, entity varchar,
        rule varchar, column_name varchar, severity varchar, checked_rows bigint,
        failed_rows bigint, failure_rate double, passed boolean,
        check_source varchar, detail varchar, status varchar
    """,
    "quarantine": """
        run_id varchar, as_of_date date, entity varchar, source_file varchar,
        source_row integer, record_id varchar, owner varchar, rule varchar,
        column_name varchar, detail varchar, first_quarantined_at timestamp,
        released_at timestamp, row_id varchar
    """,
    "plausibility_findings": """
        run_id varchar, as_of_date date, entity varchar, source_file varchar,
        source_row integer, record_id varchar, owner varchar, rule varchar,
        column_name varchar, detail varchar, row_id varchar
    """,
    "file_loads": """
        file_path varchar, file_hash varchar, entity varchar, loaded_at timestamp,
        rows_read bigint, rows_loaded bigint, rows_quarantined bigint, status varchar,
        error varchar, run_id varchar, as_of_date date, load_seq bigint
    """,
    "publish_log": """
        run_id varchar, as_of_date date, started_at timestamp, finished_at timestamp,
        status varchar, reason varchar, outcome varchar, warnings bigint,
        rows_quarantined bigint
    """,
    "owner_scorecard": """
        as_of_date date, owner varchar, entity varchar, records bigint,
        quarantined bigint, completeness_rate double, run_id varchar
    """,
    # One row per file load whose rows the quality step checked (checks follow the rows,
    # not the run: a loaded file without a row here is pending, and staging leaves it out).
    "checked_loads": """
        run_id varchar, as_of_date date, checked_at timestamp, entity varchar,
        file_path varchar, file_hash varchar, load_seq bigint, rows_checked bigint,
        rows_quarantined bigint
    """,
    # A quarantine-rate breach, tied to each file whose rows caused it; it holds the gate
    # while that file's latest file_loads row is still this (path, hash) loaded.
    "gate_holds": """
        run_id varchar, as_of_date date, created_at timestamp, entity varchar,
        file_path varchar, file_hash varchar, reason varchar
    """,
    # `crm-pipeline accept FILE --reason ...`: who let a blocking file through, when, why.
    "acceptances": """
        file_path varchar, file_hash varchar, entity varchar, accepted_at timestamp,
        accepted_by varchar, reason varchar, resolved varchar
    """,
    "alert_log": """
        run_id varchar, as_of_date date, sent_at timestamp, channel varchar,
        status varchar, attempts integer, error varchar, subject varchar, body varchar
    """,
}


# Columns added after a table was first released: a warehouse created before them gets
# them (NULL in old rows) the next time it is opened, so inserts can name them.
ADDED_COLUMNS: dict[str, list[tuple[str, str]]] = {
    # check_results.status: pass | warn | fail | error, and passed = (status = 'pass')
    "check_results": [("status", "varchar")],
    # publish_log.status stays published | blocked | failed (the spec's values); outcome
    # adds "published with warnings", with the warnings and quarantined rows behind it
    "publish_log": [("outcome", "varchar"), ("warnings", "bigint"), ("rows_quarantined", "bigint")],
}


def create_quality_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``data_quality`` and its tables, if missing (adding later columns)."""
    con.execute(f"create schema if not exists {DQ_SCHEMA}")
    for name, columns in TABLES.items():
        con.execute(f"create table if not exists {DQ_SCHEMA}.{name} ({columns})")
    for name, added in ADDED_COLUMNS.items():
        for column, kind in added:
            con.execute(f"alter table {DQ_SCHEMA}.{name} add column if not exists {column} {kind}")


# check_results columns in the order every writer passes them (named, so the order of a
# migrated table, where status comes last, does not matter).
CHECK_RESULT_COLUMNS = (
    "run_id",
    "as_of_date",
    "checked_at",
    "entity",
    "rule",
    "column_name",
    "severity",
    "checked_rows",
    "failed_rows",
    "failure_rate",
    "status",
    "passed",
    "check_source",
    "detail",
)


def check_status(severity: str, failed_rows: int, *, error: bool = False) -> str:
    """A check's status: ``error`` when it could not run, ``pass`` when nothing failed,
    else ``warn`` for a warn-level check and ``fail`` for a blocking one.

    ``passed`` is ``status == 'pass'``: a warn-level check that found rows did not pass.
    """
    if error:
        return "error"
    if not failed_rows:
        return "pass"
    return "warn" if severity == "warn" else "fail"


def insert_check_results(con: duckdb.DuckDBPyConnection, rows: list[tuple[object, ...]]) -> None:
    """Insert check_results rows given in :data:`CHECK_RESULT_COLUMNS` order."""
    if not rows:
        return
    names = ", ".join(CHECK_RESULT_COLUMNS)
    marks = ", ".join("?" for _ in CHECK_RESULT_COLUMNS)
    con.executemany(f"insert into {DQ_SCHEMA}.check_results ({names}) values ({marks})", rows)


# What each data_quality table and column means, Chinese first then English: written as
# comments into the serving file and the Parquet metadata (delivery/serving_meta.py), and
# into docs/quality.md. A column without an entry here gets no comment.
TABLE_COMMENTS: dict[str, str] = {
    "check_results": (
        "检查结果 One row per quality check run by a build: rule, column, rows checked and failed."
    ),
    "quarantine": (
        "隔离记录 Rows set aside by a quality rule, with file, row, "
        "column and reason; kept until released."
    ),
    "plausibility_findings": (
        "合理性提示 Rows that passed but look implausible (warnings, not quarantined)."
    ),
    "file_loads": "文件加载 One row per file load: rows read, loaded, quarantined; status.",
    "publish_log": "发布记录 One row per build: published or blocked, and why.",
    "owner_scorecard": "负责人数据质量 Per owner and entity: records, quarantined, completeness.",
    "checked_loads": (
        "已检查加载 File loads whose rows the quality step has checked (only these reach staging)."
    ),
    "gate_holds": "发布闸门阻塞 A quarantine-rate breach holding the gate while its file stays.",
    "acceptances": "人工放行 Files accepted explicitly with `crm-pipeline accept`: who, when, why.",
    "alert_log": "告警记录 One row per alert sent or attempted, per channel.",
}

COLUMN_COMMENTS: dict[str, str] = {
    "run_id": "运行编号 Dagster run id of the build that wrote the row.",
    "as_of_date": "数据日期 Business date D of the build.",
    "checked_at": "检查时间 When the check ran (UTC).",
    "entity": "数据对象 leads, follow_ups or service_records.",
    "rule": "规则 Quality rule that applied.",
    "column_name": "字段 Column the rule looked at (NULL for row-level rules).",
    "severity": "严重程度 error blocks publishing; warn is reported only.",
    "status": "状态 Outcome recorded by the row.",
    "checked_rows": "检查行数 Rows the check looked at.",
    "failed_rows": "失败行数 Rows that broke the rule.",
    "failure_rate": "失败率 failed_rows ÷ checked_rows (NULL when no rows were checked).",
    "passed": "是否通过 True when no row broke the rule.",
    "check_source": (
        "检查来源 Where the check is defined: pipeline rule, Great Expectations or dbt test."
    ),
    "detail": "说明 What is wrong and how to fix it, in plain words; never contact data.",
    "source_file": "来源文件 Landing file, relative to the landing folder.",
    "source_row": "来源行号 Row number in the file (1 = first data row).",
    "record_id": "记录编号 Id of the record (lead_id, follow_up_id or service_id) when readable.",
    "owner": "负责人 Owner of the record, to route the fix.",
    "first_quarantined_at": "首次隔离时间 When the row was first quarantined (UTC).",
    "released_at": "解除时间 When a later version made the row valid again (UTC); NULL while held.",
    "row_id": "行键 Stable key of the raw row.",
    "file_path": "文件路径 Landing file, relative to the landing folder.",
    "file_hash": "文件哈希 SHA-256 of the file's bytes.",
    "loaded_at": "加载时间 When the file was loaded (UTC).",
    "rows_read": "读取行数 Data rows read from the file.",
    "rows_loaded": "加载行数 Rows loaded (rows_read = rows_loaded + rows_quarantined).",
    "rows_quarantined": "隔离行数 Rows quarantined.",
    "error": "错误 Why the load or delivery failed; NULL when it did not.",
    "load_seq": "加载序号 Order of the load across builds.",
    "started_at": "开始时间 When the build started (UTC).",
    "finished_at": "结束时间 When the build finished (UTC).",
    "reason": "原因 Why the row was written.",
    "outcome": (
        "结果 published, published with warnings, blocked or failed: what the build told its users."
    ),
    "warnings": "警告数 Checks of the build that failed without blocking it.",
    "records": "记录数 Records of the owner as of D.",
    "quarantined": "隔离数 The owner's records in quarantine.",
    "completeness_rate": "完整率 Share of the owner's records with every required field.",
    "rows_checked": "检查行数 Rows of the load checked by the quality step.",
    "created_at": "创建时间 When the hold was created (UTC).",
    "accepted_at": "放行时间 When the file was accepted (UTC).",
    "accepted_by": "放行人 Operating-system user who accepted the file.",
    "resolved": "处理结果 What the acceptance resolved.",
    "sent_at": "发送时间 When the alert was sent (UTC).",
    "channel": "渠道 Alert channel (e-mail, 企业微信, 飞书, ...).",
    "attempts": "尝试次数 Delivery attempts.",
    "subject": "标题 Alert subject.",
    "body": "正文 Alert text as sent (masked).",
}

# Where one column name means different things in different tables.
TABLE_COLUMN_COMMENTS: dict[tuple[str, str], str] = {
    ("check_results", "status"): "结果 pass, warn, fail or error (error: the check could not run).",
    ("publish_log", "status"): "发布状态 published, blocked or failed.",
    ("file_loads", "status"): (
        "加载状态 loaded, duplicate, rejected, withdrawn, accepted or ignored."
    ),
    ("alert_log", "status"): "发送状态 sent or failed.",
    ("file_loads", "error"): "错误 Why the file was rejected, in one sentence; NULL otherwise.",
    ("alert_log", "error"): "错误 Why the alert could not be delivered; NULL when sent.",
    ("gate_holds", "reason"): "原因 The breach: entity, quarantine rate and the limit.",
    ("publish_log", "reason"): "原因 Why the build was published or blocked.",
    ("acceptances", "reason"): "原因 Why the file was accepted, as given.",
}
