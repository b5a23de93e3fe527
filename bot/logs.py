"""Logging set-up in one place: library loggers that would print secrets are held back, and
the bot token (and the database password, if any) is blotted out of every record the root
handlers write."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Final, TextIO

from platformdirs import user_log_dir

LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The console's log file: kept to about 1 MB (and one older file of as much).
CONSOLE_LOG_BYTES: Final = 1_000_000

# httpx logs every request URL at INFO (the token is in every Bot API URL, a postcode in
# postcodes.io's); APScheduler every job run: WARNING and above only.
WARNING_LOGGERS: Final = ("httpx", "httpcore", "apscheduler")
# PTB logs every Bot API call, its URL and its parameters at DEBUG (tornado, the webhook
# server, its requests): INFO and above only, even when WardWatch's own logging is DEBUG.
INFO_LOGGERS: Final = ("telegram", "tornado")


def quiet_noisy_loggers() -> None:
    """Hold back the libraries whose logs would show the token, postcodes or noise."""
    for name in WARNING_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in INFO_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:  # else it follows the root's level
            logger.setLevel(logging.INFO)


def token_hint(token: str) -> str:
    """How a token is named where it must not be shown: its last four characters."""
    return f"…:{token[-4:]}"


class RedactToken(logging.Filter):
    """Replace the bot token wherever it appears in a record: its message and arguments, its
    exception text and its stack.  Install on a handler, so every logger's records pass it."""

    def __init__(self, token: str, hint: str | None = None) -> None:
        super().__init__()
        self.token = token
        self.hint = hint or f"<token {token_hint(token)}>"
        # The part after the colon is the secret; it may also appear on its own.
        secret = token.partition(":")[2] if hint is None else ""
        self._needles = [token] + ([secret] if len(secret) >= 8 else [])

    def _clean(self, text: str) -> str:
        for needle in self._needles:
            text = text.replace(needle, self.hint)
        return text

    def _dirty(self, text: str) -> bool:
        return any(needle in text for needle in self._needles)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let the handler report it as it would
            message = str(record.msg)
        if self._dirty(message):
            record.msg, record.args = self._clean(message), None
        if record.exc_info and not record.exc_text:
            # Formatter.format uses exc_text when it is set: fill it in, cleaned.
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text and self._dirty(record.exc_text):
            record.exc_text = self._clean(record.exc_text)
        if record.stack_info and self._dirty(record.stack_info):
            record.stack_info = self._clean(record.stack_info)
        return True


def redact_token(token: str, logger: logging.Logger | None = None,
                 hint: str | None = None) -> None:
    """Install RedactToken on every handler of `logger` (default the root logger)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactToken) and f.token == token for f in handler.filters):
            handler.addFilter(RedactToken(token, hint))


def redact_password(password: str, logger: logging.Logger | None = None) -> None:
    """Blot the database password ([storage] url's, or WARDWATCH_DB_PASSWORD) out of every
    record, as the token is."""
    redact_token(password, logger, hint="<database password>")


def redact_uncaught(token: str | None, password: str | None = None) -> None:
    """Print any exception nothing caught, in this process's main thread or any other, with
    the token (and the database password) blotted out: a library's error may carry it
    (httpx's "Invalid port: '…'" showed it three times), and Python's own hook prints it as
    it is."""
    filters = [RedactToken(token)] if token else []
    if password:
        filters.append(RedactToken(password, hint="<database password>"))

    def clean(text: str) -> str:
        for found in filters:
            text = found._clean(text)
        return text

    def show(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, exc, tb))
        sys.stderr.write(clean(text))
        sys.stderr.flush()

    def show_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        sys.stderr.write(f"Exception in thread {args.thread.name if args.thread else '?'}:\n")
        show(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = show
    threading.excepthook = show_thread


class _DropStartupRefusal(logging.Filter):
    """Drops PTB's record of its start-up (bootstrap) giving up on an exception of `types`."""

    def __init__(self, types: tuple[type[BaseException], ...]) -> None:
        super().__init__()
        self.types = types

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name.startswith("telegram") and record.exc_info
                    and isinstance(record.exc_info[1], self.types)
                    and "Bootstrap" in record.getMessage())


@contextmanager
def reporting_startup_refusal(*types: type[BaseException]) -> Iterator[None]:
    """While the block runs, the root handlers drop PTB's log of its start-up failing with one
    of these exceptions (a traceback): the caller reports it itself, in its own words. The
    same exception later on, or logged by anyone else, is logged as usual."""
    drop = _DropStartupRefusal(types)
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(drop)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(drop)


def console_log_file() -> Path:
    """Where the console writes its log when stderr is its own screen: the per-user log
    directory (on Linux ~/.local/state/wardwatch/log/console.log)."""
    return Path(user_log_dir("wardwatch", appauthor=False)) / "console.log"


def same_stream(a: TextIO, b: TextIO) -> bool:
    """True if both write to one file: the one terminal, or one pipe (`2>&1`)."""
    try:
        return os.path.samestat(os.fstat(a.fileno()), os.fstat(b.fileno()))
    except (OSError, ValueError, AttributeError):  # no file behind one of them
        return False


def log_to_file(path: Path) -> None:
    """Send every log record (and Python's warnings) to `path` instead of the root logger's
    handlers: the folder made 0700 and the file 0600 if new, kept to CONSOLE_LOG_BYTES."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=CONSOLE_LOG_BYTES, backupCount=1, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    logging.captureWarnings(True)


def console_logging(out: TextIO, err: TextIO) -> Path | None:
    """Keep the log out of the console's chat: when stderr is the chat's own terminal (or
    pipe), the log goes to `console_log_file()`, returned; else it stays on stderr (None)."""
    if not same_stream(out, err):
        return None
    path = console_log_file()
    try:
        log_to_file(path)
    except OSError as exc:  # the chat matters more than the log: leave it on stderr
        logging.getLogger(__name__).warning("cannot write the log to %s: %s", path,
                                            exc.strerror)
        return None
    return path
