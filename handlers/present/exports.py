"""Pure export renderers: a ward's or a borough's figures in, CSV, JSON or XLSX bytes out.

Each opens cleanly in a spreadsheet: UTF-8 (the CSV with a byte-order mark, which Excel needs
to read UTF-8), one header row per table, counts and rates as numbers.  The CSV and the
workbook's "All figures" sheet are one long table — a row per figure, each with its age on
the day the file was made, its source and a note where one is needed (a sample is never
labelled a number of searches) — so every figure can be filtered or pivoted; the workbook adds
the crime as a month-by-type grid, and notes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

from datastore.query.figures import month_label, month_name
from datastore.query.freshness import Freshness
from datastore.query.models import AreaFigures, WardFigures
from handlers.present import age, texts

if TYPE_CHECKING:  # openpyxl is imported by the XLSX renderer only: a bot that never
    # sends a workbook never loads it
    from openpyxl.worksheet.worksheet import Worksheet
from handlers.present.blocks import STOP_SEARCH_SOURCES, TASER_LABELS
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
                 "value", "age_months", "as_of", "source", "note")
Row = tuple[str, str, str, str, str, str, int | float, int, str, str, str]

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


def twelve_month_period(f: AreaFigures) -> str:
    rate = f.rate
    return "" if rate is None else (
        f"{month_label(rate.first_month)} to {month_label(rate.last_month)}")


def _crime_source(f: AreaFigures) -> str:
    return ("the Met's ward-level extract (London Datastore)" if f.area == "ward"
            else "the Met's borough-level extract (London Datastore)")


STUB_NOTE: Final = ("a stub column in the Met's extract with almost no crime London-wide; "
                    "kept as published, not a real fall")


def rows(f: AreaFigures, fresh: Freshness) -> list[Row]:
    """Every figure as one row of the long table (HEADER's columns), each with its age in
    whole months on the day the file is made, its source and, where needed, a note."""
    out: list[Row] = []
    day = fresh.today.isoformat()
    code, name, source = f.area_code, f.area_name, _crime_source(f)
    stubs = set(f.partial_months)
    for crime in f.crime:
        out += [("crime", code, name, month_label(m), crime.major, crime.minor, c,
                 fresh.age(m), day, source, STUB_NOTE if m in stubs else "")
                for m, c in zip(f.months, crime.counts, strict=True)]
    rate = f.rate
    if rate is not None:
        period = twelve_month_period(f)
        areas = "Met wards" if f.area == "ward" else "boroughs"

        def rate_row(category: str, value: int | float, sub: str = "", *,
                     end: int = rate.last_month, note: str = "") -> Row:
            return ("rate_12_months", code, name, period, category, sub, value, fresh.age(end),
                    day, f"{source}; {texts.RESIDENTS_BASIS}", note)

        out += [
            rate_row("crimes", rate.total),
            rate_row("residents", rate.population, end=age.CENSUS_MONTH,
                     note=age.CENSUS_PERIOD),
            rate_row("crimes per 1,000 residents", _r(rate.rate)),
            rate_row("London crimes per 1,000 residents", _r(rate.london_rate),
                     note=texts.WARD_LONDON_BASIS if f.area == "ward"
                     else texts.BOROUGH_LONDON_BASIS),
            rate_row("times the London average", _r(rate.ratio), rate.band),
            rate_row(f"rank among {areas} (1 = highest rate)", rate.rank),
            rate_row(f"{areas} ranked", rate.of),
        ]
    ss = f.stop_search
    if ss is not None:
        period = month_label(ss.month)
        what, note = (("searches", "") if ss.complete
                      else (texts.SAMPLE_RECORDS, texts.STOP_SEARCH_PARTIAL))
        lad = f.lad_code

        def stop_row(where: str, name: str, category: str, sub: str, value: int) -> Row:
            return ("stop_search", where, name, period, category, sub, value,
                    fresh.age(ss.month), day, STOP_SEARCH_SOURCES[ss.source], note)

        out.append(stop_row(lad, ss.borough, what, "", ss.total))
        for attribute, category in STOP_SEARCH_GROUPS:
            counts: dict[str, int] = getattr(ss, attribute)
            out += [stop_row(lad, ss.borough, category, k, v) for k, v in counts.items()]
        out.append(stop_row("", MET_WIDE, f"{what.split(' (')[0]} with no location", "",
                            ss.no_location))
    t = f.taser
    if t is not None:
        where = f.lad_code if t.area_type == "borough" else ""
        taser_name = t.name if t.area_type == "borough" else MET_WIDE
        taser_source = (texts.TASER_FORCE_SOURCE if t.area_type == "force"
                        else texts.TASER_BOROUGH_SOURCE)
        end = age.end_month(t.period_end)

        def taser_row(category: str, sub: str, value: int) -> Row:
            return ("taser", where, taser_name, t.period_label, category, sub, value,
                    fresh.age(end), day, taser_source, "")

        out += [taser_row("deployments by type", TASER_LABELS.get(k, k), v)
                for k, v in t.by_type.items()]
        out.append(taser_row("deployments", "", t.deployments))
        if t.subjects is not None:
            out.append(taser_row("subjects", "", t.subjects))
    return out


def _safe_text(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, quoted so it stays text; a rate with
    its three decimal places (161.990, not 161.99), as the workbook shows it."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, float):
        return f"{value:.{DECIMALS}f}"
    return value


def to_csv(f: AreaFigures, fresh: Freshness) -> bytes:
    """The long table as CSV: UTF-8 with a byte-order mark, one header row."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows([_safe_text(v) for v in row] for row in rows(f, fresh))
    return buffer.getvalue().encode("utf-8-sig")


def as_json(f: AreaFigures, fresh: Freshness) -> dict[str, Any]:
    """The figures as one JSON-ready object (the key names of `wardwatch ask --json`): each
    section with its age in whole months on the day the file was made (`as_of`)."""
    rate = f.rate
    months = [month_label(m) for m in f.months]
    totals = [sum(c.counts[i] for c in f.crime) for i in range(len(f.months))]
    places: dict[str, Any] = {"area": f.area}
    if isinstance(f, WardFigures):
        places |= {"ward": {"code": f.ward_code, "name": f.ward_name},
                   "borough": {"code": f.lad_code, "name": f.lad_name},
                   "met_borough": f.met_borough}
    else:
        places["borough"] = {"code": f.lad_code, "name": f.lad_name}
    last = f.months[-1]
    return {
        **places,
        "as_of": fresh.today.isoformat(),
        "age": age.statement(fresh, last),
        "crime_age_months": fresh.age(last),
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
            **age.age_json(rate.last_month, fresh),
            "population_period": month_label(age.CENSUS_MONTH),
            "population_age_months": fresh.age(age.CENSUS_MONTH),
        },
        "stop_search": stop_search_json(f.stop_search, fresh),
        "taser": taser_json(f.taser, fresh),
        "notes": notes(f, fresh),
        "sources": list(f.sources),
    }


def to_json(f: AreaFigures, fresh: Freshness) -> bytes:
    return (json.dumps(as_json(f, fresh), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _ages(f: AreaFigures, fresh: Freshness) -> str:
    """Every figure's period and age on the day the file was made, in words."""
    parts = [age.statement(fresh, f.months[-1])]
    if f.stop_search is not None:
        parts.append(f"Stop and search: {age.month_aged(f.stop_search.month, fresh)}.")
    if f.taser is not None:
        t = f.taser
        parts.append(f"Taser: {age.taser_aged(t, fresh)}.")
    parts.append(f"Residents: {age.residents(fresh)}.")
    return f"As of {fresh.today.isoformat()}: " + " ".join(parts)


def notes(f: AreaFigures, fresh: Freshness) -> dict[str, str]:
    """What a reader of the download needs to know, by topic."""
    out: dict[str, str] = {}
    if isinstance(f, WardFigures):
        out["ward"] = f"{f.ward_name} ({f.ward_code})"
    out["borough"] = f"{f.lad_name} ({f.lad_code})"
    out["months"] = f"{month_name(f.months[0])} to {month_name(f.months[-1])}, as published"
    out["age"] = _ages(f, fresh)
    if isinstance(f, WardFigures) and f.met_borough != f.lad_name:
        out["met_borough"] = f"The Met files this ward's crime under {f.met_borough}."
    if f.partial_months:
        stubs = ", ".join(month_name(m) for m in f.partial_months)
        out["partial_months"] = f"{stubs}: {STUB_NOTE}."
    if f.area == "ward":
        out["rate"] = ("Crimes in the 12 months to the figures' final month ÷ the ward's "
                       "residents × 1,000; the London average is all Met wards' crimes ÷ their "
                       "residents. " + texts.WARD_RATE_NOTE)
    else:
        out["rate"] = ("Crimes in the 12 months to the figures' final month ÷ the borough's "
                       "residents × 1,000, from the Met's borough figures; the London average "
                       "is the 32 boroughs' crimes ÷ their residents. " + texts.BOROUGH_FILE_NOTE)
    ss = f.stop_search
    partial = f" {texts.STOP_SEARCH_PARTIAL}" if ss is not None and not ss.complete else ""
    out["stop_search"] = texts.STOP_SEARCH_NOTE + partial
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


def to_xlsx(f: AreaFigures, fresh: Freshness) -> bytes:
    """A workbook: crime as a type-by-month grid, every figure as a long table, and notes."""
    from openpyxl import Workbook

    book = Workbook()
    grid = book.active
    assert grid is not None
    grid.title = "Crime by month"
    months = [month_label(m) for m in f.months]
    _sheet(grid, ["major type", "minor type", *months],
           ([c.major, c.minor, *c.counts] for c in f.crime), [32, 40] + [9] * len(months))
    _sheet(book.create_sheet("All figures"), HEADER, rows(f, fresh),
           [15, 12, 30, 22, 40, 36, 12, 11, 11, 40, 60])
    _sheet(book.create_sheet("Notes"), ["topic", "note"], notes(f, fresh).items(), [16, 120])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


RENDERERS: Final = {"csv": to_csv, "json": to_json, "xlsx": to_xlsx}


def render(f: AreaFigures, fmt: Format, fresh: Freshness) -> bytes:
    """The ward's or borough's figures in one format, their ages stated on `fresh`'s day."""
    return RENDERERS[fmt](f, fresh)


def slug(name: str) -> str:
    """'St James's' -> 'st-jamess': safe in any file system."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("'", "")).strip("-") or "ward"


def filename(f: AreaFigures, fmt: Format) -> str:
    return f"wardwatch-{slug(f.area_name)}-{f.area_code}-{month_label(f.months[-1])}.{fmt}"


DESCRIPTIONS: Final[dict[Format, str]] = {
    "csv": "CSV, one figure per row",
    "json": "JSON",
    "xlsx": "Excel workbook: crime by month, all figures, notes",
}


def caption(f: AreaFigures, fmt: Format, fresh: Freshness) -> str:
    """A document's caption (Telegram HTML), with how old its figures are."""
    where = (f"<b>{esc(f.ward_name)}</b>, {esc(f.lad_name)}" if isinstance(f, WardFigures)
             else f"<b>{esc(f.lad_name)}</b>, the whole borough")
    return (f"{where}: every figure, {month_name(f.months[0])} to {month_name(f.months[-1])} "
            f"({DESCRIPTIONS[fmt]}). <i>{esc(age.statement(fresh, f.months[-1], short=True))}"
            "</i>")


def xlsx_file(f: AreaFigures, fresh: Freshness) -> tuple[bytes, str]:
    """The workbook and its caption (media_files.Render names it: openpyxl is imported
    where it is drawn)."""
    return to_xlsx(f, fresh), caption(f, "xlsx", fresh)
