"""What is in the landing folder: ``LANDING/<entity>/<file>`` for every contract entity.

Listing is cheap (names, sizes, modification times; no file is opened), so the Dagster
landing sensor can call :func:`landed_files` every few seconds and start a build only when
something changed. Whether a file is *new* in the content sense (its
SHA-256 not yet loaded) is decided by the loader, which hashes only files it has not seen
with the same size and modification time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.contract import load_contract
from ingestion.readers import SUPPORTED_SUFFIXES


@dataclass(frozen=True)
class LandedFile:
    """One landed file and the cheap facts about it."""

    entity: str
    path: Path
    relative_path: str  # to the landing folder, with forward slashes
    size: int
    mtime_ns: int


def _entity_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not p.name.startswith(".")
        and not p.name.startswith("~$")  # Excel's lock files
    )


def landed_files(landing_dir: Path) -> list[LandedFile]:
    """Every loadable file, entity by entity in contract order, files sorted by name."""
    found: list[LandedFile] = []
    for entity in load_contract().entities:
        for path in _entity_files(Path(landing_dir) / entity):
            stat = path.stat()
            rel = path.relative_to(landing_dir).as_posix()
            found.append(LandedFile(entity, path, rel, stat.st_size, stat.st_mtime_ns))
    return found
