"""Ask by place: what a resident's message names — a postcode, a near-miss, a district, a
ward or borough, two of them to compare, or nothing we answer for.

Pure and offline.  A `PlaceIndex` is built once per data version from plain rows (postcodes
with their ward and borough, the wards, the boroughs), and `understand(text, index)` reads one
message against it, in well under a millisecond for most messages.  Names are matched
forgivingly (case, punctuation, "&"/"and", "St"/"Saint"/"St.", apostrophes, hyphens, small
typos) with rapidfuzz; near-miss postcodes are corrected only to postcodes in the table.

What to answer is the caller's business: a postcode that is not in the table is still a
postcode here (new, terminated or outside London is decided by the lookup), and the City of
London's wards and borough are recognised and flagged `city` (its own police force).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from itertools import combinations, islice
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from datastore.query.postcodes import find_postcodes, outward_code

__all__ = [
    "CITY_OF_LONDON",
    "MAX_CHOICES",
    "MAX_SUGGESTIONS",
    "Candidate",
    "CandidateKind",
    "ChooseReason",
    "PlaceIndex",
    "Understanding",
    "UnderstandingKind",
    "WardShare",
    "name_key",
    "name_tokens",
    "understand",
]

CITY_OF_LONDON: Final = "E09000001"  # the City of London's local authority code
MAX_SUGGESTIONS: Final = 3  # near-miss postcodes offered
MAX_CHOICES: Final = 8  # places offered for an ambiguous name
_MAX_TEXT: Final = 1000  # characters of a message read
_MAX_TOKENS: Final = 60  # words of a message read for names

CandidateKind = Literal["postcode", "ward", "borough"]
UnderstandingKind = Literal[
    "postcode", "district", "place", "choose", "compare", "postcode_help", "other"
]
ChooseReason = Literal["near_miss", "ambiguous"]


# -- what `understand` returns ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """A place a message may mean: a postcode, a ward or a borough.

    ``code`` is the postcode ("E8 1DY"), the ward's code (E05…) or the borough's (E09…).
    ``name`` is the ward's or borough's name; for a postcode, the name of its ward.
    ``borough_code``/``borough_name`` are the borough it lies in (a borough's are its own),
    so that wards of the same name are told apart.  ``city`` is True in the City of London,
    which has its own police force: the Met publishes nothing for it.
    """

    kind: CandidateKind
    code: str
    name: str
    borough_code: str
    borough_name: str
    city: bool = False


@dataclass(frozen=True, slots=True)
class WardShare:
    """A ward with postcodes in a district, and how many of the district's postcodes."""

    ward: Candidate
    postcodes: int


@dataclass(frozen=True, slots=True)
class Understanding:
    """What a message names.  Which fields are set depends on ``kind``:

    - ``postcode``: ``postcode`` (normalised) and ``district`` (its outward code); ``known``
      says whether it is in the table, and then ``place`` is its `Candidate` (kind
      "postcode"); when it is not, ``candidates`` holds up to three real postcodes close to
      it, for a caller that finds no such postcode anywhere else.
    - ``district``: ``district`` (an outward code) and ``wards``, most postcodes first (empty
      for a district with no London postcode; "W1" gathers W1A, W1B, …).
    - ``place``: ``place``, the one ward or borough the message names.
    - ``choose``: ``candidates``, best first, and ``reason``: "near_miss" (a mistyped postcode:
      up to three real postcodes) or "ambiguous" (a name several places answer to).
    - ``compare``: ``parts``, the first two places the message names, in its order, each an
      `Understanding` of kind postcode, district, place or choose.
    - ``postcode_help``: a postcode attempt with no real postcode close to it.
    - ``other``: nothing we answer for (greetings, "help", thanks, emoji, empty).
    """

    kind: UnderstandingKind
    text: str
    postcode: str | None = None
    known: bool = False
    district: str | None = None
    wards: tuple[WardShare, ...] = ()
    place: Candidate | None = None
    candidates: tuple[Candidate, ...] = ()
    reason: ChooseReason | None = None
    parts: tuple[Understanding, ...] = ()


# -- names --------------------------------------------------------------------------------

_WORD_RE: Final = re.compile(r"[^\W_]+(?:['’‘`´][^\W_]+)*|[&+]")
_APOSTROPHES_RE: Final = re.compile(r"['’‘`´]")


def _fold(word: str) -> str:
    """A word without accents, apostrophes or case ("King’s" -> "kings")."""
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


def _aliases(name: str) -> list[str]:
    """Other ways of writing a place's name: without the possessive s ("King's Cross" ->
    "king cross"), without "and", without "upon Thames"."""
    words = [("and" if w in "&+" else _fold(w)) for w in _WORD_RE.findall(name)]
    base = name_tokens(name)
    out = []
    possessive = [b[:-1] if w.endswith("s") and ("'" in o or "’" in o) else b
                  for b, w, o in zip(base, words, _WORD_RE.findall(name), strict=True)]
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
_BOROUGH_ALIASES: Final[dict[str, tuple[str, ...]]] = {
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
_EVERYDAY: Final = frozenset(_EVERYDAY_TEXT.split())

# Words that ask for a comparison: two places with one of these are never one qualifying
# the other ("compare E8 1DY and Hackney").
_COMPARE_WORDS: Final = frozenset({"compare", "comparing", "comparison", "vs", "v", "versus",
                                   "against", "between", "or"})


# What stands between two places named as two: "and", "&", "with", "to", commas, slashes.
_LISTING_RE: Final = re.compile(r"[,;/&+|]|\b(?:and|with|to|from|then)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Word:
    """One word of a message: as written, folded for names, and where it stands."""

    raw: str
    key: str
    start: int
    end: int


def _words(text: str) -> list[_Word]:
    """The words of a message, folded as `name_tokens` folds them."""
    found = list(_WORD_RE.finditer(text))
    keys = name_tokens(" ".join(m.group() for m in found))
    return [_Word(m.group(), k, m.start(), m.end()) for m, k in zip(found, keys, strict=True)]


# -- near-miss postcodes ------------------------------------------------------------------

# Characters that look alike and are typed for each other: a letter where a digit belongs
# and the other way round.
_LOOKALIKE: Final = {"O": "0", "0": "O", "I": "1", "1": "I", "L": "1", "S": "5", "5": "S",
                     "Z": "2", "2": "Z", "B": "8", "8": "B"}
_ALNUM: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_KEYBOARD: Final = ("1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
_STAGGER: Final = (0.0, 0.5, 0.75, 1.25)


def _key_positions() -> dict[str, tuple[float, float]]:
    return {ch: (col + _STAGGER[row], float(row))
            for row, keys in enumerate(_KEYBOARD) for col, ch in enumerate(keys)}


_KEY_AT: Final = _key_positions()


def _adjacent(a: str, b: str) -> bool:
    """Whether two keys are neighbours on a UK keyboard (a slip of the finger)."""
    pa, pb = _KEY_AT.get(a), _KEY_AT.get(b)
    if pa is None or pb is None:
        return False
    return (pa[0] - pb[0]) ** 2 + (pa[1] - pb[1]) ** 2 <= 1.6


def _shape_fixed(code: str) -> str:
    """The code with look-alikes put right where the postcode's shape leaves no doubt: the
    inward code is a digit and two letters, and a postcode starts with a letter."""
    if len(code) < 5:
        return code
    chars = list(code)
    digit, letters = len(chars) - 3, (len(chars) - 2, len(chars) - 1)
    if chars[digit].isalpha() and _LOOKALIKE.get(chars[digit], "").isdigit():
        chars[digit] = _LOOKALIKE[chars[digit]]
    for i in (0, *letters):
        if chars[i].isdigit() and chars[i] in _LOOKALIKE:
            chars[i] = _LOOKALIKE[chars[i]]
    return "".join(chars)


def _edits(code: str, table: _PostcodeSet) -> list[tuple[str, bool]]:
    """The strings in ``table`` one edit from ``code`` (a character wrong, missing, extra,
    or two neighbours swapped), each with whether it is a likely slip: a neighbouring key,
    a doubled or dropped repeat, a swap."""
    tries: list[tuple[str, bool]] = []
    n = len(code)
    for i in range(n + 1):
        head, here, tail = code[:i], code[i:i + 1], code[i + 1:]
        for ch in _ALNUM:
            tries.append((head + ch + here + tail, ch in (code[i - 1:i], here)))
            if here and ch != here:
                tries.append((head + ch + tail, _adjacent(here, ch)))
        if here:
            tries.append((head + tail, here in (code[i - 1:i], code[i + 1:i + 2])))
            if tail and tail[0] != here:
                tries.append((head + tail[0] + here + tail[1:], True))
    found = table.having([t for t, _slip in tries])  # one look-up for all of them
    return [(t, slip) for (t, slip), hit in zip(tries, found, strict=True) if hit]


# Postcodes indexed at a time.
_PART: Final = 8192


class _PostcodeSet:
    """Compact postcodes ("E81DY") as one sorted array of fixed-width bytes, each with the
    index of its ward (-1: not known): some 2 MB, where a dict of 180,000 str keys held 17."""

    WIDTH: Final = 8  # bytes: the longest compact postcode is 7

    def __init__(self, codes: Sequence[npt.NDArray[np.bytes_]],
                 wards: Sequence[npt.NDArray[np.int16]]) -> None:
        """From parts of the table, each codes with their ward indices; a code given twice
        keeps its last ward."""
        every = np.concatenate(codes) if codes else np.zeros(0, f"S{self.WIDTH}")
        indices = np.concatenate(wards) if wards else np.zeros(0, np.int16)
        last_first = np.arange(len(every))[::-1]
        order = last_first[np.argsort(every[::-1], kind="stable")]
        every, indices = every[order], indices[order]
        first = np.ones(len(every), bool)
        first[1:] = every[1:] != every[:-1]
        self._codes: npt.NDArray[np.bytes_] = every[first]
        self._wards: npt.NDArray[np.int16] = indices[first].astype(np.int16)

    def __len__(self) -> int:
        return len(self._codes)

    def _find(self, code: str) -> int:
        """The code's position, or -1."""
        if not code.isascii() or len(code) > self.WIDTH or not len(self._codes):
            return -1
        key = code.encode("ascii")
        i = int(np.searchsorted(self._codes, key))
        return i if i < len(self._codes) and self._codes[i] == key else -1

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self._find(code) >= 0

    def get(self, code: str) -> int | None:
        """The ward index of a compact postcode (-1: ward not known), None if not in the set."""
        i = self._find(code)
        return None if i < 0 else int(self._wards[i])

    def having(self, codes: Sequence[str]) -> list[bool]:
        """For each code, whether it is in the set."""
        usable = [c if c.isascii() and len(c) <= self.WIDTH else "" for c in codes]
        if not usable or not len(self._codes):
            return [False] * len(usable)
        keys = np.array([c.encode("ascii") for c in usable], dtype=f"S{self.WIDTH}")
        at = np.minimum(np.searchsorted(self._codes, keys), len(self._codes) - 1)
        hits = (self._codes[at] == keys) & (keys != b"")
        return [bool(h) for h in hits.tolist()]


# -- the index ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """A ward or borough as names are matched: its candidate and its name's words."""

    candidate: Candidate
    words: tuple[str, ...]


@dataclass(eq=False)
class PlaceIndex:
    """Everything `understand` needs, built once per data version with `build` (from a
    DataView: `DataView.place_index`); read-only afterwards and safe to share between tasks
    and threads."""

    # compact postcode ("E81DY") -> index into `_wards_by_index` (-1: ward not known)
    _postcodes: _PostcodeSet
    _wards_by_index: list[Candidate]
    _unplaced: dict[str, Candidate]  # compact postcode -> its borough, for an unknown ward
    _districts: dict[str, tuple[WardShare, ...]]
    _entries: list[_Entry]
    _exact: dict[str, tuple[int, ...]]  # name key or alias -> entries, canonical first
    _canonical: dict[str, frozenset[int]]  # name key -> entries whose own key it is
    _ngrams: dict[tuple[str, ...], frozenset[int]]  # any run of a name's words -> entries
    _vocabulary: list[str]  # every word of every name, most common first
    _vocabulary_set: frozenset[str]
    _word_count: Counter[str]
    _keys: list[str]
    _key_entries: list[tuple[int, ...]]
    _max_words: int

    @classmethod
    def build(
        cls,
        postcodes: Iterable[tuple[str, str, str]],
        wards: Iterable[tuple[str, str, str, str]],
        boroughs: Iterable[tuple[str, str]],
        *,
        city_code: str = CITY_OF_LONDON,
    ) -> PlaceIndex:
        """Index the places of one data version.

        ``postcodes``: (postcode in any spacing, ward code, borough code) for every postcode
        of the table; ``wards``: (code, name, borough code, borough name) for the Met's wards
        and the City of London's; ``boroughs``: (code, name) for the 32 boroughs and the
        City.  Places in the borough ``city_code`` are flagged `Candidate.city`.
        """
        borough_cands = {
            code: Candidate("borough", code, name, code, name, code == city_code)
            for code, name in boroughs
        }
        ward_cands = {
            code: Candidate("ward", code, name, bcode, bname, bcode == city_code)
            for code, name, bcode, bname in wards
        }
        ward_list = list(ward_cands.values())
        ward_index = {c.code: i for i, c in enumerate(ward_list)}
        # In parts, as fixed-width bytes: 180,000 str keys at once would leave the process
        # some 20 MB larger for good (freed, but in memory the allocator keeps).
        code_parts: list[npt.NDArray[np.bytes_]] = []
        ward_parts: list[npt.NDArray[np.int16]] = []
        unplaced: dict[str, Candidate] = {}
        counts: dict[str, Counter[int]] = {}
        rows = iter(postcodes)
        while part := list(islice(rows, _PART)):
            codes: list[bytes] = []
            indices: list[int] = []
            for postcode, ward, borough in part:
                compact = postcode.replace(" ", "").upper()
                if not compact.isascii() or len(compact) > _PostcodeSet.WIDTH:
                    continue  # no such postcode can be asked for
                i = ward_index.get(ward, -1)
                codes.append(compact.encode("ascii"))
                indices.append(i)
                if i >= 0:
                    counts.setdefault(compact[:-3], Counter())[i] += 1
                elif borough in borough_cands:
                    unplaced[compact] = borough_cands[borough]
            code_parts.append(np.array(codes, dtype=f"S{_PostcodeSet.WIDTH}"))
            ward_parts.append(np.array(indices, dtype=np.int16))
        districts = _district_wards(counts, ward_list)

        entries = [_Entry(c, tuple(name_tokens(c.name)))
                   for c in (*borough_cands.values(), *ward_list)]
        exact: dict[str, list[int]] = {}
        canonical: dict[str, set[int]] = {}
        ngrams: dict[tuple[str, ...], set[int]] = {}
        words: Counter[str] = Counter()
        for i, entry in enumerate(entries):
            key = " ".join(entry.words)
            canonical.setdefault(key, set()).add(i)
            exact.setdefault(key, []).append(i)
            extra = _aliases(entry.candidate.name)
            if entry.candidate.kind == "borough":
                extra += list(_BOROUGH_ALIASES.get(entry.candidate.code, ()))
            for alias in extra:
                exact.setdefault(alias, []).append(i)
            for form in {key, *extra}:
                tokens = tuple(form.split())
                for a, b in combinations(range(len(tokens) + 1), 2):
                    ngrams.setdefault(tokens[a:b], set()).add(i)
            words.update(set(entry.words))

        def order(key: str, i: int) -> tuple[bool, bool, str, str]:
            # the name itself before an alias, boroughs before wards, then by name, borough
            c = entries[i].candidate
            return i not in canonical.get(key, ()), c.kind != "borough", c.name, c.borough_name

        ordered = {k: tuple(sorted(set(v), key=partial(order, k))) for k, v in exact.items()}
        keys = sorted(ordered)
        return cls(
            _postcodes=_PostcodeSet(code_parts, ward_parts),
            _wards_by_index=ward_list,
            _unplaced=unplaced,
            _districts=districts,
            _entries=entries,
            _exact=ordered,
            _canonical={k: frozenset(v) for k, v in canonical.items()},
            _ngrams={k: frozenset(v) for k, v in ngrams.items()},
            _vocabulary=sorted(words, key=lambda w: (-words[w], w)),
            _vocabulary_set=frozenset(words),
            _word_count=words,
            _keys=keys,
            _key_entries=[ordered[k] for k in keys],
            _max_words=max((len(k) for k in ngrams), default=1),
        )

    # -- postcodes ------------------------------------------------------------------------

    def knows(self, postcode: str) -> bool:
        """Whether a normalised postcode ("E8 1DY") is in the table."""
        return postcode.replace(" ", "") in self._postcodes

    def postcode(self, postcode: str) -> Candidate | None:
        """The candidate for a postcode in the table (its ward and borough), or None."""
        i = self._postcodes.get(postcode.replace(" ", "").upper())
        if i is None:
            return None
        compact = postcode.replace(" ", "").upper()
        normal = f"{compact[:-3]} {compact[-3:]}"
        if i < 0:
            b = self._unplaced.get(compact)
            return Candidate("postcode", normal, "", b.code if b else "", b.name if b else "",
                             b.city if b else False)
        ward = self._wards_by_index[i]
        return Candidate("postcode", normal, ward.name, ward.borough_code, ward.borough_name,
                         ward.city)

    def district_wards(self, outcode: str) -> tuple[WardShare, ...]:
        """The wards with postcodes in a district, most postcodes first; () if none."""
        return self._districts.get(outcode.upper(), ())

    def near_misses(self, typed: str) -> tuple[Candidate, ...]:
        """Up to three real postcodes a mistyped one may have meant, nearest first.

        Nearest: when the code was typed in two halves, those keeping the first half as
        typed; then look-alike characters put right (O/0, I/1, L/1, S/5, Z/2, B/8) or the
        two halves swapped, fewest changes first; then one character wrong, missing, extra
        or swapped with its neighbour, a slip of the finger (a neighbouring key, a doubled
        letter) first; then those keeping the district of the code as typed.
        """
        halves = re.findall(r"[A-Z0-9]+", typed.upper())
        outward = halves[0] if len(halves) == 2 else None
        code = "".join(halves)
        if not 4 <= len(code) <= 9:
            return ()
        ranked: dict[str, tuple[bool, int, int, bool, bool]] = {}
        shaped: list[tuple[str, int, int, bool]] = []  # looked up together, below

        def consider(candidate: str, tier: int, changes: int, slip: bool) -> None:
            if candidate != code:
                same = candidate[:-3] == code[:-3] or candidate[:-3] == fixed[:-3]
                kept = outward is None or candidate[:-3] == outward
                rank = (not kept, tier, changes, not slip, not same)
                if candidate not in ranked or rank < ranked[candidate]:
                    ranked[candidate] = rank

        fixed = _shape_fixed(code)
        spots = [i for i, ch in enumerate(code) if ch in _LOOKALIKE][:8]
        for n in range(len(spots) + 1):
            for chosen in combinations(spots, n):
                chars = list(code)
                for i in chosen:
                    chars[i] = _LOOKALIKE[chars[i]]
                shaped.append(("".join(chars), 1, n, True))
        for source in dict.fromkeys((code, fixed)):
            if len(source) >= 5:
                shaped.append((source[3:] + source[:3], 1, 1, True))  # the halves swapped
            changes = sum(a != b for a, b in zip(source, code, strict=True))
            if changes > 1:
                continue  # one fix and one slip at most: further is another postcode
            for candidate, slip in _edits(source, self._postcodes):
                consider(candidate, 2, changes, slip)
        for (candidate, tier, changes, slip), known in zip(
                shaped, self._postcodes.having([s[0] for s in shaped]), strict=True):
            if known:
                consider(candidate, tier, changes, slip)
        best = sorted(ranked, key=lambda c: (ranked[c], c))[:MAX_SUGGESTIONS]
        return tuple(p for c in best if (p := self.postcode(c)) is not None)

    # -- names ----------------------------------------------------------------------------

    def _corrected(self, word: str) -> str:
        """The word, or the word of a place name it is a small typo of ("hackny")."""
        return self._corrections(word)[0]

    def _corrections(self, word: str) -> list[str]:
        """The words of place names ``word`` may be a typo of, likeliest first; the word
        itself when it is one, or is too short or too far from any to say."""
        if (len(word) < 5 or word in self._vocabulary_set or word in STOPWORDS
                or not word.isalpha()):
            return [word]
        # One slip (a letter wrong, missing, extra or two swapped) in a short word, two in
        # a long one: closer than that, everyday words start turning into places.
        hits = process.extract(word, self._vocabulary, scorer=OSA.distance,
                               score_cutoff=1 if len(word) < 8 else 2, limit=8)
        if not hits:
            return [word]
        # Of the words as few slips away, the likeliest: a letter dropped or added rather
        # than a wrong one ("brckley": Brockley, not Bickley), then the commonest.
        fewest = min(d for _w, d, _i in hits)
        tied = sorted((h for h in hits if h[1] == fewest),
                      key=lambda h: (-fuzz.ratio(word, h[0]), h[2]))
        return [str(h[0]) for h in tied]

    def _named(self, words: tuple[str, ...], *, widen: bool) -> list[Candidate]:
        """The places a run of words names: exact names and aliases first (boroughs first),
        then, if ``widen``, the places whose name contains the words."""
        key = " ".join(words)
        exact = list(self._exact.get(key, ()))
        contained: list[int] = []
        if widen or not exact:
            contained = sorted(
                (i for i in self._ngrams.get(words, ()) if i not in exact),
                key=lambda i: (self._entries[i].candidate.kind != "borough",
                               self._entries[i].candidate.name,
                               self._entries[i].candidate.borough_name))
        return [self._entries[i].candidate for i in (*exact, *contained)]

    def _is_weak(self, words: tuple[str, ...]) -> bool:
        """Whether a run of words is too ordinary to be taken as a place inside a sentence:
        only everyday words, or words many place names share ("park", "west")."""
        key = " ".join(words)
        if any(self._entries[i].candidate.kind == "borough" for i in self._exact.get(key, ())):
            return False
        content = [w for w in words if w not in STOPWORDS]
        if not content:
            return True
        if len(content) == 1 and content[0] in _EVERYDAY:
            return True
        return all(self._word_count[w] >= 5 for w in content)

    def _fuzzy(self, text: str, cutoff: float | None = None) -> list[Candidate]:
        """The places whose whole name is close to ``text`` (typos, words run together);
        short texts must be closer."""
        if len(text) < 4:
            return []
        if cutoff is None:
            cutoff = 90 if len(text) <= 5 else 85 if len(text) <= 9 else 82
        hits = process.extract(text, self._keys, scorer=fuzz.ratio, score_cutoff=cutoff,
                               limit=MAX_CHOICES * 2)
        if not hits:
            return []
        top = hits[0][1]
        out: list[Candidate] = []
        for _key, score, i in hits:
            if score < top - 5:
                break
            out.extend(self._entries[e].candidate for e in self._key_entries[i])
        return list(dict.fromkeys(out))


def _district_wards(counts: dict[str, Counter[int]],
                    wards: list[Candidate]) -> dict[str, tuple[WardShare, ...]]:
    """Each district's wards, most postcodes first; a district written without its last
    letter ("W1", "EC1") gathers the districts it stands for (W1A, W1B, …)."""
    merged = dict(counts)
    parents: dict[str, Counter[int]] = {}
    for outcode, bucket in counts.items():
        if outcode[-1].isalpha() and len(outcode) >= 3:
            parents.setdefault(outcode[:-1], Counter()).update(bucket)
    for parent, bucket in parents.items():
        merged.setdefault(parent, bucket)
    return {
        outcode: tuple(WardShare(wards[i], n) for i, n in
                       sorted(bucket.items(), key=lambda kv: (-kv[1], wards[kv[0]].code)))
        for outcode, bucket in merged.items()
    }


# -- reading a message --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Mention:
    """One place a message names, where it stands, and what it is on its own."""

    start: int
    end: int
    what: Understanding
    name_words: tuple[str, ...] = ()


def _fragment_ok(word: _Word, whole: bool) -> bool:
    """Whether a word may be part of a mistyped postcode: it has a digit, or is short and
    (inside a sentence) holds a letter that looks like a digit ("IDY" for "1DY")."""
    raw = word.raw
    if not raw.isascii() or not raw.isalnum():
        return False
    if len(raw) == 1:
        return True
    if word.key in STOPWORDS and not whole:
        return False
    if any(ch.isdigit() for ch in raw):
        return True
    return len(raw) <= 4 and (whole or any(ch in _LOOKALIKE for ch in raw.upper()))


def _runs(words: list[_Word], free: list[bool],
          content: list[int]) -> list[tuple[int, int]]:
    """Runs of free words that may together be a mistyped postcode and hold a digit.

    When everything the message says (``content``: its words that are not stopwords) is
    one block ("my postcode is E8 IDY"), that block is the one run, with any single
    characters beside it (" e 8 i d y ").
    """
    whole = bool(content) and content == list(range(content[0], content[-1] + 1))
    if whole:
        i, j = content[0], content[-1] + 1
        while i > 0 and free[i - 1] and len(words[i - 1].raw) == 1:
            i -= 1
        if (j < len(words) and free[j] and len(words[j].raw) == 3
                and words[j].raw[0].upper() in _LOOKALIKE):
            j += 1  # an inward code that reads as a word: "N1 ITS" for N1 1TS
        while j < len(words) and free[j] and len(words[j].raw) == 1:
            j += 1
        ok = all(free[k] and _fragment_ok(words[k], True) for k in range(i, j))
        digit = any(ch.isdigit() for w in words[i:j] for ch in w.raw)
        return [(i, j)] if ok and digit else []
    runs = []
    i = 0
    while i < len(words):
        if not (free[i] and _fragment_ok(words[i], False)):
            i += 1
            continue
        j = i
        while j < len(words) and free[j] and _fragment_ok(words[j], False):
            j += 1
        if any(ch.isdigit() for w in words[i:j] for ch in w.raw):
            runs.append((i, j))
        i = j
    return runs


def _near_miss(index: PlaceIndex, words: list[_Word], run: tuple[int, int]) -> list[Candidate]:
    """The real postcodes the best stretch of a run may have meant, nearest first."""
    i, j = run
    best: list[Candidate] = []
    for a in range(i, j):
        for b in range(j, a, -1):
            typed = " ".join(w.raw for w in words[a:b])
            compact = typed.replace(" ", "")
            if (4 <= len(compact) <= 8 and any(ch.isalpha() for ch in compact)
                    and any(ch.isdigit() for ch in compact)):
                found = list(index.near_misses(typed))
                if found and (not best or len(compact) > 4):
                    return found
                best = best or found
    return best


def understand(text: str, index: PlaceIndex) -> Understanding:
    """Read a resident's message as the place (or places) it names.  Pure; never raises."""
    if not isinstance(text, str):
        return Understanding("other", "")
    message = text[:_MAX_TEXT]
    mentions = _mentions(message, index)
    mentions = _qualified(mentions, message)
    if not mentions:
        return _nothing_named(text, message, index)
    if len(mentions) == 1:
        return replace(mentions[0].what, text=text)
    first, second = mentions[:2]
    if all(m.name_words for m in mentions) and not _asks_to_compare(message):
        whole = _one_long_name(message, index)  # "hampton wick & souh teddington"
        if whole is not None:
            return replace(whole, text=text)
    if first.name_words and second.name_words and not _set_apart(message, first, second):
        # "Bromley by Bow": two names run together are one place we don't know: offer both
        options = [c for m in (first, second) for c in (m.what.place, *m.what.candidates)
                   if c is not None]
        return replace(_named(message, list(dict.fromkeys(options))), text=text)
    parts = tuple(_as_part(m, index) for m in mentions[:2])
    return Understanding("compare", text, parts=parts)


def _asks_to_compare(message: str) -> bool:
    """Whether the message asks for a comparison ("compare", "vs", "or", …)."""
    return bool({w.key for w in _words(message)} & _COMPARE_WORDS)


def _one_long_name(message: str, index: PlaceIndex) -> Understanding | None:
    """The place whose whole name the message's words are very close to, if any: a long
    name with a typo falls apart into pieces that look like two places."""
    content = [index._corrected(w.key) for w in _words(message)[:_MAX_TOKENS]
               if w.key not in STOPWORDS or w.key == "and"]
    candidates = index._fuzzy(" ".join(content), cutoff=90)
    return _named(message, candidates) if candidates else None


def _set_apart(message: str, first: _Mention, second: _Mention) -> bool:
    """Whether two names are written as two places: a comparison asked for, or a word or
    mark between them that lists ("Hackney and Camden", "Hackney, Camden")."""
    if _asks_to_compare(message):
        return True
    between = message[first.end:second.start]
    return bool(_LISTING_RE.search(between))


def _mentions(message: str, index: PlaceIndex) -> list[_Mention]:
    """Every place the message names, in order: postcodes, mistyped postcodes, districts
    and names, each word used once."""
    words = _words(message)[:_MAX_TOKENS]
    free = [True] * len(words)
    mentions: list[_Mention] = []

    for found in find_postcodes(message, index.knows):
        for k, w in enumerate(words):
            if w.start < found.end and w.end > found.start:
                free[k] = False
        mentions.append(_Mention(found.start, found.end, _postcode(found.postcode, index)))

    content = [k for k, w in enumerate(words) if free[k] and w.key not in STOPWORDS]
    whole = not mentions and bool(content) and content == list(
        range(content[0], content[-1] + 1))
    for a, b in _runs(words, free, content if whole else []):
        run_words = words[a:b]
        district = next((oc for w in run_words if (oc := outward_code(w.raw))
                         and index.district_wards(oc)), None)
        candidates = _near_miss(index, words, (a, b))
        if not candidates and district is None:
            continue
        for k in range(a, b):
            free[k] = False
        start, end = run_words[0].start, run_words[-1].end
        if candidates:
            what = Understanding("choose", message, candidates=tuple(candidates),
                                 reason="near_miss")
        else:
            assert district is not None
            what = Understanding("district", message, district=district,
                                 wards=index.district_wards(district))
        mentions.append(_Mention(start, end, what))

    for k, w in enumerate(words):
        oc = outward_code(w.raw) if free[k] else None
        if oc and any(ch.isdigit() for ch in oc) and (index.district_wards(oc) or whole):
            free[k] = False
            mentions.append(_Mention(w.start, w.end, Understanding(
                "district", message, district=oc, wards=index.district_wards(oc))))

    mentions.extend(_name_mentions(message, words, free, index))
    return sorted(mentions, key=lambda m: m.start)


def _postcode(postcode: str, index: PlaceIndex) -> Understanding:
    place = index.postcode(postcode)
    district = postcode.split(" ")[0]
    if place is not None:
        return Understanding("postcode", "", postcode=postcode, known=True,
                             district=district, place=place)
    return Understanding("postcode", "", postcode=postcode, district=district,
                         candidates=index.near_misses(postcode))


def _name_mentions(message: str, words: list[_Word], free: list[bool],
                   index: PlaceIndex) -> list[_Mention]:
    """The wards and boroughs a message names, the longest name first at each place."""
    keys = _corrected_in_context(words, free, index)
    content = [keys[k] for k in range(len(words)) if free[k] and keys[k] not in STOPWORDS]
    found: list[tuple[int, int, tuple[str, ...]]] = []
    i = 0
    while i < len(words):
        if not free[i]:
            i += 1
            continue
        match: tuple[int, tuple[str, ...]] | None = None
        for j in range(min(len(words), i + index._max_words), i, -1):
            if not all(free[i:j]):
                continue
            run = tuple(keys[i:j])
            if all(w in STOPWORDS for w in run):
                continue  # "London", "the": no place on their own
            if " ".join(run) in index._exact or (run in index._ngrams
                                                 and run[-1] not in STOPWORDS):
                match = (j, run)
                break
        if match is None:
            i += 1
            continue
        j, run = match
        alone = [w for w in run if w not in STOPWORDS] == content
        if alone or not index._is_weak(run):
            found.append((i, j, run))
        i = j
    mentions = []
    for i, j, run in found:
        candidates = index._named(run, widen=len(found) == 1)
        if not candidates or (len(found) == 1 and not index._exact.get(" ".join(run))
                              and len(candidates) > MAX_CHOICES):
            continue  # too vague: "park" is in dozens of names
        mentions.append(_Mention(words[i].start, words[j - 1].end,
                                 _named(message, candidates), run))
    return mentions


def _corrected_in_context(words: list[_Word], free: list[bool], index: PlaceIndex) -> list[str]:
    """Each free word, typos put right; of equally likely corrections the one that makes a
    name with the word before or after it ("east sehen": Sheen, not Seven)."""
    options = [index._corrections(w.key) if free[k] else [""] for k, w in enumerate(words)]
    keys = [o[0] for o in options]
    for k, alternatives in enumerate(options):
        if len(alternatives) < 2:
            continue
        before = keys[k - 1] if k > 0 else ""
        after = keys[k + 1] if k + 1 < len(keys) else ""
        fitting = [a for a in alternatives
                   if (before, a) in index._ngrams or (a, after) in index._ngrams]
        if fitting:
            keys[k] = fitting[0]
    return keys


def _named(message: str, candidates: list[Candidate]) -> Understanding:
    if len(candidates) == 1:
        return Understanding("place", message, place=candidates[0])
    return Understanding("choose", message, candidates=tuple(candidates[:MAX_CHOICES]),
                         reason="ambiguous")


def _areas(what: Understanding) -> set[str]:
    """The codes of the wards and boroughs a mention is in or may be."""
    out: set[str] = set()
    for c in (what.place, *what.candidates):
        if c is not None:
            out.add(c.borough_code)
            if c.kind == "ward":
                out.add(c.code)
    for share in what.wards:
        out |= {share.ward.code, share.ward.borough_code}
    return out


def _qualified(mentions: list[_Mention], message: str) -> list[_Mention]:
    """Fold a name that only says where another mention is ("Woodside, Croydon", "E8 1DY
    Hackney", "E1 Whitechapel") into it, unless the message asks for a comparison."""
    if len(mentions) < 2 or _asks_to_compare(message):
        return mentions
    out = list(mentions)
    k = 0
    while k + 1 < len(out):
        a, b = out[k], out[k + 1]
        merged = _merge(a, b) or _merge(b, a)
        if merged is not None:
            out[k:k + 2] = [merged]
        else:
            k += 1
    return out


def _merge(main: _Mention, qualifier: _Mention) -> _Mention | None:
    """``main`` narrowed by ``qualifier`` if the qualifier is a name consistent with it."""
    if not qualifier.name_words:
        return None
    q = qualifier.what
    q_codes = {c.code for c in (q.place, *q.candidates) if c is not None}
    q_boroughs = {c.borough_code for c in (q.place, *q.candidates) if c is not None}
    m = main.what
    span = (min(main.start, qualifier.start), max(main.end, qualifier.end))
    if m.kind in ("place", "choose") and main.name_words and m.reason != "near_miss":
        options = [c for c in (m.place, *m.candidates) if c is not None]
        # a ward named with its borough: keep the wards in that borough
        boroughs = {c.code for c in (q.place, *q.candidates)
                    if c is not None and c.kind == "borough"}
        kept = [c for c in options if c.kind == "ward" and c.borough_code in boroughs]
        if not kept:
            return None
        return _Mention(*span, _named(m.text, kept), main.name_words)
    if m.kind == "district":
        wards = [s.ward for s in m.wards if s.ward.code in q_codes]
        if wards and len(wards) == 1 and q_codes <= {wards[0].code} | q_boroughs:
            return _Mention(*span, Understanding("place", m.text, place=wards[0]))
        if _areas(m) & q_codes:
            return _Mention(*span, m)
        return None
    if m.kind == "postcode" and m.place is not None and (
            {m.place.borough_code} & (q_codes | q_boroughs)):
        return _Mention(*span, m)
    return None


def _as_part(mention: _Mention, index: PlaceIndex) -> Understanding:
    """A mention as one side of a comparison: a borough's exact name is that borough."""
    what = mention.what
    if what.kind == "choose" and what.reason == "ambiguous" and mention.name_words:
        narrow = index._named(mention.name_words, widen=False)
        boroughs = [c for c in narrow if c.kind == "borough"]
        if len(boroughs) == 1 and index._exact.get(" ".join(mention.name_words)):
            return Understanding("place", what.text, place=boroughs[0])
        return _named(what.text, narrow)
    return what


def _nothing_named(text: str, message: str, index: PlaceIndex) -> Understanding:
    """No place found word by word: a postcode attempt, a name typed loosely, or other."""
    words = _words(message)[:_MAX_TOKENS]
    content = [w for w in words if w.key not in STOPWORDS]
    if not content:
        return Understanding("other", text)
    compact = "".join(w.raw for w in content)
    if (len(content) <= 3 and compact.isascii() and compact.isalnum()
            and 4 <= len(compact) <= 8 and compact[0].isalpha()
            and any(ch.isdigit() for ch in compact[1:4])
            and all(len(w.raw) <= 4 or any(ch.isdigit() for ch in w.raw) for w in content)):
        return Understanding("postcode_help", text)  # a code, but no real postcode near
    corrected = " ".join(index._corrected(w.key) for w in content)
    candidates = index._fuzzy(corrected)
    if not candidates:
        return Understanding("other", text)
    return replace(_named(message, candidates), text=text)
