"""Pure renderers: an Answer (dataclasses) in, escaped Telegram HTML or JSON-ready data out."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

from datastore.query.figures import month_label, month_name, months_between
from datastore.query.freshness import Freshness
from datastore.query.lookup import Answer, Resolution
from datastore.query.models import (
    AreaMonth,
    AreaRate,
    BoroughRate,
    StopSearchSummary,
    TaserSummary,
    WardMonth,
    WardRate,
)
from datastore.query.places import Candidate
from handlers import texts
from handlers.names import display

TELEGRAM_LIMIT: Final = 4096

TASER_LABELS: Final = {
    "drawn": "drawn", "aimed": "aimed", "red_dot": "red dot", "arced": "arced",
    "fired": "fired", "drive_stun": "drive stun", "angled_drive_stun": "angled drive stun",
    "not_stated": "kind not stated",
}

def esc(value: object) -> str:
    """Escape any data string for Telegram HTML."""
    return html.escape(str(value), quote=False)


def n(value: int) -> str:
    """A count with thousands separators."""
    return f"{value:,}"


def category(name: str) -> str:
    """A crime category as the bot shows it (handlers/names.py: the one table of display
    names); kept under this name for the renderers that call it."""
    return display(name)


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{n(count)} {one if count == 1 else (many or one + 's')}"


def _counts(items: Mapping[str, int], limit: int = 5, label: Any = None) -> str:
    shown = list(items.items())[:limit]
    parts = [f"{esc(label(k) if label else k)} {n(v)}" for k, v in shown]
    rest = sum(v for _, v in list(items.items())[limit:])
    if rest:
        parts.append(f"others {n(rest)}")
    return "; ".join(parts)


def change_phrase(now: int, before: int) -> str:
    """'up 5', 'down 3' or 'no change'."""
    if now > before:
        return f"up {n(now - before)}"
    if now < before:
        return f"down {n(before - now)}"
    return "no change"


@lru_cache(maxsize=4096)
def crime_block(crime: AreaMonth) -> tuple[str, ...]:
    lines: list[str] = [f"<b>Crime recorded in {month_name(crime.month)}</b>: {n(crime.total)}"]
    if crime.previous is not None:
        lines[0] += (f" ({change_phrase(crime.total, crime.previous.total)} on "
                     f"{month_name(crime.previous.month)}: {n(crime.previous.total)})")
    for major, count in crime.by_major.items():
        lines.append(f"• {esc(category(major))}: {n(count)}")
    return tuple(lines)


def minor_block(crime: AreaMonth) -> list[str]:
    """Every minor type, under its major type."""
    lines = [f"<b>Crime by type, {month_name(crime.month)}</b>: {n(crime.total)}"]
    for major, minors in crime.by_minor.items():
        lines.append(f"<b>{esc(category(major))}</b>: {n(sum(minors.values()))}")
        lines += [f"  • {esc(category(minor))}: {n(c)}" for minor, c in minors.items()]
    return lines


def _ratio(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


@lru_cache(maxsize=4096)
def rate_block(rate: AreaRate) -> tuple[str, ...]:
    """The 12-month rate against London, saying on what basis each figure is made."""
    borough = isinstance(rate, BoroughRate)
    this = esc(rate.borough_name) if isinstance(rate, BoroughRate) else "This ward"
    areas = "boroughs" if borough else "Met wards"
    lines = [
        f"<b>Last 12 months</b> ({month_name(rate.first_month)} to {month_name(rate.last_month)}): "
        f"{plural(rate.total, 'crime')}, {rate.rate:,.1f} per 1,000 residents "
        f"({n(rate.population)} residents, Census 2021).",
        f"London average ({texts.BOROUGH_LONDON_BASIS if borough else texts.WARD_LONDON_BASIS}): "
        f"{rate.london_rate:,.1f} per 1,000. {this} is {_ratio(rate.ratio)} times the average: "
        f"<b>{rate.band} the London average</b>. Rank {n(rate.rank)} of {n(rate.of)} {areas} "
        "(1 = highest rate).",
        f"<i>{texts.BOROUGH_RATE_NOTE if borough else texts.WARD_RATE_NOTE}</i>",
    ]
    if rate.band == "well above":
        lines.append(f"<i>{texts.BUSY_PLACE_NOTE}</i>")
    return tuple(lines)


_NUMBER_WORDS: Final = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight",
                        "nine", "ten", "eleven", "twelve")


def age_phrase(months: int) -> str:
    """How long ago, in words: '5 months', 'a year', 'over a year', 'over six years'."""
    if months < 12:
        return plural(months, "month")
    if months == 12:
        return "a year"
    years = months // 12
    if years == 1:
        return "over a year"
    words = _NUMBER_WORDS[years] if years < len(_NUMBER_WORDS) else n(years)
    return f"{'' if months % 12 == 0 else 'over '}{words} years"


def behind(month: int, crime_month: int | None) -> str:
    """' (11 months older than the crime figures)' when a figure trails the crime month by
    FRESH_MONTHS or more, else ''."""
    if crime_month is None:
        return ""
    lag = months_between(month, crime_month)
    if lag < texts.FRESH_MONTHS:
        return ""
    return f" ({age_phrase(lag)} older than the crime figures)"


def _shares(items: Mapping[str, int], total: int, limit: int = 5) -> str:
    """Each category's share of the searches, largest first: 'Person search 81%; …'."""
    if total <= 0:
        return ""
    shown = list(items.items())[:limit]
    parts = [f"{esc(display(k))} {_percent(v, total)}" for k, v in shown]
    rest = sum(v for _, v in list(items.items())[limit:])
    if rest:
        parts.append(f"others {_percent(rest, total)}")
    return "; ".join(parts)


def _percent(part: int, total: int) -> str:
    share = part / total * 100
    return "under 1%" if 0 < share < 0.5 else f"{share:.0f}%"


@lru_cache(maxsize=1024)
def stop_search_block(ss: StopSearchSummary, crime_month: int | None = None,
                      detail: bool = False) -> tuple[str, ...]:
    """Shares first; a count only where the source is complete (the police.uk API's records
    are a sample of the Met's searches, not their number)."""
    when = f"{month_name(ss.month)}{behind(ss.month, crime_month)}"
    if ss.complete:
        what = plural(ss.total, "search", "searches")
    else:
        what = f"shares of {plural(ss.total, 'record')} in police.uk's open API"
    head = f"<b>Stop and search in {esc(ss.borough)}, {when}</b>: {what}"
    if ss.total == 0:
        lines = [head + "."]
    else:
        limit = 10 if detail else 3

        def line(label: str, items: Mapping[str, int], size: int = limit) -> str:
            return f"{label}: {_shares(items, ss.total, size)}"

        lines = [head]
        if any(ss.by_type) and set(ss.by_type) != {"Not stated"}:
            lines.append(line("Type", ss.by_type))
        lines += [
            line("Looking for", ss.by_object),
            line("Outcome", ss.by_outcome),
            line("Age", ss.by_age, limit if detail else 5),
            line("Officer-defined ethnicity", ss.by_officer_ethnicity, limit if detail else 5),
        ]
        if detail:
            lines += [
                line("Law used", ss.by_legislation),
                line("Self-defined ethnicity", ss.by_self_ethnicity),
                line("Gender", ss.by_gender),
            ]
    notes = [] if ss.complete else [texts.STOP_SEARCH_PARTIAL]
    notes.append(texts.STOP_SEARCH_NOTE)
    if ss.borough in texts.CENTRAL_BOROUGHS:
        notes.append(texts.CENTRAL_ETHNICITY_NOTE)
    if ss.no_location:
        noun = ("search", "searches") if ss.complete else ("record", "records")
        notes.append(f"{plural(ss.no_location, *noun)} across the Met that month had no "
                     "location, so they are in no borough's figures.")
    lines.append(f"<i>{' '.join(notes)}</i>")
    return tuple(lines)


@lru_cache(maxsize=4096)
def taser_block(t: TaserSummary, crime_month: int | None = None) -> tuple[str, ...]:
    where = esc(t.name) if t.area_type == "force" else f"{esc(t.name)} borough"
    kinds = "; ".join(f"{TASER_LABELS.get(k, esc(k))} {n(v)}" for k, v in t.by_type.items())
    subjects = (f"{plural(t.subjects, 'person', 'people')} subject to it"
                if t.subjects is not None
                else "the number of people subject to it is not published")
    end = int(t.period_end.replace("-", ""))
    lines = [
        f"<b>Taser use, {where}, {esc(t.period_label)}{behind(end, crime_month)}</b>: "
        f"{plural(t.deployments, 'deployment')} ({kinds}); {subjects}.",
    ]
    notes = [texts.TASER_COUNTING_NOTE]
    if t.area_type == "force":
        notes.insert(0, texts.TASER_FORCE_NOTE)
    lines.append(f"<i>{' '.join(notes)}</i>")
    return tuple(lines)


def _wards_list(res: Resolution, limit: int = 8) -> str:
    items = [f"{esc(w.ward_name)} ({esc(w.lad_name)})" for w in res.district_wards[:limit]]
    more = len(res.district_wards) - limit
    if more > 0:
        items.append(f"and {more} more")
    return ", ".join(items)


def problem_message(res: Resolution) -> str:
    """The message for every status but `ok`."""
    pc = f"<b>{esc(res.postcode or res.outcode or '')}</b>"
    if res.status == "invalid":
        if res.invalid_kind == "other":
            return texts.NOT_A_PLACE
        return texts.POSTCODE_SHAPE if res.invalid_kind == "postcode" else texts.INVALID
    if res.status == "choose":
        return choose_message(res)
    if res.status == "compare":
        return texts.COMPARE_NEEDS_TWO
    if res.status == "outcode":
        count = len(res.district_wards)
        return (f"<b>{esc(res.outcode)}</b> is a postcode district covering "
                f"{plural(count, 'ward')}: {_wards_list(res)}. Send your full postcode"
                + (f", for example <code>{esc(res.example)}</code>," if res.example else "")
                + " and I'll find your ward.")
    if res.status == "outside_met":
        if res.outside == "city":
            if res.postcode or res.outcode:
                return f"{pc} {texts.CITY_OF_LONDON}"
            if "city of london" in res.query.casefold():  # the City itself, by name
                return f"The City of London {texts.CITY_OF_LONDON_ITSELF}"
            return f"<b>{esc(res.query)}</b> {texts.CITY_OF_LONDON}"  # one of its wards
        area = ""
        if res.outside_area:
            area = f" It is in {esc(res.outside_area)}"
            area += f", policed by {esc(res.outside_force)}." if res.outside_force else "."
        return f"{pc} {texts.OUTSIDE_LONDON}{area}"
    if res.status == "terminated":
        when = ""
        if res.terminated:
            year, month = res.terminated
            when = f" in {month_name(year * 100 + month)}" if month else f" in {year}"
        wards = f" Wards in {esc(res.outcode)}: {_wards_list(res)}." if res.district_wards else ""
        return f"{pc} {texts.TERMINATED}{when}. Try a current postcode nearby.{wards}"
    if res.status == "not_found":
        base = texts.NOT_FOUND if res.via_postcodes_io else texts.NOT_FOUND_OFFLINE
        wards = (f" Wards in {esc(res.outcode)} include {_wards_list(res, 6)}."
                 if res.district_wards else "")
        close = ""
        if res.candidates:
            close = " Did you mean " + " or ".join(
                f"<b>{esc(c.code)}</b> ({esc(c.name)})" if c.name else f"<b>{esc(c.code)}</b>"
                for c in res.candidates) + "?"
        return f"{pc} {base}{close}{wards}"
    return f"{pc} {texts.UNAVAILABLE}"


def candidate_label(c: Candidate) -> str:
    """A place offered to choose, in words: "E8 1DY (Hackney Central)", "Hackney (borough)",
    "Hackney Central (ward, Hackney)"."""
    if c.kind == "postcode":
        return f"{c.code} ({c.name})" if c.name else c.code
    if c.kind == "borough":
        return f"{c.name} (borough)"
    return f"{c.name} (ward, {c.borough_name})"


def choose_message(res: Resolution) -> str:
    """A near-miss or an ambiguous name: what was understood, the choices as buttons."""
    head = texts.CHOOSE_NEAR_MISS if res.choose_reason == "near_miss" else texts.CHOOSE_AMBIGUOUS
    return head + "\n" + "\n".join(f"• {esc(candidate_label(c))}" for c in res.candidates)


def _day(when: datetime) -> str:
    return f"{when.day} {when.strftime('%B %Y')}"


def freshness_line(f: Freshness | None) -> str | None:
    """A plain warning when newer figures may exist than the ones shown, else None."""
    if f is None or not f.stale:
        return None
    parts = []
    if f.behind and f.latest_month is not None:
        parts.append(f"Newer figures may exist: these run to {month_name(f.latest_month)}, and "
                     "the Met publishes each month within about five weeks of its end.")
    elif f.unchecked:
        parts.append("Newer figures may exist.")
    if f.following:
        if f.last_checked is None:
            parts.append("The publishers have not been reached yet.")
        else:
            parts.append(f"The publishers were last reached on {_day(f.last_checked)}"
                         + (", over three days ago." if f.unchecked else "."))
    return "⚠️ <i>" + " ".join(parts) + "</i>"


def answer_html(answer: Answer) -> str:
    """The whole reply to a postcode or a borough, as Telegram HTML under 4,096 characters."""
    res = answer.resolution
    if res.status == "ok" and res.area == "borough":
        return borough_html(answer)
    if res.status == "compare":
        return compare_html(answer)
    place = res.place
    if res.status != "ok" or place is None:
        return problem_message(res)
    header = (f"<b>{esc(place.postcode)}</b> is in <b>{esc(place.ward_name)}</b> ward, "
              f"{esc(place.lad_name)}." if place.postcode else
              f"<b>{esc(place.ward_name)}</b> ward, {esc(place.lad_name)}.")
    if answer.ward_borough and answer.ward_borough != place.lad_name:
        header += f" The Met files this ward's crime under {esc(answer.ward_borough)}."
    month = answer.crime.month if answer.crime else None
    sections: list[Sequence[str]] = [[header]]
    if fresh := freshness_line(answer.freshness):
        sections.append([fresh])
    if answer.crime:
        sections.append(crime_block(answer.crime))
    if answer.rate:
        sections.append(rate_block(answer.rate))
    elif answer.crime:
        sections.append([f"<i>{texts.NO_RATE}</i>"])
    if answer.stop_search:
        sections.append(stop_search_block(answer.stop_search, month))
    if answer.taser:
        sections.append(taser_block(answer.taser, month))
    sections.append([f"<i>{texts.ATTRIBUTION}</i>"])
    return fit("\n\n".join("\n".join(s) for s in sections))


def borough_html(answer: Answer) -> str:
    """A whole borough's figures, from the Met's borough extract."""
    res = answer.resolution
    crime = answer.crime
    sections: list[Sequence[str]] = [[
        f"<b>{esc(res.borough_name)}</b>: the whole borough, from the Met's borough figures."]]
    if fresh := freshness_line(answer.freshness):
        sections.append([fresh])
    if crime is None:
        sections.append([texts.NO_BOROUGH_CRIME])
    else:
        sections.append(crime_block(crime))
        if answer.ward_month is not None and crime.month != answer.ward_month:
            later = "later" if crime.month > answer.ward_month else "earlier"
            sections.append([f"<i>The borough figures run to {month_name(crime.month)}, "
                             f"{later} than the ward figures (to "
                             f"{month_name(answer.ward_month)}): the Met publishes them "
                             f"separately. {texts.BOROUGH_FILE_NOTE}</i>"])
    if answer.rate:
        sections.append(rate_block(answer.rate))
    month = crime.month if crime else None
    if answer.stop_search:
        sections.append(stop_search_block(answer.stop_search, month))
    if answer.taser:
        sections.append(taser_block(answer.taser, month))
    sections.append([f"<i>{texts.ATTRIBUTION}</i>"])
    return fit("\n\n".join("\n".join(s) for s in sections))


def area_name(answer: Answer) -> str:
    """The name of the area an `ok` answer is about: "Hackney Central (Hackney)", "Hackney"."""
    res = answer.resolution
    if res.area == "borough":
        return res.borough_name or ""
    place = res.place
    return f"{place.ward_name} ({place.lad_name})" if place else ""


def _per_1000(count: int, population: int) -> float:
    return count * 1000 / population if population else 0.0


def compare_html(answer: Answer) -> str:
    """Two places side by side: latest month, 12-month rate, band, and the crime types in
    which they differ most per 1,000 residents."""
    parts = answer.parts
    if len(parts) != 2 or any(p.status != "ok" for p in parts):
        lines = [texts.COMPARE_NEEDS_TWO]
        for p in parts:
            what = f"<b>{esc(p.resolution.query)}</b>: "
            lines.append("• " + (what + esc(area_name(p)) if p.status == "ok"
                                 else what + problem_message(p.resolution)))
        return fit("\n".join(lines))
    a, b = parts
    lines = [f"<b>{esc(area_name(a))}</b> and <b>{esc(area_name(b))}</b>, side by side"]
    if a.area != b.area:
        lines.append(f"<i>{texts.COMPARE_MIXED_AREAS}</i>")
    for p in parts:
        line = f"<b>{esc(area_name(p))}</b>"
        if p.crime is not None:
            line += f": {n(p.crime.total)} crimes in {month_name(p.crime.month)}"
            if p.crime.previous is not None:
                line += f" ({change_phrase(p.crime.total, p.crime.previous.total)})"
        if p.rate is not None:
            line += (f"; {p.rate.rate:,.1f} per 1,000 residents over the last 12 months, "
                     f"{p.rate.band} the London average (rank {n(p.rate.rank)} of "
                     f"{n(p.rate.of)})")
        lines.append("• " + line + ".")
    ca, cb = a.crime, b.crime
    if ca and cb and a.rate and b.rate:
        pa, pb = a.rate.population, b.rate.population
        gaps = {m: (_per_1000(ca.by_major.get(m, 0), pa), _per_1000(cb.by_major.get(m, 0), pb))
                for m in set(ca.by_major) | set(cb.by_major)}
        diffs = sorted(gaps, key=lambda m: (-abs(gaps[m][0] - gaps[m][1]), m))[:3]
        when = (month_name(ca.month) if ca.month == cb.month
                else f"{month_name(ca.month)} and {month_name(cb.month)}")
        lines.append(f"<b>Largest differences</b> per 1,000 residents, {when}:")
        for m in diffs:
            lines.append(f"• {esc(category(m))}: {gaps[m][0]:,.2f} against {gaps[m][1]:,.2f}")
    lines.append(f"<i>{texts.ATTRIBUTION}</i>")
    return fit("\n".join(lines))


def fit(text: str, limit: int = TELEGRAM_LIMIT) -> str:
    """Cut text to Telegram's limit at a line boundary, keeping the HTML balanced."""
    if len(text) <= limit:
        return text
    marker = "\n…"
    lines = text.split("\n")
    while lines and len("\n".join(lines)) + len(marker) > limit:
        lines.pop()
    cut = "\n".join(lines) + marker
    return cut if len(cut) <= limit else html.escape(strip_html(text)[: limit - 1]) + "…"


_TAG = re.compile(r"<[^>]+>")


def strip_html(text: str) -> str:
    """Telegram HTML to plain text, for the terminal."""
    return html.unescape(_TAG.sub("", text))


def _month(m: int | None) -> str | None:
    return month_label(m) if m is not None else None


def answer_json(answer: Answer, message: str) -> dict[str, Any]:
    """The JSON contract of `wardwatch ask --json`: every figure with its period, its source
    files and the basis it is made on, so it can be checked."""
    res = answer.resolution
    out: dict[str, Any] = {"query": res.query, "status": res.status, "message": message}
    place = res.place
    borough = res.status == "ok" and res.area == "borough"
    if res.status == "compare":
        out["parts"] = [answer_json(p, strip_html(answer_html(p))) for p in answer.parts]
        return out
    if res.status != "ok" or (place is None and not borough):
        if res.postcode:
            out["postcode"] = res.postcode
        if res.candidates:
            out["candidates"] = [{"kind": c.kind, "code": c.code, "name": c.name,
                                  "borough": c.borough_name} for c in res.candidates]
        if res.status == "outcode":
            out["outcode"] = res.outcode
            out["wards"] = [{"code": w.ward_code, "name": w.ward_name, "borough": w.lad_name}
                            for w in res.district_wards]
        if res.status == "terminated" and res.terminated:
            out["terminated"] = {"year": res.terminated[0], "month": res.terminated[1]}
        if res.status == "outside_met":
            out["outside"] = res.outside
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
        }
        if rate is not None:
            c.update({
                "last_12_months": {"from": month_label(rate.first_month),
                                   "to": month_label(rate.last_month), "total": rate.total},
                "population": rate.population,
                "population_source": list(answer.sources.get(population_kind, ())),
                "population_basis": texts.RESIDENTS_BASIS,
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
    f = answer.freshness
    if f is not None:
        out["freshness"] = {
            "latest_month": _month(f.latest_month), "stale": f.stale, "behind": f.behind,
            "following": f.following, "unchecked": f.unchecked,
            "last_checked": f.last_checked.isoformat() if f.last_checked else None,
        }
    out["stop_search"] = stop_search_json(answer.stop_search, month,
                                          answer.sources.get("stop_search", ()))
    out["taser"] = taser_json(answer.taser, month, answer.sources.get("taser", ()))
    return out


STOP_SEARCH_SOURCES: Final = {
    "api": "police.uk open API (partial: a sample of the Met's searches)",
    "bulk": "police.uk bulk download",
    "mps": "the Met's stop and search dashboard data (London Datastore)",
}


def stop_search_json(ss: StopSearchSummary | None, crime_month: int | None = None,
                     files: Sequence[str] = ()) -> dict[str, Any] | None:
    """A borough's stop-and-search summary as JSON-ready data (`ask --json`, exports).
    `total` counts the records the source holds: with `complete` false they are a sample."""
    if ss is None:
        return None
    out: dict[str, Any] = {
        "borough": ss.borough, "month": month_label(ss.month), "total": ss.total,
        "complete": ss.complete, "source": STOP_SEARCH_SOURCES[ss.source],
        "by_type": dict(ss.by_type), "by_object": dict(ss.by_object),
        "by_outcome": dict(ss.by_outcome), "by_age": dict(ss.by_age),
        "by_officer_ethnicity": dict(ss.by_officer_ethnicity),
        "by_legislation": dict(ss.by_legislation),
        "by_self_ethnicity": dict(ss.by_self_ethnicity), "by_gender": dict(ss.by_gender),
        "no_location": ss.no_location,
        "basis": texts.STOP_SEARCH_NOTE,
    }
    if files:
        out["files"] = list(files)
    if crime_month is not None:
        out["months_before_crime_figures"] = months_between(ss.month, crime_month)
    return out


def taser_json(t: TaserSummary | None, crime_month: int | None = None,
               files: Sequence[str] = ()) -> dict[str, Any] | None:
    """Taser figures as JSON-ready data (`ask --json`, exports)."""
    if t is None:
        return None
    out: dict[str, Any] = {
        "area": t.area_type, "name": t.name, "period": t.period_label,
        "period_start": t.period_start, "period_end": t.period_end,
        "by_type": dict(t.by_type), "deployments": t.deployments, "subjects": t.subjects,
        "source": (texts.TASER_FORCE_SOURCE if t.area_type == "force"
                   else texts.TASER_BOROUGH_SOURCE),
    }
    if files:
        out["files"] = list(files)
    if crime_month is not None:
        out["months_before_crime_figures"] = months_between(
            int(t.period_end.replace("-", "")), crime_month)
    return out


def lines(items: Iterable[str]) -> str:
    return "\n".join(items)


def types_html(categories: Mapping[str, Iterable[str]]) -> str:
    """/types: the current data's major crime types, each with a plain-English line; a
    button per type gives its kinds (types_detail_html)."""
    from handlers.glossary import gloss

    out = ["<b>Crime types</b> in the current figures"]
    for major in categories:
        g = gloss(major, major=True)
        out.append(f"• <b>{esc(category(major))}</b>" + (f": {esc(g)}" if g else ""))
    out.append(f"\n<i>{texts.TYPES_FOOT}</i>")
    return fit("\n".join(out))


def types_detail_html(major: str, minors: Iterable[str]) -> str:
    """One major type's kinds: the name shown, the Met's own label, and what it means."""
    from handlers.glossary import gloss

    g = gloss(major, major=True)
    out = [f"<b>{esc(category(major))}</b>" + (f": {esc(g)}" if g else ""),
           f"<i>The Met's label: {esc(major)}</i>", ""]
    for minor in minors:
        g = gloss(minor, major=False)
        shown = category(minor)
        out.append(f"• <b>{esc(shown)}</b>" + (f": {esc(g)}" if g else "")
                   + f" <i>({esc(minor)})</i>")
    return fit("\n".join(out))


def stop_search_detail_html(ss: StopSearchSummary, crime_month: int | None = None) -> str:
    return fit("\n".join(stop_search_block(ss, crime_month, detail=True)))


def taser_detail_html(history: Iterable[TaserSummary], crime_month: int | None = None) -> str:
    items = list(history)
    if not items:
        return "No taser figures are loaded."
    out = list(taser_block(items[0], crime_month))
    out.append("Kinds of use, least to most severe: drawn; aimed; red dot (the laser sight "
               "shown on the person); arced (a spark shown as a warning); fired; drive stun "
               "(pressed against the body); angled drive stun (fired, then pressed against "
               "the body).")
    if len(items) > 1:
        out.append("<b>Earlier periods</b>")
        out += [f"• {esc(t.period_label)}: {plural(t.deployments, 'deployment')}"
                for t in items[1:]]
    return fit("\n".join(out))


def detail_sections(answer: Answer) -> list[str]:
    """What the buttons under an answer show: minor types, stop and search, taser in full."""
    out = []
    month = answer.crime.month if answer.crime is not None else None
    if answer.crime is not None:
        out.append(minor_html(answer.crime))
    if answer.stop_search is not None:
        out.append(stop_search_detail_html(answer.stop_search, month))
    if answer.taser is not None:
        out.append("\n".join(taser_block(answer.taser, month)))
    return out


def minor_html(crime: AreaMonth) -> str:
    return fit("\n".join(minor_block(crime)))


def ward_html(crime: WardMonth, rate: WardRate | None, borough: str) -> str:
    """A ward's figures without a postcode (the text under a button's picture)."""
    sections: list[Sequence[str]] = [
        [f"<b>{esc(crime.ward_name)}</b> ward, {esc(borough)}."], crime_block(crime)]
    if rate is not None:
        sections.append(rate_block(rate))
    sections.append([f"<i>{texts.ATTRIBUTION}</i>"])
    return fit("\n\n".join("\n".join(s) for s in sections))


# -- the short first answer and the views its buttons show in its place ----------------------

SUMMARY_LIMIT: Final = 900  # one phone screen


def _short_freshness(f: Freshness | None) -> str | None:
    """One line when newer figures may exist; the full wording is under Sources and limits."""
    if f is None or not f.stale:
        return None
    if f.behind and f.latest_month is not None:
        return f"⚠️ <i>These run to {month_name(f.latest_month)}; newer figures may exist.</i>"
    if f.following and f.last_checked is not None:
        return f"⚠️ <i>Newer figures may exist: publishers last reached {_day(f.last_checked)}.</i>"
    return "⚠️ <i>Newer figures may exist.</i>"


def month_line(crime: AreaMonth) -> str:
    """The latest month's total and its change, in one line."""
    line = f"<b>{month_name(crime.month)}</b>: {plural(crime.total, 'crime')} recorded"
    if crime.previous is not None:
        before = month_name(crime.previous.month).split()[0]
        line += (f", {change_phrase(crime.total, crime.previous.total)} on {before} "
                 f"({n(crime.previous.total)})")
    return line + "."


def _rate_line(rate: AreaRate) -> str:
    areas = "boroughs" if isinstance(rate, BoroughRate) else "wards"
    line = (f"<b>12 months to {month_name(rate.last_month)}</b>: {rate.rate:,.1f} per 1,000 "
            f"residents, {_ratio(rate.ratio)}× London's {rate.london_rate:,.1f}: "
            f"<b>{rate.band} the London average</b>, rank {n(rate.rank)} of {n(rate.of)} "
            f"{areas} (1 = highest).")
    if rate.band == "well above":
        line += f"\n<i>{texts.BUSY_PLACE_SHORT}</i>"
    return line


def _lag(month: int, crime_month: int | None) -> str:
    if crime_month is None or months_between(month, crime_month) < texts.FRESH_MONTHS:
        return ""
    return f" ({age_phrase(months_between(month, crime_month))} older)"


def stop_search_line(ss: StopSearchSummary, crime_month: int | None) -> str:
    """Stop and search in one line: the borough, month, how many and the commonest outcome."""
    head = f"<b>Stop and search</b>, {esc(ss.borough)}, {month_name(ss.month)}" \
           f"{_lag(ss.month, crime_month)}: "
    if ss.complete:
        head += plural(ss.total, "search", "searches")
    else:
        head += f"a sample of {plural(ss.total, 'record')} (police.uk holds about a third)"
    if ss.total and ss.by_outcome:
        outcome, count = next(iter(ss.by_outcome.items()))
        head += f"; {_percent(count, ss.total)} {esc(display(outcome).lower())}"
    return head + "."


def taser_line(t: TaserSummary, crime_month: int | None) -> str:
    """Taser in one line: the area, period, deployments and how many were fired."""
    where = "whole Met" if t.area_type == "force" else f"{esc(t.name)} borough"
    end = int(t.period_end.replace("-", ""))
    line = (f"<b>Taser</b>, {where}, {esc(t.period_label)}{_lag(end, crime_month)}: "
            f"{plural(t.deployments, 'deployment')}")
    if "fired" in t.by_type:
        line += f", {n(t.by_type['fired'])} fired"
    return line + "."


def summary_html(answer: Answer, foot: str = texts.SUMMARY_FOOT) -> str:
    """The first answer to a postcode or a borough: one phone screen (about 900 characters);
    everything else is a button away."""
    res = answer.resolution
    place = res.place
    borough = res.status == "ok" and res.area == "borough"
    if res.status == "compare":
        return compare_html(answer)
    if res.status != "ok" or (place is None and not borough):
        return problem_message(res)
    if borough:
        head = f"<b>{esc(res.borough_name)}</b>: the whole borough (the Met's borough figures)."
        if foot == texts.SUMMARY_FOOT:
            foot = texts.BOROUGH_FOOT
    else:
        assert place is not None
        head = (f"<b>{esc(place.postcode)}</b>: " if place.postcode else "") + (
            f"<b>{esc(place.ward_name)}</b> ward, {esc(place.lad_name)}.")
    lines = [head]
    if fresh := _short_freshness(answer.freshness):
        lines.append(fresh)
    crime = answer.crime
    month = crime.month if crime is not None else None
    body: list[str] = []
    if crime is not None:
        body.append(month_line(crime))
    elif borough:
        body.append(texts.NO_BOROUGH_CRIME)
    if answer.rate is not None:
        body.append(_rate_line(answer.rate))
    elif crime is not None:
        body.append(f"<i>{texts.NO_RATE_SHORT}</i>")
    if borough and crime is not None and answer.ward_month is not None \
            and crime.month != answer.ward_month:
        body.append(f"<i>The borough figures run to {month_name(crime.month)}; the ward "
                    f"figures to {month_name(answer.ward_month)}.</i>")
    if answer.stop_search is not None:
        body.append(stop_search_line(answer.stop_search, month))
    if answer.taser is not None:
        body.append(taser_line(answer.taser, month))
    return fit("\n".join(lines) + "\n\n" + "\n".join(body) + f"\n\n<i>{foot}</i>")


def sources_html(answer: Answer) -> str:
    """Sources and limits: the basis of every figure in the summary, and how fresh it is."""
    borough = answer.resolution.area == "borough"
    out = ["<b>Sources and limits</b>"]
    if fresh := freshness_line(answer.freshness):
        out.append(fresh)
    out.append("<b>Crime</b>: " + (texts.BOROUGH_CRIME_BASIS if borough
                                   else texts.WARD_CRIME_BASIS) + ".")
    out.append("<b>Rates</b>: crimes in the last 12 months per 1,000 "
               f"{texts.RESIDENTS_BASIS}; London average: "
               f"{texts.BOROUGH_LONDON_BASIS if borough else texts.WARD_LONDON_BASIS}. "
               + (texts.BOROUGH_RATE_NOTE if borough else texts.WARD_RATE_NOTE))
    if answer.rate is not None and answer.rate.band == "well above":
        out.append(texts.BUSY_PLACE_NOTE)
    ss = answer.stop_search
    if ss is not None:
        notes = [STOP_SEARCH_SOURCES[ss.source] + "."]
        if not ss.complete:
            notes.append(texts.STOP_SEARCH_PARTIAL)
        notes.append(texts.STOP_SEARCH_NOTE)
        if ss.borough in texts.CENTRAL_BOROUGHS:
            notes.append(texts.CENTRAL_ETHNICITY_NOTE)
        out.append("<b>Stop and search</b>: " + " ".join(notes))
    t = answer.taser
    if t is not None:
        source = (texts.TASER_FORCE_SOURCE if t.area_type == "force"
                  else texts.TASER_BOROUGH_SOURCE)
        notes = [source + "."]
        if t.area_type == "force":
            notes.append(texts.TASER_FORCE_NOTE)
        notes.append(texts.TASER_COUNTING_NOTE)
        out.append("<b>Taser</b>: " + " ".join(notes))
    out.append(texts.LIMITS)
    out.append(f"<i>{texts.ATTRIBUTION}</i>")
    return fit("\n\n".join(out))
