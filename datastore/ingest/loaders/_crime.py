"""MPS recorded crime, ward and borough level: the wide YYYYMM file made long.

Two header formats are read, because the Met changed the borough extract in mid-2026 and the
ward extract is expected to follow:

* until mid-2026: ``MajorText,MinorText,WardName,WardCode,LookUp_BoroughName,<YYYYMM>…`` (ward)
  and ``MajorText,MinorText,BoroughName,<YYYYMM>…`` (borough; older copies name the borough
  column ``LookUp_BoroughName``);
* from mid-2026: ``Group,SubGroup,…,BOCU,<YYYYMM>…``: the same columns renamed (``BOCU`` holds
  the borough, or ``Unknown``), the airport rows gone.

The month columns must be consecutive months in order, oldest first, as the Met publishes
them (a gap or a column out of order would show one month's figures as another's); the stub
month some extracts carry (a near-empty first column) is kept as published.  The crime
categories are taken as published: the Met re-codes them between extracts.  Zero counts are
kept, so every row of the file yields one long row per month column.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from datastore.errors import LoadError
from datastore.ingest.loaders import _values as v
from datastore.ingest.loaders._source import CsvTable

# Each field's column name in each format, the first the old format's.
MAJOR: Final = ("MajorText", "Group")
MINOR: Final = ("MinorText", "SubGroup")
BOROUGH: Final = ("BoroughName", "LookUp_BoroughName", "BOCU")
WARD_NAME: Final = ("WardName",)
WARD_CODE: Final = ("WardCode",)
WARD_FIELDS: Final = (MAJOR, MINOR, WARD_NAME, WARD_CODE, BOROUGH)
BOROUGH_FIELDS: Final = (MAJOR, MINOR, BOROUGH)
# The columns each format must have, in order: the old one's, and the mid-2026 one's.
LAYOUTS: Final = {
    "ward_crime": (("MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName"),
                   ("Group", "SubGroup", "WardName", "WardCode", "BOCU")),
    "borough_crime": (("MajorText", "MinorText", "BoroughName"), ("Group", "SubGroup", "BOCU")),
}
EXPECTED: Final = {
    "ward_crime": ("MajorText,MinorText,WardName,WardCode,LookUp_BoroughName,YYYYMM… or "
                   "Group,SubGroup,WardName,WardCode,BOCU,YYYYMM…"),
    "borough_crime": ("MajorText,MinorText,BoroughName (or LookUp_BoroughName),YYYYMM… or "
                      "Group,SubGroup,BOCU,YYYYMM…"),
}


def column(header: Sequence[str], names: Sequence[str]) -> str | None:
    """The header's column for a field (one of its names), if any."""
    return next((n for n in names if n in header), None)


def has_fields(header: Sequence[str], fields: Sequence[Sequence[str]]) -> bool:
    return all(column(header, names) is not None for names in fields)


def looks_like_crime(header: Sequence[str]) -> bool:
    """Month (YYYYMM) columns: an MPS crime extract, recognised or not."""
    return sum(1 for h in header if v.MONTH_HEADER.fullmatch(h)) >= 2


def unrecognised(label: str, header: Sequence[str]) -> LoadError:
    """The error for a crime extract in neither known format: what was found, what expected."""
    text = [h for h in header if not v.MONTH_HEADER.fullmatch(h)]
    return LoadError(
        label,
        "a crime extract in an unknown format: its columns are "
        f"{','.join(text)} and month columns; expected ward crime "
        f"({EXPECTED['ward_crime']}) or borough crime ({EXPECTED['borough_crime']})",
        row=1,
    )


def _months(table: CsvTable) -> list[tuple[str, int]]:
    """The month columns, which must be consecutive months, oldest first."""
    months = v.month_columns(table)
    for (before_name, before), (name, month) in itertools.pairwise(months):
        if month <= before:
            raise LoadError(
                table.label,
                f"the month columns are out of order: {name} comes after {before_name} "
                "(the Met publishes them oldest first)", row=1, column=name)
    for (before_name, before), (name, month) in itertools.pairwise(months):
        expected = before + 1 if before % 100 < 12 else (before // 100 + 1) * 100 + 1
        if month != expected:
            raise LoadError(
                table.label,
                f"a month is missing: {name} follows {before_name} ({expected} expected); "
                "the Met's extracts are consecutive months", row=1, column=name)
    return months


def _long(
    table: CsvTable, text: dict[str, pd.Series], months: list[tuple[str, int]]
) -> tuple[pd.DataFrame, tuple[int, ...]]:
    block = v.counts(table, [name for name, _ in months])
    n, k = block.shape
    month_values = np.array([m for _, m in months], dtype=np.int64)
    data: dict[str, object] = {
        out: v.as_str(np.repeat(col.to_numpy(dtype=object), k)) for out, col in text.items()
    }
    data["month"] = np.tile(month_values, n)
    data["count"] = block.reshape(-1)
    frame = pd.DataFrame(data)
    return frame, tuple(sorted(int(m) for m in month_values))


def columns(label: str, header: Sequence[str], kind: str) -> list[str]:
    """The header's column for each field of a crime kind; a missing one is named as the
    header's format (old, or mid-2026 if it has Group or SubGroup) calls it."""
    fields = WARD_FIELDS if kind == "ward_crime" else BOROUGH_FIELDS
    found = [column(header, names) for names in fields]
    new = column(header, ("Group", "SubGroup")) is not None
    layout = LAYOUTS[kind][1 if new else 0]
    for name, expected in zip(found, layout, strict=True):
        if name is None:
            raise LoadError(
                label,
                f"the header lacks a required column (expected {EXPECTED[kind]})",
                row=1, column=expected)
    return [c for c in found if c is not None]


def load_ward(
    table: CsvTable, known_wards: set[str] | None
) -> tuple[pd.DataFrame, tuple[int, ...]]:
    major_col, minor_col, name_col, code_col, borough_col = columns(
        table.label, table.header, "ward_crime")
    months = _months(table)
    major = v.text(table, major_col)
    minor = v.text(table, minor_col)
    name = v.text(table, name_col)
    code = v.code(table, code_col, v.WARD_CODE, "ward code (E05 and six digits)")
    borough = v.text(table, borough_col)
    v.known(table, code, code_col, known_wards, "ward code")
    keys = pd.DataFrame({"WardCode": code, "MajorText": major, "MinorText": minor})
    v.no_duplicates(table, keys, "row for (ward, major, minor)")
    return _long(
        table,
        {
            "ward_code": code,
            "ward_name": name,
            "borough_name": borough,
            "major": major,
            "minor": minor,
        },
        months,
    )


def load_borough(table: CsvTable) -> tuple[pd.DataFrame, tuple[int, ...]]:
    major_col, minor_col, borough_col = columns(table.label, table.header, "borough_crime")
    months = _months(table)
    major = v.text(table, major_col)
    minor = v.text(table, minor_col)
    borough = v.text(table, borough_col)
    keys = pd.DataFrame({"borough": borough, "MajorText": major, "MinorText": minor})
    v.no_duplicates(table, keys, "row for (borough, major, minor)")
    return _long(table, {"borough_name": borough, "major": major, "minor": minor}, months)
