"""End to end, the monthly reload and the digests: the real Application and its jobs against the
fake Bot API, a store two months behind its source (to January 2026; the source is to March
2026), and expected figures computed from the raw files, never from the code under test."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import pandas as pd
import pytest

from bot.config import LimitsConfig, SourcesConfig
from bot.jobs import CHECK_JOB, DigestService
from datastore.ingest import sources
from datastore.storage import store, subscriptions
from datastore.storage.subscriptions import ChatStore
from handlers.context import CHATS_KEY, DIGESTS_KEY, WardApp
from handlers.present import names, texts
from tests import raw
from tests.bot_harness import ask, polling_bot, shown
from tests.conftest import NEW_WARD_CRIME, OLD_WARD_CRIME
from tests.fake_bot_api import (
    GROUP_ID,
    SUPERGROUP_ID,
    USER_ID,
    Call,
    FakeBotApi,
    bad_request,
    blocked,
    chat_not_found,
    migrated,
    parse_html,
    retry_after,
    timeout,
)

ADMIN = 999_001
GROUP_ADMIN = 777
# Fast limits: the limits themselves are tested in test_fanout.py and bench/fanout.py.
FAST = LimitsConfig(global_per_s=1000, per_group_per_min=1000, per_chat_per_s=100,
                    in_flight=4, timeout=0.5, retry_backoff=0.05, max_attempts=3)
SOURCES = SourcesConfig(ward_crime=(str(NEW_WARD_CRIME),))




def digests(api: FakeBotApi) -> list[Call]:
    """Digest messages Telegram accepted (not the latest digest a /subscribe reply carries)."""
    intro = texts.LATEST_DIGEST.split("{")[0]  # "Here is its digest for …"
    return [c for c in api.sent("sendMessage") if c.ok and texts.DIGEST_FOOTER in shown(c)
            and intro not in shown(c)]


async def sending_done(app: WardApp) -> DigestService:
    """Wait until the fan-out, a task of its own, has finished."""
    service: DigestService = app.bot_data[DIGESTS_KEY]
    task = service._task
    if task is not None:
        await task
    return service


def chats(app: WardApp) -> ChatStore:
    chat_store: ChatStore = app.bot_data[CHATS_KEY]
    return chat_store


async def subscribe(api: FakeBotApi, postcode: str, chat_id: int = USER_ID,
                    chat_type: str = "private", user_id: int | None = None) -> str:
    [reply] = await ask(api, api.message(
        f"/subscribe {postcode}", chat_id=chat_id, chat_type=chat_type,  # type: ignore[arg-type]
        user_id=user_id if user_id is not None else chat_id))
    return shown(reply)


async def reload(api: FakeBotApi) -> str:
    """/reload as an operator; the result (after "Checking…")."""
    # A load reads and writes a whole extract: seconds on a slow machine, so wait generously.
    [checking, result] = await ask(api, api.message("/reload", chat_id=ADMIN, user_id=ADMIN),
                                   count=2, timeout=60)
    assert shown(checking) == texts.CHECKING
    return shown(result)


# -- expected figures, straight from the raw files --------------------------------------------

def ward_of(postcode: str) -> str:
    return str(raw.postcode_row(postcode)["Admin_ward_code"])


def old_crime() -> pd.DataFrame:
    return pd.read_csv(OLD_WARD_CRIME, dtype={"WardCode": str})


def total(frame: pd.DataFrame, ward: str, month: str) -> int:
    return int(frame.loc[frame["WardCode"] == ward, month].sum())


def expected_digest_lines(ward: str) -> tuple[list[str], bool]:
    """Lines the ward's March 2026 digest must hold, and whether its rise is unusual."""
    wc = raw.ward_crime()
    now, before = total(wc, ward, "202603"), total(wc, ward, "202602")
    change = (f"up {now - before:,}" if now > before else f"down {before - now:,}"
              if now < before else "no change")
    lines = [f"Crimes recorded: {now:,}, {change} on February 2026 ({before:,})."]
    # The data moved on from January to March: the digest covers both new months.
    lines.append(f"Since January 2026: February {before:,}, March {now:,}.")
    rows = wc[wc["WardCode"] == ward].groupby("MinorText")[["202602", "202603"]].sum()
    diffs = (rows["202603"] - rows["202602"]).astype(int)
    ups = sorted(((-int(c), str(name)) for name, c in diffs.items() if c > 0))[:3]
    if ups:
        lines.append("Rose most: " + "; ".join(
            f"{names.display(name)} +{-c:,}" for c, name in ups) + ".")
    lines.append(f"{raw.ward_rates()[ward]:,.1f} crimes per 1,000 residents")
    lines.append(f"London average of {raw.london_rate():,.1f}")
    old, new = total(old_crime(), ward, "202601"), total(wc, ward, "202601")
    if old != new:
        lines.append(f"January 2026 revised from {old:,} to {new:,}")
    months, counts = raw.ward_matrix(wc)
    col = months.index("202603")
    expected, p_values = raw.unusual_reference(counts[:, col - 12:col], counts[:, col])
    i = sorted(set(wc["WardCode"])).index(ward)
    return lines, bool(now > expected[i] and p_values[i] < 0.01)


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture
async def app(api: FakeBotApi, behind_copy: Path) -> AsyncIterator[WardApp]:
    async with polling_bot(api, behind_copy, admin_ids=[ADMIN], limits=FAST,
                           sources=SOURCES) as bot:
        yield bot


# -- the reload and the digests ---------------------------------------------------------------

async def test_the_daily_check_is_a_named_job_at_seven_london_time(app: WardApp) -> None:
    assert app.job_queue is not None
    [check] = app.job_queue.get_jobs_by_name(CHECK_JOB)
    assert check.next_t is not None
    assert (check.next_t.hour, check.next_t.minute) == (7, 0)
    assert str(check.next_t.tzinfo) == "Europe/London"
    assert check.job.misfire_grace_time is None  # a busy loop at 07:00 delays it, never skips


async def test_reload_loads_the_newer_month_and_sends_each_digest_once(
        api: FakeBotApi, app: WardApp) -> None:
    st_james, ravenscourt, bromley = "SW1A 1AA", "W12 8ER", "BR1 1AA"
    assert "Done" in await subscribe(api, st_james)
    assert "Done" in await subscribe(api, ravenscourt)
    assert "Done" in await subscribe(api, bromley, chat_id=555)
    api.set_member(GROUP_ID, GROUP_ADMIN, "administrator")
    assert "Done" in await subscribe(api, st_james, GROUP_ID, "group", GROUP_ADMIN)

    result = await reload(api)
    assert "New data loaded" in result and "Ward crime: to March 2026" in result
    assert "Ward crime was to January 2026" in result
    assert "Digests for March 2026: 4 messages queued" in result
    service = await sending_done(app)
    sent = digests(api)
    assert len(sent) == 4 and len(api.sent("sendMessage", 555)) == 2  # confirmation + digest
    assert sorted((int(c.chat_id or 0), shown(c).split("\n")[0]) for c in sent) == sorted([
        (USER_ID, "St James's ward, Westminster: March 2026"),
        (USER_ID, "Ravenscourt ward, Hammersmith and Fulham: March 2026"),
        (555, "Bromley Town ward, Bromley: March 2026"),
        (GROUP_ID, "St James's ward, Westminster: March 2026"),
    ])
    assert [(r.sent, r.failed, r.rate_limited) for r in service.reports] == [(4, 0, 0)]
    for postcode in (st_james, ravenscourt, bromley):
        ward = ward_of(postcode)
        wc = raw.ward_crime()
        name = str(wc.loc[wc["WardCode"] == ward, "WardName"].iloc[0])
        [text] = {shown(c) for c in sent if shown(c).startswith(name)}
        lines, unusual = expected_digest_lines(ward)
        for line in lines:
            assert line in text, (postcode, line, text)
        assert ("Unusually high for this ward" in text) == unusual, (postcode, text)
        assert "revised" in text or not any("revised" in line for line in lines)
    # The data the digests came from is what every answer now uses.
    [answer] = await ask(api, api.message("SW1A 1AA", chat_id=555, user_id=555))
    assert "\nMarch 2026: " in shown(answer)
    [status] = await ask(api, api.message("/status", chat_id=ADMIN, user_id=ADMIN))
    assert "Digests for March 2026: 4 sent, 0 pending, 0 failed." in shown(status)
    assert "Ward crime: to March 2026" in shown(status)
    assert "Subscriptions: 4 active, 0 paused, in 3 chats" in shown(status)
    assert "(admin): loaded" in shown(status)
    # Nothing newer now: another reload says so and sends nothing.
    assert "No newer month" in await reload(api)
    await sending_done(app)
    assert len(digests(api)) == 4


def test_the_chosen_wards_cover_each_kind_of_line() -> None:
    """St James's has a revised January and no unusual rise; Ravenscourt an unusual rise."""
    st_james, unusual = expected_digest_lines(ward_of("SW1A 1AA"))
    assert any("revised" in line for line in st_james) and not unusual
    assert expected_digest_lines(ward_of("W12 8ER"))[1]


async def test_only_operators_may_reload_or_see_the_status(api: FakeBotApi,
                                                          app: WardApp) -> None:
    for command in ("/reload", "/status"):
        [reply] = await ask(api, api.message(command))
        assert shown(reply) == parse_html(texts.OPERATORS_ONLY)[0]
    [status] = await ask(api, api.message("/status", chat_id=ADMIN, user_id=ADMIN))
    assert "Ward crime: to January 2026" in shown(status)
    assert "Last check: none yet" in shown(status) and "Digests: none sent yet" in shown(status)


def bad_copy(path: Path) -> Path:
    """The newer extract with one count that is not a number."""
    with gzip.open(NEW_WARD_CRIME, "rt", encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    cells = lines[4].split(",")
    cells[-1] = "lots"
    lines[4] = ",".join(cells)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    return path


async def test_a_bad_newer_file_is_rejected_operators_are_told_and_answers_unchanged(
        api: FakeBotApi, behind_copy: Path, tmp_path: Path) -> None:
    bad = bad_copy(tmp_path / "mps_ward_crime_recent24m_202404-202603.csv.gz")
    async with polling_bot(api, behind_copy, admin_ids=[ADMIN], limits=FAST,
                           sources=SourcesConfig(ward_crime=(str(bad),))) as app:
        assert "Done" in await subscribe(api, "SW1A 1AA")
        assert app.job_queue is not None
        [job] = app.job_queue.get_jobs_by_name(CHECK_JOB)
        await job.run(app)  # the scheduled check, run now
        [told] = await api.wait_for("sendMessage", chat_id=ADMIN)
        assert "The new data was rejected" in shown(told)
        assert "row 5, column '202603'" in shown(told) and bad.name in shown(told)
        assert "Answers keep using the current data (ward crime to January 2026)" in shown(told)
        [answer] = await ask(api, api.message("SW1A 1AA"))
        assert "\nJanuary 2026: " in shown(answer)
        [status] = await ask(api, api.message("/status", chat_id=ADMIN, user_id=ADMIN))
        assert "(schedule): rejected" in shown(status)
        assert "Ward crime: to January 2026" in shown(status)
        await sending_done(app)
    assert digests(api) == []


async def test_the_scheduled_check_loads_tells_the_operators_and_sends(
        api: FakeBotApi, app: WardApp) -> None:
    assert "Done" in await subscribe(api, "BR1 1AA")
    assert app.job_queue is not None
    [job] = app.job_queue.get_jobs_by_name(CHECK_JOB)
    await job.run(app)  # as at 07:00
    [told] = await api.wait_for("sendMessage", chat_id=ADMIN)
    assert "New data loaded" in shown(told) and "Ward crime: to March 2026" in shown(told)
    assert "Digests for March 2026: 1 message queued" in shown(told)
    await sending_done(app)
    [digest] = digests(api)
    assert shown(digest).startswith("Bromley Town ward, Bromley: March 2026")
    await job.run(app)  # the next day: nothing newer, nobody is bothered
    await sending_done(app)
    assert len(api.sent("sendMessage", ADMIN)) == 1 and len(digests(api)) == 1


async def test_a_load_made_while_the_bot_was_down_sends_its_digests_at_start(
        api: FakeBotApi, behind_copy: Path) -> None:
    async with polling_bot(api, behind_copy, limits=FAST):
        assert "Done" in await subscribe(api, "BR1 1AA")
    conn = store.connect(behind_copy)  # `wardwatch load` of the newer extract meanwhile
    store.write_versions(conn, sources.read_sources([str(NEW_WARD_CRIME)]))
    conn.close()
    async with polling_bot(api, behind_copy, limits=FAST) as app:
        await api.wait_for("sendMessage", count=2, chat_id=USER_ID)  # the start-up job
        await sending_done(app)
        [digest] = digests(api)
    assert shown(digest).startswith("Bromley Town ward, Bromley: March 2026")


async def test_sending_obeys_telegram_and_records_every_outcome(api: FakeBotApi,
                                                                app: WardApp) -> None:
    a, b, c, e, f, g, h = 1001, 1002, 1003, 1005, 1006, 1007, 1008
    for chat in (a, b, c, e, f, g, h):
        assert "Done" in await subscribe(api, "SW1A 1AA", chat)
    for chat in (b, f):
        assert "Done" in await subscribe(api, "BR1 1AA", chat)
    api.set_member(GROUP_ID, GROUP_ADMIN, "administrator")
    assert "Done" in await subscribe(api, "N1 9AA", GROUP_ID, "group", GROUP_ADMIN)
    api.fail("sendMessage", a, error=retry_after(1))
    api.fail("sendMessage", b, error=blocked())
    api.fail("sendMessage", c, error=chat_not_found())
    api.fail("sendMessage", GROUP_ID, error=migrated(SUPERGROUP_ID))
    api.fail("sendMessage", e, error=timeout(2, processed=False))
    api.fail("sendMessage", g, error=bad_request("message is too long"))
    api.fail("sendMessage", h, times=3, error=timeout(2, processed=False))
    start = len(api.calls)

    assert "10 messages queued" in await reload(api)
    service = await sending_done(app)
    calls = [x for x in api.calls[start:] if x.method == "sendMessage" and x.chat_id != ADMIN]
    outcomes: dict[object, list[str]] = {}
    for x in calls:
        outcomes.setdefault(x.chat_id, []).append(
            "abandoned" if x.abandoned else str(x.status))
    assert outcomes == {
        a: ["429", "200"],  # retry after 1 s, then sent
        b: ["403"],  # blocked: the chat's other ward is not tried
        c: ["400"],  # chat not found
        GROUP_ID: ["400"],  # upgraded to a supergroup...
        SUPERGROUP_ID: ["200"],  # ...and sent there
        e: ["abandoned", "200"],  # timed out, tried again
        f: ["200", "200"],
        g: ["400"],  # refused for another reason: not tried again
        h: ["abandoned"] * 3,  # timed out max_attempts times
    }
    assert len(digests(api)) == 5
    [report] = service.reports
    assert (report.sent, report.failed, report.rate_limited, report.retries,
            report.paused_chats, report.migrated_chats) == (5, 5, 1, 3, 2, 1)
    for chat, state in ((b, "paused"), (c, "paused"), (a, "active"), (g, "active"),
                        (h, "active")):
        assert {s.state for s in await chats(app).run(subscriptions.for_chat, chat)} == {state}
    assert await chats(app).run(subscriptions.for_chat, GROUP_ID) == ()
    [moved] = await chats(app).run(subscriptions.for_chat, SUPERGROUP_ID)
    assert (moved.chat_type, moved.ward_code) == ("supergroup", ward_of("N1 9AA"))
    [status] = await ask(api, api.message("/status", chat_id=ADMIN, user_id=ADMIN))
    assert "Digests for March 2026: 5 sent, 0 pending, 5 failed (" in shown(status)
    for reason in ("blocked or removed 1", "chat not found 1", "paused 1", "TimedOut 1",
                   "refused: Message is too long 1"):
        assert reason in shown(status)
    assert "Subscriptions: 7 active, 3 paused" in shown(status)


async def test_paused_chats_get_no_digest(api: FakeBotApi, app: WardApp) -> None:
    assert "Done" in await subscribe(api, "SW1A 1AA", 2001)
    assert "Done" in await subscribe(api, "SW1A 1AA", 2002)
    api.push_update(api.my_chat_member(2002, "member", "kicked"))  # 2002 blocks the bot
    assert "Done: this chat now follows" in await subscribe(api, "BR1 1AA", 2001)
    assert "Digests for March 2026: 2 messages queued" in await reload(api)
    await sending_done(app)
    assert [c.chat_id for c in digests(api)] == [2001, 2001]
    assert api.sent("sendMessage", 2002)[1:] == []  # only the first confirmation


async def test_a_reload_while_a_check_runs_says_so(api: FakeBotApi, app: WardApp) -> None:
    service: DigestService = app.bot_data[DIGESTS_KEY]
    async with service._check_lock:  # as if the scheduled check were running
        [reply] = await ask(api, api.message("/reload", chat_id=ADMIN, user_id=ADMIN))
    assert shown(reply) == parse_html(texts.CHECK_RUNNING)[0]


async def test_a_source_that_cannot_be_downloaded_is_reported(api: FakeBotApi,
                                                              behind_copy: Path) -> None:
    unreachable = "http://127.0.0.1:9/MPS%20Ward%20Level%20Crime.csv"  # nothing listens there
    async with polling_bot(api, behind_copy, admin_ids=[ADMIN], limits=FAST,
                           sources=SourcesConfig(ward_crime=(unreachable,))) as app:
        result = await reload(api)
        assert f"The new data was rejected: {unreachable}: could not download" in result
        assert "ward crime to January 2026" in result
        await sending_done(app)
