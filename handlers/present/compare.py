"""Places side by side (two to four), each with the caveats its own answer carries; or, while
one of them is still a choice, the question that settles it."""

from __future__ import annotations

from collections.abc import Sequence

from datastore.query.figures import month_name
from datastore.query.lookup import Answer
from datastore.query.places import ALL_IN
from handlers.present import age, texts
from handlers.present.blocks import area_name
from handlers.present.problems import choose_message, problem_message
from handlers.present.words import category, change_phrase, esc, fit, n

_TOP_TYPES = 3  # crime types shown, those in which the places differ most


def _per_1000(count: int, population: int) -> float:
    return count * 1000 / population if population else 0.0


def _joined(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def _name(p: Answer) -> str:
    """A place as the comparison names it: a neighbourhood, station or street with the
    ward its figures are for ("Soho, in West End (Westminster)")."""
    asked = p.resolution.asked
    if asked is None:
        return f"<b>{esc(area_name(p))}</b>"
    mostly = "mostly " if asked.share is not None and asked.share < ALL_IN else ""
    return f"<b>{esc(asked.name)}</b>, {mostly}in {esc(area_name(p))}"


def _caveats(p: Answer) -> list[str]:
    """What the place's own answer says of its figures besides them."""
    out = []
    if p.rate is not None and p.rate.band == "well above":
        out.append(texts.BUSY_PLACE_SHORT)
    if p.rate is None and p.crime is not None:
        out.append(texts.NO_RATE_SHORT)
    if p.area == "borough" and p.crime is not None and p.ward_month is not None \
            and p.crime.month != p.ward_month:
        out.append(f"Its borough figures run to {month_name(p.crime.month)}; the ward "
                   f"figures to {month_name(p.ward_month)}.")
    return out


def compare_html(answer: Answer) -> str:
    """Places side by side: each one's latest month, 12-month rate, band and caveats, and the
    crime types in which they differ most per 1,000 residents; while one is still to be
    chosen, the question for the first such; places it cannot answer for, said as such."""
    parts = answer.parts
    if any(p.status == "choose" for p in parts) and all(
            p.status in ("ok", "choose") for p in parts):
        return _pending(answer)
    if len(parts) < 2 or any(p.status != "ok" for p in parts):
        lines = [texts.COMPARE_NEEDS_TWO, *_left_out(answer)]
        for p in parts:
            what = f"<b>{esc(p.resolution.query)}</b>: "
            lines.append("• " + (what + esc(area_name(p)) if p.status == "ok"
                                 else what + problem_message(p.resolution)))
        return fit("\n".join(lines))
    lines = [f"{_joined([f'<b>{esc(area_name(p))}</b>' for p in parts])}, side by side",
             _age_line(answer)]
    lines += _left_out(answer)
    if len({p.area for p in parts}) > 1:
        lines.append(f"<i>{texts.COMPARE_MIXED_AREAS}</i>")
    for p in parts:
        line = _name(p)
        if p.crime is not None:
            line += f": {n(p.crime.total)} crimes in {month_name(p.crime.month)}"
            if p.crime.previous is not None:
                line += f" ({change_phrase(p.crime.total, p.crime.previous.total)})"
        if p.rate is not None:
            line += (f"; {p.rate.rate:,.1f} per 1,000 residents over the 12 months to "
                     f"{month_name(p.rate.last_month)}, "
                     f"{p.rate.band} the London average (rank {n(p.rate.rank)} of "
                     f"{n(p.rate.of)})")
        lines.append("• " + line + ".")
        lines += [f"  <i>{esc(c)}</i>" for c in _caveats(p)]
    lines += _differences(parts)
    lines.append(f"<i>{texts.ATTRIBUTION}</i>")
    return fit("\n".join(lines))


def _left_out(answer: Answer) -> list[str]:
    """The places named beyond the four a comparison takes, said rather than dropped."""
    named = answer.resolution.left_out
    if not named:
        return []
    return [f"<i>{esc(texts.COMPARE_LEFT_OUT.format(places=_joined(list(named))))}</i>"]


def _differences(parts: Sequence[Answer]) -> list[str]:
    """The crime types in which the places differ most per 1,000 residents, each place's
    figure in the order named."""
    if any(p.crime is None or p.rate is None for p in parts):
        return []
    crimes = [p.crime for p in parts if p.crime is not None]
    people = [p.rate.population for p in parts if p.rate is not None]
    majors = set().union(*(c.by_major for c in crimes))
    per = {m: [_per_1000(c.by_major.get(m, 0), pop) for c, pop in zip(crimes, people,
                                                                         strict=True)]
           for m in majors}
    top = sorted(per, key=lambda m: (-(max(per[m]) - min(per[m])), m))[:_TOP_TYPES]
    months = sorted({c.month for c in crimes})
    when = _joined([month_name(m) for m in months])
    out = [f"<b>Largest differences</b> per 1,000 residents, {when}:"]
    for m in top:
        figures = [f"{v:,.2f}" for v in per[m]]
        out.append(f"• {esc(category(m))}: " + (" against ".join(figures) if len(figures) == 2
                                               else " · ".join(figures)))
    return out


def _pending(answer: Answer) -> str:
    """A comparison one of whose places is still a choice: the places so far, and the
    question for the first still to choose (its buttons are under the message)."""
    parts = answer.parts
    lines = [texts.COMPARE_CHOOSE, *_left_out(answer)]
    asked = False
    for i, p in enumerate(parts, 1):
        if p.status == "ok":
            lines.append(f"{i}. {_name(p)}")
        elif not asked:
            lines.append(f"{i}. {choose_message(p.resolution)}")
            asked = True
        else:
            lines.append(f"{i}. {texts.COMPARE_LATER}")
    return fit("\n".join(lines))


def _age_line(answer: Answer) -> str:
    """How old each place's figures are, in the words of handlers/present/age.py."""
    places = [(area_name(p), p.crime.month) for p in answer.parts if p.crime is not None]
    return f"<i>{esc(age.statement_of_places(answer.freshness, places))}</i>"
