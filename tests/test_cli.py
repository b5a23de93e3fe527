"""`wardwatch` as a user runs it: a real process, a real store file, stdin and stdout."""

from __future__ import annotations

import functools
import gzip
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.console import save_new
from tests import raw
from tests.conftest import TEST_DATA
from tests.postcodes_io_fake import unused_base_url


def run(config: Path | None, *args: str, stdin: str = "", env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}
    if config is not None:
        full["WARDWATCH_CONFIG"] = str(config)
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          capture_output=True, timeout=timeout, env=full)


def write_config(tmp_path: Path, store: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\npath = "{store.as_posix()}"\n[postcodes]\nbase_url = ""\n'
                    + extra, encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path, db_copy: Path) -> Path:
    return write_config(tmp_path, db_copy)


def test_first_run_builds_the_store_from_the_snapshot(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, tmp_path / "new" / "store.sqlite3")
    done = run(cfg, "load")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Current data:" in out
    assert "ward_crime" in out and "2024-03 to 2026-03" in out
    assert f"{len(raw.postcodes()):,} rows" in out
    wide = raw.ward_crime()
    assert f"{len(wide) * len(raw.month_columns()):,} rows" in out
    assert (tmp_path / "new" / "store.sqlite3").is_file()


def test_ask_prints_the_answer(config: Path) -> None:
    done = run(config, "ask", "sw1a1aa")
    assert done.returncode == 0, done.stderr
    assert "SW1A 1AA is in St James's ward, Westminster." in done.stdout
    assert "<b>" not in done.stdout


def test_ask_json_lines_in_order(config: Path) -> None:
    queries = ["SW1A 1AA", "not a postcode", "E1", "E1 6AN", "M1 1AE", "N1 9ZZ", "", "BR1 1AA"]
    done = run(config, "ask", "--json", "-", stdin="\n".join(queries) + "\n")
    assert done.returncode == 0, done.stderr
    objects = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["query"] for o in objects] == queries
    assert [o["status"] for o in objects] == [
        "ok", "invalid", "outcode", "outside_met", "outside_met", "not_found", "invalid", "ok"]
    assert all(o["message"] for o in objects)
    ward = raw.postcode_row("BR1 1AA")["Admin_ward_code"]
    assert objects[-1]["crime"]["total"] == raw.ward_month_total(ward, raw.month_columns()[-1])


def test_ask_by_place(config: Path) -> None:
    """Names, sentences and near-misses, through `ask --json -`: the `choose` status and its
    candidates, `area` ward or borough."""
    queries = ["Hackney Central", "hackney", "Hackney borough", "E8 IDY",
               "my postcode is e8-1dy", "thanks!", "SE15 5AA vs E8 1DY"]
    done = run(config, "ask", "--json", "-", stdin="\n".join(queries) + "\n")
    assert done.returncode == 0, done.stderr
    ward, borough, hackney, near, sentence, thanks, compare = (
        json.loads(line) for line in done.stdout.splitlines())
    code = raw.postcode_row("E8 1DY")["Admin_ward_code"]
    assert (ward["status"], ward["area"], ward["ward"]["code"]) == ("ok", "ward", code)
    assert "postcode" not in ward
    assert ward["crime"]["total"] == raw.ward_month_total(code, raw.month_columns()[-1])
    assert borough["status"] == "choose"
    assert borough["candidates"][0] == {"kind": "borough", "code": "E09000012",
                                        "name": "Hackney", "borough": "Hackney"}
    assert {c["kind"] for c in borough["candidates"][1:]} == {"ward"}
    assert (hackney["status"], hackney["area"], hackney["crime"]["of"]) == ("ok", "borough", 32)
    assert "ward" not in hackney
    assert near["status"] == "choose" and near["candidates"][0]["code"] == "E8 1DY"
    assert near["candidates"][0]["kind"] == "postcode" and len(near["candidates"]) <= 3
    assert (sentence["status"], sentence["postcode"]) == ("ok", "E8 1DY")
    assert thanks["status"] == "invalid"
    assert compare["status"] == "compare"
    assert [p["ward"]["name"] for p in compare["parts"]] == ["Rye Lane", "Hackney Central"]
    assert compare["left_out"] == []


def test_ask_json_single(config: Path) -> None:
    done = run(config, "ask", "--json", "N1 9AA")
    data = json.loads(done.stdout)
    assert data["status"] == "ok" and data["ward"]["name"] == "Caledonian"


def _bad_ward_file(tmp_path: Path) -> Path:
    text = gzip.decompress(raw.WARD_CRIME.read_bytes()).decode("utf-8-sig").splitlines()
    header, first = text[0], text[1].split(",")
    first[6] = "-3"  # a negative count in the second month column
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([header, ",".join(first), *text[2:50]]) + "\n", encoding="utf-8")
    return path


def test_bad_file_is_rejected_and_figures_unchanged(config: Path, tmp_path: Path) -> None:
    before = run(config, "ask", "--json", "SW1A 1AA").stdout
    done = run(config, "load", str(_bad_ward_file(tmp_path)))
    assert done.returncode != 0
    assert "bad.csv" in done.stderr and "row 2" in done.stderr and "202404" in done.stderr
    assert "unchanged" in done.stderr
    assert run(config, "ask", "--json", "SW1A 1AA").stdout == before


def test_older_extract_is_refused_unless_forced(config: Path) -> None:
    older = TEST_DATA / "mps_ward_crime_recent24m_202402-202601.csv.gz"
    done = run(config, "load", str(older))
    assert done.returncode == 1
    assert "older" in done.stderr and "--force" in done.stderr
    assert json.loads(run(config, "ask", "--json", "N1 9AA").stdout)["crime"]["month"] == "2026-03"
    done = run(config, "load", "--force", str(older))
    assert done.returncode == 0, done.stderr
    assert "2024-02 to 2026-01" in done.stdout
    assert json.loads(run(config, "ask", "--json", "N1 9AA").stdout)["crime"]["month"] == "2026-01"


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    done = run(tmp_path / "nope.toml", "ask", "E1")
    assert done.returncode == 2
    assert "config file not found" in done.stderr


def test_bad_config_value_names_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[telegram]\nmode = "carrier-pigeon"\n', encoding="utf-8")
    done = run(cfg, "ask", "E1")
    assert done.returncode == 2 and "[telegram] mode" in done.stderr


def test_run_without_token_explains_in_one_line(config: Path) -> None:
    done = run(config, "run")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "@BotFather" in done.stderr and "WARDWATCH_TOKEN" in done.stderr


def test_no_command_with_a_token_says_how_to_run(config: Path) -> None:
    done = run(config, env={"WARDWATCH_TOKEN": "123:SECRET-TOKEN-VALUE"})
    assert done.returncode == 0
    assert "wardwatch run" in done.stdout and "wardwatch console" in done.stdout
    assert "SECRET-TOKEN-VALUE" not in done.stdout + done.stderr


def test_console_chat_through_stdin(config: Path) -> None:
    """`wardwatch` with no token: the console, through the same Application and handlers."""
    done = run(config, stdin="/start\nsw1a1aa\n10\n2\n/types\nhello\n99\n/quit\nE1\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "WardWatch console" in out
    assert "SW1A 1AA: St James's ward, Westminster." in out
    assert "[1] Crime by type   [2] Stop and search   [3] Taser" in out
    assert "Keyboard: [📍 Send my location]" in out  # /start's reply keyboard
    assert "ERROR" not in done.stderr and "went wrong" not in out  # PTB read back the reply
    assert "[10] Share ↗" in out and "(a link: https://t.me/share/url?url=" in out
    assert "Law used:" in out  # button 2 pressed: the answer redrawn in place
    assert out.index("redrawn in place") < out.index("Law used:")
    assert "[1] « Summary   [2] Crime by type   [3] Taser" in out
    assert "• Theft: Stealing without force" in out
    # "hello", and "99" (no such button): what the bot understands
    assert out.count("I answer with the police's published figures for a place") == 2
    assert "postcode district" not in out  # nothing after /quit is read
    assert out.rstrip().endswith("Bye.")
    assert "<b>" not in out


def test_console_ends_at_end_of_input(config: Path) -> None:
    done = run(config, "console", stdin="N1 9AA\n")
    assert done.returncode == 0 and "Caledonian" in done.stdout


def test_loading_the_same_files_again_changes_nothing(config: Path) -> None:
    first = run(config, "load")  # the bundled snapshot, already loaded
    assert first.returncode == 0, first.stderr
    assert "Nothing new" in first.stdout
    older = TEST_DATA / "mps_ward_crime_recent24m_202402-202601.csv.gz"
    assert "Loaded:" in run(config, "load", "--force", str(older)).stdout
    again = run(config, "load", str(older))
    assert again.returncode == 0 and "Nothing new" in again.stdout
    assert "2024-02 to 2026-01" in again.stdout  # still current, listed under Current data


def test_ask_detail_adds_minor_types(config: Path) -> None:
    done = run(config, "ask", "--detail", "SW1A 1AA")
    assert done.returncode == 0, done.stderr
    assert "Crime by type in St James's ward, Westminster, March 2026" in done.stdout
    assert "Law used:" in done.stdout


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, b""])
def test_a_broken_store_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(content)
    if not content:
        broken.unlink()
        broken.mkdir()  # a directory where the store file should be
    done = run(write_config(tmp_path, broken), "ask", "SW1A 1AA")
    assert done.returncode == 1
    assert "cannot use the store" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def file_server() -> Iterator[str]:
    """tests/data over HTTP on 127.0.0.1, as the London Datastore would serve a file."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(TEST_DATA)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_load_from_a_url(config: Path, file_server: str) -> None:
    url = f"{file_server}/mps_ward_crime_recent24m_202402-202601.csv.gz"
    done = run(config, "load", "--force", url)
    assert done.returncode == 0, done.stderr
    assert "2024-02 to 2026-01" in done.stdout and url in done.stdout


def test_a_missing_url_or_dead_server_is_rejected(config: Path, file_server: str) -> None:
    done = run(config, "load", f"{file_server}/no-such-file.csv")
    assert done.returncode == 1 and "HTTP 404" in done.stderr and "unchanged" in done.stderr
    done = run(config, "load", f"{unused_base_url()}/file.csv")
    assert done.returncode == 1 and "could not download" in done.stderr


def test_console_saves_pictures_and_downloads(config: Path, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    # Another user of the machine plants the folder the console used to write to, as a link
    # to a place of theirs (or to files of the user's they want overwritten).
    planted = tmp_path / "planted"
    planted.mkdir()
    (temp / "wardwatch").symlink_to(planted, target_is_directory=True)
    # The trend chart (6), then Download figures (8) and its CSV, JSON and Excel buttons.
    done = run(config, stdin="SE1 7PB\n6\n8\n1\n3\n2\n/quit\n", env={"TMPDIR": str(temp)})
    assert done.returncode == 0, done.stderr
    assert f"Pictures and downloads are saved in a new private folder in {temp}" in done.stdout
    saved = [Path(line.removeprefix("(saved to ").removesuffix(")"))
             for line in done.stdout.splitlines() if line.startswith("(saved to ")]
    assert [p.suffix for p in saved] == [".png", ".csv", ".json", ".xlsx"]
    [folder] = {p.parent for p in saved}
    assert folder.parent == temp and folder.name.startswith("wardwatch-")
    assert not folder.is_symlink() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 and p.stat().st_size > 0
               for p in saved)
    assert saved[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(planted.iterdir()) == []  # nothing written through the planted link


def test_console_files_never_go_through_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "wardwatch-map.png").symlink_to(victim)
    first = save_new(folder, "wardwatch-map.png", b"PNG one")
    second = save_new(folder, "../../wardwatch-map.png", b"PNG two")
    assert victim.read_text() == "precious"
    assert (first.name, second.name) == ("wardwatch-map-2.png", "wardwatch-map-3.png")
    assert first.read_bytes() == b"PNG one" and second.read_bytes() == b"PNG two"
    assert first.parent == second.parent == folder


def test_help_names_a_place_and_says_no_command_is_the_console() -> None:
    ask = run(None, "ask", "--help")
    assert ask.returncode == 0
    usage = ask.stdout.split("\n\n")[0]
    assert "PLACE" in usage and "postcode" not in usage
    assert "a ward or borough" in ask.stdout
    top = " ".join(run(None, "--help").stdout.split())
    assert "With no COMMAND, wardwatch starts the console chat" in top
    for command in ("chart", "map", "export"):
        usage = run(None, command, "--help").stdout.split("\n\n")[0]
        assert "PLACE" in usage and "postcode" not in usage, command


def _console(config: Path, stdin: str, env: dict[str, str], *, stderr_apart: bool,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The console as a terminal shows it: stdout and stderr in one stream (as on a screen),
    or stderr apart (redirected)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}
    full.update(env, WARDWATCH_CONFIG=str(config))
    return subprocess.run([sys.executable, "-m", "bot", "console"], input=stdin, text=True,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE if stderr_apart else subprocess.STDOUT,
                          timeout=timeout, env=full)


def test_console_logs_never_interleave_with_the_chat(tmp_path: Path, db_copy: Path) -> None:
    """postcodes.io unreachable: its warning goes to a log file the console names at start,
    not among the replies; with stderr redirected elsewhere, to stderr."""
    cfg = write_config(tmp_path, db_copy)
    cfg.write_text(cfg.read_text().replace('base_url = ""', f'base_url = "{unused_base_url()}"'
                                           '\ntimeout = 0.5'), encoding="utf-8")
    state = tmp_path / "state"
    env = {"XDG_STATE_HOME": str(state)}
    # N1 9ZZ is a valid London postcode missing from the bundled table: postcodes.io is asked.
    done = _console(cfg, "N1 9ZZ\nSW1A 1AA\n/quit\n", env, stderr_apart=False)
    assert done.returncode == 0, done.stdout
    out = done.stdout
    assert "could not be reached just now" in out and "St James's ward" in out
    assert "WARNING" not in out and "postcodes.io unavailable" not in out
    log_file = state / "wardwatch" / "log" / "console.log"
    assert f"Log messages go to {log_file}" in out
    logged = log_file.read_text(encoding="utf-8")
    # the postcodes.io client is datastore/query/postcodes_io.py since issue 19
    assert "WARNING datastore.query.postcodes_io: postcodes.io unavailable for N1" in logged
    assert "N1 9ZZ" not in logged  # the district, never the postcode
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    # stderr apart from the chat (2>file): the log goes there, as for every other command.
    apart = _console(cfg, "N1 9ZZ\n/quit\n", {"XDG_STATE_HOME": str(tmp_path / "other")},
                     stderr_apart=True)
    assert "postcodes.io unavailable for N1" in apart.stderr
    assert "WARNING" not in apart.stdout and "Log messages go to" not in apart.stdout
    assert not (tmp_path / "other").exists()


def test_console_first_run_shows_progress_while_it_builds_the_store(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, tmp_path / "new" / "store.sqlite3")
    done = _console(cfg, "SW1A 1AA\n/quit\n", {"XDG_STATE_HOME": str(tmp_path / "state")},
                    stderr_apart=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if "building the store" in line)
    built = next(i for i, line in enumerate(lines) if "the store is built" in line)
    answer = next(i for i, line in enumerate(lines) if "St James's ward" in line)
    assert first < built < answer
    steps = lines[first + 1:built]
    assert any("postcodes" in s for s in steps) and any("ward_crime" in s for s in steps)
    assert "building the store" not in done.stderr


def test_ask_first_run_shows_progress_on_a_terminal_and_stdout_stays_json(
        tmp_path: Path) -> None:
    """`ask --json` on a first run, stderr a terminal (a pty), stdout a pipe."""
    import pty

    cfg = write_config(tmp_path, tmp_path / "new" / "store.sqlite3")
    full = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}
    full["WARDWATCH_CONFIG"] = str(cfg)
    leader, follower = pty.openpty()
    seen: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the process has closed the terminal
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", "SW1A 1AA"],
                              stdout=subprocess.PIPE, stderr=follower, text=True,
                              timeout=120, env=full)
    finally:
        os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["status"] == "ok"  # nothing but the answer on stdout
    shown = b"".join(seen).decode("utf-8", "replace")
    assert "building the store from the bundled snapshot" in shown
    assert "reading mps_ward_crime" in shown
    assert "the store is built" in shown
