"""UK postcodes: parsing what people type (the postcodes.io client is `postcodes_io`).

Parsing is pure and never raises.  ``normalise`` turns any case and spacing of a full
postcode into the one-space form ("sw1a1aa" -> "SW1A 1AA"); ``parse_query`` also
recognises a bare outward code ("e1" -> "E1") and says "invalid" for anything else;
``find_postcodes`` finds the postcodes written anywhere in a message ("my postcode is
e8-1dy") and ``outward_code`` reads one word as a district.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "LONDON_AREAS",
    "UK_AREAS",
    "Found",
    "Query",
    "QueryKind",
    "area_of",
    "find_postcodes",
    "normalise",
    "outward_code",
    "parse_query",
]

QueryKind = Literal["postcode", "outcode", "invalid"]

# The postcode areas of the United Kingdom and the Crown Dependencies (Royal Mail's list;
# BF and BX are non-geographic, GIR 0AA a historic one-off).  A code in no such area
# cannot be a postcode.
_UK_AREA_TEXT: Final = """
    AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH
    DL DN DT DY E EC EH EN EX FK FY G GIR GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA
    KT KW KY L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR
    RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC
    WD WF WN WR WS WV YO ZE
"""
UK_AREAS: Final = frozenset(_UK_AREA_TEXT.split())
# The areas of the London postal district, which lies wholly inside Greater London: every
# district of theirs has postcodes in the bundled table, so one it lacks does not exist.
LONDON_AREAS: Final = frozenset({"E", "EC", "N", "NW", "SE", "SW", "W", "WC"})


def area_of(outcode: str) -> str:
    """The postcode area of a district ("SE15" -> "SE")."""
    return re.match(r"[A-Z]*", outcode.upper()).group()  # type: ignore[union-attr]

# --------------------------------------------------------------------------------------
# The grammar (BS 7666, as published in the UK Government Data Standards Catalogue).
#
# Outward code shapes: A9, A99, AA9, AA99, A9A, AA9A.  Letters are restricted by position:
#   1st letter: not Q, V, X          2nd letter: not I, J, Z
#   3rd char of A9A: one of A B C D E F G H J K P S T U W
#   4th char of AA9A: one of A B E H M N P R V W X Y
# Inward code: a digit and two letters, never C I K M O V.  "GIR 0AA" is the one
# historic exception and is accepted as a full postcode.
_L1: Final = "A-PR-UWYZ"
_L2: Final = "A-HK-Y"
_L3: Final = "A-HJKPSTUW"
_L4: Final = "ABEHMNPRVWXY"
_INWARD_LETTER: Final = "ABD-HJLNP-UW-Z"

_OUTWARD: Final = (
    f"[{_L1}][0-9][0-9]?"  # A9, A99
    f"|[{_L1}][{_L2}][0-9][0-9]?"  # AA9, AA99
    f"|[{_L1}][0-9][{_L3}]"  # A9A
    f"|[{_L1}][{_L2}][0-9][{_L4}]"  # AA9A
)
_INWARD: Final = f"[0-9][{_INWARD_LETTER}]{{2}}"

_OUTCODE_RE: Final = re.compile(f"(?:{_OUTWARD})", re.ASCII)
_POSTCODE_RE: Final = re.compile(f"(?:{_OUTWARD})(?:{_INWARD})|GIR0AA", re.ASCII)

# Spacing people (and copy-paste) put in a postcode: ordinary spaces, tabs and line
# breaks, Unicode space separators, and the zero-width characters pasted text carries.
# Other control characters (NUL, ESC, ...) are not spacing: they make the text invalid.
_SPACING: Final = (
    "\t\n\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u200b\u202f\u205f\u2060\u3000\ufeff"
)
_SPACING_RE: Final = re.compile(f"[{re.escape(_SPACING)}]+")
# What may surround a postcode in a message without changing its meaning: spacing,
# sentence punctuation, quotes and brackets.
_WRAPPING: Final = _SPACING + ".,;:!?'\"()[]<>\u2018\u2019\u201c\u201d\u00ab\u00bb"
# A postcode is at most 8 characters; anything much longer is not one, whatever it holds.
_MAX_INPUT: Final = 64


def _compact(text: str) -> str | None:
    """Text upper-cased without its spacing, or None if it can't be a postcode.

    The spacing may surround the text and may separate it into two parts (outward and
    inward code); a space anywhere else ("E1 66AN", "S W1A") is not tidied away, since
    that would be guessing.  What remains must be ASCII letters and digits.
    """
    parts = [part for part in _SPACING_RE.split(text) if part]
    if not 1 <= len(parts) <= 2:
        return None
    compact = "".join(parts)
    if not compact.isascii() or not compact.isalnum():
        return None
    compact = compact.upper()
    if len(parts) == 2 and len(parts[1]) != 3:
        return None  # the space must fall between the outward and the inward code
    return compact


def normalise(text: str) -> str | None:
    """A full UK postcode in its standard form ("SW1A 1AA"), or None if ``text`` isn't one.

    Any case and any spacing around it or between its two halves is accepted
    (" e1  6an ", "E16AN", "e1\t6an"); nothing else is forgiven: no punctuation, no
    look-alike digits or letters, no space inside a half, no guessing at typos.
    """
    if not isinstance(text, str) or len(text) > _MAX_INPUT:
        return None
    compact = _compact(text)
    if compact is None or _POSTCODE_RE.fullmatch(compact) is None:
        return None
    return f"{compact[:-3]} {compact[-3:]}"


@dataclass(frozen=True, slots=True)
class Query:
    """What someone typed, read as a postcode, an outward code, or neither.

    ``value`` is the normalised postcode ("E1 6AN"), the upper-case outward code
    ("SW1A"), or "" when ``kind`` is "invalid".  ``text`` is the original input.
    """

    kind: QueryKind
    value: str
    text: str


def parse_query(text: str) -> Query:
    """Read a message as a full postcode, a bare outward code, or "invalid"; never raises.

    Surrounding spaces, quotes, brackets and sentence punctuation ("E1 6AN.") are
    ignored; anything else around or inside the code makes the query invalid.
    """
    if not isinstance(text, str):
        return Query("invalid", "", "")
    if len(text) > _MAX_INPUT:
        return Query("invalid", "", text)
    stripped = text.strip(_WRAPPING)
    postcode = normalise(stripped)
    if postcode is not None:
        return Query("postcode", postcode, text)
    if stripped.isascii() and _OUTCODE_RE.fullmatch(stripped.upper()) is not None:
        return Query("outcode", stripped.upper(), text)
    return Query("invalid", "", text)


def outward_code(text: str) -> str | None:
    """The upper-case outward code if ``text`` is one and nothing else ("e1" -> "E1")."""
    if not isinstance(text, str) or not text.isascii() or len(text) > 4:
        return None
    upper = text.upper()
    return upper if _OUTCODE_RE.fullmatch(upper) is not None else None


# --------------------------------------------------------------------------------------
# Postcodes inside a message

# A message is scanned as runs of ASCII letters and digits.  Between the pieces of one
# postcode only spacing and the joiners people put in codes ("e8-1dy", "E8.1DY",
# "E8/1DY") may stand, at most three characters of them.
_PIECE_RE: Final = re.compile(r"[A-Za-z0-9]+", re.ASCII)
_JOINERS: Final = frozenset(_SPACING + "-./_")
_MAX_JOIN: Final = 3
_MAX_SCAN: Final = 1000  # characters of a message looked at: a postcode comes early


@dataclass(frozen=True, slots=True)
class Found:
    """A postcode written in a message: normalised, and where it stands (``text[start:end]``).

    ``exact`` is True when it was written as one word or as its two halves ("E81DY",
    "E8 1DY", "e8-1dy"), False when it was pieced together from smaller fragments
    ("e 8 1 d y", "SE 15 5AA"), which is only accepted for a postcode the caller knows.
    """

    postcode: str
    start: int
    end: int
    exact: bool


def _joined(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return len(gap) <= _MAX_JOIN and all(ch in _JOINERS for ch in gap)


def find_postcodes(text: str, known: Callable[[str], bool] | None = None) -> tuple[Found, ...]:
    """The postcodes written in ``text``, in order, each once; never raises.

    A postcode written as one word or as its two halves is found whether or not it
    exists; one pieced together from more fragments (" e 8 1 d y ") only when ``known``
    says the normalised postcode exists, so that ordinary words are never glued into a
    code.  Without ``known`` only exact writings are found.  Only the first
    1,000 characters are read.
    """
    if not isinstance(text, str):
        return ()
    text = text[:_MAX_SCAN]
    pieces = [(m.group().upper(), m.start(), m.end()) for m in _PIECE_RE.finditer(text)]
    taken = [False] * len(pieces)
    found: list[Found] = []
    for i, (piece, start, end) in enumerate(pieces):
        if _POSTCODE_RE.fullmatch(piece):
            found.append(Found(f"{piece[:-3]} {piece[-3:]}", start, end, True))
            taken[i] = True
            continue
        if i + 1 < len(pieces) and not taken[i] and len(piece) <= 4:
            inward, istart, iend = pieces[i + 1]
            if (len(inward) == 3 and _POSTCODE_RE.fullmatch(piece + inward)
                    and _joined(text, end, istart)):
                found.append(Found(f"{piece} {inward}", start, iend, True))
                taken[i] = taken[i + 1] = True
    if known is not None:
        found.extend(_pieced(text, pieces, taken, known))
    seen: set[str] = set()
    ordered = []
    for f in sorted(found, key=lambda f: f.start):
        if f.postcode not in seen:
            seen.add(f.postcode)
            ordered.append(f)
    return tuple(ordered)


def _pieced(text: str, pieces: list[tuple[str, int, int]], taken: list[bool],
            known: Callable[[str], bool]) -> list[Found]:
    """Postcodes spread over several fragments, the longest known one at each place."""
    out: list[Found] = []
    i = 0
    while i < len(pieces):
        best: tuple[int, str] | None = None
        compact = ""
        j = i
        while j < len(pieces) and not taken[j]:
            if j > i and not _joined(text, pieces[j - 1][2], pieces[j][1]):
                break
            compact += pieces[j][0]
            if len(compact) > 7:
                break
            if j > i and _POSTCODE_RE.fullmatch(compact):
                postcode = f"{compact[:-3]} {compact[-3:]}"
                if known(postcode):
                    best = (j, postcode)
            j += 1
        if best is None:
            i += 1
            continue
        last, postcode = best
        out.append(Found(postcode, pieces[i][1], pieces[last][2], False))
        for k in range(i, last + 1):
            taken[k] = True
        i = last + 1
    return out


