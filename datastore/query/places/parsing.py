"""Reading names: the words a message or a place name is matched on, folded the same way
(case, accents, apostrophes, "&"/"and", "St"/"Saint"), and the words that say nothing about
where."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from datastore.query.places.model import CITY_OF_LONDON

_WORD_RE: Final = re.compile(r"[^\W_]+(?:['’‘`´][^\W_]+)*|[&+]")
_APOSTROPHES_RE: Final = re.compile(r"['’‘`´]")


def _fold(word: str) -> str:
    """A word without accents, apostrophes or case ("King’s" -> "kings")."""
    if word.isascii():  # most words: nothing to decompose
        return word.replace("'", "").replace("`", "").lower()
    decomposed = unicodedata.normalize("NFKD", word)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _APOSTROPHES_RE.sub("", plain).casefold()


def name_tokens(text: str) -> list[str]:
    """Split a place name (or a message) into the words names are matched on.

    Case, accents, apostrophes and punctuation go; "&" and "+" become "and"; "St" and
    "St." become "saint", except as the last word, where they are "street".
    """
    words = ["and" if w in "&+" else _fold(w) for w in _WORD_RE.findall(text)]
    last = len(words) - 1
    return [("street" if i == last and i > 0 else "saint") if w == "st" else w
            for i, w in enumerate(words)]


def name_key(text: str) -> str:
    """The form a place name is compared in ("St. James's" -> "saint jamess")."""
    return " ".join(name_tokens(text))


def aliases(name: str, base: list[str] | None = None) -> list[str]:
    """Other ways of writing a place's name: without the possessive s ("King's Cross" ->
    "king cross"), without "and", without "upon Thames".  ``base``: its `name_tokens`, if
    already made."""
    found = _WORD_RE.findall(name)
    base = name_tokens(name) if base is None else base
    out = []
    possessive = [b[:-1] if ("'" in o or "’" in o) and _fold(o).endswith("s") else b
                  for b, o in zip(base, found, strict=True)]
    out.append(" ".join(possessive))
    for form in (base, possessive):
        without_and = [w for w in form if w != "and"]
        if len(without_and) != len(form):
            out.append(" ".join(without_and))
    key = " ".join(base)
    if key.endswith(" upon thames"):
        out.append(key.removesuffix(" upon thames"))
    return [a for a in dict.fromkeys(out) if a and a != key]


# Extra names residents use for a borough, by its code.
BOROUGH_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    CITY_OF_LONDON: ("the city", "city of london corporation", "square mile"),
    "E09000033": ("city of westminster",),
    "E09000020": ("royal borough of kensington and chelsea", "rbkc"),
    "E09000021": ("royal borough of kingston",),
    "E09000013": ("lbhf",),
}

# Words that say nothing about where: left out when a message is matched against names
# as a whole (they still count inside a name: "Harrow on the Hill", "City of London").
_STOPWORD_TEXT: Final = """
    a about after afternoon again all also am an and any anyone are area areas around at
    awesome bad be been before between bit borough boroughs bot but by bye can cheers check
    code compare comparing comparison cool could council crime crimes criminal data day days
    dear did district do does dont england evening everyone figures fine for from get give go
    good goodbye great guys had has have hello help here hey hi hiya hmm how hows i id if im
    in info information is isnt it its ive just know last latest level levels like live lives
    living local london look lookup looks lot love many mate maybe me month months more
    morning most much my near nearby need neighborhood neighbourhood new night nice no not
    now numbers of ok okay on one or our out over place places please plz pls police
    policing post postcode postcodes rate rates really recent recently right safe safety say
    see should show so some sorry start stat stats statistics still sure tell than thank
    thanks that the their them then there theres these they thing things think this those
    thx to today tomorrow tonight too ty uk unsafe up us use v versus very vs want was way we
    week weekend well were what whats when where which who why will with would year years
    yes yesterday yet yo you your
"""
STOPWORDS: Final = frozenset(_STOPWORD_TEXT.split())

# Single-word ward names that are also everyday words: inside a longer message they are
# not taken as a place ("near the bridge"), only when they are all the message says.
_EVERYDAY_TEXT: Final = """
    abbey beam bridge cheap forest grove heath holland jubilee junction oval stanley tower
    town trinity tudor valley victoria village
"""
EVERYDAY: Final = frozenset(_EVERYDAY_TEXT.split())

# Words that ask for a comparison: two places with one of these are never one qualifying
# the other ("compare E8 1DY and Hackney").
COMPARE_WORDS: Final = frozenset({"compare", "comparing", "comparison", "vs", "v", "versus",
                                   "against", "between", "or"})


# What stands between two places named as two: "and", "&", "with", "to", commas, slashes.
LISTING_RE: Final = re.compile(r"[,;/&+|]|\b(?:and|with|to|from|then)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a message: as written, folded for names, and where it stands."""

    raw: str
    key: str
    start: int
    end: int


def words_of(text: str) -> list[Word]:
    """The words of a message, folded as `name_tokens` folds them."""
    found = list(_WORD_RE.finditer(text))
    keys = name_tokens(" ".join(m.group() for m in found))
    return [Word(m.group(), k, m.start(), m.end()) for m, k in zip(found, keys, strict=True)]

