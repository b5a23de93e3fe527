"""Plain-English lines for the Met's crime categories, keyed by the names its files use.

The Met re-codes categories between extracts, so `/types` lists what the current data holds and
looks each name up here; a name with no entry is shown as published, without a gloss.
"""

from __future__ import annotations

from typing import Final

MAJOR: Final[dict[str, str]] = {
    "ARSON AND CRIMINAL DAMAGE": "Deliberately damaging or setting fire to property.",
    "BURGLARY": "Entering a building as a trespasser to steal or do harm.",
    "DRUG OFFENCES": "Possessing or supplying controlled drugs.",
    "FRAUD AND FORGERY": "Deception for gain recorded by the Met (most fraud goes to Action "
    "Fraud).",
    "MISCELLANEOUS CRIMES AGAINST SOCIETY": "Other crimes against the public, e.g. perverting "
    "justice, bail offences, dangerous dogs.",
    "NFIB FRAUD": "Fraud passed to the National Fraud Intelligence Bureau; almost none is "
    "counted by area.",
    "POSSESSION OF WEAPONS": "Carrying a knife, gun or other offensive weapon.",
    "PUBLIC ORDER OFFENCES": "Causing fear, alarm or distress in public, up to violent disorder.",
    "ROBBERY": "Theft using force or the threat of force.",
    "SEXUAL OFFENCES": "Rape and other sexual offences.",
    "THEFT": "Stealing without force: from shops, from people, bicycles and other theft.",
    "VEHICLE OFFENCES": "Stealing vehicles, stealing from them or tampering with them.",
    "VIOLENCE AGAINST THE PERSON": "Assaults, harassment, stalking and homicide.",
}

MINOR: Final[dict[str, str]] = {
    "ARSON": "Deliberately setting fire to property.",
    "CRIMINAL DAMAGE": "Deliberately damaging property, e.g. vandalism or graffiti.",
    "BURGLARY - RESIDENTIAL": "Burglary of a home or its outbuildings (older extracts).",
    "BURGLARY IN A DWELLING": "Burglary of a home (before the Met's 2024 re-coding).",
    "BURGLARY IN OTHER BUILDINGS": "Burglary of a building that is not a home (older extracts).",
    "BURGLARY BUSINESS AND COMMUNITY": "Burglary of shops, offices, schools and other "
    "non-residential buildings.",
    "RES BURGLARY OF A HOME": "Burglary of someone's home.",
    "RES BURGLARY OF UNCONNECTED BUILDING": "Burglary of a shed or garage not joined to a home.",
    "POSSESSION OF DRUGS": "Having controlled drugs for one's own use.",
    "TRAFFICKING OF DRUGS": "Supplying, dealing or producing controlled drugs.",
    "FRAUD AND FORGERY": "Fraud and forgery recorded by the Met itself.",
    "MISC CRIMES AGAINST SOCIETY": "Other crimes against the public, e.g. perverting justice.",
    "NFIB": "Fraud referred to the National Fraud Intelligence Bureau.",
    "POSSESSION OF WEAPONS": "Carrying a knife, gun or other offensive weapon.",
    "OTHER OFFENCES PUBLIC ORDER": "Other public order offences.",
    "PUBLIC FEAR ALARM OR DISTRESS": "Behaviour meant to cause fear, alarm or distress.",
    "RACE OR RELIGIOUS AGG PUBLIC FEAR": "Public fear, alarm or distress aggravated by race "
    "or religion.",
    "VIOLENT DISORDER": "Three or more people using or threatening violence together.",
    "ROBBERY OF BUSINESS PROPERTY": "Robbery of a shop's or business's property.",
    "ROBBERY OF PERSONAL PROPERTY": "Robbery of a person's own property, e.g. a phone.",
    "OTHER SEXUAL OFFENCES": "Sexual assault and other sexual offences except rape.",
    "RAPE": "Rape, as defined in law.",
    "BICYCLE THEFT": "Stealing a bicycle.",
    "OTHER THEFT": "Theft not in another category, e.g. from a building or a garden.",
    "SHOPLIFTING": "Stealing from a shop.",
    "THEFT FROM THE PERSON": "Stealing from someone without force, e.g. pickpocketing.",
    "AGGRAVATED VEHICLE TAKING": "Taking a vehicle, then it is driven dangerously, damaged "
    "or causes injury.",
    "INTERFERING WITH A MOTOR VEHICLE": "Tampering with a vehicle intending to steal it or "
    "from it.",
    "THEFT FROM A VEHICLE": "Stealing from inside or off a vehicle.",
    "THEFT OR UNAUTH TAKING OF A MOTOR VEH": "Stealing or taking a vehicle without consent.",
    "DEATH SERIOUS INJURY ILLEGAL DRIVING": "Causing death or serious injury by dangerous, "
    "careless or illegal driving.",
    "HOMICIDE": "Murder, manslaughter and other unlawful killings.",
    "STALKING AND HARASSMENT": "Repeated behaviour that causes fear or distress.",
    "VIOLENCE WITH INJURY": "Assaults where the victim was injured.",
    "VIOLENCE WITHOUT INJURY": "Assaults and threats where the victim was not injured.",
}


def gloss(name: str, *, major: bool) -> str | None:
    """The plain-English line for a category name, if we have one."""
    return (MAJOR if major else MINOR).get(name.strip().upper())
