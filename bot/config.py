"""WardWatch's configuration: one frozen, typed object loaded once from TOML and the environment."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_dir

if TYPE_CHECKING:  # following the publishers pulls in the loaders (pandas): not for answers
    import httpx

    from datastore.ingest.follow import Publishers
    from datastore.storage.db import Location

ENV_CONFIG = "WARDWATCH_CONFIG"
ENV_TOKEN = "WARDWATCH_TOKEN"
ENV_DB_PASSWORD = "WARDWATCH_DB_PASSWORD"
# GOV.UK serves the files of a release from another host than its pages.
GOV_UK_HOST = "www.gov.uk"
GOV_UK_ASSETS = "assets.publishing.service.gov.uk"
# A host name or IP address, as [publishers] allowed_hosts lists them (no scheme, no port).
HOST_RE = re.compile(r"[A-Za-z0-9.-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")
# What Telegram accepts as a webhook's secret_token.
WEBHOOK_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _base_url_problem(value: str) -> str:
    """What keeps python-telegram-bot from using `value` as its base_url ("" if nothing)."""
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        return "its port is not a number"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "it is not an http(s) URL"
    if parts.query or parts.fragment:
        return "it has a query or a fragment"
    if not (parts.path.endswith("/bot") or "/bot{token}" in parts.path):
        return "its path does not end in /bot"
    return ""


def _base_url(value: object, where: str) -> str | None:
    """[telegram] base_url, as python-telegram-bot uses it: the token is appended to it (or
    put where it says {token}), so it must end in /bot: "http://host:8081" made the URL
    http://host:8081<token>/getMe, an invalid port, and a traceback that showed the token."""
    if value in (None, ""):
        return None
    problem = _base_url_problem(value) if isinstance(value, str) else "it is not a string"
    if problem:
        raise ConfigError(
            f"{where}: [telegram] base_url must be a Bot API server's http(s) URL ending in "
            "/bot, e.g. http://127.0.0.1:8081/bot (python-telegram-bot adds the token after "
            f"it); {problem}: {value!r}")
    return str(value)


class ConfigError(Exception):
    """The configuration file is missing, unreadable or has a wrong key or value."""


class Secret:
    """A string that never shows itself in a repr, str, log or traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret; call only where it is handed to the library that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def default_storage_path() -> Path:
    """Return the per-user data file used when `[storage] path` is not set."""
    return Path(user_data_dir("wardwatch", appauthor=False)) / "wardwatch.sqlite3"


@dataclass(frozen=True)
class TelegramConfig:
    token: Secret | None = None
    mode: str = "polling"
    base_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: Secret | None = None
    listen: str = "127.0.0.1"
    port: int = 8443


@dataclass(frozen=True)
class SourcesConfig:
    """Each is a tuple of paths or URLs; empty means the bundled snapshot."""

    ward_crime: tuple[str, ...] = ()
    borough_crime: tuple[str, ...] = ()
    stop_search: tuple[str, ...] = ()
    taser: tuple[str, ...] = ()
    population: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()
    boundaries: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        """Every configured source, in a stable order."""
        return (
            self.ward_crime + self.borough_crime + self.stop_search + self.taser
            + self.population + self.postcodes + self.boundaries
        )


@dataclass(frozen=True)
class PublishersConfig:
    """Where the published data is followed from (a mirror or a local server can stand in)."""

    enabled: bool = True
    london_datastore: str = "https://data.london.gov.uk"
    police_uk: str = "https://data.police.uk"
    crime_dataset: str = "exy3m"
    stop_search_dataset: str = "e6yjz"
    use_of_force_dataset: str = "use-of-force"
    gov_uk: str = "https://www.gov.uk"
    use_of_force_collection: str = "government/collections/police-use-of-force-statistics"
    contact: str = ""  # an address for the publishers, sent in the User-Agent
    timeout: float = 60.0
    # The hosts the publishers' client may reach (a redirect's target included); empty: the
    # hosts of london_datastore, police_uk and gov_uk (and GOV.UK's assets host).
    allowed_hosts: tuple[str, ...] = ()
    # The slowest a download may average, in bytes a second, after twice `timeout` (<= 20 s).
    min_rate: float = 50_000.0

    def hosts(self, also: Iterable[str] = ()) -> tuple[str, ...]:
        """The hosts the publishers' client may reach: allowed_hosts, else the hosts of the
        publishers' URLs (GOV.UK's with the host it serves a release's files from); and the
        hosts of the URLs in `also` (ones the operator named: [sources], `wardwatch load
        URL`)."""
        assets = (GOV_UK_ASSETS,) if _host(self.gov_uk) == GOV_UK_HOST else ()
        named = self.allowed_hosts or (self.london_datastore, self.police_uk, self.gov_uk,
                                       *assets)
        hosts = [_host(h) if "/" in h else h.lower() for h in (*named, *also)]
        return tuple(dict.fromkeys(h for h in hosts if h))

    def client(self, also: Iterable[str] = ()) -> httpx.AsyncClient:
        """A client for the publishers (and the URLs in `also`), as configured: the
        User-Agent with the contact, the timeout, the hosts and the minimum rate."""
        from datastore.ingest.publishers import make_client

        return make_client(self.contact or None, timeout=self.timeout,
                           hosts=self.hosts(also), min_rate=self.min_rate)

    def sites(self) -> Publishers:
        """Where the publishers are and what to follow, for the check."""
        from datastore.ingest.follow import Publishers

        return Publishers(self.london_datastore, self.police_uk, self.crime_dataset,
                          self.stop_search_dataset, self.use_of_force_dataset,
                          gov_uk=self.gov_uk,
                          use_of_force_collection=self.use_of_force_collection)


@dataclass(frozen=True)
class PostcodesConfig:
    base_url: str = "https://api.postcodes.io"
    timeout: float = 2.0


@dataclass(frozen=True)
class ScheduleConfig:
    check_time: str = "07:00"
    timezone: str = "Europe/London"


@dataclass(frozen=True)
class LimitsConfig:
    """Telegram's flood limits (the overall one shared by replies, digests and replicas:
    bot/budget.py), and patience with errors in sending digests."""

    global_per_s: int = 30
    per_group_per_min: int = 20
    per_chat_per_s: int = 1
    in_flight: int = 8
    timeout: float = 10.0
    retry_backoff: float = 1.0
    max_attempts: int = 5


@dataclass(frozen=True)
class Config:
    storage_path: Path = field(default_factory=default_storage_path)
    # [storage] url: a PostgreSQL database instead of the SQLite file; its password from the
    # URL or WARDWATCH_DB_PASSWORD.
    storage_url: str | None = None
    storage_password: Secret | None = None
    # SQLite: seconds a leader's lease holds unrenewed (a dead leader is replaced after it).
    lease_seconds: float = 15.0
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    sources: SourcesConfig = field(default_factory=SourcesConfig)
    postcodes: PostcodesConfig = field(default_factory=PostcodesConfig)
    publishers: PublishersConfig = field(default_factory=PublishersConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    admin_ids: frozenset[int] = frozenset()
    source_file: Path | None = None

    @property
    def storage(self) -> Location:
        """Where the store is: the PostgreSQL database if [storage] url is set, else the
        SQLite file."""
        from datastore.storage.db import Location

        if self.storage_url:
            password = self.storage_password.reveal() if self.storage_password else None
            return Location(url=self.storage_url, password=password)
        return Location(path=self.storage_path)


_KNOWN: dict[str, set[str]] = {
    "telegram": {"token", "mode", "base_url", "webhook_url", "webhook_secret", "listen", "port"},
    "storage": {"path", "url", "lease_seconds"},
    "sources": {
        "ward_crime", "borough_crime", "stop_search", "taser", "population", "postcodes",
        "boundaries",
    },
    "postcodes": {"base_url", "timeout"},
    "publishers": {
        "enabled", "london_datastore", "police_uk", "crime_dataset", "stop_search_dataset",
        "use_of_force_dataset", "gov_uk", "use_of_force_collection", "contact", "timeout",
        "allowed_hosts", "min_rate",
    },
    "schedule": {"check_time", "timezone"},
    "admins": {"ids"},
    "limits": {
        "global_per_s", "per_group_per_min", "per_chat_per_s", "in_flight", "timeout",
        "retry_backoff", "max_attempts",
    },
}


def _table(raw: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: [{name}] must be a table")
    unknown = set(value) - _KNOWN[name]
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) in [{name}]: {', '.join(sorted(unknown))}")
    return value


def _str(table: Mapping[str, Any], key: str, section: str, where: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: [{section}] {key} must be a string")
    return value


def _sources(value: object, key: str, where: str, base: Path) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"{where}: [sources] {key} must be a path, a URL or a list of them")
    out = []
    for item in items:
        is_url = item.startswith(("http://", "https://"))
        out.append(item if is_url or Path(item).is_absolute() else str(base / item))
    return tuple(out)


def _limits(table: Mapping[str, Any], where: str) -> LimitsConfig:
    """[limits]: counts are whole numbers >= 1, times are seconds > 0."""
    default = LimitsConfig()
    values: dict[str, Any] = {}
    for key in ("global_per_s", "per_group_per_min", "per_chat_per_s", "in_flight",
                "max_attempts"):
        value = table.get(key, getattr(default, key))
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{where}: [limits] {key} must be a whole number, 1 or more")
        values[key] = value
    for key in ("timeout", "retry_backoff"):
        value = table.get(key, getattr(default, key))
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 600:
            raise ConfigError(f"{where}: [limits] {key} must be a number of seconds, "
                              "more than 0 and at most 600")
        values[key] = float(value)
    return LimitsConfig(**values)


def _storage_url(table: Mapping[str, Any], where: str, env: Mapping[str, str]
                 ) -> tuple[str | None, Secret | None]:
    """[storage] url: postgresql://user[:password]@host[:port]/database.  A password in the
    URL is taken out of it (kept as a Secret); else WARDWATCH_DB_PASSWORD's, if set."""
    url = _str(table, "url", "storage", where, "").strip()
    if not url:
        return None, None
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname \
            or not parts.path.strip("/"):
        raise ConfigError(f"{where}: [storage] url must be postgresql://user@host:port/database")
    user, _, password = parts.netloc.rpartition("@")[0].partition(":")
    if not user:
        raise ConfigError(f"{where}: [storage] url must name the user: "
                          "postgresql://user@host:port/database")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{where}: [storage] url has a port that is not a number") from None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = f"{user}@{host}" + (f":{port}" if port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    secret = unquote(password) if password else env.get(ENV_DB_PASSWORD, "")
    return clean, Secret(secret) if secret else None


def _publishers(table: Mapping[str, Any], where: str) -> PublishersConfig:
    """[publishers]: base URLs (http or https), dataset ids, a contact, a timeout."""
    default = PublishersConfig()
    enabled = table.get("enabled", default.enabled)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: [publishers] enabled must be true or false")
    texts: dict[str, str] = {}
    for key in ("london_datastore", "police_uk", "crime_dataset", "stop_search_dataset",
                "use_of_force_dataset", "gov_uk", "use_of_force_collection", "contact"):
        value = _str(table, key, "publishers", where, getattr(default, key)).strip()
        if key in ("london_datastore", "police_uk", "gov_uk"):
            if not value.startswith(("http://", "https://")) or not _host(value):
                raise ConfigError(f"{where}: [publishers] {key} must be an http(s) URL")
            if value.startswith("http://") and not _loopback(_host(value)):
                raise ConfigError(f"{where}: [publishers] {key} must be an https URL (plain "
                                  "http only to this machine: 127.0.0.1, ::1, localhost)")
            value = value.rstrip("/")
        elif key != "contact" and not value:
            raise ConfigError(f"{where}: [publishers] {key} must not be empty")
        texts[key] = value
    timeout = table.get("timeout", default.timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 600:
        raise ConfigError(f"{where}: [publishers] timeout must be a number of seconds, "
                          "more than 0 and at most 600")
    hosts = table.get("allowed_hosts", [])
    if not isinstance(hosts, list) or not all(
            isinstance(h, str) and HOST_RE.fullmatch(h.strip()) for h in hosts):
        raise ConfigError(f"{where}: [publishers] allowed_hosts must be a list of host names "
                          "(e.g. [\"data.london.gov.uk\", \"data.police.uk\"])")
    min_rate = table.get("min_rate", default.min_rate)
    if isinstance(min_rate, bool) or not isinstance(min_rate, int | float) or min_rate < 1000:
        raise ConfigError(f"{where}: [publishers] min_rate must be a number of bytes a second, "
                          "1000 or more")
    return PublishersConfig(enabled=enabled, timeout=float(timeout),
                            allowed_hosts=tuple(h.strip().lower() for h in hosts),
                            min_rate=float(min_rate), **texts)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _loopback(host: str) -> bool:
    from datastore.ingest.publishers._http import is_loopback

    return is_loopback(host)


def parse(raw: Mapping[str, Any], *, where: str = "config", base: Path | None = None,
          env: Mapping[str, str] | None = None) -> Config:
    """Build a Config from parsed TOML; relative paths are taken from `base`."""
    env = os.environ if env is None else env
    base = base or Path.cwd()
    unknown = set(raw) - set(_KNOWN)
    if unknown:
        raise ConfigError(f"{where}: unknown section(s): {', '.join(sorted(unknown))}")

    tg = _table(raw, "telegram", where)
    token_text = env.get(ENV_TOKEN) or tg.get("token") or ""
    if not isinstance(token_text, str):
        raise ConfigError(f"{where}: [telegram] token must be a string")
    mode = _str(tg, "mode", "telegram", where, "polling")
    if mode not in ("polling", "webhook"):
        raise ConfigError(f"{where}: [telegram] mode must be 'polling' or 'webhook', not {mode!r}")
    port = tg.get("port", 8443)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"{where}: [telegram] port must be a port number")
    secret = tg.get("webhook_secret")
    if secret not in (None, "") and not (isinstance(secret, str)
                                   and WEBHOOK_SECRET_RE.fullmatch(secret)):
        raise ConfigError(f"{where}: [telegram] webhook_secret must be 1 to 256 letters, "
                          "digits, _ or - (Telegram's rule)")
    telegram = TelegramConfig(
        token=Secret(token_text.strip()) if token_text.strip() else None,
        mode=mode,
        base_url=_base_url(tg.get("base_url"), where),
        webhook_url=tg.get("webhook_url") or None,
        webhook_secret=Secret(secret) if secret else None,
        listen=_str(tg, "listen", "telegram", where, "127.0.0.1"),
        port=port,
    )

    st = _table(raw, "storage", where)
    storage = Path(_str(st, "path", "storage", where, "")).expanduser() if "path" in st else None
    if storage is not None and not storage.is_absolute():
        storage = base / storage
    storage_url, storage_password = _storage_url(st, where, env)
    lease = st.get("lease_seconds", 15.0)
    if isinstance(lease, bool) or not isinstance(lease, int | float) or not 3 <= lease <= 300:
        raise ConfigError(f"{where}: [storage] lease_seconds must be a number of seconds, "
                          "3 to 300")

    src = _table(raw, "sources", where)
    sources = SourcesConfig(**{k: _sources(v, k, where, base) for k, v in src.items()})

    pc = _table(raw, "postcodes", where)
    timeout = pc.get("timeout", 2.0)
    if not isinstance(timeout, int | float) or not 0 < timeout <= 2.5:
        raise ConfigError(f"{where}: [postcodes] timeout must be a number of seconds, 0 to 2.5")
    postcodes = PostcodesConfig(
        base_url=_str(pc, "base_url", "postcodes", where, PostcodesConfig.base_url).rstrip("/"),
        timeout=float(timeout),
    )

    publishers = _publishers(_table(raw, "publishers", where), where)

    sc = _table(raw, "schedule", where)
    check_time = _str(sc, "check_time", "schedule", where, "07:00")
    hh, _, mm = check_time.partition(":")
    if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
        raise ConfigError(f"{where}: [schedule] check_time must be HH:MM, not {check_time!r}")
    schedule = ScheduleConfig(check_time, _str(sc, "timezone", "schedule", where, "Europe/London"))

    try:
        ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: [schedule] timezone {schedule.timezone!r} is not a known "
                          "timezone (e.g. Europe/London)") from None

    limits = _limits(_table(raw, "limits", where), where)

    ad = _table(raw, "admins", where)
    ids = ad.get("ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise ConfigError(f"{where}: [admins] ids must be a list of Telegram user ids")

    return Config(
        storage_path=storage or default_storage_path(),
        storage_url=storage_url,
        storage_password=storage_password,
        lease_seconds=float(lease),
        telegram=telegram,
        sources=sources,
        postcodes=postcodes,
        publishers=publishers,
        schedule=schedule,
        limits=limits,
        admin_ids=frozenset(ids),
    )


def load(path: str | Path | None = None, *, env: Mapping[str, str] | None = None) -> Config:
    """Load the config: the given path, else $WARDWATCH_CONFIG, else ./config.toml, else
    defaults."""
    env = os.environ if env is None else env
    chosen = Path(path) if path else Path(env[ENV_CONFIG]) if env.get(ENV_CONFIG) else None
    if chosen is None and Path("config.toml").is_file():
        chosen = Path("config.toml")
    if chosen is None:
        return parse({}, env=env)
    try:
        raw = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {chosen}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {chosen}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{chosen}: not valid TOML: {exc}") from None
    cfg = parse(raw, where=str(chosen), base=chosen.resolve().parent, env=env)
    return Config(**{**cfg.__dict__, "source_file": chosen})
