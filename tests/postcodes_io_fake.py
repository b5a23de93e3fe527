"""A fake postcodes.io: a real HTTP server on 127.0.0.1 for tests, speaking its JSON shapes.

Use it as a context manager, or through the ``postcodes_io_fake`` fixture::

    with FakePostcodesIo() as fake:
        fake.set("SW1A 1AA", Answer(200, found_body("SW1A 1AA")))
        fake.set("E1 6AN", (500, b"oops"), (200, found_body("E1 6AN")))  # then 200
        ... PostcodesIo(client, fake.base_url) ...
        assert fake.requests == ["/postcodes/SW1A1AA", ...]

Answers are looked up by postcode, ignoring case and spaces.  A postcode given several
answers gets them in turn, the last one repeating.  A postcode with none gets
``fake.default`` (404 "Postcode not found"); a path that postcodes.io's own loose check
would reject gets 404 "Invalid postcode"; any other path gets 404 "Resource not found".

Districts (``GET /outcodes/{outcode}``) are set with ``fake.set_district``; one not set is
404 "Outcode not found".  Place searches (``GET /places?q=…``) are set by the words asked
with ``fake.set_places``; one not set finds nothing (200, an empty list), and a search with
no ``q`` is 400, as postcodes.io answers.

``fake.drop_connections = True`` makes it hang up without answering; ``fake.stop()``
closes the port, so later connections are refused.  Slow answers (``delay``) are cut
short when the server stops, so a test never waits on them at teardown.

The shapes follow postcodes.io's source and docs (ideal-postcodes/postcodes.io): a live
postcode is ``{"status": 200, "result": {...}}``; an unknown one is a 404 with
``"error": "Postcode not found"``, plus a ``"terminated"`` object (postcode,
year_terminated, month_terminated, longitude, latitude) when it was terminated.  A district
is ``{"status": 200, "result": {"outcode", "longitude", "latitude", "admin_district": [...],
...}}``; a place search ``{"status": 200, "result": [place, ...]}``, each place with
``code, name_1, name_1_lang, name_2, name_2_lang, local_type, outcode, county_unitary,
county_unitary_type, district_borough, district_borough_type, region, country, longitude,
latitude, eastings, northings, min_eastings, min_northings, max_eastings, max_northings``
(OS Open Names' populated places).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import socketserver
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

__all__ = [
    "INVALID_POSTCODE",
    "NOT_FOUND",
    "RESOURCE_NOT_FOUND",
    "Answer",
    "FakePostcodesIo",
    "district_body",
    "found_body",
    "place_body",
    "places_body",
    "postcodes_io_fake",
    "terminated_body",
    "unused_base_url",
]

Body = bytes | str | dict[str, Any] | list[Any]


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status code, body (a dict/list is sent as JSON), seconds to wait."""

    status: int
    body: Body = b""
    delay: float = 0.0
    content_type: str = "application/json; charset=utf-8"

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


INVALID_POSTCODE = Answer(404, {"status": 404, "error": "Invalid postcode"})
NOT_FOUND = Answer(404, {"status": 404, "error": "Postcode not found"})
RESOURCE_NOT_FOUND = Answer(404, {"status": 404, "error": "Resource not found"})


def found_body(
    postcode: str,
    *,
    ward: str | None = "St James's",
    ward_code: str | None = "E05013806",
    district: str | None = "Westminster",
    district_code: str | None = "E09000033",
    pfa: str | None = "Metropolitan Police",
    pfa_code: str | None = "E23000001",
    latitude: float | None = 51.501009,
    longitude: float | None = -0.141588,
) -> dict[str, Any]:
    """A 200 body for a live postcode, with the fields WardWatch reads and some it doesn't."""
    outcode, _, incode = postcode.partition(" ")
    return {
        "status": 200,
        "result": {
            "postcode": postcode,
            "quality": 1,
            "eastings": 529090,
            "northings": 179645,
            "country": "England",
            "nhs_ha": "London",
            "longitude": longitude,
            "latitude": latitude,
            "region": "London",
            "incode": incode,
            "outcode": outcode,
            "admin_district": district,
            "admin_county": None,
            "admin_ward": ward,
            "parish": None,
            "ced": None,
            "pfa": pfa,
            "codes": {
                "admin_district": district_code,
                "admin_county": "E99999999",
                "admin_ward": ward_code,
                "parish": "E43000236",
                "ced": "E99999999",
                "pfa": pfa_code,
            },
        },
    }


def terminated_body(
    postcode: str,
    year: int,
    month: int,
    *,
    latitude: float | None = 51.51,
    longitude: float | None = -0.06,
) -> dict[str, Any]:
    """The 404 body postcodes.io gives for a postcode that has been terminated."""
    return {
        "status": 404,
        "error": "Postcode not found",
        "terminated": {
            "postcode": postcode,
            "year_terminated": year,
            "month_terminated": month,
            "longitude": longitude,
            "latitude": latitude,
        },
    }


def district_body(outcode: str, districts: list[str], *, latitude: float = 53.47,
                  longitude: float = -2.24) -> dict[str, Any]:
    """A 200 body for a postcode district (``GET /outcodes/{outcode}``)."""
    return {"status": 200, "result": {
        "outcode": outcode, "longitude": longitude, "latitude": latitude,
        "northings": 398000, "eastings": 384000, "admin_district": districts,
        "parish": [], "admin_county": [], "admin_ward": [], "country": ["England"],
        "parliamentary_constituency": []}}


def place_body(name: str, latitude: float, longitude: float, *,
               local_type: str = "Suburban Area", district_borough: str | None = None,
               region: str | None = "London", outcode: str | None = None) -> dict[str, Any]:
    """One place as postcodes.io's places search gives it (OS Open Names)."""
    return {
        "code": f"osgb40000000{zlib.crc32(name.encode()) % 10**8:08d}", "name_1": name,
        "name_1_lang": None, "name_2": None, "name_2_lang": None, "local_type": local_type,
        "outcode": outcode, "county_unitary": "Greater London" if region == "London" else None,
        "county_unitary_type": "Greater London Authority" if region == "London" else None,
        "district_borough": district_borough, "district_borough_type": "London Borough",
        "region": region, "country": "England", "longitude": longitude, "latitude": latitude,
        "eastings": 530000, "northings": 180000, "min_eastings": 529500,
        "min_northings": 179500, "max_eastings": 530500, "max_northings": 180500,
    }


def places_body(*places: dict[str, Any]) -> dict[str, Any]:
    """A 200 body for a place search: the places found."""
    return {"status": 200, "result": list(places)}


OUTCODE_NOT_FOUND = Answer(404, {"status": 404, "error": "Outcode not found"})
NO_QUERY = Answer(400, {"status": 400, "error": "No query submitted. Please refer to the API "
                                                "documentation: https://postcodes.io"})


# postcodes.io's own check before looking a postcode up (the `postcode` package's isValid).
_LOOSE_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}")


def _key(postcode: str) -> str:
    return "".join(postcode.split()).upper()


def _as_answer(answer: Answer | tuple[Any, ...]) -> Answer:
    return answer if isinstance(answer, Answer) else Answer(*answer)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: FakePostcodesIo) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn); there is no need to.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, cancel) or a stop() mid-answer: not an error here.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers
    timeout = 10  # a connection that never sends a request is not kept for ever

    def setup(self) -> None:
        super().setup()
        self.server.fake._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._closed(self.connection)

    def do_GET(self) -> None:
        self.server.fake._answer(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakePostcodesIo:
    """A postcodes.io stand-in on 127.0.0.1, on a port of its own, in a background thread."""

    def __init__(self) -> None:
        self.default: Answer = NOT_FOUND
        self.drop_connections = False
        self._answers: dict[str, list[Answer]] = {}
        self._districts: dict[str, list[Answer]] = {}
        self._places: dict[str, list[Answer]] = {}
        self._requests: list[str] = []
        self._lock = threading.Lock()
        self._requested = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._handlers: set[threading.Thread] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    # -- set up ---------------------------------------------------------------------------

    def set(self, postcode: str, *answers: Answer | tuple[Any, ...]) -> None:
        """Answer ``postcode`` with ``answers`` in turn, the last one repeating."""
        if not answers:
            raise ValueError("give at least one answer")
        with self._lock:
            self._answers[_key(postcode)] = [_as_answer(a) for a in answers]

    def set_district(self, outcode: str, *answers: Answer | tuple[Any, ...]) -> None:
        """Answer ``GET /outcodes/{outcode}`` with ``answers`` in turn."""
        if not answers:
            raise ValueError("give at least one answer")
        with self._lock:
            self._districts[_key(outcode)] = [_as_answer(a) for a in answers]

    def set_places(self, query: str, *answers: Answer | tuple[Any, ...]) -> None:
        """Answer a place search for ``query`` (any case and spacing) with ``answers``."""
        if not answers:
            raise ValueError("give at least one answer")
        with self._lock:
            self._places[" ".join(query.lower().split())] = [_as_answer(a) for a in answers]

    @property
    def base_url(self) -> str:
        if not self._port:
            raise RuntimeError("the fake postcodes.io has not been started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def requests(self) -> list[str]:
        """The paths requested so far, in order (a copy)."""
        with self._lock:
            return list(self._requests)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[str]:
        """Block until at least ``count`` requests have arrived; the paths so far.

        Raises TimeoutError if they have not arrived within ``timeout`` seconds.  From
        async code: ``await asyncio.to_thread(fake.wait_for_requests, 1)``.
        """
        with self._requested:
            if not self._requested.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"{len(self._requests)} of {count} requests arrived")
            return list(self._requests)

    # -- life -----------------------------------------------------------------------------

    def start(self) -> FakePostcodesIo:
        if self._server is not None:
            raise RuntimeError("already started")
        self._server = _Server(self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"fake-postcodes.io:{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Close the port (later connections are refused) and end every answer under way."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        thread.join(timeout)
        with self._lock:
            connections = list(self._connections)
            handlers = list(self._handlers)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        end = time.monotonic() + timeout
        for handler in handlers:
            handler.join(max(0.0, end - time.monotonic()))
        server.server_close()
        self._server = self._thread = None

    def __enter__(self) -> FakePostcodesIo:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- serving (in handler threads) -----------------------------------------------------

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)
            self._handlers.add(threading.current_thread())

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)
            self._handlers.discard(threading.current_thread())

    def _next_answer(self, path: str) -> Answer:
        url = urlsplit(path)
        parts = url.path.split("/")
        if parts[1:] == ["places"]:
            asked = parse_qs(url.query).get("q") or parse_qs(url.query).get("query")
            if not asked or not asked[0].strip():
                return NO_QUERY
            return self._take(self._places, " ".join(asked[0].lower().split()),
                              Answer(200, places_body()))
        if len(parts) != 3 or parts[1] not in ("postcodes", "outcodes") or not parts[2]:
            return RESOURCE_NOT_FOUND
        wanted = unquote(parts[2]).strip().upper()
        if parts[1] == "outcodes":
            return self._take(self._districts, _key(wanted), OUTCODE_NOT_FOUND)
        if _LOOSE_POSTCODE.fullmatch(wanted) is None:
            return INVALID_POSTCODE
        return self._take(self._answers, _key(wanted), self.default)

    def _take(self, table: dict[str, list[Answer]], key: str, default: Answer) -> Answer:
        with self._lock:
            queue = table.get(key)
            if not queue:
                return default
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def _answer(self, handler: _Handler) -> None:
        with self._requested:
            self._requests.append(handler.path)
            self._requested.notify_all()
        if self.drop_connections:
            handler.close_connection = True
            return
        answer = self._next_answer(handler.path)
        if answer.delay > 0 and self._stopping.wait(answer.delay):
            handler.close_connection = True
            return
        payload = answer.payload()
        handler.send_response(answer.status)
        handler.send_header("Content-Type", answer.content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)


def unused_base_url() -> str:
    """The URL of a 127.0.0.1 port that nothing listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def postcodes_io_fake() -> Iterator[FakePostcodesIo]:
    """A started FakePostcodesIo, stopped after the test."""
    with FakePostcodesIo() as fake:
        yield fake
