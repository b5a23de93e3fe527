"""A comparison one of whose places is still to be chosen, carried whole in its buttons.

Nothing is kept between a question and its answer: each button's data holds every place of
the comparison ("vs:<gazetteer fingerprint>:<place>|<place>…", at most Telegram's 64
bytes), the place it answers for replaced by the one it chooses.  Any replica can answer it,
and a lost button loses nothing but itself.  A place is one token — ``w`` a ward (its code's
digits in base 36), ``b`` a borough (its number), ``p`` a postcode, ``g`` a place of the
gazetteer (its number in base 36: a place across wards is still to be chosen) — or several
tokens joined by "." (still a choice).  Pure.
"""

from __future__ import annotations

import re
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from datastore.query.lookup import Answer, Resolution
from datastore.query.places import MAX_PARTS, Candidate, PlaceIndex
from datastore.query.view import DataView
from handlers.present import problems

PATTERN: Final = r"^vs:"
MAX_DATA: Final = 64  # bytes of callback data Telegram keeps
_DATA = re.compile(r"^vs:([0-9a-f]{4}):([a-zA-Z0-9.|]+)$")
_TOKEN = re.compile(r"^(?:w[0-9a-z]{1,4}|b\d{1,2}|p[A-Z0-9]{5,7}|g[0-9a-z]{1,4})$")


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def token(c: Candidate) -> str | None:
    """A candidate as a token, or None if it has none."""
    if c.kind == "ward" and re.fullmatch(r"E05\d{6}", c.code):
        return "w" + _b36(int(c.code[3:]))
    if c.kind == "borough" and re.fullmatch(r"E09\d{6}", c.code):
        return f"b{int(c.code[3:])}"
    if c.kind == "postcode":
        return "p" + c.code.replace(" ", "")
    if c.kind == "place" and c.code.isdigit():
        return "g" + _b36(int(c.code))
    return None


def _part_tokens(res: Resolution) -> list[str] | None:
    """A place of a comparison as tokens: one (answered) or several (still to choose)."""
    asked = res.asked
    if asked is not None and asked.place_id is not None:  # keep its name: a gazetteer place
        return ["g" + _b36(asked.place_id)]
    if res.status == "ok" and res.area == "borough" and res.borough_code:
        return [f"b{int(res.borough_code[3:])}"]
    if res.status == "ok" and res.place is not None:
        if res.place.postcode:
            return ["p" + res.place.postcode.replace(" ", "")]
        return ["w" + _b36(int(res.place.ward_code[3:]))]
    if res.status == "choose":
        found = [t for c in res.candidates if (t := token(c)) is not None]
        return found or None
    return None


def _encode(version: str, parts: list[list[str]]) -> str | None:
    """The data for these parts, candidates of the choices dropped from the last until it
    fits; None if it cannot."""
    parts = [list(p) for p in parts]
    while True:
        data = f"vs:{version or '0000'}:" + "|".join(".".join(p) for p in parts)
        if len(data.encode()) <= MAX_DATA:
            return data
        longest = max(parts, key=len)
        if len(longest) <= 2:
            return None
        longest.pop()


def keyboard(answer: Answer, version: str) -> InlineKeyboardMarkup | None:
    """The buttons for the first place of a comparison still to choose, each carrying the
    whole comparison with that choice made; None when nothing is to choose or it can't be
    carried."""
    parts = [p.resolution for p in answer.parts]
    tokens = [_part_tokens(r) for r in parts]
    pending = next((i for i, r in enumerate(parts) if r.status == "choose"), None)
    if pending is None or any(t is None for t in tokens) or len(parts) > MAX_PARTS:
        return None
    kept = [t for t in tokens if t is not None]
    res = parts[pending]
    rows = []
    for candidate, label in zip(res.candidates, problems.labels(res), strict=True):
        chosen = token(candidate)
        if chosen is None:
            continue
        data = _encode(version, [*kept[:pending], [chosen], *kept[pending + 1:]])
        if data is not None:
            rows.append([InlineKeyboardButton(label, callback_data=data)])
    return InlineKeyboardMarkup(rows) if rows else None


def parse(data: object, index: PlaceIndex, view: DataView) -> list[list[Candidate]] | None:
    """The comparison a button carries, each place as its candidates; None for data that is
    not ours, a stale gazetteer, or a place that no longer exists."""
    match = _DATA.match(data) if isinstance(data, str) else None
    if match is None:
        return None
    version, body = match.groups()
    if version != "0000" and version != index.gazetteer.version:
        return None
    parts = body.split("|")
    if not 2 <= len(parts) <= MAX_PARTS:
        return None
    out = []
    for part in parts:
        found = [_candidate(t, index, view) for t in part.split(".")]
        if not found or any(c is None for c in found):
            return None
        out.append([c for c in found if c is not None])
    return out


def _candidate(tok: str, index: PlaceIndex, view: DataView) -> Candidate | None:
    if not _TOKEN.match(tok):
        return None
    kind, rest = tok[0], tok[1:]
    if kind == "w":
        code = f"E05{int(rest, 36):06d}"
        ward = view.wards.get(code)
        borough = view.ward_lad.get(code)
        if ward is None or borough is None:
            return None
        return Candidate("ward", code, ward.name, borough[0], borough[1])
    if kind == "b":
        code = f"E09{int(rest):06d}"
        name = view.borough_name(code)
        return None if name is None else Candidate("borough", code, name, code, name)
    if kind == "p":
        return index.postcode(f"{rest[:-3]} {rest[-3:]}")
    return index.place_candidate(int(rest, 36))
