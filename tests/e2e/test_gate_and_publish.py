"""The gate and write-audit-publish through the real pipeline (`crm-pipeline build`).

Four builds on one warehouse, with a BI-like reader process holding the serving file open
read-only from the first publish on, and alerts going to a local HTTP webhook plus a
closed port:

A. as of 2026-03-29: 5 clean leads, 5 follow-ups of which F5 points at the unknown lead
   L9 -> follow-ups 1/5 = 20% quarantined, at the limit (not above): published, exit 0,
   alert sent (rows were quarantined); the closed port fails without failing the build.
B. as of 2026-03-30: L9 arrives (F5 is released) with L10 and L11 lacking an owner ->
   leads 2/3 = 66.7% > 20%: blocked, exit 2, serving file byte-identical, alert BLOCKED.
K. as of 2026-03-31: L12 arrives; a `crm-pipeline build` process (and its dbt child) is
   killed once the dbt step has started -> serving file byte-identical. B's breach still
   holds the gate, so the managers accept leads/2026-03-30.csv (`crm-pipeline accept`).
C. as of 2026-03-31: publishing crashes after the temporary file was written -> exit 1,
   serving file byte-identical.
D. as of 2026-03-31 again: nothing new; publishes (exit 0) marts holding L9 and L12.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crm_pipeline.cli import main
from delivery import publish

pytestmark = pytest.mark.e2e

LEAD_HEADER = "lead_id,created_at,source,account_name,contact_name,contact_phone,requirement,"
LEAD_HEADER += "budget,owner,stage"
FOLLOW_UP_HEADER = "follow_up_id,lead_id,occurred_at,owner,channel,notes"
PHONE = "13812345678"


def lead(lead_id: str, day: int, owner: str = "王芳") -> str:
    created = f"2026-03-{day:02d} 10:00"
    return f"{lead_id},{created},官网,客户{lead_id},联系人,{PHONE},CRM,10万,{owner},线索"


def write(path: Path, header: str, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def webhook() -> Iterator[tuple[int, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1]), received
    server.shutdown()


@pytest.fixture(scope="module")
def env() -> Iterator[None]:
    """Builds take their folders from the command line only, each warehouse its instance."""
    mp = pytest.MonkeyPatch()
    for name in ("CRM_LANDING_DIR", "CRM_WAREHOUSE_DIR", "CRM_PIPELINE_CONFIG", "DAGSTER_HOME"):
        mp.delenv(name, raising=False)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def builds(
    tmp_path_factory: pytest.TempPathFactory,
    webhook: tuple[int, list[dict[str, Any]]],
    env: None,
) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("gate")
    landing, warehouse = root / "landing", root / "warehouse"
    serving = warehouse / "serving" / "crm.duckdb"
    port, received = webhook
    config = root / "config.yaml"
    config.write_text(
        "alerts:\n  retries: 1\n  retry_wait_seconds: 0\n  timeout_seconds: 3\n  channels:\n"
        f"    - {{name: webhook, url: 'json://127.0.0.1:{port}/alerts'}}\n"
        f"    - {{name: down, url: 'json://127.0.0.1:{free_port()}/alerts'}}\n",
        encoding="utf-8",
    )

    outputs: dict[str, str] = {}

    def build(as_of: str) -> int:
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            code = main(
                [
                    "build",
                    "--landing",
                    str(landing),
                    "--warehouse",
                    str(warehouse),
                    "--as-of",
                    as_of,
                    "--config",
                    str(config),
                ]
            )
        outputs[as_of] = captured.getvalue()
        return code

    facts: dict[str, Any] = {"warehouse": warehouse, "received": received, "out": outputs}
    # A
    write(
        landing / "leads" / "2026-03-29.csv", LEAD_HEADER, [lead(f"L{i}", i) for i in range(1, 6)]
    )
    write(
        landing / "follow_ups" / "2026-03-29.csv",
        FOLLOW_UP_HEADER,
        [f"F{i},L{i},2026-03-2{i} 09:00,王芳,电话,客户电话 {PHONE}" for i in range(1, 5)]
        + ["F5,L9,2026-03-25 09:00,李雷,电话,"],
    )
    facts["A"] = build("2026-03-29")
    facts["metadata_A"] = latest_metadata(warehouse)
    facts["alerts_A"] = list(received)
    facts["hash_A"] = digest(serving)

    # a BI tool opens the published file and keeps it open
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
            "print('open', flush=True); sys.stdin.readline()",
            str(serving),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None and reader.stdout.readline().strip() == "open"
    try:
        # B
        write(
            landing / "leads" / "2026-03-30.csv",
            LEAD_HEADER,
            [lead("L9", 28), lead("L10", 29, owner=""), lead("L11", 30, owner="")],
        )
        facts["B"] = build("2026-03-30")
        facts["hash_B"] = digest(serving)
        facts["alerts_B"] = list(received[len(facts["alerts_A"]) :])
        # K
        write(landing / "leads" / "2026-03-31.csv", LEAD_HEADER, [lead("L12", 31)])
        facts["killed_in_dbt"] = kill_during_dbt(
            [
                sys.executable,
                "-m",
                "crm_pipeline.cli",
                "build",
                "--landing",
                str(landing),
                "--warehouse",
                str(warehouse),
                "--as-of",
                "2026-03-31",
                "--config",
                str(config),
                "--verbose",
            ]
        )
        facts["hash_K"] = digest(serving)
        # the breach of B holds every build until resolved: the managers accept the file
        facts["accept"] = main(
            [
                "accept",
                "leads/2026-03-30.csv",
                "--warehouse",
                str(warehouse),
                "--reason",
                "owners are assigned in the CRM",
            ]
        )
        # C
        real_replace = publish.os.replace

        def crash(src: Any, dst: Any) -> None:
            if str(dst).endswith("crm.duckdb"):
                raise OSError("simulated crash after writing the temporary file")
            real_replace(src, dst)

        mp = pytest.MonkeyPatch()
        mp.setattr(publish.os, "replace", crash)
        try:
            facts["C"] = build("2026-03-31")
        finally:
            mp.undo()
        facts["hash_C"] = digest(serving)
        # D
        facts["D"] = build("2026-03-31")
        facts["hash_D"] = digest(serving)
        facts["reader_alive"] = reader.poll() is None
    finally:
        reader.kill()
        reader.wait()
    yield facts


def latest_metadata(warehouse: Path) -> dict[str, dict[str, Any]]:
    """The metadata of the latest publish and report materialisations in Dagster."""
    import dagster as dg

    from orchestration.assets.publish import PUBLISH_KEY
    from orchestration.assets.report import REPORT_KEY

    found: dict[str, dict[str, Any]] = {}
    with dg.DagsterInstance.from_config(str(warehouse / "dagster")) as instance:
        for name, key in (("publish", PUBLISH_KEY), ("report", REPORT_KEY)):
            event = instance.get_latest_materialization_event(key)
            assert event is not None and event.asset_materialization is not None
            found[name] = {
                k: getattr(v, "value", v) for k, v in event.asset_materialization.metadata.items()
            }
    return found


def kill_during_dbt(command: list[str]) -> bool:
    """Start a build in its own process group; kill the group once dbt is running."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    seen = False
    for line in process.stderr:
        if "crm_dbt_models" in line and "Running dbt command" in line:
            seen = True
            break
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return seen


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_exit_codes(builds: dict[str, Any]) -> None:
    assert (builds["A"], builds["B"], builds["accept"], builds["C"], builds["D"]) == (0, 2, 0, 1, 0)


def test_blocked_and_crashed_builds_leave_serving_untouched(builds: dict[str, Any]) -> None:
    assert builds["hash_B"] == builds["hash_A"]
    assert builds["killed_in_dbt"]
    assert builds["hash_K"] == builds["hash_A"]
    assert builds["hash_C"] == builds["hash_A"]
    assert builds["hash_D"] != builds["hash_A"]
    assert builds["reader_alive"]  # the reader never blocked a build, nor was broken
    serving_dir = builds["warehouse"] / "serving"
    assert sorted(p.name for p in serving_dir.iterdir()) == ["crm.duckdb", "parquet"]


def test_publish_log_records_each_decision(builds: dict[str, Any]) -> None:
    log = query(
        builds["warehouse"] / "build" / "crm.duckdb",
        "select as_of_date::varchar, status, reason from data_quality.publish_log "
        "order by started_at",
    )
    assert [(d, s) for d, s, _ in log] == [
        ("2026-03-29", "published"),
        ("2026-03-30", "blocked"),
        ("2026-03-31", "failed"),
        ("2026-03-31", "published"),
    ]
    assert log[1][2] == (
        "leads: 2 of 3 new rows quarantined (66.7%), above the limit of 20% "
        "(held until leads/2026-03-30.csv is corrected, withdrawn or accepted)"
    )
    assert log[2][2]  # the failed step, as one line (retried, then given up)


def test_published_marts_after_recovery(builds: dict[str, Any]) -> None:
    serving = builds["warehouse"] / "serving" / "crm.duckdb"
    ids = {r[0] for r in query(serving, "select lead_id from opportunity_funnel.fct_opportunities")}
    assert {"L1", "L5", "L9", "L12"} <= ids and not {"L10", "L11"} & ids
    # the published data_quality schema tells the BI user the whole story
    statuses = [
        r[0]
        for r in query(serving, "select status from data_quality.publish_log order by started_at")
    ]
    assert statuses == ["published", "blocked", "failed", "published"]
    parquet = builds["warehouse"] / "serving" / "parquet" / "data_quality" / "quarantine.parquet"
    assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall()[0][0] >= 3


def test_orphan_released_once_its_lead_arrived(builds: dict[str, Any]) -> None:
    rows = query(
        builds["warehouse"] / "build" / "crm.duckdb",
        "select record_id, rule, released_at is not null from data_quality.quarantine "
        "where entity = 'follow_ups'",
    )
    assert rows == [("F5", "reference", True)]
    counts = query(
        builds["warehouse"] / "build" / "crm.duckdb",
        "select rows_read, rows_loaded, rows_quarantined from data_quality.file_loads "
        "where file_path like 'follow_ups/%'",
    )
    assert counts == [(5, 5, 0)]


def test_alerts_reach_the_webhook(builds: dict[str, Any]) -> None:
    # alerts are in Chinese by default; F5's follow-up was quarantined, within the limit
    (alert_a,) = builds["alerts_A"]
    assert "已发布（有警告）" in alert_a["title"] and alert_a["type"] == "warning"
    assert "李雷：1 条记录" in alert_a["message"]
    assert (
        "F5（follow_ups/2026-03-29.csv 第 6 行）：「商机编号」找不到对应的记录"
        in alert_a["message"]
    )
    (alert_b,) = builds["alerts_B"]
    assert "已阻止发布" in alert_b["title"] and alert_b["type"] == "failure"
    assert "无负责人：2 条记录" in alert_b["message"]
    assert "L10, L11" in alert_b["message"]
    for alert in builds["received"]:
        assert PHONE not in json.dumps(alert, ensure_ascii=False)
    log = query(
        builds["warehouse"] / "build" / "crm.duckdb",
        "select channel, status, attempts from data_quality.alert_log "
        "where as_of_date = '2026-03-29' order by channel",
    )
    assert log == [("down", "failed", 2), ("webhook", "sent", 1)]
    report = builds["warehouse"] / "reports" / "2026-03-30" / "quality_report.html"
    assert "L10" in report.read_text(encoding="utf-8")


def test_a_build_that_quarantined_rows_says_published_with_warnings(
    builds: dict[str, Any],
) -> None:
    """CLI, HTML report, publish_log and Dagster metadata all say the same thing."""
    out = builds["out"]["2026-03-29"]
    assert "build as of 2026-03-29: published with warnings (1 row quarantined " in out
    assert "all checks passed" not in out
    assert "  rows quarantined: follow_ups 1" in out
    assert "  alert webhook: sent" in out and "  alert down: failed (" in out
    assert "build as of 2026-03-30: blocked" in builds["out"]["2026-03-30"]
    report = builds["warehouse"] / "reports" / "2026-03-29" / "quality_report.html"
    html = report.read_text(encoding="utf-8")
    assert "已发布（有警告）" in html and "published with warnings" in html
    log = query(
        builds["warehouse"] / "build" / "crm.duckdb",
        "select as_of_date::varchar, status, outcome, rows_quarantined "
        "from data_quality.publish_log order by started_at limit 2",
    )
    assert log == [
        ("2026-03-29", "published", "published with warnings", 1),
        ("2026-03-30", "blocked", "blocked", 2),
    ]
    publish_meta, report_meta = builds["metadata_A"]["publish"], builds["metadata_A"]["report"]
    assert (publish_meta["status"], publish_meta["outcome"]) == (
        "published",
        "published with warnings",
    )
    assert publish_meta["rows_quarantined_per_entity"]["follow_ups"] == 1
    assert report_meta["outcome"] == "published with warnings"
    assert report_meta["deliveries"]["webhook"]["status"] == "sent"
    assert report_meta["deliveries"]["down"]["status"] == "failed"
