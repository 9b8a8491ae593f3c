"""`crm-pipeline validate`: checks a landing folder, prints the report, publishes nothing.

Landing folder written here: 5 leads of which L4 has no owner and L5 an unknown stage
(2 of 5 = 40% > 20%: blocked), 1 follow-up; a second run drops the two bad leads (0%).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_pipeline.cli import main

HEADER = (
    "lead_id,created_at,source,account_name,contact_name,contact_phone,requirement,budget,"
    "owner,stage"
)
GOOD = [
    "L1,2026-03-01 10:00,官网,华启科技,王伟,13812345678,CRM,120万,王芳,线索",
    "L2,2026-03-02 10:00,website,Acme,Li,,ERP,50000,amy,contacted",
    "L3,2026-03-03 10:00,expo,Beta,Zhao,,MES,80000,amy,proposal",
]
BAD = [
    "L4,2026-03-04 10:00,expo,Gamma,Qian,13912345678,MES,80000,,proposal",
    "L5,2026-03-05 10:00,expo,Delta,Sun,,MES,80000,bob,halfway",
]


def landing(root: Path, leads: list[str]) -> Path:
    folder = root / "landing"
    (folder / "leads").mkdir(parents=True)
    (folder / "leads" / "2026-03-31.csv").write_text(
        "\n".join([HEADER, *leads]) + "\n", encoding="utf-8"
    )
    (folder / "follow_ups").mkdir()
    (folder / "follow_ups" / "2026-03-31.csv").write_text(
        "follow_up_id,lead_id,occurred_at,owner,channel,notes\n"
        "F1,L1,2026-03-05 09:00,王芳,电话,客户手机 13812345678\n",
        encoding="utf-8",
    )
    return folder


def test_dirty_folder_would_block(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = landing(tmp_path, GOOD + BAD)
    assert main(["validate", "--landing", str(folder)]) == 2
    out = capsys.readouterr().out
    assert "会被阻止 / a build would be blocked" in out
    assert "leads: 2/5 行 rows, 40.0%" in out
    assert "leads · 必填 / required" in out and "L4" in out
    assert "bob: 1 条记录 records (leads) — 枚举值/enumeration" in out
    assert "13812345678" not in out and "13912345678" not in out
    assert not (folder / "warehouse").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["follow_ups", "leads"]


def test_clean_folder_would_publish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--landing", str(landing(tmp_path, GOOD))]) == 0
    assert "data rules pass" in capsys.readouterr().out


def test_missing_required_column_rejects_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = landing(tmp_path, GOOD)
    path = folder / "leads" / "2026-03-31.csv"
    text = path.read_text(encoding="utf-8").replace(",owner,", ",salesperson,", 1)
    path.write_text(text, encoding="utf-8")
    assert main(["validate", "--landing", str(folder)]) == 2
    out = capsys.readouterr().out
    assert "被拒收的文件 / Rejected files" in out and "2026-03-31.csv" in out
