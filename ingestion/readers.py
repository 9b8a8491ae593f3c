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
import itertools
import json
import re
import zipfile
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


# Encodings of the GB family: GB18030 decodes GBK and GB2312 alike (sources.md).
GB_FAMILY = frozenset({"gb18030", "gbk", "gb2312", "cp936", "hz"})
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _codec_name(encoding: str) -> str:
    """Python's canonical name of an encoding (``GBK`` -> ``gbk``); unknown names as given."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding.lower()


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def is_utf8_text(raw: bytes) -> bool:
    """True when a line is UTF-8 holding at least one character of three or more bytes (CJK).

    GBK bytes are rarely valid UTF-8 and almost never form such characters, so a line that
    passes in a GBK file was written as UTF-8.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(ord(c) >= 0x800 for c in text)


def detect_encoding(path: Path) -> str:
    """The text encoding of a landed file, from its bytes.

    A UTF-8 byte-order mark gives ``utf-8-sig``; a UTF-16 one ``utf-16`` (which the readers
    reject with a sentence). Otherwise every line holding non-ASCII bytes counts as UTF-8
    or not. No line that is not UTF-8, or more UTF-8 lines than others: ``utf-8`` (reading
    then rejects the file at its first line that is not UTF-8, naming it). Otherwise the
    file is in a legacy encoding, named from the lines that are not UTF-8: GB18030 (which
    reads GBK and GB2312, what Chinese Excel writes) whenever they decode as such, else
    charset-normalizer's best guess (a cp1252 export, say), else GB18030 and reading names
    the undecodable line. Only files about to be loaded are decoded; loaded ones are hashed.
    """
    with open(path, "rb") as handle:
        head = handle.read(4096)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith(_UTF16_BOMS):
            return "utf-16"
        if head.count(0) * 4 >= len(head) > 0:  # NUL-heavy: UTF-16/32 without a BOM?
            guess = _charset_normalizer_guess(head)
            if guess is not None and guess.startswith(("utf-16", "utf-32")):
                return guess
        handle.seek(0)
        if _all_utf8(handle):  # the common case, decided at codec speed
            return "utf-8"
        handle.seek(0)
        utf8_lines, other_lines, sample = 0, 0, bytearray()
        for raw in physical_lines(handle):
            if raw.isascii():
                continue
            if _decodes(raw, "utf-8"):
                utf8_lines += 1
            else:
                other_lines += 1
                if len(sample) < _HASH_BLOCK:
                    sample += raw
    if other_lines == 0 or utf8_lines > other_lines:
        return "utf-8"
    return _legacy_encoding(bytes(sample))


def _all_utf8(handle: BinaryIO) -> bool:
    """True when the whole file decodes as UTF-8.

    Then every line does (line breaks never occur inside a UTF-8 character), which is what
    the line-by-line count below would conclude, only without a Python loop per line.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while block := handle.read(_HASH_BLOCK):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# Legacy encodings charset-normalizer may name instead of GB18030: multi-byte ones whose
# bytes GB18030 cannot read. Its single-byte guesses (cp1252, latin-1, ...) on a few odd
# bytes are no evidence: such a file is read as GB18030 and the undecodable line named.
_MULTIBYTE = ("big5", "shift_jis", "euc_jp", "euc_kr", "cp932", "cp949", "cp950", "utf_16")


def _legacy_encoding(sample: bytes) -> str:
    """The encoding of bytes that are not UTF-8: GB18030 when they decode as such (the
    sources.md default), else a multi-byte encoding charset-normalizer finds, else GB18030."""
    if _decodes(sample, "gb18030"):
        return "gb18030"
    guess = _charset_normalizer_guess(sample)
    if guess is not None and guess.replace("-", "_").startswith(_MULTIBYTE):
        return guess
    return "gb18030"


def _charset_normalizer_guess(sample: bytes) -> str | None:
    """charset-normalizer's best encoding for the bytes (Python's codec name), if any."""
    from charset_normalizer import from_bytes  # imported here: only odd files need it

    best = from_bytes(sample).best()
    return None if best is None else _codec_name(best.encoding)


class _Lines:
    """Decoded text lines of a binary file, counting lines and noting a missing line end.

    Decoding line by line lets an undecodable byte be reported with its line number.
    ``\\n`` and ``\\r`` never occur inside a multi-byte UTF-8 or GB18030 character, so
    splitting the bytes at line breaks first is safe; a lone ``\\r`` (old Mac line ends)
    ends a line like ``\\n`` and ``\\r\\n`` do. NUL bytes are removed: they are never part of
    a value, and some exports pad cells with them. A file that mixes encodings is rejected
    at the line that differs: a UTF-8 line in a GB-family file, a line that is not UTF-8 in
    a UTF-8 file (either would otherwise load as mojibake or not at all).
    """

    def __init__(self, handle: BinaryIO, encoding: str) -> None:
        self.handle = handle
        self.encoding = encoding
        self.line = 0
        self.last_unterminated = False
        codec = _codec_name(encoding)
        if codec.startswith(("utf-16", "utf-32")):
            raise FileRejected(
                f"the file is {encoding.upper()} text; save it as CSV UTF-8 (or GBK) and land "
                "it again",
                _count_rows(handle, encoding),
            )
        self._codec = "utf-8" if codec == "utf-8-sig" else codec
        self._raw_lines = physical_lines(handle)

    def __iter__(self) -> Iterator[str]:
        for raw in self._raw_lines:
            self.line += 1
            if self.line == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            text = self._decode(raw)
            self.last_unterminated = not text.endswith(("\n", "\r"))
            yield text.replace("\x00", "") if "\x00" in text else text

    def _decode(self, raw: bytes) -> str:
        if self._codec in GB_FAMILY and not raw.isascii() and is_utf8_text(raw):
            raise FileRejected(
                f"line {self.line} is UTF-8 text while the rest of the file is "
                f"{self.encoding.upper()}: the file mixes two encodings; save it in one"
            )
        try:
            return raw.decode(self._codec)
        except (UnicodeDecodeError, LookupError) as exc:
            if self._codec == "utf-8" and _decodes(raw, "gb18030"):
                reason = (
                    f"line {self.line} is not UTF-8 like the rest of the file (it looks like "
                    "GBK): the file mixes two encodings; save it in one"
                )
            else:
                reason = f"line {self.line} has bytes that cannot be decoded as {self.encoding}"
            raise FileRejected(reason) from exc

    def remaining_rows(self) -> int:
        """Non-blank lines after the current one: the rest of a rejected file's rows."""
        return sum(1 for raw in self._raw_lines if raw.strip(b" \t\r\n,\x00"))


def _count_rows(handle: BinaryIO, encoding: str) -> int:
    """Data rows (non-blank lines after the first) of a file read whole in ``encoding``."""
    try:
        text = handle.read().decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return 0
    lines = [line for line in text.splitlines() if line.strip(" \t,\x00")]
    return max(len(lines) - 1, 0)


_LONE_CR = re.compile(rb"\r(?!\n)")


def physical_lines(handle: BinaryIO) -> Iterator[bytes]:
    """Lines of a binary file, each ending in ``\\n``, ``\\r\\n`` or a lone ``\\r``."""
    for raw in handle:
        if b"\r" not in raw[:-2]:
            yield raw
            continue
        start = 0
        for match in _LONE_CR.finditer(raw):
            yield raw[start : match.end()]
            start = match.end()
        if start < len(raw):
            yield raw[start:]


def is_blank(cells: list[str] | tuple[Any, ...]) -> bool:
    """True when no cell holds anything but whitespace."""
    if not any(cells):
        return True
    return not "".join(c for c in cells if isinstance(c, str)).strip() and all(
        c is None or isinstance(c, str) for c in cells
    )


def header_names(cells: list[Any]) -> list[str]:
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
                    if record < header_row or not cells or is_blank(cells):
                        continue
                    headers = header_names(cells)
                    chunk = Chunk(headers)
                    continue
                if not cells or (not cells[0].strip() and is_blank(cells)):
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
            rows = rows_read + (headers is not None) + lines.remaining_rows()
            raise FileRejected(reason, rows) from exc
        except FileRejected as exc:
            # rows_read counts every row of a rejected file: the failing one and the rest
            exc.rows_read = rows_read + (headers is not None) + lines.remaining_rows()
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
    if type(value) is str:  # most cells: checked first, it is none of the types below
        return clean_text(value)
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
    return clean_text(str(value))


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

    ``sheet`` is a sheet name or a 1-based position among the worksheets; ``header_row`` is
    the 1-based row holding the headers. Row numbers are the sheet's own.

    The sheet is read by calamine (Rust; about 7 times as fast as openpyxl, which parsed
    every cell in Python: docs/benchmarks.md);
    :func:`_openpyxl_value` turns its values into the ones openpyxl gives, so headers,
    :func:`cell_text`, rejections and counts are the reference reader's
    (:func:`read_xlsx_reference`, openpyxl). That reader still reads the workbooks calamine
    cannot read the same way: one calamine cannot open or parse (so a damaged workbook gets
    the same sentence and ``rows_read``, counting the rows before the damage) and one with an
    error cell (``#N/A``, which calamine reads as empty; openpyxl gives its text). Unlike
    openpyxl's streaming, calamine holds the whole sheet in memory while it is read: about
    1.4 MB per 1,000 rows of 24 text columns, 1.5 GB at Excel's limit of 1,048,576 rows.

    Deliberate differences from openpyxl, all in calamine's favour (docs/sources.md):
    ``_xHHHH_`` escapes in text are decoded (Excel stores a carriage return as ``_x000D_``);
    a cell holding empty text reads as empty; a whole number of more than 15 digits stored as
    a number is read as Excel holds it (a double), not as the digits a non-Excel writer put
    in the file; a sheet whose declared size is too small is read whole (openpyxl stopped at
    the declared last row); only worksheets count as sheets (a chart sheet is not one). A
    date-formatted number outside Excel's dates (below 0 or after 9999-12-31, which Excel
    shows as ``####``) reads as calamine gives it: a time of day, or the number (openpyxl:
    a date before 1900, or ``#VALUE!``); so does a time within half a millisecond of
    midnight (``00:00:00``; openpyxl: ``1900-01-01 00:00:00``).
    """
    rows = _calamine_rows(path, folder.sheet)
    if rows is None:
        yield from read_xlsx_reference(path, folder, chunk_rows)
        return
    rows = itertools.islice(rows, folder.header_row - 1, None)
    yield from _xlsx_chunks(rows, folder.header_row, chunk_rows)


def read_xlsx_reference(
    path: Path, folder: FolderConfig, chunk_rows: int = CHUNK_ROWS
) -> Iterator[Chunk]:
    """:func:`read_xlsx` with openpyxl (read-only, every cell in Python): the reference."""
    import openpyxl  # imported here: only this path needs it

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


def _calamine_rows(path: Path, sheet: str | int | None) -> Iterator[list[Any]] | None:
    """Every row of the chosen sheet from row 1 and column A, values as openpyxl gives
    them; None when the reference reader must read the file (see :func:`read_xlsx`)."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum  # only xlsx files need it

    try:
        workbook = CalamineWorkbook.from_path(path)
    except Exception:  # noqa: BLE001 - openpyxl decides, and words, what is wrong
        return None
    with workbook:
        names = [s.name for s in workbook.sheets_metadata if s.typ == SheetTypeEnum.WorkSheet]
        name = _sheet_name(names, sheet)
        try:
            if _has_error_cells(path):
                return None
            found = workbook.get_sheet_by_name(name)
        except Exception:  # noqa: BLE001 - a damaged sheet: openpyxl counts the rows before it
            return None
    return _openpyxl_rows(found)


def _sheet_name(names: list[str], sheet: str | int | None) -> str:
    """The worksheet ``sheet`` names (a name or 1-based position; first when None)."""
    if sheet is None:
        if not names:
            raise FileRejected("the workbook has no sheet number 1")
        return names[0]
    if isinstance(sheet, int):
        if not 1 <= sheet <= len(names):
            raise FileRejected(f"the workbook has no sheet number {sheet}")
        return names[sheet - 1]
    if sheet not in names:
        raise FileRejected(f"the workbook has no sheet named {sheet!r}")
    return sheet


_ERROR_CELL = (b' t="e"', b" t='e'")
_SCAN_BLOCK = 1 << 22


def _has_error_cells(path: Path) -> bool:
    """Whether an XML part of the workbook (but the shared strings) may hold an error
    cell, ``t="e"``: the chosen sheet or not, or that text inside an inline string. A false
    alarm only costs the slower reader; a missed error cell would read as empty."""
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if not member.endswith(".xml") or member.endswith("sharedStrings.xml"):
                continue
            with archive.open(member) as part:
                tail = b""
                while block := part.read(_SCAN_BLOCK):
                    window = tail + block
                    if any(marker in window for marker in _ERROR_CELL):
                        return True
                    tail = window[-8:]
    return False


def _openpyxl_rows(sheet: Any) -> Iterator[list[Any]]:
    """The sheet's rows from A1: calamine's ``iter_rows`` starts at row 1 but at the first
    used column, so the columns left of it are put back as empty cells."""
    if sheet.start is None:
        return  # no cell at all (calamine's iterator needs a first cell)
    lead = [None] * sheet.start[1]
    for values in sheet.iter_rows():
        yield lead + [_openpyxl_value(v) for v in values]


def _openpyxl_value(value: Any) -> Any:
    """A calamine cell value as openpyxl gives it, so :func:`cell_text` has one input.

    Empty cells are None (calamine: ``""``); whole numbers below 10^16 are int (openpyxl
    gives int when the stored text has no point or exponent, which is how Excel and openpyxl
    write them); a date-formatted whole day is a datetime at midnight (calamine: a date).
    Times, durations, other datetimes, floats, booleans and text are the same already.
    """
    kind = type(value)
    if kind is str:
        return value or None
    if kind is float:
        if value.is_integer() and -1e16 < value < 1e16:
            return int(value)
        return value
    if kind is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return value


def _xlsx_chunks(
    rows: Iterator[tuple[Any, ...] | list[Any]], header_row: int, chunk_rows: int
) -> Iterator[Chunk]:
    headers: list[str] | None = None
    chunk: Chunk | None = None
    rows_read = 0
    try:
        for offset, values in enumerate(rows):
            number = header_row + offset
            if headers is None:
                if offset > 0 or is_blank(values):
                    break
                cells = list(values)
                while cells and (cells[-1] is None or str(cells[-1]).strip() == ""):
                    cells.pop()
                headers = header_names(cells)
                chunk = Chunk(headers)
                continue
            texts = [cell_text(v) for v in values]
            if is_blank(texts):
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
        # rows_read counts every row of a rejected file: the failing one and the rest
        exc.rows_read = rows_read + 1 + _remaining_sheet_rows(rows)
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet surfaces while iterating
        raise FileRejected("the workbook is damaged and cannot be read", rows_read) from exc
    if headers is None:
        raise FileRejected(f"the file is empty (no header in row {header_row})")
    assert chunk is not None
    yield chunk


def _remaining_sheet_rows(rows: Iterator[tuple[Any, ...]]) -> int:
    """Rows with any content left in a sheet (a damaged rest counts as none)."""
    count = 0
    try:
        for values in rows:
            count += not is_blank([cell_text(v) for v in values])
    except Exception:  # noqa: BLE001 - the rows before the damage are what can be counted
        pass
    return count


# --------------------------------------------------------------------------- JSON Lines
def json_text(value: Any) -> str | None:
    """A JSON value as cell text (numbers as written, nested values as JSON)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return cell_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return clean_text(value)
    return clean_text(json.dumps(value, ensure_ascii=False))


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Text as the database can store it: NUL removed, a lone surrogate (``"\\ud800"`` in
    JSON) replaced by U+FFFD. Surrogate pairs written as two escapes are joined."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if _SURROGATE.search(text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


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
            # rows_read counts every row of a rejected file: the failing one and the rest
            exc.rows_read = rows_read + 1 + lines.remaining_rows()
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
    cleaned = [{clean_text(str(key)): value for key, value in obj.items()} for obj in objects]
    keys: dict[str, None] = {}
    for obj in cleaned:
        for key in obj:
            keys.setdefault(key, None)
    headers = list(keys)
    rows = [[json_text(obj.get(k)) for k in headers] for obj in cleaned]
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
