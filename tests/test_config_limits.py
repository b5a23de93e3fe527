"""[limits] and [schedule] timezone: defaults, the example file, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import config
from bot.config import LimitsConfig
from bot.jobs import send_settings
from bot.ratelimit import Limits


def test_the_defaults_are_telegrams_limits(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = config.load(env={})
    assert cfg.limits == LimitsConfig(30, 20, 1, 8, 10.0, 1.0, 5)
    assert send_settings(cfg).limits == Limits(30, 20, 1)
    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    assert config.load(example, env={}).limits == cfg.limits


def test_limits_are_read(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[limits]\nglobal_per_s = 25\nper_group_per_min = 15\nper_chat_per_s = 1\n"
                 "in_flight = 4\ntimeout = 5\nretry_backoff = 0.5\nmax_attempts = 3\n"
                 '[schedule]\ntimezone = "UTC"\ncheck_time = "06:30"\n')
    cfg = config.load(f, env={})
    assert cfg.limits == LimitsConfig(25, 15, 1, 4, 5.0, 0.5, 3)
    assert (cfg.schedule.check_time, cfg.schedule.timezone) == ("06:30", "UTC")


@pytest.mark.parametrize(("text", "message"), [
    ("[limits]\nglobal_per_s = 0\n", "[limits] global_per_s must be a whole number, 1 or more"),
    ("[limits]\nper_chat_per_s = 1.5\n", "[limits] per_chat_per_s must be a whole number"),
    ('[limits]\nin_flight = "8"\n', "[limits] in_flight must be a whole number"),
    ("[limits]\nmax_attempts = true\n", "[limits] max_attempts must be a whole number"),
    ("[limits]\ntimeout = 0\n", "[limits] timeout must be a number of seconds"),
    ("[limits]\nretry_backoff = 9999\n", "[limits] retry_backoff must be a number of seconds"),
    ("[limits]\nburst = 3\n", "unknown key(s) in [limits]: burst"),
    ('[schedule]\ntimezone = "Europe/Londn"\n', "[schedule] timezone 'Europe/Londn' is not"),
    ('[schedule]\ntimezone = "../etc"\n', "[schedule] timezone"),
])
def test_bad_limits_and_timezones_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "c.toml"
    f.write_text(text)
    with pytest.raises(config.ConfigError, match=message.replace("[", r"\[").replace(
            "(", r"\(").replace(")", r"\)")):
        config.load(f, env={})
