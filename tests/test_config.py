"""Configuration: defaults, the search order, validation, and a token that never shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import config


def test_defaults_need_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = config.load(env={})
    assert cfg.telegram.token is None
    assert cfg.telegram.mode == "polling"
    assert cfg.storage_path.name == "wardwatch.sqlite3"
    assert tmp_path not in cfg.storage_path.parents  # a per-user directory, not the cwd
    assert cfg.sources.all() == ()
    assert cfg.schedule.check_time == "07:00"


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text('[schedule]\ncheck_time = "06:00"\n')
    env_file = tmp_path / "env.toml"
    env_file.write_text('[schedule]\ncheck_time = "05:00"\n')
    arg_file = tmp_path / "arg.toml"
    arg_file.write_text('[schedule]\ncheck_time = "04:00"\n')
    assert config.load(env={}).schedule.check_time == "06:00"
    assert config.load(env={"WARDWATCH_CONFIG": str(env_file)}).schedule.check_time == "05:00"
    assert config.load(arg_file, env={"WARDWATCH_CONFIG": str(env_file)}
                       ).schedule.check_time == "04:00"


def test_relative_paths_are_from_the_config_file(tmp_path: Path) -> None:
    f = tmp_path / "sub" / "c.toml"
    f.parent.mkdir()
    f.write_text('[storage]\npath = "db.sqlite3"\n[sources]\nward_crime = ["a.csv", '
                 '"https://example.org/b.csv"]\n')
    cfg = config.load(f, env={})
    assert cfg.storage_path == f.parent.resolve() / "db.sqlite3"
    assert cfg.sources.ward_crime == (str(f.parent.resolve() / "a.csv"),
                                      "https://example.org/b.csv")


def test_token_from_env_wins_and_never_shows(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('[telegram]\ntoken = "111:FILE-TOKEN"\n')
    cfg = config.load(f, env={"WARDWATCH_TOKEN": "222:ENV-TOKEN"})
    assert cfg.telegram.token is not None
    assert cfg.telegram.token.reveal() == "222:ENV-TOKEN"
    for text in (repr(cfg), str(cfg), repr(cfg.telegram), f"{cfg.telegram.token}"):
        assert "ENV-TOKEN" not in text and "FILE-TOKEN" not in text


@pytest.mark.parametrize(("text", "message"), [
    ("[nonsense]\n", "unknown section"),
    ("[telegram]\ncolour = 1\n", "unknown key"),
    ("[telegram]\nport = 99999\n", "[telegram] port"),
    ('[telegram]\nwebhook_secret = "has spaces"\n', "[telegram] webhook_secret"),
    (f'[telegram]\nwebhook_secret = "{"x" * 257}"\n', "[telegram] webhook_secret"),
    ('[schedule]\ncheck_time = "7am"\n', "[schedule] check_time"),
    ("[admins]\nids = ['me']\n", "[admins] ids"),
    ("[sources]\nward_crime = 3\n", "[sources] ward_crime"),
    ("[postcodes]\ntimeout = 30\n", "[postcodes] timeout"),
    ('[storage]\nurl = "mysql://u@h/db"\n', "[storage] url"),
    ('[storage]\nurl = "postgresql://h:5432/db"\n', "[storage] url must name the user"),
    ('[storage]\nurl = "postgresql://u@h:port/db"\n', "[storage] url has a port"),
    ('[storage]\nurl = "postgresql://u@h:5432"\n', "[storage] url"),
    ("[storage]\nlease_seconds = 1\n", "[storage] lease_seconds"),
    ("not = toml = at all", "not valid TOML"),
])
def test_bad_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "c.toml"
    f.write_text(text)
    with pytest.raises(config.ConfigError, match=message.replace("[", r"\[")):
        config.load(f, env={})


def test_the_example_config_is_valid_and_all_defaults(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    cfg = config.load(example, env={})
    assert cfg.telegram.token is None
    assert cfg.postcodes.base_url == "https://api.postcodes.io"


def test_a_database_url_and_its_password_never_show(tmp_path: Path) -> None:
    """[storage] url names a PostgreSQL database; its password comes from the URL (taken out
    of it) or else WARDWATCH_DB_PASSWORD, and no repr or message of the config shows it."""
    f = tmp_path / "c.toml"
    f.write_text('[storage]\nurl = "postgresql://ward:URL-PW@db.example:5433/wardwatch"\n')
    cfg = config.load(f, env={"WARDWATCH_DB_PASSWORD": "ENV-PW"})
    where = cfg.storage
    assert (where.dialect, where.url, where.password) == (
        "postgresql", "postgresql://ward@db.example:5433/wardwatch", "URL-PW")
    f.write_text('[storage]\nurl = "postgresql://ward@db.example/wardwatch"\n')
    cfg = config.load(f, env={"WARDWATCH_DB_PASSWORD": "ENV-PW"})
    assert cfg.storage.password == "ENV-PW"
    for text in (repr(cfg), str(cfg), repr(cfg.storage), str(cfg.storage)):
        assert "ENV-PW" not in text and "URL-PW" not in text
    assert config.load(tmp_path / "c.toml", env={}).storage.password is None
    no_url = config.parse({}, env={"WARDWATCH_DB_PASSWORD": "ENV-PW"})
    assert no_url.storage.dialect == "sqlite" and no_url.storage.password is None


def test_the_publishers_client_reaches_only_their_hosts_by_default() -> None:
    from bot.config import ConfigError, PublishersConfig, parse

    assert PublishersConfig().hosts() == (
        "data.london.gov.uk", "data.police.uk", "www.gov.uk", "assets.publishing.service.gov.uk")
    mirror = parse({"publishers": {"london_datastore": "http://127.0.0.1:8000",
                                   "police_uk": "https://police.example.org",
                                   "gov_uk": "http://[::1]:9000"}}, env={}).publishers
    assert mirror.hosts(["https://files.example.org/ward.csv"]) == (
        "127.0.0.1", "police.example.org", "::1", "files.example.org")
    named = parse({"publishers": {"allowed_hosts": ["Data.London.gov.uk"]}}, env={})
    assert named.publishers.hosts() == ("data.london.gov.uk",)
    with pytest.raises(ConfigError, match="must be an https URL"):
        parse({"publishers": {"london_datastore": "http://data.london.gov.uk"}}, env={})
    with pytest.raises(ConfigError, match="allowed_hosts"):
        parse({"publishers": {"allowed_hosts": ["https://data.london.gov.uk/x"]}}, env={})
    with pytest.raises(ConfigError, match="min_rate"):
        parse({"publishers": {"min_rate": 10}}, env={})
