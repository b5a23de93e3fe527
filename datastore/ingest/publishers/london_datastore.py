"""The London Datastore: a dataset's list of resources, and which one is the newest of a kind.

Two endpoints answer the same question (SOURCES.md, "API shapes"):

- `GET {base}/api/dataset/{id}`: a JSON object whose `resources` is an object keyed by
  resource id, each with `title`, `url`, `format`, `check_timestamp`, `check_hash`,
  `check_size`, `temporal_coverage_to`. An old slug (`recorded_crime_summary`) redirects to
  the dataset's id (`exy3m`).
- `GET {base}/api/action/package_show?id={id}` (CKAN): `{"success": true, "result":
  {"resources": [{"name", "url", "format", ...}, ...]}}`, the list newest first.

`fetch_catalogue` asks the first and falls back on the second. Every answer is checked whole
before anything is returned: an answer that is not one of these shapes is a PublisherError
saying what was found and what was expected, never a partial list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal, get_args
from urllib.parse import quote, urljoin, urlsplit

import httpx

from datastore.ingest.publishers import NotPublic, PublisherError, Unreachable, _http

__all__ = [
    "Catalogue",
    "Resource",
    "ResourceKind",
    "candidates",
    "choose",
    "fetch_catalogue",
    "parse_dataset",
    "parse_package",
]

ResourceKind = Literal["ward_crime", "borough_crime", "stop_search", "taser"]
KINDS: Final[tuple[ResourceKind, ...]] = get_args(ResourceKind)

WHO: Final = "the London Datastore"
# A catalogue is a few tens of KB; anything near this is not a catalogue.
MAX_CATALOGUE_BYTES: Final = 4_000_000

DATASET_EXPECTED: Final = (
    'a JSON object whose "resources" is an object keyed by resource id, each resource an '
    'object with "title", "url" and "format"')
PACKAGE_EXPECTED: Final = (
    '{"success": true, "result": {"resources": [{"name", "url", "format", ...}, ...]}}')

# Values of a dataset's `sharing` (the dataset API) that mean it is not open to anyone.
_NOT_PUBLIC_SHARING: Final = frozenset(
    {"private", "restricted", "internal", "login", "registered", "team"})
# Boolean flags (dataset or resource) that mean a login is needed.
_LOGIN_FLAGS: Final = ("private", "restricted", "requires_login", "login_required")


@dataclass(frozen=True)
class Resource:
    """One file a dataset lists (one monthly release of one extract, say).

    `url` is absolute, or "" when the catalogue gives none (a resource behind a login).
    `timestamp` is the dataset API's `check_timestamp` or CKAN's `last_modified`/`created`;
    `hash`, `size` and `coverage_to` are as the catalogue gives them (None when absent).
    """

    id: str
    title: str
    url: str
    format: str
    timestamp: str | None = None
    hash: str | None = None
    size: int | None = None
    coverage_to: str | None = None

    def fingerprint(self) -> str:
        """Stable text naming this release: the same release, the same text, and only then.

        Made of the id, url, hash, size and timestamp. The two endpoints describe one
        release with different fields, so a release seen through the other endpoint can
        give another fingerprint: a download that is then not needed, never a missed one.
        """
        return json.dumps([self.id, self.url, self.hash, self.size, self.timestamp],
                          separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Catalogue:
    """A dataset's resources as one endpoint listed them.

    `dataset` is the id the dataset API's answer gives for itself (`exy3m` when asked for
    the old slug), else (and from CKAN) the one asked for; `url` the endpoint's URL after
    redirects.
    """

    dataset: str
    url: str
    endpoint: Literal["dataset", "ckan"]
    resources: tuple[Resource, ...]

    def choose(self, kind: ResourceKind) -> Resource | None:
        """The newest resource of `kind`; NotPublic if every such resource lacks a URL."""
        return choose(self.resources, kind, url=self.url)


# -- parsing --------------------------------------------------------------------------------

def _shape(url: str, found: str, expected: str) -> PublisherError:
    return PublisherError(url, f"{found}; expected {expected}",
                          message=f"{WHO} answered {found} at {url}; expected {expected}")


def _not_public(url: str, what: str) -> NotPublic:
    return NotPublic(url, f"{what} is not public (it needs a login)",
                     message=f"{what} at {url} is not public: it needs a login")


def _flagged(obj: Mapping[str, object]) -> bool:
    sharing = obj.get("sharing")
    if isinstance(sharing, str) and sharing.strip().lower() in _NOT_PUBLIC_SHARING:
        return True
    return any(obj.get(flag) is True for flag in _LOGIN_FLAGS)


def _text(value: object, url: str, where: str, field: str, expected: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    raise _shape(url, f"{where} with {field!r} {_http.describe(value)}", expected)


def _size(value: object, url: str, where: str, expected: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int) and value >= 0:
        return value
    elif isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise _shape(url, f"{where} with a size that is not a number of bytes ({value!r})",
                 expected)


def _link(value: object, url: str, where: str, expected: str) -> str:
    text = _text(value, url, where, "url", expected)
    if text is None:
        return ""
    absolute = urljoin(url, text)
    if urlsplit(absolute).scheme not in ("http", "https"):
        raise _shape(url, f"{where} with a url that is not http(s) ({text!r})", expected)
    return absolute


def _resource(raw: object, rid: str, url: str, expected: str, *, ckan: bool) -> Resource:
    where = f"resource {rid!r}"
    if not isinstance(raw, dict):
        raise _shape(url, f"{where} as {_http.describe(raw)}, not an object", expected)
    if ckan:
        title = _text(raw.get("name"), url, where, "name", expected) or _text(
            raw.get("title"), url, where, "title", expected)
        stamp = _text(raw.get("last_modified"), url, where, "last_modified", expected) or _text(
            raw.get("created"), url, where, "created", expected)
        digest = _text(raw.get("hash"), url, where, "hash", expected)
        size = _size(raw.get("size"), url, where, expected)
    else:
        title = _text(raw.get("title"), url, where, "title", expected)
        stamp = _text(raw.get("check_timestamp"), url, where, "check_timestamp", expected)
        digest = _text(raw.get("check_hash"), url, where, "check_hash", expected)
        size = _size(raw.get("check_size"), url, where, expected)
    link = "" if _flagged(raw) else _link(raw.get("url"), url, where, expected)
    return Resource(
        id=rid,
        title=title or "",
        url=link,
        format=(_text(raw.get("format"), url, where, "format", expected) or "").lower(),
        timestamp=stamp,
        hash=digest,
        size=size,
        coverage_to=_text(raw.get("temporal_coverage_to"), url, where,
                          "temporal_coverage_to", expected),
    )


def parse_dataset(payload: object, url: str) -> tuple[Resource, ...]:
    """The resources of a dataset API answer (`resources` an object keyed by resource id).

    A payload of another shape is a PublisherError; one flagged private, NotPublic. A resource
    with no url (or flagged private) is kept with url "" so that `choose` can tell "not public"
    from "not listed".
    """
    if not isinstance(payload, dict):
        raise _shape(url, _http.describe(payload), DATASET_EXPECTED)
    if _flagged(payload):
        raise _not_public(url, "the dataset")
    resources = payload.get("resources")
    if not isinstance(resources, dict):
        found = ('an object without "resources"' if resources is None
                 else f'"resources" as {_http.describe(resources)}')
        raise _shape(url, found, DATASET_EXPECTED)
    return tuple(_resource(raw, str(rid), url, DATASET_EXPECTED, ckan=False)
                 for rid, raw in resources.items())


def parse_package(payload: object, url: str) -> tuple[Resource, ...]:
    """The resources of a CKAN `package_show` answer, in the order listed (newest first).

    `success: false` with an authorization error, or a package flagged private, is NotPublic;
    any other shape a PublisherError.
    """
    if not isinstance(payload, dict):
        raise _shape(url, _http.describe(payload), PACKAGE_EXPECTED)
    if payload.get("success") is not True:
        error = payload.get("error")
        kind = error.get("__type") if isinstance(error, dict) else None
        if isinstance(kind, str) and "authori" in kind.lower():
            raise _not_public(url, "the dataset")
        found = (f"success false ({kind})" if isinstance(kind, str)
                 else 'an object without "success": true')
        raise _shape(url, found, PACKAGE_EXPECTED)
    result = payload.get("result")
    if not isinstance(result, dict):
        raise _shape(url, f'"result" as {_http.describe(result)}', PACKAGE_EXPECTED)
    if _flagged(result):
        raise _not_public(url, "the dataset")
    resources = result.get("resources")
    if not isinstance(resources, list):
        found = ('a result without "resources"' if resources is None
                 else f'"resources" as {_http.describe(resources)}')
        raise _shape(url, found, PACKAGE_EXPECTED)
    out = []
    for index, raw in enumerate(resources):
        rid = raw.get("id") if isinstance(raw, dict) else None
        out.append(_resource(raw, rid if isinstance(rid, str) and rid else f"#{index}", url,
                             PACKAGE_EXPECTED, ckan=True))
    return tuple(out)


# -- choosing -------------------------------------------------------------------------------

def _words(text: str) -> str:
    """Lower case, separators as spaces, whitespace collapsed: titles compare as words."""
    return " ".join(re.sub(r"[_\-–—:,;|]+", " ", text.lower()).split())


# Never chosen, whatever the kind: older series, other geographies, documentation.
_NEVER: Final = re.compile(
    r"histor|\blsoa\b|\bmsoa\b|dictionary|guidance|metadata|read ?me\b|lookup|definitions")
_TITLES: Final[dict[ResourceKind, re.Pattern[str]]] = {
    "ward_crime": re.compile(r"\bward level crime\b"),
    "borough_crime": re.compile(r"\bborough level crime\b"),
    "stop_search": re.compile(
        r"\blds ?extract\b|\bstops? (?:and |& |n )?search(?:es)?\b"),
    "taser": re.compile(r"\buse of force\b"),
}
# Titles that look like the kind's but are another dataset's file.
_NOT_KIND: Final[dict[ResourceKind, re.Pattern[str]]] = {
    "ward_crime": re.compile(r"\bborough\b"),
    "borough_crime": re.compile(r"\bward\b"),
    "stop_search": re.compile(r"more thorough|intimate|\bmtip"),
    "taser": re.compile(r"$^"),
}
_FORMATS: Final[dict[ResourceKind, frozenset[str]]] = {
    "ward_crime": frozenset({"csv"}),
    "borough_crime": frozenset({"csv"}),
    "stop_search": frozenset({"csv"}),
    "taser": frozenset({"csv", "xlsx"}),
}
_MEDIA_TYPES: Final = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}


def file_format(resource: Resource) -> str:
    """The resource's format ("csv", "xlsx", ...): as listed, else from its title or URL."""
    listed = resource.format.strip().lower().lstrip(".")
    listed = _MEDIA_TYPES.get(listed, listed)
    if listed:
        return listed
    for name in (urlsplit(resource.url).path, resource.title):
        match = re.search(r"\.([a-z0-9]{2,5})\s*$", name.lower())
        if match:
            return match.group(1)
    return ""


def is_kind(resource: Resource, kind: ResourceKind) -> bool:
    """Whether the resource's title and format are those of `kind`'s current extract."""
    title = _words(resource.title)
    return (bool(_TITLES[kind].search(title)) and not _NEVER.search(title)
            and not _NOT_KIND[kind].search(title) and file_format(resource) in _FORMATS[kind])


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _period(text: str | None) -> tuple[int, int, int] | None:
    match = re.match(r"\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", text or "")
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


_EARLIEST: Final = datetime.min.replace(tzinfo=UTC)


def candidates(resources: Sequence[Resource], kind: ResourceKind) -> tuple[Resource, ...]:
    """Every resource of `kind`, newest first.

    Newest: the latest timestamp; among equals (or none), the latest coverage_to; then the
    first listed (CKAN lists newest first).
    """
    def newest_first(item: tuple[int, Resource]) -> tuple[bool, datetime, bool,
                                                          tuple[int, int, int], int]:
        index, resource = item
        moment, period = _instant(resource.timestamp), _period(resource.coverage_to)
        return (moment is not None, moment or _EARLIEST, period is not None,
                period or (0, 0, 0), -index)

    found = [(i, r) for i, r in enumerate(resources) if is_kind(r, kind)]
    return tuple(r for _, r in sorted(found, key=newest_first, reverse=True))


def choose(resources: Sequence[Resource], kind: ResourceKind, *,
           url: str = "the catalogue") -> Resource | None:
    """The newest resource of `kind` that can be downloaded; None if the kind is not listed.

    If resources of the kind are listed but none has a URL (they need a login), NotPublic
    naming `url` (where the list came from).
    """
    found = candidates(resources, kind)
    for resource in found:
        if resource.url:
            return resource
    if found:
        titles = ", ".join(repr(r.title) for r in found[:3])
        raise NotPublic(url, f"no {kind} resource has a download URL ({titles}): they need a "
                        "login", message=f"{WHO} lists {kind} resources at {url} ({titles}) "
                        "but none has a download URL: they are not public")
    return None


# -- fetching -------------------------------------------------------------------------------

def _status_error(fetched: _http.Fetched, expected: str) -> PublisherError:
    status, url = fetched.status, fetched.url
    if status == 401:
        return NotPublic(url, "the dataset needs a login (HTTP 401)", status=401,
                         message=f"the dataset at {url} is not public: {WHO} asks for a "
                         "login (HTTP 401)")
    if status == 403:
        return PublisherError(
            url, f"{WHO} refused the request (HTTP 403); it refuses some clients: check the "
            "User-Agent or the network", status=403,
            message=f"{WHO} refused the request (HTTP 403) at {url}; it refuses some "
            "clients: check the User-Agent or the network")
    cls = Unreachable if status >= 500 or status == 429 else PublisherError
    return cls(url, f"HTTP {status}; expected {expected}", status=status,
               message=f"{WHO} answered HTTP {status} at {url}; expected {expected}")


def _final(error: PublisherError) -> bool:
    """Errors the other endpoint cannot mend: a login, or a refusal of this client."""
    return isinstance(error, NotPublic) or error.status == 403


async def _ask(client: httpx.AsyncClient, url: str, params: Mapping[str, str] | None,
               expected: str) -> tuple[_http.Fetched, object]:
    fetched = await _http.get(client, url, who=WHO, max_bytes=MAX_CATALOGUE_BYTES,
                              params=params)
    if fetched.status != 200:
        raise _status_error(fetched, expected)
    try:
        return fetched, _http.parse_json(fetched)
    except _http.NotJson as exc:
        raise _shape(fetched.url, str(exc), expected) from None


def _dataset_id(payload: object, asked: str) -> str:
    value = payload.get("id") if isinstance(payload, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else asked


async def fetch_catalogue(client: httpx.AsyncClient, base: str, dataset: str) -> Catalogue:
    """The resources of London Datastore `dataset`, from the dataset API or else CKAN's.

    `client` must carry WardWatch's User-Agent (see the package docstring); redirects are
    followed whatever the client's setting. Raises NotPublic (a login is needed),
    PublisherError with status 403 (the Datastore refused this client), Unreachable (neither
    endpoint could be reached), or PublisherError naming both URLs (neither gave a catalogue).
    """
    root = base.rstrip("/")
    dataset_url = f"{root}/api/dataset/{quote(dataset, safe='')}"
    try:
        fetched, payload = await _ask(client, dataset_url, None, DATASET_EXPECTED)
        resources = parse_dataset(payload, fetched.final_url)
        return Catalogue(_dataset_id(payload, dataset), fetched.final_url, "dataset",
                         resources)
    except PublisherError as error:
        if _final(error):
            raise
        first = error
    package_url = f"{root}/api/action/package_show"
    try:
        fetched, payload = await _ask(client, package_url, {"id": dataset}, PACKAGE_EXPECTED)
        # CKAN's own ids are UUIDs elsewhere: the dataset keeps the id it was asked by.
        return Catalogue(dataset, fetched.final_url, "ckan",
                         parse_package(payload, fetched.final_url))
    except PublisherError as error:
        if _final(error):
            raise
        second = error
    cls = (Unreachable if isinstance(first, Unreachable) and isinstance(second, Unreachable)
           else PublisherError)
    raise cls(first.url, f"no catalogue from either endpoint: {first}; {second}",
              status=second.status if second.status == first.status else None,
              message=f"{WHO} gave no usable catalogue of dataset {dataset!r}. First, "
              f"{first}. Then, {second}.") from second
