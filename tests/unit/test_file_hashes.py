"""Kept file hashes (ingestion/file_hashes.py): an unchanged landed file is not read again,
and any rewrite of a file — even one that keeps its size and sets its modification time
back — is hashed again, so a corrected version is never taken for the old one."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest

import ingestion.file_hashes as file_hashes
from core.settings import Settings
from ingestion.file_hashes import FileHashes
from ingestion.loader import load_landing

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
AS_OF = dt.date(2026, 3, 31)
AN_HOUR_AGO = time.time() - 3600


def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record every file the kept hashes read from then on."""
    read: list[Path] = []
    real = file_hashes.file_sha256

    def counting(path: Path) -> str:
        read.append(path)
        return real(path)

    monkeypatch.setattr(file_hashes, "file_sha256", counting)
    return read


def settled_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text(text, encoding="utf-8")
    os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    return path


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_an_unchanged_file_is_hashed_once_across_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = settled_file(tmp_path, "lead_id\nL1\n")
    read = reads(monkeypatch)
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    first = FileHashes(con)
    assert first.hash_of(path, "leads/a.csv") == sha256("lead_id\nL1\n")
    first.save()
    # the next build: a new lookup over the same database
    assert FileHashes(con).hash_of(path, "leads/a.csv") == sha256("lead_id\nL1\n")
    assert read == [path]


def test_a_rewrite_with_the_same_size_and_old_modification_time_is_hashed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = settled_file(tmp_path, "lead_id\nL1\n")
    con = duckdb.connect()
    kept = FileHashes(con)
    kept.hash_of(path, "leads/a.csv")
    kept.save()
    time.sleep(0.01)  # the change time moves with the rewrite below
    path.write_text("lead_id\nL2\n", encoding="utf-8")  # same size
    os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))  # modification time set back
    read = reads(monkeypatch)
    assert FileHashes(con).hash_of(path, "leads/a.csv") == sha256("lead_id\nL2\n")
    assert read == [path]


def test_a_file_modified_just_now_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # it may still be being written: the next build reads it again
    path = tmp_path / "leads.csv"
    path.write_text("lead_id\nL1\n", encoding="utf-8")
    con = duckdb.connect()
    kept = FileHashes(con)
    kept.hash_of(path, "leads/a.csv")
    kept.save()
    read = reads(monkeypatch)
    FileHashes(con).hash_of(path, "leads/a.csv")
    assert read == [path]


def test_a_build_on_an_unchanged_landing_folder_reads_no_file_and_a_corrected_one_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing_zh", landing)
    for file in landing.rglob("*.csv"):
        os.utime(file, (AN_HOUR_AGO, AN_HOUR_AGO))
    con = duckdb.connect()
    first = load_landing(con, landing, Settings(), run_id="r1", as_of_date=AS_OF)
    assert {r.status for r in first} == {"loaded"}

    read = reads(monkeypatch)
    assert load_landing(con, landing, Settings(), run_id="r2", as_of_date=AS_OF) == []
    assert read == []

    # a corrected export under the same name, its modification time kept (cp -p)
    leads = landing / "leads" / "2026-03-06.csv"
    text = leads.read_text(encoding="utf-8")
    time.sleep(0.01)
    leads.write_text(text + text.splitlines()[-1].replace("L00", "L09") + "\n", encoding="utf-8")
    os.utime(leads, (AN_HOUR_AGO, AN_HOUR_AGO))
    again = load_landing(con, landing, Settings(), run_id="r3", as_of_date=AS_OF)
    assert [(r.file_path, r.status) for r in again] == [("leads/2026-03-06.csv", "loaded")]
    assert read == [leads]
