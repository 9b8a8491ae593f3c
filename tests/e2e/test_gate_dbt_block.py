"""A failing error-severity dbt test blocks the publish (exit 2) and names itself; the
serving file stays byte-identical; fixing the cause publishes again.

The cause used here is real: a lead in USD while no USD rate is configured (marts.md:
money is summed in the configured currency, converted with a configurable rate table).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from crm_pipeline.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "backbone_landing"
pytestmark = pytest.mark.e2e

USD_LEAD = (
    "lead_id,created_at,source,account_name,contact_name,requirement,budget,currency,owner,stage\n"
    "L5,2026-03-25 10:00:00,website,Acme Robotics Inc.,Tom Lee,ERP,10000,USD,李强,lead\n"
)


def _build(landing: Path, warehouse: Path) -> int:
    return main(
        ["build", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of", "2026-03-31"]
    )


def _last_decision(warehouse: Path) -> tuple[str, str]:
    with duckdb.connect(str(warehouse / "build" / "crm.duckdb"), read_only=True) as con:
        return con.execute(
            "select status, reason from data_quality.publish_log order by finished_at desc limit 1"
        ).fetchone()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_dbt_error_test_blocks_then_the_fix_publishes(tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    shutil.copytree(FIXTURE, landing)
    assert _build(landing, warehouse) == 0
    serving = warehouse / "serving" / "crm.duckdb"
    before = _digest(serving)

    (landing / "leads" / "2026-03-25.csv").write_text(USD_LEAD, encoding="utf-8")
    assert _build(landing, warehouse) == 2
    assert _digest(serving) == before
    with duckdb.connect(str(warehouse / "build" / "crm.duckdb"), read_only=True) as con:
        status, reason = con.execute(
            "select status, reason from data_quality.publish_log order by finished_at desc limit 1"
        ).fetchone()
        quarantined = con.execute(
            "select count(*) from data_quality.quarantine where record_id = 'L5'"
        ).fetchone()[0]
    assert status == "blocked"
    assert "every_lead_currency_has_a_rate" in reason
    assert quarantined == 0  # a missing rate is a configuration gap, not a bad row

    (warehouse / "config.yaml").write_text("currency_rates:\n  USD: 7.0\n", encoding="utf-8")
    assert _build(landing, warehouse) == 0, _last_decision(warehouse)
    assert _digest(serving) != before
    with duckdb.connect(str(serving), read_only=True) as con:
        amount = con.execute(
            "select amount from opportunity_funnel.fct_opportunities where lead_id = 'L5'"
        ).fetchone()[0]
    assert float(amount) == pytest.approx(70000)  # 10,000 USD x 7.0
