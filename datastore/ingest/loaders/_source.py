"""Reading a data file's bytes: gzip by magic bytes, encodings, CSV records, JSON and xlsx.

Everything here reports problems as :class:`LoadError` naming the file as the caller gave it,
and, where one applies, the row (the 1-based line number in the decompressed file, the header
being row 1) and the column.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from datastore.errors import LoadError

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Source:
    """One file's content, decompressed, with a UTF-8 byte-order mark removed."""

    label: str  # the path as the caller gave it; names the file in every LoadError
    name: str  # the bare file name
    data: bytes
    gzipped: bool
    partial: bool = False  # only the file's first bytes (enough to recognise it)

    @property
    def is_zip(self) -> bool:
        return self.data.startswith(ZIP_MAGIC)


MIB: Final = 1 << 20
_CHUNK: Final = 1 << 20


def _too_large(label: str, max_bytes: int, what: str, gzipped: bool) -> LoadError:
    once = " once decompressed" if gzipped else ""
    return LoadError(
        label, f"the file is larger than {max_bytes // MIB} MB{once}, far above any real "
        f"{what or 'data'} file: refused unread")


def _gunzip(label: str, fh: BinaryIO, limit: int) -> bytes | None:
    """Decompress a gzip stream (several members allowed) up to `limit` bytes; None when it
    holds more (stopped at once: never more than the limit in memory)."""
    out = bytearray()
    z = zlib.decompressobj(wbits=31)
    try:
        while len(out) <= limit:
            chunk = z.unconsumed_tail or fh.read(_CHUNK)
            if not chunk:
                break
            out += z.decompress(chunk, limit + 1 - len(out))
            if z.eof:
                rest = z.unused_data + fh.read(_CHUNK) if z.unused_data else fh.read(_CHUNK)
                if not rest.strip(b"\x00"):
                    return bytes(out)
                if not rest.startswith(GZIP_MAGIC):
                    raise LoadError(label, "the gzip data is followed by bytes that are not gzip")
                z = zlib.decompressobj(wbits=31)
                out += z.decompress(rest, limit + 1 - len(out))
    except zlib.error as e:
        raise LoadError(label, f"the gzip data is corrupt: {e}") from None
    if len(out) > limit:
        return None
    if not z.eof:
        raise LoadError(label, "the gzip data ends early: the file is truncated (cut short)")
    return bytes(out)


def _gunzip_head(label: str, fh: BinaryIO, head: int) -> bytes:
    """The first `head` decompressed bytes of a gzip stream."""
    z = zlib.decompressobj(wbits=31)
    out = bytearray()
    try:
        while len(out) < head and (chunk := z.unconsumed_tail or fh.read(64 * 1024)):
            out += z.decompress(chunk, head - len(out))
    except zlib.error as e:
        raise LoadError(label, f"the gzip data is corrupt: {e}") from None
    return bytes(out)


def open_source(path: str | Path, *, max_bytes: int | None = None, head: int | None = None,
                what: str = "") -> Source:
    """Read a file; gunzip it when its first bytes are the gzip magic (whatever its name).

    `max_bytes`: a file larger than this (decompressed) is refused without being read whole
    (a gzip that expands to gigabytes stops at the limit).  `head`: read only the first
    `head` decompressed bytes (to recognise the file); the Source is then `partial`.
    """
    p = Path(path)
    label = str(path)
    try:
        with p.open("rb") as fh:
            magic = fh.read(2)
            fh.seek(0)
            gzipped = magic == GZIP_MAGIC
            if gzipped:
                if head is not None:
                    data = _gunzip_head(label, fh, head)
                else:
                    found = _gunzip(label, fh, max_bytes if max_bytes is not None else 1 << 62)
                    if found is None:
                        raise _too_large(label, max_bytes or 0, what, True)
                    data = found
            else:
                if head is None and max_bytes is not None and p.stat().st_size > max_bytes:
                    raise _too_large(label, max_bytes, what, False)
                data = fh.read() if head is None else fh.read(head)
    except FileNotFoundError:
        raise LoadError(label, "no such file") from None
    except IsADirectoryError:
        raise LoadError(label, "is a folder, not a file") from None
    except OSError as e:
        raise LoadError(label, f"cannot read the file: {e.strerror or e}") from None
    if not data and not gzipped:
        raise LoadError(label, "the file is empty")
    if not gzipped and p.name.lower().endswith(".gz"):
        raise LoadError(
            label, "the name ends in .gz but the content is not gzip data (no gzip magic bytes)"
        )
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    if not data or data.isspace():
        raise LoadError(label, "the file is empty" + (" once decompressed" if gzipped else ""))
    return Source(label=label, name=p.name, data=data, gzipped=gzipped,
                  partial=head is not None)


def check_not_utf16(src: Source) -> None:
    """Reject UTF-16/32 and binary content before any text decoding is attempted."""
    if src.data.startswith(UTF16_BOMS):
        raise LoadError(src.label, "the file is UTF-16 encoded; expected UTF-8")
    if b"\x00" in src.data[:4096]:
        raise LoadError(
            src.label,
            "the file contains NUL bytes: it is UTF-16 (without a byte-order mark) or binary; "
            "expected UTF-8 text",
        )


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line number of a byte offset."""
    return data.count(b"\n", 0, offset) + 1


def _field_index_at(data: bytes, offset: int, delimiter: str) -> int:
    """Which field (0-based) of its line a byte offset falls in, honouring double quotes."""
    start = data.rfind(b"\n", 0, offset) + 1
    prefix = data[start:offset]
    delim = delimiter.encode("ascii")[0]
    quoted = False
    index = 0
    for byte in prefix:
        if byte == 0x22:
            quoted = not quoted
        elif byte == delim and not quoted:
            index += 1
    return index


def decode_text(
    src: Source,
    *,
    header: Sequence[str] | None = None,
    delimiter: str = ",",
    fallback: str | None = None,
) -> tuple[str, str]:
    """Decode strictly as UTF-8 (or ``fallback``, when given, if UTF-8 fails).

    Returns (text, encoding used).  A decoding error names the line and, for CSV, the column.
    """
    data = src.data
    if data.isascii():
        return data.decode("ascii"), "utf-8"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        if fallback is not None:
            try:
                return data.decode(fallback), fallback
            except UnicodeDecodeError:
                pass
        column: str | None = None
        if header is not None:
            idx = _field_index_at(data, e.start, delimiter)
            if idx < len(header):
                column = header[idx]
        raise LoadError(
            src.label,
            f"not valid UTF-8: byte 0x{data[e.start]:02x} cannot be decoded "
            "(the file may be Windows-1252 or Latin-1); save it as UTF-8",
            row=line_of(data, e.start),
            column=column,
        ) from None


def header_line(src: Source) -> bytes:
    """The raw first line (without its line ending)."""
    end = src.data.find(b"\n")
    line = src.data if end < 0 else src.data[:end]
    return line.rstrip(b"\r")


def split_header(line: str, delimiter: str) -> list[str]:
    """Split one header line into stripped column names (double quotes honoured)."""
    fields = next(csv.reader([line], delimiter=delimiter), [])
    return [f.strip() for f in fields]


# --------------------------------------------------------------------------------------
# CSV


@dataclass(frozen=True)
class CsvTable:
    """A CSV file read as text (values unstripped ``str``), one frame row per data record."""

    label: str
    header: list[str]
    frame: pd.DataFrame  # columns named by the stripped header names; RangeIndex
    lines: IntArray  # the line number in the file of each frame row

    def line(self, index: int) -> int:
        return int(self.lines[index])

    def require(self, *columns: str) -> None:
        """Every named column must be in the header (row 1)."""
        for column in columns:
            if column not in self.header:
                raise LoadError(
                    self.label, "the header lacks a required column", row=1, column=column
                )


@dataclass(frozen=True)
class _Records:
    lines: IntArray  # line number of each record's first line
    fields: IntArray  # number of fields
    blank: BoolArray  # an empty line (or a bare "\r")


def _scan_records(src: Source, delimiter: str) -> _Records:
    """Split the bytes into CSV records without a Python loop.

    A delimiter or newline is inside a quoted field when an odd number of double quotes
    precede it (RFC 4180: an escaped quote is two quotes, which keeps the parity).
    """
    data = src.data
    buf = np.frombuffer(data, dtype=np.uint8)
    all_newlines = np.flatnonzero(buf == 0x0A)
    delims = np.flatnonzero(buf == ord(delimiter))
    quotes = np.flatnonzero(buf == 0x22)
    newlines = all_newlines
    if quotes.size:
        if quotes.size % 2:
            raise LoadError(
                src.label,
                "a quoted field is never closed (the file may be truncated)",
                row=line_of(data, int(quotes[-1])),
            )
        newlines = all_newlines[np.searchsorted(quotes, all_newlines) % 2 == 0]
        delims = delims[np.searchsorted(quotes, delims) % 2 == 0]
    size = len(data)
    starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
    ends = np.concatenate((newlines, [size])).astype(np.int64)
    if starts[-1] >= size:  # nothing after the final line ending
        starts, ends = starts[:-1], ends[:-1]
    fields = (np.searchsorted(delims, ends) - np.searchsorted(delims, starts) + 1).astype(
        np.int64
    )
    lines = (np.searchsorted(all_newlines, starts) + 1).astype(np.int64)
    length = ends - starts
    first = buf[np.minimum(starts, size - 1)]
    blank = (length == 0) | ((length == 1) & (first == 0x0D))
    return _Records(lines=lines, fields=fields, blank=blank)


def read_csv_table(
    src: Source,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    usecols: Sequence[str] | None = None,
    max_rows: int | None = None,
    why: str = "",
) -> CsvTable:
    """Read a CSV with every column as text, checking that every row has the header's width.

    The caller must already have validated the encoding (see :func:`decode_text`).  Blank lines
    are skipped; a row with fewer or more fields than the header is an error (a row cut short
    at the end of the file is reported as truncation).
    """
    records = _scan_records(src, delimiter)
    if max_rows is not None and len(records.lines) - 1 > max_rows:
        raise LoadError(src.label, f"the file has {len(records.lines) - 1:,} rows, more than "
                        f"the {max_rows:,} any real file of its kind could hold{why}: "
                        "refused")
    if records.blank[0]:
        raise LoadError(src.label, "the first line is blank: the header is missing", row=1)
    header_text = header_line(src).decode(encoding)
    header = split_header(header_text, delimiter)
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise LoadError(src.label, "the column appears twice in the header", row=1, column=name)
        seen.add(name)
    width = len(header)
    data_fields = records.fields[1:]
    data_blank = records.blank[1:]
    data_lines = records.lines[1:]
    wrong = np.flatnonzero((data_fields != width) & ~data_blank)
    if wrong.size:
        i = int(wrong[0])
        got = int(data_fields[i])
        last = i == len(data_fields) - 1
        hint = ""
        if last and got < width:
            hint = " (the last row is cut short: the file looks truncated)"
        raise LoadError(
            src.label,
            f"the row has {got} field{'s' if got != 1 else ''} but the header has {width}{hint}",
            row=int(data_lines[i]),
        )
    raw_names = next(csv.reader([header_text], delimiter=delimiter), [])
    by_name = dict(zip(header, raw_names, strict=True))
    wanted = list(usecols) if usecols is not None else list(header)
    missing = [c for c in wanted if c not in by_name]
    if missing:
        raise LoadError(src.label, "the header lacks a required column", row=1, column=missing[0])
    try:
        frame = pd.read_csv(
            io.BytesIO(src.data),
            sep=delimiter,
            header=0,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            index_col=False,
            encoding=encoding,
            usecols=[by_name[c] for c in wanted],
            engine="c",
        )
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise LoadError(src.label, f"the CSV cannot be parsed: {e}") from None
    if len(frame) != len(data_fields):
        raise LoadError(
            src.label,
            "the rows cannot be split consistently (a stray double quote inside a field?)",
        )
    frame = frame.rename(columns={by_name[c]: c for c in wanted})[wanted]
    keep = ~data_blank
    if not keep.all():
        frame = frame.loc[keep]
        data_lines = data_lines[keep]
    frame = frame.reset_index(drop=True)
    return CsvTable(label=src.label, header=header, frame=frame, lines=data_lines.copy())


# --------------------------------------------------------------------------------------
# JSON


def parse_json(src: Source, text: str) -> Any:
    """Parse JSON text; a syntax error names its line (row) and the column in the message."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        stripped = text.rstrip()
        cut = e.pos >= len(stripped) or not stripped.endswith(("]", "}"))
        truncated = " (the file looks truncated)" if cut else ""
        raise LoadError(
            src.label,
            f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}{truncated}",
            row=e.lineno,
        ) from None
    except RecursionError:
        raise LoadError(src.label, "invalid JSON: nested too deeply") from None


# --------------------------------------------------------------------------------------
# xlsx


@dataclass(frozen=True)
class Sheet:
    """The first rows of a workbook sheet: its header and (when read) its data rows."""

    name: str
    header: list[str]
    rows: list[tuple[Any, ...]]


def read_xlsx(src: Source, prefer_sheet: str, *, header_only: bool) -> Sheet:
    """Read one sheet of an .xlsx workbook (``prefer_sheet`` if present, else the first)."""
    import openpyxl  # only needed for the rare xlsx input

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # openpyxl's "no default style"
            book = openpyxl.load_workbook(io.BytesIO(src.data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for a bad archive
        raise LoadError(src.label, f"not a readable .xlsx workbook: {e}") from None
    try:
        name = prefer_sheet if prefer_sheet in book.sheetnames else book.sheetnames[0]
        sheet = book[name]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        if first is None:
            raise LoadError(src.label, f"the sheet {name!r} is empty")
        header = ["" if v is None else str(v).strip() for v in first]
        body = [] if header_only else list(rows)
    finally:
        book.close()
    return Sheet(name=name, header=header, rows=body)
