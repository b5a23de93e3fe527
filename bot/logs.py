"""Logging set-up in one place: library loggers that would print secrets are held back."""

from __future__ import annotations

import logging


def quiet_noisy_loggers() -> None:
    """httpx logs every request URL at INFO — the bot token is in the Bot API's URLs, a
    postcode in postcodes.io's — so these libraries log at WARNING and above only."""
    for name in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
