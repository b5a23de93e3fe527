"""What the place resolver returns: the places a message may mean, and what it names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

CITY_OF_LONDON: Final = "E09000001"  # the City of London's local authority code
MAX_SUGGESTIONS: Final = 3  # near-miss postcodes offered
MAX_CHOICES: Final = 8  # places offered for an ambiguous name

CandidateKind = Literal["postcode", "ward", "borough"]
UnderstandingKind = Literal[
    "postcode", "district", "place", "choose", "compare", "postcode_help", "other"
]
ChooseReason = Literal["near_miss", "ambiguous"]



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

