"""Webhook mode: a small HTTP server (tornado) that takes Telegram's posts and hands each
update to the Application's queue, as PTB's custom-webhook examples do.

Ours rather than `Application.run_webhook` so that every answer is the right one and no
client can hold the bot up: the secret is checked from the headers, before a byte of the
body is read (403, and the connection closed), in constant time; a body is capped (413) and
read within a time limit; headers must arrive within a time limit too; the connections open
at once are bounded (one past the bound is closed at once); and a body that is not an update
is a 400, never a 500.  A probe held 120 slow unauthenticated connections open past 81 s and
took the bot from 82 to 154 MB with 60 half-sent bodies of ~1 MB before this."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import signal
from dataclasses import dataclass
from typing import Any, Final

import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer
from tornado.iostream import IOStream

from bot.app import running
from handlers.context import WardApp

log = logging.getLogger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class Limits:
    """What one client may take of the webhook server."""

    # An update is one message (at most 4,096 characters of text, 1,024 of a caption), the
    # message it replies to and their entities: some tens of KB even with every character
    # escaped as \uXXXX in JSON. 256 KB leaves room for any update Telegram sends.
    max_body: int = 256 * 1024
    # Seconds for a request's headers to arrive (and a kept-alive connection to stay idle).
    idle: float = 30.0
    # Seconds for a request's body to arrive, once its headers have.
    body: float = 10.0
    # Connections open at once. Telegram opens at most 40 by default (setWebhook's
    # max_connections, 100 at most); more is not Telegram.
    connections: int = 100


@tornado.web.stream_request_body
class UpdateHandler(tornado.web.RequestHandler):
    """POST <path>: one update from Telegram. The body is streamed (`data_received`), so
    `prepare` judges the headers before any of it is read."""

    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, app: WardApp, secret: str,  # type: ignore[override]
                   max_body: int) -> None:
        self.app = app
        self.secret = secret.encode()
        self.max_body = max_body
        self.body = bytearray()

    def prepare(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            self._refuse(403)  # the body unread
            return
        length = self.request.headers.get("Content-Length", "")
        if length.strip().isdigit() and int(length) > self.max_body:
            self._refuse(413)
            return
        if self.request.connection is not None:  # the server's cap, for this request too
            self.request.connection.set_max_body_size(self.max_body)  # type: ignore[attr-defined]
        media_type = self.request.headers.get("Content-Type", "").split(";")[0].strip()
        if media_type.lower() != "application/json":
            self._refuse(415)

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        if len(self.body) + len(chunk) > self.max_body:
            self.body = bytearray()
            self._refuse(413)
            return
        self.body += chunk

    def _refuse(self, status: int) -> None:
        """Answer `status` now and close the connection: what is left of the body is never
        read, and the client is told not to send another request on this connection."""
        self.set_status(status)
        self.set_header("Connection", "close")
        self.finish()

    async def post(self) -> None:
        update = parse_update(bytes(self.body), self.app)
        self.body = bytearray()
        if update is None:
            raise tornado.web.HTTPError(400)
        await self.app.update_queue.put(update)


class BoundedServer(HTTPServer):
    """An HTTPServer that closes a new connection at once when `limit` are open."""

    limit: int = Limits.connections

    def handle_stream(self, stream: IOStream, address: tuple[Any, ...]) -> None:
        if len(self._connections) >= self.limit:
            log.warning("webhook: %d connections open; one more closed", len(self._connections))
            stream.close()
            return
        super().handle_stream(stream, address)


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


def server(app: WardApp, path: str, secret: str, limits: Limits | None = None) -> HTTPServer:
    """The HTTP server for `path` (nothing else is served), within `limits`."""
    limits = limits or Limits()
    web = tornado.web.Application(
        [(rf"{re.escape(path)}/?", UpdateHandler,
          {"app": app, "secret": secret, "max_body": limits.max_body})],
        log_function=_no_access_log)
    http = BoundedServer(web, max_body_size=limits.max_body, max_header_size=16 * 1024,
                         idle_connection_timeout=limits.idle, body_timeout=limits.body)
    http.limit = limits.connections
    return http


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
