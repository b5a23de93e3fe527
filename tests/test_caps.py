"""Files far larger than any real one of their kind are refused before they are read whole:
a small gzip that expands to gigabytes, and a valid header over hundreds of MB of junk.
Memory is measured in a child process by its VmHWM (/proc/self/status), so one test cannot
hide another's.  Not ru_maxrss: Linux carries a parent's peak into a forked and exec'd child's
ru_maxrss, so under a big pytest process every child would report the parent's peak."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from datastore.errors import LoadError
from datastore.ingest.loaders import MAX_BYTES, MAX_MONTHS, peek_months, read_file
from tests import raw


def _bomb(path: Path, gib: float) -> Path:
    """A gzip of a valid ward crime header followed by `gib` GiB of the same junk line: one
    compressed 32 MB member of junk written again and again (gzip members concatenate)."""
    header = gzip.decompress(raw.WARD_CRIME.read_bytes()).split(b"\n", 1)[0] + b"\n"
    line = b"A,B,W,E05000001,X" + b",0" * 25 + b"\n"
    block = line * ((32 << 20) // len(line))
    member = gzip.compress(block, compresslevel=1)
    with path.open("wb") as fh:
        fh.write(gzip.compress(header))
        for _ in range(int(gib * (1 << 30)) // len(block)):
            fh.write(member)
    return path


def _peak_mb_of_reading(path: Path) -> tuple[str, float]:
    code = textwrap.dedent(f"""
        from datastore.errors import LoadError
        from datastore.ingest.loaders import read_file
        try:
            read_file({str(path)!r})
            print("accepted")
        except LoadError as exc:
            print("refused:", exc.reason)
        status = open("/proc/self/status").read()
        kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
        print(int(kb) / 1024)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True)
    message, peak = done.stdout.strip().rsplit("\n", 1)
    return message, float(peak)


def test_a_gzip_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "ward.csv.gz", 0.5)  # 512 MB expanded: eight times the cap
    assert path.stat().st_size < 5 * 1024 * 1024
    message, peak = _peak_mb_of_reading(path)
    limit = MAX_BYTES["ward_crime"] // (1 << 20)
    assert message == (f"refused: the file is larger than {limit} MB once decompressed, far "
                       "above any real ward_crime file: refused unread")
    assert peak < 250  # the old reader expanded it whole: 512 MB and more


def test_a_valid_header_over_junk_is_refused_unread(tmp_path: Path) -> None:
    header = gzip.decompress(raw.WARD_CRIME.read_bytes()).split(b"\n", 1)[0] + b"\n"
    path = tmp_path / "ward.csv"
    with path.open("wb") as fh:
        fh.write(header)
        junk = b"x" * (1 << 20)
        for _ in range(MAX_BYTES["ward_crime"] // len(junk) + 8):
            fh.write(junk)
    message, peak = _peak_mb_of_reading(path)
    assert message.startswith("refused: the file is larger than")
    assert peak < 400


@pytest.mark.parametrize("kind", sorted(MAX_BYTES))
def test_the_caps_are_generously_above_the_real_files(kind: str) -> None:
    assert MAX_BYTES[kind] >= 16 * (1 << 20)


def test_a_real_file_is_under_its_cap() -> None:
    assert read_file(raw.WARD_CRIME).kind == "ward_crime"
    size = len(gzip.decompress(raw.WARD_CRIME.read_bytes()))
    assert size * 10 < MAX_BYTES["ward_crime"]
    with pytest.raises(LoadError):
        read_file(raw.WARD_CRIME, "postcodes")


def test_more_rows_than_any_real_file_is_refused(tmp_path: Path) -> None:
    """A borough extract (about 1,000 rows) with 25,000: short rows fit under the size cap."""
    lines = gzip.decompress(raw.BOROUGH_CRIME.read_bytes()).decode("utf-8").splitlines()
    path = tmp_path / "borough.csv"
    path.write_text("\n".join([lines[0], *(lines[1:] * 26)]) + "\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"has 25,\d{3} rows, more than the 20,000"):
        read_file(path)


def _months(first: int, count: int) -> list[str]:
    year, month = divmod(first, 100)
    out = []
    for _ in range(count):
        out.append(f"{year:04d}{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _wide_ward_file(path: Path, first: int, months: int, rows: int) -> Path:
    """A ward extract in the Met's layout with real ward rows and `months` month columns."""
    text = gzip.decompress(raw.WARD_CRIME.read_bytes()).decode("utf-8-sig")
    records = list(itertools.islice(csv.reader(io.StringIO(text)), rows + 1))
    zeros = ",0" * months
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(records[0][:5] + _months(first, months)) + "\n")
        for record in records[1:]:
            fh.write(",".join(f'"{cell}"' if "," in cell else cell for cell in record[:5])
                     + zeros + "\n")
    return path


@pytest.mark.parametrize("months", [600, 1516])
def test_a_ward_file_spanning_centuries_is_refused_at_its_header(
        tmp_path: Path, months: int) -> None:
    """The probe's file: 1,516 month columns (1900-01 to 2026-04) inside the size cap."""
    path = _wide_ward_file(tmp_path / "ward.csv", 190001, months, 3000)
    assert path.stat().st_size < MAX_BYTES["ward_crime"]
    with pytest.raises(LoadError) as caught:
        read_file(path)
    assert caught.value.row == 1
    assert f"{months:,} month columns" in caught.value.reason
    with pytest.raises(LoadError, match="month columns"):  # the daily check's peek too
        peek_months(path)


def test_a_wide_file_is_refused_before_its_rows_are_read(tmp_path: Path) -> None:
    path = _wide_ward_file(tmp_path / "ward.csv", 190001, 1516, 14_000)  # about 43 MB
    message, peak = _peak_mb_of_reading(path)
    assert message.startswith("refused:") and "1,516 month columns" in message
    assert peak < 250  # read whole and parsed, it took gigabytes


def test_the_borough_historical_width_is_accepted(tmp_path: Path) -> None:
    """164 months, as the Met's borough historical file has; a little headroom past it."""
    text = gzip.decompress(raw.BOROUGH_CRIME.read_bytes()).decode("utf-8-sig")
    records = list(itertools.islice(csv.reader(io.StringIO(text)), 201))
    path = tmp_path / "borough.csv"
    width = 180
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(records[0][:3] + _months(201101, width)) + "\n")
        for record in records[1:]:
            fh.write(",".join(f'"{cell}"' if "," in cell else cell for cell in record[:3])
                     + ",1" * width + "\n")
    loaded = read_file(path)
    assert len(loaded.months) == width


def test_rows_times_months_is_bounded(tmp_path: Path) -> None:
    """Months within the bound, but so many rows of them that the long frame would not be."""
    path = _wide_ward_file(tmp_path / "ward.csv", 200701, MAX_MONTHS["ward_crime"], 18_700)
    with pytest.raises(LoadError, match=r"month columns.*rows|rows.*month columns"):
        read_file(path)
