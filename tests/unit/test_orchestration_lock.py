"""Two build requests never write the build database at the same time.

The primitive is tested directly (no timing): a holder in another thread or another
process makes a second request wait or refuse with a clear sentence, re-entry in the same
thread is free, and ``run_build`` refuses to start a Dagster run while the lock is held.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core.build_lock import BuildLockBusy, build_db_lock, describe_holder
from core.paths import WarehousePaths

HOLDER_SCRIPT = """
import sys
from pathlib import Path
from core.build_lock import build_db_lock
with build_db_lock(Path(sys.argv[1]), "holder process for the test"):
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def lock_file(tmp_path: Path) -> Path:
    return WarehousePaths(tmp_path / "warehouse").ensure().lock_file


def _process_holding(lock_file: Path):
    """A separate Python process holding ``lock_file`` until the generator resumes."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER_SCRIPT, str(lock_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "held"
    yield proc
    proc.stdin.write("\n")
    proc.stdin.flush()
    proc.wait()


@pytest.fixture
def other_process_holds(lock_file: Path):
    """A separate Python process holding the lock until the test ends."""
    yield from _process_holding(lock_file)


@pytest.fixture
def other_process_holds_daemon_lock(daemon_defs):
    """Like other_process_holds, on the daemon test's warehouse."""
    _, paths = daemon_defs
    yield from _process_holding(paths.lock_file)


class Holder(threading.Thread):
    """Holds the lock in another thread until ``release`` is set."""

    def __init__(self, lock_file: Path) -> None:
        super().__init__(daemon=True)
        self.lock_file = lock_file
        self.acquired = threading.Event()
        self.release = threading.Event()

    def run(self) -> None:
        with build_db_lock(self.lock_file, "holder thread for the test"):
            self.acquired.set()
            self.release.wait()


def test_a_second_process_is_refused_with_a_clear_sentence(lock_file, other_process_holds):
    with (
        pytest.raises(BuildLockBusy) as refused,
        build_db_lock(lock_file, "second build", timeout=0),
    ):
        pytest.fail("the second writer must not get the lock")
    message = str(refused.value)
    assert "in use by pid" in message
    assert "holder process for the test" in message
    assert str(lock_file) in message


def test_the_holder_is_described_while_held_and_forgotten_after(lock_file):
    with build_db_lock(lock_file, "a build as of 2026-03-30"):
        assert "a build as of 2026-03-30" in describe_holder(lock_file)
    assert describe_holder(lock_file) == "another build"


def test_another_thread_waits_until_the_holder_releases(lock_file):
    holder = Holder(lock_file)
    holder.start()
    assert holder.acquired.wait(30)
    messages: list[str] = []

    def notify(message: str) -> None:
        # Called once, when the waiter finds the lock taken: only then let the holder go,
        # so the waiter provably waited instead of finding the lock free.
        messages.append(message)
        holder.release.set()

    with build_db_lock(lock_file, "waiting build", timeout=60, notify=notify, poll=0.01):
        assert "waiting build" in describe_holder(lock_file)
    holder.join(30)
    assert len(messages) == 1
    assert messages[0].startswith("waiting for the build database")
    assert "holder thread for the test" in messages[0]


def test_same_thread_reenters_without_deadlock(lock_file):
    # run_build holds the lock for the whole in-process run and each step asks again
    with (
        build_db_lock(lock_file, "outer run", timeout=0),
        build_db_lock(lock_file, "inner step", timeout=0),
    ):
        # the inner (re-entrant) request keeps the outer holder's description
        assert "outer run" in describe_holder(lock_file)


def test_another_thread_is_not_let_in_by_reentrancy(lock_file):
    holder = Holder(lock_file)
    holder.start()
    assert holder.acquired.wait(30)
    try:
        with pytest.raises(BuildLockBusy), build_db_lock(lock_file, "intruder", timeout=0):
            pass
    finally:
        holder.release.set()
        holder.join(30)


def test_build_connection_takes_the_lock(tmp_path, other_process_holds, lock_file, monkeypatch):
    from orchestration.runtime import build_connection

    monkeypatch.setenv("CRM_BUILD_LOCK_TIMEOUT", "0")
    paths = WarehousePaths(tmp_path / "warehouse")
    with pytest.raises(BuildLockBusy), build_connection(paths):
        pytest.fail("a step must not open the build database while another build writes")
    assert not paths.build_db.exists()


def test_run_build_refuses_while_another_build_writes(
    tmp_path, other_process_holds, lock_file, monkeypatch
):
    from crm_pipeline.runner import run_build

    monkeypatch.setenv("CRM_BUILD_LOCK_TIMEOUT", "0")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # the warehouse keeps its instance
    landing = tmp_path / "landing"
    landing.mkdir()
    notices: list[str] = []
    outcome = run_build(
        landing, tmp_path / "warehouse", dt.date(2026, 3, 30), notify=notices.append
    )
    assert outcome.status == "failed"
    assert outcome.exit_code == 1
    assert outcome.run_id is None  # no Dagster run was started
    assert "in use by pid" in outcome.reason and "holder process" in outcome.reason
    assert not WarehousePaths(tmp_path / "warehouse").build_db.exists()


WRITING_STEPS = [
    ("raw", "leads"),
    ("data_quality", "quarantine"),
    ("staging", "stg_crm__leads"),  # the dbt step
    ("serving", "published_marts"),
    ("data_quality", "build_report"),
]


@pytest.fixture(scope="module")
def daemon_defs(tmp_path_factory: pytest.TempPathFactory):
    """The definitions as the daemon loads them, on an empty warehouse."""
    root = tmp_path_factory.mktemp("daemon")
    (root / "landing").mkdir()
    from orchestration.build import build_definitions
    from orchestration.resources import pipeline_from_environment

    environment = {
        "CRM_LANDING_DIR": str(root / "landing"),
        "CRM_WAREHOUSE_DIR": str(root / "warehouse"),
    }
    defs = build_definitions(pipeline_from_environment(environment))
    return defs, WarehousePaths(root / "warehouse").ensure()


def _whole_step(defs, key):
    """The asset keys computed by the step that computes ``key`` (multi-assets run whole)."""
    assets_def = defs.resolve_asset_graph().get(key).assets_def
    return list(assets_def.keys) if not assets_def.can_subset else [key]


@pytest.mark.parametrize("key", WRITING_STEPS, ids="/".join)
def test_each_writing_step_waits_for_the_lock_under_the_daemon(
    key, daemon_defs, other_process_holds_daemon_lock, monkeypatch
):
    import dagster as dg

    defs, paths = daemon_defs
    monkeypatch.setenv("CRM_BUILD_LOCK_TIMEOUT", "0")
    job = defs.resolve_implicit_global_asset_job_def()  # no retry policy: fails at once
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            asset_selection=_whole_step(defs, dg.AssetKey(list(key))),
            partition_key="2026-03-30",
            instance=instance,
            raise_on_error=False,
        )
    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    error = failure.step_failure_data.error
    while error.cause is not None and "BuildLockBusy" not in error.cls_name:
        error = error.cause
    assert error.cls_name == "BuildLockBusy"
    assert "holder process for the test" in error.message
    assert not paths.build_db.exists()  # nothing was written
