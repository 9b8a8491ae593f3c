"""`crm-pipeline demo` deletes and recreates its folders, so it must only ever delete folders
it created itself: "The pipeline never modifies or deletes a landed file."

The folder preparation is tested directly (no demo build runs here); the refusal also
through the CLI, since that is where a user meets it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_pipeline.cli import EXIT_ERROR, main
from crm_pipeline.demo import (
    MARKER_NAME,
    DemoFolderError,
    check_demo_folder,
    export_dir_for,
    prepare_demo_folders,
)


def _user_landing(root: Path) -> Path:
    landing = root / "landing"
    (landing / "leads").mkdir(parents=True)
    (landing / "leads" / "2026-03-31.csv").write_text("lead_id\nL1\n", encoding="utf-8")
    (landing / "config.yaml").write_text("gate: {}\n", encoding="utf-8")
    return landing


def _demo_folder(path: Path, stale: str = "stale.txt") -> Path:
    path.mkdir(parents=True)
    (path / MARKER_NAME).write_text("written by crm-pipeline demo\n", encoding="utf-8")
    (path / stale).write_text("from the previous run\n", encoding="utf-8")
    return path


def _assert_demo_made(folder: Path) -> None:
    assert folder.is_dir()
    assert sorted(p.name for p in folder.iterdir()) == [MARKER_NAME]
    assert "crm-pipeline demo" in (folder / MARKER_NAME).read_text(encoding="utf-8")


def test_cli_refuses_a_user_landing_folder_and_leaves_it_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing = _user_landing(tmp_path)
    warehouse = tmp_path / "warehouse"

    code = main(["demo", "--landing", str(landing), "--warehouse", str(warehouse)])

    assert code == EXIT_ERROR
    assert (landing / "leads" / "2026-03-31.csv").read_text(encoding="utf-8") == "lead_id\nL1\n"
    assert (landing / "config.yaml").exists()
    assert not (landing / MARKER_NAME).exists()
    assert not warehouse.exists()  # refused before anything was created either
    assert not export_dir_for(landing).exists()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(landing.absolute()) in err
    assert "not a folder the demo created" in err
    assert "Traceback" not in err


def test_cli_refuses_a_user_warehouse_before_touching_the_demo_landing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing = _demo_folder(tmp_path / "landing", stale="kept.txt")
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    (warehouse / "config.yaml").write_text("gate: {}\n", encoding="utf-8")

    code = main(["demo", "--landing", str(landing), "--warehouse", str(warehouse)])

    assert code == EXIT_ERROR
    assert (landing / "kept.txt").exists()  # all folders are checked before any is deleted
    assert (warehouse / "config.yaml").exists()
    assert not (warehouse / "build").exists()  # no trace log written into the user's folder
    assert str(warehouse.absolute()) in capsys.readouterr().err


def test_the_export_folder_beside_a_landing_is_checked_too(tmp_path: Path) -> None:
    export = export_dir_for(tmp_path / "landing")
    export.mkdir()
    (export / "march.xlsx").write_bytes(b"the user's own export")

    with pytest.raises(DemoFolderError, match=str(export.absolute())):
        prepare_demo_folders(tmp_path / "landing", tmp_path / "warehouse")

    assert (export / "march.xlsx").exists()
    assert not (tmp_path / "landing").exists()


def test_folders_with_the_marker_are_deleted_and_recreated(tmp_path: Path) -> None:
    landing = _demo_folder(tmp_path / "landing")
    warehouse = _demo_folder(tmp_path / "warehouse")
    export = _demo_folder(export_dir_for(landing))

    assert prepare_demo_folders(landing, warehouse) == export

    for folder in (landing, warehouse, export):
        _assert_demo_made(folder)


@pytest.mark.parametrize("empty", [True, False], ids=["empty", "missing"])
def test_empty_or_missing_folders_are_used(tmp_path: Path, empty: bool) -> None:
    landing = tmp_path / "new" / "landing"
    warehouse = tmp_path / "new" / "warehouse"
    if empty:
        landing.mkdir(parents=True)
        warehouse.mkdir(parents=True)

    export = prepare_demo_folders(landing, warehouse)

    for folder in (landing, warehouse, export):
        _assert_demo_made(folder)


def test_a_second_run_accepts_what_the_first_made(tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    prepare_demo_folders(landing, warehouse)
    (landing / "leads").mkdir()
    (landing / "leads" / "2026-07-02.csv").write_text("lead_id\n", encoding="utf-8")

    prepare_demo_folders(landing, warehouse)

    _assert_demo_made(landing)


def _old_demo_folders(root: Path) -> tuple[Path, Path]:
    """Folders as an older `make demo` left them, before the marker existed."""
    landing = root / "demo_landing"
    for folder in (landing, export_dir_for(landing)):
        for entity in ("leads", "follow_ups"):
            (folder / entity).mkdir(parents=True)
            (folder / entity / "2026-07-01.csv").write_text("x\n", encoding="utf-8")
    warehouse = root / "demo_warehouse"
    for sub in ("build", "serving", "reports", "dagster"):
        (warehouse / sub).mkdir(parents=True)
    (warehouse / "build" / "crm.duckdb").write_bytes(b"")
    return landing, warehouse


def test_older_demo_folders_under_the_default_names_are_accepted(tmp_path: Path) -> None:
    landing, warehouse = _old_demo_folders(tmp_path)

    export = prepare_demo_folders(landing, warehouse)

    for folder in (landing, warehouse, export):
        _assert_demo_made(folder)


def test_demo_looking_contents_under_another_name_are_refused(tmp_path: Path) -> None:
    landing, _ = _old_demo_folders(tmp_path)
    renamed = landing.rename(tmp_path / "landing")

    with pytest.raises(DemoFolderError, match="not a folder the demo created"):
        check_demo_folder(renamed, "demo_landing")


@pytest.mark.parametrize(
    ("extra", "warehouse"),
    [
        ("config.yaml", True),  # a file of the user's in the warehouse
        ("config.yaml", False),  # ... or in the landing folder
        ("leads/2026-03-31.csv", False),  # a landed file from outside the demo's period
        ("leads/notes.txt", False),
    ],
)
def test_default_names_with_other_contents_are_refused(
    tmp_path: Path, extra: str, warehouse: bool
) -> None:
    landing, warehouse_dir = _old_demo_folders(tmp_path)
    folder = warehouse_dir if warehouse else landing
    (folder / extra).write_text("the user's\n", encoding="utf-8")

    with pytest.raises(DemoFolderError):
        prepare_demo_folders(landing, warehouse_dir)

    assert (folder / extra).exists()


def test_a_file_or_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "landing"
    file.write_text("not a folder\n", encoding="utf-8")
    with pytest.raises(DemoFolderError, match="is a file"):
        check_demo_folder(file)

    real = _user_landing(tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    with pytest.raises(DemoFolderError, match="symbolic link"):
        check_demo_folder(link)
    assert (real / "config.yaml").exists()
