"""Publishers: adapters over the London Datastore's and data.police.uk's APIs, and their errors.

Every adapter takes an injected `httpx.AsyncClient` and never builds one of its own. That
client must already carry WardWatch's User-Agent (`user_agent()`; `make_client()` builds one
that does): the publishers ask clients to name themselves, and the London Datastore refuses some
anonymous ones. Nothing here touches the store or Telegram.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import Final

import httpx

__all__ = [
    "USER_AGENT",
    "NotPublic",
    "PublisherError",
    "Unreachable",
    "make_client",
    "user_agent",
]


class PublisherError(Exception):
    """A publisher's answer WardWatch cannot use; the message names the URL and what was wrong.

    `url` is where it happened, `reason` the plain reason without the URL, `status` the HTTP
    status when there was one. `str(exc)` is a whole sentence for the operator.
    """

    def __init__(
        self, url: str, reason: str, *, status: int | None = None, message: str | None = None
    ) -> None:
        self.url = url
        self.reason = reason
        self.status = status
        super().__init__(message or f"{url}: {reason}")


class NotPublic(PublisherError):
    """The dataset (or every resource of the kind asked for) needs a login: it is not public."""


class Unreachable(PublisherError):
    """The publisher did not answer usefully: a network error, a timeout, or a 5xx/429 after
    the retries. Trying again later may work."""


def _package_version() -> str:
    try:
        return version("wardwatch")
    except PackageNotFoundError:  # running from a tree that was never installed
        return "0+unknown"


def user_agent(contact: str | None = None) -> str:
    """The User-Agent WardWatch sends; `contact` (a homepage or an e-mail) is added after "+"."""
    base = f"WardWatch/{_package_version()} (London crime figures bot"
    return f"{base}; +{contact.strip()})" if contact and contact.strip() else f"{base})"


USER_AGENT: Final = user_agent()


def make_client(
    contact: str | None = None,
    *,
    timeout: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
    hosts: Iterable[str] | None = None,
    min_rate: float | None = None,
) -> httpx.AsyncClient:
    """Build an AsyncClient for the publishers: WardWatch's User-Agent, redirects followed.

    The caller owns it (`async with make_client() as http: ...`). `timeout` bounds each
    connect, read and write; twice it (at most 20 s) is the grace period of a whole
    transfer, which must then average `min_rate` bytes a second (`_http.Pace`; default
    `_http.MIN_RATE`). `hosts`: the
    only hosts it may reach, each redirect's target included (None: any); whatever they are,
    only https, or plain http to this machine (`_http.Rules`).
    """
    from datastore.ingest.publishers import _http  # it imports this module's errors

    rules = _http.Rules(
        None if hosts is None else frozenset(h.lower() for h in hosts),
        _http.MIN_RATE if min_rate is None else min_rate, _http.grace(timeout),
        tuple(hosts) if hosts is not None else ())
    return _http.PublisherClient(
        rules=rules,
        headers={"User-Agent": user_agent(contact)},
        timeout=timeout,
        follow_redirects=True,
        transport=transport,
    )
