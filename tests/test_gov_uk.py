"""GOV.UK's content API adapter (publishers/gov_uk.py) against the fake GOV.UK on 127.0.0.1:
the Home Office's collection as it is titled and dated, the choice of its newest release and
of that release's data tables, and every fault said in words."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest

from datastore.ingest.publishers import NotPublic, PublisherError, Unreachable
from datastore.ingest.publishers.gov_uk import (
    ODS,
    Release,
    choose_release,
    fetch_tables,
    parse_collection,
    parse_release,
)
from tests.gov_uk_fake import (
    COLLECTION,
    FakeAttachment,
    FakeGovUk,
    newest_tables,
    release_of,
)
from tests.publishers_fake import GARBAGE, HTML, WRONG_SHAPE, Answer

LATEST = "Police use of force statistics, England and Wales: April 2019 to March 2020"


async def test_the_newest_release_and_its_ods_data_tables(
        gov_uk_fake: FakeGovUk, publishers_http: httpx.AsyncClient) -> None:
    found = await fetch_tables(publishers_http, gov_uk_fake.base_url, COLLECTION)
    assert found.release.title == LATEST  # not the user guide, not the withdrawn notice
    tables = newest_tables(gov_uk_fake)
    assert found.attachment.url == gov_uk_fake.base_url + gov_uk_fake.file_path(tables)
    assert (found.attachment.id, found.attachment.filename, found.attachment.content_type,
            found.attachment.file_size) == (tables.id, tables.filename, ODS, len(tables.body))
    assert found.published == "2020-12-17"
    assert [r.path for r in gov_uk_fake.requests] == [
        f"/api/content/{COLLECTION}",
        "/api/content/government/statistics/police-use-of-force-statistics-england-and-wales-"
        "april-2019-to-march-2020"]
    assert all(r.user_agent and r.user_agent.startswith("WardWatch/")
               for r in gov_uk_fake.requests)
    again = await fetch_tables(publishers_http, gov_uk_fake.base_url, COLLECTION)
    assert again.fingerprint() == found.fingerprint()


async def test_a_new_years_release_is_chosen_even_when_an_older_one_was_updated_since(
        gov_uk_fake: FakeGovUk, publishers_http: httpx.AsyncClient) -> None:
    gov_uk_fake.add_release(release_of("April 2020 to March 2021", "2021-12-16", b"PK new"))
    old = gov_uk_fake.release("police-use-of-force-statistics-england-and-wales-april-2018-"
                              "to-march-2019")
    gov_uk_fake.replace_release(old.slug, replace(old, public_updated_at="2022-03-01T09:30:00"
                                                  "+00:00"))
    found = await fetch_tables(publishers_http, gov_uk_fake.base_url, COLLECTION)
    assert found.release.title.endswith("April 2020 to March 2021")
    assert found.attachment.title.endswith("data tables") and found.published == "2021-12-16"


def test_choosing_among_documents_by_title_type_and_period() -> None:
    def doc(title: str, kind: str = "official_statistics", withdrawn: bool = False,
            updated: str = "2020-01-01") -> Release:
        return Release(title, "/x", "/api/content/x", updated, kind, "publication", withdrawn)

    docs = [doc("Police use of force statistics, England and Wales: April 2022 to March 2023"),
            doc("Police use of force statistics, England and Wales: April 2023 to March 2024",
                withdrawn=True),
            doc("Police use of force statistics: user guide", "guidance", updated="2025-01-01"),
            doc("Police use of force statistics, England and Wales: year ending March 2024",
                "statistics_announcement"),
            doc("Police powers and procedures: year ending March 2025")]
    chosen = choose_release(docs)
    assert chosen is not None and chosen.title.endswith("April 2022 to March 2023")
    assert chosen.period_end() == 202303
    assert choose_release(docs[1:]) is None


def test_attachments_are_read_as_published_and_their_urls_made_absolute() -> None:
    payload = {"details": {"attachments": [
        {"attachment_type": "html", "id": "1", "title": "Bulletin",
         "url": "/government/statistics/x/bulletin"},
        {"attachment_type": "file", "id": 2, "title": "Data tables", "content_type": ODS,
         "filename": "t.ods", "file_size": 511340,
         "url": "https://assets.publishing.service.gov.uk/media/abc/t.ods"}]}}
    first, second = parse_release(payload, "https://www.gov.uk/api/content/government/x")
    assert first.url == "https://www.gov.uk/government/statistics/x/bulletin"
    assert (second.id, second.file_size, second.is_ods()) == ("2", 511340, True)


@pytest.mark.parametrize(("payload", "said"), [
    ([], "answered a list at"),
    ({"title": "x"}, 'a content item without "links"'),
    ({"links": {"documents": {}}}, '"links.documents" as an object'),
    ({"links": {"documents": [{"title": 3, "base_path": "/x"}]}}, "'title' a number"),
    ({"links": {"documents": [{"title": "x"}]}}, 'without "title" and "base_path"'),
])
def test_a_collection_of_another_shape_says_what_was_found(payload: object, said: str) -> None:
    with pytest.raises(PublisherError) as err:
        parse_collection(payload, "https://www.gov.uk/api/content/c")
    assert said in str(err.value) and "expected" in str(err.value)


def test_an_attachment_of_another_shape_says_what_was_found() -> None:
    with pytest.raises(PublisherError, match='attachment 1 without "url"'):
        parse_release({"details": {"attachments": [{"attachment_type": "file"}]}}, "u")
    with pytest.raises(PublisherError, match="not http"):
        parse_release({"details": {"attachments": [
            {"attachment_type": "file", "url": "ftp://x/y.ods"}]}}, "https://www.gov.uk/a")


@pytest.mark.parametrize(("answer", "error", "said"), [
    (Answer(403, "Forbidden", content_type="text/plain"), PublisherError, "HTTP 403"),
    (Answer(401, "Login", content_type="text/plain"), NotPublic, "login"),
    (Answer(404, "<html></html>", content_type="text/html"), PublisherError,
     "has no statistics collection"),
    (Answer(410, "<html></html>", content_type="text/html"), PublisherError, "withdrew"),
    (Answer(500, "oops", content_type="text/plain"), Unreachable, "HTTP 500"),
    (GARBAGE, PublisherError, "bytes that are not JSON"),
    (HTML, PublisherError, "an HTML page"),
    (WRONG_SHAPE, PublisherError, 'without "links"'),
    (Answer(200, {}, delay=3), Unreachable, "timed out"),
], ids=["403", "401", "404", "410", "500", "garbage", "html", "shape", "timeout"])
async def test_a_fault_at_the_collection_is_said(
        gov_uk_fake: FakeGovUk, answer: Answer, error: type[PublisherError],
        said: str) -> None:
    gov_uk_fake.set(gov_uk_fake.collection_path(), answer)
    async with httpx.AsyncClient(timeout=0.5) as http:
        with pytest.raises(error) as err:
            await fetch_tables(http, gov_uk_fake.base_url, COLLECTION)
    assert said in str(err.value)
    assert gov_uk_fake.base_url in str(err.value)


async def test_a_collection_that_moved_is_followed(
        gov_uk_fake: FakeGovUk, publishers_http: httpx.AsyncClient) -> None:
    gov_uk_fake.set("/api/content/government/collections/police-use-of-force",
                    Answer(303, b"", headers={"Location": gov_uk_fake.collection_path()}))
    found = await fetch_tables(publishers_http, gov_uk_fake.base_url,
                               "government/collections/police-use-of-force")
    assert found.release.title == LATEST


async def test_a_release_without_ods_tables_or_a_failing_release_page_is_said(
        gov_uk_fake: FakeGovUk, publishers_http: httpx.AsyncClient) -> None:
    pdf_only = release_of("April 2020 to March 2021", "2021-12-16", b"")
    pdf_only = replace(pdf_only, attachments=(
        pdf_only.attachments[0],
        FakeAttachment("6", "Open data tables", b"PK", "open-data.ods"),
        FakeAttachment("7", "Data tables", b"x", "tables.csv", "text/csv")))
    gov_uk_fake.add_release(pdf_only)
    with pytest.raises(PublisherError) as err:
        await fetch_tables(publishers_http, gov_uk_fake.base_url, COLLECTION)
    assert "lists no ODS data tables" in str(err.value)
    assert "'Open data tables' (application/vnd.oasis" in str(err.value)
    gov_uk_fake.set(gov_uk_fake.release_path(pdf_only), Answer(502, "bad gateway"))
    with pytest.raises(Unreachable, match="HTTP 502"):
        await fetch_tables(publishers_http, gov_uk_fake.base_url, COLLECTION)


async def test_a_collection_listing_no_release_of_the_series_is_said(
        gov_uk_fake: FakeGovUk, publishers_http: httpx.AsyncClient) -> None:
    body = gov_uk_fake.collection_body()
    body["links"]["documents"] = [d for d in body["links"]["documents"]
                                  if d["document_type"] == "guidance"]
    gov_uk_fake.set(gov_uk_fake.collection_path(), Answer(200, json.dumps(body)))
    with pytest.raises(PublisherError) as err:
        await fetch_tables(publishers_http, gov_uk_fake.base_url, COLLECTION)
    assert "lists no release titled like 'Police use of force statistics" in str(err.value)
    assert "Police use of force statistics: user guide" in str(err.value)
