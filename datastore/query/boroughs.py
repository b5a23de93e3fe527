"""The boroughs in the view, from the Met's borough extract: a month, the 12-month rate
against London on that file's basis, the trend, a download's figures (`BoroughQueries`, a part
of DataView)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np

from datastore.query import figures
from datastore.query.breakdown import breakdown
from datastore.query.memo import memo
from datastore.query.models import (
    BoroughFigures,
    BoroughMonth,
    BoroughRate,
    BoroughTrend,
    CrimeRow,
)
from datastore.query.policing import PolicingQueries
from datastore.storage.blobs import CrimeMatrix
from datastore.storage.store import Version


class BoroughQueries(PolicingQueries):
    """DataView's borough queries (the attributes are DataView's fields)."""

    versions: Mapping[str, Version]
    borough_population: dict[str, int]  # by borough name
    borough_codes: dict[str, str]  # borough name -> code (E09…)
    borough_months: tuple[int, ...]
    borough_crime_rows: CrimeMatrix
    borough_matrix: np.ndarray
    borough_rows: dict[str, tuple[int, int]]  # by the name the extract uses

    @cached_property
    def boroughs(self) -> dict[str, str]:
        """The boroughs of the borough extract that are London boroughs, code -> name (its
        `Unknown` and airport rows are in none)."""
        return {self.borough_codes[name]: name for name in self.borough_rows
                if name in self.borough_codes}

    def borough_name(self, code: str) -> str | None:
        return self.boroughs.get(code)

    @property
    def borough_latest_month(self) -> int | None:
        return self.borough_months[-1] if self.borough_months else None

    @memo(64)
    def borough_month(self, code: str, month: int | None = None) -> BoroughMonth | None:
        """A borough's crime in a month of the borough extract (default its latest)."""
        name = self.boroughs.get(code)
        month = self.borough_latest_month if month is None else month
        if name is None or month is None or month not in self.borough_months:
            return None
        start, stop = self.borough_rows[name]
        total, previous, by_major, by_minor = breakdown(
            self.borough_crime_rows.keys(start, stop), self.borough_matrix[start:stop],
            self.borough_months, self.borough_months.index(month))
        return BoroughMonth(month=month, total=total, previous=previous, by_major=by_major,
                            by_minor=by_minor, borough_code=code, borough_name=name)

    @memo(8)
    def _borough_window(self, last: int) -> tuple[dict[str, int], dict[str, float]] | None:
        months = figures.window(last)
        if not set(months) <= set(self.borough_months):
            return None
        cols = [self.borough_months.index(m) for m in months]
        totals: dict[str, int] = {}
        for code, name in self.boroughs.items():
            if self.borough_population.get(name):
                start, stop = self.borough_rows[name]
                totals[code] = int(self.borough_matrix[start:stop][:, cols].sum())
        rates = {code: figures.rate_per_1000(t, self.borough_population[self.boroughs[code]])
                 for code, t in totals.items()}
        return totals, rates

    @memo(64)
    def borough_rate(self, code: str, last: int | None = None) -> BoroughRate | None:
        """A borough's 12-month rate per 1,000 residents from the borough extract, against
        London on the same basis: the 32 boroughs' crimes ÷ their Census 2021 residents."""
        last = self.borough_latest_month if last is None else last
        found = None if last is None else self._borough_window(last)
        if found is None or last is None:
            return None
        totals, rates = found
        if code not in rates:
            return None
        london_total = sum(totals.values())
        london_population = sum(self.borough_population[self.boroughs[c]] for c in totals)
        london_rate = figures.rate_per_1000(london_total, london_population)
        return BoroughRate(
            first_month=figures.window(last)[0], last_month=last, total=totals[code],
            population=self.borough_population[self.boroughs[code]], rate=rates[code],
            london_total=london_total, london_population=london_population,
            london_rate=london_rate, ratio=rates[code] / london_rate,
            band=figures.band(rates[code] / london_rate), rank=figures.ranks(rates)[code],
            of=len(rates), borough_code=code, borough_name=self.boroughs[code])

    def borough_london_rate(self) -> float | None:
        """London's 12-month rate per 1,000 residents on the borough file's basis (the 32
        boroughs' crimes ÷ their residents) to that file's latest month: the average borough
        answers quote (maps, on the wards' basis, say both)."""
        rates = [self.borough_rate(code) for code in self.boroughs]
        found = next((r for r in rates if r is not None), None)
        return found.london_rate if found is not None else None

    def borough_file_rates(self, last: int | None = None) -> dict[str, float]:
        """Every borough's 12-month rate per 1,000 residents from the borough extract."""
        last = self.borough_latest_month if last is None else last
        found = None if last is None else self._borough_window(last)
        return dict(found[1]) if found else {}

    # -- trends and downloads -----------------------------------------------------------------

    @cached_property
    def borough_complete_months(self) -> tuple[int, ...]:
        """The months the borough file covers in full (a stub month is left out of trends)."""
        totals = self.borough_matrix.sum(axis=0) if self.borough_months else []
        return figures.complete_months(
            {m: int(t) for m, t in zip(self.borough_months, totals, strict=True)})

    @memo(64)
    def borough_trend(self, code: str) -> BoroughTrend:
        """A borough's crime in every month of the Met's borough file, and per 1,000 residents
        beside London's on that file's basis (the 32 boroughs' crimes ÷ their residents)."""
        name = self.boroughs[code]
        months = self.borough_complete_months
        cols = [self.borough_months.index(m) for m in months]
        start, stop = self.borough_rows[name]
        counts = self.borough_matrix[start:stop][:, cols].sum(axis=0)
        with_residents = [n for n in self.boroughs.values() if self.borough_population.get(n)]
        london = sum((self.borough_matrix[slice(*self.borough_rows[n])][:, cols].sum(axis=0)
                      for n in with_residents), np.zeros(len(cols)))
        london_population = sum(self.borough_population[n] for n in with_residents)
        population = self.borough_population.get(name)
        return BoroughTrend(
            borough_code=code, borough_name=name, months=months,
            counts=tuple(int(c) for c in counts), population=population or None,
            rates=tuple(figures.rate_per_1000(float(c), population) for c in counts)
            if population else None,
            london_rates=tuple(figures.rate_per_1000(float(c), london_population)
                               for c in london) if london_population else (),
            london_population=london_population, boroughs=len(with_residents))

    def borough_figures(self, code: str) -> BoroughFigures:
        """Everything about a borough for a download: its crime in every month of the Met's
        borough file by major and minor type, its 12-month rate on that file's basis, its
        stop and search and taser."""
        name = self.boroughs[code]
        start, stop = self.borough_rows[name]
        crime = tuple(
            CrimeRow(major, minor, tuple(int(c) for c in counts))
            for (major, minor), counts in zip(self.borough_crime_rows.keys(start, stop),
                                              self.borough_matrix[start:stop], strict=True))
        complete = set(self.borough_complete_months)
        sources = tuple(dict.fromkeys(
            s.name for kind in ("borough_crime", "borough_population", "stop_search", "taser")
            if kind in self.versions for s in self.versions[kind].sources))
        return BoroughFigures(
            lad_code=code, lad_name=name, months=self.borough_months,
            partial_months=tuple(m for m in self.borough_months if m not in complete),
            crime=crime, rate=self.borough_rate(code),
            stop_search=self.stop_search_summary(name), taser=self.taser_summary(name),
            sources=sources)
