"""The contract every loader meets: a file in, one validated long-format frame out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, get_args

if TYPE_CHECKING:  # answers never need pandas: only loaders make frames
    import pandas as pd

Kind = Literal[
    "ward_crime",
    "borough_crime",
    "ward_population",
    "borough_population",
    "postcodes",
    "stop_search",
    "taser",
    "ward_boundaries",
    "borough_boundaries",
]

KINDS: Final[tuple[Kind, ...]] = get_args(Kind)

# The columns, in order, of the frame each kind's loader returns.  Months are ints YYYYMM.
COLUMNS: Final[dict[Kind, tuple[str, ...]]] = {
    "ward_crime": (
        "ward_code", "ward_name", "borough_name", "major", "minor", "month", "count",
    ),
    "borough_crime": ("borough_name", "major", "minor", "month", "count"),
    # Census 2021 usual residents of each ward (its borough comes from the postcode table).
    "ward_population": ("ward_code", "ward_name", "population"),
    "borough_population": ("lad_code", "lad_name", "population"),
    "postcodes": (
        "postcode", "outcode", "ward_code", "ward_name", "lad_code", "lad_name", "lat", "lon",
    ),
    # One row per search record, weighted by count.  borough "" means the record could not
    # be placed; source is "api" (police.uk's API, partial), "bulk" (police.uk's bulk file)
    # or "mps" (the Met's own extract).
    "stop_search": (
        "month", "borough", "type", "object_of_search", "legislation", "outcome",
        "age_range", "officer_ethnicity", "self_ethnicity", "gender", "has_location",
        "source", "count",
    ),
    # One row per (area, period, deployment type).  subjects is <NA> when unknown; published
    # is the date the figures were published (ISO, YYYY-MM-DD), <NA> when the file says none.
    "taser": (
        "area_type", "area_name", "period_start", "period_end", "period_label",
        "deployment_type", "deployments", "subjects", "published",
    ),
    # geometry is GeoJSON text (WGS84); lad_code is "" for boroughs.
    "ward_boundaries": ("code", "name", "lad_code", "lad_name", "geometry"),
    "borough_boundaries": ("code", "name", "lad_code", "lad_name", "geometry"),
}

# The seven kinds of taser (CED) use, in the order answers list them.  The Met's severity
# order, highest first: angled drive stun, fired, drive stun, arced, red dot, aimed, drawn.
TASER_TYPES: Final[tuple[str, ...]] = (
    "drawn", "aimed", "red_dot", "arced", "fired", "drive_stun", "angled_drive_stun",
)
# Uses a Home Office table counts without a kind: a row of its own only when there are any.
TASER_NOT_STATED: Final = "not_stated"


@dataclass(frozen=True)
class Loaded:
    """One source file, read and validated."""

    kind: Kind
    source: str
    frame: pd.DataFrame
    # All month columns the file publishes (crime), or the months its records cover.
    months: tuple[int, ...] = ()
    # What the loader had to change to accept the file (e.g. a repaired shape), in words.
    notes: tuple[str, ...] = ()

    @property
    def first_month(self) -> int | None:
        return self.months[0] if self.months else None

    @property
    def last_month(self) -> int | None:
        return self.months[-1] if self.months else None
