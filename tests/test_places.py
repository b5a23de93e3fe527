"""Ask by place: messages as residents type them, read against the bundled real data.

Every expected place is looked up in the raw bundled Code-Point Open file (tests/raw.py), never
taken from the code under test: which wards a district has, which ward names hold a word,
which postcodes exist and which are one slip away; a neighbourhood's, station's or street's
point comes from its raw source and its wards from the raw boundaries (tests/raw_places.py).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pandas as pd
import pytest
from rapidfuzz import process
from rapidfuzz.distance import OSA

from datastore.query.places import (
    CITY_OF_LONDON,
    MAX_SUGGESTIONS,
    Candidate,
    PlaceIndex,
    Understanding,
    understand,
)
from datastore.query.view import DataView
from tests import raw, raw_places


@pytest.fixture(scope="module")
def index(view: DataView) -> PlaceIndex:
    return view.place_index()


# -- the raw bundled facts ----------------------------------------------------------------


@cache
def raw_wards() -> pd.DataFrame:
    """Every ward of the postcode file: code, name, borough code, borough name."""
    pcs = raw.postcodes()
    cols = ["Admin_ward_code", "ward_name", "Admin_district_code", "district_name"]
    frame = pcs[cols].drop_duplicates()
    frame.columns = pd.Index(["code", "name", "borough_code", "borough"])
    return frame.reset_index(drop=True)


@cache
def raw_postcodes() -> frozenset[str]:
    return frozenset(raw.postcodes()["Postcode"])


def borough(name: str) -> tuple[str, str]:
    """("borough", code) of the borough called ``name`` in the raw file."""
    w = raw_wards()
    codes = set(w.loc[w["borough"] == name, "borough_code"])
    assert len(codes) == 1, name
    return ("borough", codes.pop())


def ward(name: str, borough_name: str | None = None) -> tuple[str, str]:
    """("ward", code) of the one ward called ``name`` (in ``borough_name``) in the raw file."""
    w = raw_wards()
    rows = w[(w["name"] == name) & ((w["borough"] == borough_name) if borough_name else True)]
    assert len(rows) == 1, (name, borough_name, len(rows))
    return ("ward", str(rows["code"].iloc[0]))


def wards_called(name: str) -> list[tuple[str, str]]:
    """The wards with exactly this name, by borough name."""
    w = raw_wards()
    rows = w[w["name"] == name].sort_values("borough")
    return [("ward", str(c)) for c in rows["code"]]


def wards_with_word(word: str, *, besides: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The wards whose name holds ``word`` as whole words but is not one of ``besides``,
    by name then borough."""
    w = raw_wards()
    # whole words: "St James" is in "St James'" but not in "St James's"
    pattern = re.compile(rf"(?<![\w']){re.escape(word)}(?!\w|'\w)", re.IGNORECASE)
    rows = w[w["name"].map(lambda n: bool(pattern.search(n))) & ~w["name"].isin(besides)]
    rows = rows.sort_values(["name", "borough"])
    return [("ward", str(c)) for c in rows["code"]]


def district_wards(outcode: str) -> list[tuple[str, int]]:
    """A district's wards from the raw file: (ward code, postcodes), most first, then code."""
    pcs = raw.postcodes()
    here = pcs[pcs["Postcode"].str.split(" ").str[0] == outcode]
    counts = here.groupby("Admin_ward_code").size()
    return sorted(((str(k), int(v)) for k, v in counts.items()), key=lambda kv: (-kv[1], kv[0]))


def real_within_one_slip(typed: str) -> set[str]:
    """The real postcodes one edit (Damerau, optimal string alignment) from ``typed``."""
    compact = typed.replace(" ", "").upper()
    choices = {p.replace(" ", ""): p for p in raw_postcodes()}
    hits = process.extract(compact, list(choices), scorer=OSA.distance, score_cutoff=1,
                           limit=None)
    return {choices[c] for c, _d, _i in hits if c != compact}


# -- what a case expects ------------------------------------------------------------------

Place = tuple[str, str]  # (kind, code): ("ward", "E05…"), ("borough", "E09…"), ("postcode", pc)


@dataclass(frozen=True)
class Expect:
    """What a message should be read as; places as (kind, code) computed from the raw file."""

    kind: str
    postcode: str | None = None
    district: str | None = None
    place: Place | None = None
    candidates: tuple[Place, ...] | None = None  # exactly these, in this order
    first: tuple[Place, ...] | None = None  # the best candidates start with these
    parts: tuple[Expect, ...] = ()
    guess: tuple[str, ...] | None = None  # offered, not answered: the first choices' names
    asked: str | None = None  # a gazetteer place of this name, answered or offered ...
    point: tuple[float, float] | None = None  # ... as a ward within 1.5 km of this point


def postcode(pc: str) -> Expect:
    return Expect("postcode", postcode=pc)


def district(oc: str) -> Expect:
    return Expect("district", district=oc)


def place(p: Place) -> Expect:
    return Expect("place", place=p)


def choose(*cands: Place) -> Expect:
    return Expect("choose", candidates=cands)


def near(*first: str) -> Expect:
    return Expect("choose", first=tuple(("postcode", p) for p in first))


def compare(*parts: Expect) -> Expect:
    return Expect("compare", parts=parts)


def guess(*names: str) -> Expect:
    """A name only close to what was typed: "Did you mean …?", never the answer."""
    return Expect("choose", guess=names)


def area_at(name: str) -> tuple[float, float]:
    """The point of an area of the raw Wikipedia table (its only row of that name)."""
    rows = raw_places.areas()[raw_places.areas()["name"] == name]
    assert len(rows) == 1, name
    return float(rows["lat"].iloc[0]), float(rows["lon"].iloc[0])


def station_at(name: str) -> tuple[float, float]:
    rows = raw_places.stations()[raw_places.stations()["name"] == name]
    return float(rows["lat"].iloc[0]), float(rows["lon"].iloc[0])


def street_at(name: str, district: str) -> tuple[float, float]:
    """A raw police.uk point of a street in a district (its nearest postcode's)."""
    pts = raw_places.street_points()
    for lat, lon in zip(pts.loc[pts["name"] == name, "lat"], pts.loc[pts["name"] == name, "lon"],
                        strict=True):
        if raw_places.nearest_postcode(lat, lon)[1] == district:
            return lat, lon
    raise AssertionError((name, district))


def known(name: str, point: tuple[float, float]) -> Expect:
    """A neighbourhood, station or street: the ward it is in, or its wards offered, at least
    one within 1.5 km of its raw point, and the place named as asked."""
    return Expect("gazetteer", asked=name, point=point)


def _as_pair(c: Candidate) -> Place:
    return (c.kind, c.code)


def check(got: Understanding, want: Expect) -> None:
    if want.kind == "gazetteer":
        check_near(got, want)
        return
    assert got.kind == want.kind, got
    if want.guess is not None:
        assert got.reason == "fuzzy", got
        assert [c.name for c in got.candidates[:len(want.guess)]] == list(want.guess), got
    if want.kind == "postcode":
        assert got.postcode == want.postcode
        assert got.known == (want.postcode in raw_postcodes())
        assert got.district == (want.postcode or "").split(" ")[0]
    if want.kind == "district":
        assert got.district == want.district
        wanted = district_wards(want.district or "")
        if wanted:  # a district written in full: exactly the raw file's wards, in order
            assert [(s.ward.code, s.postcodes) for s in got.wards] == wanted
    if want.place is not None:
        assert got.place is not None and _as_pair(got.place) == want.place
    if want.candidates is not None:
        assert [_as_pair(c) for c in got.candidates] == list(want.candidates)
    if want.first is not None:
        got_pairs = [_as_pair(c) for c in got.candidates]
        assert got_pairs[:len(want.first)] == list(want.first)
        assert got.reason == "near_miss"
        assert 1 <= len(got.candidates) <= MAX_SUGGESTIONS
        assert all(c.code in raw_postcodes() for c in got.candidates)
    if want.kind == "compare":
        assert len(got.parts) == len(want.parts)
        for part, expected in zip(got.parts, want.parts, strict=True):
            check(part, expected)


def check_near(got: Understanding, want: Expect) -> None:
    """The place asked for, answered as its ward or offered as its wards, one of them
    within 1.5 km of its raw point (in the City: the City of London)."""
    assert got.asked is not None and got.asked.name == want.asked, got
    assert want.point is not None
    lat, lon = want.point
    if raw_places.nearest_postcode(lat, lon)[0] == raw_places.CITY:
        assert got.kind == "place" and got.place is not None and got.place.city, got
        return
    wards = [c.code for c in (got.place, *got.candidates) if c is not None and c.kind == "ward"]
    assert got.kind in ("place", "choose") and wards, got
    assert got.kind == "place" or got.reason == "spans", got
    assert min(raw_places.metres_to_ward(w, lat, lon) for w in wards) <= 1500, got


# -- the table of messages ----------------------------------------------------------------
# Each case is (message, a function returning what it should be read as), so the raw file is
# only read when the tests run.

POSTCODES_IN_TEXT = [
    ("what's crime like in SE15 5AA?", lambda: postcode("SE15 5AA")),
    ("my postcode is E8 1DY", lambda: postcode("E8 1DY")),
    ("E8 1DY London", lambda: postcode("E8 1DY")),
    ("e8-1dy", lambda: postcode("E8 1DY")),
    ("E8.1DY", lambda: postcode("E8 1DY")),
    (" e 8 1 d y ", lambda: postcode("E8 1DY")),
    ("e81dy", lambda: postcode("E8 1DY")),
    ("SW1A 1AA", lambda: postcode("SW1A 1AA")),
    ("sw1a1aa", lambda: postcode("SW1A 1AA")),
    ("(SE15 5AA)", lambda: postcode("SE15 5AA")),
    ("se15 5aa.", lambda: postcode("SE15 5AA")),
    ("Postcode: N1 9GU", lambda: postcode("N1 9GU")),
    ("n19gu please", lambda: postcode("N1 9GU")),
    ("in E8 1DY, is it safe at night?", lambda: postcode("E8 1DY")),
    ("Hi! I just moved to E17 4AA, how bad is it?", lambda: postcode("E17 4AA")),
    ("my postcode is e17 4aa thanks", lambda: postcode("E17 4AA")),
    ("E 8 1 D Y", lambda: postcode("E8 1DY")),
    ("SE 15 5AA", lambda: postcode("SE15 5AA")),
    ("E81 DY", lambda: postcode("E8 1DY")),
    ("postcode E8 1D Y", lambda: postcode("E8 1DY")),
    ("E8 1DY Hackney", lambda: postcode("E8 1DY")),  # its own borough only says where
    ("SE15 5AA Peckham", lambda: postcode("SE15 5AA")),
    ("EC2V 7HH", lambda: postcode("EC2V 7HH")),  # the City of London
    ("M1 1AE", lambda: postcode("M1 1AE")),  # well-formed, Manchester: the caller decides
    ("E8 9ZZ", lambda: postcode("E8 9ZZ")),  # well-formed, not in the table
]

NEAR_MISSES = [
    ("E8 IDY", lambda: near("E8 1DY")),  # I for 1
    ("e8 idy", lambda: near("E8 1DY")),
    ("SWIA 1AA", lambda: near("SW1A 1AA")),  # I for 1 in the outward code
    ("SW1A IAA", lambda: near("SW1A 1AA")),
    ("what about sw1a iaa?", lambda: near("SW1A 1AA")),
    ("my postcode is E8 IDY", lambda: near("E8 1DY")),
    (" e 8 i d y ", lambda: near("E8 1DY")),
    ("SE1S 5AA", lambda: near("SE15 5AA")),  # S for 5
    ("5E15 5AA", lambda: near("SE15 5AA")),  # 5 for S
    ("SE15 SAA", lambda: near("SE15 5AA")),
    ("N1 9GU0", lambda: near("N1 9GU")),  # one extra
    ("E81DYY", lambda: near("E8 1DY")),
    ("1DY E8", lambda: near("E8 1DY")),  # halves swapped
    ("9GU N1", lambda: near("N1 9GU")),
    ("E8 IDY vs SW1A 1AA", lambda: compare(near("E8 1DY"), postcode("SW1A 1AA"))),
    ("N1 9GUU please", lambda: near("N1 9GU")),
]

# Whole-message near-misses whose every candidate is checked against a brute-force search of
# the raw file: (message, the look-alike fix if there is one).
ONE_SLIP = ["E8 1D", "N1 9G", "E8 1DV", "SE15 5A", "SW1A 1A", "E17 4A"]

DISTRICTS = [
    ("E1", lambda: district("E1")),
    ("e1", lambda: district("E1")),
    ("SE15", lambda: district("SE15")),
    ("crime in SE1", lambda: district("SE1")),
    ("I live in E8", lambda: district("E8")),
    ("is E8 safe", lambda: district("E8")),
    ("postcode E8", lambda: district("E8")),
    ("crime stats for E17 please", lambda: district("E17")),
    ("N1C", lambda: district("N1C")),
    ("Hackney E8", lambda: district("E8")),
    ("W1", lambda: district("W1")),  # written without its letter: W1A, W1B, …
    ("M1", lambda: district("M1")),  # outside London: no wards, the caller says so
]

NAMES = [
    ("Hackney Central", lambda: place(ward("Hackney Central"))),
    ("what's crime like in hackney central?", lambda: place(ward("Hackney Central"))),
    ("hello there, what's crime like in hackny wick?", lambda: guess("Hackney Wick")),
    ("St Jamess", lambda: place(ward("St James's"))),
    ("st james's", lambda: place(ward("St James's"))),
    ("Kings Cross", lambda: place(ward("King's Cross"))),
    ("King’s Cross", lambda: place(ward("King's Cross"))),
    ("Earls Court", lambda: place(ward("Earl's Court"))),
    ("Earl's Ct", lambda: place(ward("Earl's Court"))),
    ("St. Helen's", lambda: place(ward("St. Helen's"))),
    ("st helens", lambda: place(ward("St. Helen's"))),
    ("Saint Helens", lambda: place(ward("St. Helen's"))),
    ("Havering atte Bower", lambda: place(ward("Havering-atte-Bower"))),
    ("havering-atte-bower", lambda: place(ward("Havering-atte-Bower"))),
    ("blackwall cubitt town", lambda: place(ward("Blackwall & Cubitt Town"))),
    ("Blackwall and Cubitt Town", lambda: place(ward("Blackwall & Cubitt Town"))),
    ("cubitt town", lambda: place(ward("Blackwall & Cubitt Town"))),
    ("london bridge", lambda: place(ward("London Bridge & West Bermondsey"))),
    ("Bethnal Green", lambda: place(ward("Bethnal Green"))),
    ("bethnal grn", lambda: place(ward("Bethnal Green"))),
    ("muswell hill", lambda: place(ward("Muswell Hill"))),
    ("Crouch End", lambda: place(ward("Crouch End"))),
    ("Lewisham Central", lambda: place(ward("Lewisham Central"))),
    ("Harrow on the Hill", lambda: place(ward("Harrow on the Hill"))),
    ("Shepherds Bush", lambda: place(ward("Shepherd's Bush Green"))),
    ("Woodside Croydon", lambda: place(ward("Woodside", "Croydon"))),
    ("Woodside, Haringey", lambda: place(ward("Woodside", "Haringey"))),
    ("E1 Whitechapel", lambda: place(ward("Whitechapel"))),
    ("Islington", lambda: place(borough("Islington"))),
    ("islignton", lambda: guess("Islington")),
    ("Tower Hamlets", lambda: place(borough("Tower Hamlets"))),
    ("tower hamlet", lambda: guess("Tower Hamlets")),
    ("Kensington & Chelsea", lambda: place(borough("Kensington and Chelsea"))),
    ("kensington and chelsea", lambda: place(borough("Kensington and Chelsea"))),
    ("Hammersmith & Fulham", lambda: place(borough("Hammersmith and Fulham"))),
    ("hammersmith fulham", lambda: place(borough("Hammersmith and Fulham"))),
    ("Barking and Dagenham", lambda: place(borough("Barking and Dagenham"))),
    ("barking & dagenham", lambda: place(borough("Barking and Dagenham"))),
    ("Westminster", lambda: place(borough("Westminster"))),
    ("City of Westminster", lambda: place(borough("Westminster"))),
    ("City of London", lambda: place(borough("City of London"))),
    ("the city", lambda: place(borough("City of London"))),
    ("Aldgate", lambda: place(ward("Aldgate"))),  # a City of London ward
    # equally close typos: a dropped letter beats a wrong one, a name with its neighbour wins;
    # a typo is a guess, offered ("Did you mean …?"), never answered as if asked (issue 19)
    ("brckley", lambda: guess("Brockley")),
    ("crime in lanbury", lambda: guess("Lansbury")),
    ("east sehen", lambda: guess("East Sheen")),
    ("east barent", lambda: guess("East Barnet")),
    # a long name with a typo is one place, not two
    ("hampton wick & souh teddington", lambda: guess("Hampton Wick & South Teddington")),
    ("st mary's & t james'", lambda: choose(ward("St Mary's & St James"),
                                            ward("St Mary's & St James'"))),
]

AMBIGUOUS = [
    ("Hackney", lambda: choose(borough("Hackney"), *wards_with_word("Hackney"))),
    ("hackney", lambda: choose(borough("Hackney"), *wards_with_word("Hackney"))),
    ("hackny", lambda: choose(borough("Hackney"), *wards_with_word("Hackney"))),
    ("crime in hackney please", lambda: choose(borough("Hackney"),
                                               *wards_with_word("Hackney"))),
    ("I'm 25 and live in Hackney", lambda: choose(borough("Hackney"),
                                                  *wards_with_word("Hackney"))),
    ("Camden", lambda: choose(borough("Camden"), *wards_with_word("Camden"))),
    ("croydon", lambda: choose(borough("Croydon"), *wards_with_word("Croydon"))),
    ("Lewisham", lambda: choose(borough("Lewisham"), *wards_with_word("Lewisham"))),
    ("Greenwich", lambda: choose(borough("Greenwich"), *wards_with_word("Greenwich"))),
    ("sutton", lambda: choose(borough("Sutton"), *wards_with_word("Sutton"))),
    ("Woodside", lambda: choose(*wards_called("Woodside"),
                                *wards_with_word("Woodside", besides=("Woodside",)))),
    ("Highgate", lambda: choose(*wards_called("Highgate"))),
    ("Regents Park", lambda: choose(*wards_called("Regent's Park"))),
    ("Kilburn", lambda: choose(*wards_called("Kilburn"))),
    ("Lea Bridge", lambda: choose(*wards_called("Lea Bridge"))),
    ("St Mary's & St James", lambda: choose(ward("St Mary's & St James"),
                                            ward("St Mary's & St James'"))),
    ("St James", lambda: choose(ward("St James"), ward("St James's"),
                                *wards_with_word("St James",
                                                 besides=("St James", "St James's")))),
    ("Peckham", lambda: choose(ward("Peckham"),
                               *wards_with_word("Peckham", besides=("Peckham",)))),
    ("peckam", lambda: choose(ward("Peckham"),
                              *wards_with_word("Peckham", besides=("Peckham",)))),
    ("Stratford", lambda: choose(ward("Stratford"),
                                 *wards_with_word("Stratford", besides=("Stratford",)))),
    ("brixton", lambda: choose(*wards_with_word("Brixton"))),
    ("Wembley", lambda: choose(*wards_with_word("Wembley"))),
    ("Bermondsey", lambda: choose(*wards_with_word("Bermondsey"))),
    ("Kentish Town", lambda: choose(*wards_with_word("Kentish Town"))),
    ("Kingston", lambda: choose(borough("Kingston upon Thames"),
                                *wards_with_word("Kingston"))),
]

COMPARISONS = [
    ("compare Hackney and Camden", lambda: compare(place(borough("Hackney")),
                                                   place(borough("Camden")))),
    ("Hackney, Camden", lambda: compare(place(borough("Hackney")), place(borough("Camden")))),
    ("Camden or Islington?", lambda: compare(place(borough("Camden")),
                                             place(borough("Islington")))),
    ("E8 1DY vs SW1A 1AA", lambda: compare(postcode("E8 1DY"), postcode("SW1A 1AA"))),
    ("SE1 7PB and SE1 7PD", lambda: compare(postcode("SE1 7PB"), postcode("SE1 7PD"))),
    ("compare E8 1DY and Hackney", lambda: compare(postcode("E8 1DY"),
                                                   place(borough("Hackney")))),
    ("SE15 5AA and Hackney", lambda: compare(postcode("SE15 5AA"), place(borough("Hackney")))),
    ("E1 and E2", lambda: compare(district("E1"), district("E2"))),
    ("Hackney Central and Hackney Downs", lambda: compare(place(ward("Hackney Central")),
                                                          place(ward("Hackney Downs")))),
    ("whats crime like in camden town vs kings cross",
     lambda: compare(place(ward("Camden Town")), place(ward("King's Cross")))),
    ("Brixton vs Peckham", lambda: compare(choose(*wards_with_word("Brixton")),
                                           place(ward("Peckham")))),  # its own name
    ("Highgate vs Islington", lambda: compare(choose(*wards_called("Highgate")),
                                              place(borough("Islington")))),
    ("compare hackny and camdn", lambda: compare(guess("Hackney"), guess("Camden"))),
    ("E8 1DY vs SE15 5AA vs N1 9GU", lambda: compare(postcode("E8 1DY"), postcode("SE15 5AA"),
                                                     postcode("N1 9GU"))),
    ("compare Hackney, Camden, Islington and Lewisham",
     lambda: compare(*(place(borough(b)) for b in ("Hackney", "Camden", "Islington",
                                                   "Lewisham")))),
    ("Soho vs Mayfair", lambda: compare(known("Soho", area_at("Soho")),
                                        known("Mayfair", area_at("Mayfair")))),
]

# Neighbourhoods, stations and streets that are no ward (issue 19): never a ward merely like
# them in name ("Notting Hill" was Notting Dale's answer), nor "not understood".
GAZETTEER = [
    ("Notting Hill", lambda: known("Notting Hill", area_at("Notting Hill"))),
    ("Soho", lambda: known("Soho", area_at("Soho"))),
    ("crime in soho please", lambda: known("Soho", area_at("Soho"))),
    ("Mayfair", lambda: known("Mayfair", area_at("Mayfair"))),
    # the table's Angel has Addiscombe's reference: Angel is where its station is
    ("Angel", lambda: known("Angel", station_at("Angel"))),
    ("Euston", lambda: known("Euston", station_at("Euston"))),
    ("Euston station", lambda: known("Euston", station_at("Euston"))),
    ("Elephant and Castle", lambda: known("Elephant and Castle",
                                          area_at("Elephant and Castle"))),
    ("elephant & castle", lambda: known("Elephant and Castle",
                                        area_at("Elephant and Castle"))),
    ("Romford", lambda: known("Romford", area_at("Romford"))),
    ("Bromley by Bow", lambda: known("Bromley-by-Bow", area_at("Bromley-by-Bow"))),
    ("Barbican", lambda: known("Barbican", area_at("Barbican"))),  # the City of London
    ("Brick Lane E1", lambda: known("Brick Lane", street_at("Brick Lane", "E1"))),
    ("Notting Hill Gate", lambda: known("Notting Hill Gate", station_at("Notting Hill Gate"))),
    ("notting hil", lambda: guess("Notting Hill")),
    ("kingscross", lambda: guess("King's Cross")),
]

POSTCODE_HELP = ["ZZ9 9ZZ", "abc123", "SE155", "X1 1XX"]

OTHER = [
    "", "thanks", "thank you so much", "Thanks!", "hello", "Hello", "help", "hi there", "hi",
    "hey", "good morning", "good evening", "cheers mate", "ok thanks", "how do i use this",
    "can you help me", "what can you do", "yes", "no", "lol", "👍", "😂😂", "???", "/start",
    "12345", "I have 2 kids", "what is new", "H&F", "ta", "bye", "goodnight",
    "is it safe?", "what's the crime rate", "nice one", "brilliant, thanks",
    "where do you get your data", "love this bot", "test", "testing 123",
]

CASES = POSTCODES_IN_TEXT + NEAR_MISSES + DISTRICTS + NAMES + AMBIGUOUS + COMPARISONS + GAZETTEER


@pytest.mark.parametrize(("text", "expect"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_message(index: PlaceIndex, text: str, expect: object) -> None:
    assert callable(expect)
    got = understand(text, index)
    check(got, expect())
    assert got.text == text


@pytest.mark.parametrize("text", POSTCODE_HELP)
def test_postcode_attempt_with_nothing_close(index: PlaceIndex, text: str) -> None:
    assert understand(text, index).kind == "postcode_help"


@pytest.mark.parametrize("text", OTHER, ids=[t or "empty" for t in OTHER])
def test_nothing_we_answer_for(index: PlaceIndex, text: str) -> None:
    got = understand(text, index)
    assert got == Understanding("other", text)


def test_the_tables_hold_enough_messages() -> None:
    total = len(CASES) + len(ONE_SLIP) + len(POSTCODE_HELP) + len(OTHER)
    assert total >= 150
    assert len({c[0] for c in CASES}) == len(CASES)


# -- near-misses against a brute-force search of the raw file --------------------------------


@pytest.mark.parametrize("typed", ONE_SLIP)
def test_one_slip_suggests_only_real_postcodes_one_slip_away(index: PlaceIndex,
                                                             typed: str) -> None:
    got = understand(typed, index)
    assert got.kind == "choose" and got.reason == "near_miss"
    within = real_within_one_slip(typed)
    codes = [c.code for c in got.candidates]
    assert len(codes) == min(MAX_SUGGESTIONS, len(within))
    assert set(codes) <= within
    assert len(set(codes)) == len(codes)


def test_one_missing_letter_keeps_the_district(index: PlaceIndex) -> None:
    got = understand("SE15 5A", index)
    assert [c.code.split(" ")[0] for c in got.candidates] == ["SE15"] * MAX_SUGGESTIONS


def test_a_neighbouring_key_comes_first(index: PlaceIndex) -> None:
    # V sits between B, C, F and G on the keyboard: "E8 1DV" is E8 1DB or E8 1DG first
    got = understand("E8 1DV", index)
    neighbours = {p for p in real_within_one_slip("E8 1DV") if p[-1] in "BCFG"}
    assert neighbours and {c.code for c in got.candidates[:len(neighbours)]} <= neighbours


def test_candidates_name_their_ward_and_borough(index: PlaceIndex) -> None:
    got = understand("E8 IDY", index)
    row = raw.postcode_row("E8 1DY")
    assert got.candidates[0] == Candidate("postcode", "E8 1DY", row["ward_name"],
                                          row["Admin_district_code"], row["district_name"])


def test_an_unknown_postcode_carries_near_misses(index: PlaceIndex) -> None:
    got = understand("E8 1DZ", index)  # well-formed, not a postcode
    assert "E8 1DZ" not in raw_postcodes()
    assert got.kind == "postcode" and not got.known and got.place is None
    assert got.candidates and {c.code for c in got.candidates} <= real_within_one_slip("E8 1DZ")


# -- random real postcodes, typed as people type them ------------------------------------------

TEMPLATES = ["{}", "{} ", "what's crime like in {}?", "my postcode is {}", "{} London",
             "crime near {} please", "Hi, I live at {}. Is it safe?", "({})"]
WRITINGS: list[Callable[[str], str]] = [
    lambda p: p, lambda p: p.lower(), lambda p: p.replace(" ", ""), lambda p: p.replace(" ", "-"),
    lambda p: p.replace(" ", "."), lambda p: " ".join(p.replace(" ", "")).lower(),
    lambda p: p.replace(" ", "  "),
]


def test_random_real_postcodes_in_sentences(index: PlaceIndex) -> None:
    rng = random.Random(12)
    sample = rng.sample(sorted(raw_postcodes()), 400)
    rows = raw.postcodes().set_index("Postcode")
    for pc in sample:
        text = rng.choice(TEMPLATES).format(rng.choice(WRITINGS)(pc))
        got = understand(text, index)
        assert (got.kind, got.postcode, got.known) == ("postcode", pc, True), text
        assert got.place is not None
        assert got.place.code == pc
        assert got.place.borough_code == rows.loc[pc, "Admin_district_code"]
        assert got.place.city == (rows.loc[pc, "Admin_district_code"] == CITY_OF_LONDON)


def test_random_real_postcodes_with_a_look_alike(index: PlaceIndex) -> None:
    # the inward code's digit typed as its look-alike letter: the postcode is suggested
    rng = random.Random(13)
    looks = {"0": "O", "1": "I", "5": "S", "2": "Z", "8": "B"}
    sample = [p for p in sorted(raw_postcodes()) if p[-3] in looks]
    for pc in rng.sample(sample, 200):
        typed = pc[:-3] + looks[pc[-3]] + pc[-2:]
        got = understand(typed, index)
        assert got.kind == "choose" and got.reason == "near_miss", typed
        assert got.candidates[0].code == pc, typed


def test_random_real_postcodes_with_halves_swapped(index: PlaceIndex) -> None:
    rng = random.Random(14)
    for pc in rng.sample(sorted(raw_postcodes()), 100):
        outward, inward = pc.split(" ")
        got = understand(f"{inward} {outward}", index)
        assert got.kind == "choose" and pc in [c.code for c in got.candidates], pc


# -- the index as built from the view ---------------------------------------------------------


def test_every_district_lists_the_raw_files_wards(index: PlaceIndex) -> None:
    for outcode in ["E1", "SE15", "EC2V", "BR1", "TW6", "N1C", "E20"]:
        got = index.district_wards(outcode)
        assert [(s.ward.code, s.postcodes) for s in got] == district_wards(outcode)


def test_a_district_written_without_its_letter_gathers_its_parts(index: PlaceIndex) -> None:
    pcs = raw.postcodes()
    outcodes = pcs["Postcode"].str.split(" ").str[0]
    parts = sorted(set(outcodes[outcodes.str.fullmatch(r"W1[A-Z]")]))
    assert parts  # W1A, W1B, …
    codes = {s.ward.code for s in index.district_wards("W1")}
    assert codes == {code for oc in parts for code, _n in district_wards(oc)}
    assert sum(s.postcodes for s in index.district_wards("W1")) == int(outcodes.isin(parts).sum())


def test_every_ward_and_borough_is_named_by_its_own_name(index: PlaceIndex) -> None:
    for row in raw_wards().itertuples():
        got = understand(str(row.name), index)
        options = [got.place] if got.place else list(got.candidates)
        assert ("ward", row.code) in [_as_pair(c) for c in options if c], row.name
    for name in set(raw_wards()["borough"]):
        got = understand(name, index)
        first = got.place or got.candidates[0]
        assert _as_pair(first) == borough(name), name


def test_same_named_wards_are_told_apart_by_borough(index: PlaceIndex) -> None:
    w = raw_wards()
    repeated = w[w.duplicated("name", keep=False)]
    assert len(repeated) >= 2
    for name, rows in repeated.groupby("name"):
        got = understand(str(name), index)
        same = [c for c in got.candidates if c.name == name]
        assert [(c.code, c.borough_name) for c in same] == sorted(
            zip(rows["code"], rows["borough"], strict=True), key=lambda cb: cb[1])


def test_the_city_of_london_is_the_citys_own(index: PlaceIndex) -> None:
    w = raw_wards()
    city = w[w["borough_code"] == CITY_OF_LONDON]
    assert len(city) > 0
    for row in city.itertuples():
        got = understand(f"crime in {row.name}", index)
        found = [c for c in (got.place, *got.candidates) if c and c.code == row.code]
        assert found and found[0].city, row.name
    assert understand("Hackney Central", index).place == Candidate(
        "ward", ward("Hackney Central")[1], "Hackney Central", borough("Hackney")[1],
        "Hackney", False)
    got = understand("City of London", index)
    assert got.place is not None and got.place.city


def test_the_index_holds_every_borough_once(index: PlaceIndex) -> None:
    w = raw_wards()
    for code, name in set(zip(w["borough_code"], w["borough"], strict=True)):
        got = understand(name, index)
        boroughs = [c for c in (got.place, *got.candidates) if c and c.kind == "borough"]
        assert [(c.code, c.name) for c in boroughs] == [(code, name)]
    assert w["borough_code"].nunique() == 33  # the 32 boroughs and the City
