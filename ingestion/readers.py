"""Stream landed files (CSV, xlsx, JSON Lines) as chunks of text cells.

Readers only turn bytes into rows of text; they know nothing of the contract. Each yields
:class:`Chunk` objects (headers, rows of cell text, the row number a person sees) and raises
:class:`FileRejected` with a short reason ("line 57 is truncated (unterminated quoted
field)") when the file's structure is broken. The loader turns the reason into a sentence
naming the file.

Structure rules (quality.md, "structure"), the same for every format where they apply:

- bytes that cannot be decoded in the detected (or configured) encoding reject the file;
- no header row (CSV, xlsx) or no object at all (jsonl) means the file is empty: rejected;
- a row with more fields than the header is rejected;
- a row with fewer fields than the header is rejected too: CSV exports write every field,
  so a short row means a broken line (a cut file, or an unquoted line break); when it is
  the last line and the file does not end with a line break, the file was cut off while
  being written and the reason says *truncated*;
- an unterminated quoted field at the end of the file is *truncated*;
- a jsonl line that is not a JSON object is rejected (*truncated* when it is the last line
  and has no line end).

Blank lines and rows whose cells are all empty (Excel writes ``,,,,`` for formatted but
empty rows) are skipped: they are not data and are not counted. Row numbers still count
them, so ``_source_row`` is what the person sees in Excel or a text editor.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from core.settings import FolderConfig

CHUNK_ROWS = 100_000
SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".jsonl")
_HASH_BLOCK = 1 << 20


class FileRejected(Exception):
    """The file breaks a structure rule; ``reason`` says where and why (no file name)."""

    def __init__(self, reason: str, rows_read: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.rows_read = rows_read


@dataclass
class Chunk:
    """Up to ``CHUNK_ROWS`` data rows: cell text aligned with ``headers``."""

    headers: list[str]
    rows: list[list[str | None]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def detect_encoding(path: Path) -> str:
    """The text encoding of a landed file, from its bytes.

    A UTF-8 byte-order mark gives ``utf-8-sig``; bytes that are valid UTF-8 throughout give
    ``utf-8``; anything else is taken as ``gb18030`` (the superset of GBK that Chinese
    Excel writes). Undecodable bytes are found later, while reading, with their line.
    Only files about to be loaded are decoded; already-loaded ones are only hashed.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        block = handle.read(_HASH_BLOCK)
        if block.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        try:
            while block:
                decoder.decode(block)
                block = handle.read(_HASH_BLOCK)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


class _Lines:
    """Decoded text lines of a binary file, counting lines and noting a missing line end.

    Decoding line by line lets an undecodable byte be reported with its line number.
    ``\\n`` never occurs inside a multi-byte UTF-8 or GB18030 character, so splitting the
    bytes at line breaks first is safe.
    """

    def __init__(self, handle: BinaryIO, encoding: str) -> None:
        self.handle = handle
        self.encoding = encoding
        self.line = 0
        self.last_unterminated = False

    def __iter__(self) -> Iterator[str]:
        codec = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        for raw in self.handle:
            self.line += 1
            if self.line == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                text = raw.decode(codec)
            except (UnicodeDecodeError, LookupError) as exc:
                raise FileRejected(
                    f"line {self.line} has bytes that cannot be decoded as {self.encoding}"
                ) from exc
            self.last_unterminated = not text.endswith("\n")
            yield text


def _blank(cells: list[str] | tuple[Any, ...]) -> bool:
    """True when no cell holds anything but whitespace."""
    if not any(cells):
        return True
    return not "".join(c for c in cells if isinstance(c, str)).strip() and all(
        c is None or isinstance(c, str) for c in cells
    )


def _header_names(cells: list[Any]) -> list[str]:
    """Header text per position; blank headers get a positional name for ``_raw``."""
    names = []
    for i, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        names.append(text or f"column {i + 1}")
    return names


# --------------------------------------------------------------------------- CSV
def read_csv(
    path: Path, encoding: str, header_row: int = 1, chunk_rows: int = CHUNK_ROWS
) -> Iterator[Chunk]:
    """Stream a CSV file: header at record ``header_row``, data rows after it."""
    with open(path, "rb") as handle:
        lines = _Lines(handle, encoding)
        reader = csv.reader(lines, strict=True)
        record = 0
        headers: list[str] | None = None
        chunk: Chunk | None = None
        rows_read = 0
        try:
            for cells in reader:
                record += 1
                if headers is None:
                    if record < header_row or not cells or _blank(cells):
                        continue
                    headers = _header_names(cells)
                    chunk = Chunk(headers)
                    continue
                if not cells or (not cells[0].strip() and _blank(cells)):
                    continue
                if len(cells) != len(headers):
                    raise FileRejected(_width_reason(lines, len(cells), len(headers)), rows_read)
                assert chunk is not None
                chunk.rows.append(list(cells))
                chunk.row_numbers.append(record)
                rows_read += 1
                if len(chunk.rows) >= chunk_rows:
                    yield chunk
                    chunk = Chunk(headers)
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                reason = f"line {lines.line} is truncated (unterminated quoted field)"
            else:
                reason = f"line {lines.line} is not valid CSV ({exc})"
            raise FileRejected(reason, rows_read) from exc
        except FileRejected as exc:
            exc.rows_read = rows_read
            raise
        if headers is None:
            raise FileRejected("the file is empty (no header row)")
        assert chunk is not None
        yield chunk


def _width_reason(lines: _Lines, found: int, expected: int) -> str:
    if found < expected and lines.last_unterminated:
        return f"line {lines.line} is truncated ({found} of {expected} fields and no line end)"
    return f"line {lines.line} has {found} fields but the header has {expected}"


# --------------------------------------------------------------------------- xlsx
def cell_text(value: Any) -> str | None:
    """An Excel cell as text: ints without ``.0``, dates as ISO text, booleans as words."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        if value.microsecond:
            return value.isoformat(sep=" ")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def excel_serial_text(text: str | None) -> str | None:
    """An Excel date serial number (a date cell without date format) as ISO text.

    Only for date and timestamp columns of workbooks: 46112 -> ``2026-03-31 00:00:00``,
    46112.5 -> ``2026-03-31 12:00:00``. Serials 20000-80000 (1954-2119) are converted;
    other text passes unchanged.
    """
    if text is None or not _SERIAL.fullmatch(text):
        return text
    days = float(text)
    if not 20000 <= days <= 80000:
        return text
    moment = _EXCEL_EPOCH + dt.timedelta(days=days)
    moment = moment.replace(microsecond=0) + dt.timedelta(seconds=round(moment.microsecond / 1e6))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def read_xlsx(path: Path, folder: FolderConfig, chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """Stream the configured sheet (first by default) of a workbook, every cell as text.

    ``sheet`` is a sheet name or a 1-based position; ``header_row`` is the 1-based row
    holding the headers. Row numbers are the sheet's own.
    """
    import openpyxl  # imported here: only xlsx files need it

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure means the workbook is unreadable
        raise FileRejected("the file cannot be opened as an Excel workbook") from exc
    try:
        sheet = _pick_sheet(workbook, folder.sheet)
        rows = sheet.iter_rows(min_row=folder.header_row, values_only=True)
        yield from _xlsx_chunks(rows, folder.header_row, chunk_rows)
    finally:
        workbook.close()


def _pick_sheet(workbook: Any, sheet: str | int | None) -> Any:
    if sheet is None:
        return workbook.worksheets[0]
    if isinstance(sheet, int):
        if not 1 <= sheet <= len(workbook.worksheets):
            raise FileRejected(f"the workbook has no sheet number {sheet}")
        return workbook.worksheets[sheet - 1]
    if sheet not in workbook.sheetnames:
        raise FileRejected(f"the workbook has no sheet named {sheet!r}")
    return workbook[sheet]


def _xlsx_chunks(
    rows: Iterator[tuple[Any, ...]], header_row: int, chunk_rows: int
) -> Iterator[Chunk]:
    headers: list[str] | None = None
    chunk: Chunk | None = None
    rows_read = 0
    try:
        for offset, values in enumerate(rows):
            number = header_row + offset
            if headers is None:
                if offset > 0 or _blank(values):
                    break
                cells = list(values)
                while cells and (cells[-1] is None or str(cells[-1]).strip() == ""):
                    cells.pop()
                headers = _header_names(cells)
                chunk = Chunk(headers)
                continue
            texts = [cell_text(v) for v in values]
            if _blank(texts):
                continue
            width = len(headers)
            if any(t is not None and t.strip() for t in texts[width:]):
                raise FileRejected(f"row {number} has more fields than the header ({width})")
            texts = (texts + [None] * width)[:width]
            assert chunk is not None
            chunk.rows.append(texts)
            chunk.row_numbers.append(number)
            rows_read += 1
            if len(chunk.rows) >= chunk_rows:
                yield chunk
                chunk = Chunk(headers)
    except FileRejected as exc:
        exc.rows_read = rows_read
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet surfaces while iterating
        raise FileRejected("the workbook is damaged and cannot be read", rows_read) from exc
    if headers is None:
        raise FileRejected(f"the file is empty (no header in row {header_row})")
    assert chunk is not None
    yield chunk


# --------------------------------------------------------------------------- JSON Lines
def json_text(value: Any) -> str | None:
    """A JSON value as cell text (numbers as written, nested values as JSON)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return cell_text(value)
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def read_jsonl(path: Path, encoding: str, chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """Stream a JSON Lines file: one object per line; headers are the keys seen."""
    with open(path, "rb") as handle:
        lines = _Lines(handle, encoding)
        objects: list[dict[str, Any]] = []
        numbers: list[int] = []
        rows_read = 0
        try:
            for text in lines:
                if not text.strip():
                    continue
                objects.append(_json_object(text, lines))
                numbers.append(lines.line)
                rows_read += 1
                if len(objects) >= chunk_rows:
                    yield _json_chunk(objects, numbers)
                    objects, numbers = [], []
        except FileRejected as exc:
            exc.rows_read = rows_read
            raise
        if rows_read == 0:
            raise FileRejected("the file is empty (no JSON object)")
        if objects:
            yield _json_chunk(objects, numbers)


def _json_object(text: str, lines: _Lines) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        if lines.last_unterminated:
            raise FileRejected(f"line {lines.line} is truncated (incomplete JSON object)") from exc
        raise FileRejected(f"line {lines.line} is not valid JSON") from exc
    if not isinstance(value, dict):
        raise FileRejected(f"line {lines.line} is not a JSON object")
    return value


def _json_chunk(objects: list[dict[str, Any]], numbers: list[int]) -> Chunk:
    keys: dict[str, None] = {}
    for obj in objects:
        for key in obj:
            keys.setdefault(str(key), None)
    headers = list(keys)
    rows = [[json_text(obj.get(k)) for k in headers] for obj in objects]
    return Chunk(headers, rows, numbers)


# --------------------------------------------------------------------------- dispatch
def read_file(
    path: Path, encoding: str, folder: FolderConfig, chunk_rows: int = CHUNK_ROWS
) -> Iterator[Chunk]:
    """Chunks of any supported file, chosen by suffix."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path, encoding, folder.header_row, chunk_rows)
    if suffix == ".xlsx":
        return read_xlsx(path, folder, chunk_rows)
    if suffix == ".jsonl":
        return read_jsonl(path, encoding, chunk_rows)
    raise ValueError(f"unsupported file type {suffix!r}")
