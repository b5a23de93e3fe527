"""What a query resolved to (`Resolution`) and its answer with the figures (`Answer`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from datastore.query.freshness import Freshness
from datastore.query.models import (
    AreaMonth,
    AreaRate,
    DistrictWard,
    Place,
    StopSearchSummary,
    TaserSummary,
)
from datastore.query.places import Asked, Candidate, ChooseReason

Status = Literal[
    "ok", "invalid", "not_found", "terminated", "outcode", "outside_met", "unavailable",
    "choose", "compare", "no_district",
]
STATUSES: Final[tuple[Status, ...]] = (
    "ok", "invalid", "not_found", "terminated", "outcode", "outside_met", "unavailable",
    "choose", "compare", "no_district",
)

CITY_OF_LONDON_LAD: Final = "E09000001"
CITY_OF_LONDON_PFA: Final = "E23000034"
# Every answer is given within this many seconds, whatever postcodes.io does.
DEADLINE_S: Final = 3.0


Area = Literal["ward", "borough"]


@dataclass(frozen=True)
class Resolution:
    """What a query turned out to be, and where it is when it is somewhere we answer for: a
    ward (`place`, from a postcode) or a whole borough (`borough_code`)."""

    status: Status
    query: str
    postcode: str | None = None
    outcode: str | None = None
    place: Place | None = None
    district_wards: tuple[DistrictWard, ...] = ()
    # outside_met: "city" (City of London Police) or "elsewhere"; the area's name if known.
    outside: Literal["city", "elsewhere"] | None = None
    outside_area: str | None = None
    outside_force: str | None = None
    terminated: tuple[int, int | None] | None = None  # (year, month)
    via_postcodes_io: bool = False
    reason: str | None = None
    example: str | None = None  # outcode: a real postcode in the district
    area: Area = "ward"
    borough_code: str | None = None  # area "borough": the borough asked about
    borough_name: str | None = None
    # choose: the places a near-miss or an ambiguous name may mean, best first;
    # not_found: real postcodes close to the one typed, if any.
    candidates: tuple[Candidate, ...] = ()
    choose_reason: ChooseReason | None = None
    # compare: the places a message names (up to four), each resolved on its own.
    parts: tuple[Resolution, ...] = ()
    left_out: tuple[str, ...] = ()  # compare: places named beyond the four, as typed
    # invalid: "other" (no place at all: a greeting, thanks), "postcode" (an attempt at one)
    # or "name" (what reads as a place's name, but of none known: `asked` holds it).
    invalid_kind: Literal["other", "postcode", "name"] | None = None
    # A place of the gazetteer the query named: answered as the ward holding most of it
    # (`place`), offered as its wards (choose, `choose_reason` "spans", each ward's share in
    # `shares`), or outside London (outside_met).
    asked: Asked | None = None
    shares: tuple[float, ...] = ()
    # outside_met "elsewhere": True when no one could say the district exists (postcodes.io
    # not asked or not answering); no_district: `reason` "no_area" (no such postcode area)
    # or "no_district" (a real area, no such district).
    unchecked: bool = False


@dataclass(frozen=True)
class Answer:
    """A resolution and, when it is `ok`, the area's figures: a ward's from the ward extract
    (`crime` a WardMonth, `rate` a WardRate) or a borough's from the borough extract
    (BoroughMonth, BoroughRate); the borough's stop and search and taser either way."""

    resolution: Resolution
    crime: AreaMonth | None = None
    rate: AreaRate | None = None
    stop_search: StopSearchSummary | None = None
    taser: TaserSummary | None = None
    ward_borough: str | None = None  # the borough the Met files the ward under
    ward_month: int | None = None  # a borough answer: the ward extract's latest month
    notes: tuple[str, ...] = field(default=())
    # The files each figure comes from, by kind of dataset (for `ask --json`).
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    freshness: Freshness | None = None  # whether newer figures may exist (Services sets it)
    parts: tuple[Answer, ...] = ()  # compare: each place's answer

    @property
    def status(self) -> Status:
        return self.resolution.status

    @property
    def area(self) -> Area:
        return self.resolution.area
