"""The place index: every postcode, ward and borough of one data version, and the ways a
name or a postcode is looked up in it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from itertools import combinations, islice

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from datastore.query.places.model import (
    CITY_OF_LONDON,
    MAX_CHOICES,
    MAX_SUGGESTIONS,
    Candidate,
    WardShare,
)
from datastore.query.places.parsing import (
    BOROUGH_ALIASES,
    EVERYDAY,
    STOPWORDS,
    aliases,
    name_tokens,
)
from datastore.query.places.postcode_set import (
    LOOKALIKE,
    PART,
    PostcodeSet,
    edits,
    shape_fixed,
)


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
    _postcodes: PostcodeSet
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
        while part := list(islice(rows, PART)):
            codes: list[bytes] = []
            indices: list[int] = []
            for postcode, ward, borough in part:
                compact = postcode.replace(" ", "").upper()
                if not compact.isascii() or len(compact) > PostcodeSet.WIDTH:
                    continue  # no such postcode can be asked for
                i = ward_index.get(ward, -1)
                codes.append(compact.encode("ascii"))
                indices.append(i)
                if i >= 0:
                    counts.setdefault(compact[:-3], Counter())[i] += 1
                elif borough in borough_cands:
                    unplaced[compact] = borough_cands[borough]
            code_parts.append(np.array(codes, dtype=f"S{PostcodeSet.WIDTH}"))
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
            extra = aliases(entry.candidate.name)
            if entry.candidate.kind == "borough":
                extra += list(BOROUGH_ALIASES.get(entry.candidate.code, ()))
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
            _postcodes=PostcodeSet(code_parts, ward_parts),
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

        fixed = shape_fixed(code)
        spots = [i for i, ch in enumerate(code) if ch in LOOKALIKE][:8]
        for n in range(len(spots) + 1):
            for chosen in combinations(spots, n):
                chars = list(code)
                for i in chosen:
                    chars[i] = LOOKALIKE[chars[i]]
                shaped.append(("".join(chars), 1, n, True))
        for source in dict.fromkeys((code, fixed)):
            if len(source) >= 5:
                shaped.append((source[3:] + source[:3], 1, 1, True))  # the halves swapped
            changes = sum(a != b for a, b in zip(source, code, strict=True))
            if changes > 1:
                continue  # one fix and one slip at most: further is another postcode
            for candidate, slip in edits(source, self._postcodes):
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
        if len(content) == 1 and content[0] in EVERYDAY:
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

