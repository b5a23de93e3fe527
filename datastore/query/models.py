"""The dataclasses the query API returns: plain figures, never text for a chat.

Figures holding mappings compare and hash by identity (`eq=False`): the view caches them, so
one object stands for one set of figures, and renderers can cache what they make of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from datastore.query.figures import Band


@dataclass(frozen=True)
class Place:
    """Where a postcode lies: its ward and local authority (borough)."""

    postcode: str
    outcode: str
    ward_code: str
    ward_name: str
    lad_code: str
    lad_name: str
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class DistrictWard:
    """A ward that has postcodes in a postcode district, with how many."""

    ward_code: str
    ward_name: str
    lad_name: str
    postcodes: int


@dataclass(frozen=True)
class MonthTotal:
    month: int
    total: int


@dataclass(frozen=True, eq=False)
class AreaMonth:
    """An area's crime in one month: total and counts by major and minor type."""

    month: int
    total: int
    previous: MonthTotal | None
    by_major: Mapping[str, int]
    by_minor: Mapping[str, Mapping[str, int]]  # major -> minor -> count


@dataclass(frozen=True, eq=False)
class WardMonth(AreaMonth):
    """A ward's crime in one month, from the Met's ward extract."""

    ward_code: str
    ward_name: str


@dataclass(frozen=True, eq=False)
class BoroughMonth(AreaMonth):
    """A borough's crime in one month, from the Met's borough extract (which also counts
    crimes placed in the borough but in no ward, so it is above the sum of its wards)."""

    borough_code: str
    borough_name: str


@dataclass(frozen=True, eq=False)
class AreaRate:
    """An area's crime over a window of months per 1,000 residents, against the London
    average on the same basis; `rank` 1 is the highest rate of `of` areas."""

    first_month: int
    last_month: int
    total: int
    population: int
    rate: float
    london_total: int
    london_population: int
    london_rate: float
    ratio: float
    band: Band
    rank: int
    of: int


@dataclass(frozen=True, eq=False)
class WardRate(AreaRate):
    """A ward's 12-month rate: its crimes in the ward extract ÷ its Census 2021 usual
    residents; London is every MPS ward with residents, on the same basis."""

    ward_code: str


@dataclass(frozen=True, eq=False)
class BoroughRate(AreaRate):
    """A borough's 12-month rate: its crimes in the borough extract ÷ its Census 2021 usual
    residents; London is the 32 MPS boroughs on the same basis."""

    borough_code: str
    borough_name: str


StopSearchSource = Literal["api", "bulk", "mps"]


@dataclass(frozen=True, eq=False)
class StopSearchSummary:
    """Searches recorded in one borough (where they took place) in one month.

    `source` says where the month's records come from: "api" is police.uk's open API, which
    holds only part of the Met's searches (so `complete` is False: the counts are a sample,
    good for shares, not totals); "bulk" is police.uk's bulk file and "mps" the Met's own
    extract, both complete.
    """

    borough: str
    month: int
    total: int
    source: StopSearchSource
    complete: bool
    by_type: Mapping[str, int]
    by_object: Mapping[str, int]
    by_legislation: Mapping[str, int]
    by_outcome: Mapping[str, int]
    by_age: Mapping[str, int]
    by_officer_ethnicity: Mapping[str, int]
    by_self_ethnicity: Mapping[str, int]
    by_gender: Mapping[str, int]
    no_location: int  # Met-wide records that month with no location, so in no borough


@dataclass(frozen=True, eq=False)
class TaserSummary:
    """Taser (CED) deployments by type for an area and period."""

    area_type: str  # "borough" or "force"
    name: str
    period_start: str  # YYYY-MM
    period_end: str
    period_label: str
    by_type: Mapping[str, int]
    deployments: int
    subjects: int | None
    # When the figures were published (ISO date), if their file says: the Home Office's ODS
    # tables do; the tables cleaned to CSV and the Met's records do not.
    published: str | None = None


@dataclass(frozen=True, eq=False)
class WardTrend:
    """A ward's crime month by month, and per 1,000 residents beside its borough and London.

    Every rate is on one basis: crimes in MPS wards ÷ those wards' Census 2021 residents ×
    1,000, per month.  The borough is the ward's local authority, over its MPS wards; London
    is every MPS ward with a residents figure.  `rates` is None for a ward with no residents
    figure.
    """

    ward_code: str
    ward_name: str
    lad_code: str
    lad_name: str
    months: tuple[int, ...]
    counts: tuple[int, ...]
    population: int | None
    rates: tuple[float, ...] | None
    borough_rates: tuple[float, ...]
    borough_population: int
    borough_wards: int
    london_rates: tuple[float, ...]
    london_population: int
    london_wards: int


@dataclass(frozen=True, eq=False)
class BoroughTrend:
    """A borough's crime month by month from the Met's borough file, and per 1,000 residents
    beside London's on the same basis: the 32 boroughs' crimes in that file ÷ their Census
    2021 usual residents × 1,000, per month.  `rates` is None without a residents figure."""

    borough_code: str
    borough_name: str
    months: tuple[int, ...]
    counts: tuple[int, ...]
    population: int | None
    rates: tuple[float, ...] | None
    london_rates: tuple[float, ...]
    london_population: int
    boroughs: int  # how many boroughs London's line adds up


@dataclass(frozen=True)
class CrimeRow:
    """One (major, minor) crime type of a ward, with its count in each month of the table."""

    major: str
    minor: str
    counts: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class WardFigures:
    """Everything published about a ward, for a download: every month by type, the 12-month
    rate, and its borough's stop and search and taser figures."""

    ward_code: str
    ward_name: str
    lad_code: str
    lad_name: str
    met_borough: str  # the borough the Met files the ward's crime under
    months: tuple[int, ...]  # every month in the data, as published
    partial_months: tuple[int, ...]  # of those, the stub months with almost no crime
    crime: tuple[CrimeRow, ...]
    rate: WardRate | None
    stop_search: StopSearchSummary | None
    taser: TaserSummary | None
    sources: tuple[str, ...]  # the files the figures come from

    area: ClassVar[Literal["ward", "borough"]] = "ward"

    @property
    def area_code(self) -> str:
        return self.ward_code

    @property
    def area_name(self) -> str:
        return self.ward_name


@dataclass(frozen=True, eq=False)
class BoroughFigures:
    """Everything published about a borough, for a download: every month of the Met's borough
    file by type, its 12-month rate on that file's basis, its stop and search and taser."""

    lad_code: str
    lad_name: str
    months: tuple[int, ...]  # every month in the borough file, as published
    partial_months: tuple[int, ...]
    crime: tuple[CrimeRow, ...]
    rate: BoroughRate | None
    stop_search: StopSearchSummary | None
    taser: TaserSummary | None
    sources: tuple[str, ...]

    area: ClassVar[Literal["ward", "borough"]] = "borough"

    @property
    def area_code(self) -> str:
        return self.lad_code

    @property
    def area_name(self) -> str:
        return self.lad_name


AreaFigures = WardFigures | BoroughFigures


@dataclass(frozen=True)
class Periods:
    """The period each kind of figure held runs to (/about states each one's age): the ward
    and borough crime months, the stop-and-search month and whether its source is complete,
    and the newest Met-wide (or first borough) taser period."""

    ward_month: int | None
    borough_month: int | None
    stop_search_month: int | None
    stop_search_complete: bool
    taser: TaserSummary | None
