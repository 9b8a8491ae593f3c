"""The gate holds every time (issue 10 items 1, 5 and 8), through `crm-pipeline` itself.

Three builds and one acceptance on one warehouse, in-process:

A. as of 2026-03-29: 5 clean leads, plus landing entries that are not loaded (an .xls, an
   Office lock file, a hidden file, a directory, a symbolic link leading outside the
   landing folder, a stray file at the top): published; every entry has a file_loads row.
B. as of 2026-03-30: a follow-up file without occurred_at (rejected) and 3 leads of which 2
   have no owner (2/3 = 66.7 % > 20 %): blocked, exit 2.
B2. the same build again, nothing fixed: blocked again, same reasons, serving file
   byte-identical.
   Then the follow-up file is removed from landing and the leads file accepted
   (`crm-pipeline accept ... --reason ...`).
C. as of 2026-03-31: published; withdrawn and accepted are recorded and reported.
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crm_pipeline.cli import main

pytestmark = pytest.mark.e2e

HEADER = "lead_id,created_at,source,account_name,contact_name,requirement,budget,owner,stage"


def lead(lead_id: str, owner: str = "王芳") -> str:
    return f"{lead_id},2026-03-20 10:00,官网,客户{lead_id},联系人,CRM,10万,{owner},线索"


def write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("durable")
    landing, warehouse = root / "landing", root / "warehouse"
    build_db, serving = warehouse / "build" / "crm.duckdb", warehouse / "serving" / "crm.duckdb"

    def build(as_of: str) -> int:
        return main(
            ["build", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", as_of]
        )

    facts: dict[str, Any] = {"warehouse": warehouse, "build_db": build_db}
    # A
    write(landing / "leads" / "2026-03-29.csv", [HEADER] + [lead(f"L{i}") for i in range(1, 6)])
    (landing / "leads" / "2026-03-29.xls").write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    (landing / "leads" / "~$2026-03-29.csv").write_bytes(b"lock")
    write(landing / "leads" / ".draft.csv", [HEADER, lead("L99")])
    write(landing / "leads" / "archive" / "2026-01-01.csv", [HEADER, lead("L98")])
    write(root / "elsewhere.csv", [HEADER, lead("L97")])
    (landing / "leads" / "linked.csv").symlink_to(root / "elsewhere.csv")
    (landing / "README.txt").write_text("exports land here\n", encoding="utf-8")
    facts["A"] = build("2026-03-29")
    facts["hash_A"] = digest(serving)
    # B
    write(
        landing / "follow_ups" / "2026-03-30.csv",
        ["follow_up_id,lead_id,owner,channel", "F1,L1,王芳,电话"],
    )
    write(
        landing / "leads" / "2026-03-30.csv",
        [HEADER, lead("L6"), lead("L7", owner=""), lead("L8", owner="")],
    )
    facts["B"] = build("2026-03-30")
    facts["hash_B"] = digest(serving)
    facts["B2"] = build("2026-03-30")
    facts["hash_B2"] = digest(serving)
    # resolve: withdraw one file, accept the other
    (landing / "follow_ups" / "2026-03-30.csv").unlink()
    facts["accept"] = main(
        [
            "accept",
            str(landing / "leads" / "2026-03-30.csv"),
            "--landing",
            str(landing),
            "--warehouse",
            str(warehouse),
            "--reason",
            "owners are being assigned in the CRM",
        ]
    )
    facts["accept_again"] = main(
        ["accept", "leads/2026-03-30.csv", "--warehouse", str(warehouse), "--reason", "twice"]
    )
    # C
    facts["C"] = build("2026-03-31")
    facts["hash_C"] = digest(serving)
    yield facts


def test_exit_codes(builds: dict[str, Any]) -> None:
    codes = [builds[k] for k in ("A", "B", "B2", "accept", "accept_again", "C")]
    assert codes == [0, 2, 2, 0, 1, 0]


def test_blocked_build_stays_blocked_with_the_same_reasons(builds: dict[str, Any]) -> None:
    assert builds["hash_B"] == builds["hash_A"] == builds["hash_B2"]
    assert builds["hash_C"] != builds["hash_A"]
    log = query(
        builds["build_db"],
        "select as_of_date::varchar, status, reason "
        "from data_quality.publish_log order by started_at",
    )
    assert [(d, s) for d, s, _ in log] == [
        ("2026-03-29", "published"),
        ("2026-03-30", "blocked"),
        ("2026-03-30", "blocked"),
        ("2026-03-31", "published"),
    ]
    expected = "file rejected: follow_ups/2026-03-30.csv: required column 'occurred_at'"
    assert log[1][2].startswith(expected) and log[2][2] == log[1][2]
    assert (
        "leads: 2 of 3 new rows quarantined (66.7%), above the limit of 20% "
        "(held until leads/2026-03-30.csv is corrected, withdrawn or accepted)"
    ) in log[1][2]


def test_every_landing_entry_is_accounted_for(builds: dict[str, Any]) -> None:
    entries = query(
        builds["build_db"],
        "select file_path, status from data_quality.file_loads order by loaded_at, file_path",
    )
    assert sorted(entries) == sorted(
        [
            ("README.txt", "ignored"),
            ("leads/.draft.csv", "ignored"),
            ("leads/2026-03-29.csv", "loaded"),
            ("leads/2026-03-29.xls", "ignored"),
            ("leads/archive", "ignored"),
            ("leads/linked.csv", "ignored"),
            ("leads/~$2026-03-29.csv", "ignored"),
            ("follow_ups/2026-03-30.csv", "rejected"),
            ("leads/2026-03-30.csv", "loaded"),
            ("leads/2026-03-30.csv", "accepted"),
            ("follow_ups/2026-03-30.csv", "withdrawn"),
        ]
    )
    reasons = dict(
        query(
            builds["build_db"],
            "select file_path, error from data_quality.file_loads where status = 'ignored'",
        )
    )
    assert "unsupported file type .xls" in reasons["leads/2026-03-29.xls"]
    assert "outside the landing folder, not followed" in reasons["leads/linked.csv"]
    assert "directory" in reasons["leads/archive"]
    assert "temporary" in reasons["leads/~$2026-03-29.csv"]
    assert "hidden" in reasons["leads/.draft.csv"]
    raw = {r[0] for r in query(builds["build_db"], "select lead_id from raw.leads")}
    assert raw == {f"L{i}" for i in range(1, 9)}  # nothing of L97-L99 was read
    report = builds["warehouse"] / "reports" / "2026-03-29" / "quality_report.html"
    assert "leads/linked.csv" in report.read_text(encoding="utf-8")
    (body,) = query(
        builds["build_db"],
        "select body from data_quality.alert_log where as_of_date = '2026-03-29'",
    )[0]
    assert "leads/2026-03-29.xls" in body and "README.txt" in body


def test_rejected_file_counts_every_row_read(builds: dict[str, Any]) -> None:
    assert query(
        builds["build_db"],
        "select rows_read, rows_loaded from data_quality.file_loads where status = 'rejected'",
    ) == [(1, 0)]


def test_acceptance_is_recorded_and_reported(builds: dict[str, Any]) -> None:
    (who, reason, resolved) = query(
        builds["build_db"], "select accepted_by, reason, resolved from data_quality.acceptances"
    )[0]
    assert (who, reason) == (getpass.getuser(), "owners are being assigned in the CRM")
    assert resolved == "quarantine-rate limit exceeded by its rows"
    report = builds["warehouse"] / "reports" / "2026-03-31" / "quality_report.html"
    text = report.read_text(encoding="utf-8")
    assert "leads/2026-03-30.csv: accepted by " + getpass.getuser() in text
    assert "owners are being assigned in the CRM" in text
    (body,) = query(
        builds["build_db"],
        "select body from data_quality.alert_log where as_of_date = '2026-03-31'",
    )[0]
    # the alert is in Chinese (alerts.language defaults to zh)
    assert "已人工接受：leads/2026-03-30.csv（" + getpass.getuser() in body
    assert "已撤回（已从落地目录移除）：follow_ups/2026-03-30.csv" in body


def test_published_marts_after_resolution(builds: dict[str, Any]) -> None:
    serving = builds["warehouse"] / "serving" / "crm.duckdb"
    ids = [
        r[0]
        for r in query(
            serving, "select lead_id from opportunity_funnel.fct_opportunities order by lead_id"
        )
    ]
    assert ids == ["L1", "L2", "L3", "L4", "L5", "L6"]  # L7, L8 stay quarantined
