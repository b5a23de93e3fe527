"""The local console: the same Application and handlers, with a local transport in place of
Telegram, so anyone can try WardWatch in a terminal with no account and no network."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.app import build_application, running
from bot.config import Config
from handlers.present.words import strip_html

CONSOLE_TOKEN: Final = "1:local-console"
BOT_USER: Final = {"id": 1, "is_bot": True, "first_name": "WardWatch", "username": "WardWatchBot"}
YOU: Final = {"id": 1000, "is_bot": False, "first_name": "You"}
CHAT: Final = {"id": 1000, "type": "private", "first_name": "You"}


# Flags for a file that must be new: never an existing file, never through a planted link.
_NEW_FILE: Final = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                    | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
_MAX_SAME_NAME: Final = 1000


def save_new(folder: Path, filename: str, data: bytes) -> Path:
    """Write `data` to a new file (0600) in `folder` and return its path; a name already
    taken (by a file, or a link someone planted) gets -2, -3, … and is never written through."""
    name = Path(filename).name
    if name in ("", ".", ".."):
        name = "file"
    stem, suffix = os.path.splitext(name)
    for n in range(1, _MAX_SAME_NAME + 1):
        path = folder / (name if n == 1 else f"{stem}-{n}{suffix}")
        try:
            fd = os.open(path, _NEW_FILE, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return path
    raise FileExistsError(f"{folder}: {_MAX_SAME_NAME} files named like {name} already")


@dataclass
class SaveFolder:
    """Where the console saves the pictures and downloads the bot sends: a fresh folder made
    by `tempfile.mkdtemp` at the first file (owner-only, a name nobody can guess in advance,
    so no other user of the machine can plant links in it)."""

    parent: Path | None = None  # default: the system's temporary directory
    path: Path | None = None

    def save(self, filename: str, data: bytes) -> Path:
        if self.path is None:
            self.path = Path(tempfile.mkdtemp(prefix="wardwatch-", dir=self.parent))
        return save_new(self.path, filename, data)


@dataclass
class LocalBotApi(BaseRequest):
    """A Bot API answered in-process: messages the bot sends go to `show` instead of Telegram."""

    show: Callable[[str, dict[str, Any]], None]
    files: SaveFolder | None = None  # where photos and documents the bot sends are written
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = {"message_id": next(self._ids), "date": int(time.time()), "chat": CHAT,
               "from": BOT_USER, "text": params.get("text", "")}
        if "reply_markup" in params:
            markup = params["reply_markup"]
            markup = json.loads(markup) if isinstance(markup, str) else markup
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                msg["reply_markup"] = markup  # Telegram gives back inline keyboards only
        return msg

    def _save(self, request_data: RequestData) -> list[str]:
        """Write the files of a sendPhoto/sendDocument to `files`; their paths."""
        assert self.files is not None
        saved = []
        for filename, content, _mime in request_data.multipart_data.values():
            data = content if isinstance(content, bytes) else content.read()
            saved.append(str(self.files.save(filename or "file", data)))
        return saved

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None,
                         ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        result: object = True
        if api_method == "getMe":
            result = BOT_USER
        elif api_method in ("sendMessage", "editMessageText", "editMessageReplyMarkup",
                            "sendPhoto", "sendDocument"):
            if request_data is not None and request_data.contains_files and self.files:
                params = {**params, "saved": self._save(request_data)}
            self.show(api_method, params)
            result = self._message(params)
        elif api_method == "answerCallbackQuery":
            if params.get("text"):
                self.show(api_method, params)
        elif api_method == "getUpdates":
            result = []
        return 200, json.dumps({"ok": True, "result": result}).encode()


class Console:
    """Reads lines, turns them into Telegram updates, prints what the bot sends."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        # (label, callback data, link) of the last answer's buttons; a link button has no data
        self.buttons: list[tuple[str, str, str]] = []
        self.markup: dict[str, Any] | None = None  # its keyboard, as Telegram would show it
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(10_000)

    def show(self, method: str, params: dict[str, Any]) -> None:
        if method == "answerCallbackQuery":
            print(f"  ({params['text']})", file=self.out)
            return
        if method == "editMessageText":  # Telegram redraws the message in place
            print("\n" + EDITED, file=self.out)
        if method == "editMessageReplyMarkup":
            print("\n" + NEW_BUTTONS, file=self.out)
        else:
            print("\n" + strip_html(str(params.get("text") or params.get("caption") or "")),
                  file=self.out)
        for path in params.get("saved", []):
            print(f"(saved to {path})", file=self.out)
        markup = params.get("reply_markup")
        data = (json.loads(markup) if isinstance(markup, str) else markup) if markup else {}
        if "keyboard" in data:  # a reply keyboard, below the text field in Telegram
            keys = "   ".join(f"[{b['text']}]" for row in data["keyboard"] for b in row)
            print(f"\nKeyboard: {keys}   (in Telegram; here, type a postcode)", file=self.out)
        if "inline_keyboard" in data:
            self.markup = data
            self.buttons = [(b["text"], b.get("callback_data", ""), b.get("url", ""))
                            for row in data["inline_keyboard"] for b in row]
            labels = "   ".join(f"[{i}] {label}{' ↗' if url else ''}" for i, (label, _, url) in
                                 enumerate(self.buttons, 1))
            print(f"\nButtons: {labels}   (type a number to press one)", file=self.out)
        print(file=self.out, flush=True)

    def update_for(self, line: str) -> dict[str, Any] | None:
        """The Telegram update a typed line stands for; None for a link button (Telegram
        opens the link: the console prints it)."""
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.buttons) and \
                self.buttons[int(text) - 1][2]:
            print(f"\n(a link: {self.buttons[int(text) - 1][2]})\n", file=self.out, flush=True)
            return None
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            return {"update_id": next(self._update_ids), "callback_query": {
                "id": str(next(self._update_ids)), "from": YOU, "chat_instance": "console",
                "data": self.buttons[int(text) - 1][1],
                "message": {"message_id": 1, "date": int(time.time()), "chat": CHAT,
                            "from": BOT_USER, "text": "…",
                            **({"reply_markup": self.markup} if self.markup else {})}}}
        message: dict[str, Any] = {"message_id": next(self._message_ids),
                                   "date": int(time.time()), "chat": CHAT, "from": YOU,
                                   "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
        return {"update_id": next(self._update_ids), "message": message}


EDITED: Final = "↻ (the message above, redrawn in place)"
NEW_BUTTONS: Final = "↻ (the message above, new buttons)"

INTRO: Final = (
    "WardWatch console: the bot as it answers in Telegram, here in your terminal.\n"
    "Type a London postcode (e.g. SW1A 1AA) or a command (/help, /types, /about). "
    "/quit or Ctrl-D ends.\n"
)


async def run_console(cfg: Config, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout, *,
                      progress: Callable[[str], None] | None = None,
                      log_file: Path | None = None) -> int:
    """Chat with the bot in the terminal until /quit or end of input. `progress` shows the
    steps of a first run's store build; `log_file` is where the log goes, said at start."""
    console = Console(out)
    files = SaveFolder()
    # It never leads: the digests of the store's subscribers are not for this terminal.
    app = build_application(cfg, token=CONSOLE_TOKEN,
                            request=LocalBotApi(console.show, files), rate_limit=False,
                            progress=progress, lead=False)
    logs = f"Log messages go to {log_file}.\n" if log_file else ""
    print(INTRO + "Pictures and downloads are saved in a new private folder in "
          f"{tempfile.gettempdir()}; each one says where.\n" + logs, file=out, flush=True)
    loop = asyncio.get_running_loop()
    async with running(app):
        while True:
            if stdin.isatty():
                print("> ", end="", file=out, flush=True)
            line = await loop.run_in_executor(None, stdin.readline)
            if not line or line.strip() in ("/quit", "/exit"):
                break
            if not line.strip():
                continue
            update = console.update_for(line)
            if update is not None:
                await app.process_update(Update.de_json(update, app.bot))
    print("Bye.", file=out, flush=True)
    return 0
