"""One writer at a time on the private build database: an OS-level file lock.

Dagster's pool (``core.constants.BUILD_DB_POOL``, limit 1 in the instance's
``dagster.yaml``) keeps the daemon's own steps apart, but a build started from the command
line runs in its own process with its own in-process executor. The file lock
``WAREHOUSE/build/build.lock`` (``WarehousePaths.lock_file``) is what every writer shares,
whoever started it: :func:`crm_pipeline.runner.run_build` holds it for the whole in-process
run, and each writing step takes it again (a no-op when its own thread already holds it).

``fcntl.flock`` locks belong to an open file, so the lock is released when the holder
exits or crashes: a killed build never leaves a stale lock behind. The holder writes who
it is into the file so a waiting build can say what it is waiting for.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LOCK_TIMEOUT_ENV = "CRM_BUILD_LOCK_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 3600.0
POLL_SECONDS = 1.0


class BuildLockBusy(RuntimeError):
    """Another build kept the build database longer than this build was willing to wait."""


@dataclass
class _Holding:
    thread_id: int
    depth: int
    handle: IO[str]


_held: dict[str, _Holding] = {}
_held_guard = threading.Lock()


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


def _try_flock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _acquire(
    lock_file: Path, timeout: float, notify: Callable[[str], None], poll: float
) -> IO[str]:
    """Open and flock the file, waiting up to ``timeout`` seconds; raise BuildLockBusy."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_file, "a+", encoding="utf-8")  # noqa: SIM115 - held beyond this call
    deadline = time.monotonic() + timeout
    announced = False
    while not _try_flock(handle):
        holder = describe_holder(lock_file)
        if time.monotonic() >= deadline:
            handle.close()
            raise BuildLockBusy(
                f"the build database is in use by {holder} (lock {lock_file}); "
                f"gave up after waiting {timeout:g} s — retry when that build has finished"
            )
        if not announced:
            notify(f"waiting for the build database: it is in use by {holder} (lock {lock_file})")
            announced = True
        time.sleep(poll)
    return handle


def _record_holder(handle: IO[str], purpose: str) -> None:
    since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} ({purpose}, since {since})")
    handle.flush()


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
    key = str(lock_file.resolve())
    me = threading.get_ident()
    with _held_guard:
        holding = _held.get(key)
        if holding is not None and holding.thread_id == me:
            holding.depth += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key].depth -= 1
        return

    wait = default_timeout() if timeout is None else timeout
    handle = _acquire(lock_file, wait, notify or (lambda _message: None), poll)
    try:
        _record_holder(handle, purpose)
        with _held_guard:
            _held[key] = _Holding(me, 1, handle)
        yield
    finally:
        with _held_guard:
            if key in _held and _held[key].thread_id == me:
                del _held[key]
        handle.seek(0)
        handle.truncate()
        handle.flush()
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()
