"""The JSON contract of `wardwatch ask --json`, and the stop-and-search and taser sections
the downloads share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datastore.query.figures import month_label, months_between
from datastore.query.freshness import Freshness
from datastore.query.lookup import Answer
from datastore.query.models import StopSearchSummary, TaserSummary
from handlers.present import age, texts
from handlers.present.blocks import STOP_SEARCH_SOURCES
from handlers.present.report import answer_html
from handlers.present.words import strip_html


def _month(m: int | None) -> str | None:
    return month_label(m) if m is not None else None


def answer_json(answer: Answer, message: str) -> dict[str, Any]:
    """The JSON contract of `wardwatch ask --json`: every figure with its period, its age on
    the day the answer was made (`as_of`), its source files and the basis it is made on, so
    it can be checked."""
    res = answer.resolution
    f = answer.freshness
    out: dict[str, Any] = {"query": res.query, "status": res.status, "message": message}
    if f is not None:
        out["as_of"] = f.today.isoformat()
    place = res.place
    borough = res.status == "ok" and res.area == "borough"
    if res.status == "compare":
        out["parts"] = [answer_json(p, strip_html(answer_html(p))) for p in answer.parts]
        out["left_out"] = list(res.left_out)  # places named beyond the four compared
        return out
    if res.asked is not None:  # a neighbourhood, station or street: what was asked
        out["asked"] = {"name": res.asked.name, "kind": res.asked.kind,
                        "share": res.asked.share}
    if res.status != "ok" or (place is None and not borough):
        if res.postcode:
            out["postcode"] = res.postcode
        if res.candidates:
            shares = list(res.shares) + [None] * (len(res.candidates) - len(res.shares))
            out["candidates"] = [{"kind": c.kind, "code": c.code, "name": c.name,
                                  "borough": c.borough_name}
                                 | ({"detail": c.detail} if c.detail else {})
                                 | ({"share": round(s, 3)} if s is not None else {})
                                 for c, s in zip(res.candidates, shares, strict=True)]
        if res.status == "no_district":
            out["outcode"] = res.outcode
            out["reason"] = res.reason
        if res.status == "outcode":
            out["outcode"] = res.outcode
            out["wards"] = [{"code": w.ward_code, "name": w.ward_name, "borough": w.lad_name}
                            for w in res.district_wards]
        if res.status == "terminated" and res.terminated:
            out["terminated"] = {"year": res.terminated[0], "month": res.terminated[1]}
        if res.status == "outside_met":
            out["outside"] = res.outside
            if res.outside == "elsewhere" and res.asked is None:
                out["district_checked"] = not res.unchecked
        return out
    out["area"] = res.area
    if borough:
        out["borough"] = {"code": res.borough_code, "name": res.borough_name}
    elif place is not None:
        if place.postcode:
            out["postcode"] = place.postcode
        out["ward"] = {"code": place.ward_code, "name": place.ward_name}
        out["borough"] = {"code": place.lad_code, "name": place.lad_name}
    crime_kind, population_kind = (("borough_crime", "borough_population") if borough
                                   else ("ward_crime", "ward_population"))
    crime, rate = answer.crime, answer.rate
    month = crime.month if crime is not None else None
    if crime is not None:
        c: dict[str, Any] = {
            "month": month_label(crime.month),
            "total": crime.total,
            "previous_month": ({"month": month_label(crime.previous.month),
                                "total": crime.previous.total} if crime.previous else None),
            "by_major": dict(crime.by_major),
            "by_minor": {k: dict(v) for k, v in crime.by_minor.items()},
            "source": list(answer.sources.get(crime_kind, ())),
            "basis": texts.BOROUGH_CRIME_BASIS if borough else texts.WARD_CRIME_BASIS,
            **age.age_json(crime.month, f),
        }
        if rate is not None:
            c.update({
                "last_12_months": {"from": month_label(rate.first_month),
                                   "to": month_label(rate.last_month), "total": rate.total},
                "population": rate.population,
                "population_source": list(answer.sources.get(population_kind, ())),
                "population_basis": texts.RESIDENTS_BASIS,
                "population_period": month_label(age.CENSUS_MONTH),
                **{f"population_{k}": v for k, v in age.age_json(age.CENSUS_MONTH, f).items()
                   if k != "as_of"},
                "rate_per_1000": rate.rate,
                "london_rate_per_1000": rate.london_rate,
                "london_total": rate.london_total,
                "london_population": rate.london_population,
                "london_basis": (texts.BOROUGH_LONDON_BASIS if borough
                                 else texts.WARD_LONDON_BASIS),
                "ratio": rate.ratio,
                "band": rate.band,
                "rank": rate.rank,
                "of": rate.of,
            })
        if borough and answer.ward_month is not None:
            c["ward_figures_month"] = month_label(answer.ward_month)
        out["crime"] = c
    if f is not None:
        out["freshness"] = {
            "latest_month": _month(f.latest_month), "stale": f.stale, "behind": f.behind,
            "following": f.following, "unchecked": f.unchecked,
            "last_checked": f.last_checked.isoformat() if f.last_checked else None,
            "statement": age.statement(f, month),
        }
    out["stop_search"] = stop_search_json(answer.stop_search, f, month,
                                          answer.sources.get("stop_search", ()))
    out["taser"] = taser_json(answer.taser, f, month, answer.sources.get("taser", ()))
    return out


def stop_search_json(ss: StopSearchSummary | None, f: Freshness | None,
                     crime_month: int | None = None,
                     files: Sequence[str] = ()) -> dict[str, Any] | None:
    """A borough's stop-and-search summary as JSON-ready data (`ask --json`, exports), with
    its age on the answer's day.  `total` counts the records the source holds: with
    `complete` false they are a sample (`total_is`), never the number of searches."""
    if ss is None:
        return None
    out: dict[str, Any] = {
        "borough": ss.borough, "month": month_label(ss.month), "total": ss.total,
        "total_is": "searches" if ss.complete else texts.SAMPLE_RECORDS,
        "complete": ss.complete, "source": STOP_SEARCH_SOURCES[ss.source],
        "by_type": dict(ss.by_type), "by_object": dict(ss.by_object),
        "by_outcome": dict(ss.by_outcome), "by_age": dict(ss.by_age),
        "by_officer_ethnicity": dict(ss.by_officer_ethnicity),
        "by_legislation": dict(ss.by_legislation),
        "by_self_ethnicity": dict(ss.by_self_ethnicity), "by_gender": dict(ss.by_gender),
        "no_location": ss.no_location,
        "basis": texts.STOP_SEARCH_NOTE,
        **age.age_json(ss.month, f),
    }
    if not ss.complete:
        out["caveat"] = texts.STOP_SEARCH_PARTIAL
    if files:
        out["files"] = list(files)
    if crime_month is not None:
        out["months_before_crime_figures"] = months_between(ss.month, crime_month)
    return out


def taser_json(t: TaserSummary | None, f: Freshness | None, crime_month: int | None = None,
               files: Sequence[str] = ()) -> dict[str, Any] | None:
    """Taser figures as JSON-ready data (`ask --json`, exports), with their age on the
    answer's day."""
    if t is None:
        return None
    out: dict[str, Any] = {
        "area": t.area_type, "name": t.name, "period": t.period_label,
        "period_start": t.period_start, "period_end": t.period_end,
        "by_type": dict(t.by_type), "deployments": t.deployments, "subjects": t.subjects,
        "source": (texts.TASER_FORCE_SOURCE if t.area_type == "force"
                   else texts.TASER_BOROUGH_SOURCE),
        **age.age_json(age.end_month(t.period_end), f),
    }
    if files:
        out["files"] = list(files)
    if crime_month is not None:
        out["months_before_crime_figures"] = months_between(
            age.end_month(t.period_end), crime_month)
    return out
