"""One typed way for callbacks to reach the shared services and settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from datastore.ingest.check import CheckResult, Trigger
from datastore.services import Services
from datastore.storage.subscriptions import ChatStore
from handlers.clock import Clock, MonotonicClock
from handlers.flood import FloodGate, LastMessages, Waiting
from handlers.media_files import MediaCache
from handlers.replies import GroupPictures, Replies

SERVICES_KEY: Final = "services"
SETTINGS_KEY: Final = "settings"
CHATS_KEY: Final = "chats"
DIGESTS_KEY: Final = "digests"


@dataclass
class BotSettings:
    """What the handlers need from the configuration, and their small in-memory state."""

    admin_ids: frozenset[int] = frozenset()
    flood: FloodGate = field(default_factory=FloodGate)
    # The last message of each chat the flood gate holds, and those being answered now.
    waiting: LastMessages[Waiting[Update]] = field(default_factory=LastMessages)
    released: set[int] = field(default_factory=set)
    media: MediaCache = field(default_factory=MediaCache)  # pictures and downloads made
    replies: Replies = field(default_factory=Replies)  # an edited message edits its reply
    pictures: GroupPictures = field(default_factory=GroupPictures)  # once in 10 min a group
    clock: Clock = field(default_factory=MonotonicClock)  # the flood gate's and pictures'


@dataclass(frozen=True)
class Reload:
    """What a check did, and the digests it queued as (data month, messages), if any."""

    check: CheckResult
    queued: tuple[int, int] | None


class Digests(Protocol):
    """The monthly data check and the digest sender, as handlers see them (bot/jobs.py)."""

    @property
    def checking(self) -> bool: ...

    @property
    def sending(self) -> bool: ...

    async def check_now(self, trigger: Trigger) -> Reload:
        """Check the sources now, load a newer month and start its digests."""
        ...


class WardContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The callback context: `context.services` and `context.settings`, typed."""

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services

    @property
    def settings(self) -> BotSettings:
        settings: BotSettings = self.application.bot_data[SETTINGS_KEY]
        return settings

    @property
    def chats(self) -> ChatStore:
        """Subscriptions and digest deliveries."""
        chats: ChatStore = self.application.bot_data[CHATS_KEY]
        return chats

    @property
    def digests(self) -> Digests:
        digests: Digests = self.application.bot_data[DIGESTS_KEY]
        return digests


WardApp = Application[
    ExtBot[None], WardContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]
