"""Files far larger than any real one of their kind are refused before they are read whole:
a small gzip that expands to gigabytes, and a valid header over hundreds of MB of junk.
Memory is measured in a child process (its VmHWM), so one test cannot hide another's."""

from __future__ import annotations

import gzip
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from datastore.errors import LoadError
from datastore.ingest.loaders import MAX_BYTES, read_file
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
        from pathlib import Path
        from datastore.errors import LoadError
        from datastore.ingest.loaders import read_file
        try:
            read_file({str(path)!r})
            print("accepted")
        except LoadError as exc:
            print("refused:", exc.reason)
        # The high-water mark of this process's own memory: getrusage's ru_maxrss would carry
        # over the test process's, which exec does not reset.
        status = Path("/proc/self/status").read_text().splitlines()
        print(next(int(s.split()[1]) for s in status if s.startswith("VmHWM:")) / 1024)
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
