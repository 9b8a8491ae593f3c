"""The SHA-256 of every landed file, kept from build to build.

A build decides whether a landed file is new by its content: its path with this SHA-256
loaded before is skipped (:func:`ingestion.loader.load_file`). Hashing the whole landing
folder on every build read every byte of it again — 1.8 GB and 2.5–4.5 s at 10⁶ leads, most
of a daily build's ingest (docs/benchmarks.md). So a file's hash is kept with the file's
stamp (size, modification and change time in nanoseconds, inode), as git's index does,
and a file whose stamp has not moved is not read again. Any write to the file moves its
change time, which no tool sets back (unlike the modification time: ``cp -p``,
``touch -d``), so a file rewritten with the same size and a restored modification time is
still hashed again.

A hash is kept only for a file that was settled when hashed: last modified more than
:data:`SETTLED_SECONDS` before, and with the same stamp after the read as before it. A
file still being written is hashed again next time. The table lives in its own schema,
``ingestion_state``, never published; deleting it costs one full hashing, nothing else.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.readers import file_sha256

SCHEMA = "ingestion_state"
TABLE = f"{SCHEMA}.file_hashes"
SETTLED_SECONDS = 2.0


@dataclass(frozen=True)
class FileStamp:
    """What the file system says about a file without opening it."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileStamp:
        stat = os.stat(path)
        return cls(stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


class FileHashes:
    """The kept hashes of one build database: look up, hash what is not known, save."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(
            f"create table if not exists {TABLE} (file_path varchar, file_size bigint, "
            "mtime_ns bigint, ctime_ns bigint, inode ubigint, file_hash varchar)"
        )
        rows = con.execute(
            f"select file_path, file_size, mtime_ns, ctime_ns, inode, file_hash from {TABLE}"
        ).fetchall()
        self._known = {row[0]: (FileStamp(*row[1:5]), row[5]) for row in rows}
        self._new: dict[str, tuple[FileStamp, str]] = {}

    def hash_of(self, path: Path, relative_path: str) -> str:
        """The file's SHA-256: the kept one while its stamp is unchanged, else read."""
        before = FileStamp.of(path)
        kept = self._known.get(relative_path)
        if kept is not None and kept[0] == before:
            return kept[1]
        file_hash = file_sha256(path)
        settled = before.mtime_ns < (time.time() - SETTLED_SECONDS) * 1e9
        if settled and FileStamp.of(path) == before:
            self._new[relative_path] = (before, file_hash)
        return file_hash

    def save(self) -> None:
        """Keep the hashes read since the last save (one row per path, the latest)."""
        if not self._new:
            return
        rows = [
            (path, s.size, s.mtime_ns, s.ctime_ns, s.inode, file_hash)
            for path, (s, file_hash) in self._new.items()
        ]
        placeholders = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(rows))
        self._con.execute("begin transaction")
        try:
            self._con.execute(
                f"delete from {TABLE} where file_path in (select unnest(?))",
                [[row[0] for row in rows]],
            )
            self._con.execute(
                f"insert into {TABLE} values {placeholders}",
                [value for row in rows for value in row],
            )
            self._con.execute("commit")
        except BaseException:
            self._con.execute("rollback")
            raise
        self._known.update(self._new)
        self._new.clear()
