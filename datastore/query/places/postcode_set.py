"""Postcodes as the resolver holds them: one compact sorted array, and the real postcodes a
mistyped one may have meant (look-alike characters, a slip of the finger)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

# Characters that look alike and are typed for each other: a letter where a digit belongs
# and the other way round.
LOOKALIKE: Final = {"O": "0", "0": "O", "I": "1", "1": "I", "L": "1", "S": "5", "5": "S",
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


def shape_fixed(code: str) -> str:
    """The code with look-alikes put right where the postcode's shape leaves no doubt: the
    inward code is a digit and two letters, and a postcode starts with a letter."""
    if len(code) < 5:
        return code
    chars = list(code)
    digit, letters = len(chars) - 3, (len(chars) - 2, len(chars) - 1)
    if chars[digit].isalpha() and LOOKALIKE.get(chars[digit], "").isdigit():
        chars[digit] = LOOKALIKE[chars[digit]]
    for i in (0, *letters):
        if chars[i].isdigit() and chars[i] in LOOKALIKE:
            chars[i] = LOOKALIKE[chars[i]]
    return "".join(chars)


def edits(code: str, table: PostcodeSet) -> list[tuple[str, bool]]:
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
PART: Final = 8192


class PostcodeSet:
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

