"""The dataclasses the query API returns: plain figures, never text for a chat.

Figures holding mappings compare and hash by identity (`eq=False`): the view caches them, so
one object stands for one set of figures, and renderers can cache what they make of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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
class WardMonth:
    """A ward's crime in one month: total and counts by major and minor type."""

    ward_code: str
    ward_name: str
    month: int
    total: int
    previous: MonthTotal | None
    by_major: Mapping[str, int]
    by_minor: Mapping[str, Mapping[str, int]]  # major -> minor -> count


@dataclass(frozen=True, eq=False)
class WardRate:
    """A ward's crime over a window of months per 1,000 residents, against the London average."""

    ward_code: str
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
class StopSearchSummary:
    """Searches recorded in one borough (where they took place) in one month."""

    borough: str
    month: int
    total: int
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
