"""The check's pure half: which sources are newer, read from their headers, and only those
read in full."""

from __future__ import annotations

from pathlib import Path

import pytest

from datastore.ingest.check import (
    Peeked,
    bundled_crime_files,
    describe_sources,
    newer_kinds,
    peek_newer,
)
from datastore.ingest.loaders import peek_months
from datastore.storage.store import Version
from tests.conftest import NEW_WARD_CRIME, OLD_WARD_CRIME, SNAPSHOT

BOROUGH = SNAPSHOT / "mps_borough_crime_recent24m_202407-202606.csv.gz"
POPULATION = SNAPSHOT / "census2021_ts007a_age_ltla_london.csv"


def version(kind: str, last: int | None) -> Version:
    return Version(1, kind, "current", None, last, 1, (), "2026-01-01T00:00:00+00:00")


def test_peeking_reads_the_months_from_the_header() -> None:
    assert peek_months(NEW_WARD_CRIME)[0] == "ward_crime"
    months = peek_months(NEW_WARD_CRIME)[1]
    assert (months[0], months[-1], len(months)) == (202403, 202603, 25)  # the stub included
    assert peek_months(OLD_WARD_CRIME)[1][-1] == 202601
    assert peek_months(BOROUGH)[1][-1] == 202606
    assert peek_months(POPULATION) == ("borough_population", ())
    assert {p.name for p in bundled_crime_files()} == {NEW_WARD_CRIME.name, BOROUGH.name}


@pytest.mark.parametrize(("peeked", "current", "expected"), [
    ([("ward_crime", 202603)], {"ward_crime": 202601}, {"ward_crime": 202603}),
    ([("ward_crime", 202601)], {"ward_crime": 202601}, {}),
    ([("ward_crime", 202512)], {"ward_crime": 202601}, {}),  # older: never newer
    ([("ward_crime", 202603)], {}, {"ward_crime": 202603}),  # nothing current yet
    ([("ward_crime", 202602), ("ward_crime", 202603), ("borough_crime", 202511)],
     {"ward_crime": 202602, "borough_crime": 202511}, {"ward_crime": 202603}),
    ([("postcodes", None), ("borough_population", None)], {}, {}),  # not crime: ignored
])
def test_newer_kinds(peeked: list[tuple[str, int | None]], current: dict[str, int],
                     expected: dict[str, int]) -> None:
    files = [Peeked(f"f{i}", kind, last) for i, (kind, last) in enumerate(peeked)]  # type: ignore[arg-type]
    have = {k: version(k, m) for k, m in current.items()}
    assert newer_kinds(files, have) == expected


def test_only_the_newer_files_are_read(tmp_path: Path) -> None:
    current = {"ward_crime": version("ward_crime", 202601),
               "borough_crime": version("borough_crime", 202606)}
    jobs, peeked = peek_newer([str(NEW_WARD_CRIME), str(BOROUGH), str(POPULATION)], current)
    assert [(j.kind, j.paths, j.names) for j in jobs] == [
        ("ward_crime", (str(NEW_WARD_CRIME),), (str(NEW_WARD_CRIME),))]
    assert [(p.kind, p.last_month) for p in peeked] == [
        ("ward_crime", 202603), ("borough_crime", 202606), ("borough_population", None)]
    assert describe_sources(peeked, current) == (
        "ward_crime: source 2026-03, current 2026-01; borough_crime: source 2026-06, current "
        f"2026-06; not crime extracts, ignored: {POPULATION}")
    nothing, _ = peek_newer([str(OLD_WARD_CRIME)], current)
    assert nothing == []
