"""The `wardwatch` command line: parse arguments, load config, dispatch to a command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TextIO

from bot import config as config_mod
from bot.logs import (
    LOG_FORMAT,
    console_logging,
    quiet_noisy_loggers,
    redact_password,
    redact_token,
    redact_uncaught,
    reporting_startup_refusal,
    token_hint,
)
from datastore.errors import LoadError
from datastore.query.figures import month_label
from datastore.services import Services, open_services
from datastore.storage.store import (
    RefusedUnlessForced,
    StoreError,
    StoreWriteError,
    Version,
)
from handlers.present import json_out, report, texts, words

log = logging.getLogger("wardwatch")

# Queries of `ask --json -` answered concurrently (only postcodes.io look-ups ever wait).
ASK_WINDOW = 64

# Exit statuses: 0 done; 1 an error (the store, the disk, a publisher); 2 a usage or config
# error; 3 (bot/cli_files.py: EXIT_NO_FILE) `chart`, `map` or `export` wrote no file because
# the query has none to give.

PLACE_HELP = ("a postcode, a ward or borough name, a district, or two places to compare, as "
              "a resident would type it")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wardwatch",
        description="London crime figures by postcode, from the Met's published data.",
        epilog="With no COMMAND, wardwatch starts the console chat (when no Telegram token is "
               "configured; with one, it says how to run the bot).",
    )
    parser.add_argument("--config", metavar="PATH",
                        help="config file (default: $WARDWATCH_CONFIG, else ./config.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    load = sub.add_parser("load", help="load data files as the new current data")
    load.add_argument("--force", action="store_true",
                      help="load even if a file's latest month is older than the current data")
    load.add_argument("sources", nargs="*", metavar="PATH|URL",
                      help="files to load (default: the configured [sources])")

    ask = sub.add_parser("ask", help="answer a postcode, ward or borough as the bot would")
    ask.add_argument("--json", action="store_true", help="print JSON (one object per query)")
    ask.add_argument("--detail", action="store_true",
                     help="add crime by minor type and stop and search in full (text only)")
    ask.add_argument("query", metavar="PLACE",
                     help=PLACE_HELP + "; or - to read one per line from stdin")
    sub.add_parser("run", help="run the Telegram bot (needs a token)")
    sub.add_parser("update", help="fetch what the publishers have newer now (London Datastore, "
                   "data.police.uk) and print what became current")
    sub.add_parser("console", help="chat with the bot in this terminal (no Telegram needed; "
                   "also what no COMMAND does)")

    chart = sub.add_parser("chart", help="draw the chart of a ward's (or a borough's) crime "
                           "month by month (PNG); exit status 3 if no file is written")
    chart.add_argument("query", nargs="+", metavar="PLACE", help=PLACE_HELP)
    chart.add_argument("--out", required=True, metavar="FILE.png", help="the PNG to write")
    area = sub.add_parser("map", help="draw a borough's wards shaded against the London "
                          "average (PNG); `london` for every borough; exit status 3 if no "
                          "file is written")
    area.add_argument("query", nargs="+", metavar="PLACE", help=PLACE_HELP + "; or london")
    area.add_argument("--out", required=True, metavar="FILE.png", help="the PNG to write")
    export = sub.add_parser("export", help="write every figure of a ward (or a borough) to a "
                            "file; exit status 3 if no file is written")
    export.add_argument("query", nargs="+", metavar="PLACE", help=PLACE_HELP)
    export.add_argument("--format", choices=("csv", "json", "xlsx"),
                        help="the file's format (default: --out's extension)")
    export.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    return parser


NO_TOKEN = (
    "wardwatch run: no Telegram token. Create a bot with @BotFather in Telegram, then set "
    "WARDWATCH_TOKEN=<token> (or [telegram] token in config.toml); or try `wardwatch console`."
)

HAVE_TOKEN = (
    "A Telegram token is configured. Run the bot with `wardwatch run`, or chat with it here "
    "with `wardwatch console`. `wardwatch --help` lists every command."
)


WEBHOOK_NEEDS_URL = "wardwatch run: webhook mode needs [telegram] webhook_url"

WEBHOOK_NEEDS_SECRET = (
    "wardwatch run: webhook mode needs [telegram] webhook_secret: without it anyone who finds "
    "the address can post updates as any user, an operator included. Set it to a long random "
    "string of letters, digits, _ and - (up to 256), e.g. the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
)


def token_rejected(token: str) -> str:
    """What `run` says when Telegram refuses the token (never the token itself)."""
    return (f"wardwatch run: Telegram rejected the bot token ({token_hint(token)}). Check "
            "WARDWATCH_TOKEN or [telegram] token: copy it again from @BotFather.")


def cmd_run(cfg: config_mod.Config) -> int:
    """Run the bot until interrupted (polling or webhook, as configured)."""
    from telegram import Update
    from telegram.error import InvalidToken

    from bot import webhook
    from bot.app import build_application

    tg = cfg.telegram
    if tg.token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    # What the daily check does (each feed, each download), and which replica leads, goes to
    # the log.
    for name in ("datastore.ingest", "bot.replicas"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
    if tg.mode == "webhook" and not tg.webhook_url:
        print(WEBHOOK_NEEDS_URL, file=sys.stderr)
        return 2
    if tg.mode == "webhook" and not tg.webhook_secret:
        print(WEBHOOK_NEEDS_SECRET, file=sys.stderr)
        return 2
    app = build_application(cfg)
    # PTB logs the refusal at start-up with a traceback naming the token; we say it plainly.
    with reporting_startup_refusal(InvalidToken):
        try:
            if tg.mode == "webhook":
                assert tg.webhook_url is not None and tg.webhook_secret is not None
                asyncio.run(webhook.serve(app, url=tg.webhook_url,
                                          secret=tg.webhook_secret.reveal(),
                                          listen=tg.listen, port=tg.port))
            else:
                app.run_polling(allowed_updates=Update.ALL_TYPES)
        except InvalidToken:
            print(token_rejected(tg.token.reveal()), file=sys.stderr)
            return 1
    return 0


async def cmd_console(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from bot.console import run_console

    # A first run's steps are part of the chat: on its stdout, whatever that is.
    return await run_console(cfg, progress=progress_printer(sys.stdout, "  "),
                             log_file=getattr(args, "log_file", None))


def store_advice(exc: StoreWriteError) -> str:
    """What the operator can do about a store that cannot be written."""
    if exc.engine == "PostgreSQL" and exc.code in ("full", "readonly"):
        return ("Free space on the database server's disk, or grant [storage] url's user the "
                "right to write (a standby server is read-only), and try again.")
    if exc.code == "full":
        return ("Free some space on its disk (or point [storage] path at another disk) and "
                "try again.")
    if exc.code == "readonly":
        return ("Make it and its folder writable to this user, or point [storage] path at a "
                "writable copy.")
    if exc.code == "unreachable":
        return ("Check that the database server is running and reachable, and [storage] url "
                "and WARDWATCH_DB_PASSWORD.")
    return "Try again in a moment; if it persists, check the disk."


def progress_printer(stream: TextIO, prefix: str = "wardwatch: ") -> Callable[[str], None]:
    """Print each step of a long job on a line of its own ("…" while it goes on)."""

    def show(message: str) -> None:
        end = "" if message.endswith((".", "…")) else "…"
        print(f"{prefix}{message}{end}", file=stream, flush=True)

    return show


def _progress(stream: TextIO) -> Callable[[str], None] | None:
    """Progress on a terminal (stderr: a script's output stays clean), none otherwise."""
    return progress_printer(stream) if stream.isatty() else None


def services(cfg: config_mod.Config, progress: Callable[[str], None] | None = None
             ) -> AbstractAsyncContextManager[Services]:
    """Open the shared services as the config says."""
    return open_services(cfg.storage, postcodes_url=cfg.postcodes.base_url,
                         postcodes_timeout=cfg.postcodes.timeout, progress=progress)


def describe(v: Version) -> str:
    months = ""
    if v.first_month and v.last_month:
        months = f"{month_label(v.first_month)} to {month_label(v.last_month)}"
    return f"{v.kind:<19} {months:<21} {v.rows:>9,} rows   {', '.join(s.name for s in v.sources)}"


async def cmd_update(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    """Follow the publishers now, as the bot's daily check does, with progress."""
    from datastore.ingest.check import check_publishers

    progress = _progress(sys.stderr)
    pub = cfg.publishers
    async with services(cfg, progress) as svc:
        svc.following = True
        async with pub.client() as http:
            result = await check_publishers(svc, http, pub.sites(), trigger="update",
                                            progress=progress)
        feeds = result.feeds.outcomes if result.feeds is not None else ()
        for outcome in feeds:
            line = f"{texts.FEED_NAMES.get(outcome.feed, outcome.feed)}: {outcome.result}"
            print(line + (f" — {outcome.detail}" if outcome.detail else ""))
        if result.feeds is None:
            print(f"wardwatch update: {result.record.detail}", file=sys.stderr)
        current = await svc.store.versions()
        print("Current data:")
        for kind in sorted(current):
            print("  " + describe(current[kind]))
    bad = [o for o in feeds if o.result in ("failed", "rejected")]
    return 1 if bad or result.feeds is None else 0


async def cmd_load(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    from datastore.ingest.sources import is_url

    progress = _progress(sys.stderr)
    async with services(cfg, progress) as svc:
        # No paths: the configured sources, or (none configured) the bundled snapshot.
        srcs = args.sources or list(cfg.sources.all())
        try:
            # URLs come as the publishers' files do: their caps, deadline, User-Agent and
            # hosts (those named here allowed too).
            async with cfg.publishers.client(also=[s for s in srcs if is_url(s)]) as http:
                report = await svc.load(srcs, force=args.force, progress=progress, http=http)
            if report.versions:
                print("Loaded:")
                for v in report.versions:
                    print("  " + describe(v))
                for note in report.notes:
                    print(f"  repaired: {note}")
            else:
                print("Nothing new: every file is already loaded (--force loads it again).")
        except (LoadError, RefusedUnlessForced) as exc:
            print(f"wardwatch load: rejected: {exc}", file=sys.stderr)
            print("The data being served is unchanged.", file=sys.stderr)
            return 1
        except StoreWriteError as exc:
            print(f"wardwatch load: {exc}. {store_advice(exc)}", file=sys.stderr)
            print("Nothing was loaded; the data being served is unchanged.", file=sys.stderr)
            return 1
        current = await svc.store.versions()
        print("Current data:")
        for kind in sorted(current):
            print("  " + describe(current[kind]))
    return 0


async def _answer_text(svc: Services, text: str, as_json: bool, detail: bool = False) -> str:
    answer = await svc.answer(text)
    message = report.answer_html(answer)
    if detail and not as_json:
        message = "\n\n".join([message, *report.detail_sections(answer)])
    if as_json:
        return json.dumps(json_out.answer_json(answer, words.strip_html(message)),
                          ensure_ascii=False)
    return words.strip_html(message)


async def cmd_ask(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    async with services(cfg, _progress(sys.stderr)) as svc:
        if args.query != "-":
            print(await _answer_text(svc, args.query, args.json, args.detail))
            return 0
        # One query per line, answers in input order, each written as soon as it and all
        # before it are ready; at most ASK_WINDOW in flight (only postcodes.io look-ups wait).
        # A thread reads stdin so that reading never blocks the answers.
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str | None] = asyncio.Queue()

        def read() -> None:
            for line in sys.stdin:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            loop.call_soon_threadsafe(lines.put_nowait, None)

        reader = loop.run_in_executor(None, read)
        pending: asyncio.Queue[asyncio.Task[str] | None] = asyncio.Queue(ASK_WINDOW)

        async def writer() -> None:
            while (task := await pending.get()) is not None:
                sys.stdout.write(await task + "\n")
                if pending.empty() and lines.empty():
                    sys.stdout.flush()  # caught up with the input: show what we have
            sys.stdout.flush()

        out = asyncio.create_task(writer())
        while (line := await lines.get()) is not None:
            text = line.rstrip("\r\n")
            await pending.put(asyncio.create_task(_answer_text(svc, text, args.json)))
        await pending.put(None)
        await out
        await reader
    return 0


async def cmd_media(cfg: config_mod.Config, args: argparse.Namespace) -> int:
    """chart, map and export: one file for a place (bot/cli_files.py)."""
    from bot import cli_files

    return await cli_files.write_one(args, services(cfg, _progress(sys.stderr)))


COMMANDS = {"load": cmd_load, "update": cmd_update, "ask": cmd_ask, "console": cmd_console,
            "chart": cmd_media, "map": cmd_media, "export": cmd_media}


async def _stopped_by_sigterm(command: Coroutine[object, object, int]) -> int:
    """Run a command; SIGTERM cancels it as Ctrl-C does: a download stops at once, a loading
    child is killed, temporary files go; exit status 143."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    terminated: list[bool] = []

    def terminate() -> None:
        terminated.append(True)
        task.cancel()

    loop.add_signal_handler(signal.SIGTERM, terminate)
    try:
        return await command
    except asyncio.CancelledError:
        if not terminated:
            raise
        task.uncancel()
        print("wardwatch: stopped (SIGTERM); what was under way was not loaded",
              file=sys.stderr)
        return 143
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `wardwatch` command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format=LOG_FORMAT)
    quiet_noisy_loggers()
    try:
        cfg = config_mod.load(args.config)
    except config_mod.ConfigError as exc:
        print(f"wardwatch: {exc}", file=sys.stderr)
        return 2
    if args.command is None:
        if cfg.telegram.token is not None:
            print(HAVE_TOKEN)
            return 0
        args.command = "console"
    if args.command == "console":  # the log never interleaves with the chat
        args.log_file = console_logging(sys.stdout, sys.stderr)
    token = cfg.telegram.token.reveal() if cfg.telegram.token is not None else None
    password = cfg.storage_password.reveal() if cfg.storage_password is not None else None
    if token is not None:
        redact_token(token)  # from every log record, whatever its level
    if password is not None:
        redact_password(password)
    if token is not None or password is not None:
        redact_uncaught(token, password)  # and from any traceback nothing caught
    try:
        if args.command == "run":
            return cmd_run(cfg)
        return asyncio.run(_stopped_by_sigterm(COMMANDS[args.command](cfg, args)))
    except StoreWriteError as exc:
        print(f"wardwatch: {exc}. {store_advice(exc)}", file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"wardwatch: {exc}. Point [storage] path at another file, or remove this one "
              "to rebuild it from the bundled data.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
