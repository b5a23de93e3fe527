"""GOV.UK's content API: a statistics collection's releases, and the newest one's data tables.

`GET {base}/api/content/{path}` answers any GOV.UK page as JSON (the content store's
ContentItem: `title`, `base_path`, `schema_name`, `document_type`, `public_updated_at`,
`first_published_at`, `details`, `links`).  Two shapes are read here:

- a document collection (`schema_name` "document_collection"; the Home Office's
  `government/collections/police-use-of-force-statistics`): its documents in
  `links.documents`, each a linked item with `title`, `base_path`, `api_path`,
  `public_updated_at`, `document_type` (`official_statistics`, `national_statistics`,
  `guidance`, ...), `schema_name` and `withdrawn` (`details.collection_groups` only groups
  their content ids);
- a publication (one yearly release, `schema_name` "publication"): its files in
  `details.attachments`, each with `attachment_type` ("file", "html" or "external"), `id`,
  `title` and `url`, and for a file `content_type`, `filename` and `file_size`.

A page that moved answers 303 to its new path (followed), a withdrawn one 410, a missing one
404.  Every answer is checked before anything is returned: another shape is a PublisherError
saying what was found and what was expected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, urljoin, urlsplit

import httpx

from datastore.ingest.publishers import NotPublic, PublisherError, Unreachable, _http

__all__ = [
    "ODS",
    "Attachment",
    "Release",
    "Tables",
    "choose_release",
    "data_tables",
    "fetch_tables",
    "parse_collection",
    "parse_release",
]

WHO: Final = "GOV.UK"
# A content item is tens of KB; anything near this is not one.
MAX_ITEM_BYTES: Final = 4_000_000
ODS: Final = "application/vnd.oasis.opendocument.spreadsheet"

COLLECTION_EXPECTED: Final = (
    'a content item whose "links" has "documents": a list of objects with "title" and '
    '"base_path" or "api_path"')
RELEASE_EXPECTED: Final = (
    'a content item whose "details" has "attachments": a list of objects with '
    '"attachment_type", "title" and "url"')

# The releases of the series: "Police use of force statistics, England and Wales: April 2019
# to March 2020".  Guides, quality reports and notices in the same collection are not.
SERIES_TITLE: Final = re.compile(r"\bpolice use of force statistics\b", re.IGNORECASE)
_NOT_RELEASE: Final = re.compile(
    r"\buser guide|\bguidance\b|\bquality\b|\bmethodolog|\bpre-release\b|\bannouncement",
    re.IGNORECASE)
STATISTICS_TYPES: Final = frozenset({"official_statistics", "national_statistics",
                                     "statistics", "statistical_data_set"})
# The ODS of the release's numbered tables ("… data tables"), not its open data table.
TABLES_TITLE: Final = re.compile(r"\bdata tables?\b|\btables\b", re.IGNORECASE)
_NOT_TABLES: Final = re.compile(r"\bopen data\b", re.IGNORECASE)
_MONTHS: Final = ("january", "february", "march", "april", "may", "june", "july", "august",
                  "september", "october", "november", "december")
_MONTH_YEAR: Final = re.compile(rf"\b({'|'.join(_MONTHS)})\s+((?:19|20)\d\d)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Release:
    """One document a collection lists (a yearly release, or a guide beside them)."""

    title: str
    base_path: str
    api_path: str
    public_updated_at: str | None = None
    document_type: str | None = None
    schema_name: str | None = None
    withdrawn: bool = False

    def period_end(self) -> int | None:
        """The latest month its title names (YYYYMM): "April 2019 to March 2020" → 202003."""
        found = [int(y) * 100 + _MONTHS.index(m.lower()) + 1
                 for m, y in _MONTH_YEAR.findall(self.title)]
        return max(found) if found else None


@dataclass(frozen=True)
class Attachment:
    """One file of a release: its id, title, URL (absolute), media type, name and size."""

    id: str
    title: str
    url: str
    attachment_type: str
    content_type: str | None = None
    filename: str | None = None
    file_size: int | None = None

    def is_ods(self) -> bool:
        name = (self.filename or urlsplit(self.url).path).lower()
        return self.content_type == ODS or name.endswith(".ods")


@dataclass(frozen=True)
class Tables:
    """The newest release of a series and its ODS data tables."""

    release: Release
    attachment: Attachment
    url: str  # the release's page (its content API address)
    first_published_at: str | None
    public_updated_at: str | None

    @property
    def published(self) -> str | None:
        """When the release was published (ISO date)."""
        stamp = self.first_published_at or self.public_updated_at
        return stamp[:10] if stamp else None

    def fingerprint(self) -> str:
        """Names this file of this release: the same file re-listed, the same text."""
        return json.dumps([self.attachment.id, self.attachment.url, self.attachment.file_size,
                           self.public_updated_at], separators=(",", ":"), ensure_ascii=False)


# -- parsing --------------------------------------------------------------------------------

def _shape(url: str, found: str, expected: str) -> PublisherError:
    return PublisherError(url, f"{found}; expected {expected}",
                          message=f"{WHO} answered {found} at {url}; expected {expected}")


def _text(obj: dict[str, object], key: str, url: str, where: str, expected: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _shape(url, f"{where} with {key!r} {_http.describe(value)}", expected)
    return value.strip() or None


def _objects(payload: object, url: str, outer: str, key: str, what: str,
             expected: str) -> list[tuple[str, dict[str, object]]]:
    """The objects listed at payload[outer][key], each with where it is ("attachment 2")."""
    if not isinstance(payload, dict):
        raise _shape(url, _http.describe(payload), expected)
    holder = payload.get(outer)
    if not isinstance(holder, dict):
        raise _shape(url, f'a content item without "{outer}"' if holder is None
                     else f'"{outer}" as {_http.describe(holder)}', expected)
    items = holder.get(key)
    if not isinstance(items, list):
        raise _shape(url, f'"{outer}" without "{key}"' if items is None
                     else f'"{outer}.{key}" as {_http.describe(items)}', expected)
    out = []
    for i, raw in enumerate(items):
        where = f"{what} {i + 1}"
        if not isinstance(raw, dict):
            raise _shape(url, f"{where} as {_http.describe(raw)}", expected)
        out.append((where, raw))
    return out


def parse_collection(payload: object, url: str) -> tuple[Release, ...]:
    """The documents a collection lists, in its order."""
    out = []
    for where, raw in _objects(payload, url, "links", "documents", "document",
                               COLLECTION_EXPECTED):
        title = _text(raw, "title", url, where, COLLECTION_EXPECTED)
        base = _text(raw, "base_path", url, where, COLLECTION_EXPECTED)
        api = _text(raw, "api_path", url, where, COLLECTION_EXPECTED)
        if title is None or (base is None and api is None):
            raise _shape(url, f'{where} without "title" and "base_path"', COLLECTION_EXPECTED)
        out.append(Release(
            title=title, base_path=base or (api or "").removeprefix("/api/content"),
            api_path=api or f"/api/content{base}",
            public_updated_at=_text(raw, "public_updated_at", url, where, COLLECTION_EXPECTED),
            document_type=_text(raw, "document_type", url, where, COLLECTION_EXPECTED),
            schema_name=_text(raw, "schema_name", url, where, COLLECTION_EXPECTED),
            withdrawn=raw.get("withdrawn") is True))
    return tuple(out)


def _size(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else None


def parse_release(payload: object, url: str) -> tuple[Attachment, ...]:
    """A release's attachments, in its order (URLs made absolute against `url`)."""
    out = []
    for i, (where, raw) in enumerate(_objects(payload, url, "details", "attachments",
                                               "attachment", RELEASE_EXPECTED)):
        link = _text(raw, "url", url, where, RELEASE_EXPECTED)
        kind = _text(raw, "attachment_type", url, where, RELEASE_EXPECTED)
        if link is None or kind is None:
            raise _shape(url, f'{where} without "url" and "attachment_type"', RELEASE_EXPECTED)
        absolute = urljoin(url, link)
        if urlsplit(absolute).scheme not in ("http", "https"):
            raise _shape(url, f"{where} with a url that is not http(s) ({link!r})",
                         RELEASE_EXPECTED)
        ident = raw.get("id")
        out.append(Attachment(
            id=str(ident) if isinstance(ident, str | int) else f"#{i + 1}",
            title=_text(raw, "title", url, where, RELEASE_EXPECTED) or "",
            url=absolute, attachment_type=kind,
            content_type=_text(raw, "content_type", url, where, RELEASE_EXPECTED),
            filename=_text(raw, "filename", url, where, RELEASE_EXPECTED),
            file_size=_size(raw.get("file_size"))))
    return tuple(out)


# -- choosing -------------------------------------------------------------------------------

def is_release(release: Release) -> bool:
    """A release of the series: its title, a statistics document, not withdrawn."""
    return (bool(SERIES_TITLE.search(release.title)) and not _NOT_RELEASE.search(release.title)
            and not release.withdrawn
            and (release.document_type is None or release.document_type in STATISTICS_TYPES))


def choose_release(releases: Sequence[Release]) -> Release | None:
    """The newest release: the latest period its title names, then the latest update."""
    found = [r for r in releases if is_release(r)]
    return max(found, key=lambda r: (r.period_end() or 0, r.public_updated_at or ""),
               default=None)


def data_tables(attachments: Sequence[Attachment]) -> Attachment | None:
    """The release's ODS data tables: the first ODS file titled as tables (not open data)."""
    return next((a for a in attachments if a.attachment_type == "file" and a.is_ods()
                 and TABLES_TITLE.search(a.title) and not _NOT_TABLES.search(a.title)), None)


# -- fetching -------------------------------------------------------------------------------

def _status_error(fetched: _http.Fetched, what: str) -> PublisherError:
    status, url = fetched.status, fetched.url
    if status == 401:
        return NotPublic(url, f"{what} needs a login (HTTP 401)", status=401)
    if status == 404:
        return PublisherError(url, f"{WHO} has no {what} there (HTTP 404)", status=404,
                              message=f"{WHO} has no {what} at {url} (HTTP 404): moved or "
                              "renamed? Check [publishers] use_of_force_collection")
    if status == 410:
        return PublisherError(url, f"{WHO} withdrew the {what} (HTTP 410)", status=410,
                              message=f"{WHO} withdrew the {what} at {url} (HTTP 410)")
    if status == 403:
        return PublisherError(url, f"{WHO} refused the request (HTTP 403)", status=403,
                              message=f"{WHO} refused the request (HTTP 403) at {url}")
    cls = Unreachable if status >= 500 or status == 429 else PublisherError
    return cls(url, f"HTTP {status}", status=status,
               message=f"{WHO} answered HTTP {status} at {url}; expected the {what} as JSON")


async def _item(client: httpx.AsyncClient, url: str, what: str, expected: str
                ) -> tuple[_http.Fetched, object]:
    fetched = await _http.get(client, url, who=WHO, max_bytes=MAX_ITEM_BYTES)
    if fetched.status != 200:
        raise _status_error(fetched, what)
    try:
        return fetched, _http.parse_json(fetched)
    except _http.NotJson as exc:
        raise _shape(fetched.url, str(exc), expected) from None


def _item_text(payload: object, key: str) -> str | None:
    value = payload.get(key) if isinstance(payload, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


async def fetch_tables(client: httpx.AsyncClient, base: str, collection: str) -> Tables:
    """The newest release of the collection at `collection` (a GOV.UK path) and its ODS
    data tables.  PublisherError (with NotPublic / Unreachable) saying what was wrong: the
    collection or release missing, withdrawn or of another shape, no release of the series
    listed, or a release with no ODS data tables."""
    root = base.rstrip("/")
    url = f"{root}/api/content/{quote(collection.strip('/'), safe='/')}"
    fetched, payload = await _item(client, url, "statistics collection", COLLECTION_EXPECTED)
    releases = parse_collection(payload, fetched.final_url)
    release = choose_release(releases)
    if release is None:
        titles = "; ".join(r.title for r in releases[:8]) or "none"
        raise PublisherError(fetched.final_url, f"the collection lists no release of the "
                             f"series (documents listed: {titles})",
                             message=f"{WHO}'s collection at {fetched.final_url} lists no "
                             f"release titled like 'Police use of force statistics, England "
                             f"and Wales: …' (documents listed: {titles})")
    page = urljoin(root + "/", release.api_path.lstrip("/"))
    fetched, payload = await _item(client, page, "release", RELEASE_EXPECTED)
    attachments = parse_release(payload, fetched.final_url)
    tables = data_tables(attachments)
    if tables is None:
        listed = "; ".join(f"{a.title!r} ({a.content_type or a.attachment_type})"
                           for a in attachments[:8]) or "none"
        raise PublisherError(fetched.final_url, f"the release lists no ODS data tables "
                             f"(attachments: {listed})",
                             message=f"{WHO}'s release {release.title!r} at "
                             f"{fetched.final_url} lists no ODS data tables (attachments: "
                             f"{listed})")
    return Tables(release, tables, fetched.final_url,
                  _item_text(payload, "first_published_at"),
                  _item_text(payload, "public_updated_at") or release.public_updated_at)
