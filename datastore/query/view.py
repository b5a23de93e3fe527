"""An immutable in-memory view of the current dataset versions, and the query API over it.

Built once from the store when it opens and again after each load, then swapped whole, so every
answer reads one consistent set of versions and never an old set as current.  Queries are plain
synchronous methods returning dataclasses; the London-wide figures are computed once per view.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from datastore.query import figures
from datastore.query.boroughs import BoroughQueries
from datastore.query.breakdown import breakdown
from datastore.query.memo import memo
from datastore.query.models import (
    CrimeRow,
    DistrictWard,
    MonthTotal,
    Periods,
    Place,
    WardFigures,
    WardMonth,
    WardRate,
    WardTrend,
)
from datastore.query.places import CITY_OF_LONDON, PlaceIndex
from datastore.query.places.gazetteer import Gazetteer, read_gazetteer
from datastore.query.policing import StopSearchMonth, TaserRow, read_stop_search_month, read_taser
from datastore.query.postcode_table import PostcodeTable
from datastore.storage import blobs
from datastore.storage.blobs import CrimeMatrix
from datastore.storage.store import Db, Version, versions


@dataclass(frozen=True)
class _WardRows:
    """One ward's rows of the crime matrix."""

    name: str
    borough_name: str
    start: int
    stop: int


@dataclass(eq=False)  # hashed by identity; its caches live in the instance (memo.py)
class DataView(BoroughQueries):
    """The current data, indexed for answering; build with `DataView.build(conn)`."""

    versions: Mapping[str, Version]
    months: tuple[int, ...]
    # Ward crime as a matrix: one row per (ward, major, minor), one column per month.
    crime_rows: CrimeMatrix
    crime_matrix: np.ndarray
    wards: dict[str, _WardRows]
    ward_population: dict[str, int]
    ward_lad: dict[str, tuple[str, str]]  # ward -> (borough code, name), from the postcodes
    borough_population: dict[str, int]  # by borough name
    borough_codes: dict[str, str]  # borough name -> code (E09…)
    postcodes: PostcodeTable  # read from the store as needed; coordinates in memory
    stop_search: StopSearchMonth  # the latest month's counts, summed in SQL
    taser: tuple[TaserRow, ...]  # a few dozen rows, in table order
    # Borough crime (the Met's borough extract) as a matrix like the wards'.
    borough_months: tuple[int, ...]
    borough_crime_rows: CrimeMatrix
    borough_matrix: np.ndarray
    borough_rows: dict[str, tuple[int, int]]  # by the name the extract uses
    _ward_totals: np.ndarray | None = None
    _places: PlaceIndex | None = None
    _index_lock: threading.Lock = field(default_factory=threading.Lock)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def build(cls, conn: Db) -> DataView:
        """Read every current version from the store into a new view (one consistent state
        of it, whatever another process commits meanwhile)."""
        with conn.snapshot():
            return cls._build(conn)

    @classmethod
    def _build(cls, conn: Db) -> DataView:
        current = versions(conn)

        def vid(kind: str) -> int:
            return current[kind].id if kind in current else -1

        def matrix(kind: str) -> CrimeMatrix:
            return blobs.stored_matrix(conn, vid(kind)) if kind in current else (
                blobs.empty_matrix())

        ward_rows = matrix("ward_crime")
        starts = ward_rows.starts.tolist()
        wards = {code: _WardRows(name, borough, starts[i], starts[i + 1])
                 for i, (code, name, borough) in enumerate(ward_rows.areas)}
        b_rows = matrix("borough_crime")
        b_starts = b_rows.starts.tolist()
        pop = conn.execute("SELECT ward_code, population FROM ward_population "
                           "WHERE version_id=?", (vid("ward_population"),)).fetchall()
        bpop = conn.execute("SELECT lad_code, lad_name, population FROM borough_population "
                            "WHERE version_id=?", (vid("borough_population"),)).fetchall()
        postcodes = PostcodeTable.open(conn, vid("postcodes"))
        stop = read_stop_search_month(conn, vid("stop_search"))
        taser = read_taser(conn, vid("taser"))
        return cls(
            versions=current,
            months=ward_rows.months,
            crime_rows=ward_rows,
            crime_matrix=ward_rows.counts,
            wards=wards,
            ward_population={str(c): int(n) for c, n in pop},
            ward_lad=postcodes.ward_boroughs(),
            borough_population={str(name): int(n) for _code, name, n in bpop},
            borough_codes={str(name): str(code) for code, name, _n in bpop},
            postcodes=postcodes,
            stop_search=stop,
            taser=taser,
            borough_months=b_rows.months,
            borough_crime_rows=b_rows,
            borough_matrix=b_rows.counts,
            borough_rows={name: (b_starts[i], b_starts[i + 1])
                          for i, (name,) in enumerate(b_rows.areas)},
        )

    # -- postcodes ----------------------------------------------------------------------------

    def place(self, postcode: str) -> Place | None:
        """The place of a normalised postcode in the offline table, or None."""
        return self.postcodes.place(postcode)

    def nearest_postcode(self, lat: float, lon: float) -> tuple[Place, float] | None:
        """The postcode in the offline table nearest to a point, and its distance in km."""
        return self.postcodes.nearest(lat, lon)

    def ward_place(self, ward_code: str) -> Place | None:
        """A ward asked for by name: no postcode, the district with most of its postcodes, and
        the Met's name for it where the Met publishes it."""
        place = self.postcodes.ward_place(ward_code)
        if place is None or ward_code not in self.wards:
            return place
        return replace(place, ward_name=self.wards[ward_code].name)

    def place_index(self) -> PlaceIndex:
        """The place resolver's index of this view's postcodes, wards and boroughs, built on
        first need (about 0.7 s; callers on the event loop build it in a thread)."""
        with self._index_lock:
            if self._places is None:
                self._places = self._build_place_index()
            return self._places

    def _build_place_index(self) -> PlaceIndex:
        """Index the postcode table, the Met's wards (names as the Met publishes them) and
        the City of London's wards from the postcode table."""
        wards: dict[str, tuple[str, str, str, str]] = {}
        for code, rows in self.wards.items():
            if code in self.ward_lad:
                wards[code] = (code, rows.name, *self.ward_lad[code])
        for ward in self.postcodes.wards_in(CITY_OF_LONDON):
            wards.setdefault(ward[0], ward)
        boroughs = {w[2]: w[3] for w in wards.values()}
        return PlaceIndex.build(self.postcodes.placed(), wards.values(), boroughs.items(),
                                gazetteer=self._gazetteer({*wards, CITY_OF_LONDON}))

    def _gazetteer(self, known: set[str]) -> Gazetteer:
        """The bundled gazetteer; a place whose wards this data lacks (boundaries loaded
        since it was built) is placed in the ward of the postcode nearest it."""
        gazetteer = read_gazetteer()
        if gazetteer.every_ward() <= known:
            return gazetteer
        places = []
        for p in gazetteer.places:
            if p.wards and not all(code in known for code, _s in p.wards):
                found = self.postcodes.nearest(p.lat, p.lon)
                ward = found[0] if found and found[1] <= 1.0 else None
                code = ward and (CITY_OF_LONDON if ward.lad_code == CITY_OF_LONDON
                                 else ward.ward_code)
                p = replace(p, wards=((code, 1.0),) if code in known else ())
            places.append(p)
        return Gazetteer(places, gazetteer.version)

    @property
    def has_place_index(self) -> bool:
        return self._places is not None

    def has_district(self, outcode: str) -> bool:
        """Whether any London postcode is in this district."""
        return bool(self.district_wards(outcode))

    def district_wards(self, outcode: str) -> list[DistrictWard]:
        """The wards with postcodes in a district, most postcodes first."""
        return list(self.postcodes.district_wards(outcode))

    def district_example(self, outcode: str) -> str | None:
        """A real postcode in the district (the first in the table), for a worked example."""
        return self.postcodes.district_example(outcode)

    # -- crime --------------------------------------------------------------------------------

    def categories(self) -> dict[str, list[str]]:
        """The major crime types in the current data, each with its minor types."""
        out: dict[str, set[str]] = {}
        rows = self.crime_rows
        for major, minor in {(rows.majors[a], rows.minors[b]) for a, b in
                             zip(rows.major_idx.tolist(), rows.minor_idx.tolist(), strict=True)}:
            out.setdefault(major, set()).add(minor)
        return {k: sorted(v) for k, v in sorted(out.items())}

    @property
    def crime_version(self) -> int:
        """The id of the current ward-crime version (buttons carry it)."""
        v = self.versions.get("ward_crime")
        return v.id if v else 0

    @property
    def latest_month(self) -> int:
        return self.months[-1]

    def periods(self) -> Periods:
        """The period each kind of figure runs to (/about says how old each is)."""
        return Periods(self.months[-1] if self.months else None, self.borough_latest_month,
                       self.stop_search.month, self.stop_search.source != "api",
                       self.taser_summary())

    def is_met_ward(self, ward_code: str) -> bool:
        """Whether the Met publishes crime for this ward (the City of London's wards: no)."""
        return ward_code in self.wards

    def ward_totals(self) -> np.ndarray:
        """Ward totals by month: one row per ward in `ward_order`, one column per month."""
        if self._ward_totals is None:
            self._ward_totals = np.vstack([
                self.crime_matrix[r.start:r.stop].sum(axis=0) for r in self.wards.values()
            ])
        return self._ward_totals

    def ward_series(self, ward_code: str) -> list[MonthTotal]:
        """The ward's total for every month in the data."""
        rows = self.wards[ward_code]
        sums = self.crime_matrix[rows.start:rows.stop].sum(axis=0)
        return [MonthTotal(m, int(t)) for m, t in zip(self.months, sums, strict=True)]

    @memo(4096)
    def ward_month(self, ward_code: str, month: int | None = None) -> WardMonth:
        """The ward's crime in a month (default the latest), by major and minor type."""
        month = self.latest_month if month is None else month
        rows = self.wards[ward_code]
        total, previous, by_major, by_minor = breakdown(
            self.crime_rows.keys(rows.start, rows.stop), self.crime_matrix[rows.start:rows.stop],
            self.months, self.months.index(month))
        return WardMonth(month=month, total=total, previous=previous, by_major=by_major,
                         by_minor=by_minor, ward_code=ward_code, ward_name=rows.name)

    @memo(8)
    def _window(
        self, last: int
    ) -> tuple[int, int, int, dict[str, float], dict[str, int], dict[str, int]]:
        months = figures.window(last)
        cols = [self.months.index(m) for m in months]
        sums = self.ward_totals()[:, cols].sum(axis=1)
        totals = {code: int(s) for code, s in zip(self.wards, sums, strict=True)}
        with_pop = {c: t for c, t in totals.items() if self.ward_population.get(c)}
        london_total = sum(with_pop.values())
        london_pop = sum(self.ward_population[c] for c in with_pop)
        rates = {c: figures.rate_per_1000(t, self.ward_population[c]) for c, t in with_pop.items()}
        return months[0], london_total, london_pop, rates, totals, figures.ranks(rates)

    @memo(4096)
    def ward_rate(self, ward_code: str, last: int | None = None) -> WardRate | None:
        """The ward's 12-month rate per 1,000 residents against the London average.

        The London average is all MPS wards' crimes over the same months divided by those
        wards' population.  None when the data has no 12 full months or no population.
        """
        last = self.latest_month if last is None else last
        if not self.has_twelve_months(last) or ward_code not in self.wards:
            return None  # 12 months are not all in the data: no rate rather than a wrong one
        first, london_total, london_pop, rates, totals, ranks = self._window(last)
        if ward_code not in rates:
            return None
        london_rate = figures.rate_per_1000(london_total, london_pop)
        rate = rates[ward_code]
        return WardRate(
            ward_code=ward_code,
            first_month=first,
            last_month=last,
            total=totals[ward_code],
            population=self.ward_population[ward_code],
            rate=rate,
            london_total=london_total,
            london_population=london_pop,
            london_rate=london_rate,
            ratio=rate / london_rate,
            band=figures.band(rate / london_rate),
            rank=ranks[ward_code],
            of=len(rates),
        )

    def has_twelve_months(self, last: int | None = None) -> bool:
        """Whether the 12 months ending at `last` (default the latest) are all in the data."""
        if not self.months:
            return False
        last = self.latest_month if last is None else last
        return set(figures.window(last)) <= set(self.months)

    def ward_rates(self, last: int | None = None) -> dict[str, float]:
        """Every MPS ward's 12-month rate per 1,000 residents."""
        return dict(self._window(self.latest_month if last is None else last)[3])

    def london_rate(self, last: int | None = None) -> float:
        """London's 12-month rate per 1,000 residents: all MPS wards' crimes ÷ their residents."""
        _first, total, population, *_ = self._window(self.latest_month if last is None else last)
        return figures.rate_per_1000(total, population)

    def borough_rates(self, last: int | None = None) -> dict[str, float]:
        """Every borough's 12-month rate per 1,000 residents, by local authority code, on the
        wards' basis: its MPS wards' crimes ÷ those wards' residents."""
        totals = self._window(self.latest_month if last is None else last)[4]
        crimes: dict[str, int] = {}
        residents: dict[str, int] = {}
        for code, total in totals.items():
            population = self.ward_population.get(code)
            if not population or code not in self.ward_lad:
                continue
            lad = self.ward_lad[code][0]
            crimes[lad] = crimes.get(lad, 0) + total
            residents[lad] = residents.get(lad, 0) + population
        return {lad: figures.rate_per_1000(crimes[lad], residents[lad]) for lad in crimes}

    # -- trends and downloads -----------------------------------------------------------------

    @cached_property
    def complete_months(self) -> tuple[int, ...]:
        """The months the data covers in full: a stub month with almost no crime London-wide
        (the Met's extract carries one) is left out of trends."""
        if not self.wards:
            return ()
        totals = self.ward_totals().sum(axis=0)
        return figures.complete_months(
            {m: int(t) for m, t in zip(self.months, totals, strict=True)})

    @memo(256)
    def ward_trend(self, ward_code: str) -> WardTrend:
        """The ward's crime in every complete month, and per 1,000 residents beside its
        borough's and London's on the same basis (MPS wards' crimes ÷ their residents)."""
        months = self.complete_months
        cols = [self.months.index(m) for m in months]
        index = {code: i for i, code in enumerate(self.wards)}
        totals = self.ward_totals()[:, cols]
        lad_code, lad_name = self.ward_lad.get(
            ward_code, ("", self.wards[ward_code].borough_name))
        london = [c for c in self.wards if self.ward_population.get(c)]
        borough = [c for c in london if self.ward_lad.get(c, ("",))[0] == lad_code]

        def per_1000(codes: list[str]) -> tuple[tuple[float, ...], int]:
            population = sum(self.ward_population[c] for c in codes)
            if not population:
                return (), 0
            sums = totals[[index[c] for c in codes]].sum(axis=0)
            return tuple(figures.rate_per_1000(float(s), population) for s in sums), population

        own, population = per_1000([ward_code] if ward_code in london else [])
        borough_rates, borough_population = per_1000(borough)
        london_rates, london_population = per_1000(london)
        return WardTrend(
            ward_code=ward_code,
            ward_name=self.wards[ward_code].name,
            lad_code=lad_code,
            lad_name=lad_name,
            months=months,
            counts=tuple(int(c) for c in totals[index[ward_code]]),
            population=population or None,
            rates=own or None,
            borough_rates=borough_rates,
            borough_population=borough_population,
            borough_wards=len(borough),
            london_rates=london_rates,
            london_population=london_population,
            london_wards=len(london),
        )

    def ward_figures(self, ward_code: str) -> WardFigures:
        """Everything about a ward for a download: its crime in every month of the data by
        major and minor type, its 12-month rate, its borough's stop and search and taser."""
        rows = self.wards[ward_code]
        block = self.crime_matrix[rows.start:rows.stop]
        crime = tuple(
            CrimeRow(major, minor, tuple(int(c) for c in counts))
            for (major, minor), counts in zip(self.crime_rows.keys(rows.start, rows.stop), block,
                                              strict=True))
        lad_code, lad_name = self.ward_lad.get(ward_code, ("", rows.borough_name))
        complete = set(self.complete_months)
        sources = tuple(dict.fromkeys(
            s.name for kind in ("ward_crime", "ward_population", "stop_search", "taser")
            if kind in self.versions for s in self.versions[kind].sources))
        return WardFigures(
            ward_code=ward_code,
            ward_name=rows.name,
            lad_code=lad_code,
            lad_name=lad_name,
            met_borough=rows.borough_name,
            months=self.months,
            partial_months=tuple(m for m in self.months if m not in complete),
            crime=crime,
            rate=self.ward_rate(ward_code),
            stop_search=self.stop_search_summary(lad_name),
            taser=self.taser_summary(lad_name),
            sources=sources,
        )
