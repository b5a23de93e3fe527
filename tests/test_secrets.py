"""The bot token and the webhook secret never show, and webhook mode never runs open:
`wardwatch run` as a real process against the fake Bot API on 127.0.0.1, and real log records."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest
from telegram.error import InvalidToken

from bot import cli, logs
from tests.fake_bot_api import TOKEN, FakeBotApi
from tests.test_run import free_port, post_when_listening

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def config_file(tmp_path: Path, db: Path, api: FakeBotApi, token: str, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[telegram]\ntoken = "{token}"\nbase_url = "{api.base_url}"\n{extra}'
        f'[storage]\npath = "{db.as_posix()}"\n[postcodes]\nbase_url = ""\n', encoding="utf-8")
    return path


async def start(config: Path, *args: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def finish(proc: asyncio.subprocess.Process, *, interrupt: bool = True) -> tuple[str, str]:
    """SIGINT (like Ctrl-C) if asked, then the process's whole output (bounded waits)."""
    if interrupt and proc.returncode is None:
        proc.send_signal(signal.SIGINT)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
    return out.decode(), err.decode()


# -- a token Telegram rejects ------------------------------------------------------------------

@pytest.mark.parametrize(("token", "answer"), [
    ("999999:WRONG-SECRET-TOKEN-wxyz", 401),  # well formed, not a bot's: 401 Unauthorized
    ("no-colon-in-this-token-wxyz", 404),  # malformed: 404 Not Found
])
@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
async def test_a_rejected_token_is_named_by_its_last_four_characters(
        tmp_path: Path, db_copy: Path, token: str, answer: int, verbose: bool) -> None:
    async with FakeBotApi() as api:
        args = ["-v", "run"] if verbose else ["run"]
        proc = await start(config_file(tmp_path, db_copy, api, token), *args)
        out, err = await finish(proc, interrupt=False)
        [get_me] = api.sent("getMe")
    assert get_me.status == answer
    assert proc.returncode == 1
    assert token not in out + err and (token.partition(":")[2] or token) not in out + err
    assert err.strip().splitlines()[-1] == (
        "wardwatch run: Telegram rejected the bot token (…:wxyz). Check WARDWATCH_TOKEN or "
        "[telegram] token: copy it again from @BotFather.")
    assert "Traceback" not in err


async def test_a_rejected_token_in_webhook_mode(tmp_path: Path, db_copy: Path) -> None:
    token = "999999:WRONG-SECRET-TOKEN-wxyz"
    extra = (f'mode = "webhook"\nwebhook_url = "https://example.org/hook"\n'
             f'webhook_secret = "s3cret-value"\nport = {free_port()}\n')
    async with FakeBotApi() as api:
        proc = await start(config_file(tmp_path, db_copy, api, token, extra), "run")
        out, err = await finish(proc, interrupt=False)
        assert not api.sent("setWebhook")
    assert proc.returncode == 1
    assert token not in out + err
    assert "Telegram rejected the bot token (…:wxyz)" in err


# -- the token in log records ------------------------------------------------------------------

def test_the_token_is_blotted_out_of_every_log_record() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger("telegram.Bot.redaction-test")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logs.redact_token(TOKEN, logger)
    logs.redact_token(TOKEN, logger)  # installed once, however often asked
    try:
        url = f"https://api.telegram.org/bot{TOKEN}/getMe"
        logger.debug("Calling Bot API endpoint %s with parameters %s", url, {"t": TOKEN})
        logger.info(f"Set Bot API URL: {url}")
        logger.info("the secret alone: %s", TOKEN.partition(":")[2])
        try:
            raise InvalidToken(f"The token `{TOKEN}` was rejected by the server.")
        except InvalidToken:
            logger.exception("Invalid token. Aborting retry loop.")
        logger.warning("with the stack", stack_info=True, extra={"u": url})
        logger.warning("nothing secret here: %d", 5)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert len(handler.filters) == 1
    assert TOKEN not in text and TOKEN.partition(":")[2] not in text
    lines = text.splitlines()
    assert lines[0] == ("telegram.Bot.redaction-test Calling Bot API endpoint "
                        "https://api.telegram.org/bot<token …:OKEN>/getMe with parameters "
                        "{'t': '<token …:OKEN>'}")
    assert lines[1] == ("telegram.Bot.redaction-test Set Bot API URL: "
                        "https://api.telegram.org/bot<token …:OKEN>/getMe")
    assert lines[2] == "telegram.Bot.redaction-test the secret alone: <token …:OKEN>"
    assert "InvalidToken: The token `<token …:OKEN>` was rejected by the server." in text
    assert "Traceback (most recent call last)" in text  # the traceback is kept, cleaned
    assert lines[-1] == "telegram.Bot.redaction-test nothing secret here: 5"


def test_the_database_password_is_blotted_out_of_every_log_record() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("psycopg.pool.redaction-test")
    logger.propagate = False
    logger.addHandler(handler)
    password = "pg:secret-Pass-22"
    logs.redact_password(password, logger)
    try:
        logger.warning("connecting with %s", f"postgresql://ward:{password}@db/wardwatch")
        try:
            raise ValueError(f"password {password} refused")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert password not in text
    assert "postgresql://ward:<database password>@db/wardwatch" in text
    assert "ValueError: password <database password> refused" in text
    assert "secret-Pass-22" not in text


def test_only_ptbs_start_up_refusal_is_left_to_the_cli_to_report() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("LOG %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    refusal = InvalidToken("Unauthorized")
    try:
        with logs.reporting_startup_refusal(InvalidToken):
            for name, message in (
                    ("telegram.ext", "Network Retry Loop (Bootstrap Initialize): Invalid token."),
                    ("telegram.ext", "Network Retry Loop (Polling Updates): Invalid token."),
                    ("handlers.errors", "error while handling update 5: InvalidToken")):
                logging.getLogger(name).error(message, exc_info=refusal)
        logging.getLogger("telegram.ext").error("Bootstrap Initialize after", exc_info=refusal)
    finally:
        root.removeHandler(handler)
    heads = [line for line in stream.getvalue().splitlines() if line.startswith("LOG ")]
    assert heads == ["LOG telegram.ext Network Retry Loop (Polling Updates): Invalid token.",
                     "LOG handlers.errors error while handling update 5: InvalidToken",
                     "LOG telegram.ext Bootstrap Initialize after"]
    assert handler.filters == []


def test_library_loggers_stay_at_info_when_wardwatch_logs_debug() -> None:
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in ("", "telegram", "tornado")}
    try:
        root.setLevel(logging.DEBUG)
        logging.getLogger("telegram").setLevel(logging.NOTSET)
        logs.quiet_noisy_loggers()
        assert logging.getLogger("telegram.Bot").getEffectiveLevel() == logging.INFO
        assert logging.getLogger("telegram.ext.Updater").getEffectiveLevel() == logging.INFO
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("wardwatch").getEffectiveLevel() == logging.DEBUG
    finally:
        for name, level in saved.items():
            logging.getLogger(name or None).setLevel(level)


async def test_verbose_run_never_logs_the_token(tmp_path: Path, db_copy: Path) -> None:
    async with FakeBotApi() as api:
        proc = await start(config_file(tmp_path, db_copy, api, api.token), "-v", "run")
        try:
            await api.wait_for("getUpdates", timeout=60)
            api.push_update(api.message("N1 9AA"))
            await api.wait_for("sendMessage", timeout=15)
        finally:
            out, err = await finish(proc)
    assert proc.returncode == 0, err
    assert "DEBUG" in err  # -v does log more
    assert TOKEN not in out + err and TOKEN.partition(":")[2] not in out + err


# -- webhook mode ------------------------------------------------------------------------------

async def test_webhook_mode_without_a_secret_refuses_to_start(tmp_path: Path,
                                                              db_copy: Path) -> None:
    port = free_port()
    extra = f'mode = "webhook"\nwebhook_url = "https://example.org/hook"\nport = {port}\n'
    async with FakeBotApi() as api:
        proc = await start(config_file(tmp_path, db_copy, api, api.token, extra), "run")
        out, err = await finish(proc, interrupt=False)
        assert api.calls == []  # not even getMe: nothing was started
    assert proc.returncode == 2 and out == ""
    assert err.strip() == cli.WEBHOOK_NEEDS_SECRET


async def test_webhook_answers_400_to_a_body_that_is_not_an_update(tmp_path: Path,
                                                                  db_copy: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    extra = (f'mode = "webhook"\nwebhook_url = "https://example.org/hook"\n'
             f'webhook_secret = "s3cret-value"\nport = {port}\n')
    async with FakeBotApi() as api:
        proc = await start(config_file(tmp_path, db_copy, api, api.token, extra), "run")
        try:
            [hook] = await api.wait_for("setWebhook", timeout=60)
            assert hook.params["secret_token"] == "s3cret-value"
            update = {"update_id": 7, **api.message("BR1 1AA")}
            right = {SECRET_HEADER: "s3cret-value", "Content-Type": "application/json"}
            async with httpx.AsyncClient(timeout=10) as client:
                assert (await post_when_listening(client, url, update)).status_code == 403
                statuses = []
                for body in (b"\xff\xfe\x00garbage", b"not json", b"", b"[1, 2]", b'"text"',
                             b"{}", b'{"update_id": "seven"}',
                             b'{"update_id": 8, "message": 5}', b"[" * 100_000):
                    answer = await client.post(url, content=body, headers=right)
                    statuses.append(answer.status_code)
                assert statuses == [400] * 9
                plain = await client.post(url, content=json.dumps(update), headers={
                    SECRET_HEADER: "s3cret-value", "Content-Type": "text/plain"})
                assert plain.status_code == 415
                no_secret = await client.post(url, content=b"garbage",
                                              headers={"Content-Type": "application/json"})
                assert no_secret.status_code == 403
                ok = await client.post(url, content=json.dumps(update), headers=right)
                assert ok.status_code == 200
            [reply] = await api.wait_for("sendMessage", timeout=15)
            assert "Bromley Town" in str(reply.text)
        finally:
            _out, err = await finish(proc)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


# -- a base_url without /bot, and any uncaught error -------------------------------------------

RECOGNISABLE = "987654:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-RECOGNISABLE"


@pytest.mark.parametrize("base_url", [
    "http://127.0.0.1:8081",  # the probe's: the /bot suffix missing
    "http://127.0.0.1:8081/",
    "http://127.0.0.1:8081/bot/",
    "127.0.0.1:8081/bot",
    "ftp://127.0.0.1:8081/bot",
])
def test_a_base_url_ptb_cannot_use_is_refused_at_config_load(tmp_path: Path,
                                                              base_url: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[telegram]\ntoken = "{RECOGNISABLE}"\nbase_url = "{base_url}"\n',
                    encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}
    import subprocess

    done = subprocess.run([sys.executable, "-m", "bot", "--config", str(path), "run"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2
    assert "[telegram] base_url" in done.stderr and "/bot" in done.stderr
    assert "Traceback" not in done.stderr
    assert RECOGNISABLE not in done.stdout + done.stderr
    assert RECOGNISABLE.partition(":")[2] not in done.stdout + done.stderr


@pytest.mark.parametrize("base_url", [
    "http://127.0.0.1:8081/bot", "https://api.telegram.org/bot",
    "https://api.telegram.org/bot{token}/test", "http://[::1]:8081/bot"])
def test_the_base_urls_ptb_can_use_are_accepted(base_url: str) -> None:
    from bot import config

    cfg = config.parse({"telegram": {"base_url": base_url}}, env={})
    assert cfg.telegram.base_url == base_url


def test_an_uncaught_error_is_printed_with_the_token_blotted_out(tmp_path: Path) -> None:
    """Whatever raises past every handler (here a command that fails with the token in its
    message and in a chained error): the traceback still shows, the token never."""
    import subprocess

    path = tmp_path / "config.toml"
    path.write_text(f'[telegram]\ntoken = "{RECOGNISABLE}"\n', encoding="utf-8")
    code = (
        "import sys\n"
        "from bot import cli\n"
        "async def broken(cfg, args):\n"
        "    token = cfg.telegram.token.reveal()\n"
        "    try:\n"
        "        raise ValueError(f'Invalid port: {token!r}')\n"
        "    except ValueError as exc:\n"
        "        raise RuntimeError(f'while asking http://127.0.0.1:8081{token}/getMe') from exc\n"
        "cli.COMMANDS['ask'] = broken\n"
        f"sys.exit(cli.main(['--config', {str(path)!r}, 'ask', 'x']))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "RuntimeError" in done.stderr
    assert "ValueError: Invalid port" in done.stderr  # the chained error too
    assert RECOGNISABLE not in done.stderr and RECOGNISABLE.partition(":")[2] not in done.stderr
    assert "…:ABLE" in done.stderr
