"""A store that cannot be written: a full disk and a file read-only to the user.  Plain words,
never a traceback; nothing half-done left behind; and the bot keeps answering from what there
is.  The command line runs as real processes; the bot through the fake Bot API.

A full disk is SQLite's own condition: `PRAGMA max_page_count` at the store's size, so a write
that needs one more page fails with SQLITE_FULL ("database or disk is full"), as it does when
the disk is full (tests/full_disk.py runs the command line so).  A read-only file is one with
mode 0444; as root, who may write any file, the process runs without CAP_DAC_OVERRIDE."""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from datastore.storage import store, subscriptions
from datastore.storage.subscriptions import ChatStore
from handlers.context import CHATS_KEY, WardApp
from handlers.present import texts
from tests import raw
from tests.bot_harness import ask, shown
from tests.conftest import TEST_DATA
from tests.fake_bot_api import USER_ID, FakeBotApi, parse_html
from tests.test_cli import write_config

ROOT = Path(__file__).resolve().parent.parent
OLDER = TEST_DATA / "mps_ward_crime_recent24m_202402-202601.csv.gz"
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1


def _without_dac_override() -> None:
    """In the child, before exec: give up root's power to write files whatever their mode."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE)")


def wardwatch(config: Path, *args: str, pages: int | None = None,
              read_only: bool = False) -> subprocess.CompletedProcess[str]:
    """`wardwatch ARGS` as a user runs it; on a full disk (`pages`), or as a user to whom a
    0444 file is read-only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}
    env["WARDWATCH_CONFIG"] = str(config)
    command = ["-m", "tests.full_disk", str(pages)] if pages is not None else ["-m", "bot"]
    preexec: Callable[[], None] | None = None
    if read_only and os.geteuid() == 0:
        preexec = _without_dac_override
    return subprocess.run([sys.executable, *command, *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=180, preexec_fn=preexec)


def page_count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("PRAGMA page_count").fetchone()[0])
    finally:
        conn.close()


def month_of(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["crime"]["month"])


# -- the command line -------------------------------------------------------------------------

def test_load_on_a_full_disk_says_so_and_changes_nothing(tmp_path: Path, db_copy: Path) -> None:
    config = write_config(tmp_path, db_copy)
    full = page_count(db_copy)  # not one page more
    done = wardwatch(config, "load", "--force", str(OLDER), pages=full)
    assert done.returncode == 1
    assert done.stderr == (
        f"wardwatch load: cannot write to the store at {db_copy}: the disk is full (SQLite: "
        "database or disk is full). Free some space on its disk (or point [storage] path at "
        "another disk) and try again.\n"
        "Nothing was loaded; the data being served is unchanged.\n")
    # Still answering from what there is, on the full disk and off it.
    assert month_of(wardwatch(config, "ask", "--json", "N1 9AA", pages=full)) == "2026-03"
    assert month_of(wardwatch(config, "ask", "--json", "N1 9AA")) == "2026-03"


@pytest.mark.parametrize("pages", [1, 64], ids=["no-room-for-the-schema", "room-for-the-schema"])
def test_a_first_run_on_a_full_disk_leaves_no_store_behind(tmp_path: Path, pages: int) -> None:
    db = tmp_path / "new" / "wardwatch.sqlite3"
    config = write_config(tmp_path, db)
    done = wardwatch(config, "ask", "SW1A 1AA", pages=pages)
    assert done.returncode == 1
    assert done.stderr == (
        f"wardwatch: cannot write to the store at {db}: the disk is full (SQLite: database or "
        "disk is full). Free some space on its disk (or point [storage] path at another disk) "
        "and try again.\n")
    assert done.stdout == ""
    assert list(db.parent.iterdir()) == []  # no schema-only store (nor -wal, -shm) left
    # With room again, the next run builds the store and answers.
    again = wardwatch(config, "ask", "SW1A 1AA")
    assert again.returncode == 0, again.stderr
    assert "SW1A 1AA is in St James's ward, Westminster." in again.stdout


def test_a_read_only_store_answers_and_refuses_a_load_plainly(tmp_path: Path,
                                                             db_copy: Path) -> None:
    config = write_config(tmp_path, db_copy)
    db_copy.chmod(0o444)
    before = wardwatch(config, "ask", "--json", "N1 9AA", read_only=True)
    assert month_of(before) == "2026-03"
    done = wardwatch(config, "load", "--force", str(OLDER), read_only=True)
    assert done.returncode == 1
    assert done.stderr == (
        f"wardwatch load: cannot write to the store at {db_copy}: it is read-only to this user "
        "(SQLite: attempt to write a readonly database). Make it and its folder writable to "
        "this user, or point [storage] path at a writable copy.\n"
        "Nothing was loaded; the data being served is unchanged.\n")
    assert wardwatch(config, "ask", "--json", "N1 9AA", read_only=True).stdout == before.stdout
    assert stat.S_IMODE(db_copy.stat().st_mode) == 0o444


# -- the bot ----------------------------------------------------------------------------------

def fill_the_disk(conn: sqlite3.Connection) -> int:
    """Let the store grow no more, then fill the room left in the pages new subscriptions go
    to (rows smaller than a real one, in order before it): the next subscription needs a page
    the "disk" has not got.  Returns the filler rows written."""
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    for n in range(1, 20_000):
        try:
            with store.transaction(conn):
                conn.execute("INSERT INTO subscription (chat_id, chat_type, ward_code, district, "
                             "state, created_at) VALUES (?, 'private', 'E05000000', '', "
                             "'active', '')", (n,))
        except sqlite3.OperationalError as exc:
            assert exc.sqlite_errorcode == sqlite3.SQLITE_FULL, exc
            return n - 1
    raise AssertionError("the store never filled")


def chats_of(app: WardApp) -> ChatStore:
    chats: ChatStore = app.bot_data[CHATS_KEY]
    return chats


async def test_subscribing_on_a_full_disk_says_the_change_was_not_saved(
        api: FakeBotApi, app: WardApp) -> None:
    fillers = await chats_of(app).run(fill_the_disk)
    assert fillers > 0
    [reply] = await ask(api, api.message("/subscribe N1 9AA"))
    assert parse_html(reply.text or "")[0] == parse_html(texts.NOT_SAVED)[0]
    [answer] = await ask(api, api.message("N1 9AA"))  # still answering
    assert "Caledonian" in shown(answer)
    follow = next(b["callback_data"]
                  for row in answer.params["reply_markup"]["inline_keyboard"]
                  for b in row if b.get("callback_data", "").startswith("sub:"))
    [alert] = await ask(api, api.callback_query(follow, message_id=answer.result["message_id"]),
                        "answerCallbackQuery")
    assert alert.params["text"] == texts.NOT_SAVED_ALERT and alert.params["show_alert"] is True
    assert len(texts.NOT_SAVED_ALERT) <= 200
    assert await chats_of(app).run(subscriptions.for_chat, USER_ID) == ()
    assert not [c for c in api.sent("sendMessage") if shown(c) == texts.ERROR]


async def test_changes_on_a_read_only_store_are_not_saved(api: FakeBotApi,
                                                         app: WardApp) -> None:
    [done] = await ask(api, api.message("/subscribe BR1 1AA"))
    assert shown(done).startswith("Done")
    await chats_of(app).run(lambda conn: conn.execute("PRAGMA query_only = ON"))
    expected = parse_html(texts.NOT_SAVED)[0]
    for text in ("/subscribe N1 9AA", "/unsubscribe BR1 1AA", "/unsubscribe all"):
        [reply] = await ask(api, api.message(text))
        assert shown(reply) == expected, text
    [listing] = await ask(api, api.message("/subscriptions"))  # reading still works
    assert "Bromley Town" in shown(listing)
    ward = str(raw.postcode_row("BR1 1AA")["Admin_ward_code"])
    assert [s.ward_code for s in await chats_of(app).run(subscriptions.for_chat, USER_ID)] == [
        ward]


def read_only_bot_config(tmp_path: Path, db: Path, api: FakeBotApi) -> Path:
    """Make the store read-only (0444) and write a config for the bot on it."""
    db.chmod(0o444)
    config = tmp_path / "bot.toml"
    config.write_text(f'[telegram]\ntoken = "{api.token}"\nbase_url = "{api.base_url}"\n'
                      f'[storage]\npath = "{db.as_posix()}"\n[postcodes]\nbase_url = ""\n')
    return config


async def test_the_bot_on_a_read_only_store_answers_and_says_changes_are_not_saved(
        tmp_path: Path, db_copy: Path) -> None:
    preexec = _without_dac_override if os.geteuid() == 0 else None
    async with FakeBotApi() as api:
        config = read_only_bot_config(tmp_path, db_copy, api)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(config), "run", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            preexec_fn=preexec)
        try:
            await api.wait_for("getUpdates", timeout=60)
            [answer] = await ask(api, api.message("N1 9AA"), timeout=15)
            assert "Caledonian" in shown(answer)
            expected = parse_html(texts.NOT_SAVED)[0]
            [reply] = await ask(api, api.message("/subscribe N1 9AA"), timeout=15)
            assert shown(reply) == expected
            # /forget asks first (a read); its Erase button is what cannot be saved.
            [question] = await ask(api, api.message("/forget"), timeout=15)
            [alert] = await ask(api, api.callback_query(
                "forget:yes", message_id=question.result["message_id"]),
                "answerCallbackQuery", timeout=15)
            assert alert.params["text"] == texts.NOT_SAVED_ALERT
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)
            try:
                _out, err = await asyncio.wait_for(proc.communicate(), 60)
            except TimeoutError:
                proc.kill()
                _out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert "Traceback" not in err.decode()


# -- the daily check ------------------------------------------------------------------------

async def test_a_check_that_cannot_log_itself_still_says_what_it_found(
        db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check reads and compares with the store read-only; only its line in the log of
    checks cannot be written.  The result must be the check's own (the snapshot's files are
    the current data: unchanged), saying it was not logged, not an error that claims nothing
    happened."""
    from datastore.ingest.check import check_sources, last_check
    from datastore.services import open_services

    async with open_services(db_copy, postcodes_url=None) as svc:
        real_connect = sqlite3.connect

        def read_only(*args: object, **kwargs: object) -> sqlite3.Connection:
            conn = real_connect(*args, **kwargs)  # type: ignore[arg-type]
            conn.execute("PRAGMA query_only = ON")
            return conn

        monkeypatch.setattr(sqlite3, "connect", read_only)
        result = await check_sources(svc, [], trigger="admin")
        monkeypatch.undo()
        assert result.record.result == "unchanged"
        assert result.record.detail.endswith(
            "; this check could not be written to the log of checks: it is read-only to this "
            "user")
        assert await svc.store.run(last_check) is None  # nothing logged, nothing half-written
