"""The place index: every postcode, ward, borough and gazetteer place of one data version,
and the ways a postcode, a district or a gazetteer place is looked up in it (names are in
`names.NameIndex`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations, islice

import numpy as np
import numpy.typing as npt

from datastore.query.places.gazetteer import Gazetteer, GazetteerPlace
from datastore.query.places.model import (
    CITY_OF_LONDON,
    MAX_SUGGESTIONS,
    Candidate,
    WardShare,
)
from datastore.query.places.names import NameIndex, PlaceName
from datastore.query.places.postcode_set import (
    LOOKALIKE,
    PART,
    PostcodeSet,
    edits,
    shape_fixed,
)


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
    names: NameIndex
    _wards: dict[str, Candidate]  # ward code -> the ward
    _city: Candidate | None  # the City of London, a place of which lies in it
    gazetteer: Gazetteer

    @classmethod
    def build(
        cls,
        postcodes: Iterable[tuple[str, str, str]],
        wards: Iterable[tuple[str, str, str, str]],
        boroughs: Iterable[tuple[str, str]],
        *,
        city_code: str = CITY_OF_LONDON,
        gazetteer: Gazetteer | None = None,
    ) -> PlaceIndex:
        """Index the places of one data version.

        ``postcodes``: (postcode in any spacing, ward code, borough code) for every postcode
        of the table; ``wards``: (code, name, borough code, borough name) for the Met's wards
        and the City of London's; ``boroughs``: (code, name) for the 32 boroughs and the
        City; ``gazetteer``: the areas, stations and streets (their wards not in ``wards``
        are left out).  Places in the borough ``city_code`` are flagged `Candidate.city`.
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
                    district = compact[:-3]
                    bucket = counts.get(district)
                    if bucket is None:
                        bucket = counts[district] = Counter()
                    bucket[i] += 1
                elif borough in borough_cands:
                    unplaced[compact] = borough_cands[borough]
            code_parts.append(np.array(codes, dtype=f"S{PostcodeSet.WIDTH}"))
            ward_parts.append(np.array(indices, dtype=np.int16))
        districts = _district_wards(counts, ward_list)

        city = borough_cands.get(city_code)
        gaz = gazetteer or Gazetteer((), "")
        known = {**ward_cands, **({city_code: city} if city else {})}
        names = []
        for i in range(len(gaz)):
            top = known.get(gaz.first_ward(i) or "")
            names.append(PlaceName(gaz.name(i), gaz.kind(i), gaz.weight(i),
                                   top.borough_name if top else ""))

        def place(place_id: int) -> Candidate:
            found = gaz.get(place_id)
            if found is None:
                raise LookupError(f"no gazetteer place {place_id}")
            return _place_candidate(found, known)

        return cls(
            _postcodes=PostcodeSet(code_parts, ward_parts),
            _wards_by_index=ward_list,
            _unplaced=unplaced,
            _districts=districts,
            names=NameIndex.build((*borough_cands.values(), *ward_list), names, place,
                                  lambda place_id: frozenset(gaz.ward_codes(place_id))),
            _wards=ward_cands,
            _city=city,
            gazetteer=gaz,
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

    # -- the gazetteer --------------------------------------------------------------------

    def place(self, candidate: Candidate) -> GazetteerPlace | None:
        """The gazetteer place a candidate of kind "place" is."""
        if candidate.kind != "place" or not candidate.code.isdigit():
            return None
        return self.gazetteer.get(int(candidate.code))

    def place_candidate(self, place_id: int) -> Candidate | None:
        """The candidate for a gazetteer place, by its number."""
        place = self.gazetteer.get(place_id)
        return None if place is None else _place_candidate(place, self._known())

    def place_wards(self, place: GazetteerPlace) -> list[tuple[Candidate, float]]:
        """The wards a gazetteer place lies in, each with its share of the place, largest
        first (the City of London as one); shares of wards this data version lacks are left
        out and the rest scaled up.  Empty: the place is outside London."""
        known = self._known()
        found = [(known[code], share) for code, share in place.wards if code in known]
        total = sum(share for _c, share in found)
        return [(c, share / total) for c, share in found] if total > 0 else []

    def _known(self) -> dict[str, Candidate]:
        return {**self._wards, **({self._city.code: self._city} if self._city else {})}


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



def _place_candidate(place: GazetteerPlace, known: dict[str, Candidate]) -> Candidate:
    """A gazetteer place as a candidate: its borough and name for where it is are its
    largest ward's (none: outside London)."""
    top = next((known[code] for code, _share in place.wards if code in known), None)
    if top is None:
        return Candidate("place", str(place.id), place.name, "", "", False, place.kind, "")
    where = top.name if top.kind == "ward" else ""
    return Candidate("place", str(place.id), place.name, top.borough_code, top.borough_name,
                     top.city, place.kind, where)
