"""The real WardWatch Application, polling the fake Bot API on 127.0.0.1 (tests only)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import build_application, running
from bot.config import (
    Config,
    LimitsConfig,
    PostcodesConfig,
    PublishersConfig,
    Secret,
    SourcesConfig,
    TelegramConfig,
)
from handlers.context import WardApp
from tests.fake_bot_api import Call, FakeBotApi, parse_html


def config_for(api: FakeBotApi, db: Path, *, admin_ids: Iterable[int] = (),
               postcodes_url: str = "", sources: SourcesConfig | None = None,
               limits: LimitsConfig | None = None,
               publishers: PublishersConfig | None = None) -> Config:
    # Tests that follow publishers point them at local fakes; the others never follow.
    return Config(
        storage_path=db,
        telegram=TelegramConfig(token=Secret(api.token), base_url=api.base_url),
        postcodes=PostcodesConfig(base_url=postcodes_url),
        sources=sources or SourcesConfig(),
        limits=limits or LimitsConfig(),
        admin_ids=frozenset(admin_ids),
        publishers=publishers or PublishersConfig(enabled=False),
    )


@asynccontextmanager
async def polling_bot(api: FakeBotApi, db: Path, **kwargs: Any) -> AsyncIterator[WardApp]:
    """Build the bot as `wardwatch run` does, start it and poll the fake until the block ends."""
    app = build_application(config_for(api, db, **kwargs))
    async with running(app):
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()


async def ask(api: FakeBotApi, update: dict[str, object], method: str = "sendMessage",
              count: int = 1,
              timeout: float = 5.0,  # noqa: ASYNC109 - passed on to wait_for
              ) -> list[Call]:
    """Push one update and return the `count` new calls of `method` it caused (waiting at most
    `timeout` seconds for them)."""
    before = len(api.sent(method))
    api.push_update(update)
    calls = await api.wait_for(method, count=before + count, timeout=timeout)
    return calls[before:before + count]


def shown(call: Call, field: str | None = None) -> str:
    """A message's text (or caption) as the user sees it: Telegram parses the HTML."""
    text = call.text if field is None else call.params.get(field)
    return parse_html(str(text or ""))[0]


class ManualClock:
    """A handlers.clock.Clock that moves only when a test says: `advance(seconds)` wakes every
    wait whose time has come, so a test sees minutes pass without waiting for them."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.t = start
        self._waiting: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self.t

    async def sleep_until(self, when: float) -> None:
        if when <= self.t:
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((when, woken))
        await woken

    @property
    def waiting(self) -> int:
        """How many waits have not yet come to their time."""
        return sum(1 for _, woken in self._waiting if not woken.done())

    def advance(self, seconds: float) -> None:
        self.t += seconds
        due = [(when, woken) for when, woken in self._waiting if when <= self.t]
        self._waiting = [(when, woken) for when, woken in self._waiting if when > self.t]
        for _, woken in due:
            if not woken.done():
                woken.set_result(None)
