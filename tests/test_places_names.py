"""Ask by place, in miniature: name normalisation and the resolver on small hand-built indexes,
so each rule is seen on its own (the real data is in test_places.py)."""

from __future__ import annotations

import pytest

from datastore.query.places import (
    MAX_CHOICES,
    Candidate,
    PlaceIndex,
    Understanding,
    WardShare,
    name_key,
    name_tokens,
    understand,
)

# -- normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Hackney Central", "hackney central"),
        ("  HACKNEY   central ", "hackney central"),
        ("St James's", "saint jamess"),
        ("St. James’s", "saint jamess"),  # a full stop and a curly apostrophe
        ("Saint James's", "saint jamess"),
        ("st jamess", "saint jamess"),
        ("King's Cross", "kings cross"),
        ("Kings Cross", "kings cross"),
        ("Blackwall & Cubitt Town", "blackwall and cubitt town"),
        ("Blackwall + Cubitt Town", "blackwall and cubitt town"),
        ("Havering-atte-Bower", "havering atte bower"),
        ("Ham, Petersham & Richmond Riverside", "ham petersham and richmond riverside"),
        ("Lime St", "lime street"),  # "St" last is a street
        ("St", "saint"),
        ("Streatham St Leonard's", "streatham saint leonards"),
        ("Bromley-by-Bow", "bromley by bow"),
        ("Café Royal", "cafe royal"),  # accents go
        ("", ""),
        ("!!!", ""),
    ],
)
def test_name_key(name: str, key: str) -> None:
    assert name_key(name) == key


def test_name_tokens_keep_digits_and_split_on_punctuation() -> None:
    assert name_tokens("what's crime like in SE15 5AA?") == [
        "whats", "crime", "like", "in", "se15", "5aa"]


# -- a small index --------------------------------------------------------------------------

HACKNEY = ("E09000012", "Hackney")
CAMDEN = ("E09000007", "Camden")
WESTMINSTER = ("E09000033", "Westminster")
CROYDON = ("E09000008", "Croydon")
HARINGEY = ("E09000014", "Haringey")
KINGSTON = ("E09000021", "Kingston upon Thames")
CITY = ("E09000001", "City of London")

WARDS = [
    ("W-HC", "Hackney Central", *HACKNEY),
    ("W-HD", "Hackney Downs", *HACKNEY),
    ("W-HW", "Hackney Wick", *HACKNEY),
    ("W-DA", "Dalston", *HACKNEY),
    ("W-KX", "King's Cross", *CAMDEN),
    ("W-CT", "Camden Town", *CAMDEN),
    ("W-SJ", "St James's", *WESTMINSTER),
    ("W-WC", "Woodside", *CROYDON),
    ("W-WH", "Woodside", *HARINGEY),
    ("W-KT", "Kingston Town", *KINGSTON),
    ("W-BR", "Bridge", *CITY),
    ("W-AG", "Aldgate", *CITY),
]
BOROUGHS = [HACKNEY, CAMDEN, WESTMINSTER, CROYDON, HARINGEY, KINGSTON, CITY]
POSTCODES = [
    ("E8 1DY", "W-HC", HACKNEY[0]),
    ("E8 1DB", "W-DA", HACKNEY[0]),
    ("E8 2AA", "W-DA", HACKNEY[0]),
    ("E8 3AA", "W-HD", HACKNEY[0]),
    ("E9 5AA", "W-HW", HACKNEY[0]),
    ("N1C 4AA", "W-KX", CAMDEN[0]),
    ("N1C 4AB", "W-KX", CAMDEN[0]),
    ("EC3N 1AA", "W-AG", CITY[0]),
    ("W1A 1AA", "W-SJ", WESTMINSTER[0]),
    ("W1B 1AA", "W-SJ", WESTMINSTER[0]),
    ("E8 4ZZ", "W-NEW", HACKNEY[0]),  # a ward the wards don't list (new since)
]


@pytest.fixture(scope="module")
def small() -> PlaceIndex:
    return PlaceIndex.build(POSTCODES, WARDS, BOROUGHS)


def ward(code: str) -> Candidate:
    row = next(w for w in WARDS if w[0] == code)
    return Candidate("ward", row[0], row[1], row[2], row[3], row[2] == CITY[0])


def borough(b: tuple[str, str]) -> Candidate:
    return Candidate("borough", b[0], b[1], b[0], b[1], b == CITY)


def test_a_unique_name_is_that_place(small: PlaceIndex) -> None:
    assert understand("Hackney Central", small) == Understanding(
        "place", "Hackney Central", place=ward("W-HC"))


@pytest.mark.parametrize("text", ["Kings Cross", "king's cross", "KINGS CROSS", "King’s Cross",
                                  "kings-cross", "Kings Cros", "crime in kings x"])
def test_kings_cross_however_written(small: PlaceIndex, text: str) -> None:
    # "kings" is in one name only, so "kings x" is King's Cross too
    assert understand(text, small).place == ward("W-KX")


def test_words_run_together_are_a_guess(small: PlaceIndex) -> None:
    # close to a name, not it: offered ("Did you mean …?"), not answered as if asked
    got = understand("kingscross", small)
    assert (got.kind, got.reason, got.candidates) == ("choose", "fuzzy", (ward("W-KX"),))


@pytest.mark.parametrize("text", ["St James's", "St Jamess", "St. James's", "Saint James's",
                                  "st james", "St James'"])
def test_saint_and_apostrophes(small: PlaceIndex, text: str) -> None:
    assert understand(text, small).place == ward("W-SJ")


def test_a_borough_name_offers_the_borough_first_then_its_namesakes(small: PlaceIndex) -> None:
    got = understand("hackney", small)
    assert got.kind == "choose" and got.reason == "ambiguous"
    assert got.candidates == (borough(HACKNEY), ward("W-HC"), ward("W-HD"), ward("W-HW"))


def test_a_typo_of_a_borough_reads_as_the_borough(small: PlaceIndex) -> None:
    assert understand("hackny", small).candidates == understand("hackney", small).candidates


def test_same_named_wards_are_told_apart_by_borough(small: PlaceIndex) -> None:
    got = understand("Woodside", small)
    assert got.candidates == (ward("W-WC"), ward("W-WH"))
    assert [c.borough_name for c in got.candidates] == ["Croydon", "Haringey"]
    assert understand("Woodside, Haringey", small).place == ward("W-WH")
    assert understand("woodside croydon", small).place == ward("W-WC")


def test_upon_thames_may_be_left_out(small: PlaceIndex) -> None:
    assert understand("Kingston upon Thames", small).place == borough(KINGSTON)
    assert understand("Kingston", small).candidates == (borough(KINGSTON), ward("W-KT"))


def test_the_city_of_london_is_flagged(small: PlaceIndex) -> None:
    got = understand("City of London", small)
    assert got.place == borough(CITY) and got.place.city
    assert understand("the city", small).place == borough(CITY)
    assert understand("Aldgate", small).place == ward("W-AG")
    assert ward("W-AG").city
    found = understand("EC3N 1AA", small)
    assert found.place is not None and found.place.city
    assert found.place.borough_name == "City of London"


def test_an_everyday_ward_name_counts_only_alone(small: PlaceIndex) -> None:
    assert understand("Bridge", small).place == ward("W-BR")
    assert understand("crime in bridge", small).place == ward("W-BR")
    assert understand("is it safe to walk home over the bridge at night with my dog",
                      small).kind == "other"


@pytest.mark.parametrize("text", ["thanks", "hello", "help", "hi there", "hi", "thx", "ok",
                                  "good morning", "cheers", "", "   ", "🙂", "?", "/start"])
def test_chat_is_not_a_place(small: PlaceIndex, text: str) -> None:
    assert understand(text, small) == Understanding("other", text)


def test_a_comparison_of_two_names(small: PlaceIndex) -> None:
    got = understand("compare Hackney and Camden", small)
    assert got.kind == "compare"
    # in a comparison a borough's own name is the borough, not a choice
    assert [p.place for p in got.parts] == [borough(HACKNEY), borough(CAMDEN)]


def test_a_comparison_keeps_an_ambiguous_side_ambiguous(small: PlaceIndex) -> None:
    got = understand("Woodside vs Dalston", small)
    assert got.parts[0].candidates == (ward("W-WC"), ward("W-WH"))
    assert got.parts[1].place == ward("W-DA")


def test_two_names_run_together_are_offered_together(small: PlaceIndex) -> None:
    # "Camden Hackney": no "and", no "vs": not a comparison, a choice of both
    got = understand("Camden Hackney", small)
    assert got.kind == "choose"
    assert got.candidates[0] == borough(CAMDEN)
    assert borough(HACKNEY) in got.candidates


def test_a_postcode_and_its_own_borough_is_the_postcode(small: PlaceIndex) -> None:
    got = understand("E8 1DY, Hackney", small)
    assert got.kind == "postcode" and got.postcode == "E8 1DY"
    assert understand("compare E8 1DY with Hackney", small).kind == "compare"


# -- districts ------------------------------------------------------------------------------


def test_district_wards_most_postcodes_first(small: PlaceIndex) -> None:
    got = understand("e8", small)
    assert got.kind == "district" and got.district == "E8"
    # Dalston 2, then Hackney Central 1 and Hackney Downs 1 by code; the unknown ward left out
    assert got.wards == (WardShare(ward("W-DA"), 2), WardShare(ward("W-HC"), 1),
                         WardShare(ward("W-HD"), 1))


def test_a_district_without_its_letter(small: PlaceIndex) -> None:
    assert small.district_wards("W1") == (WardShare(ward("W-SJ"), 2),)
    assert small.district_wards("W1A") == (WardShare(ward("W-SJ"), 1),)


def test_an_unknown_district_alone_is_still_a_district(small: PlaceIndex) -> None:
    assert understand("M1", small) == Understanding("district", "M1", district="M1")
    assert understand("crime in M1 please", small).district == "M1"  # all it says
    # inside a sentence only a district with London postcodes is one
    assert understand("stuck on the M1 motorway again", small).kind == "other"


# -- postcodes ------------------------------------------------------------------------------


def test_a_postcode_of_an_unknown_ward_keeps_its_borough(small: PlaceIndex) -> None:
    got = understand("E8 4ZZ", small)
    assert got.known and got.place == Candidate("postcode", "E8 4ZZ", "", *HACKNEY)


def test_an_unknown_postcode_is_still_a_postcode(small: PlaceIndex) -> None:
    got = understand("E8 1DT", small)
    assert (got.kind, got.postcode, got.known, got.place) == ("postcode", "E8 1DT", False,
                                                              None)
    # real and one letter away: Y is T's neighbour on the keyboard, B is not
    assert [c.code for c in got.candidates] == ["E8 1DY", "E8 1DB"]


def test_a_postcode_pieced_together_is_found_when_real(small: PlaceIndex) -> None:
    assert understand("E81D Y", small).postcode == "E8 1DY"
    assert understand("e 8 1 d y", small).postcode == "E8 1DY"
    assert understand("E 8 1 D X", small).kind != "postcode"


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("E8 IDY", "E8 1DY"),  # I for 1
        ("E8 lDY", "E8 1DY"),  # l for 1
        ("EB 1DY", "E8 1DY"),  # B for 8
        ("E8 1DYY", "E8 1DY"),  # one extra
        ("E8 1DY0", "E8 1DY"),  # one extra at the end
        ("1DY E8", "E8 1DY"),  # halves swapped
        ("N1C 4A", "N1C 4AA"),  # one missing, the doubled letter first
        ("NIC 4AA", "N1C 4AA"),
        ("EC3N IAA", "EC3N 1AA"),
    ],
)
def test_near_misses(small: PlaceIndex, typed: str, first: str) -> None:
    got = understand(typed, small)
    assert got.kind == "choose" and got.reason == "near_miss"
    assert got.candidates[0].code == first
    assert len(got.candidates) <= 3


def test_near_misses_are_only_real_postcodes(small: PlaceIndex) -> None:
    real = {p for p, _w, _b in POSTCODES}
    got = small.near_misses("E8 1DX")  # E8 1DY and E8 1DB are one letter away
    assert [c.code for c in got] == ["E8 1DB", "E8 1DY"]  # neither key is X's neighbour
    assert {c.code for c in got} <= real


def test_nothing_close_is_postcode_help(small: PlaceIndex) -> None:
    assert understand("ZZ9 9ZZ", small).kind == "postcode_help"
    assert understand("my postcode is QQ1 2WW", small).kind == "postcode_help"


def test_more_than_max_choices_is_cut(small: PlaceIndex) -> None:
    wards = [(f"W{i}", f"Green Lane {i}", *HACKNEY) for i in range(12)]
    index = PlaceIndex.build([], wards, [HACKNEY])
    got = understand("Green Lane", index)
    assert got.kind == "choose" and len(got.candidates) == MAX_CHOICES


def test_understand_never_raises_on_odd_input(small: PlaceIndex) -> None:
    for text in ["\x00", "E8\x001DY", "a" * 5000, "E8 1DY " * 400, "&&&", "'", "St", "st.",
                 "\u200b", "E\u0308 8 1DY", "١٢٣"]:
        assert isinstance(understand(text, small), Understanding)
    assert understand(None, small).kind == "other"  # type: ignore[arg-type]
