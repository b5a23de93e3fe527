"""The gazetteer: London's areas, stations and streets as Londoners name them, each with the
wards it lies in, read from the bundled file `datastore/ingest/places/build.py` makes.

Pure reading, with the csv module (no pandas, no shapely): the wards and each one's share of
the place were worked out when the file was built, by geometry against the bundled ward
boundaries.  `snapshot/places/` holds the file and its sources; its licence (CC BY-SA 4.0:
it holds text from Wikipedia) and attribution are in `snapshot/SOURCES.md`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

__all__ = ["COLUMNS", "GAZETTEER_FILE", "Gazetteer", "GazetteerPlace", "PlaceKind",
           "read_gazetteer"]

GAZETTEER_FILE: Final = (Path(__file__).resolve().parents[2] / "snapshot" / "places"
                         / "london_places.csv.gz")
# The file's columns, as datastore/ingest/places/build.py writes them.
COLUMNS: Final = ("name", "kind", "lat", "lon", "district", "points", "wards")
PlaceKind = Literal["area", "station", "street"]
_KINDS: Final[tuple[PlaceKind, ...]] = ("area", "station", "street")
_KIND_CODES: Final = {k: i for i, k in enumerate(_KINDS)}


@dataclass(frozen=True, slots=True)
class GazetteerPlace:
    """A place of the gazetteer: ``wards`` are (ward code, share of the place), largest first;
    the City of London, which has no ward boundaries in the Met's file, is its borough code
    (E09000001); none at all means the place is outside London."""

    id: int
    name: str
    kind: PlaceKind
    lat: float
    lon: float
    district: str
    points: int  # how many points its sources give (a street: police.uk's points on it)
    wards: tuple[tuple[str, float], ...]


class Gazetteer:
    """Every place of one gazetteer file, kept compact (columns, each place's wards as the
    file writes them: eleven thousand objects would take several times the memory), and a
    short fingerprint of the file (choice buttons carry it, so a button made before the file
    changed is known to be stale)."""

    def __init__(self, places: Iterable[GazetteerPlace], version: str) -> None:
        self.version = version
        self._names: list[str] = []
        self._kinds = bytearray()
        self._points = array("d")
        self._districts: list[str] = []
        self._weights = array("L")
        self._wards: list[str] = []
        for p in places:
            self._add(p.name, _KIND_CODES[p.kind], p.lat, p.lon, p.district, p.points,
                      " ".join(f"{c}:{s:.3f}" for c, s in p.wards))

    def _add(self, name: str, kind: int, lat: float, lon: float, district: str, weight: int,
             wards: str) -> None:
        self._names.append(name)
        self._kinds.append(kind)
        self._points.extend((lat, lon))
        self._districts.append(district)
        self._weights.append(weight)
        self._wards.append(wards)

    def __len__(self) -> int:
        return len(self._names)

    def get(self, place_id: int) -> GazetteerPlace | None:
        """A place by its number, None if there is none."""
        if not 0 <= place_id < len(self._names):
            return None
        wards = tuple((code, float(share)) for code, share in
                      (item.split(":") for item in self._wards[place_id].split()))
        return GazetteerPlace(place_id, self._names[place_id], _KINDS[self._kinds[place_id]],
                              self._points[2 * place_id], self._points[2 * place_id + 1],
                              self._districts[place_id], self._weights[place_id], wards)

    @property
    def places(self) -> tuple[GazetteerPlace, ...]:
        """Every place, made whole (for a build or a check, not to keep)."""
        return tuple(p for i in range(len(self)) if (p := self.get(i)) is not None)

    def kind(self, place_id: int) -> PlaceKind:
        return _KINDS[self._kinds[place_id]]

    def name(self, place_id: int) -> str:
        return self._names[place_id]

    def weight(self, place_id: int) -> int:
        return self._weights[place_id]

    def ward_codes(self, place_id: int) -> list[str]:
        """The codes of a place's wards, largest share first."""
        return [item.split(":")[0] for item in self._wards[place_id].split()]

    def first_ward(self, place_id: int) -> str | None:
        """The code of the ward holding most of a place (None: outside London)."""
        wards = self._wards[place_id]
        return wards[:wards.index(":")] if wards else None

    def every_ward(self) -> set[str]:
        """The codes of every place's wards."""
        return set(_CODE_RE.findall(" ".join(self._wards)))


_CODE_RE: Final = re.compile(r"E0\d{7}")


def read_gazetteer(path: Path = GAZETTEER_FILE) -> Gazetteer:
    """The gazetteer in a file (gzipped CSV: name, kind, lat, lon, district, points, wards as
    "E05000001:0.620 E05000002:0.380"); a row that is not of that shape is left out."""
    raw = path.read_bytes()
    rows = csv.reader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    header = next(rows, [])
    if tuple(header[:7]) != COLUMNS:
        raise ValueError(f"{path.name}: not a gazetteer (columns {header})")
    gazetteer = Gazetteer((), hashlib.sha256(raw).hexdigest()[:4])
    districts: dict[str, str] = {}
    for row in rows:
        try:
            name, kind, lat, lon, district, points, wards = row[:7]
            if kind not in _KIND_CODES or not name or not _WARDS_RE.fullmatch(wards):
                continue
            gazetteer._add(name, _KIND_CODES[kind], float(lat), float(lon),
                           districts.setdefault(district, district), int(points), wards)
        except ValueError:
            continue
    return gazetteer


_WARDS_RE: Final = re.compile(r"(?:E0\d{7}:[01]\.\d{3}(?: |$))*")
