"""`wardwatch chart`, `map` and `export` as a user runs them: real processes, real files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from PIL import Image

from datastore.query.figures import month_name
from tests import raw
from tests.test_cli import run, write_config


@pytest.fixture
def config(tmp_path: Path, db_copy: Path) -> Path:
    return write_config(tmp_path, db_copy)


def test_chart_writes_the_png_and_says_what_it_shows(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "chart.png"
    done = run(config, "chart", "SW1A", "1AA", "--out", str(out))
    assert done.returncode == 0, done.stderr
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (1200, 720)
    ward = raw.postcode_row("SW1A 1AA")["Admin_ward_code"]
    last = raw.full_months()[-1]
    assert done.stdout.startswith(f"Wrote {out} (")
    assert f"In {month_name(int(last))}: " in done.stdout
    assert f"{raw.ward_month_total(ward, last):,} crimes" in done.stdout
    assert "<b>" not in done.stdout


def test_map_of_london_writes_the_png(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "london.png"
    done = run(config, "map", "london", "--out", str(out))
    assert done.returncode == 0, done.stderr
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width == 1080
    assert "London's 32 boroughs" in done.stdout


def test_export_csv_matches_the_raw_files(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "caledonian.csv"
    done = run(config, "export", "N1 9AA", "--out", str(out))
    assert done.returncode == 0, done.stderr
    ward = raw.postcode_row("N1 9AA")["Admin_ward_code"]
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    for column in raw.month_columns():
        month = f"{column[:4]}-{column[4:]}"
        assert sum(int(r["value"]) for r in rows if r["section"] == "crime"
                   and r["period"] == month) == raw.ward_month_total(ward, column)


def test_export_format_flag_wins_over_the_extension(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "figures.bin"
    done = run(config, "export", "N1 9AA", "--format", "xlsx", "--out", str(out))
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))  # openpyxl wants .xlsx names
    assert book.sheetnames == ["Crime by month", "All figures", "Notes"]
    unknown = run(config, "export", "N1 9AA", "--out", str(tmp_path / "figures.txt"))
    assert unknown.returncode == 2 and "--format csv, json or xlsx" in unknown.stderr
    assert not (tmp_path / "figures.txt").exists()


def test_postcodes_we_cannot_answer_print_the_message_and_write_nothing(
        config: Path, tmp_path: Path) -> None:
    out = tmp_path / "nothing.png"
    done = run(config, "chart", "hello", "--out", str(out))
    assert done.returncode == 0
    assert "I answer with the police's published figures" in done.stdout and not out.exists()
    done = run(config, "map", "E1 6AN", "--out", str(out))
    assert done.returncode == 0
    assert "City of London Police" in done.stdout and not out.exists()
