"""MPS recorded crime, ward and borough level: the wide YYYYMM file made long.

The month columns are whatever YYYYMM headers the file has (including the near-empty stub
month some extracts publish), and the crime categories are taken as published: the Met
re-codes both between extracts.  Zero counts are kept as published, so every row of the file
yields one long row per month column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from datastore.ingest.loaders import _values as v
from datastore.ingest.loaders._source import CsvTable

WARD_TEXT = ("MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName")


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


def load_ward(
    table: CsvTable, known_wards: set[str] | None
) -> tuple[pd.DataFrame, tuple[int, ...]]:
    table.require(*WARD_TEXT)
    months = v.month_columns(table)
    major = v.text(table, "MajorText")
    minor = v.text(table, "MinorText")
    name = v.text(table, "WardName")
    code = v.code(table, "WardCode", v.WARD_CODE, "ward code (E05 and six digits)")
    borough = v.text(table, "LookUp_BoroughName")
    v.known(table, code, "WardCode", known_wards, "ward code")
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


def borough_column(header: list[str]) -> str:
    return "BoroughName" if "BoroughName" in header else "LookUp_BoroughName"


def load_borough(table: CsvTable) -> tuple[pd.DataFrame, tuple[int, ...]]:
    borough_col = borough_column(table.header)
    table.require("MajorText", "MinorText", borough_col)
    months = v.month_columns(table)
    major = v.text(table, "MajorText")
    minor = v.text(table, "MinorText")
    borough = v.text(table, borough_col)
    keys = pd.DataFrame({borough_col: borough, "MajorText": major, "MinorText": minor})
    v.no_duplicates(table, keys, "row for (borough, major, minor)")
    return _long(table, {"borough_name": borough, "major": major, "minor": minor}, months)
