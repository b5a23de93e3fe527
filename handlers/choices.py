"""The buttons that let a resident choose what a message meant — a near-miss postcode, an
ambiguous name, a guess, a neighbourhood's wards, a district's or a borough's wards — and
their callback data.  A choice keeps the action it was made for (a map, a chart, a download,
a subscription).  Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from datastore.query.lookup import Answer
from datastore.query.places import Candidate
from datastore.query.view import DataView
from handlers import comparing, keyboards
from handlers.present import problems

# "pick:<w|b|p|g>:<code>[:<action>]": a ward (E05…), a borough (E09…), a postcode without
# its space, or a place of the gazetteer (the gazetteer's 4-character fingerprint, then the
# place's number); the action the choice is for: c (trend chart), p (map), x (download),
# s (subscribe); none: the answer.
PICK_PATTERN: Final = r"^pick:"
# "cmp:<ward>:<ward>": the two wards of a comparison on one trend chart.
COMPARE_PATTERN: Final = r"^cmp:"
SUBSCRIBE: Final = "s"
PICK_ACTIONS: Final = frozenset({keyboards.TREND, keyboards.MAP, keyboards.EXPORT, SUBSCRIBE})
_COMPARE = re.compile(r"^cmp:(E05\d{6}):(E05\d{6})$")
_PICK = re.compile(r"^pick:([wbpg]):([A-Za-z0-9]{5,12})(?::([cpxs]))?$")
_CODES: Final = {"w": re.compile(r"E05\d{6}"), "b": re.compile(r"E09\d{6}"),
                 "p": re.compile(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}"),
                 "g": re.compile(r"[0-9a-f]{4}\d{1,6}")}
_KINDS: Final = {"w": "ward", "b": "borough", "p": "postcode", "g": "place"}
_LETTER: Final = {v: k for k, v in _KINDS.items()}
MAX_WARD_BUTTONS: Final = 40  # a borough has at most 30 wards; a district rarely 20


@dataclass(frozen=True)
class Pick:
    kind: Literal["ward", "borough", "postcode", "place"]
    code: str  # a postcode with its space: "E8 1DY"; a place's number: "1234"
    action: str | None = None  # what the choice is for (PICK_ACTIONS); None: the answer
    version: str = ""  # a place's: the gazetteer fingerprint its button was made with


def parse(data: object) -> Pick | None:
    """The place a choice button asks for, or None if the data is not one of ours."""
    if not isinstance(data, str):
        return None
    match = _PICK.match(data)
    if match is None or not _CODES[match.group(1)].fullmatch(match.group(2)):
        return None
    letter, code, action = match.groups()
    version = ""
    if letter == "p":
        code = f"{code[:-3]} {code[-3:]}"
    if letter == "g":
        version, code = code[:4], str(int(code[4:]))
    return Pick(_KINDS[letter], code, action, version)  # type: ignore[arg-type]


def parse_compare(data: object) -> tuple[str, str] | None:
    """The two wards a Both trends button asks for, or None if the data is not one of ours."""
    match = _COMPARE.match(data) if isinstance(data, str) else None
    return (match.group(1), match.group(2)) if match else None


def _data(kind: str, code: str, action: str | None = None, version: str = "") -> str:
    code = f"{version}{code}" if kind == "place" else code.replace(" ", "")
    return f"pick:{_LETTER[kind]}:{code}" + (f":{action}" if action else "")


def _rows(buttons: Sequence[InlineKeyboardButton],
          per_row: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i:i + per_row]) for i in range(0, len(buttons), per_row)]


def choice_keyboard(candidates: Iterable[Candidate], action: str | None = None,
                    labels: Sequence[str] = (), version: str = "") -> InlineKeyboardMarkup:
    """One button per place a message may have meant, best first (``labels``, if given,
    are theirs)."""
    chosen = list(candidates)
    names = list(labels) or [problems.candidate_label(c) for c in chosen]
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(label, callback_data=_data(c.kind, c.code, action, version))]
        for c, label in zip(chosen, names, strict=True)
    ])


def ward_keyboard(wards: Iterable[tuple[str, str]],
                  action: str | None = None) -> InlineKeyboardMarkup:
    """One button per (ward code, name), two to a row, in the order given."""
    buttons = [InlineKeyboardButton(name, callback_data=_data("ward", code, action))
               for code, name in list(wards)[:MAX_WARD_BUTTONS]]
    return InlineKeyboardMarkup(_rows(buttons, 2))


def borough_wards(view: DataView, lad_code: str) -> list[tuple[str, str]]:
    """A borough's Met wards, highest 12-month rate first (those with no rate last)."""
    rates = view.ward_rates() if view.has_twelve_months() else {}
    wards = [(code, view.wards[code].name) for code, (lad, _name) in view.ward_lad.items()
             if lad == lad_code and view.is_met_ward(code)]
    return sorted(wards, key=lambda w: (-rates.get(w[0], -1.0), w[1]))


def gazetteer_version(view: DataView) -> str:
    """The fingerprint of the gazetteer a place's button names it in."""
    return view.place_index().gazetteer.version if view.has_place_index else ""


def markup_for(answer: Answer, view: DataView,
               action: str | None = None) -> InlineKeyboardMarkup | None:
    """The buttons for an answer that is not one ward's: choices, a district's wards, a
    borough's wards, a comparison's next choice; each for ``action`` (None: the answer);
    None when there are none."""
    res = answer.resolution
    if res.status in ("choose", "no_district") or (res.status == "not_found"
                                                   and res.candidates):
        return choice_keyboard(res.candidates, action, problems.labels(res),
                               gazetteer_version(view)) if res.candidates else None
    if res.status == "outcode" and res.district_wards:
        return ward_keyboard(((w.ward_code, f"{w.ward_name} ({w.lad_name})")
                              for w in res.district_wards), action)
    if res.status == "ok" and res.area == "borough" and res.borough_code:
        return ward_keyboard(borough_wards(view, res.borough_code), action)
    if res.status == "compare":
        wards = [p.place.ward_code for p in res.parts
                 if p.status == "ok" and p.area == "ward" and p.place is not None]
        if len(res.parts) == 2 and len(wards) == 2 and wards[0] != wards[1]:
            return InlineKeyboardMarkup([[InlineKeyboardButton(
                "Both trends on one chart", callback_data=f"cmp:{wards[0]}:{wards[1]}")]])
        return comparing.keyboard(answer, gazetteer_version(view))
    return None
