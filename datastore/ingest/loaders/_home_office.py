"""Taser (CED) use in the Home Office's "Police use of force statistics": the Met's row.

The release's ODS data tables (what GOV.UK publishes each year)
    An OpenDocument spreadsheet of numbered tables, one a sheet.  The one read is titled
    "Use of CED by type and police force" (Table 13 in the release of 17 December 2020,
    "1 April 2017 to 31 March 2020"): found by that title in the first cells of a sheet,
    whatever the sheet is called or numbered.  Its header row must be exactly
    ``ODS_COLUMNS`` (spaces and case aside): a table whose columns differ is refused, naming
    the columns found and those expected, because the Home Office changing its layout is
    exactly when a reader guessing would put numbers under the wrong kind.  One row per
    financial year and force; each financial year's Metropolitan row is kept, its period
    from the year ("2019/20": April 2019 to March 2020).  Its counts must be whole, and add
    up: Total = the seven kinds + not stated, and the non-discharge and discharge subtotals.
    The publication date comes from the tables themselves ("Publication Date: 17 December
    2020" on the contents sheet, "Published: …" on the cover); tables that state none load
    with no date, and say so.  Read with python-calamine: on the real 500 KB file it takes
    0.04 s and 8 MB, where pandas' odfpy engine took 3.5-4.7 s and 280 MB for one sheet
    (it builds the whole document's XML tree).

The same tables cleaned to CSV (the bundled files of 2015 to early 2017)
    One row per force; two header variants (``Police Force/Region,Drawn,Aimed,...`` and
    ``Region,Police force,Total,...``).  The tables carry no dates, so the period comes from
    the file NAME ("april2017-march2018", "january-march2017", "january-december2016", a
    financial year "2019-20", or a bare year "2015" meaning the calendar year); a name with
    no period is an error.

Either way: area_type "force", one row per kind (``TASER_TYPES``), and a ``not_stated`` row
when the Met's "not stated" count is not zero (so a period's deployments add up to the
table's Total); ``subjects`` <NA> (the tables count uses, not people).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from typing import Any, Final

import numpy as np
import pandas as pd

from datastore.errors import LoadError
from datastore.ingest.loaders import _values as v
from datastore.ingest.loaders._source import CsvTable, Source
from datastore.ingest.loaders._taser import FORCE_NAME, frame_rows
from datastore.storage.kinds import TASER_NOT_STATED, TASER_TYPES

# Home Office table header -> deployment type.
HO_TYPES = {
    "drawn": "drawn",
    "aimed": "aimed",
    "red-dot": "red_dot",
    "arced": "arced",
    "fired": "fired",
    "drive stun": "drive_stun",
    "angled drive stun": "angled_drive_stun",
}
HO_NAME_COLUMNS = ("Police Force/Region", "Police force")
_MET = re.compile(r"metropolitan(?: police(?: service)?)?")

ODS_MIME: Final = b"application/vnd.oasis.opendocument.spreadsheet"
# The title of the table read, in a sheet's first cells.
ODS_TITLE: Final = re.compile(
    r"\buse of (?:ced|conducted energy devices?|tasers?)\b.*\bby type and (?:police )?force",
    re.IGNORECASE)
ODS_TITLE_TEXT: Final = "Use of CED by type and police force"
# Its header, as in the release of 17 December 2020 (spaces and case aside).
ODS_COLUMNS: Final = (
    "financial year", "region", "police force", "total", "total non-discharge", "drawn",
    "aimed", "red-dot", "arced", "total discharge", "drive stun", "fired", "angled drive stun",
    "ced not stated",
)
_COUNT_COLUMNS: Final = ODS_COLUMNS[3:]
_NON_DISCHARGE: Final = ("drawn", "aimed", "red-dot", "arced")
_DISCHARGE: Final = ("drive stun", "fired", "angled drive stun")
# The most an ODS may unpack to (the release of December 2020: 10 MB).
MAX_UNPACKED: Final = 256 << 20
# How far down a sheet its title, and the table's header, are looked for.
_TITLE_ROWS: Final = 3
_HEADER_ROWS: Final = 12
_PUBLISHED: Final = re.compile(
    r"\b(?:publication date|date of publication|published|release date)\s*:?\s*"
    r"(\d{1,2}\s+[A-Za-z]+\s+\d{4})", re.IGNORECASE)
_FINANCIAL_YEAR: Final = re.compile(r"\s*((?:19|20)\d\d)\s*[/-]\s*(\d\d(?:\d\d)?)\s*")


def is_ods(data: bytes) -> bool:
    """An OpenDocument spreadsheet: a zip whose first entry is its `mimetype` (ODF 1.2 §3.3)."""
    return data.startswith(b"PK\x03\x04") and data[30:38] == b"mimetype" and (
        data[38:38 + len(ODS_MIME)] == ODS_MIME)


def _cell_text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _column_name(value: Any) -> str:
    """A header cell as compared: spaces collapsed, lower case, a footnote mark dropped."""
    text = re.sub(r"\s*\[(?:note|x)[^\]]*\]\s*$", "", _cell_text(value), flags=re.IGNORECASE)
    return text.lower()


def _workbook(src: Source) -> Any:
    from python_calamine import CalamineError, CalamineWorkbook  # only for the ODS tables

    try:
        with zipfile.ZipFile(io.BytesIO(src.data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LoadError(src.label, f"not a readable OpenDocument spreadsheet: {exc}") from None
    if unpacked > MAX_UNPACKED:
        raise LoadError(src.label, f"the spreadsheet unpacks to {unpacked:,} bytes, far above "
                        f"any real use of force tables ({MAX_UNPACKED:,} at most): refused "
                        "unread")
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(src.data))
    except (CalamineError, ValueError, OSError) as exc:
        raise LoadError(src.label, f"not a readable OpenDocument spreadsheet: {exc}") from None


def _rows(src: Source, book: Any, sheet: str, nrows: int | None = None) -> list[list[Any]]:
    """A sheet's rows from its first (row 1 is index 0, empty rows kept)."""
    from python_calamine import CalamineError

    try:
        rows: list[list[Any]] = book.get_sheet_by_name(sheet).to_python(
            skip_empty_area=False, nrows=nrows)
    except (CalamineError, ValueError) as exc:
        raise LoadError(src.label, f"cannot read the sheet {sheet!r}: {exc}") from None
    return rows


def _title(rows: list[Any]) -> str:
    for row in rows[:_TITLE_ROWS]:
        for cell in row[:3]:
            if _cell_text(cell):
                return _cell_text(cell)
    return ""


def _titles(src: Source, book: Any) -> list[tuple[str, str]]:
    """Each sheet's name and title (its first words: "Table 13. Use of CED by …")."""
    return [(sheet, _title(_rows(src, book, sheet, _TITLE_ROWS))) for sheet in book.sheet_names]


def _table(titles: list[tuple[str, str]]) -> tuple[str, str] | None:
    return next(((sheet, title) for sheet, title in titles if ODS_TITLE.search(title)), None)


def find_table(src: Source) -> tuple[Any, tuple[str, str] | None]:
    """The workbook, and the sheet holding the CED-by-type-and-force table with its title (None
    if none does).  Pass the workbook on to `load_ods`: opening it parses all its XML."""
    book = _workbook(src)
    return book, _table(_titles(src, book))


def _published(src: Source, book: Any) -> str | None:
    """The tables' publication date as ISO text, from their cover or contents sheet."""
    for sheet in book.sheet_names[:3]:
        for row in _rows(src, book, sheet, 30):
            for cell in row[:4]:
                m = _PUBLISHED.search(_cell_text(cell))
                if m:
                    try:  # a calendar date, no time of day: no time zone to give
                        day = datetime.strptime(" ".join(m.group(1).split()), "%d %B %Y")  # noqa: DTZ007
                    except ValueError:
                        continue
                    return day.date().isoformat()
    return None


def _short(text: str, most: int = 70) -> str:
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


def _financial_year(text: str) -> tuple[int, int] | None:
    m = _FINANCIAL_YEAR.fullmatch(text)
    if m is None:
        return None
    first, second = int(m.group(1)), int(m.group(2))
    if second != (first + 1) % (100 if len(m.group(2)) == 2 else 10_000):
        return None
    return first * 100 + 4, (first + 1) * 100 + 3


def load_ods(src: Source, book: Any = None
             ) -> tuple[pd.DataFrame, tuple[int, ...], tuple[str, ...]]:
    """The Met's row of each financial year in the tables' CED-by-type-and-force table
    (`book`: the workbook `find_table` opened, if it did)."""
    book = book if book is not None else _workbook(src)
    titles = _titles(src, book)
    found_table = _table(titles)
    if found_table is None:
        shown = "; ".join(f"{sheet}: {_short(title) or '(no title)'}"
                          for sheet, title in titles[:25]) or "none"
        raise LoadError(
            src.label, f"no sheet holds the table of conducted energy device (taser) use by "
            f"type and police force (expected a sheet titled like {ODS_TITLE_TEXT!r}, Table 13 "
            f"in the release of December 2020); the sheets found are: {shown}")
    sheet, title = found_table
    rows = _rows(src, book, sheet)
    label = f"{src.label} [{sheet}]"
    found = next(((i, [_column_name(c) for c in row]) for i, row in
                  enumerate(rows[:_HEADER_ROWS]) if "police force" in
                  [_column_name(c) for c in row]), None)
    if found is None:
        raise LoadError(label, f"the table {title!r} has no header row with a 'Police force' "
                        f"column in its first {_HEADER_ROWS} rows")
    at, header = found
    while header and header[-1] == "":
        header.pop()
    if tuple(header) != ODS_COLUMNS:
        raise LoadError(
            label, f"the table {title!r} has the columns {', '.join(header)}; expected "
            f"{', '.join(ODS_COLUMNS)}: its layout changed, so it is not read",
            row=at + 1)
    index = {name: j for j, name in enumerate(header)}
    body = [(at + 2 + i, row) for i, row in enumerate(rows[at + 1:])]  # spreadsheet rows
    met = [(line, row) for line, row in body
           if len(row) > index["police force"]
           and _MET.fullmatch(_cell_text(row[index["police force"]]).lower())]
    if not met:
        raise LoadError(label, f"the table {title!r} has no Metropolitan row",
                        column="Police force")
    published = _published(src, book)
    frames: list[pd.DataFrame] = []
    months: set[int] = set()
    seen: dict[tuple[int, int], int] = {}
    for line, row in met:
        year = _cell_text(row[index["financial year"]])
        period = _financial_year(year)
        if period is None:
            raise LoadError(label, f"{year!r} is not a financial year like 2019/20", row=line,
                            column="Financial year")
        if period in seen:
            raise LoadError(label, f"there are several Metropolitan rows for {year}: rows "
                            f"{seen[period]} and {line}", row=line)
        seen[period] = line
        cells = CsvTable(label, list(ODS_COLUMNS), pd.DataFrame(
            {name: [_number_text(row[index[name]] if index[name] < len(row) else None)]
             for name in _COUNT_COLUMNS}), np.array([line], dtype=np.int64))
        values = dict(zip(_COUNT_COLUMNS, v.counts(cells, _COUNT_COLUMNS)[0].tolist(),
                          strict=True))
        _check_totals(label, line, year, values)
        by_type = {kind: values[name] for name, kind in HO_TYPES.items()}
        frames.append(met_frame(by_type, values["ced not stated"], period, published))
        months.update(v.month_range(*period))
    notes = () if published else (
        "the tables state no publication date: the figures are stored without one",)
    return pd.concat(frames, ignore_index=True), tuple(sorted(months)), notes


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _check_totals(label: str, line: int, year: str, values: dict[str, int]) -> None:
    """The Met row's totals must be the sums of its kinds: else a column was misread."""
    sums = (("total", (*_NON_DISCHARGE, *_DISCHARGE, "ced not stated")),
            ("total non-discharge", _NON_DISCHARGE), ("total discharge", _DISCHARGE))
    for total, parts in sums:
        added = sum(values[p] for p in parts)
        if values[total] != added:
            raise LoadError(label, f"the Metropolitan row for {year} does not add up: "
                            f"{total} is {values[total]:,} but {' + '.join(parts)} make "
                            f"{added:,}", row=line, column=total)


def met_frame(by_type: dict[str, int], not_stated: int, period: tuple[int, int],
              published: str | None) -> pd.DataFrame:
    """The Met's rows for one period: a row per kind, and one for "not stated" when any."""
    deployments = np.array([[by_type[t] for t in TASER_TYPES]], dtype=np.int64)
    start, end = period
    frame = frame_rows([("force", FORCE_NAME)], start, end, deployments, None, published)
    if not_stated:
        extra = frame.iloc[[0]].copy()
        extra["deployment_type"] = v.as_str([TASER_NOT_STATED])
        extra["deployments"] = np.array([not_stated], dtype=np.int64)
        frame = pd.concat([frame, extra], ignore_index=True)
    return frame


# --------------------------------------------------------------------------------------
# the CSV form

def ho_variant(header: list[str]) -> str | None:
    """The Met-row name column of a Home Office CED table header, or None."""
    lowered = {h.lower() for h in header}
    if "drawn" not in lowered or "fired" not in lowered:
        return None
    if "Police Force/Region" in header:
        return "Police Force/Region"
    if "Region" in header and "Police force" in header:
        return "Police force"
    return None


_MONTH_WORDS = {name.lower(): i + 1 for i, name in enumerate(v.MONTH_NAMES)}
_MONTH_WORDS.update({name[:3].lower(): i + 1 for i, name in enumerate(v.MONTH_NAMES)})
_MONTH_WORDS["sept"] = 9
_M = "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))
_Y = r"(?:19|20)\d\d"
_SEP = r"[-_ .]*"
_RANGE_TWO_YEARS = re.compile(
    rf"(?<![a-z])({_M}){_SEP}({_Y}){_SEP}(?:to{_SEP})?({_M}){_SEP}({_Y})(?!\d)"
)
_RANGE_ONE_YEAR = re.compile(rf"(?<![a-z])({_M}){_SEP}(?:to{_SEP})?({_M}){_SEP}({_Y})(?!\d)")
_FINANCIAL_YEAR_NAME = re.compile(rf"(?<!\d)({_Y})[-_/](\d\d)(?!\d)")
_YEAR = re.compile(rf"(?<!\d)({_Y})(?!\d)")


def period_from_name(name: str) -> tuple[int, int] | None:
    """(first YYYYMM, last YYYYMM) from a file name, or None when it names no period."""
    stem = name.lower()
    for suffix in (".gz", ".csv", ".xlsx"):
        stem = stem.removesuffix(suffix)
    m = _RANGE_TWO_YEARS.search(stem)
    if m:
        start = int(m.group(2)) * 100 + _MONTH_WORDS[m.group(1)]
        end = int(m.group(4)) * 100 + _MONTH_WORDS[m.group(3)]
        return (start, end) if start <= end else None
    m = _RANGE_ONE_YEAR.search(stem)
    if m:
        year = int(m.group(3))
        start, end = year * 100 + _MONTH_WORDS[m.group(1)], year * 100 + _MONTH_WORDS[m.group(2)]
        return (start, end) if start <= end else None
    m = _FINANCIAL_YEAR_NAME.search(stem)
    if m and int(m.group(2)) == (int(m.group(1)) + 1) % 100:
        year = int(m.group(1))
        return year * 100 + 4, (year + 1) * 100 + 3
    years = {int(y) for y in _YEAR.findall(stem)}
    if len(years) == 1:
        year = years.pop()
        return year * 100 + 1, year * 100 + 12
    return None


def load_ho(table: CsvTable, file_name: str) -> tuple[pd.DataFrame, tuple[int, ...]]:
    name_column = ho_variant(table.header)
    if name_column is None:
        raise LoadError(
            table.label,
            "not a taser file: expected a Home Office CED table ('Police Force/Region,Drawn,...'"
            " or 'Region,Police force,Total,...') or MPS Use of Force records (Borough, "
            "IncidentDate, CED Drawn ... CED Fired)",
            row=1,
        )
    by_lower = {h.lower(): h for h in table.header}
    columns: list[str] = []
    for header_name, kind in HO_TYPES.items():
        if header_name not in by_lower:
            raise LoadError(
                table.label, f"the header lacks the {kind} column", row=1, column=header_name
            )
        columns.append(by_lower[header_name])
    names = table.frame[name_column].str.strip().str.lower()
    met = np.flatnonzero(names.str.fullmatch(_MET.pattern))
    if met.size == 0:
        raise LoadError(
            table.label, "there is no Metropolitan row", row=None, column=name_column
        )
    if met.size > 1:
        rows = ", ".join(str(table.line(int(i))) for i in met)
        raise LoadError(table.label, f"there are several Metropolitan rows: {rows}", row=None)
    period = period_from_name(file_name)
    if period is None:
        raise LoadError(
            table.label,
            "the file name gives no period (e.g. 'april2019-march2020', 'january-march2017', "
            "'2019-20' or a year '2016'); Home Office CED tables carry no dates of their own",
        )
    i = int(met[0])
    met_row = CsvTable(
        label=table.label,
        header=table.header,
        frame=table.frame.iloc[[i]].reset_index(drop=True),
        lines=table.lines[[i]],
    )
    if "not stated" in by_lower:
        columns.append(by_lower["not stated"])
    values = v.counts(met_row, columns)[0].tolist()
    by_type = dict(zip(HO_TYPES.values(), values, strict=False))
    not_stated = values[len(HO_TYPES)] if len(values) > len(HO_TYPES) else 0
    return met_frame(by_type, not_stated, period, None), v.month_range(*period)
