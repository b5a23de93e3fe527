"""Place names as the resolver matches them: every ward's, borough's and gazetteer place's
name and its other spellings, looked up exactly, in part (a ward's or borough's name only) or
fuzzily (rapidfuzz).

A ward's or borough's own name comes first: a gazetteer place of the same name ("King's
Cross", "Stratford") is left out, and a name some ward's name holds ("Brixton") is that
ward's before it is a gazetteer place's.  The gazetteer's places are found by their whole
name only, so that "Road" or "Church" never brings up streets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import combinations
from typing import Final

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from datastore.query.places.model import MAX_CHOICES, Candidate
from datastore.query.places.parsing import (
    BOROUGH_ALIASES,
    EVERYDAY,
    STOPWORDS,
    aliases,
    name_tokens,
)

__all__ = ["NameIndex"]

# Street words people shorten: a street's name is also found with these ("Brick Ln").
_SHORT: Final = {"road": "rd", "avenue": "ave", "lane": "ln", "gardens": "gdns",
                 "place": "pl", "square": "sq", "crescent": "cres", "grove": "gr"}
_KIND_ORDER: Final = {"borough": 0, "ward": 1, "place": 2}
_DETAIL_ORDER: Final = {"area": 0, "station": 1, "street": 2}


@dataclass(frozen=True, slots=True)
class _Entry:
    """A ward or borough as names are matched: its candidate and its name's words."""

    candidate: Candidate
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlaceName:
    """What indexing a gazetteer place's name needs: its name and kind, how prominent it is
    among places of the same name (a street: police.uk's points on it), its borough."""

    name: str
    detail: str
    weight: int
    borough_name: str


def _place_forms(name: str, detail: str, words: list[str]) -> list[str]:
    """Other ways of writing a gazetteer place's name (``words``: its `name_tokens`): the
    usual ones, a station with "station" after it, a street with its last word shortened."""
    key = " ".join(words)
    # most names have no other spelling: only these make one (aliases' own cases)
    forms = aliases(name, words) if any(
        s in name for s in ("'", "’", "&", "+", "and", "upon")) else []
    if detail in ("station", "area"):  # an area may be named for its station
        forms.append(f"{key} station")
    if detail == "street" and words and words[-1] in _SHORT:
        forms.append(" ".join([*words[:-1], _SHORT[words[-1]]]))
    return [f for f in dict.fromkeys(forms) if f and f != key]


@dataclass(eq=False)
class NameIndex:
    """Every name of one data version's places; read-only once built.  An entry number
    below `first_place` is a ward or borough (`entries`), from it on a gazetteer place
    (its number in the gazetteer plus `first_place`), whose candidate and wards are made
    when asked for (`place`, `place_wards`): eleven thousand of them held whole would take
    several times the memory."""

    entries: list[_Entry]
    first_place: int
    place: Callable[[int], Candidate]  # a gazetteer place's candidate, by its number
    place_wards: Callable[[int], frozenset[str]]  # ... and its wards' codes
    exact: dict[str, tuple[int, ...]]  # name key or alias -> entries, canonical first
    ngrams: dict[tuple[str, ...], frozenset[int]]  # any run of a ward's or borough's words
    vocabulary: list[str]  # every word of every ward, borough, area and station, commonest first
    known_words: frozenset[str]  # ... and of every street: words never taken for a typo
    word_count: Counter[str]  # in how many ward and borough names each word is
    places: dict[str, tuple[int, ...]]  # name key or alias -> gazetteer places, even those a
    # ward's or borough's name hides ("High Street"), for a message that says where
    keys: list[str]  # what fuzzy matching is against: wards, boroughs, areas and stations
    key_entries: list[tuple[int, ...]]
    max_words: int

    @classmethod
    def build(cls, areas: Iterable[Candidate], gazetteer: Sequence[PlaceName] = (),
              place: Callable[[int], Candidate] | None = None,
              place_wards: Callable[[int], frozenset[str]] | None = None) -> NameIndex:
        """Index boroughs and wards (``areas``) and gazetteer places (``gazetteer``, in the
        gazetteer's order; ``place`` and ``place_wards`` make their candidates and wards)."""
        entries = [_Entry(c, tuple(name_tokens(c.name))) for c in areas]
        first_place = len(entries)
        exact: dict[str, list[int]] = {}
        canonical: dict[str, set[int]] = {}
        ngrams: dict[tuple[str, ...], set[int]] = {}
        words: Counter[str] = Counter()
        vocabulary: Counter[str] = Counter()
        known: set[str] = set()
        street = [False] * first_place
        for i, entry in enumerate(entries):
            c = entry.candidate
            key = " ".join(entry.words)
            canonical.setdefault(key, set()).add(i)
            exact.setdefault(key, []).append(i)
            extra = aliases(c.name, list(entry.words))
            if c.kind == "borough":
                extra += list(BOROUGH_ALIASES.get(c.code, ()))
            for alias in extra:
                exact.setdefault(alias, []).append(i)
            for form in {key, *extra}:
                tokens = tuple(form.split())
                for a, b in combinations(range(len(tokens) + 1), 2):
                    ngrams.setdefault(tokens[a:b], set()).add(i)
            words.update(set(entry.words))
            spelt = {w for form in (key, *extra) for w in form.split()}
            known |= spelt
            vocabulary.update(spelt)
        for n, p in enumerate(gazetteer):
            i = first_place + n
            folded = name_tokens(p.name)
            key = " ".join(folded)
            canonical.setdefault(key, set()).add(i)
            extra = _place_forms(p.name, p.detail, folded)
            for form in (key, *extra):
                exact.setdefault(form, []).append(i)
            spelt = {w for form in (key, *extra) for w in form.split()}
            known |= spelt
            street.append(p.detail == "street")
            if p.detail != "street":  # the words of its name and of its other spellings
                vocabulary.update(spelt)

        def order(key: str, i: int) -> tuple[bool, int, int, int, str, str]:
            # the name itself before an alias, boroughs, wards, then places (areas, stations,
            # streets; the more prominent first), then by name and borough
            if i < first_place:
                c = entries[i].candidate
                return (i not in canonical[key] if key in canonical else True,
                        _KIND_ORDER[c.kind], 0, 0, c.name, c.borough_name)
            p = gazetteer[i - first_place]
            return (i not in canonical.get(key, ()), _KIND_ORDER["place"],
                    _DETAIL_ORDER.get(p.detail, 0), -p.weight, p.name, p.borough_name)

        ordered: dict[str, tuple[int, ...]] = {}
        places: dict[str, tuple[int, ...]] = {}
        for k, v in exact.items():
            if len(v) == 1:  # most keys: nothing to order
                ordered[k] = (v[0],)
                if v[0] >= first_place:
                    places[k] = ordered[k]
                continue
            found = set(v)
            if any(i >= first_place for i in found):
                places[k] = tuple(sorted((i for i in found if i >= first_place),
                                         key=partial(order, k)))
            if any(i < first_place for i in found):  # a ward's or borough's name: theirs only
                found = {i for i in found if i < first_place}
            ordered[k] = tuple(sorted(found, key=partial(order, k)))
        fuzzy_keys = sorted(k for k, v in ordered.items() if not all(street[i] for i in v))
        longest = max((len(k.split()) for k in ordered), default=1)
        return cls(
            entries=entries,
            first_place=first_place,
            place=place or _no_place,
            place_wards=place_wards or _no_wards,
            exact=ordered,
            places=places,
            ngrams={k: frozenset(v) for k, v in ngrams.items()},
            # ward and borough words by how many names hold them (as before the gazetteer),
            # then the gazetteer's own
            vocabulary=sorted(vocabulary, key=lambda w: (-words[w], -vocabulary[w] * (
                words[w] == 0), w)),
            known_words=frozenset(known),
            word_count=words,
            keys=fuzzy_keys,
            key_entries=[ordered[k] for k in fuzzy_keys],
            max_words=max(longest, max((len(k) for k in ngrams), default=1)),
        )

    def candidate(self, i: int) -> Candidate:
        """The candidate an entry number stands for."""
        return self.entries[i].candidate if i < self.first_place \
            else self.place(i - self.first_place)

    def corrected(self, word: str) -> str:
        """The word, or the word of a place name it is a small typo of ("hackny")."""
        return self.corrections(word)[0]

    def corrections(self, word: str) -> list[str]:
        """The words of place names ``word`` may be a typo of, likeliest first; the word
        itself when it is one, or is too short or too far from any to say."""
        if (len(word) < 5 or word in self.known_words or word in STOPWORDS
                or not word.isalpha()):
            return [word]
        # One slip (a letter wrong, missing, extra or two swapped) in a short word, two in
        # a long one: closer than that, everyday words start turning into places.
        hits = process.extract(word, self.vocabulary, scorer=OSA.distance,
                               score_cutoff=1 if len(word) < 8 else 2, limit=8)
        if not hits:
            return [word]
        # Of the words as few slips away, the likeliest: a letter dropped or added rather
        # than a wrong one ("brckley": Brockley, not Bickley), then the commonest.
        fewest = min(d for _w, d, _i in hits)
        tied = sorted((h for h in hits if h[1] == fewest),
                      key=lambda h: (-fuzz.ratio(word, h[0]), h[2]))
        return [str(h[0]) for h in tied]

    def named(self, words: tuple[str, ...], *, widen: bool) -> list[Candidate]:
        """The places a run of words names: exact names and aliases first (boroughs first),
        then, if ``widen``, the wards and boroughs whose name contains the words; a
        gazetteer place only when no ward or borough name holds them."""
        key = " ".join(words)
        exact = list(self.exact.get(key, ()))
        places_only = bool(exact) and all(i >= self.first_place for i in exact)
        contained: list[int] = []
        if widen or not exact or places_only:
            contained = sorted(
                (i for i in self.ngrams.get(words, ()) if i not in exact),
                key=lambda i: (self.entries[i].candidate.kind != "borough",
                               self.entries[i].candidate.name,
                               self.entries[i].candidate.borough_name))
        if contained and places_only:
            # "Shepherds Bush": the ward named for the place, if it is where the place is;
            # "St Paul's" is not St Paul's Cray
            places = {w for i in exact for w in self.place_wards(i - self.first_place)}
            named_for = {self.entries[i].candidate.code for i in contained} & places
            if named_for:
                exact = []
            else:
                contained = []
        return [self.candidate(i) for i in (*exact, *contained)]

    def places_named(self, words: tuple[str, ...]) -> list[Candidate]:
        """Every gazetteer place of this name, a ward's or borough's namesake included."""
        return [self.candidate(i) for i in self.places.get(" ".join(words), ())]

    def is_partial(self, words: tuple[str, ...]) -> bool:
        """Whether a run of words is only part of the names it matches (no ward's or
        borough's name is exactly those words): "notting" of Notting Dale."""
        return all(i >= self.first_place for i in self.exact.get(" ".join(words), ()))

    def is_weak(self, words: tuple[str, ...]) -> bool:
        """Whether a run of words is too ordinary to be taken as a place inside a sentence:
        only everyday words, or words many place names share ("park", "west")."""
        key = " ".join(words)
        if any(i < self.first_place and self.entries[i].candidate.kind == "borough"
               for i in self.exact.get(key, ())):
            return False
        content = [w for w in words if w not in STOPWORDS]
        if not content:
            return True
        if len(content) == 1 and content[0] in EVERYDAY:
            return True
        return all(self.word_count[w] >= 5 for w in content)

    def fuzzy(self, text: str, cutoff: float | None = None) -> list[Candidate]:
        """The places whose whole name is close to ``text`` (typos, words run together);
        short texts must be closer.  Streets are never matched fuzzily."""
        if len(text) < 4:
            return []
        if cutoff is None:
            cutoff = 90 if len(text) <= 5 else 85 if len(text) <= 9 else 82
        hits = process.extract(text, self.keys, scorer=fuzz.ratio, score_cutoff=cutoff,
                               limit=MAX_CHOICES * 2)
        if not hits:
            return []
        top = hits[0][1]
        out: list[Candidate] = []
        for _key, score, i in hits:
            if score < top - 5:
                break
            out.extend(self.candidate(e) for e in self.key_entries[i])
        return list(dict.fromkeys(out))


def _no_place(number: int) -> Candidate:
    raise LookupError(f"no gazetteer place {number}")


def _no_wards(number: int) -> frozenset[str]:
    return frozenset()
