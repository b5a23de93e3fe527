"""The statement of age: how old each figure is on the day an answer is made, in words a
resident reads at a glance.  Every surface states age through this module and nowhere else:
the first answer and its views, the borough answer, comparisons, digests, /subscribe and
/subscriptions, /start, /help, /about, inline answers, captions, the line drawn on every chart
and map, and the downloads (CSV, XLSX, JSON).

A figure's age is the whole months from the end of its period to the day the answer was made
(`Freshness.now`, carried with the answer; datastore/query/freshness.py): on 7 December 2026,
"Figures to March 2026, 8 months old"; "stop and search: April 2025, 19 months old"; "taser:
April 2019 to March 2020, over 6 years old".  The words are plain text (no HTML), so a picture,
a CSV cell and a JSON string can carry them as they are.
"""

from __future__ import annotations

from typing import Any, Final

from datastore.query.figures import month_name
from datastore.query.freshness import Freshness
from datastore.query.models import TaserSummary
from handlers.present.words import day

# Census 2021 counted usual residents on 21 March 2021: the residents figures' period.
CENSUS_MONTH: Final = 202103
CENSUS_PERIOD: Final = "Census of March 2021"


def age_words(months: int) -> str:
    """An age in words: 'under a month old', '8 months old', '19 months old', '2 years old',
    'over 6 years old'."""
    if months < 1:
        return "under a month old"
    if months == 1:
        return "1 month old"
    if months < 24:
        return f"{months} months old"
    years, rest = divmod(months, 12)
    return f"{'over ' if rest else ''}{years} years old"


def aged(period: str, end_month: int, fresh: Freshness | None) -> str:
    """A period with its age on the answer's day: 'April 2025, 19 months old' (the period
    alone when no day is known)."""
    if fresh is None:
        return period
    return f"{period}, {age_words(fresh.age(end_month))}"


def end_month(period_end: str) -> int:
    """A period's last month as YYYYMM ("2020-03" -> 202003)."""
    return int(period_end.replace("-", ""))


def taser_aged(t: TaserSummary, fresh: Freshness | None) -> str:
    """'April 2019 to March 2020, over 6 years old'."""
    return aged(t.period_label, end_month(t.period_end), fresh)


def month_aged(month: int, fresh: Freshness | None) -> str:
    """'March 2026, 8 months old'."""
    return aged(month_name(month), month, fresh)


def headline(fresh: Freshness | None, month: int | None = None) -> str:
    """'Figures to March 2026, 8 months old': the crime figures' month (default the one the
    answer's freshness was judged on) and its age."""
    month = month if month is not None else (fresh.latest_month if fresh else None)
    if month is None:
        return "No crime figures are loaded"
    return f"Figures to {month_aged(month, fresh)}"


def newer_note(fresh: Freshness | None, *, short: bool = False) -> str | None:
    """When newer figures exist than the ones shown, say so plainly and when the publishers
    were last reached; None while the figures are current."""
    if fresh is None or not fresh.stale:
        return None
    since = "" if short else " since"
    if fresh.behind:
        note = f"Newer figures have been published{since}"
        if not short:
            note += " (the Met publishes each month within about five weeks of its end)"
    else:  # current, but a publisher has not been reached for days: it may have published
        note = f"Newer figures may have been published{since}"
    if fresh.last_checked is not None:
        late = ", over three days ago" if fresh.unchecked and not fresh.behind else ""
        reached = day(fresh.last_checked) + late
        return (f"{note}; publishers last reached {reached}." if short
                else f"{note}: the publishers were last reached on {reached}.")
    if fresh.following:
        return f"{note}: the publishers have not been reached yet."
    return f"{note}: this copy has not reached the publishers."


def statement(fresh: Freshness | None, month: int | None = None, *,
              short: bool = False) -> str:
    """The statement of age of an answer's crime figures, in one or two sentences: short
    while current ('Figures to March 2026, under a month old.'); when stale, a warning that
    newer figures have been published and when the publishers were last reached."""
    text = headline(fresh, month) + "."
    note = newer_note(fresh, short=short)
    return text if note is None else f"{text} ⚠️ {note}"


def statement_of_places(fresh: Freshness | None, places: list[tuple[str, int]]) -> str:
    """A comparison's statement of age: one month for all the places ('Figures to March
    2026, 8 months old.'), or each place's when they differ; then the warning, if any."""
    months = {month for _name, month in places}
    if len(months) <= 1:
        return statement(fresh, next(iter(months), None))
    text = "; ".join(f"{name}: figures to {month_aged(month, fresh)}" for name, month in places)
    note = newer_note(fresh)
    return f"{text}." if note is None else f"{text}. ⚠️ {note}"


def residents(fresh: Freshness | None, *, short: bool = False) -> str:
    """The residents figures' period and age: 'Census of March 2021, over 5 years old'
    ('Census 2021, …' in a short answer)."""
    return aged("Census 2021" if short else CENSUS_PERIOD, CENSUS_MONTH, fresh)


def made_on(fresh: Freshness) -> str:
    """'as of 7 December 2026': the day the ages are stated against."""
    return f"as of {day(fresh.today)}"


def picture_line(fresh: Freshness, month: int) -> str:
    """The line drawn on a chart or map, so a forwarded picture still says how old it is:
    'Figures to March 2026, 8 months old as of 7 December 2026. Newer figures have been
    published since …'."""
    text = f"{headline(fresh, month)} {made_on(fresh)}."
    note = newer_note(fresh, short=True)
    return text if note is None else f"{text} {note}"


def age_json(end_month: int, fresh: Freshness | None) -> dict[str, Any]:
    """A JSON section's age: whole months on the day the answer was made, and that day."""
    if fresh is None:
        return {}
    months = fresh.age(end_month)
    return {"age_months": months, "age": age_words(months), "as_of": fresh.today.isoformat()}
