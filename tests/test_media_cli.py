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


def test_a_query_with_no_file_prints_the_message_and_exits_3(config: Path,
                                                             tmp_path: Path) -> None:
    """No file written, whatever the reason, is exit status 3 and says so: a script can tell.
    (It was exit status 0, the same as a file written, until issue 21.)"""
    out = tmp_path / "nothing.png"
    cases = [  # (command, query, what the printed answer says)
        ("chart", "hello", "I answer with the police's published figures"),
        ("map", "E1 6AN", "City of London Police"),
        ("map", "Hackney", "Several places answer to that"),  # a borough and three wards
        ("export", "E1", "postcode district"),
        ("chart", "E8 1DY vs N1 9GU", "side by side"),
    ]
    for command, query, says in cases:
        target = out.with_suffix(".csv" if command == "export" else ".png")
        done = run(config, command, query, "--out", str(target))
        assert done.returncode == 3, (command, query, done.stderr)
        assert says in done.stdout, (command, query)
        assert f"wardwatch {command}: no file written" in done.stderr, (command, query)
        assert not target.exists()


def test_a_file_that_cannot_be_written_exits_1_and_leaves_nothing(config: Path,
                                                                  tmp_path: Path) -> None:
    folder = tmp_path / "out"
    (folder / "figures.csv").mkdir(parents=True)  # a folder where the file would go
    done = run(config, "export", "N1 9AA", "--out", str(folder / "figures.csv"))
    assert done.returncode == 1
    assert "no file written" in done.stderr and "cannot write" in done.stderr
    assert [p.name for p in folder.iterdir()] == ["figures.csv"]  # no temporary file left
    assert (folder / "figures.csv").is_dir()
