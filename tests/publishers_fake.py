"""Fake publishers for tests: a London Datastore and a data.police.uk, real HTTP servers on
127.0.0.1 speaking the publishers' JSON shapes and serving real files.

Use them as context managers or through the fixtures ``london_datastore_fake``,
``police_uk_fake`` and ``publishers_http`` (an ``httpx.AsyncClient`` carrying WardWatch's
User-Agent)::

    fake.publish("exy3m", *exy3m_catalogue())                  # a realistic catalogue
    fake.add("exy3m", release(WARD_NEW, "b3t", "MPS Ward Level Crime.csv",
                              "2026-09-15T09:00:00+00:00"))     # a new release
    fake.set(fake.dataset_path("exy3m"), Answer(500))          # a fault on one path
    fake.set("/api/stops-force?date=2025-04&force=metropolitan",
             Answer(429, headers={"Retry-After": "3"}), Answer(200, []))  # in turn
    ... fetch_catalogue(http, fake.base_url, "exy3m") ...
    assert fake.requests[0].user_agent.startswith("WardWatch/")

## Shapes, and where each comes from

London Datastore (``FakeLondonDatastore``): no saved answer exists, so the shapes are those
recorded in the shared SOURCES.md addendum "API shapes" from code that ran against the live
service (and the field names used by ``daa2618/london_data_store``'s models):

- ``GET /api/dataset/{id}``: ``{"id", "slug", "title", "sharing": "public", "resources":
  {<resource id>: {"title", "url", "format", "check_timestamp", "check_hash" (MD5 of the
  file), "check_size", "check_http_status", "check_mimetype", "temporal_coverage_from",
  "temporal_coverage_to"}}}``, resources in the order published. An alias (the old slug
  ``recorded_crime_summary``) answers 301 to the dataset's id; an unknown id, 404.
- ``GET /api/action/package_show?id={id}`` (CKAN): ``{"help", "success": true, "result":
  {"id", "name", "private": false, "resources": [{"id", "name", "url", "format",
  "last_modified", "created", "hash", "size", "position"}, ...]}}``, newest first; an
  unknown id, 404 with ``{"success": false, "error": {"__type": "Not Found Error"}}``.
- ``GET /download/{id}/{resource id}/{file name}``: the file, with an ETag (its MD5) and a
  Last-Modified (its timestamp); a conditional GET that matches either is answered 304.
  The bodies are real files decompressed as the Datastore serves them: the ward and borough
  extracts in ``datastore/snapshot/`` and ``tests/data/``; the stop-and-search dashboard and
  use-of-force samples in ``tests/data/loaders/`` are made up in the real layouts (no public
  copy exists, see their README). Files never downloaded in a test (the Historical and LSOA
  extracts a real catalogue also lists) are a header line only.

data.police.uk (``FakePoliceUk``):

- ``GET /api/crimes-street-dates``: built in the shape of the saved real answer
  ``tests/data/api_shapes/policeuk_crimes-street-dates_2020-10-16.json``: a list, newest
  first, of ``{"date": "YYYY-MM", "stop-and-search": [force ids]}`` for the months published
  here, each with the real answer's newest force list (``metropolitan`` among them) unless
  a month is published with other forces.
- ``GET /api/stops-force?force=metropolitan&date=YYYY-MM``: the month's records, a JSON list.
  The records are the real ones of ``datastore/snapshot/policeuk_api_metropolitan_stops_
  with_borough_*.json.gz`` with the ``borough`` field WardWatch added removed (police.uk does
  not send it). A month not published here answers ``[]``, which WardWatch reads as "not
  published yet" (what police.uk itself answers for such a month is not recorded: set a 404
  to test that too); another force, 404.

## Faults

``fake.set(path, *answers)`` answers a path (with its query, in any order; or the bare path
for every query) with ``answers`` in turn, the last one repeating, ahead of what the fake
would generate. An ``Answer`` gives a status and body (bytes, text, or JSON from a dict or
list) and the faults: ``delay`` (no answer for that long: a timeout, cut short when the
server stops), ``content_length`` (declare more bytes than sent: a truncated download),
``send_bytes`` + ``stall`` (send part of the body, wait, hang up), ``chunked`` (no length:
a chunked body that ends without its last chunk when cut), ``drop`` (hang up without
answering), ``headers`` (Retry-After, ...), ``etag`` / ``last_modified`` (304 on a match),
``stream`` (a body made on the fly, for large files). ``GARBAGE``, ``HTML`` and
``WRONG_SHAPE`` are ready-made bad answers. ``fake.drop_connections = True`` hangs up on
everything; ``fake.stop()`` closes the port.

``fake.requests`` is the request log: ``Request(method, path, query, headers)`` with the
headers' names in lower case (``.user_agent`` for short).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import json
import re
import socket
import socketserver
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import httpx
import pytest

from datastore.ingest.publishers import USER_AGENT

__all__ = [
    "API_SHAPES",
    "BOROUGH_NEW",
    "BOROUGH_OLD",
    "GARBAGE",
    "HTML",
    "POLICE_UK_FORCES",
    "SNAPSHOT",
    "STOP_SEARCH_SAMPLE",
    "TEST_DATA",
    "USE_OF_FORCE_SAMPLE",
    "WARD_NEW",
    "WARD_OLD",
    "WRONG_SHAPE",
    "Answer",
    "FakeLondonDatastore",
    "FakePoliceUk",
    "FakeResource",
    "Request",
    "exy3m_catalogue",
    "http_date",
    "london_datastore_fake",
    "placeholder",
    "police_uk_fake",
    "publishers_http",
    "read_file",
    "release",
    "snapshot_month",
    "snapshot_months",
]

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "datastore" / "snapshot"
TEST_DATA = ROOT / "tests" / "data"
API_SHAPES = TEST_DATA / "api_shapes"
WARD_NEW = SNAPSHOT / "mps_ward_crime_recent24m_202404-202603.csv.gz"
WARD_OLD = TEST_DATA / "mps_ward_crime_recent24m_202402-202601.csv.gz"
BOROUGH_NEW = SNAPSHOT / "mps_borough_crime_recent24m_202407-202606.csv.gz"
BOROUGH_OLD = TEST_DATA / "mps_borough_crime_recent24m_202312-202511.csv.gz"
STOP_SEARCH_SAMPLE = TEST_DATA / "loaders" / "mps_stop_search_dashboard_sample.csv"
USE_OF_FORCE_SAMPLE = TEST_DATA / "loaders" / "mps_use_of_force_sample.csv"

Body = bytes | str | dict[str, Any] | list[Any]


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, and the ways it may go wrong (see the module docstring)."""

    status: int = 200
    body: Body = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    delay: float = 0.0
    content_length: int | None = None
    send_bytes: int | None = None
    stall: float = 0.0
    chunked: bool = False
    drop: bool = False
    etag: str | None = None
    last_modified: str | None = None
    stream: Callable[[], Iterable[bytes]] | None = None

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


GARBAGE = Answer(200, b"\x1f\x8b\x00\xff\xfe garbage \x00\x01{[", content_type="text/plain")
HTML = Answer(200, "<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>",
              content_type="text/html; charset=utf-8")
WRONG_SHAPE = Answer(200, {"data": [{"resource": "MPS Ward Level Crime.csv"}]})


@dataclass(frozen=True)
class Request:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]

    @property
    def user_agent(self) -> str | None:
        return self.headers.get("user-agent")

    @property
    def target(self) -> str:
        """The path with its query, sorted (the key ``set`` uses)."""
        return _key(self.path, self.query)


def _key(path: str, query: Mapping[str, str]) -> str:
    return f"{path}?{urlencode(sorted(query.items()))}" if query else path


def _split(target: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(target)
    return unquote(parts.path), dict(parse_qsl(parts.query, keep_blank_values=True))


@functools.cache
def read_file(path: Path) -> bytes:
    """A file's bytes as a publisher serves them: gzip undone (read once per session)."""
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def http_date(timestamp: str) -> str:
    """An ISO timestamp as an HTTP date (Last-Modified)."""
    return format_datetime(datetime.fromisoformat(timestamp), usegmt=True)


# -- the server ----------------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: _FakeServer) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # no host name look-up
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up, or a stop() mid-answer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # for chunked bodies; every answer closes its connection
    timeout = 10

    def setup(self) -> None:
        super().setup()
        self.server.fake._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._closed(self.connection)

    def do_GET(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.server.fake._serve(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _FakeServer:
    """The HTTP machinery both fakes share: start/stop, answers per path, the request log."""

    name = "fake"

    def __init__(self) -> None:
        self.drop_connections = False
        self._answers: dict[str, list[Answer]] = {}
        self._requests: list[Request] = []
        self._lock = threading.RLock()
        self._requested = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._handlers: set[threading.Thread] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    # -- set up -------------------------------------------------------------------------

    def set(self, target: str, *answers: Answer) -> None:
        """Answer ``target`` (a path, with or without its query) with ``answers`` in turn."""
        if not answers:
            raise ValueError("give at least one answer")
        path, query = _split(target)
        with self._lock:
            self._answers[_key(path, query)] = list(answers)

    def clear(self, target: str) -> None:
        """Forget the answers set for ``target``: the fake generates them again."""
        path, query = _split(target)
        with self._lock:
            self._answers.pop(_key(path, query), None)

    @property
    def base_url(self) -> str:
        if not self._port:
            raise RuntimeError(f"the {self.name} has not been started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def requests(self) -> list[Request]:
        """Every request so far, in order (a copy)."""
        with self._lock:
            return list(self._requests)

    def paths(self) -> list[str]:
        """The requests' paths with their sorted queries, in order."""
        return [r.target for r in self.requests]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[Request]:
        """Block until ``count`` requests have arrived (TimeoutError after ``timeout`` s)."""
        with self._requested:
            if not self._requested.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"{len(self._requests)} of {count} requests arrived")
            return list(self._requests)

    # -- life ---------------------------------------------------------------------------

    def start(self) -> _FakeServer:
        if self._server is not None:
            raise RuntimeError("already started")
        self._stopping.clear()
        self._server = _Server(self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
            name=f"{self.name}:{self._port}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Close the port and end every answer under way (delays and stalls cut short)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        thread.join(timeout)
        with self._lock:
            connections, handlers = list(self._connections), list(self._handlers)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        end = time.monotonic() + timeout
        for handler in handlers:
            handler.join(max(0.0, end - time.monotonic()))
        server.server_close()
        self._server = self._thread = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- serving (in handler threads) ---------------------------------------------------

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)
            self._handlers.add(threading.current_thread())

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)
            self._handlers.discard(threading.current_thread())

    def generate(self, request: Request) -> Answer:
        """What the fake answers when no answer was set for the path."""
        return Answer(404, {"error": "Not found"})

    def _next(self, request: Request) -> Answer:
        with self._lock:
            for key in (request.target, request.path):
                queue = self._answers.get(key)
                if queue:
                    return queue.pop(0) if len(queue) > 1 else queue[0]
        return self.generate(request)

    def _serve(self, handler: _Handler) -> None:
        path, query = _split(handler.path)
        request = Request(handler.command, path, query,
                          {k.lower(): v for k, v in handler.headers.items()})
        with self._requested:
            self._requests.append(request)
            self._requested.notify_all()
        if self.drop_connections:
            return
        answer = self._next(request)
        if answer.drop or (answer.delay > 0 and self._stopping.wait(answer.delay)):
            return
        if answer.status == 200 and _unchanged(answer, request.headers):
            handler.send_response(304)
            self._validators(handler, answer)
            handler.send_header("Content-Length", "0")
            handler.send_header("Connection", "close")
            handler.end_headers()
            return
        body: Iterable[bytes] = answer.stream() if answer.stream else [answer.payload()]
        handler.send_response(answer.status)
        handler.send_header("Content-Type", answer.content_type)
        handler.send_header("Connection", "close")
        self._validators(handler, answer)
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        if answer.chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        else:
            length = answer.content_length
            if length is None and answer.stream is None:
                length = len(answer.payload())
            if length is not None:
                handler.send_header("Content-Length", str(length))
        handler.end_headers()
        complete = self._write(handler, body, answer)
        if complete and answer.chunked:
            handler.wfile.write(b"0\r\n\r\n")
        if not complete and answer.stall > 0:
            self._stopping.wait(answer.stall)

    @staticmethod
    def _validators(handler: _Handler, answer: Answer) -> None:
        if answer.etag:
            handler.send_header("ETag", answer.etag)
        if answer.last_modified:
            handler.send_header("Last-Modified", answer.last_modified)

    def _write(self, handler: _Handler, body: Iterable[bytes], answer: Answer) -> bool:
        """Send the body (all of it, or ``send_bytes`` of it); whether it was all sent."""
        budget = answer.send_bytes
        for block in body:
            view = memoryview(block)
            for start in range(0, len(view), 64 * 1024):
                if self._stopping.is_set() or (budget is not None and budget <= 0):
                    return False
                piece = view[start:start + 64 * 1024]
                if budget is not None:
                    piece = piece[:budget]
                    budget -= len(piece)
                if answer.chunked:
                    handler.wfile.write(f"{len(piece):x}\r\n".encode())
                    handler.wfile.write(piece)
                    handler.wfile.write(b"\r\n")
                else:
                    handler.wfile.write(piece)
        return True


def _unchanged(answer: Answer, headers: Mapping[str, str]) -> bool:
    match = headers.get("if-none-match")
    if answer.etag and match:
        return answer.etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*"
    since = headers.get("if-modified-since")
    return bool(answer.last_modified and since and since.strip() == answer.last_modified)


# -- the London Datastore ------------------------------------------------------------------

@dataclass(frozen=True)
class FakeResource:
    """One resource a fake dataset lists, and the file it serves.

    ``url`` None: the fake's own download URL; "" (or ``listed_url=False``): listed without
    one (a resource behind a login).
    """

    id: str
    title: str
    body: bytes
    timestamp: str | None
    coverage_to: str | None = None
    coverage_from: str | None = None
    format: str = "csv"
    file_name: str | None = None
    url: str | None = None

    @property
    def md5(self) -> str:
        return hashlib.md5(self.body).hexdigest()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def etag(self) -> str:
        return f'"{self.md5}"'

    @property
    def name(self) -> str:
        return self.file_name or self.title

    def renamed(self, title: str) -> FakeResource:
        return replace(self, title=title)


def release(path: Path, rid: str, title: str, timestamp: str | None, *,
            coverage_to: str | None = None, **kwargs: Any) -> FakeResource:
    """A resource serving a real file (decompressed as the Datastore serves it)."""
    return FakeResource(rid, title, read_file(path), timestamp, coverage_to, **kwargs)


def placeholder(rid: str, title: str, timestamp: str | None, **kwargs: Any) -> FakeResource:
    """A resource a real catalogue lists but no test downloads: a header line only."""
    return FakeResource(rid, title, b"MajorText,MinorText,Placeholder\n", timestamp, **kwargs)


def exy3m_catalogue() -> list[FakeResource]:
    """A realistic `exy3m` catalogue, oldest first: two ward and two borough releases (real
    files; the newer ward release under the shorter title some releases use) and the
    Historical and LSOA extracts, listed as the newest of all, which must never be chosen."""
    return [
        release(WARD_OLD, "w2601", "MPS Ward Level Crime (most recent 24 months).csv",
                "2026-02-12T09:30:00+00:00", coverage_to="2026-01-31",
                file_name="MPS Ward Level Crime (most recent 24 months).csv"),
        release(BOROUGH_OLD, "b2511", "MPS Borough Level Crime (most recent 24 months).csv",
                "2025-12-11T09:30:00+00:00", coverage_to="2025-11-30"),
        release(WARD_NEW, "w2603", "MPS Ward Level Crime.csv", "2026-04-14T09:30:00+00:00",
                coverage_to="2026-03-31"),
        release(BOROUGH_NEW, "4jc", "MPS Borough Level Crime (most recent 24 months).csv",
                "2026-07-13T09:30:00+00:00", coverage_to="2026-06-30"),
        placeholder("hist", "MPS Ward Level Crime (Historical).csv",
                    "2026-09-15T09:30:00+00:00", coverage_to="2026-08-31"),
        placeholder("bhist", "MPS Borough Level Crime (Historical).csv",
                    "2026-09-15T09:30:00+00:00", coverage_to="2026-08-31"),
        placeholder("lsoa", "MPS LSOA Level Crime (most recent 24 months).csv",
                    "2026-09-15T09:30:00+00:00", coverage_to="2026-08-31"),
    ]


@dataclass
class _Dataset:
    id: str
    title: str
    resources: list[FakeResource]
    aliases: tuple[str, ...] = ()
    private: bool = False


class FakeLondonDatastore(_FakeServer):
    """A London Datastore on 127.0.0.1: the dataset API, CKAN's package_show and downloads."""

    name = "fake London Datastore"

    def __init__(self) -> None:
        super().__init__()
        self._datasets: dict[str, _Dataset] = {}

    def __enter__(self) -> FakeLondonDatastore:
        self.start()
        return self

    # -- what it publishes --------------------------------------------------------------

    def publish(self, dataset: str, *resources: FakeResource, title: str = "",
                aliases: Sequence[str] = (), private: bool = False) -> None:
        """List ``resources`` (in this order) under ``dataset``, replacing what it listed."""
        with self._lock:
            self._datasets[dataset] = _Dataset(dataset, title or dataset, list(resources),
                                               tuple(aliases), private)

    def add(self, dataset: str, resource: FakeResource) -> None:
        """A new release: ``resource`` appended to the dataset's list."""
        with self._lock:
            self._datasets[dataset].resources.append(resource)

    def replace_resource(self, dataset: str, rid: str, resource: FakeResource | None) -> None:
        """Change one resource (a renamed title, say), or drop it (None)."""
        with self._lock:
            items = self._datasets[dataset].resources
            index = next(i for i, r in enumerate(items) if r.id == rid)
            if resource is None:
                del items[index]
            else:
                items[index] = resource

    def resource(self, dataset: str, rid: str) -> FakeResource:
        with self._lock:
            return next(r for r in self._datasets[dataset].resources if r.id == rid)

    # -- its URLs -----------------------------------------------------------------------

    @staticmethod
    def dataset_path(dataset: str) -> str:
        return f"/api/dataset/{dataset}"

    @staticmethod
    def package_path(dataset: str) -> str:
        return f"/api/action/package_show?id={dataset}"

    @staticmethod
    def download_path(dataset: str, resource: FakeResource) -> str:
        return f"/download/{dataset}/{resource.id}/{resource.name}"

    def url(self, dataset: str, resource: FakeResource) -> str:
        """The resource's download URL as the catalogue lists it."""
        if resource.url is not None:
            return resource.url
        return self.base_url + quote(self.download_path(dataset, resource))

    # -- answers ------------------------------------------------------------------------

    def _find(self, name: str) -> tuple[_Dataset | None, bool]:
        """The dataset named (by id or alias), and whether the name was an alias."""
        if name in self._datasets:
            return self._datasets[name], False
        for dataset in self._datasets.values():
            if name in dataset.aliases:
                return dataset, True
        return None, False

    def generate(self, request: Request) -> Answer:
        parts = request.path.strip("/").split("/")
        with self._lock:
            if len(parts) == 3 and parts[:2] == ["api", "dataset"]:
                return self._dataset_answer(parts[2])
            if request.path == "/api/action/package_show":
                return self._package_answer(request.query.get("id", ""))
            if len(parts) == 4 and parts[0] == "download":
                return self._download_answer(parts[1], parts[2], parts[3])
        return Answer(404, "<html><body>Not found</body></html>",
                      content_type="text/html; charset=utf-8")

    def _dataset_answer(self, name: str) -> Answer:
        dataset, alias = self._find(name)
        if dataset is None:
            return Answer(404, {"error": "Dataset not found"})
        if alias:
            return Answer(301, b"", headers={"Location": self.dataset_path(dataset.id)})
        return Answer(200, self.dataset_body(dataset.id))

    def dataset_body(self, dataset: str) -> dict[str, Any]:
        """The dataset API's answer for ``dataset``, as the fake would send it."""
        with self._lock:
            data = self._datasets[dataset]
            return {
                "id": data.id,
                "slug": data.id,
                "title": data.title,
                "sharing": "private" if data.private else "public",
                "licence": {"title": "UK Open Government Licence (OGL v2)"},
                "resources": {r.id: self._dataset_resource(data.id, r) for r in data.resources},
            }

    def _dataset_resource(self, dataset: str, r: FakeResource) -> dict[str, Any]:
        return {
            "title": r.title,
            "description": "",
            "url": self.url(dataset, r),
            "format": r.format,
            "check_timestamp": r.timestamp,
            "check_hash": r.md5,
            "check_size": len(r.body),
            "check_http_status": 200,
            "check_mimetype": "text/csv" if r.format == "csv" else "application/octet-stream",
            "temporal_coverage_from": r.coverage_from,
            "temporal_coverage_to": r.coverage_to,
        }

    def _package_answer(self, name: str) -> Answer:
        dataset, _ = self._find(name)
        if dataset is None:
            return Answer(404, {"help": "package_show", "success": False,
                                "error": {"__type": "Not Found Error", "message": "Not found"}})
        return Answer(200, self.package_body(dataset.id))

    def package_body(self, dataset: str) -> dict[str, Any]:
        """CKAN's package_show answer for ``dataset``: resources newest first."""
        with self._lock:
            data = self._datasets[dataset]
            newest = sorted(data.resources, key=lambda r: r.timestamp or "", reverse=True)
            return {
                "help": "https://data.london.gov.uk/api/3/action/help_show?name=package_show",
                "success": True,
                "result": {
                    "id": data.id,
                    "name": data.id,
                    "title": data.title,
                    "private": data.private,
                    "resources": [{
                        "id": r.id,
                        "name": r.title,
                        "url": self.url(data.id, r),
                        "format": r.format.upper(),
                        "last_modified": r.timestamp,
                        "created": r.timestamp,
                        "hash": r.md5,
                        "size": len(r.body),
                        "position": i,
                    } for i, r in enumerate(newest)],
                },
            }

    def _download_answer(self, dataset: str, rid: str, name: str) -> Answer:
        data, _ = self._find(dataset)
        found = [r for r in (data.resources if data else []) if r.id == rid and r.name == name]
        if not found:
            return Answer(404, "<html><body>Not found</body></html>",
                          content_type="text/html; charset=utf-8")
        r = found[0]
        return Answer(200, r.body, content_type="text/csv" if r.format == "csv"
                      else "application/octet-stream", etag=r.etag,
                      last_modified=http_date(r.timestamp) if r.timestamp else None)


# -- data.police.uk ------------------------------------------------------------------------

def _real_forces() -> tuple[str, ...]:
    entries = json.loads(
        (API_SHAPES / "policeuk_crimes-street-dates_2020-10-16.json").read_text("utf-8"))
    return tuple(entries[0]["stop-and-search"])


POLICE_UK_FORCES: tuple[str, ...] = _real_forces()
_SNAPSHOT_MONTH = re.compile(r"_(\d{4})-(\d{2})\.json\.gz$")


def snapshot_month(path: Path) -> tuple[int, list[dict[str, Any]]]:
    """A held police.uk month (YYYYMM, records) with the added ``borough`` field removed."""
    month, records = _snapshot_month(path)
    return month, json.loads(records)


@functools.cache
def _snapshot_month(path: Path) -> tuple[int, bytes]:
    match = _SNAPSHOT_MONTH.search(path.name)
    if match is None:
        raise ValueError(f"not a police.uk month file: {path.name}")
    records = json.loads(gzip.decompress(path.read_bytes()))
    return (int(match.group(1)) * 100 + int(match.group(2)), json.dumps(
        [{k: v for k, v in record.items() if k != "borough"} for record in records]).encode())


def snapshot_months() -> list[Path]:
    """The held police.uk month files, oldest first."""
    return sorted(SNAPSHOT.glob("policeuk_api_metropolitan_stops_with_borough_*.json.gz"))


class FakePoliceUk(_FakeServer):
    """A data.police.uk on 127.0.0.1: crimes-street-dates and stops-force."""

    name = "fake data.police.uk"

    def __init__(self) -> None:
        super().__init__()
        self._months: dict[int, tuple[bytes, tuple[str, ...]]] = {}  # records as JSON

    def __enter__(self) -> FakePoliceUk:
        self.start()
        return self

    def publish(self, month: int, records: list[dict[str, Any]],
                forces: Sequence[str] = POLICE_UK_FORCES) -> None:
        """Serve ``records`` for YYYYMM ``month``, listed with ``forces`` in the dates."""
        self._publish(month, json.dumps(records).encode(), forces)

    def _publish(self, month: int, records: bytes, forces: Sequence[str]) -> None:
        with self._lock:
            self._months[month] = (records, tuple(forces))

    def publish_snapshot(self, *paths: Path) -> list[int]:
        """Serve held months (default: all of them); the months, oldest first."""
        months = []
        for path in paths or tuple(snapshot_months()):
            month, records = _snapshot_month(path)
            self._publish(month, records, POLICE_UK_FORCES)
            months.append(month)
        return sorted(months)

    @staticmethod
    def stops_path(month: int, force: str = "metropolitan") -> str:
        return f"/api/stops-force?force={force}&date={month // 100:04d}-{month % 100:02d}"

    def dates_body(self) -> list[dict[str, Any]]:
        """crimes-street-dates as the fake answers it: newest first."""
        with self._lock:
            return [{"date": f"{m // 100:04d}-{m % 100:02d}", "stop-and-search": list(forces)}
                    for m, (_, forces) in sorted(self._months.items(), reverse=True)]

    def generate(self, request: Request) -> Answer:
        if request.path == "/api/crimes-street-dates":
            return Answer(200, self.dates_body())
        if request.path == "/api/stops-force":
            if request.query.get("force") != "metropolitan":
                return Answer(404, b"", content_type="text/html")
            match = re.fullmatch(r"(\d{4})-(\d{2})", request.query.get("date", ""))
            if match is None:
                return Answer(400, {"error": "invalid date"})
            with self._lock:
                records, _ = self._months.get(int(match.group(1)) * 100 + int(match.group(2)),
                                              (b"[]", ()))
            return Answer(200, records)
        return Answer(404, b"", content_type="text/html")


# -- fixtures ------------------------------------------------------------------------------

@pytest.fixture
def london_datastore_fake() -> Iterator[FakeLondonDatastore]:
    """A started FakeLondonDatastore publishing nothing yet, stopped after the test."""
    with FakeLondonDatastore() as fake:
        yield fake


@pytest.fixture
def police_uk_fake() -> Iterator[FakePoliceUk]:
    """A started FakePoliceUk publishing nothing yet, stopped after the test."""
    with FakePoliceUk() as fake:
        yield fake


@pytest.fixture
async def publishers_http() -> AsyncIterator[httpx.AsyncClient]:
    """The client the publishers are asked with: WardWatch's User-Agent, short timeouts."""
    async with httpx.AsyncClient(headers={"User-Agent": USER_AGENT}, timeout=5.0) as client:
        yield client
