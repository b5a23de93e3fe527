"""How fresh the figures are, with the clock passed in: behind the Met's monthly cycle, or a
publisher not reached for days; and the plain words an answer then carries (the statement of
age, handlers/present/age.py; its own tables are in test_age.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from datastore.query.freshness import PublisherCheck, freshness, month_end
from datastore.query.view import DataView
from handlers.present import blocks
from handlers.present.age import statement

MARCH_2026 = 202603


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_a_month_ends_at_the_first_of_the_next() -> None:
    assert month_end(202603) == at("2026-04-01")
    assert month_end(202612) == at("2027-01-01")


@pytest.mark.parametrize(("now", "behind"), [
    ("2026-04-20", False),  # three weeks after the month: the Met has not published yet
    ("2026-05-26", False),  # eight weeks less a day
    ("2026-05-28", True),  # over eight weeks: a newer month is probably out
    ("2026-12-01", True),
])
def test_behind_the_mets_monthly_cycle(now: str, behind: bool) -> None:
    f = freshness(at(now), MARCH_2026, [], following=False)
    assert f.behind is behind and f.stale is behind
    assert not f.unchecked  # not following: no check to be late


def checks(datastore: str | None, police: str | None) -> list[PublisherCheck]:
    return [PublisherCheck("London Datastore", at(datastore) if datastore else None),
            PublisherCheck("London Datastore", None),  # another of its feeds, never reached
            PublisherCheck("data.police.uk", at(police) if police else None)]


@pytest.mark.parametrize(("datastore", "police", "unchecked", "last"), [
    ("2026-04-19", "2026-04-18", False, "2026-04-18"),
    ("2026-04-19", "2026-04-16", True, "2026-04-16"),  # police.uk not reached for 4 days
    ("2026-04-19", None, True, None),  # police.uk never reached
    (None, None, True, None),
])
def test_a_publisher_not_reached_for_over_three_days(datastore: str | None, police: str | None,
                                                     unchecked: bool, last: str | None) -> None:
    f = freshness(at("2026-04-20"), MARCH_2026, checks(datastore, police), following=True)
    assert f.unchecked is unchecked and f.stale is unchecked and not f.behind
    assert f.last_checked == (at(last) if last else None)


def test_the_words_when_behind_and_checked() -> None:
    """Eight months on, newer figures have certainly been published: it says so plainly (not
    "may exist"), and when the publishers were last reached."""
    f = freshness(at("2026-12-01"), MARCH_2026, checks("2026-11-30", "2026-11-30"),
                  following=True)
    assert statement(f) == (
        "Figures to March 2026, 8 months old. ⚠️ Newer figures have been published since (the "
        "Met publishes each month within about five weeks of its end): the publishers were "
        "last reached on 30 November 2026.")


def test_the_words_when_a_publisher_is_late() -> None:
    """Current figures, but a publisher not reached for days: it may have published."""
    f = freshness(at("2026-04-20"), MARCH_2026, checks("2026-04-10", "2026-04-10"),
                  following=True)
    assert statement(f) == (
        "Figures to March 2026, under a month old. ⚠️ Newer figures may have been published "
        "since: the publishers were last reached on 10 April 2026, over three days ago.")


def test_the_words_when_never_reached_and_not_following() -> None:
    never = freshness(at("2026-12-01"), MARCH_2026, [], following=True)
    assert statement(never).endswith("the publishers have not been reached yet.")
    offline = freshness(at("2026-12-01"), MARCH_2026, [], following=False)
    assert statement(offline).endswith(
        "Newer figures have been published since (the Met publishes each month within about "
        "five weeks of its end): this copy has not reached the publishers.")
    fresh = freshness(at("2026-04-20"), MARCH_2026, [], following=False)
    assert statement(fresh) == "Figures to March 2026, under a month old."
    assert fresh.last_checked is None and timedelta(0) < at("2026-04-20") - month_end(202603)


def test_a_copy_that_does_not_follow_still_says_when_it_last_reached_them() -> None:
    """`wardwatch update` recorded a check; `wardwatch ask` (not following) says when."""
    f = freshness(at("2026-12-07"), MARCH_2026, checks("2026-11-30", "2026-11-29"),
                  following=False)
    assert f.last_checked == at("2026-11-29") and not f.unchecked
    assert statement(f).endswith("the publishers were last reached on 29 November 2026.")


def test_answers_made_on_one_day_share_their_rendered_blocks(view: DataView) -> None:
    """What a figure's age says depends on the day the answer is made, not the second: two
    answers a second apart (and two at either end of a London day) render their blocks once,
    from the presentation's caches. With the instant in the cache key every answer missed
    them (`wardwatch ask --json -` over 10,000 postcodes went from 3.6 s to 5.4 s)."""
    checks = [PublisherCheck("london_datastore", at("2026-12-07T06:00:00"))]
    made = [freshness(at(t), MARCH_2026, checks, following=True)
            for t in ("2026-12-07T09:00:00", "2026-12-07T09:00:01", "2026-12-07T23:59:59")]
    assert made[0] == made[1] == made[2] and len(set(made)) == 1
    assert all(f.today.isoformat() == "2026-12-07" for f in made)
    # The next London day is another statement (midnight in London, BST or not).
    assert freshness(at("2026-12-08T00:00:01"), MARCH_2026, checks, following=True) != made[0]
    summary = view.stop_search_summary("Southwark")
    assert summary is not None
    blocks.stop_search_block.cache_clear()
    for f in made:
        blocks.stop_search_block(summary, f)
    info = blocks.stop_search_block.cache_info()
    assert (info.misses, info.hits) == (1, 2)
