"""The one table of display names: the labels the Met and police.uk publish, in plain words.

Answers, views and digests show `display(label)`; downloads, `ask --json` and /types keep the
label as published (/types shows both), so every figure can still be found in the source file.
A label with no entry is shown as published, the Met's upper-case ones in sentence case.
"""

from __future__ import annotations

from typing import Final

# Keyed by the label as published (the Met's crime categories upper-case, as in its files).
DISPLAY: Final[dict[str, str]] = {
    # The Met's crime categories (ward and borough extracts).
    "BURGLARY - RESIDENTIAL": "Burglary of a home (older coding)",
    "BURGLARY IN A DWELLING": "Burglary of a home (older coding)",
    "BURGLARY IN OTHER BUILDINGS": "Burglary of another building (older coding)",
    "BURGLARY BUSINESS AND COMMUNITY": "Burglary of a business or community building",
    "RES BURGLARY OF A HOME": "Burglary of a home",
    "RES BURGLARY OF UNCONNECTED BUILDING": "Burglary of a shed or garage",
    "MISC CRIMES AGAINST SOCIETY": "Miscellaneous crimes against society",
    "NFIB": "Fraud passed to Action Fraud (NFIB)",
    "NFIB FRAUD": "Fraud passed to Action Fraud (NFIB)",
    "OTHER OFFENCES PUBLIC ORDER": "Other public order offences",
    "PUBLIC FEAR ALARM OR DISTRESS": "Causing fear, alarm or distress",
    "RACE OR RELIGIOUS AGG PUBLIC FEAR": "Racially or religiously aggravated fear or distress",
    "THEFT OR UNAUTH TAKING OF A MOTOR VEH": "Theft or taking of a vehicle",
    "INTERFERING WITH A MOTOR VEHICLE": "Interfering with a vehicle",
    "AGGRAVATED VEHICLE TAKING": "Aggravated vehicle taking",
    "DEATH SERIOUS INJURY ILLEGAL DRIVING": "Death or serious injury by unlawful driving",
    # police.uk's stop-and-search outcomes, objects of search and types.
    "A no further action disposal": "No further action",
    "Summons / charged by post": "Summons or charged by post",
    "Caution (simple or conditional)": "Caution",
    "Penalty Notice for Disorder": "Penalty notice for disorder",
    "Khat or Cannabis warning": "Cannabis or khat warning",
    "Local resolution": "Local resolution",
    "Articles for use in criminal damage": "Articles for criminal damage",
    "Evidence of offences under the Act": "Evidence of an offence",
    "Anything to threaten or harm anyone": "Anything to threaten or harm someone",
    "Person and Vehicle search": "Person and vehicle search",
}

_ACRONYMS: Final = frozenset({"nfib", "asb", "hmrc", "dvla"})


def sentence_case(name: str) -> str:
    """'THEFT FROM THE PERSON' -> 'Theft from the person' (known acronyms kept)."""
    words = name.strip().lower().split()
    if not words:
        return name
    out = [w.upper() if w in _ACRONYMS else w for w in words]
    out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out)


def display(label: str) -> str:
    """The label as the bot shows it: from the table, else as published (upper-case labels
    in sentence case)."""
    name = label.strip()
    found = DISPLAY.get(name) or DISPLAY.get(name.upper())
    if found is not None:
        return found
    return sentence_case(name) if name.isupper() else name
