"""What the place resolver returns: the places a message may mean, and what it names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

CITY_OF_LONDON: Final = "E09000001"  # the City of London's local authority code
MAX_SUGGESTIONS: Final = 3  # near-miss postcodes offered
MAX_CHOICES: Final = 8  # places offered for an ambiguous name
MAX_PARTS: Final = 4  # places one comparison takes
# A place of the gazetteer is answered as the one ward holding at least this share of it
# ("Mayfair is in West End ward"); one spread wider offers its wards.
ONE_WARD: Final = 0.75
ALL_IN: Final = 0.95  # ... and is said to be wholly in it from this share on
MIN_SHARE: Final = 0.05  # a ward with less of a place is not offered for it

CandidateKind = Literal["postcode", "ward", "borough", "place"]
UnderstandingKind = Literal[
    "postcode", "district", "place", "choose", "compare", "postcode_help", "other"
]
# near_miss: a mistyped postcode; ambiguous: a name several places answer to; spans: a place
# of the gazetteer across several wards (the candidates are its wards); fuzzy: a name that
# is only close to what was typed ("Did you mean …?").
ChooseReason = Literal["near_miss", "ambiguous", "spans", "fuzzy"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A place a message may mean: a postcode, a ward, a borough, or a place of the gazetteer
    (an area, a station or a street).

    ``code`` is the postcode ("E8 1DY"), the ward's code (E05…), the borough's (E09…) or the
    gazetteer place's number.  ``name`` is the ward's, borough's or place's name; for a
    postcode, the name of its ward.  ``borough_code``/``borough_name`` are the borough it
    lies in (a borough's are its own; a place's, its largest ward's), so that places of the
    same name are told apart.  ``city`` is True in the City of London, which has its own
    police force: the Met publishes nothing for it.  A gazetteer place's ``detail`` is its
    kind ("area", "station", "street") and ``where`` its largest ward's name.
    """

    kind: CandidateKind
    code: str
    name: str
    borough_code: str
    borough_name: str
    city: bool = False
    detail: str = ""
    where: str = ""


@dataclass(frozen=True, slots=True)
class Asked:
    """A place of the gazetteer a message named, answered as a ward or offered as its
    wards: its name and kind, and (answered as one ward) that ward's share of it."""

    name: str
    kind: str
    share: float | None = None
    place_id: int | None = None  # its number in the gazetteer (None: not of the gazetteer)


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
    - ``place``: ``place``, the one ward or borough the message names; when the message named
      a place of the gazetteer, ``asked`` is that place and ``place`` the ward holding most of
      it (or, in the City, the City; ``place`` is the gazetteer place itself, of kind
      "place", when it lies outside London).
    - ``choose``: ``candidates``, best first, and ``reason`` (`ChooseReason`); for "spans",
      ``asked`` is the place and ``shares`` each ward's share of it.
    - ``compare``: ``parts``, the places the message names (at most `MAX_PARTS`), in its
      order, each an `Understanding` of kind postcode, district, place or choose; and
      ``left_out``, any it names beyond those, as typed.
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
    left_out: tuple[str, ...] = ()  # compare: the places named beyond MAX_PARTS, as typed
    asked: Asked | None = None
    shares: tuple[float, ...] = ()

