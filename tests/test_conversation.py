"""The conversation (issue 11) end to end: a short first answer whose buttons show the rest in
its place (editMessageText), a download that asks for one format, and the chat told while a
picture or a file is made (sendChatAction). The real Application polls the fake Bot API."""

from __future__ import annotations

import csv
import io
import json

import pytest

from handlers import keyboards
from handlers.context import WardApp
from handlers.present import names, texts
from tests import raw
from tests.bot_harness import ask, shown
from tests.clocks import STALE, clock
from tests.fake_bot_api import Call, FakeBotApi, bad_request


def rows(call: Call) -> list[list[tuple[str, str]]]:
    """(label, callback data) of each button, row by row."""
    markup = call.params.get("reply_markup")
    data = json.loads(markup) if isinstance(markup, str) else markup
    return [[(b["text"], b.get("callback_data", "")) for b in row]
            for row in (data or {}).get("inline_keyboard", [])]


def data_for(call: Call, label: str) -> str:
    [found] = [d for row in rows(call) for text, d in row if text == label]
    return found


async def test_the_first_answer_fits_a_screen_and_its_buttons_edit_it_in_place(
        api: FakeBotApi, app: WardApp) -> None:
    ward = raw.postcode_row("E8 1DY")["Admin_ward_code"]
    latest = raw.month_columns()[-1]
    app.bot_data["services"].clock = clock(STALE)
    [reply] = await ask(api, api.message("E8 1DY"))
    text = shown(reply)
    assert len(text) <= 900, len(text)
    assert text.startswith("E8 1DY: Hackney Central ward, Hackney. Figures to March 2026, 8 "
                           "months old.\n⚠️ Newer figures have been published")
    assert f"{raw.ward_month_total(ward, latest):,} crimes recorded" in text
    assert "the London average, rank " in text and " of 679 wards" in text
    assert "\nStop and search, Hackney, " in text and "\nTaser, whole Met, " in text
    assert [[label for label, _ in row] for row in rows(reply)] == [
        ["Crime by type", "Stop and search", "Taser"], ["Borough", "Sources and limits"],
        ["Trend chart", "Map", "Download figures"], ["Subscribe: monthly figures", "Share"]]
    message_id = reply.result["message_id"]
    sent_before = len(api.sent("sendMessage"))

    # Each view names its place and period in its first line (the borough's, its own).
    views = {"Crime by type": "Crime by type in Hackney Central ward, Hackney, March 2026: ",
             "Stop and search": "Stop and search in Hackney, Hackney Central ward's borough, "
                                "April 2025, 19 months old: ",
             "Taser": "Taser use, Metropolitan Police Service (the whole Met, Hackney Central "
                      "ward included), April 2019 to March 2020, over 6 years old: ",
             "Borough": "Hackney: the whole borough (the Met's borough figures). Figures to "
                        "June 2026, 5 months old.\n",
             "Sources and limits": "Sources and limits: Hackney Central ward, Hackney\n"
                                   "Figures to March 2026, 8 months old."}
    for label, start in views.items():
        [edit] = await ask(api, api.callback_query(data_for(reply, label),
                                                   message_id=message_id), "editMessageText")
        assert edit.ok and edit.params["message_id"] == message_id
        assert shown(edit).startswith(start), (label, shown(edit)[:80])
        assert rows(edit)[0][0][0] == keyboards.BACK_LABEL  # back to the summary first
        assert label not in [text for row in rows(edit) for text, _ in row]
        [back] = await ask(api, api.callback_query(data_for(edit, keyboards.BACK_LABEL),
                                                   message_id=message_id), "editMessageText")
        assert shown(back) == text and rows(back) == rows(reply)
    assert len(api.sent("sendMessage")) == sent_before  # nothing new in the chat
    answered = api.sent("answerCallbackQuery")
    assert len(answered) == 2 * len(views) and all(a.ok for a in answered)


async def test_a_message_that_cannot_be_edited_gets_a_new_one(api: FakeBotApi,
                                                              app: WardApp) -> None:
    [reply] = await ask(api, api.message("N1 9AA"))
    message_id = reply.result["message_id"]
    api.fail("editMessageText", error=bad_request("Bad Request: message can't be edited"))
    press = api.callback_query(data_for(reply, "Taser"), message_id=message_id)
    [new] = await ask(api, press)
    assert shown(new).startswith("Taser use, ") and new.result["message_id"] != message_id
    [edit] = api.sent("editMessageText")
    assert not edit.ok and edit.description == "Bad Request: message can't be edited"
    [answer] = api.sent("answerCallbackQuery")
    assert answer.ok and answer.params["callback_query_id"] == press["callback_query"]["id"]
    # Pressed twice: the second edit changes nothing, and nothing new is sent.
    again = api.callback_query(data_for(reply, "Crime by type"), message_id=message_id)
    await ask(api, again, "editMessageText")
    before = len(api.sent("sendMessage"))
    twice = api.callback_query(data_for(reply, "Crime by type"), message_id=message_id)
    [second] = (await ask(api, twice, "editMessageText"))
    assert second.description is not None and "message is not modified" in second.description
    [*_, answered] = await api.wait_for("answerCallbackQuery", count=3)
    assert answered.ok and len(api.sent("sendMessage")) == before


async def test_a_forged_summary_button_is_refused(api: FakeBotApi, app: WardApp) -> None:
    ward = raw.postcode_row("N1 9AA")["Admin_ward_code"]
    version = app.bot_data["services"].view.crime_version
    [alert] = await ask(api, api.callback_query(f"a:{ward}:{version}:SW1A1AA"),
                        "answerCallbackQuery")
    assert alert.params["text"] == texts.BAD_BUTTON
    assert api.sent("editMessageText") == [] and api.sent("sendMessage") == []


async def test_download_figures_asks_for_one_format_and_files_are_announced(
        api: FakeBotApi, app: WardApp) -> None:
    [reply] = await ask(api, api.message("SW1A 1AA"))
    message_id = reply.result["message_id"]
    [keyboard] = await ask(api, api.callback_query(data_for(reply, "Download figures"),
                                                   message_id=message_id),
                           "editMessageReplyMarkup")
    assert keyboard.ok and [label for label, _ in rows(keyboard)[0]] == [
        "⬇ CSV", "⬇ Excel", "⬇ JSON"]
    assert rows(keyboard)[1:] == rows(reply)  # the answer's own buttons stay below
    [alert] = api.sent("answerCallbackQuery")
    assert alert.params["text"] == texts.CHOOSE_FORMAT_ALERT
    [doc] = await ask(api, api.callback_query(data_for(keyboard, "⬇ Excel"),
                                              message_id=message_id), "sendDocument")
    assert doc.ok and doc.files["document"].filename.endswith(".xlsx")  # type: ignore[union-attr]
    [action] = api.sent("sendChatAction")
    assert action.params["action"] == "upload_document" and action.ok
    assert api.calls.index(action) < api.calls.index(doc)
    [photo] = await ask(api, api.callback_query(data_for(reply, "Trend chart"),
                                                message_id=message_id), "sendPhoto")
    [_, action] = api.sent("sendChatAction")
    assert action.params["action"] == "upload_photo"
    assert api.calls.index(action) < api.calls.index(photo)
    # /export without a format asks too; with one it sends that file only.
    [asked] = await ask(api, api.message("/export SW1A 1AA"))
    assert texts.CHOOSE_FORMAT in shown(asked) and len(rows(asked)[0]) == 3
    [json_doc] = await ask(api, api.message("/export SW1A 1AA json"), "sendDocument")
    assert json_doc.files["document"].filename.endswith(".json")  # type: ignore[union-attr]
    assert len(api.sent("sendDocument")) == 2


# -- plain words for the published labels (handlers/names.py) ----------------------------------

@pytest.mark.parametrize(("published", "shown_as"), [
    ("RES BURGLARY OF A HOME", "Burglary of a home"),
    ("THEFT OR UNAUTH TAKING OF A MOTOR VEH", "Theft or taking of a vehicle"),
    ("A no further action disposal", "No further action"),
    ("THEFT FROM THE PERSON", "Theft from the person"),  # no entry: sentence case
    ("NFIB FRAUD", "Fraud passed to Action Fraud (NFIB)"),
    ("Arrest", "Arrest"),  # as published
])
def test_display_names(published: str, shown_as: str) -> None:
    assert names.display(published) == shown_as


async def test_views_show_plain_words_and_downloads_keep_the_published_labels(
        api: FakeBotApi, app: WardApp) -> None:
    [reply] = await ask(api, api.message("E8 1DY"))
    assert "% no further action." in shown(reply)
    message_id = reply.result["message_id"]
    [minor] = await ask(api, api.callback_query(data_for(reply, "Crime by type"),
                                                message_id=message_id), "editMessageText")
    assert "• Burglary of a home: " in shown(minor) and "Res burglary" not in shown(minor)
    assert "• Theft or taking of a vehicle: " in shown(minor)
    [stop] = await ask(api, api.callback_query(data_for(minor, "Stop and search"),
                                               message_id=message_id), "editMessageText")
    assert "Outcome: No further action " in shown(stop) and "disposal" not in shown(stop)
    [doc] = await ask(api, api.message("/export E8 1DY csv"), "sendDocument")
    rows_ = list(csv.DictReader(io.StringIO(doc.files["document"].data.decode("utf-8-sig"))))
    assert "RES BURGLARY OF A HOME" in {r["subcategory"] for r in rows_}
    assert "A no further action disposal" in {r["subcategory"] for r in rows_}


async def test_types_is_short_with_a_button_per_major_type(api: FakeBotApi,
                                                           app: WardApp) -> None:
    categories = app.bot_data["services"].view.categories()
    [reply] = await ask(api, api.message("/types"))
    assert len(shown(reply)) <= 1500
    assert [line.split(":")[0] for line in shown(reply).splitlines() if line.startswith("• ")] \
        == [f"• {names.display(m)}" for m in categories]
    pressed = {label: data for row in rows(reply) for label, data in row}
    assert list(pressed) == [names.display(m) for m in categories]
    [burglary] = await ask(api, api.callback_query(pressed["Burglary"],
                                                   message_id=reply.result["message_id"]),
                           "editMessageText")
    text = shown(burglary)
    assert text.startswith("Burglary: ") and "The Met's label: BURGLARY" in text
    assert "• Burglary of a home: Burglary of someone's home. (RES BURGLARY OF A HOME)" in text
    [back] = await ask(api, api.callback_query(data_for(burglary, keyboards.TYPES_BACK_LABEL),
                                               message_id=reply.result["message_id"]),
                       "editMessageText")
    assert shown(back) == shown(reply)
    [alert] = await ask(api, api.callback_query("ty:NOT A TYPE"), "answerCallbackQuery")
    assert alert.params["text"] == texts.BAD_BUTTON
