"""The clock the flood gate and a group's pictures read: seconds that only go forward, and a
wait until one of them. Tests pass a clock they move by hand (tests/bot_harness.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a clock that never goes back (not the time of day)."""
        ...

    async def sleep_until(self, when: float) -> None:
        """Return at `when` on this clock (at once if it has passed)."""
        ...


class MonotonicClock:
    """The machine's monotonic clock."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep_until(self, when: float) -> None:
        await asyncio.sleep(max(0.0, when - time.monotonic()))
