"""Two places side by side."""

from __future__ import annotations

from datastore.query.figures import month_name
from datastore.query.lookup import Answer
from handlers.present import age, texts
from handlers.present.blocks import area_name
from handlers.present.problems import problem_message
from handlers.present.words import category, change_phrase, esc, fit, n


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
    lines = [f"<b>{esc(area_name(a))}</b> and <b>{esc(area_name(b))}</b>, side by side",
             _age_line(answer)]
    if a.area != b.area:
        lines.append(f"<i>{texts.COMPARE_MIXED_AREAS}</i>")
    for p in parts:
        line = f"<b>{esc(area_name(p))}</b>"
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


def _age_line(answer: Answer) -> str:
    """How old each place's figures are, in the words of handlers/present/age.py."""
    places = [(area_name(p), p.crime.month) for p in answer.parts if p.crime is not None]
    return f"<i>{esc(age.statement_of_places(answer.freshness, places))}</i>"
