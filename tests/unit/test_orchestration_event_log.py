"""The instance's event log keeps its SQLite files open, and stores the same history.

The UI, the sensors and the alerts read runs, materializations and check evaluations with
Dagster's own storage classes (the webserver may even run a different Dagster process on
the same DAGSTER_HOME); what the kept-open storage writes must read back the same there.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log import SqliteEventLogStorage

from crm_pipeline.runner import _EARLIER_INSTANCE_YAML, write_instance_config
from orchestration.event_log import OPEN_FILES, KeptOpenSqliteEventLogStorage


@dg.asset
def leads() -> int:
    return 3


@dg.asset_check(asset=leads)
def leads_not_empty() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, metadata={"rows": 0})


def _open_files_under(folder: Path) -> int:
    fds = Path("/proc/self/fd")
    targets = []
    for fd in fds.iterdir():
        try:
            targets.append(os.readlink(fd))
        except OSError:
            continue
    return sum(1 for target in targets if target.startswith(str(folder)))


def test_history_written_kept_open_reads_back_with_dagsters_own_storage(tmp_path: Path) -> None:
    write_instance_config(tmp_path)
    events_dir = tmp_path / "history" / "runs"
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)
        result = dg.materialize([leads, leads_not_empty], instance=instance)
        assert result.success
        written = len(instance.all_logs(result.run_id))

        # another process's view while this one still holds its files open (WAL readers)
        reader = SqliteEventLogStorage(str(events_dir))
        assert len(reader.get_records_for_run(result.run_id, limit=10_000).records) == written
        latest = reader.get_latest_materialization_events([dg.AssetKey("leads")])
        assert latest[dg.AssetKey("leads")].run_id == result.run_id
        check = dg.AssetCheckKey(dg.AssetKey("leads"), "leads_not_empty")
        (execution,) = reader.get_asset_check_execution_history(check, limit=5)
        assert execution.run_id == result.run_id
        assert execution.evaluation is not None and execution.evaluation.passed is False
        reader.dispose()
        assert instance.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.SUCCESS

    # closing the instance closes the files: their write-ahead logs are folded back in
    assert list(events_dir.glob("*.db-wal")) == []
    assert _open_files_under(events_dir) == 0


def test_storing_an_event_touches_its_run_file_for_the_webservers_watcher(
    tmp_path: Path,
) -> None:
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path))
    entry = dg.EventLogEntry(
        error_info=None, level="INFO", user_message="hello", run_id="a-run", timestamp=1.0
    )
    storage.store_event(entry)
    run_file = Path(storage.path_for_shard("a-run"))
    os.utime(run_file, (1_000_000, 1_000_000))
    storage.store_event(entry)
    assert run_file.stat().st_mtime > 1_000_000
    storage.dispose()


def test_only_the_recently_used_files_stay_open(tmp_path: Path) -> None:
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path))
    for number in range(OPEN_FILES + 5):
        storage.get_records_for_run(f"run-{number}")
    assert 0 < _open_files_under(tmp_path) <= 3 * OPEN_FILES  # .db, -wal and -shm each
    storage.dispose()
    assert _open_files_under(tmp_path) == 0


@pytest.mark.parametrize("how", ["earlier version", "warehouse moved"])
def test_an_unedited_instance_config_is_brought_up_to_date(tmp_path: Path, how: str) -> None:
    home = tmp_path / "dagster"
    config = write_instance_config(home)
    current = config.read_text(encoding="utf-8")
    if how == "earlier version":
        config.write_text(_EARLIER_INSTANCE_YAML, encoding="utf-8")
    else:
        config.write_text(current.replace(str(tmp_path), "/old/place"), encoding="utf-8")
    write_instance_config(home)
    assert config.read_text(encoding="utf-8") == current
    assert str(home / "history" / "runs") in current


def test_an_edited_instance_config_with_the_event_log_is_left_alone(tmp_path: Path) -> None:
    config = write_instance_config(tmp_path)
    edited = config.read_text(encoding="utf-8").replace("limit: 1", "limit: 2")
    config.write_text(edited, encoding="utf-8")
    write_instance_config(tmp_path)
    assert config.read_text(encoding="utf-8") == edited
