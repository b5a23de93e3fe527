"""Webhook mode: a small HTTP server (tornado) that takes Telegram's posts and hands each
update to the Application's queue, as PTB's custom-webhook examples do.

Ours rather than `Application.run_webhook` so that every answer is the right one: a request
without the secret is refused (403) before anything else is looked at, the secret is compared
in constant time, and a body that is not an update is a 400, never a 500."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import signal
from typing import Any, Final

import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer

from bot.app import running
from handlers.context import WardApp

log = logging.getLogger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes; anything far bigger is not one of them.
MAX_BODY: Final = 1024 * 1024


class UpdateHandler(tornado.web.RequestHandler):
    """POST <path>: one update from Telegram."""

    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, app: WardApp, secret: str) -> None:  # type: ignore[override]
        self.app = app
        self.secret = secret.encode()

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            raise tornado.web.HTTPError(403)
        media_type = self.request.headers.get("Content-Type", "").split(";")[0].strip()
        if media_type.lower() != "application/json":
            raise tornado.web.HTTPError(415)
        update = parse_update(self.request.body, self.app)
        if update is None:
            raise tornado.web.HTTPError(400)
        await self.app.update_queue.put(update)


def parse_update(body: bytes, app: WardApp) -> Update | None:
    """The update a request body holds, or None if it holds none (not JSON, not an object,
    not an update PTB can read)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested beyond reason
        log.warning("webhook: a request body that is not JSON (%d bytes)", len(body))
        return None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        log.warning("webhook: a request body that is not an update (no update_id)")
        return None
    try:
        return Update.de_json(data, app.bot)
    except Exception as exc:  # any shape PTB cannot read: not an update we can handle
        log.warning("webhook: a JSON object that is not an update: %s", type(exc).__name__)
        return None


def webhook_path(url: str) -> str:
    """The local path Telegram's posts arrive at: the URL's last segment (a reverse proxy
    forwards https://host/…/<segment> to http://listen:port/<segment>)."""
    return "/" + url.rstrip("/").rsplit("/", 1)[-1]


def server(app: WardApp, path: str, secret: str) -> HTTPServer:
    """The HTTP server for `path` (nothing else is served)."""
    web = tornado.web.Application(
        [(rf"{re.escape(path)}/?", UpdateHandler, {"app": app, "secret": secret})],
        log_function=_no_access_log)
    return HTTPServer(web, max_body_size=MAX_BODY)


def _no_access_log(handler: Any) -> None:
    """Requests are not logged one by one (the error handler logs what goes wrong)."""


async def serve(app: WardApp, *, url: str, secret: str, listen: str, port: int) -> None:
    """Run the bot as a webhook until SIGINT or SIGTERM: start it, tell Telegram where to
    post (with the secret), take the posts, and stop gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running(app):
        await app.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        http = server(app, webhook_path(url), secret)
        http.listen(port, address=listen)
        try:
            await stop.wait()
        finally:
            http.stop()
            await http.close_all_connections()
