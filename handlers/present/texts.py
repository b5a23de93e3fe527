"""User-facing text that is not built from figures: one place for the bot's words."""

from __future__ import annotations

from typing import Final

EXAMPLE_POSTCODE: Final = "SW1A 1AA"

ATTRIBUTION: Final = (
    "Sources: Metropolitan Police Service via the London Datastore; data.police.uk; Home Office; "
    "ONS Census 2021; OS Code-Point Open. Open Government Licence v3.0. "
    "The Met revises past months each time it publishes; these are as it published them for "
    "the month named above."
)

# What each figure is made from (answers say it in words; `ask --json` carries it).
RESIDENTS_BASIS: Final = "Census 2021 usual residents (ONS)"
WARD_CRIME_BASIS: Final = (
    "crimes the Met recorded in the ward, from its ward-level extract (London Datastore)")
BOROUGH_CRIME_BASIS: Final = (
    "crimes the Met recorded in the borough, from its borough-level extract (London "
    "Datastore), which also counts crimes not placed in any ward")
WARD_LONDON_BASIS: Final = "every Met ward's crimes ÷ its residents"
BOROUGH_LONDON_BASIS: Final = "the 32 boroughs' crimes ÷ their residents"
# The same, in a few words, where London's average is quoted beside a rate: the ward basis
# (101.2 on the bundled data) and the borough file's (103.6) differ, so each says which it is.
WARD_LONDON_SHORT: Final = "all Met wards"
BOROUGH_LONDON_SHORT: Final = "borough figures"

WARD_RATE_NOTE: Final = (
    "Residents: the ward's Census 2021 usual residents (ONS). The borough and London figures "
    "here are the Met's ward figures added up; the borough button gives the Met's own "
    "borough figures, which also count crimes not placed in any ward."
)

BOROUGH_RATE_NOTE: Final = (
    "Residents: the borough's Census 2021 usual residents (ONS). Rates, average and rank are "
    "all on the Met's borough figures."
)

BOROUGH_FILE_NOTE: Final = (
    "The borough figures also count crimes the Met could not place in a ward, so they are a "
    "little above the sum of the borough's wards."
)

NO_RATE: Final = (
    "No 12-month rate: the figures I hold lack one of the 12 months to their last, and a rate "
    "over fewer months would mislead."
)

NO_RATE_SHORT: Final = "No 12-month rate: the figures lack one of the 12 months to their last."

# Under the short first answer (handlers/render.py: summary_html).
SUMMARY_FOOT: Final = "The buttons show crime by type, stop and search, taser and the sources."
BOROUGH_FOOT: Final = "Below the borough's buttons: its wards, highest crime rate first."

LIMITS: Final = (
    "<b>Limits</b>: some crimes have no location and are in no ward; most fraud is recorded by "
    "Action Fraud, not the Met; the City of London has its own force and is not in these "
    "figures; the Met revises past months as late reports come in."
)

NO_STOP_SEARCH: Final = "No stop-and-search figures are loaded for this borough."

NO_BOROUGH_CRIME: Final = "No borough crime figures are loaded."

BUSY_PLACE_NOTE: Final = (
    "This ward's rate is far above average. Rates count crimes against residents only: where "
    "many more people work, shop, travel or visit than live (central London, stations, "
    "shopping centres, Heathrow), the rate overstates the risk to a resident."
)

# Why an area is far above the London average on a map, where a reason is known (by ward or
# borough code); every map with such an area also says RESIDENTS_ONLY.
OUTLIER_REASONS: Final = {
    "E05013570": "it holds Heathrow Airport, whose crimes count against the ward's few "
                 "residents.",
    "E05013808": "the heart of the West End, where far more people shop, work and go out than "
                 "live.",
    "E05013806": "it holds Whitehall, Trafalgar Square and St James's Park, where far more "
                 "people work and visit than live.",
    "E09000033": "it holds the West End and St James's, where far more people shop, work and "
                 "visit than live.",
}
RESIDENTS_ONLY: Final = (
    "Rates count crimes against residents only: where far more people work, shop, travel or "
    "visit than live, a rate overstates the risk to a resident.")

STOP_SEARCH_PARTIAL: Final = (
    "police.uk's open API holds only part of the Met's searches (about a third of them in "
    "September 2024 to April 2025), so these are shares of a sample, not the number of "
    "searches."
)

# What a count from police.uk's open API is, wherever it is written down (CSV, XLSX, JSON).
SAMPLE_RECORDS: Final = "records in police.uk's open API (a sample, not the number of searches)"

STOP_SEARCH_NOTE: Final = (
    "Counted in the borough where the search took place, not the borough of the officer's "
    "unit or of the person searched."
)

CENTRAL_ETHNICITY_NOTE: Final = (
    "In central London many people searched do not live here, so the ethnicity figures do not "
    "reflect the borough's residents."
)

# Boroughs with part of the London Plan's Central Activities Zone, where the Met warns that
# stop-and-search ethnicity figures do not reflect residents.
CENTRAL_BOROUGHS: Final = frozenset({
    "Westminster", "Camden", "Islington", "Hackney", "Tower Hamlets", "Southwark", "Lambeth",
    "Wandsworth", "Kensington and Chelsea",
})

TASER_FORCE_NOTE: Final = (
    "These are the Home Office's yearly figures for the whole Met, the newest year this copy "
    "holds (the Home Office publishes a year's figures each year). The Met's borough figures "
    "are no longer openly downloadable; they appear here if the bot's operator loads the "
    "Met's Use of Force file."
)

TASER_FORCE_SOURCE: Final = (
    "Home Office, Police use of force statistics: the Metropolitan Police's force-wide row")
TASER_BOROUGH_SOURCE: Final = "the Met's Use of Force records (London Datastore), by borough"

TASER_COUNTING_NOTE: Final = (
    "Two officers using a taser on one person count as two deployments but one subject."
)

INVALID: Final = (
    "That doesn't look like a postcode. Send a full London postcode, for example "
    f"<code>{EXAMPLE_POSTCODE}</code>."
)

# A message that names no place at all: a greeting, "help", thanks.
NOT_A_PLACE: Final = (
    "I answer with the police's published figures for a place in London. Send a postcode "
    f"(<code>{EXAMPLE_POSTCODE}</code>), a neighbourhood, station or street (<code>Notting "
    "Hill</code>, <code>Euston</code>, <code>Brick Lane</code>), a ward or borough name "
    "(<code>Hackney Central</code>, <code>Camden</code>), or share a location. /help lists "
    "everything I do."
)

# A postcode attempt with no real postcode close to it.
POSTCODE_SHAPE: Final = (
    "That doesn't look like a London postcode I know. A full postcode has a district and a "
    f"second half of a digit and two letters, for example <code>{EXAMPLE_POSTCODE}</code> or "
    "<code>E8 1DY</code>."
)

CHOOSE_NEAR_MISS: Final = "I don't know that postcode. Did you mean one of these?"
CHOOSE_AMBIGUOUS: Final = "Several places answer to that. Which one?"
# A name only close to what was typed: offered, never answered as if asked.
CHOOSE_FUZZY: Final = "I don't know “{query}”. Did you mean:"
# A neighbourhood, station or street across several wards: its wards, the largest share first.
SPANS_WARDS: Final = (
    "is not a ward: it crosses {n} wards, and the Met publishes figures by ward. Which one? "
    "(the share of it in each)")
CHOOSE_SAME_NAME: Final = "Several places in London are called {name}. Which one?"
# A name that reads as a place's, but of no London place known.
UNKNOWN_PLACE: Final = (
    "I don't know a London place called “{name}”. I know postcodes, neighbourhoods, stations, "
    "wards, boroughs and many streets: try its postcode (<code>E8 1DY</code>), a station near "
    "it or its neighbourhood."
)
# A place of the gazetteer outside London (a station on a line that runs out of it).
PLACE_OUTSIDE_LONDON: Final = (
    "is outside London, so outside the Metropolitan Police area. Its local force's crime "
    "figures are on police.uk (www.police.uk, “What's happening in your area”)."
)
# A postcode whose district cannot exist.
NO_POSTCODE_AREA: Final = "can't be a postcode: no UK postcode begins with those letters."
NO_SUCH_DISTRICT: Final = "can't be a postcode: there is no postcode district {district}."
# A district of another area than London's that no one could check exists.
OUTSIDE_UNCHECKED: Final = (
    "is not a London postcode, so if it exists it is outside the Metropolitan Police area "
    "(I couldn't check that it does). Your local force's crime figures are on police.uk."
)
# A name the bundle does not know, when postcodes.io's places search could not be asked.
PLACE_UNAVAILABLE: Final = (
    "I don't know “{name}” as a London place, and I couldn't ask postcodes.io just now. "
    f"Please try again in a few minutes, or send a postcode (<code>{EXAMPLE_POSTCODE}</code>)."
)
COMPARE_LEFT_OUT: Final = "I compare up to four places at once; left out: {places}."
COMPARE_NEEDS_TWO: Final = "I can only compare places I can answer for (two to four):"
# A comparison one of whose places is still to be chosen.
COMPARE_CHOOSE: Final = "To compare these places I need to know which you mean:"
COMPARE_LATER: Final = "(to choose next)"
COMPARE_MIXED_AREAS: Final = (
    "A ward and a borough: the borough's figures come from the Met's borough file, which also "
    "counts crimes placed in no ward.")

CITY_OF_LONDON: Final = (
    "is in the City of London, which has its own police force, the City of London Police, not "
    "the Met. Its figures are published by the City of London Police (cityoflondon.police.uk) "
    "and on police.uk."
)
CITY_OF_LONDON_ITSELF: Final = (
    "has its own police force, the City of London Police, not the Met. Its figures are "
    "published by the City of London Police (cityoflondon.police.uk) and on police.uk."
)

OUTSIDE_LONDON: Final = (
    "is outside the Metropolitan Police area. Your local force's crime figures are on "
    "police.uk (www.police.uk, “What's happening in your area”)."
)

NOT_FOUND: Final = (
    "is not in my postcode list and postcodes.io doesn't know it either. Between 200 and 1,000 "
    "new London postcodes appear every month, so it may be new: try a neighbour's postcode."
)

NOT_FOUND_OFFLINE: Final = (
    "is not in my postcode list. Between 200 and 1,000 new London postcodes appear every "
    "month, so it may be new: try a neighbour's postcode."
)

UNAVAILABLE: Final = (
    "is not in my offline postcode list, and the postcode lookup service (postcodes.io) could "
    "not be reached just now, so I can't tell where it is. Please try again in a few minutes, "
    "or send a neighbour's postcode."
)

TERMINATED: Final = "is no longer in use: Royal Mail terminated it"

# {age}: the statement of age of the figures held (handlers/present/info_text.py).
START: Final = (
    "<b>WardWatch</b> tells you what the Metropolitan Police publish about your part of London: "
    "the crimes recorded in your ward month by month and over a year against the London "
    "average, stop and search in your borough, and taser use.\n{age}\n\n"
    f"Send me a postcode, for example <code>{EXAMPLE_POSTCODE}</code>, or press "
    "<b>Send my location</b> below. "
    "In a group, use <code>/postcode SW1A 1AA</code>.\n/help lists everything I can do."
)

HELP: Final = (
    "<b>How to use WardWatch</b>\n"
    f"• Send a postcode (any case or spacing, e.g. <code>sw1a1aa</code>), a ward or borough "
    "(<code>Hackney Central</code>, <code>Camden</code>), or share a location.\n"
    f"• <code>/postcode {EXAMPLE_POSTCODE}</code> works in groups too.\n"
    "• <code>/compare E8 1DY and Camden</code>: two places side by side.\n"
    "• The buttons under an answer show crime by type, stop and search, taser, the borough "
    "and the sources in its place (« Summary goes back), and send a trend chart, a map or the "
    "figures as a file.\n"
    f"• <code>/trend {EXAMPLE_POSTCODE}</code>: a chart of the ward's crime month by month "
    "against its borough and London. <code>/map SW1A 1AA</code>: the borough's wards shaded "
    "against the London average (<code>/map london</code>: every borough). "
    "<code>/export SW1A 1AA</code>: every figure as a CSV, Excel or JSON file.\n"
    f"• <code>/subscribe {EXAMPLE_POSTCODE}</code>: this chat gets that ward's figures each "
    "month when the Met publishes them (up to 5 wards; in a group, admins decide). "
    "/subscriptions lists them; /unsubscribe stops one or all.\n"
    "• /types explains the crime types. /about says where the figures come from, how old "
    "each is, their limits and what I store. /forget erases everything stored for this chat.\n"
    "{age}"
)

TYPES_FOOT: Final = (
    "Press a type for its kinds, each with the label the Met publishes (downloads keep those "
    "labels)."
)

# -- groups (neighbourhood watches) ------------------------------------------------------------

GROUP_WELCOME: Final = (
    "<b>Hello! I'm WardWatch</b>: the Metropolitan Police's published crime figures for any "
    "London postcode.\n"
    f"• Anyone here: <code>/postcode {EXAMPLE_POSTCODE}</code> for a ward's figures; its "
    "buttons change that one answer in place.\n"
    f"• An administrator: <code>/subscribe {EXAMPLE_POSTCODE}</code> and this group gets the "
    "ward's figures each month when the Met publishes them (up to 5 wards).\n"
    "I only see commands addressed to me here, not your conversation. /help lists them."
)

GROUP_START: Final = (
    "<b>WardWatch</b> answers here with the Met's published crime figures for a London "
    f"postcode: <code>/postcode {EXAMPLE_POSTCODE}</code>. In a group I see only commands, so "
    "a postcode on its own is not read. /help lists the group's commands.\n{age}"
)

GROUP_HELP: Final = (
    "<b>WardWatch in a group</b>\n"
    f"• <code>/postcode {EXAMPLE_POSTCODE}</code>: a ward's figures; the buttons under the "
    "answer change it in place, for everyone.\n"
    f"• Trend chart and Map (or <code>/trend {EXAMPLE_POSTCODE}</code>, "
    f"<code>/map {EXAMPLE_POSTCODE}</code>): the picture is posted here for everyone, once in "
    "10 minutes; asked again sooner, I point to it.\n"
    "• Downloads come in a private chat with me, so files don't fill the group.\n"
    "• /subscriptions: the wards this group follows.\n"
    f"• Administrators: <code>/subscribe {EXAMPLE_POSTCODE}</code> (the ward's figures here "
    "each month), <code>/unsubscribe</code>, /forget (erase what I store for the group).\n"
    "• /types, /about: the crime types; sources, how old each figure is, limits and what I "
    "store.\n{age}"
)

GROUP_DOWNLOAD_LINK: Final = (
    "Downloads come in a private chat with me, so they don't fill the group: press the button."
)
PRIVATE_BUTTON: Final = "Continue in a private chat"
# A chart or a map asked for again in a group within 10 minutes (handlers/replies.py:
# GroupPictures): a press gets this as its answer, a command as a reply to the picture.
GROUP_PICTURE_ABOVE: Final = (
    "This {what} is already in the group, posted {ago}: scroll up to it. I post each picture "
    "here once in 10 minutes, to keep the group quiet."
)

BOT_DESCRIPTION: Final = (
    "WardWatch tells you what the Metropolitan Police publish about your part of London. Send "
    "a postcode (or share a location) for your ward's crime month by month and over a year "
    "against the London average, stop and search in the borough and taser use. Follow a ward "
    "for a digest each month; add me to a neighbourhood group and its admins can subscribe "
    "it. Official open data (Met Police, police.uk, ONS); nothing you look up is stored."
)

BOT_SHORT_DESCRIPTION: Final = (
    "London crime figures for your postcode, from the Met's open data: ward, borough, trends."
)

INLINE_HINT: Final = "Type a full London postcode, e.g. SW1A 1AA"
INLINE_FOOT: Final = "From WardWatch: open it for crime by type, stop and search and sources."
OPEN_BOT: Final = "Open in WardWatch"

SHARE_TEXT: Final = "{ward} ward's crime figures from the Met, and a monthly digest: WardWatch"
SHARE_BOROUGH_TEXT: Final = "{borough}'s crime figures from the Met, ward by ward: WardWatch"
SHARE_COMPARE_TEXT: Final = "{places} side by side, from the Met's crime figures: WardWatch"

POSTCODE_USAGE: Final = (
    f"Send the postcode after the command, for example <code>/postcode {EXAMPLE_POSTCODE}</code>."
)

NOT_TEXT: Final = (
    f"I can only read postcodes and locations. Send a postcode such as "
    f"<code>{EXAMPLE_POSTCODE}</code>, or share a location."
)

UNKNOWN_COMMAND: Final = "I don't know that command. /help lists what I can do."

# The flood gate (handlers/gate.py): a message held, said once; a press over the limit.
SLOW_DOWN: Final = (
    "You're sending messages faster than I can answer them. I'll answer your last one in "
    "{seconds} s; anything you send before then takes its place."
)
SLOW_DOWN_PRESS: Final = "Too fast for me: press again in {seconds} s."

ERROR: Final = (
    "Sorry, something went wrong on my side while answering that. Please try again in a moment."
)

# A change (following a ward, stopping, /forget) the store could not write: the disk is full,
# or the store is read-only. Nothing changed. The alert is for buttons (at most 200 characters).
NOT_SAVED: Final = (
    "Sorry, I couldn't save that change: my storage can't be written to just now, so nothing "
    "has changed. Please try again later."
)
NOT_SAVED_ALERT: Final = "Sorry, I couldn't save that change just now, so nothing has changed."

STALE_BUTTON: Final = (
    "The figures have been updated since that message; showing the ones I hold now.")

BAD_BUTTON: Final = "That button has expired. Send the postcode again."

# A button pressed where Telegram gives no chat to answer in (a message sent through inline
# mode): an alert, at most 200 characters.
BUTTON_NEEDS_CHAT: Final = (
    "I can't answer that button here. Send me the postcode in a chat with me "
    "(or /postcode in a group) and use the buttons under my answer."
)

FAR_LOCATION: Final = (
    "That location is not in London: the nearest London postcode is {km:.0f} km away. Crime "
    "figures for other areas are on police.uk."
)

FORGOTTEN: Final = (
    "Done: I have erased everything I stored for this chat ({what}). I keep no record of the "
    "postcodes you send."
)

FORGET_QUESTION: Final = (
    "This erases everything I store for this chat: {what}. Nothing else is kept about you (I "
    "keep no record of the postcodes you send). Erase it?"
)
FORGET_NOTHING_FOLLOWED: Final = (
    "this chat follows no wards, so that is only the short-lived count of its requests")
FORGET_CANCELLED: Final = "Cancelled: nothing was erased."
FORGET_ADMINS_ONLY_ALERT: Final = "Only this group's administrators can erase what I store for it."

ABOUT: Final = (
    "<b>About WardWatch</b>\n"
    "<b>Sources</b>: recorded crime by ward and borough from the Metropolitan Police Service "
    "via the London Datastore; stop and search from data.police.uk (or the Met's own "
    "dashboard data when loaded); taser use from the Home Office's police use of force "
    "statistics; residents from the ONS Census 2021 (usual residents: table TS019 by 2022 "
    "ward, TS007A by borough); postcodes "
    "from OS Code-Point Open. All under the Open Government Licence v3.0. Contains OS data © "
    "Crown copyright and database right 2025; contains Royal Mail data © Royal Mail copyright "
    "and database right 2025.\n\n"
    "<b>How the figures are made</b>: the Met counts crimes when they are recorded and places "
    "them in the ward where they happened. It publishes a rolling 24 months and revises the "
    "whole window every month (crimes are re-classified and late reports added), so I replace "
    "the old figures as soon as I load new ones, and every answer says which month its "
    "figures run to and how old they are on the day you read it. Rates "
    "are crimes per 1,000 Census 2021 usual residents over the 12 months to the figures' "
    "month, against the "
    "London average on the same basis: for a ward, every Met ward's crimes ÷ its residents; "
    "for a borough, the Met's borough figures, which also count crimes not placed in a "
    "ward.\n\n"
    "<b>Stop and search</b> is counted where the search took place. police.uk's open API holds "
    "only part of the Met's searches (about a third in 2024-25), so from it I show shares, not "
    "totals. <b>Taser</b>: the Met's borough figures are no longer openly published; I show "
    "the Home Office's yearly figures for the whole Met, and every answer says which year "
    "and how old it is.\n\n"
    "{ages}\n\n"
    "<b>Limits</b>: some crimes have no location and are in no ward; fraud is mostly recorded "
    "by Action Fraud, not the Met; between 200 and 1,000 new London postcodes appear every "
    "month, so a brand-new one may not be known yet; the City of London has its own force, "
    "the City of London Police, and is not in the Met's figures; stop and search is counted "
    "where the search happened, and in central London the people searched mostly don't live "
    "there.\n\n"
    "<b>What I store</b>: nothing about you for a lookup — postcodes you send are used to "
    "answer and not kept. For a few seconds I count how often a chat asks, to keep the bot "
    "fair, and until I restart I remember which of my messages answered which of yours (their "
    "numbers, not their text), so that correcting a postcode edits my reply. For a chat that "
    "follows wards (/subscribe), I keep, for each ward: the chat's id "
    "and type (private chat or group), the ward's code, the postcode district it was "
    "followed with (such as E1 — never the full postcode), when, and whether its digests are "
    "on or paused; and for each monthly digest, the chat's id, the ward, the month, whether it "
    "was sent and when, how many tries it took and why it failed if it did. /forget erases all "
    "of it for this chat."
)

# -- pictures and downloads (handlers/media.py) -------------------------------------------------

TREND_USAGE: Final = (
    f"Send a postcode or a ward after the command, for example <code>/trend {EXAMPLE_POSTCODE}"
    "</code> or <code>/trend Hackney Central</code>."
)

MAP_USAGE: Final = (
    f"Send a postcode, ward or borough after the command, for example <code>/map "
    f"{EXAMPLE_POSTCODE}</code> or <code>/map Camden</code>, or <code>/map london</code> for "
    "every borough."
)

EXPORT_USAGE: Final = (
    f"Send the postcode after the command, for example <code>/export {EXAMPLE_POSTCODE}</code>"
    f" (add <code>csv</code>, <code>xlsx</code> or <code>json</code> for one format at once)."
)

CHOOSE_FORMAT: Final = "Which format would you like the figures in? Press one button."
CHOOSE_FORMAT_ALERT: Final = "Choose a format: CSV, Excel or JSON."

MEDIA_FAILED: Final = (
    "I couldn't send the {what} just now, so here are the figures as text. Please try again "
    "in a few minutes."
)

# No render process could draw it, and there is no answer to give as text instead.
DRAW_FAILED: Final = "I couldn't make the {what} just now. Please try again in a few minutes."

NO_MAP: Final = (
    "I can't draw that map: the figures I hold lack one of the 12 months to compare areas by."
)

# -- subscriptions and digests (handlers/subscribe.py, handlers/admin.py) --------------------

SUBSCRIBE_USAGE: Final = (
    f"Send the postcode after the command, for example <code>/subscribe {EXAMPLE_POSTCODE}"
    "</code>: this chat then gets a short digest of that ward's crime figures each month, when "
    "the Met publishes them. A chat can follow up to 5 wards."
)

UNSUBSCRIBE_USAGE: Final = (
    f"Send the postcode of the ward to stop following, for example <code>/unsubscribe "
    f"{EXAMPLE_POSTCODE}</code>, or the ward as /subscriptions shows it, or <code>/unsubscribe "
    "all</code>. /unsubscribe on its own lists what this chat follows, with a button to remove "
    "each."
)

NO_SUBSCRIPTIONS: Final = (
    f"This chat follows no wards yet. Send <code>/subscribe {EXAMPLE_POSTCODE}</code> (with "
    "your postcode) to get that ward's figures each month."
)

# Before the digest a /subscribe reply carries, for the newest month this copy holds.
LATEST_DIGEST: Final = "Here is its digest for {month}, as one will come each month:"

SUBSCRIPTIONS_HINT: Final = "Press a button below to stop following a ward."

DIGEST_WHEN: Final = (
    "A digest comes here each month, as soon as the Met publishes new figures."
)

# Why a chat's digests are paused, as /subscriptions says it.
PAUSED_REMOVED: Final = (
    "Paused: Telegram told me this chat blocked or removed me, so no digests are sent here. "
    "Subscribing again here turns them back on."
)
PAUSED_SEND_FAILED: Final = (
    "Paused: the last digest could not be delivered here (Telegram refused it: I was blocked "
    "or removed, or the chat was gone). Subscribing again here turns them back on."
)

DIGEST_FOOTER: Final = (
    "You get this because this chat follows this ward. /subscriptions lists what it follows."
)

BUSY_PLACE_SHORT: Final = (
    "Rates count residents only, so where many more people work, shop or visit than live, "
    "they overstate the risk to a resident."
)

RISE_CAVEAT: Final = (
    "One unusual month is not a trend: a single incident, a busy event or a change in how "
    "crimes are recorded can cause it."
)

REVISION_NOTE: Final = "the Met revises past months as late reports come in"

SUBSCRIBE_NEEDS_POSTCODE: Final = (
    "To follow a ward, send a full London postcode in it or the ward's name, for example "
    "<code>/subscribe Hackney Central</code>.")
SUBSCRIBE_BY_WARD: Final = "Digests are sent for one ward at a time: choose one of its wards."

GROUP_ADMINS_ONLY: Final = (
    "Only this group's administrators can change what it follows, so nothing was changed. "
    "Ask an admin to do it."
)

FORGET_ADMINS_ONLY: Final = (
    "Only this group's administrators can erase what I store for it (the wards it follows), "
    "so nothing was erased."
)

GROUP_ADMINS_ONLY_ALERT: Final = "Only this group's administrators can change what it follows."

ADMIN_CHECK_FAILED: Final = (
    "I couldn't check with Telegram just now that you are an administrator of this group, so "
    "nothing was changed. Please try again in a minute."
)

ADMIN_CHECK_FAILED_ALERT: Final = (
    "I couldn't check that you are an admin of this group just now, so nothing was changed. "
    "Please try again in a minute."
)

NOT_FOLLOWED_ALERT: Final = "This chat no longer follows that ward."

OPERATORS_ONLY: Final = (
    "Sorry, that command is for the people who run this WardWatch bot. /help lists what I can "
    "do for you."
)

CHECK_RUNNING: Final = (
    "A check for new data is already running; /status will show its result in a moment."
)

CHECKING: Final = "Checking the sources for a newer month now; I'll report here when done."

# -- the publishers' feeds (/status, `wardwatch update`) -----------------------------------------

FEED_NAMES: Final = {
    "ward_crime": "Ward crime (London Datastore)",
    "borough_crime": "Borough crime (London Datastore)",
    "stop_search_mps": "Stop and search, the Met's extract (London Datastore)",
    "stop_search_police_uk": "Stop and search (data.police.uk)",
    "taser": "Use of force (London Datastore)",
    "taser_home_office": "Taser, Met-wide (Home Office, GOV.UK)",
}

COMPARE_USAGE: Final = (
    "Send two to four places after the command: postcodes, neighbourhoods, wards or boroughs, "
    f"for example <code>/compare {EXAMPLE_POSTCODE} and E8 1DY</code> or <code>/compare "
    "Hackney, Camden, Islington</code>."
)

