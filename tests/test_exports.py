"""Downloads: each format re-read as a spreadsheet or a program would read it, and its figures
compared with the raw files."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import openpyxl
import pytest

from datastore.query.view import DataView
from handlers.present import exports, texts
from tests import raw
from tests.clocks import STALE, at

POSTCODE = "N1 9AA"  # Caledonian, Islington


def _ward() -> str:
    return str(raw.postcode_row(POSTCODE)["Admin_ward_code"])


def _label(column: str) -> str:
    return f"{column[:4]}-{column[4:]}"


def _expected_crime(ward: str) -> dict[tuple[str, str, str], int]:
    """(major, minor, 'YYYY-MM') -> count, for every published row and month."""
    return {(major, minor, _label(m)): count
            for (major, minor), months in raw.ward_crime_rows(ward).items()
            for m, count in months.items()}


def _stop_search(borough: str) -> list[dict[str, object]]:
    files = raw.stop_search_by_month()
    return [r for r in files[max(files)] if r["borough"] == borough]


def test_csv_reads_back_as_the_published_figures(view: DataView) -> None:
    ward = _ward()
    data = exports.to_csv(view.ward_figures(ward), at(STALE))
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with the mark Excel looks for
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    header, *body = list(reader)
    assert tuple(header) == exports.HEADER
    assert all(len(row) == len(header) for row in body)
    assert not any(row == list(exports.HEADER) for row in body)  # one header row only
    by_section: dict[str, list[list[str]]] = {}
    for row in body:
        by_section.setdefault(row[0], []).append(row)

    crime = {(r[4], r[5], r[3]): int(r[6]) for r in by_section["crime"]}
    assert len(crime) == len(by_section["crime"])
    assert crime == _expected_crime(ward)
    assert {r[2] for r in by_section["crime"]} == {"Caledonian"}

    rate = {r[4]: float(r[6]) for r in by_section["rate_12_months"]}
    pop = int(raw.ward_residents()[ward])
    assert rate["crimes"] == raw.ward_12m(ward) and rate["residents"] == pop
    assert rate["crimes per 1,000 residents"] == pytest.approx(raw.ward_rates()[ward], abs=1e-3)
    assert rate["London crimes per 1,000 residents"] == pytest.approx(raw.london_rate(),
                                                                      abs=1e-3)
    assert rate["rank among Met wards (1 = highest rate)"] == int(
        (raw.ward_rates() > raw.ward_rates()[ward]).sum()) + 1

    here = _stop_search("Islington")
    stops = {(r[4], r[5]): int(r[6]) for r in by_section["stop_search"]}
    # police.uk's API is a sample: its count is never labelled a number of searches, and
    # every row says so.
    assert stops[(texts.SAMPLE_RECORDS, "")] == len(here)
    assert not any(r[4] == "searches" for r in by_section["stop_search"])
    assert all(r[10].startswith("police.uk's open API holds only part") and
               r[9].startswith("police.uk open API (partial") for r in by_section["stop_search"])
    assert stops[("type", "Person search")] == sum(1 for r in here
                                                   if r["type"] == "Person search")
    taser = {(r[4], r[5]): int(r[6]) for r in by_section["taser"]}
    expected = raw.met_taser_latest()
    assert taser[("deployments", "")] == sum(expected.values())
    assert taser[("deployments by type", "red dot")] == expected["red_dot"]


def test_json_reads_back_as_the_published_figures(view: DataView) -> None:
    ward = _ward()
    data = json.loads(exports.to_json(view.ward_figures(ward), at(STALE)).decode("utf-8"))
    assert data["ward"] == {"code": ward, "name": "Caledonian"}
    assert data["borough"]["name"] == "Islington"
    assert data["months"] == [_label(m) for m in raw.month_columns()]
    assert data["partial_months"] == [_label(m) for m in raw.month_columns()
                                      if m not in raw.full_months()]
    got = {(c["major"], c["minor"], month): n
           for c in data["crime"] for month, n in c["counts"].items()}
    assert got == _expected_crime(ward)
    assert data["monthly_totals"] == {_label(m): raw.ward_month_total(ward, m)
                                      for m in raw.month_columns()}
    last = data["last_12_months"]
    assert last["total"] == raw.ward_12m(ward)
    assert last["rate_per_1000"] == pytest.approx(raw.ward_rates()[ward], abs=1e-3)
    assert data["stop_search"]["total"] == len(_stop_search("Islington"))
    assert data["taser"]["by_type"] == raw.met_taser_latest()
    assert "Open Government Licence" in data["notes"]["sources"]


def test_rates_are_written_to_3_decimals_in_every_download(view: DataView) -> None:
    """What the README says: rates and ratios rounded to 3 decimal places. Rye Lane's rate ends
    in a 0 at the third place, which a JSON number cannot show (161.99), so the CSV and the
    workbook write all three places (161.990), as the README says of each format."""
    ward = str(raw.postcode_row("SE15 5AA")["Admin_ward_code"])
    rate = float(raw.ward_rates()[ward])
    assert f"{rate:.3f}".endswith("0")  # the case the README names
    figures = view.ward_figures(ward)
    body = list(csv.reader(io.StringIO(
        exports.to_csv(figures, at(STALE)).decode("utf-8-sig"))))[1:]
    written = {r[4]: r[6] for r in body if r[0] == "rate_12_months"}
    assert written["crimes per 1,000 residents"] == f"{rate:.3f}"
    assert written["London crimes per 1,000 residents"] == f"{raw.london_rate():.3f}"
    assert all(len(written[k].partition(".")[2]) == 3 for k in (
        "crimes per 1,000 residents", "London crimes per 1,000 residents",
        "times the London average"))
    data = json.loads(exports.to_json(figures, at(STALE)))
    assert data["last_12_months"]["rate_per_1000"] == round(rate, 3)
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(figures, at(STALE))))
    [cell] = [row[6] for row in book["All figures"].iter_rows(min_row=2)
              if row[4].value == "crimes per 1,000 residents"]
    assert cell.value == round(rate, 3) and cell.number_format == "0.000"


def test_xlsx_reads_back_with_numbers_as_numbers(view: DataView) -> None:
    ward = _ward()
    figures = view.ward_figures(ward)
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(figures, at(STALE))))
    assert book.sheetnames == ["Crime by month", "All figures", "Notes"]
    grid = book["Crime by month"]
    rows = list(grid.iter_rows(values_only=True))
    months = [_label(m) for m in raw.month_columns()]
    assert list(rows[0]) == ["major type", "minor type", *months]
    expected = raw.ward_crime_rows(ward)
    assert len(rows) - 1 == len(expected)
    for major, minor, *counts in rows[1:]:
        assert all(isinstance(c, int) for c in counts)
        assert dict(zip(raw.month_columns(), counts, strict=True)) == expected[
            (str(major), str(minor))]
    table = list(book["All figures"].iter_rows(values_only=True))
    assert tuple(table[0]) == exports.HEADER
    assert all(isinstance(r[6], int | float) and isinstance(r[7], int) for r in table[1:])
    # The same long table as the CSV (whose figures are checked above); an empty text cell
    # reads back as None.
    csv_rows = list(csv.reader(io.StringIO(
        exports.to_csv(figures, at(STALE)).decode("utf-8-sig"))))[1:]
    assert len(csv_rows) == len(table) - 1
    for mine, theirs in zip(table[1:], csv_rows, strict=True):
        assert ["" if v is None else str(v) for v in mine[:6]] == theirs[:6]
        assert mine[6] == pytest.approx(float(theirs[6]))
    notes = dict(list(book["Notes"].iter_rows(values_only=True))[1:])
    assert "stub column" in str(notes["partial_months"])
    # The sample caveat and every figure's age are in the Notes.
    assert "police.uk's open API holds only part of the Met's searches" in str(
        notes["stop_search"])
    assert str(notes["age"]).startswith("As of 2026-12-07: Figures to March 2026, 8 months old.")


def test_text_a_spreadsheet_would_run_stays_text(view: DataView) -> None:
    figures = view.ward_figures(_ward())
    hostile = dataclasses.replace(figures, ward_name="=HYPERLINK(\"http://x\",\"y\")")
    body = list(csv.reader(io.StringIO(
        exports.to_csv(hostile, at(STALE)).decode("utf-8-sig"))))[1]
    assert body[2] == "'=HYPERLINK(\"http://x\",\"y\")"
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(hostile, at(STALE))))["All figures"]
    cell = sheet.cell(row=2, column=3)
    assert cell.data_type == "s" and str(cell.value).startswith("=HYPERLINK")


def test_file_names_and_captions(view: DataView) -> None:
    figures = view.ward_figures(_ward())
    last = _label(raw.month_columns()[-1])
    assert [exports.filename(figures, f) for f in exports.FORMATS] == [
        f"wardwatch-caledonian-{_ward()}-{last}.{f}" for f in ("csv", "json", "xlsx")]
    assert exports.slug("St James's") == "st-jamess"
    assert "Caledonian" in exports.caption(figures, "xlsx", at(STALE))
