"""Every entry of a landing folder is either loadable or ignored with its reason
(quality.md, file_loads: nothing vanishes silently)."""

from __future__ import annotations

from pathlib import Path

from ingestion.landing import landing_entries


def test_every_entry_is_loadable_or_ignored_with_a_reason(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    leads = landing / "leads"
    (leads / "archive").mkdir(parents=True)
    for name in ("a.csv", "b.XLSX", "c.jsonl", "d.xls", "~$a.csv", ".a.csv", "e.csv.tmp"):
        (leads / name).write_bytes(b"x")
    (tmp_path / "outside.csv").write_bytes(b"x")
    (leads / "out.csv").symlink_to(tmp_path / "outside.csv")
    (leads / "in.csv").symlink_to(leads / "a.csv")  # stays inside: loaded
    (leads / "gone.csv").symlink_to(leads / "missing.csv")
    (landing / "notes.txt").write_bytes(b"x")
    (landing / "lead").mkdir()  # a typo of an entity folder
    (tmp_path / "elsewhere").mkdir()
    (landing / "follow_ups").symlink_to(tmp_path / "elsewhere")

    files, ignored = landing_entries(landing)

    assert [f.relative_path for f in files] == [
        "leads/a.csv",
        "leads/b.XLSX",
        "leads/c.jsonl",
        "leads/in.csv",
    ]
    reasons = {e.relative_path: e.reason for e in ignored}
    assert set(reasons) == {
        "lead",
        "notes.txt",
        "follow_ups",
        "leads/.a.csv",
        "leads/archive",
        "leads/d.xls",
        "leads/e.csv.tmp",
        "leads/gone.csv",
        "leads/out.csv",
        "leads/~$a.csv",
    }
    assert reasons["leads/d.xls"].startswith("unsupported file type .xls")
    assert reasons["leads/~$a.csv"].startswith("temporary file")
    assert reasons["leads/e.csv.tmp"].startswith("temporary file")
    assert reasons["leads/.a.csv"] == "hidden file, not loaded"
    assert reasons["leads/archive"] == "directory inside an entity folder, not searched"
    assert reasons["leads/out.csv"].startswith("symbolic link leading outside")
    assert reasons["follow_ups"].startswith("symbolic link leading outside")
    assert reasons["leads/gone.csv"].startswith("broken symbolic link")
    assert reasons["notes.txt"] == "file outside the entity folders, not loaded"
    assert reasons["lead"].startswith("folder that is not an entity folder")
