"""Understanding a message: the places it names — postcodes, mistyped postcodes, districts,
names — and what they add up to: one place, a choice, a comparison, or nothing (what each
name stands for is `mentions`; a name that says where another is, `qualifying`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from datastore.query.places.index import PlaceIndex
from datastore.query.places.mentions import (
    Mention,
    asks_to_compare,
    named,
    place_understanding,
)
from datastore.query.places.model import (
    MAX_CHOICES,
    MAX_PARTS,
    Candidate,
    Understanding,
)
from datastore.query.places.parsing import (
    LISTING_RE,
    STOPWORDS,
    Word,
    name_tokens,
    words_of,
)
from datastore.query.places.postcode_set import LOOKALIKE
from datastore.query.places.qualifying import qualified
from datastore.query.postcodes import find_postcodes, outward_code

__all__ = ["place_understanding", "understand"]

_MAX_TEXT: Final = 1000  # characters of a message read
_MAX_TOKENS: Final = 60  # words of a message read for names


def _fragment_ok(word: Word, whole: bool) -> bool:
    """Whether a word may be part of a mistyped postcode: it has a digit, or is short and
    (inside a sentence) holds a letter that looks like a digit ("IDY" for "1DY")."""
    raw = word.raw
    if not raw.isascii() or not raw.isalnum():
        return False
    if len(raw) == 1:
        return True
    if word.key in STOPWORDS and not whole:
        return False
    if any(ch.isdigit() for ch in raw):
        return True
    return len(raw) <= 4 and (whole or any(ch in LOOKALIKE for ch in raw.upper()))


def _runs(words: list[Word], free: list[bool],
          content: list[int]) -> list[tuple[int, int]]:
    """Runs of free words that may together be a mistyped postcode and hold a digit.

    When everything the message says (``content``: its words that are not stopwords) is
    one block ("my postcode is E8 IDY"), that block is the one run, with any single
    characters beside it (" e 8 i d y ").
    """
    whole = bool(content) and content == list(range(content[0], content[-1] + 1))
    if whole:
        i, j = content[0], content[-1] + 1
        while i > 0 and free[i - 1] and len(words[i - 1].raw) == 1:
            i -= 1
        if (j < len(words) and free[j] and len(words[j].raw) == 3
                and words[j].raw[0].upper() in LOOKALIKE):
            j += 1  # an inward code that reads as a word: "N1 ITS" for N1 1TS
        while j < len(words) and free[j] and len(words[j].raw) == 1:
            j += 1
        ok = all(free[k] and _fragment_ok(words[k], True) for k in range(i, j))
        digit = any(ch.isdigit() for w in words[i:j] for ch in w.raw)
        return [(i, j)] if ok and digit else []
    runs = []
    i = 0
    while i < len(words):
        if not (free[i] and _fragment_ok(words[i], False)):
            i += 1
            continue
        j = i
        while j < len(words) and free[j] and _fragment_ok(words[j], False):
            j += 1
        if any(ch.isdigit() for w in words[i:j] for ch in w.raw):
            runs.append((i, j))
        i = j
    return runs


def _near_miss(index: PlaceIndex, words: list[Word], run: tuple[int, int]) -> list[Candidate]:
    """The real postcodes the best stretch of a run may have meant, nearest first."""
    i, j = run
    best: list[Candidate] = []
    for a in range(i, j):
        for b in range(j, a, -1):
            typed = " ".join(w.raw for w in words[a:b])
            compact = typed.replace(" ", "")
            if (4 <= len(compact) <= 8 and any(ch.isalpha() for ch in compact)
                    and any(ch.isdigit() for ch in compact)):
                found = list(index.near_misses(typed))
                if found and (not best or len(compact) > 4):
                    return found
                best = best or found
    return best


def understand(text: str, index: PlaceIndex) -> Understanding:
    """Read a resident's message as the place (or places) it names.  Pure; never raises."""
    if not isinstance(text, str):
        return Understanding("other", "")
    message = text[:_MAX_TEXT]
    mentions = _mentions(message, index)
    mentions = qualified(mentions, message, index)
    if not mentions:
        return _nothingnamed(text, message, index)
    if len(mentions) == 1:
        return replace(mentions[0].what, text=text)
    first, second = mentions[:2]
    if all(m.name_words for m in mentions) and not asks_to_compare(message):
        whole = _one_long_name(message, index)  # "hampton wick & souh teddington"
        if whole is not None:
            return replace(whole, text=text)
    if first.name_words and second.name_words and not _set_apart(message, first, second):
        # two names run together are one place we don't know: offer both
        options = [c for m in (first, second) for c in (m.what.place, *m.what.candidates)
                   if c is not None and m.what.asked is None]
        if options:
            return replace(named(message, list(dict.fromkeys(options)), index), text=text)
    parts = tuple(_as_part(m, index) for m in mentions[:MAX_PARTS])
    left_out = tuple(message[m.start:m.end] for m in mentions[MAX_PARTS:])
    return Understanding("compare", text, parts=parts, left_out=left_out)

def _one_long_name(message: str, index: PlaceIndex) -> Understanding | None:
    """The place whose whole name the message's words are very close to, if any: a long
    name with a typo falls apart into pieces that look like two places."""
    typed = [w.key for w in words_of(message)[:_MAX_TOKENS]
             if w.key not in STOPWORDS or w.key == "and"]
    content = [index.names.corrected(w) for w in typed]
    joined = " ".join(content)
    exact = content == typed and joined in index.names.exact
    candidates = index.names.fuzzy(joined, cutoff=90)
    return named(message, candidates, index, fuzzy=not exact) if candidates else None


def _set_apart(message: str, first: Mention, second: Mention) -> bool:
    """Whether two names are written as two places: a comparison asked for, or a word or
    mark between them that lists ("Hackney and Camden", "Hackney, Camden")."""
    if asks_to_compare(message):
        return True
    between = message[first.end:second.start]
    return bool(LISTING_RE.search(between))


def _mentions(message: str, index: PlaceIndex) -> list[Mention]:
    """Every place the message names, in order: postcodes, mistyped postcodes, districts
    and names, each word used once."""
    words = words_of(message)[:_MAX_TOKENS]
    free = [True] * len(words)
    mentions: list[Mention] = []

    for found in find_postcodes(message, index.knows):
        for k, w in enumerate(words):
            if w.start < found.end and w.end > found.start:
                free[k] = False
        mentions.append(Mention(found.start, found.end, _postcode(found.postcode, index)))

    content = [k for k, w in enumerate(words) if free[k] and w.key not in STOPWORDS]
    whole = not mentions and bool(content) and content == list(
        range(content[0], content[-1] + 1))
    for a, b in _runs(words, free, content if whole else []):
        run_words = words[a:b]
        district = next((oc for w in run_words if (oc := outward_code(w.raw))
                         and index.district_wards(oc)), None)
        candidates = _near_miss(index, words, (a, b))
        if not candidates and district is None:
            continue
        for k in range(a, b):
            free[k] = False
        start, end = run_words[0].start, run_words[-1].end
        if candidates:
            what = Understanding("choose", message, candidates=tuple(candidates),
                                 reason="near_miss")
        else:
            assert district is not None
            what = Understanding("district", message, district=district,
                                 wards=index.district_wards(district))
        mentions.append(Mention(start, end, what))

    for k, w in enumerate(words):
        oc = outward_code(w.raw) if free[k] else None
        if oc and any(ch.isdigit() for ch in oc) and (index.district_wards(oc) or whole):
            free[k] = False
            mentions.append(Mention(w.start, w.end, Understanding(
                "district", message, district=oc, wards=index.district_wards(oc))))

    mentions.extend(_name_mentions(message, words, free, index))
    return sorted(mentions, key=lambda m: m.start)


def _postcode(postcode: str, index: PlaceIndex) -> Understanding:
    place = index.postcode(postcode)
    district = postcode.split(" ")[0]
    if place is not None:
        return Understanding("postcode", "", postcode=postcode, known=True,
                             district=district, place=place)
    return Understanding("postcode", "", postcode=postcode, district=district,
                         candidates=index.near_misses(postcode))


def _name_mentions(message: str, words: list[Word], free: list[bool],
                   index: PlaceIndex) -> list[Mention]:
    """The wards and boroughs a message names, the longest name first at each place."""
    keys = _corrected_in_context(words, free, index)
    content = [keys[k] for k in range(len(words)) if free[k] and keys[k] not in STOPWORDS]
    found: list[tuple[int, int, tuple[str, ...]]] = []
    i = 0
    while i < len(words):
        if not free[i]:
            i += 1
            continue
        match: tuple[int, tuple[str, ...]] | None = None
        for j in range(min(len(words), i + index.names.max_words), i, -1):
            if not all(free[i:j]):
                continue
            run = tuple(keys[i:j])
            if all(w in STOPWORDS for w in run):
                continue  # "London", "the": no place on their own
            if " ".join(run) in index.names.exact or (run in index.names.ngrams
                                                      and run[-1] not in STOPWORDS):
                match = (j, run)
                break
        if match is None:
            i += 1
            continue
        j, run = match
        alone = [w for w in run if w not in STOPWORDS] == content
        if alone or not index.names.is_weak(run):
            found.append((i, j, run))
        i = j
    covered = {k for i, j, _run in found for k in range(i, j)}
    mentions = []
    for i, j, run in found:
        candidates = index.names.named(run, widen=len(found) == 1)
        if not candidates or (len(found) == 1 and not index.names.exact.get(" ".join(run))
                              and len(candidates) > MAX_CHOICES):
            continue  # too vague: "park" is in dozens of names
        typo = any(keys[k] != words[k].key for k in range(i, j))  # "hackny": a guess
        beside = next((k for k in (i - 1, j) if 0 <= k < len(words) and free[k]
                       and k not in covered and len(keys[k]) > 1 and keys[k].isalpha()
                       and keys[k] not in STOPWORDS), None)
        if beside is not None and index.names.is_partial(run) and not any(
                _explains(keys[beside], c, run) for c in candidates):
            # "notting hil": Notting Dale holds "notting" but not "hil": not what was asked
            odd = keys[beside]
            phrase = " ".join((odd, *run) if beside < i else (*run, odd))
            candidates = index.names.fuzzy(phrase) or candidates
            typo = True
        mentions.append(Mention(words[i].start, words[j - 1].end,
                                 named(message, candidates, index, fuzzy=typo), run))
    return mentions


def _explains(word: str, candidate: Candidate, run: tuple[str, ...]) -> bool:
    """Whether a word beside a partial name is the rest of that name written short: a
    start ("cros", Cross) or the letters of an abbreviation ("grn", Green; "ct", Court)."""
    for token in name_tokens(candidate.name):
        if token in run or not token.startswith(word[0]):
            continue
        rest = iter(token)
        if token.startswith(word) or all(ch in rest for ch in word):
            return True
    return False


def _corrected_in_context(words: list[Word], free: list[bool], index: PlaceIndex) -> list[str]:
    """Each free word, typos put right; of equally likely corrections the one that makes a
    name with the word before or after it ("east sehen": Sheen, not Seven)."""
    options = [index.names.corrections(w.key) if free[k] else [""]
               for k, w in enumerate(words)]
    keys = [o[0] for o in options]
    for k, alternatives in enumerate(options):
        if len(alternatives) < 2:
            continue
        before = keys[k - 1] if k > 0 else ""
        after = keys[k + 1] if k + 1 < len(keys) else ""
        fitting = [a for a in alternatives
                   if (before, a) in index.names.ngrams or (a, after) in index.names.ngrams]
        if fitting:
            keys[k] = fitting[0]
    return keys

def _as_part(mention: Mention, index: PlaceIndex) -> Understanding:
    """A mention as one side of a comparison: a borough's exact name is that borough."""
    what = mention.what
    if what.kind == "choose" and what.reason == "ambiguous" and mention.name_words:
        narrow = index.names.named(mention.name_words, widen=False)
        boroughs = [c for c in narrow if c.kind == "borough"]
        if len(boroughs) == 1 and index.names.exact.get(" ".join(mention.name_words)):
            return Understanding("place", what.text, place=boroughs[0])
        return named(what.text, narrow, index)
    return what


def _nothingnamed(text: str, message: str, index: PlaceIndex) -> Understanding:
    """No place found word by word: a postcode attempt, a name typed loosely, or other."""
    words = words_of(message)[:_MAX_TOKENS]
    content = [w for w in words if w.key not in STOPWORDS]
    if not content:
        return Understanding("other", text)
    compact = "".join(w.raw for w in content)
    if (len(content) <= 3 and compact.isascii() and compact.isalnum()
            and 4 <= len(compact) <= 8 and compact[0].isalpha()
            and any(ch.isdigit() for ch in compact[1:4])
            and all(len(w.raw) <= 4 or any(ch.isdigit() for ch in w.raw) for w in content)):
        return Understanding("postcode_help", text)  # a code, but no real postcode near
    corrected = " ".join(index.names.corrected(w.key) for w in content)
    candidates = index.names.fuzzy(corrected)
    if not candidates:
        return Understanding("other", text)
    return replace(named(message, candidates, index, fuzzy=True), text=text)
