"""/start, /help and /about: the bot's fixed words (texts.py) with how old the figures it holds
are on the day they are read."""

from __future__ import annotations

from datastore.query.freshness import Freshness
from datastore.query.models import Periods
from handlers.present import age, texts
from handlers.present.words import day, esc


def _age(f: Freshness | None) -> str:
    return f"<i>{esc(age.statement(f, short=True))}</i>"


def start_html(f: Freshness | None, *, group: bool = False) -> str:
    """/start (a group's, or a private chat's): what the bot does, and how old its figures
    are."""
    return (texts.GROUP_START if group else texts.START).format(age=_age(f))


def help_html(f: Freshness | None, *, group: bool = False) -> str:
    """/help (a group's, or a private chat's), ending with how old the figures are."""
    return (texts.GROUP_HELP if group else texts.HELP).format(age=_age(f))


def ages_html(periods: Periods, f: Freshness | None) -> str:
    """Every kind of figure held, with its period and its age on the day: /about's list."""
    items = []
    if periods.ward_month is not None:
        items.append(f"ward crime: {age.month_aged(periods.ward_month, f)}")
    if periods.borough_month is not None:
        items.append(f"borough crime: {age.month_aged(periods.borough_month, f)}")
    if periods.stop_search_month is not None:
        sample = "" if periods.stop_search_complete else " (police.uk's partial sample)"
        items.append(f"stop and search{sample}: {age.month_aged(periods.stop_search_month, f)}")
    t = periods.taser
    if t is not None:
        where = "whole Met" if t.area_type == "force" else "by borough"
        items.append(f"taser ({where}): {age.taser_aged(t, f)}")
    items.append(f"residents: {age.residents(f)}")
    when = f" on {day(f.today)}" if f is not None else ""
    text = f"<b>How old the figures are</b>{when}: " + esc("; ".join(items)) + "."
    if note := age.newer_note(f):
        text += f"\n⚠️ <i>{esc(note)}</i>"
    return text


def about_html(periods: Periods, f: Freshness | None) -> str:
    """/about: sources, how old each figure is, limits and what is stored."""
    return texts.ABOUT.format(ages=ages_html(periods, f))
