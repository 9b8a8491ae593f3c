"""Spill rows by (entity, day) in bounded batches, then write the per-day csv/jsonl/xlsx files."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

from core.contract import Contract
from crm_pipeline.generator.options import ENTITIES, GeneratorOptions, SortKey, Values


class Spool:
    """Buffers rows per (entity, day) and appends them to per-day spill files in batches.

    Memory holds at most ``batch_rows`` buffered rows; :meth:`read_day` later returns one
    day's rows for one entity, sorted by their unique sort key, so the final file's order
    does not depend on how rows were batched.
    """

    def __init__(self, folder: Path, batch_rows: int) -> None:
        self.folder = folder
        self.batch_rows = max(1, batch_rows)
        self.buffers: dict[tuple[str, int], list[str]] = {}
        self.buffered = 0
        for entity in ENTITIES:
            (folder / entity).mkdir(parents=True, exist_ok=True)

    def _path(self, entity: str, day: int) -> Path:
        return self.folder / entity / f"{day:06d}.jsonl"

    def add(self, entity: str, day: int, key: SortKey, values: Values) -> None:
        line = json.dumps([list(key), values], ensure_ascii=False, separators=(",", ":"))
        self.buffers.setdefault((entity, day), []).append(line)
        self.buffered += 1
        if self.buffered >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        for entity, day in sorted(self.buffers):
            lines = self.buffers[(entity, day)]
            with open(self._path(entity, day), "a", encoding="utf-8") as handle:
                handle.write("\n".join(lines))
                handle.write("\n")
        self.buffers.clear()
        self.buffered = 0

    def read_day(self, entity: str, day: int) -> list[Values]:
        path = self._path(entity, day)
        if not path.exists():
            return []
        rows: list[tuple[SortKey, Values]] = []
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                key, values = json.loads(line)
                rows.append(((key[0], key[1], key[2], key[3]), values))
        rows.sort(key=lambda item: item[0])
        return [values for _, values in rows]


# --------------------------------------------------------------------------------------
# Output writers
# --------------------------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[Values], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


def write_jsonl(path: Path, header: list[str], rows: list[Values], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False))
            handle.write("\n")


FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_xlsx(
    path: Path, title: str, header: list[str], rows: list[Values], stamp: dt.datetime
) -> None:
    """Write-only workbook, every cell a string, then re-zipped with fixed timestamps.

    openpyxl stamps the archive members with the wall clock; rewriting the zip with a
    fixed member time and fixed document properties makes the file byte-deterministic.
    The rewrite also adds the ``<dimension>`` element Excel writes (openpyxl's streaming
    writer cannot know it up front), so readers pad rows whose trailing cells are empty.
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.xml.functions import tostring

    workbook = Workbook(write_only=True)
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = "crm-pipeline generate"
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    raw = path.with_name(path.name + ".raw")
    workbook.save(raw)
    try:
        with (
            zipfile.ZipFile(raw) as source,
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
        ):
            for info in source.infolist():
                member = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
                member.compress_type = zipfile.ZIP_DEFLATED
                member.external_attr = 0o644 << 16
                if info.filename == "docProps/core.xml":
                    # save() stamps `modified` with the wall clock: write the fixed one
                    workbook.properties.modified = stamp
                    target.writestr(member, tostring(workbook.properties.to_tree()))
                    continue
                with source.open(info) as src, target.open(member, "w") as dst:
                    if info.filename.startswith("xl/worksheets/sheet"):
                        head = src.read(1 << 16)
                        ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
                        dst.write(
                            head.replace(
                                b"<sheetViews>",
                                f'<dimension ref="{ref}" /><sheetViews>'.encode(),
                                1,
                            )
                        )
                    shutil.copyfileobj(src, dst, 1 << 20)
    finally:
        raw.unlink(missing_ok=True)


def write_days(
    out_dir: Path,
    options: GeneratorOptions,
    contract: Contract,
    spool: Spool,
    say: Callable[[str], None],
) -> int:
    """Read each day's spill back, sorted by time, and write the final per-day files."""
    days = (options.end - options.start).days + 1
    stamp = dt.datetime.combine(options.end, dt.time(23, 59))
    files = 0
    for entity in ENTITIES:
        columns = contract.entity(entity).columns
        if options.headers == "zh":
            header = [c.aliases[0] if c.aliases else c.name for c in columns]
        else:
            header = [c.name for c in columns]
        folder = out_dir / entity
        folder.mkdir(parents=True, exist_ok=True)
        written = 0
        for offset in range(days):
            rows = spool.read_day(entity, offset)
            if not rows:
                continue
            day = options.start + dt.timedelta(days=offset)
            final = folder / f"{day.isoformat()}.{options.format}"
            part = folder / f".{final.name}.part"
            if options.format == "csv":
                write_csv(part, header, rows, options.encoding)
            elif options.format == "jsonl":
                write_jsonl(part, header, rows, options.encoding)
            else:
                write_xlsx(part, entity, header, rows, stamp)
            os.replace(part, final)
            written += 1
        files += written
        say(f"wrote {written} {entity} files")
    return files
