"""One writer at a time on the private build database: an OS-level file lock.

Dagster's pool (``core.constants.BUILD_DB_POOL``, limit 1 in the instance's
``dagster.yaml``) keeps the daemon's own steps apart, but a build started from the command
line runs in its own process with its own in-process executor. The file lock
``WAREHOUSE/build/build.lock`` (``WarehousePaths.lock_file``) is what every writer shares,
whoever started it: :func:`crm_pipeline.runner.run_build` holds it for the whole in-process
run, and each writing step takes it again (a no-op when its own thread already holds it).

The lock is :class:`filelock.FileLock` (``flock`` on Unix): it belongs to an open file, so
it is released when the holder exits or crashes and a killed build never leaves a stale
lock behind. One lock object per file (``is_singleton``) with a per-thread count
(``thread_local``) makes it re-entrant within a thread while another thread of the same
process still waits. The holder writes who it is into the file so a waiting build can say
what it is waiting for.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_TIMEOUT_ENV = "CRM_BUILD_LOCK_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 3600.0
POLL_SECONDS = 1.0


class BuildLockBusy(RuntimeError):
    """Another build kept the build database longer than this build was willing to wait."""


def default_timeout() -> float:
    """Seconds to wait for the lock: ``CRM_BUILD_LOCK_TIMEOUT`` or one hour."""
    value = os.environ.get(LOCK_TIMEOUT_ENV, "")
    try:
        return float(value) if value else DEFAULT_TIMEOUT_SECONDS
    except ValueError as exc:
        raise ValueError(f"{LOCK_TIMEOUT_ENV}={value!r} is not a number of seconds") from exc


def describe_holder(lock_file: Path) -> str:
    """What the current holder wrote into the lock file (pid, purpose, since when)."""
    try:
        text = lock_file.read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return text or "another build"


def _write_holder(lock_file: Path, text: str) -> None:
    """Replace the lock file's text (only the holder writes it; waiters only read)."""
    with open(lock_file, "r+", encoding="utf-8") as handle:
        handle.truncate()
        handle.write(text)


def _acquire(
    lock: FileLock, lock_file: Path, timeout: float, notify: Callable[[str], None], poll: float
) -> None:
    """Take ``lock``, announcing once that it waits; raise BuildLockBusy after ``timeout``."""
    try:
        lock.acquire(blocking=False)
        return
    except Timeout:
        pass
    holder = describe_holder(lock_file)
    if timeout > 0:
        notify(f"waiting for the build database: it is in use by {holder} (lock {lock_file})")
        try:
            lock.acquire(timeout=timeout, poll_interval=poll)
            return
        except Timeout:
            holder = describe_holder(lock_file)
    raise BuildLockBusy(
        f"the build database is in use by {holder} (lock {lock_file}); "
        f"gave up after waiting {timeout:g} s — retry when that build has finished"
    )


@contextmanager
def build_db_lock(
    lock_file: Path,
    purpose: str,
    *,
    timeout: float | None = None,
    notify: Callable[[str], None] | None = None,
    poll: float = POLL_SECONDS,
) -> Iterator[None]:
    """Hold the build database's writer lock for the ``with`` block.

    Re-entrant within one thread (a step inside ``run_build``'s in-process run shares the
    run's lock); another thread or process waits, announcing once through ``notify`` what
    it waits for, and gets :class:`BuildLockBusy` after ``timeout`` seconds (default
    ``CRM_BUILD_LOCK_TIMEOUT`` or one hour; 0 refuses at once).
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_file, is_singleton=True, thread_local=True)
    if lock.is_locked:  # held by this thread already: re-enter, keep the outer description
        with lock.acquire(blocking=False):
            yield
        return
    wait = default_timeout() if timeout is None else timeout
    _acquire(lock, lock_file, wait, notify or (lambda _message: None), poll)
    try:
        since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        _write_holder(lock_file, f"pid {os.getpid()} ({purpose}, since {since})")
        yield
    finally:
        try:
            _write_holder(lock_file, "")
        finally:
            lock.release()
