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
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

__all__ = ["GAZETTEER_FILE", "Gazetteer", "GazetteerPlace", "PlaceKind", "read_gazetteer"]

GAZETTEER_FILE: Final = (Path(__file__).resolve().parents[2] / "snapshot" / "places"
                         / "london_places.csv.gz")
PlaceKind = Literal["area", "station", "street"]
_KINDS: Final = frozenset({"area", "station", "street"})


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


@dataclass(frozen=True)
class Gazetteer:
    """Every place of one gazetteer file, and a short fingerprint of the file (choice buttons
    carry it, so a button made before the file changed is known to be stale)."""

    places: tuple[GazetteerPlace, ...]
    version: str

    def __len__(self) -> int:
        return len(self.places)

    def get(self, place_id: int) -> GazetteerPlace | None:
        return self.places[place_id] if 0 <= place_id < len(self.places) else None


def read_gazetteer(path: Path = GAZETTEER_FILE) -> Gazetteer:
    """The gazetteer in a file (gzipped CSV: name, kind, lat, lon, district, points, wards as
    "E05000001:0.620 E05000002:0.380"); a row that is not of that shape is left out."""
    raw = path.read_bytes()
    rows = csv.reader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    header = next(rows, [])
    if header[:7] != ["name", "kind", "lat", "lon", "district", "points", "wards"]:
        raise ValueError(f"{path.name}: not a gazetteer (columns {header})")
    places: list[GazetteerPlace] = []
    for row in rows:
        try:
            name, kind, lat, lon, district, points, wards = row[:7]
            if kind not in _KINDS or not name:
                continue
            shares = tuple((code, float(share)) for code, share in
                           (item.split(":") for item in wards.split()))
            places.append(GazetteerPlace(len(places), name, kind,  # type: ignore[arg-type]
                                         float(lat), float(lon), district, int(points),
                                         shares))
        except ValueError:
            continue
    return Gazetteer(tuple(places), hashlib.sha256(raw).hexdigest()[:4])
