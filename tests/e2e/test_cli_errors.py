"""One sentence, never a traceback, exit 1 (issue 10 item 8): the operator's mistakes and
a machine in trouble (read-only or full disk). The trace goes to a log file."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from core.paths import WarehousePaths
from crm_pipeline import cli
from crm_pipeline.cli import main
from ingestion import loader

pytestmark = pytest.mark.e2e

HEADER = "lead_id,created_at,source,account_name,contact_name,requirement,budget,owner,stage"


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing" / "leads"
    folder.mkdir(parents=True)
    (folder / "2026-03-31.csv").write_text(
        f"{HEADER}\nL1,2026-03-20 10:00,官网,客户,联系人,CRM,10万,王芳,线索\n", encoding="utf-8"
    )
    return folder.parent


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.err + captured.out


def one_sentence(output: str) -> str:
    assert "Traceback" not in output and "Stack Trace" not in output
    (line,) = [x for x in output.splitlines() if x.startswith("error: ")]
    return line


def test_bad_as_of_is_an_error_not_the_gates_code(
    capsys: pytest.CaptureFixture[str], landing: Path, tmp_path: Path
) -> None:
    code, output = run(
        capsys,
        "build",
        "--landing",
        str(landing),
        "--warehouse",
        str(tmp_path / "w"),
        "--as-of",
        "2026-02-30",
    )
    assert code == 1
    assert "'2026-02-30' is not a date (YYYY-MM-DD)" in one_sentence(output)
    assert output.count("\n") == 1


def test_warehouse_that_is_a_file(
    capsys: pytest.CaptureFixture[str], landing: Path, tmp_path: Path
) -> None:
    a_file = tmp_path / "warehouse.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    code, output = run(
        capsys,
        "build",
        "--landing",
        str(landing),
        "--warehouse",
        str(a_file),
        "--as-of",
        "2026-03-31",
    )
    assert code == 1
    assert one_sentence(output) == f"error: --warehouse {a_file} is a file, not a folder"


def test_read_only_warehouse(
    capsys: pytest.CaptureFixture[str],
    landing: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read-only file system (EROFS) when the warehouse folders are created."""
    warehouse = tmp_path / "w"

    def read_only(self: WarehousePaths) -> WarehousePaths:
        raise OSError(errno.EROFS, "Read-only file system", str(self.build_dir))

    monkeypatch.setattr(WarehousePaths, "ensure", read_only)
    code, output = run(
        capsys,
        "build",
        "--landing",
        str(landing),
        "--warehouse",
        str(warehouse),
        "--as-of",
        "2026-03-31",
    )
    assert code == 1
    line = one_sentence(output)
    assert f"cannot write ({warehouse / 'build'}): the folder is read-only" in line
    (log,) = (warehouse / "build" / "logs").glob("crm-pipeline-error-*.log")
    assert f"(details: {log})" in line
    assert "Traceback" in log.read_text(encoding="utf-8")


def test_trace_goes_to_the_temporary_folder_when_the_warehouse_cannot_take_it(
    capsys: pytest.CaptureFixture[str],
    landing: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def read_only(self: WarehousePaths) -> WarehousePaths:
        raise OSError(errno.EROFS, "Read-only file system", str(self.build_dir))

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the warehouse's build folder would go", encoding="utf-8")
    monkeypatch.setattr(WarehousePaths, "ensure", read_only)
    monkeypatch.setattr(cli.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    monkeypatch.setattr(cli, "check_warehouse", lambda warehouse: None)
    code, output = run(
        capsys,
        "build",
        "--landing",
        str(landing),
        "--warehouse",
        str(blocked / "w"),
        "--as-of",
        "2026-03-31",
    )
    assert code == 1
    (log,) = (tmp_path / "tmp").glob("crm-pipeline-error-*.log")
    assert f"(details: {log})" in one_sentence(output)


def test_disk_full_during_the_build(
    capsys: pytest.CaptureFixture[str],
    landing: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warehouse = tmp_path / "w"

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(loader, "_append_chunk", full)
    code, output = run(
        capsys,
        "build",
        "--landing",
        str(landing),
        "--warehouse",
        str(warehouse),
        "--as-of",
        "2026-03-31",
    )
    assert code == 1
    assert "Traceback" not in output and "Stack Trace" not in output
    assert "build as of 2026-03-31: failed (the disk is full" in output
    log = WarehousePaths(warehouse).build_dir / "logs" / "build-2026-03-31.log"
    text = log.read_text(encoding="utf-8")
    assert "Stack Trace" in text and "No space left on device" in text
