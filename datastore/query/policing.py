"""Stop and search and taser in the view: the latest stop-and-search month summed in SQL by
borough and field, the taser table's few rows, and the queries over them (`PolicingQueries`,
a part of DataView)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, NamedTuple

from datastore.query.memo import memo
from datastore.query.models import StopSearchSource, StopSearchSummary, TaserSummary
from datastore.storage.db import Db


class TaserRow(NamedTuple):
    """One row of the taser table: an area's deployments of one type in one period."""

    area_type: str
    area_name: str
    period_start: str
    period_end: str
    period_label: str
    deployment_type: str
    deployments: int
    subjects: int | None
    published: str | None  # the date the figures were published (ISO), if the file said


STOP_SEARCH_FIELDS: Final = ("type", "object_of_search", "legislation", "outcome", "age_range",
                              "officer_ethnicity", "self_ethnicity", "gender")
# A month from several sources (a combined version never holds one) reads as the most complete.
_SOURCE_ORDER: Final = ("mps", "bulk", "api")


@dataclass(frozen=True)
class StopSearchMonth:
    """The latest stop-and-search month, counted in SQL: per borough, per field, per value
    (largest first; an empty value is "Not stated")."""

    month: int | None
    source: StopSearchSource
    totals: dict[str, int]
    boroughs: dict[str, dict[str, dict[str, int]]]
    no_location: int  # Met-wide searches that month with no location


def read_stop_search_month(conn: Db, version_id: int) -> StopSearchMonth:
    """Sum the version's latest month by borough and field in the store: the records themselves
    (hundreds of thousands with the Met's extract) are never held in memory."""
    (month,) = conn.execute("SELECT MAX(month) FROM stop_search WHERE version_id=?",
                            (version_id,)).fetchone()
    if month is None:
        return StopSearchMonth(None, "api", {}, {}, 0)
    where = "WHERE version_id=? AND month=?"
    params = (version_id, month)
    found = {r[0] for r in conn.execute(
        f"SELECT DISTINCT source FROM stop_search {where}", params)}
    source: StopSearchSource = next(
        (s for s in _SOURCE_ORDER if s in found), "api")  # type: ignore[assignment]
    totals = {str(b): int(n) for b, n in conn.execute(
        f"SELECT borough, SUM(count) FROM stop_search {where} GROUP BY borough", params)}
    boroughs: dict[str, dict[str, dict[str, int]]] = {}
    for column in STOP_SEARCH_FIELDS:
        rows = conn.execute(
            f"SELECT borough, CASE {column} WHEN '' THEN 'Not stated' ELSE {column} END AS v, "
            f"SUM(count) AS n FROM stop_search {where} GROUP BY borough, v "
            "ORDER BY borough, n DESC, v", params)
        for borough, value, count in rows:
            boroughs.setdefault(str(borough), {}).setdefault(column, {})[str(value)] = int(count)
    (no_location,) = conn.execute(
        f"SELECT COALESCE(SUM(count), 0) FROM stop_search {where} AND has_location=0",
        params).fetchone()
    return StopSearchMonth(int(month), source, totals, boroughs, int(no_location))


def read_taser(conn: Db, version_id: int) -> tuple[TaserRow, ...]:
    """The taser table's rows of a version, in table order (a few dozen)."""
    return tuple(TaserRow(str(a), str(n), str(s), str(e), str(label), str(t), int(d),
                          None if subjects is None else int(subjects),
                          None if published is None else str(published))
                 for a, n, s, e, label, t, d, subjects, published in conn.execute(
                     "SELECT area_type, area_name, period_start, period_end, "
                     "period_label, deployment_type, deployments, subjects, published "
                     "FROM taser WHERE version_id=? ORDER BY rowid", (version_id,)))


class PolicingQueries:
    """DataView's stop-and-search and taser queries (the attributes are DataView's fields)."""

    stop_search: StopSearchMonth  # the latest month's counts, summed in SQL
    taser: tuple[TaserRow, ...]  # a few dozen rows, in table order

    @property
    def stop_search_month(self) -> int | None:
        return self.stop_search.month

    @memo(256)
    def stop_search_summary(self, borough: str) -> StopSearchSummary | None:
        """Searches that took place in a borough in the latest month of the data."""
        ss = self.stop_search
        if ss.month is None:
            return None
        counts = ss.boroughs.get(borough, {})

        def by(column: str) -> dict[str, int]:
            return dict(counts.get(column, {}))

        return StopSearchSummary(
            borough=borough,
            month=ss.month,
            total=ss.totals.get(borough, 0),
            source=ss.source,
            complete=ss.source != "api",
            by_type=by("type"),
            by_object=by("object_of_search"),
            by_legislation=by("legislation"),
            by_outcome=by("outcome"),
            by_age=by("age_range"),
            by_officer_ethnicity=by("officer_ethnicity"),
            by_self_ethnicity=by("self_ethnicity"),
            by_gender=by("gender"),
            no_location=ss.no_location,
        )

    # -- taser --------------------------------------------------------------------------------

    @memo(64)
    def taser_history(self, borough: str | None = None) -> tuple[TaserSummary, ...]:
        """Every period's taser figures for the borough if published, else for the force;
        latest first."""
        area = [r for r in self.taser if r.area_type == "borough" and r.area_name == borough]
        if not area:
            area = [r for r in self.taser if r.area_type == "force"]
        periods: dict[tuple[str, str], list[TaserRow]] = {}  # in order of first appearance
        for r in area:
            periods.setdefault((r.period_start, r.period_end), []).append(r)
        out = []
        for (start, end), rows in periods.items():
            first = rows[0]
            subjects = [r.subjects for r in rows]
            out.append(TaserSummary(
                area_type=first.area_type,
                name=first.area_name,
                period_start=start,
                period_end=end,
                period_label=first.period_label,
                by_type={r.deployment_type: r.deployments for r in rows},
                deployments=sum(r.deployments for r in rows),
                subjects=None if None in subjects else sum(s or 0 for s in subjects),
                published=next((r.published for r in rows if r.published), None),
            ))
        return tuple(sorted(out, key=lambda s: (s.period_end, s.period_start), reverse=True))

    def taser_summary(self, borough: str | None = None) -> TaserSummary | None:
        """The latest taser figures for the borough if published, else for the whole force."""
        history = self.taser_history(borough)
        return history[0] if history else None
