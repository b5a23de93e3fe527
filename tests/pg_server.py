"""A real PostgreSQL server for the tests: Debian's `postgresql` package, `initdb` into a new
temporary folder, run as an unprivileged user, on a free port of 127.0.0.1 (no Unix socket
anyone else could use: it lives in the server's own folder).

PostgreSQL refuses to run as root.  When the tests run as root, the server runs as the
`postgres` system user the package created (through `setpriv`), in a folder that user owns;
otherwise as the user running the tests.  Connections over TCP need the password
(scram-sha-256), so every test goes through the same password path as production.

One server per test process (a session fixture, so one per xdist worker), a database per test.
A watchdog shell stops the server if the test process dies without stopping it (a SIGKILL, a
crash): no postmaster outlives the tests.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Final

USER: Final = "wardwatch"
PASSWORD: Final = "not-a-real-secret-Zq81"
# Settings for speed only: a test server that loses its data on a power cut loses nothing.
FAST: Final = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
               "-c max_connections=200 -c shared_buffers=32MB")


class PostgresMissing(Exception):
    """PostgreSQL's server programs are not installed (Debian: apt-get install postgresql)."""


def bin_dir() -> Path:
    """The folder holding initdb and pg_ctl: the newest Debian-packaged version, else PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresMissing("PostgreSQL's initdb was not found: install it (Debian: apt-get "
                          "install postgresql); .ci/run does")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PgServer:
    """One PostgreSQL server in a temporary folder; `start()`, then `create_database()`."""

    def __init__(self) -> None:
        self.bin = bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="wardwatch-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self._as: list[str] = []
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        if os.geteuid() == 0:
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as = ["setpriv", f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}",
                        "--clear-groups", "--"]

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as, *args], cwd=self.root, capture_output=True,
                              text=True, timeout=120)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): "
                               f"{done.stdout}{done.stderr}{tail}")

    def start(self) -> PgServer:
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
        if self._as:
            os.chown(pwfile, *self._owner())
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", USER,
                  f"--pwfile={pwfile}", "--auth-local=trust", "--auth-host=scram-sha-256",
                  "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
        pwfile.unlink()
        for attempt in range(3):  # another process may take the free port first
            self.port = free_port()
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data),
                          "-l", str(self.root / "server.log"), "-w", "-t", "60", "-o",
                          f"-p {self.port} -c listen_addresses=127.0.0.1 "
                          f"-k {self.root} {FAST}", "start")
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        self._watch()
        return self

    def _owner(self) -> tuple[int, int]:
        st = self.root.stat()
        return st.st_uid, st.st_gid

    def _watch(self) -> None:
        """Stop the server once this process is gone, however it went."""
        stop = " ".join([*self._as, str(self.bin / "pg_ctl"), "-D", str(self.data),
                         "-m", "immediate", "-w", "stop"])
        self._watchdog = subprocess.Popen(
            ["sh", "-c", f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                         f"{stop} >/dev/null 2>&1; rm -rf {self.root}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)

    def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None
        if self.port:
            with contextlib.suppress(RuntimeError):  # already gone
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases --------------------------------------------------------------------------

    def url(self, database: str = "postgres", *, password: bool = False) -> str:
        """The URL of one database; with `password`, the password in it."""
        who = f"{USER}:{PASSWORD}" if password else USER
        return f"postgresql://{who}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run a statement outside any transaction, on the `postgres` database."""
        import psycopg

        with psycopg.connect(self.url(), password=PASSWORD, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create_database(self, template: str | None = None) -> str:
        """A new empty database (or a copy of `template`, which must have no connection);
        returns its name."""
        name = f"t{os.getpid()}_{next(self._names)}"
        copy = f" TEMPLATE {template}" if template else " TEMPLATE template0"
        for attempt in range(50):
            try:
                self.admin(f"CREATE DATABASE {name}{copy}")
                return name
            except Exception as exc:  # a template still in use for a moment: try again
                if "is being accessed by other users" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.1)
        raise AssertionError("unreachable")

    def drop_database(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
