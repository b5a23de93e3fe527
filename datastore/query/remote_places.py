"""A place the bundle does not know, asked of postcodes.io's places search (OS Open Names'
populated places: towns, villages, suburbs, hamlets), when it is reachable.

Only a message that looks like a place's name is sent (one to four words, letters only,
none of them chat), and nothing else of the message.  A place counts when its name is what
was asked (as names are compared) and it is in London; it is placed in the ward of the
London postcode nearest its point (within 1 km), as OS Open Names gives a point and a
bounding box, not an outline.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Final

from datastore.query.models import Place
from datastore.query.places import STOPWORDS, name_key
from datastore.query.postcodes_io import PostcodesIo
from datastore.query.view import DataView

__all__ = ["Located", "search", "worth_asking"]

_NAME_RE: Final = re.compile(r"^[^\W\d_]+(?:[ '’&.-]+[^\W\d_]+){0,3}$")
MAX_KM: Final = 1.0  # a place farther than this from every London postcode is not placed
DEADLINE_S: Final = 3.0


@dataclass(frozen=True)
class Located:
    """A place postcodes.io knows by the name asked, and the London postcode nearest it."""

    name: str
    local_type: str
    nearest: Place


# Chat that is no place, beside the resolver's stopwords.
_CHAT: Final = frozenset({"test", "testing", "goodnight", "haha", "hahaha", "lol", "lmao",
                          "omg", "wow", "hmmm", "nope", "yep", "yeah", "sup", "hallo",
                          "hiya", "howdy", "ciao", "bonjour", "hola", "ping", "pong"})


def worth_asking(text: str) -> str | None:
    """The place's name a message is, as written (its chat words left out), if it reads as
    one: one to four words, letters only; else None."""
    words = " ".join(text.strip(" \t\n?!.,").split())
    if not 3 <= len(words) <= 50 or _NAME_RE.match(words) is None:
        return None
    content = [w for w in words.split()
               if name_key(w) not in STOPWORDS and name_key(w) not in _CHAT]
    name = " ".join(content)
    return name if content and len(name) >= 4 else None


async def search(name: str, view: DataView, remote: PostcodesIo) -> list[Located] | None:
    """The London places of that name, each with its nearest London postcode, best first;
    None if postcodes.io could not be asked."""
    try:
        async with asyncio.timeout(DEADLINE_S):
            found = await remote.places(name)
    except TimeoutError:
        return None
    if found.status != "found":
        return None
    wanted = name_key(name)
    out: list[Located] = []
    for place in found.places:
        if name_key(place.name) != wanted or place.region not in (None, "London"):
            continue
        near = view.nearest_postcode(place.lat, place.lon)
        if near is not None and near[1] <= MAX_KM and near[0].lad_code.startswith("E09"):
            out.append(Located(place.name, place.local_type, near[0]))
    return out
