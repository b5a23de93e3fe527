"""A fake GOV.UK for tests: a real HTTP server on 127.0.0.1 speaking the content API's JSON
shapes (a statistics collection, its yearly releases and their attachments) and serving the
attachments' files, the Home Office's real ODS data tables among them.

    fake.publish(use_of_force_collection())                      # the real series' shape
    fake.add_release(release_of("April 2020 to March 2021", ...))   # a new yearly release
    fake.set(fake.collection_path(), Answer(500))                 # a fault (tests/publishers_fake)

## Shapes, and where each comes from

The content store's OpenAPI description (alphagov/content-store `openapi.yaml`: ContentItem,
LinkedContentItem; 303 for a page that moved, 404, 410 for one withdrawn) and the content
schemas (alphagov/publishing-api `content_schemas`: `document_collection`, `publication` and
its `publication_attachment_asset`, which Whitehall fills from a file attachment's
`accessible`, `alternative_format_contact_email`, `content_type`, `file_size`, `filename`,
`number_of_pages`, `attachment_type`, `id`, `locale`, `title`, `url`, and the paper numbers):

- ``GET /api/content/government/collections/police-use-of-force-statistics``: a
  ``document_collection`` item; its releases in ``links.documents`` (``api_path``,
  ``api_url``, ``base_path``, ``content_id``, ``description``, ``document_type``,
  ``locale``, ``public_updated_at``, ``schema_name``, ``title``, ``web_url``,
  ``withdrawn``, ``links``), their content ids grouped in ``details.collection_groups``;
- ``GET /api/content/government/statistics/<slug>``: a ``publication`` item
  (``document_type`` ``official_statistics``) whose ``details.attachments`` lists its files;
- ``GET /media/<id>/<filename>``: the file (as assets.publishing.service.gov.uk serves
  attachments), with an ETag and a Last-Modified; a conditional GET that matches gets 304.

The collection as published (titles, dates) is the Home Office's: releases of December 2018,
2019 and 2020 (the last one's data tables are the real file bundled in datastore/snapshot/),
a user guide and a withdrawn notice beside them.  Files never downloaded in a test (older
releases' tables, bulletins) are placeholders.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from tests.publishers_fake import SNAPSHOT, Answer, Request, _FakeServer, http_date

__all__ = [
    "COLLECTION",
    "ODS_2019_20",
    "ODS_TYPE",
    "FakeAttachment",
    "FakeGovUk",
    "FakeRelease",
    "edited_tables",
    "gov_uk_fake",
    "newest_tables",
    "release_of",
    "republished",
    "use_of_force_collection",
    "with_tables",
]

COLLECTION = "government/collections/police-use-of-force-statistics"
ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
ODS_2019_20 = SNAPSHOT / "police-use-of-force-apr2019-mar2020-hosb3720-tables.ods"
SERIES = "Police use of force statistics, England and Wales"


def _id(text: str) -> str:
    """A stable content id (a UUID, as GOV.UK's are) for a fixture's name."""
    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))


@dataclass(frozen=True)
class FakeAttachment:
    """One attachment of a release, and the file it serves."""

    id: str
    title: str
    body: bytes
    filename: str
    content_type: str = ODS_TYPE
    attachment_type: str = "file"
    updated: str = "2020-12-17T09:30:00+00:00"  # Last-Modified of the file

    @property
    def etag(self) -> str:
        return f'"{hashlib.md5(self.body).hexdigest()}"'


@dataclass(frozen=True)
class FakeRelease:
    """One document of the collection: a yearly release (or a guide, a notice)."""

    slug: str
    title: str
    first_published_at: str
    public_updated_at: str
    attachments: tuple[FakeAttachment, ...] = ()
    document_type: str = "official_statistics"
    withdrawn: bool = False
    section: str = "government/statistics"

    @property
    def base_path(self) -> str:
        return f"/{self.section}/{self.slug}"

    @property
    def content_id(self) -> str:
        return _id(self.slug)


def _placeholder(name: str) -> bytes:
    return f"placeholder for {name}: never downloaded in a test\n".encode()


def release_of(period: str, published: str, tables: bytes, *, slug: str | None = None,
               filename: str | None = None, attachment_id: str = "5000001",
               extra: Sequence[FakeAttachment] = ()) -> FakeRelease:
    """A yearly release ("April 2020 to March 2021") whose data tables are `tables`."""
    slug = slug or "police-use-of-force-statistics-england-and-wales-" + "-".join(
        period.lower().split())
    stamp = f"{published}T09:30:00+00:00"
    return FakeRelease(slug, f"{SERIES}: {period}", stamp, stamp, (
        FakeAttachment(f"{attachment_id}0", f"{SERIES}: {period}",
                       _placeholder("bulletin"), f"{slug}.pdf", "application/pdf",
                       updated=stamp),
        *extra,
        FakeAttachment(attachment_id, f"{SERIES}: {period} data tables", tables,
                       filename or f"{slug}-tables.ods", updated=stamp),
    ))


def use_of_force_collection() -> list[FakeRelease]:
    """The Home Office's collection as its documents are titled and dated (oldest first)."""
    guide = FakeRelease("police-use-of-force-statistics-user-guide",
                        "Police use of force statistics: user guide", "2017-12-14T09:30:00+00:00",
                        "2020-12-17T09:30:00+00:00", document_type="guidance",
                        section="government/publications")
    notice = FakeRelease("police-use-of-force-statistics-notice-of-revisions",
                         "Police use of force statistics: notice of revisions",
                         "2019-06-20T09:30:00+00:00", "2019-06-20T09:30:00+00:00",
                         document_type="official_statistics", withdrawn=True)
    return [
        guide,
        release_of("April 2017 to March 2018", "2018-12-13", _placeholder("2017/18 tables"),
                   slug="police-use-of-force-statistics-england-and-wales-april-2017-to-march-"
                   "2018", attachment_id="3000001"),
        notice,
        release_of("April 2018 to March 2019", "2019-12-19", _placeholder("2018/19 tables"),
                   attachment_id="4000001"),
        release_of("April 2019 to March 2020", "2020-12-17", ODS_2019_20.read_bytes(),
                   filename="police-use-of-force-apr2019-mar2020-hosb3720-tables.ods",
                   attachment_id="4797960"),
    ]


@dataclass
class _Collection:
    path: str
    title: str
    releases: list[FakeRelease] = field(default_factory=list)


class FakeGovUk(_FakeServer):
    """GOV.UK on 127.0.0.1: the content API for one collection and its releases, and files."""

    name = "fake GOV.UK"

    def __init__(self) -> None:
        super().__init__()
        self._collection: _Collection | None = None

    def __enter__(self) -> FakeGovUk:
        self.start()
        return self

    # -- what it publishes --------------------------------------------------------------

    def publish(self, releases: Sequence[FakeRelease], *, path: str = COLLECTION,
                title: str = "Police use of force statistics") -> None:
        """List `releases` (in this order) in the collection at `path`."""
        with self._lock:
            self._collection = _Collection(path, title, list(releases))

    def add_release(self, release: FakeRelease) -> None:
        with self._lock:
            assert self._collection is not None
            self._collection.releases.append(release)

    def replace_release(self, slug: str, release: FakeRelease | None) -> None:
        """Change one release (a re-upload, say), or drop it (None)."""
        with self._lock:
            assert self._collection is not None
            items = self._collection.releases
            index = next(i for i, r in enumerate(items) if r.slug == slug)
            if release is None:
                del items[index]
            else:
                items[index] = release

    def release(self, slug: str) -> FakeRelease:
        with self._lock:
            assert self._collection is not None
            return next(r for r in self._collection.releases if r.slug == slug)

    # -- its URLs -----------------------------------------------------------------------

    def collection_path(self) -> str:
        assert self._collection is not None
        return f"/api/content/{self._collection.path}"

    @staticmethod
    def release_path(release: FakeRelease) -> str:
        return f"/api/content{release.base_path}"

    @staticmethod
    def file_path(attachment: FakeAttachment) -> str:
        return f"/media/{attachment.id}/{attachment.filename}"

    def downloads(self, attachment: FakeAttachment | None = None) -> list[Request]:
        """The requests for files (for `attachment`'s file only, if given)."""
        wanted = self.file_path(attachment) if attachment else "/media/"
        return [r for r in self.requests
                if (r.path == wanted if attachment else r.path.startswith(wanted))]

    # -- answers ------------------------------------------------------------------------

    def generate(self, request: Request) -> Answer:
        with self._lock:
            collection = self._collection
            if collection is not None and request.path == f"/api/content/{collection.path}":
                return Answer(200, self.collection_body())
            for release in collection.releases if collection else ():
                if request.path == self.release_path(release):
                    return Answer(200, self.release_body(release))
                for a in release.attachments:
                    if request.path == self.file_path(a):
                        return Answer(200, a.body, content_type=a.content_type, etag=a.etag,
                                      last_modified=http_date(a.updated))
        return Answer(404, "<!DOCTYPE html><html><body><h1>Page not found</h1></body></html>",
                      content_type="text/html; charset=utf-8")

    def _linked(self, release: FakeRelease) -> dict[str, Any]:
        return {
            "api_path": self.release_path(release),
            "api_url": self.base_url + self.release_path(release),
            "base_path": release.base_path,
            "content_id": release.content_id,
            "description": f"{release.title}.",
            "document_type": release.document_type,
            "locale": "en",
            "public_updated_at": release.public_updated_at,
            "schema_name": "publication",
            "title": release.title,
            "web_url": self.base_url + release.base_path,
            "withdrawn": release.withdrawn,
            "links": {},
        }

    def collection_body(self) -> dict[str, Any]:
        """The collection's content item, as the fake sends it."""
        with self._lock:
            c = self._collection
            assert c is not None
            releases = [r for r in c.releases if r.document_type != "guidance"]
            return {
                "analytics_identifier": None,
                "base_path": f"/{c.path}",
                "content_id": _id(c.path),
                "description": "Statistics on the use of force by police officers.",
                "details": {
                    "body": "<div class=\"govspeak\"><p>Statistics on police use of force."
                            "</p></div>",
                    "collection_groups": [
                        {"title": "Statistics", "body": "", "documents": [
                            r.content_id for r in reversed(releases)]},
                        {"title": "Guidance", "body": "", "documents": [
                            r.content_id for r in c.releases if r.document_type == "guidance"]},
                    ],
                    "political": False,
                    "government": {"title": "2019 Conservative government",
                                   "slug": "2019-conservative-government", "current": False},
                },
                "document_type": "document_collection",
                "first_published_at": "2017-12-14T09:30:00.000+00:00",
                "links": {
                    "documents": [self._linked(r) for r in c.releases],
                    "organisations": [{"api_path": "/api/content/government/organisations/"
                                       "home-office", "base_path": "/government/organisations/"
                                       "home-office", "content_id": _id("home-office"),
                                       "locale": "en", "title": "Home Office"}],
                },
                "locale": "en",
                "phase": "live",
                "public_updated_at": max((r.public_updated_at for r in c.releases),
                                         default="2017-12-14T09:30:00+00:00"),
                "publishing_app": "whitehall",
                "rendering_app": "collections",
                "schema_name": "document_collection",
                "title": c.title,
                "updated_at": "2026-11-30T08:00:00.000+00:00",
                "withdrawn_notice": {},
            }

    def _attachment(self, a: FakeAttachment) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attachment_type": a.attachment_type,
            "id": a.id,
            "locale": "en",
            "title": a.title,
            "url": self.base_url + self.file_path(a),
            "command_paper_number": "",
            "hoc_paper_number": "",
            "isbn": "",
            "unique_reference": "",
            "unnumbered_command_paper": False,
            "unnumbered_hoc_paper": False,
        }
        if a.attachment_type == "file":
            out |= {"accessible": False,
                    "alternative_format_contact_email": "PublicOrderStatistics@homeoffice.gov.uk",
                    "content_type": a.content_type, "file_size": len(a.body),
                    "filename": a.filename}
        return out

    def release_body(self, release: FakeRelease) -> dict[str, Any]:
        """A release's content item (a publication), as the fake sends it."""
        return {
            "analytics_identifier": None,
            "base_path": release.base_path,
            "content_id": release.content_id,
            "description": f"{release.title}.",
            "details": {
                "attachments": [self._attachment(a) for a in release.attachments],
                "body": "<div class=\"govspeak\"><p>Statistics on police use of force.</p></div>",
                "documents": [f"<section class=\"attachment\" id=\"attachment_{a.id}\">"
                              f"<h3>{a.title}</h3></section>" for a in release.attachments],
                "featured_attachments": [a.id for a in release.attachments],
                "first_public_at": release.first_published_at,
                "political": False,
                "change_history": [{"public_timestamp": release.public_updated_at,
                                    "note": "First published."}],
            },
            "document_type": release.document_type,
            "first_published_at": release.first_published_at,
            "links": {"document_collections": [], "organisations": []},
            "locale": "en",
            "phase": "live",
            "public_updated_at": release.public_updated_at,
            "publishing_app": "whitehall",
            "rendering_app": "government-frontend",
            "schema_name": "publication",
            "title": release.title,
            "updated_at": release.public_updated_at,
            "withdrawn_notice": {},
        }


def with_tables(release: FakeRelease, tables: bytes) -> FakeRelease:
    """The same release with its data tables replaced (a re-upload)."""
    return replace(release, attachments=tuple(
        replace(a, body=tables) if a.filename.endswith(".ods") else a
        for a in release.attachments))


@pytest.fixture
def gov_uk_fake() -> Iterator[FakeGovUk]:
    """A started FakeGovUk publishing the Home Office's use-of-force collection."""
    with FakeGovUk() as fake:
        fake.publish(use_of_force_collection())
        yield fake


def newest_tables(fake: FakeGovUk) -> FakeAttachment:
    """The data tables of the 2019/20 release (the real ODS)."""
    release = fake.release("police-use-of-force-statistics-england-and-wales-april-2019-to-"
                           "march-2020")
    return next(a for a in release.attachments if a.filename.endswith(".ods"))



def edited_tables(*edits: tuple[str, str], sheet: str = "Table_13", after: str | None = None,
                  count: int = 1, source: Path | bytes = ODS_2019_20) -> bytes:
    """The real ODS tables (or `source`'s) with text replaced inside one sheet's XML, after
    the first `after` in it if given (each edit `count` times, -1 for all; it must be there),
    zipped again as ODF wants (its mimetype first, stored).  For faults (a renamed table,
    changed columns, figures that do not add up) and for releases made from the real one."""
    raw = source if isinstance(source, bytes) else source.read_bytes()
    with zipfile.ZipFile(io.BytesIO(raw)) as old:
        entries = [(info, old.read(info)) for info in old.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as new:
        for info, data in entries:
            if info.filename == "content.xml":
                text = data.decode("utf-8")
                start = text.index(f'table:name="{sheet}"')
                if after is not None:
                    start = text.index(after, start)
                end = text.index("</table:table>", start)
                part = text[start:end]
                for old_text, new_text in edits:
                    assert old_text in part, old_text
                    part = part.replace(old_text, new_text, count)
                data = (text[:start] + part + text[end:]).encode("utf-8")
            kind = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            new.writestr(info.filename, data, compress_type=kind)
    return out.getvalue()


def republished(day: str, source: Path | bytes = ODS_2019_20) -> bytes:
    """The tables saying they were published on `day` ("16 December 2021"), on their cover
    ("Published: …") and their contents ("Publication Date: …")."""
    body = edited_tables(("Published: 17 December 2020", f"Published: {day}"),
                         sheet="Cover_sheet", source=source)
    return edited_tables(("Publication Date: 17 December 2020", f"Publication Date: {day}"),
                         sheet="Contents", source=body)
