"""Vectorised checks on a CSV table's text columns; the first bad cell becomes a LoadError."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from datastore.errors import LoadError
from datastore.ingest.loaders._source import CsvTable

WARD_CODE = r"E05\d{6}"
# A local authority district: London borough E09, other English districts E06-E08, Wales W06.
LAD_CODE = r"(?:E0[6-9]|W06)\d{6}"
MONTH_HEADER = re.compile(r"\d{6}")
# The largest count one cell may hold.  No ward, borough or force records anywhere near a
# million crimes, searches or taser deployments in one month or category (the largest real
# cells are in the thousands), and every count must stay far inside the int32 the store keeps
# crime in: a bigger number is a broken or hostile file, refused where it is read.
MAX_COUNT = 1_000_000
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def as_str(values: npt.ArrayLike) -> pd.api.extensions.ExtensionArray:
    """A pandas ``str`` array from any sequence of Python strings."""
    return pd.array(np.asarray(values, dtype=object), dtype="str")


def first(mask: npt.NDArray[np.bool_] | pd.Series) -> int | None:
    """Index of the first True, or None."""
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(hits[0]) if hits.size else None


def _stripped(series: pd.Series) -> tuple[npt.NDArray[np.intp], pd.Series]:
    """(code per row, stripped distinct values): checks then run once per distinct value."""
    codes, uniques = pd.factorize(series.to_numpy(dtype=object))
    return codes, pd.Series(uniques, dtype="str").str.strip()


def _expand(codes: npt.NDArray[np.intp], uniques: pd.Series) -> pd.Series:
    return pd.Series(as_str(uniques.to_numpy(dtype=object)[codes]))


def _first_row(codes: npt.NDArray[np.intp], bad_uniques: pd.Series) -> int | None:
    bad = np.flatnonzero(np.asarray(bad_uniques, dtype=bool))
    if not bad.size:
        return None
    return first(np.isin(codes, bad))


def text(table: CsvTable, column: str, *, required: bool = True) -> pd.Series:
    """A column with surrounding whitespace removed; with ``required`` no value may be empty."""
    codes, uniques = _stripped(table.frame[column])
    if required:
        bad = _first_row(codes, uniques.eq(""))
        if bad is not None:
            raise LoadError(table.label, "the value is empty", row=table.line(bad), column=column)
    return _expand(codes, uniques)


def code(table: CsvTable, column: str, pattern: str, what: str) -> pd.Series:
    """A column of codes that must each match ``pattern`` in full."""
    codes, uniques = _stripped(table.frame[column])
    bad = _first_row(codes, ~uniques.str.fullmatch(pattern))
    if bad is not None:
        raise LoadError(
            table.label,
            f"{uniques.iat[codes[bad]]!r} is not a valid {what}",
            row=table.line(bad),
            column=column,
        )
    return _expand(codes, uniques)


def counts(
    table: CsvTable, columns: Sequence[str], *, positive: bool = False,
    most: int = MAX_COUNT,
) -> npt.NDArray[np.int64]:
    """Whole non-negative numbers (``positive``: > 0) up to ``most`` as an int64 block, one
    column per name.

    Integer-valued decimals such as ``"12.0"`` are accepted; anything else is reported at the
    first bad cell in file order (lowest row, then leftmost column).
    """
    raw = table.frame[list(columns)]
    num = np.empty(raw.shape, dtype=np.float64)
    for j, column in enumerate(columns):
        num[:, j] = pd.to_numeric(raw[column], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    finite = np.isfinite(num)
    with np.errstate(invalid="ignore"):
        whole = np.where(finite, num == np.floor(num), False)
        bad = ~finite | (num < 0) | ~whole | (num > most)
        if positive:
            bad |= num == 0
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        value = str(raw.iat[r, c])
        x = num[r, c]
        if value.strip() == "":
            reason = "the count is empty"
        elif not np.isfinite(x):
            reason = f"{value!r} is not a number"
        elif x < 0:
            reason = f"{value!r} is negative"
        elif x != np.floor(x):
            reason = f"{value!r} is not a whole number"
        elif positive and x == 0:
            reason = "the value must be greater than 0"
        else:
            reason = (f"{value!r} is too large: no real file has a count over {most:,} "
                      "in one cell")
        raise LoadError(table.label, reason, row=table.line(r), column=columns[c])
    return num.astype(np.int64)


def no_duplicates(table: CsvTable, keys: pd.DataFrame, what: str) -> None:
    """No two rows may share the same key; the error names both rows."""
    later = first(keys.duplicated(keep="first"))
    if later is None:
        return
    key = tuple(keys.iloc[later])
    earlier = first((keys == pd.Series(key, index=keys.columns)).all(axis=1))
    assert earlier is not None
    shown = ", ".join(str(k) for k in key)
    raise LoadError(
        table.label,
        f"duplicate {what} ({shown}): rows {table.line(earlier)} and {table.line(later)}",
        row=table.line(later),
    )


def known(
    table: CsvTable, values: pd.Series, column: str, allowed: set[str] | None, what: str
) -> None:
    """With a set of allowed values, every value must be in it."""
    if allowed is None:
        return
    bad = first(~values.isin(allowed))
    if bad is not None:
        raise LoadError(
            table.label,
            f"{values.iat[bad]!r} is not a known {what}",
            row=table.line(bad),
            column=column,
        )


def month_columns(table: CsvTable) -> list[tuple[str, int]]:
    """The header's YYYYMM columns (in file order) with their month as an int."""
    found: list[tuple[str, int]] = []
    for name in table.header:
        if MONTH_HEADER.fullmatch(name):
            year, month = int(name[:4]), int(name[4:])
            if not (1 <= month <= 12 and 1900 <= year <= 2200):
                raise LoadError(
                    table.label,
                    "the column looks like a month (YYYYMM) but is not a valid month",
                    row=1,
                    column=name,
                )
            found.append((name, year * 100 + month))
    if not found:
        raise LoadError(table.label, "the header has no month (YYYYMM) columns", row=1)
    return found


def month_label(yyyymm: int) -> str:
    """202404 -> "April 2024"."""
    return f"{MONTH_NAMES[yyyymm % 100 - 1]} {yyyymm // 100}"


def month_text(yyyymm: int) -> str:
    """202404 -> "2024-04"."""
    return f"{yyyymm // 100:04d}-{yyyymm % 100:02d}"


def month_range(start: int, end: int) -> tuple[int, ...]:
    """Every YYYYMM from start to end inclusive."""
    out: list[int] = []
    y, m = divmod(start, 100)
    while y * 100 + m <= end:
        out.append(y * 100 + m)
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return tuple(out)
