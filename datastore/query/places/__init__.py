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

One job per module: `model` (what the resolver returns), `parsing` (the words names are
matched on), `postcode_set` (the compact postcodes and near-misses), `gazetteer` (the
bundled areas, stations and streets, each with its wards), `names` (every name, matched
exactly, in part or fuzzily), `index` (the `PlaceIndex`), `mentions` (what one name stands
for), `qualifying` (a name that says where another is), `understanding` (reading one
message).
"""

from datastore.query.places.index import PlaceIndex
from datastore.query.places.model import (
    ALL_IN,
    CITY_OF_LONDON,
    MAX_CHOICES,
    MAX_PARTS,
    MAX_SUGGESTIONS,
    Asked,
    Candidate,
    CandidateKind,
    ChooseReason,
    Understanding,
    UnderstandingKind,
    WardShare,
)
from datastore.query.places.parsing import STOPWORDS, name_key, name_tokens
from datastore.query.places.understanding import place_understanding, understand

__all__ = [
    "ALL_IN",
    "CITY_OF_LONDON",
    "MAX_CHOICES",
    "MAX_PARTS",
    "MAX_SUGGESTIONS",
    "STOPWORDS",
    "Asked",
    "Candidate",
    "CandidateKind",
    "ChooseReason",
    "PlaceIndex",
    "Understanding",
    "UnderstandingKind",
    "WardShare",
    "name_key",
    "name_tokens",
    "place_understanding",
    "understand",
]
