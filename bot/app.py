"""Building the python-telegram-bot Application: handlers in one ordered list, services opened
in post_init and closed in post_shutdown."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Final
from zoneinfo import ZoneInfo

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    Job,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import jobs
from bot.budget import SharedRateLimiter, SharedWindow
from bot.config import Config
from bot.logs import quiet_noisy_loggers
from datastore.services import open_services
from handlers import (
    admin,
    choices,
    comparing,
    errors,
    gate,
    info,
    inline,
    keyboards,
    lookup,
    media,
    places,
    subscribe,
)
from handlers.context import (
    DIGESTS_KEY,
    SERVICES_KEY,
    SETTINGS_KEY,
    BotSettings,
    WardApp,
    WardContext,
)
from handlers.present import texts

log = logging.getLogger(__name__)

_EXIT_KEY: Final = "_exit_stack"
_PROGRESS_KEY: Final = "_progress"  # shows a first run's store build (the console)

# The command menus, per BotCommandScope: private chats, groups, and group administrators
# (who also manage what the group follows). In a group only commands reach the bot.
COMMANDS: Final = (
    ("postcode", "Crime figures for a postcode, ward or borough"),
    ("compare", "Two places side by side"),
    ("trend", "A chart of a ward's crime month by month"),
    ("map", "A map of a borough's wards against London"),
    ("export", "A ward's figures as a CSV, Excel or JSON file"),
    ("types", "What the crime types mean"),
    ("about", "Sources, limits and what is stored"),
    ("subscribe", "Get a ward's figures every month"),
    ("subscriptions", "The wards this chat follows"),
    ("unsubscribe", "Stop following a ward"),
    ("forget", "Erase everything stored for this chat"),
    ("help", "How to use WardWatch"),
    ("start", "What WardWatch does"),
)
GROUP_COMMANDS: Final = (
    ("postcode", "Crime figures for a postcode, ward or borough"),
    ("compare", "Two places side by side"),
    ("trend", "A chart of a ward's crime month by month"),
    ("map", "A map of a borough's wards against London"),
    ("subscriptions", "The wards this group follows"),
    ("types", "What the crime types mean"),
    ("about", "Sources, limits and what is stored"),
    ("help", "The commands in a group"),
)
ADMIN_COMMANDS: Final = (
    *GROUP_COMMANDS[:5],
    ("subscribe", "This group gets a ward's figures every month"),
    ("unsubscribe", "Stop following a ward"),
    ("forget", "Erase everything stored for this group"),
    *GROUP_COMMANDS[5:],
)
MENUS: Final = (
    (BotCommandScopeAllPrivateChats(), COMMANDS),
    (BotCommandScopeAllGroupChats(), GROUP_COMMANDS),
    (BotCommandScopeAllChatAdministrators(), ADMIN_COMMANDS),
)


def register(app: WardApp) -> None:
    """Add every handler, in order: the first matching handler of a group wins."""
    # Group -1 runs before all others: an over-limit chat stops here, before any store access.
    app.add_handler(TypeHandler(Update, gate.flood_gate), group=-1)
    # Commands only from new messages (an edited command is not run twice).
    new = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("start", info.start, filters=new))
    app.add_handler(CommandHandler("help", info.help_command, filters=new))
    app.add_handler(CommandHandler("postcode", lookup.postcode_command, filters=new))
    app.add_handler(CommandHandler("types", info.types, filters=new))
    app.add_handler(CommandHandler("about", info.about, filters=new))
    app.add_handler(CommandHandler("forget", info.forget, filters=new))
    app.add_handler(CommandHandler("subscribe", subscribe.subscribe_command, filters=new))
    app.add_handler(CommandHandler("subscriptions", subscribe.subscriptions_command,
                                   filters=new))
    app.add_handler(CommandHandler("unsubscribe", subscribe.unsubscribe_command, filters=new))
    # Operators only (not in the command menu): the handlers refuse anyone else politely.
    app.add_handler(CommandHandler("reload", admin.reload_command, filters=new))
    app.add_handler(CommandHandler("status", admin.status_command, filters=new))
    app.add_handler(CommandHandler("trend", media.trend_command, filters=new))
    app.add_handler(CommandHandler("map", media.map_command, filters=new))
    app.add_handler(CommandHandler("export", media.export_command, filters=new))
    app.add_handler(CommandHandler("compare", places.compare_command, filters=new))
    # The picture and download buttons before the generic drill-down, which takes the rest.
    app.add_handler(CallbackQueryHandler(media.button, pattern=keyboards.MEDIA_PATTERN))
    # Subscribe / Stop following buttons, also before the generic drill-down.
    app.add_handler(CallbackQueryHandler(subscribe.button,
                                         pattern=keyboards.SUBSCRIPTION_PATTERN))
    # A place chosen from buttons (a near-miss, an ambiguous name, a district's wards), or
    # one that completes a comparison.
    app.add_handler(CallbackQueryHandler(places.pick, pattern=choices.PICK_PATTERN))
    app.add_handler(CallbackQueryHandler(places.compare_chart, pattern=choices.COMPARE_PATTERN))
    app.add_handler(CallbackQueryHandler(places.compare_pick, pattern=comparing.PATTERN))
    app.add_handler(CallbackQueryHandler(info.types_button, pattern=keyboards.TYPES_PATTERN))
    app.add_handler(CallbackQueryHandler(info.forget_button, pattern=keyboards.FORGET_PATTERN))
    app.add_handler(CallbackQueryHandler(lookup.drill_down))
    # The bot blocked, removed or re-added; a group upgraded to a supergroup.
    app.add_handler(ChatMemberHandler(subscribe.membership_changed,
                                      ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, subscribe.chat_migrated))
    # `@bot <postcode>` in any chat (inline mode, enabled with @BotFather): offline only.
    app.add_handler(InlineQueryHandler(inline.inline_query))
    app.add_handler(MessageHandler(new & (filters.LOCATION | filters.VENUE), lookup.location))
    private = filters.ChatType.PRIVATE
    # Commands not ours (or for another bot, /start@OtherBot) after ours had their chance.
    app.add_handler(MessageHandler(private & new & filters.COMMAND, info.unknown_command))
    # Plain text in a private chat, new or edited (an edit corrects a typo): a postcode query.
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND,
                                   lookup.postcode_text))
    app.add_handler(MessageHandler(private & new & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                                   lookup.not_text))
    app.add_error_handler(errors.on_error)


async def _post_init(app: WardApp) -> None:
    cfg: Config = app.bot_data["config"]
    stack = AsyncExitStack()
    app.bot_data[SERVICES_KEY] = await stack.enter_async_context(open_services(
        cfg.storage, postcodes_url=cfg.postcodes.base_url,
        postcodes_timeout=cfg.postcodes.timeout, progress=app.bot_data.pop(_PROGRESS_KEY, None)))
    app.bot_data[_EXIT_KEY] = stack
    settings: BotSettings = app.bot_data[SETTINGS_KEY]
    stack.push_async_callback(settings.media.close)  # the render process, if one is running
    await jobs.open_digests(app, cfg, stack)
    await _describe(app)


async def _describe(app: WardApp) -> None:
    """The command menus and the "What can this bot do?" texts. Each is tried on its own and
    none is essential: the bot works without them."""
    calls: list[tuple[str, Callable[[], Awaitable[bool]]]] = [
        (f"the {scope.type} command menu",
         functools.partial(app.bot.set_my_commands, [BotCommand(c, d) for c, d in menu],
                           scope=scope))
        for scope, menu in MENUS]
    calls.append(("the description",
                  functools.partial(app.bot.set_my_description, texts.BOT_DESCRIPTION)))
    calls.append(("the short description", functools.partial(
        app.bot.set_my_short_description, texts.BOT_SHORT_DESCRIPTION)))
    for what, call in calls:
        try:
            await call()
        except TelegramError as exc:
            log.warning("could not set %s: %s", what, type(exc).__name__)


async def _post_shutdown(app: WardApp) -> None:
    stack: AsyncExitStack | None = app.bot_data.pop(_EXIT_KEY, None)
    if stack is not None:
        await stack.aclose()


class LeanApplication(WardApp):
    """PTB's Application without one set that only grows (with no persistence, PTB still
    records the chat and user of every update to update in a persistence, and empties those
    sets only when it persists, so every chat the bot ever served stayed in memory. And it
    stops without waiting for the messages the flood gate holds (PTB awaits every task
    `create_task` made: a held message's answer may be a minute away), nor for a data check
    under way."""

    async def stop(self) -> None:
        """Stop, letting go of what the flood gate holds and cancelling a data check under
        way (its download, and its loading child with it) first: PTB's stop waits for running
        jobs and tasks, and a check downloading a slow file kept SIGTERM waiting for over a
        minute."""
        settings: BotSettings | None = self.bot_data.get(SETTINGS_KEY)
        if settings is not None:
            gate.let_go(settings)
        service: jobs.DigestService | None = self.bot_data.get(DIGESTS_KEY)
        if service is not None:
            service.cancel_check()
        await super().stop()

    def _mark_for_persistence_update(
        self, *, update: object | None = None, job: Job[WardContext] | None = None
    ) -> None:
        if self.persistence is not None:
            super()._mark_for_persistence_update(update=update, job=job)


def build_application(
    cfg: Config,
    *,
    token: str | None = None,
    request: BaseRequest | None = None,
    rate_limit: bool = True,
    progress: Callable[[str], None] | None = None,
    lead: bool = True,
) -> WardApp:
    """Build the Application from the config; `request` swaps the transport (console, tests);
    `progress` is told each step of a first run's store build; `lead` False: never run the
    jobs nor send digests (the console)."""
    quiet_noisy_loggers()
    secret = token or (cfg.telegram.token.reveal() if cfg.telegram.token else None)
    if not secret:
        raise ValueError("a Telegram token is needed to build the bot")
    builder = (
        ApplicationBuilder()
        .application_class(LeanApplication)
        .token(secret)
        .context_types(ContextTypes(context=WardContext))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo(cfg.schedule.timezone)))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    window = SharedWindow(cfg.limits.global_per_s) if rate_limit else None
    if window is not None:
        # Replies to users; digests keep to [limits] through a Bot of their own (bot/jobs.py).
        # Both draw on one overall window, shared out among the replicas (bot/budget.py).
        builder = builder.rate_limiter(SharedRateLimiter(  # type: ignore[arg-type]
            window, group_per_min=cfg.limits.per_group_per_min, max_retries=2))
    if cfg.telegram.base_url:
        builder = builder.base_url(cfg.telegram.base_url).base_file_url(
            cfg.telegram.base_url.replace("/bot", "/file/bot"))
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app: WardApp = builder.build()  # type: ignore[assignment]
    app.bot_data["config"] = cfg
    app.bot_data[jobs.DIGEST_REQUEST_KEY] = request  # digests go through the same transport
    app.bot_data[jobs.LEADS_KEY] = lead
    app.bot_data[jobs.WINDOW_KEY] = window
    app.bot_data[SETTINGS_KEY] = BotSettings(admin_ids=cfg.admin_ids)
    app.bot_data[_PROGRESS_KEY] = progress
    register(app)
    return app


@asynccontextmanager
async def running(app: WardApp) -> AsyncIterator[WardApp]:
    """Initialise and start an Application without polling (console, tests): post_init runs
    as it does under run_polling, and post_shutdown on the way out."""
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        try:
            yield app
        finally:
            await app.stop()
    finally:
        if app.post_shutdown:
            await app.post_shutdown(app)
        await app.shutdown()
