"""The message for every answer that is not figures: a mistyped or unknown postcode, a
district, a place outside the Met, a choice to make."""

from __future__ import annotations

from datastore.query.figures import month_name
from datastore.query.lookup import Resolution
from datastore.query.places import Candidate
from handlers.present import texts
from handlers.present.words import esc, plural


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
        return f"{pc} {texts.TERMINATED}{when}. Try a postcode still in use nearby.{wards}"
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
