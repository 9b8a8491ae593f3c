"""What is in the landing folder: ``LANDING/<entity>/<file>`` for every contract entity.

Every entry is accounted for: a loadable file (:class:`LandedFile`) or an ignored entry
with its reason (:class:`IgnoredEntry`), which the loader records in ``file_loads``.
Listing is cheap (names, sizes, modification times; no file is opened), so the Dagster
landing sensor can call :func:`landed_files` every few seconds and start
a build only when something changed. Whether a file is *new* in the content sense (its
SHA-256 not yet loaded) is decided by the loader, which reads only files it has not hashed
with the same size, modification and change time and inode (ingestion/file_hashes.py).
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


@dataclass(frozen=True)
class IgnoredEntry:
    """An entry of the landing folder that is not loaded, and why (recorded, reported)."""

    entity: str | None  # None for an entry at the top of the landing folder
    relative_path: str
    reason: str


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (symbolic links resolved) stays inside ``root``."""
    try:
        path.resolve(strict=True).relative_to(root)
    except (OSError, ValueError):
        return False
    return True


def _skip_reason(path: Path, root: Path, in_entity_folder: bool) -> str | None:
    """Why an entry is not loaded, or None for a file to load (a name check, no read)."""
    name = path.name
    if name.startswith("~$") or name.endswith("~") or name.lower().endswith(".tmp"):
        return "temporary file (an editor's lock or scratch file), not loaded"
    if name.startswith("."):
        return "hidden file, not loaded"
    if not path.exists():
        return "broken symbolic link, not followed"
    if path.is_symlink() and not _inside(path, root):
        return "symbolic link leading outside the landing folder, not followed"
    if path.is_dir():
        return "directory inside an entity folder, not searched" if in_entity_folder else None
    if not in_entity_folder:
        return "file outside the entity folders, not loaded"
    if not path.is_file():
        return "not a regular file, not loaded"
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        shown = path.suffix or "(none)"
        return (
            f"unsupported file type {shown} (supported: {', '.join(SUPPORTED_SUFFIXES)}), "
            "not loaded"
        )
    return None


def _entries(landing_dir: Path) -> tuple[list[LandedFile], list[IgnoredEntry]]:
    root = Path(landing_dir)
    resolved_root = root.resolve()
    entities = load_contract().entities
    found: list[LandedFile] = []
    ignored: list[IgnoredEntry] = []
    if not root.is_dir():
        return found, ignored
    for entry in sorted(root.iterdir()):
        if entry.name in entities:
            continue
        reason = _skip_reason(entry, resolved_root, in_entity_folder=False)
        ignored.append(
            IgnoredEntry(
                None,
                entry.name,
                reason
                or "folder that is not an entity folder "
                f"(expected {', '.join(entities)}), not searched",
            )
        )
    for entity in entities:
        folder = root / entity
        if not folder.exists() and not folder.is_symlink():
            continue
        reason = _skip_reason(folder, resolved_root, in_entity_folder=False)
        if reason is not None or not folder.is_dir():
            ignored.append(IgnoredEntry(entity, entity, reason or "not a folder, not searched"))
            continue
        for path in sorted(folder.iterdir()):
            rel = path.relative_to(root).as_posix()
            reason = _skip_reason(path, resolved_root, in_entity_folder=True)
            if reason is not None:
                ignored.append(IgnoredEntry(entity, rel, reason))
                continue
            stat = path.stat()
            found.append(LandedFile(entity, path, rel, stat.st_size, stat.st_mtime_ns))
    return found, ignored


def landed_files(landing_dir: Path) -> list[LandedFile]:
    """Every loadable file, entity by entity in contract order, files sorted by name."""
    return _entries(landing_dir)[0]


def ignored_entries(landing_dir: Path) -> list[IgnoredEntry]:
    """Every other entry of the landing folder, with the reason it is not loaded.

    Unsupported extensions (``.xls``), hidden and temporary files (``.x.csv``,
    ``~$x.csv``), directories inside an entity folder, symbolic links leading outside the
    landing folder (never followed) and anything outside the entity folders.
    """
    return _entries(landing_dir)[1]


def landing_entries(landing_dir: Path) -> tuple[list[LandedFile], list[IgnoredEntry]]:
    """Loadable files and ignored entries from one listing of the folder."""
    return _entries(landing_dir)
