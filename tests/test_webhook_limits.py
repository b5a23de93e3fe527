"""The webhook server against abusive clients, with real sockets on 127.0.0.1: the secret is
checked before a byte of the body is read, the body is capped, slow clients are timed out
and the connections are bounded.  The server is the bot's own (bot/webhook.py) with small
limits, so each case takes a fraction of a second."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import tracemalloc
from collections.abc import AsyncIterator

import pytest

from bot import webhook
from handlers.context import WardApp
from tests.fake_bot_api import FakeBotApi

SECRET = "s3cret-value"
PATH = "/hook"
LIMITS = webhook.Limits(max_body=64 * 1024, idle=0.5, body=0.5, connections=4)


@pytest.fixture
async def port(app: WardApp) -> AsyncIterator[int]:
    http = webhook.server(app, PATH, SECRET, LIMITS)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    number = sock.getsockname()[1]
    sock.close()
    http.listen(number, address="127.0.0.1")
    try:
        yield number
    finally:
        http.stop()
        await http.close_all_connections()


def _head(length: int | None, secret: str | None = SECRET, chunked: bool = False) -> bytes:
    lines = [f"POST {PATH} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if secret is not None:
        lines.append(f"{webhook.SECRET_HEADER}: {secret}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _closed(reader: asyncio.StreamReader, within: float = 10.0) -> bytes:
    """Everything the server sends until it closes the connection (bounded wait)."""
    out = b""
    async with asyncio.timeout(within):
        with contextlib.suppress(ConnectionResetError):  # closed with data left unread
            while chunk := await reader.read(65536):
                out += chunk
    return out


async def test_a_wrong_secret_is_refused_before_the_body_is_read(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_head(1_000_000, secret="wrong"))  # a megabyte announced, none sent
    await writer.drain()
    answer = await _closed(reader)
    assert answer.startswith(b"HTTP/1.1 403")
    writer.close()


async def test_no_secret_and_a_slow_body_is_refused_at_once(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_head(100_000, secret=None) + b"{")
    await writer.drain()
    assert (await _closed(reader)).startswith(b"HTTP/1.1 403")
    writer.close()


async def test_a_body_announced_over_the_cap_is_refused_unread(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_head(LIMITS.max_body + 1))
    await writer.drain()
    assert (await _closed(reader)).startswith(b"HTTP/1.1 413")
    writer.close()


async def test_a_chunked_body_over_the_cap_is_cut_off(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_head(None, chunked=True))
    chunk = b"x" * 16384
    with contextlib.suppress(ConnectionError):
        for _ in range(LIMITS.max_body // len(chunk) + 8):
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            await writer.drain()
    answer = await _closed(reader)
    assert answer == b"" or answer.split(b" ")[1] in (b"400", b"413")
    writer.close()


async def test_headers_sent_slowly_are_timed_out(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the end
    await writer.drain()
    assert await _closed(reader) == b""
    writer.close()


async def test_a_half_sent_body_with_the_secret_is_timed_out(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_head(5000) + b'{"update_id": 1')
    await writer.drain()
    answer = await _closed(reader)
    assert b" 200 " not in answer
    writer.close()


async def test_connections_past_the_bound_are_closed_at_once(port: int) -> None:
    held = [await asyncio.open_connection("127.0.0.1", port)
            for _ in range(LIMITS.connections)]
    await asyncio.sleep(0.05)  # let the server accept them (not a timing assertion)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_head(2, secret=SECRET) + b"{}")
    await writer.drain()
    assert await _closed(reader, within=LIMITS.idle * 0.8 + 5) == b""
    for _, w in held:
        w.close()
    writer.close()


async def test_an_update_still_arrives(port: int, api: FakeBotApi) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"update_id": 41, **api.message("BR1 1AA")}).encode()
    writer.write(_head(len(body)) + body)
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 10)
    assert status.startswith(b"HTTP/1.1 200")
    writer.close()
    [reply] = await api.wait_for("sendMessage", timeout=15)
    assert "Bromley Town" in str(reply.text)


async def test_half_sent_bodies_do_not_pile_up_in_memory(port: int) -> None:
    """Thirty unauthenticated clients each announce a megabyte and send what the socket
    takes of it: the server reads none of it (before: each body was read into memory, up to
    1 MB).  The clients send one preallocated buffer, so what is traced is the server's."""
    loop = asyncio.get_running_loop()
    payload = memoryview(_head(1_000_000, secret="wrong") + b"x" * 800_000)
    socks: list[socket.socket] = []
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(30):
            sock = socket.socket()
            sock.setblocking(False)
            await loop.sock_connect(sock, ("127.0.0.1", port))
            socks.append(sock)
            sent = 0
            with contextlib.suppress(BlockingIOError, ConnectionError):
                while sent < len(payload):
                    sent += sock.send(payload[sent:sent + 65536])
        for sock in socks:
            with contextlib.suppress(ConnectionError):
                async with asyncio.timeout(10):
                    while await loop.sock_recv(sock, 65536):
                        pass
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
        for sock in socks:
            sock.close()
    assert peak < 8 * 1024 * 1024
