"""What the running bot keeps does not grow with the chats it has served: the real
Application over the in-process Bot API, on a copy of the snapshot store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telegram import Update

from bot.app import build_application, running
from bot.config import Config, PostcodesConfig
from bot.console import CONSOLE_TOKEN, LocalBotApi


def _message(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    chat = {"id": chat_id, "type": "private", "first_name": "R"}
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1, "chat": chat, "text": text,
        "from": {"id": chat_id, "is_bot": False, "first_name": "R"}}}


async def test_no_chat_or_user_id_is_kept_for_a_persistence_the_bot_has_not(
        db_copy: Path) -> None:
    """PTB records every chat and user of every update "to update in persistence" and empties
    those sets only when it persists; with no persistence they grew by every chat for good."""
    sent: list[str] = []
    app = build_application(Config(storage_path=db_copy, postcodes=PostcodesConfig(base_url="")),
                            token=CONSOLE_TOKEN,
                            request=LocalBotApi(lambda method, _p: sent.append(method)),
                            rate_limit=False)
    async with running(app):
        assert app.persistence is None
        for i in range(1, 201):
            text = "SW1A 2AA" if i % 2 else "/help"
            await app.process_update(Update.de_json(_message(i, 10_000 + i, text), app.bot))
        assert sent.count("sendMessage") == 200
        # PTB's own names: a PTB that renames them fails here, rather than leaking unseen.
        for name in ("_chat_ids_to_be_updated_in_persistence",
                     "_user_ids_to_be_updated_in_persistence"):
            assert getattr(app, name) == set(), name
        assert not app.chat_data and not app.user_data
