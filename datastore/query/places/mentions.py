"""What one name in a message stands for: the places it names added up (one place, a guess,
a choice; a gazetteer place as its ward or wards), and where in the message it stands."""

from __future__ import annotations

from dataclasses import dataclass

from datastore.query.places.index import PlaceIndex
from datastore.query.places.model import (
    MAX_CHOICES,
    MIN_SHARE,
    ONE_WARD,
    Asked,
    Candidate,
    Understanding,
)
from datastore.query.places.parsing import COMPARE_WORDS, words_of


@dataclass(frozen=True, slots=True)
class Mention:
    """One place a message names, where it stands, and what it is on its own."""

    start: int
    end: int
    what: Understanding
    name_words: tuple[str, ...] = ()


def asks_to_compare(message: str) -> bool:
    """Whether the message asks for a comparison ("compare", "vs", "or", …)."""
    return bool({w.key for w in words_of(message)} & COMPARE_WORDS)


def named(message: str, candidates: list[Candidate], index: PlaceIndex, *,
           fuzzy: bool = False) -> Understanding:
    """What the places a name answers to add up to: a guess (``fuzzy``) is offered, never
    answered; one place is that place (a gazetteer place as its ward or wards); several are
    a choice."""
    if fuzzy:
        return Understanding("choose", message, candidates=tuple(candidates[:MAX_CHOICES]),
                             reason="fuzzy")
    if len(candidates) == 1:
        if candidates[0].kind == "place":
            return in_wards(message, candidates[0], index)
        return Understanding("place", message, place=candidates[0])
    return Understanding("choose", message, candidates=tuple(candidates[:MAX_CHOICES]),
                         reason="ambiguous")


def place_understanding(candidate: Candidate, index: PlaceIndex) -> Understanding:
    """A place chosen from buttons, as if its name had been asked: a gazetteer place as its
    ward or wards."""
    return named(candidate.name, [candidate], index)


def in_wards(message: str, candidate: Candidate, index: PlaceIndex) -> Understanding:
    """A gazetteer place as what it is: the ward holding most of it (ONE_WARD or more), else
    its wards to choose from, the largest share first; outside London, itself."""
    place = index.place(candidate)
    wards = index.place_wards(place) if place is not None else []
    if place is None or not wards:
        return Understanding("place", message, place=candidate,
                             asked=Asked(candidate.name, candidate.detail, None,
                                         place.id if place else None))
    top, share = wards[0]
    if share >= ONE_WARD:
        return Understanding("place", message, place=top,
                             asked=Asked(place.name, place.kind, share, place.id))
    offered = [(c, s) for c, s in wards if s >= MIN_SHARE][:MAX_CHOICES]
    return Understanding("choose", message, candidates=tuple(c for c, _s in offered),
                         reason="spans", asked=Asked(place.name, place.kind, None, place.id),
                         shares=tuple(s for _c, s in offered))
