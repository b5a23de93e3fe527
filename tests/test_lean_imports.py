"""Answering a postcode loads none of the heavy libraries: they come with the work that needs
them (pandas with a load, shapely with a map, scipy with a digest), and the bot never loads
matplotlib or openpyxl (its render process draws).  Each case runs in a fresh interpreter, so
nothing another test imported counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

# And the PostgreSQL driver, which a SQLite store never needs.
HEAVY = ("pandas", "matplotlib", "shapely", "openpyxl", "scipy", "psycopg", "psycopg_pool")

# The real Application over the in-process Bot API on the store at argv[1], recording what it
# sends; `ask(app, texts)` gives it one private message per text, as a user types them.
BOT = """
import asyncio, json, multiprocessing, sys
from pathlib import Path

from telegram import Update

from bot.app import build_application, running
from bot.config import Config, PostcodesConfig
from bot.console import CONSOLE_TOKEN, LocalBotApi

db = Path(sys.argv[1])
sent = []

def new_app():
    return build_application(
        Config(storage_path=db, postcodes=PostcodesConfig(base_url="")), token=CONSOLE_TOKEN,
        request=LocalBotApi(lambda method, params: sent.append((method, params))),
        rate_limit=False)

async def ask(app, texts):
    chat = {"id": 7, "type": "private", "first_name": "R"}
    for i, text in enumerate(texts):
        entities = ([{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
                    if text.startswith("/") else [])
        await app.process_update(Update.de_json({"update_id": i + 1, "message": {
            "message_id": i + 1, "date": 1, "chat": chat, "text": text, "entities": entities,
            "from": {"id": 7, "is_bot": False, "first_name": "R"}}}, app.bot))
"""

# Answers "SW1A 2AA" as `wardwatch ask` does, then as the bot does, and prints the heavy
# modules then loaded and the two answers.
SCRIPT = BOT + """
import contextlib, io

from bot.cli import main

config = db.with_name("config.toml")
config.write_text(f'[storage]\\npath = "{db}"\\n[postcodes]\\nbase_url = ""\\n')
out = io.StringIO()
with contextlib.redirect_stdout(out):
    status = main(["--config", str(config), "ask", "SW1A 2AA"])
assert status == 0, status

async def bot():
    async with running(new_app()) as app:
        await ask(app, ["SW1A 2AA"])

asyncio.run(bot())
texts = [p.get("text", "") for m, p in sent if m == "sendMessage"]
print(json.dumps({"loaded": [m for m in HEAVY if m in sys.modules],
                  "cli": out.getvalue(), "bot": texts}))
"""


def _run(script: str, db: Path) -> dict[str, Any]:
    """Run a script in a fresh interpreter on the store `db`; the JSON it prints last."""
    done = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\n" + script, str(db)],
                          capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_answering_a_postcode_loads_no_heavy_library(db_copy: Path) -> None:
    found = _run(SCRIPT, db_copy)
    assert "St James's" in found["cli"]
    assert any("St James" in text for text in found["bot"])
    assert found["loaded"] == []


# The bot asked for a chart, a map and a workbook: they arrive, drawn in its render process,
# and the bot's own process never imports matplotlib or openpyxl; its shutdown stops the
# render process.
PICTURES = BOT + """
workers = []

async def bot():
    async with running(new_app()) as app:
        await ask(app, ["/trend SW1A 2AA", "/map SW1A 2AA", "/export SW1A 2AA xlsx"])
        workers.append(app.bot_data["settings"].media.renders.started)

asyncio.run(bot())
print(json.dumps({"loaded": [m for m in HEAVY if m in sys.modules],
                  "sent": [m for m, _ in sent], "workers": workers[0],
                  "left": len(multiprocessing.active_children())}))
"""


# Places asked by name, as the bot answers them: a neighbourhood, a station, a street, a
# guess, a comparison, a postcode that cannot exist. The gazetteer is read with csv and its
# wards were worked out when it was built: no shapely, no pandas.
NAMES = BOT + """
async def bot():
    async with running(new_app()) as app:
        await ask(app, ["Notting Hill", "Soho", "Euston", "Brick Lane E1", "notting hil",
                        "Peckham vs Brixton", "SE51 5AA"])

asyncio.run(bot())
texts = [p.get("text", "") for m, p in sent if m == "sendMessage"]
print(json.dumps({"loaded": [m for m in HEAVY if m in sys.modules], "bot": texts}))
"""


def test_answering_places_by_name_loads_no_heavy_library(db_copy: Path) -> None:
    found = _run(NAMES, db_copy)
    assert len(found["bot"]) == 7
    assert found["bot"][1].startswith("<b>Soho</b> (area) is in ")
    assert found["loaded"] == []


def test_pictures_and_workbooks_are_drawn_outside_the_bots_process(db_copy: Path) -> None:
    found = _run(PICTURES, db_copy)
    assert found["sent"].count("sendPhoto") == 2 and found["sent"].count("sendDocument") == 1
    assert found["workers"] == 1  # one render process drew all three
    assert "matplotlib" not in found["loaded"] and "openpyxl" not in found["loaded"]
    assert found["left"] == 0
