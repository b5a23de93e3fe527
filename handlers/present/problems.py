"""The message for every answer that is not figures: a mistyped or unknown postcode, a
district, a place outside the Met, a choice to make."""

from __future__ import annotations

from datastore.query.figures import month_name
from datastore.query.lookup import Resolution
from datastore.query.places import Candidate
from handlers.present import places_text, texts
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
        if res.invalid_kind == "name" and res.asked is not None:
            return texts.UNKNOWN_PLACE.format(name=esc(res.asked.name))
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
    if res.status == "no_district":
        return places_text.no_district(res)
    if res.status == "outside_met":
        if (said := places_text.outside_place(res)) is not None:
            return said
        if res.unchecked:
            return places_text.outside_unchecked(res)
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
        return f"{pc} {base}{places_text.did_you_mean(res.candidates)}{wards}"
    if not res.postcode and res.asked is not None:  # a name postcodes.io could not be asked
        return places_text.unreachable_place(res)
    return f"{pc} {texts.UNAVAILABLE}"


def candidate_label(c: Candidate, share: float | None = None) -> str:
    """A place offered to choose, in words (`places_text.candidate_label`)."""
    return places_text.candidate_label(c, share)


def labels(res: Resolution) -> list[str]:
    """Each choice's label, a ward offered for a place it is part of with its share."""
    shares = list(res.shares) + [None] * (len(res.candidates) - len(res.shares))
    return [candidate_label(c, s) for c, s in zip(res.candidates, shares, strict=True)]


def choose_message(res: Resolution) -> str:
    """A near-miss, an ambiguous name, a guess or a place across wards: what was
    understood, the choices as buttons."""
    return places_text.choose_head(res) + "\n" + "\n".join(f"• {esc(label)}"
                                                            for label in labels(res))
