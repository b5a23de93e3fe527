"""One typed way for callbacks to reach the shared services and settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from telegram.ext import Application, CallbackContext, ExtBot

from datastore.services import Services
from handlers.flood import FloodGate

SERVICES_KEY: Final = "services"
SETTINGS_KEY: Final = "settings"


@dataclass
class BotSettings:
    """What the handlers need from the configuration, and their small in-memory state."""

    admin_ids: frozenset[int] = frozenset()
    flood: FloodGate = field(default_factory=FloodGate)


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


WardApp = Application[
    ExtBot[None], WardContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]
