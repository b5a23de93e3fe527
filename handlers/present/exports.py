"""Pure export renderers: a ward's figures in, CSV, JSON or XLSX bytes out.

Each opens cleanly in a spreadsheet: UTF-8 (the CSV with a byte-order mark, which Excel needs
to read UTF-8), one header row per table, counts and rates as numbers.  The CSV and the
workbook's "All figures" sheet are one long table — a row per figure — so every figure can be
filtered or pivoted; the workbook adds the crime as a month-by-type grid, and notes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

from datastore.query.figures import month_label, month_name
from datastore.query.models import WardFigures
from handlers.present import texts

if TYPE_CHECKING:  # openpyxl is imported by the XLSX renderer only: a bot that never
    # sends a workbook never loads it
    from openpyxl.worksheet.worksheet import Worksheet
from handlers.present.blocks import TASER_LABELS
from handlers.present.json_out import stop_search_json, taser_json
from handlers.present.words import esc

Format = Literal["csv", "json", "xlsx"]
FORMATS: Final[tuple[Format, ...]] = ("csv", "json", "xlsx")
MIME_TYPES: Final[dict[Format, str]] = {
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

HEADER: Final = ("section", "area_code", "area_name", "period", "category", "subcategory",
                 "value")
Row = tuple[str, str, str, str, str, str, int | float]

# The stop-and-search breakdowns, named as a spreadsheet column reads them.
STOP_SEARCH_GROUPS: Final = (
    ("by_type", "type"), ("by_object", "object of search"), ("by_outcome", "outcome"),
    ("by_age", "age range"), ("by_officer_ethnicity", "officer-defined ethnicity"),
    ("by_self_ethnicity", "self-defined ethnicity"), ("by_gender", "gender"),
    ("by_legislation", "legislation"),
)
MET_WIDE: Final = "Metropolitan Police (Met-wide)"
DECIMALS: Final = 3
# A cell starting with one of these is read as a formula by spreadsheets.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _r(value: float) -> float:
    return round(value, DECIMALS)


def twelve_month_period(f: WardFigures) -> str:
    rate = f.rate
    return "" if rate is None else (
        f"{month_label(rate.first_month)} to {month_label(rate.last_month)}")


def rows(f: WardFigures) -> list[Row]:
    """Every figure as one row of the long table (HEADER's columns)."""
    out: list[Row] = []
    for crime in f.crime:
        out += [("crime", f.ward_code, f.ward_name, month_label(m), crime.major, crime.minor, c)
                for m, c in zip(f.months, crime.counts, strict=True)]
    rate = f.rate
    if rate is not None:
        period = twelve_month_period(f)

        def rate_row(category: str, value: int | float, sub: str = "") -> Row:
            return ("rate_12_months", f.ward_code, f.ward_name, period, category, sub, value)

        out += [
            rate_row("crimes", rate.total),
            rate_row("residents", rate.population),
            rate_row("crimes per 1,000 residents", _r(rate.rate)),
            rate_row("London crimes per 1,000 residents", _r(rate.london_rate)),
            rate_row("times the London average", _r(rate.ratio), rate.band),
            rate_row("rank among Met wards (1 = highest rate)", rate.rank),
            rate_row("Met wards ranked", rate.of),
        ]
    ss = f.stop_search
    if ss is not None:
        period = month_label(ss.month)
        out.append(("stop_search", f.lad_code, ss.borough, period, "searches", "", ss.total))
        for attribute, category in STOP_SEARCH_GROUPS:
            counts: dict[str, int] = getattr(ss, attribute)
            out += [("stop_search", f.lad_code, ss.borough, period, category, k, v)
                    for k, v in counts.items()]
        out.append(("stop_search", "", MET_WIDE, period, "searches with no location", "",
                    ss.no_location))
    t = f.taser
    if t is not None:
        code = f.lad_code if t.area_type == "borough" else ""
        name = t.name if t.area_type == "borough" else MET_WIDE
        out += [("taser", code, name, t.period_label, "deployments by type",
                 TASER_LABELS.get(k, k), v) for k, v in t.by_type.items()]
        out.append(("taser", code, name, t.period_label, "deployments", "", t.deployments))
        if t.subjects is not None:
            out.append(("taser", code, name, t.period_label, "subjects", "", t.subjects))
    return out


def _safe_text(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, quoted so it stays text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(f: WardFigures) -> bytes:
    """The long table as CSV: UTF-8 with a byte-order mark, one header row."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows([_safe_text(v) for v in row] for row in rows(f))
    return buffer.getvalue().encode("utf-8-sig")


def as_json(f: WardFigures) -> dict[str, Any]:
    """The figures as one JSON-ready object (the key names of `wardwatch ask --json`)."""
    rate = f.rate
    months = [month_label(m) for m in f.months]
    totals = [sum(c.counts[i] for c in f.crime) for i in range(len(f.months))]
    return {
        "ward": {"code": f.ward_code, "name": f.ward_name},
        "borough": {"code": f.lad_code, "name": f.lad_name},
        "met_borough": f.met_borough,
        "months": months,
        "partial_months": [month_label(m) for m in f.partial_months],
        "crime": [{"major": c.major, "minor": c.minor,
                   "counts": dict(zip(months, c.counts, strict=True))} for c in f.crime],
        "monthly_totals": dict(zip(months, totals, strict=True)),
        "last_12_months": None if rate is None else {
            "from": month_label(rate.first_month), "to": month_label(rate.last_month),
            "total": rate.total, "population": rate.population,
            "rate_per_1000": _r(rate.rate), "london_rate_per_1000": _r(rate.london_rate),
            "ratio": _r(rate.ratio), "band": rate.band, "rank": rate.rank, "of": rate.of,
        },
        "stop_search": stop_search_json(f.stop_search),
        "taser": taser_json(f.taser),
        "notes": notes(f),
        "sources": list(f.sources),
    }


def to_json(f: WardFigures) -> bytes:
    return (json.dumps(as_json(f), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def notes(f: WardFigures) -> dict[str, str]:
    """What a reader of the download needs to know, by topic."""
    out = {
        "ward": f"{f.ward_name} ({f.ward_code})",
        "borough": f"{f.lad_name} ({f.lad_code})",
        "months": f"{month_name(f.months[0])} to {month_name(f.months[-1])}, as published",
    }
    if f.met_borough != f.lad_name:
        out["met_borough"] = f"The Met files this ward's crime under {f.met_borough}."
    if f.partial_months:
        stubs = ", ".join(month_name(m) for m in f.partial_months)
        out["partial_months"] = (f"{stubs}: a stub column in the Met's extract with almost no "
                                 "crime London-wide; kept as published, not a real fall.")
    out["rate"] = ("Crimes in the 12 months to the latest month ÷ the ward's residents × 1,000; "
                   "the London average is all Met wards' crimes ÷ their residents. "
                   + texts.WARD_RATE_NOTE)
    out["stop_search"] = texts.STOP_SEARCH_NOTE
    if f.taser is not None and f.taser.area_type == "force":
        out["taser"] = texts.TASER_FORCE_NOTE
    out["sources"] = texts.ATTRIBUTION
    return out


def _sheet(ws: Worksheet, header: Sequence[str], body: Iterable[Sequence[object]],
           widths: Sequence[int]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for values in body:
        ws.append(list(values))
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, never a formula
            elif isinstance(cell.value, float):
                cell.number_format = "0.000"
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"


def to_xlsx(f: WardFigures) -> bytes:
    """A workbook: crime as a type-by-month grid, every figure as a long table, and notes."""
    from openpyxl import Workbook

    book = Workbook()
    grid = book.active
    assert grid is not None
    grid.title = "Crime by month"
    months = [month_label(m) for m in f.months]
    _sheet(grid, ["major type", "minor type", *months],
           ([c.major, c.minor, *c.counts] for c in f.crime), [32, 40] + [9] * len(months))
    _sheet(book.create_sheet("All figures"), HEADER, rows(f), [15, 12, 30, 22, 40, 36, 12])
    _sheet(book.create_sheet("Notes"), ["topic", "note"], notes(f).items(), [16, 120])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


RENDERERS: Final = {"csv": to_csv, "json": to_json, "xlsx": to_xlsx}


def render(f: WardFigures, fmt: Format) -> bytes:
    """The ward's figures in one format."""
    return RENDERERS[fmt](f)


def slug(name: str) -> str:
    """'St James's' -> 'st-jamess': safe in any file system."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("'", "")).strip("-") or "ward"


def filename(f: WardFigures, fmt: Format) -> str:
    return f"wardwatch-{slug(f.ward_name)}-{f.ward_code}-{month_label(f.months[-1])}.{fmt}"


DESCRIPTIONS: Final[dict[Format, str]] = {
    "csv": "CSV, one figure per row",
    "json": "JSON",
    "xlsx": "Excel workbook: crime by month, all figures, notes",
}


def caption(f: WardFigures, fmt: Format) -> str:
    """A document's caption (Telegram HTML)."""
    return (f"<b>{esc(f.ward_name)}</b>, {esc(f.lad_name)}: every figure, "
            f"{month_name(f.months[0])} to {month_name(f.months[-1])} "
            f"({DESCRIPTIONS[fmt]}).")


def xlsx_file(f: WardFigures) -> tuple[bytes, str]:
    """The workbook and its caption (media_files.Render names it: openpyxl is imported
    where it is drawn)."""
    return to_xlsx(f), caption(f, "xlsx")
