"""The tests' PostgreSQL server: a real one, run as an unprivileged user, on 127.0.0.1 only,
asking every TCP connection for the password, a database of its own for each test."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.pg_server import PASSWORD, PgServer


def test_the_server_is_real_unprivileged_local_and_asks_for_the_password(
        pg_server: PgServer, pg_url: str) -> None:
    with psycopg.connect(pg_url, password=PASSWORD) as conn:
        (version,) = conn.execute("SHOW server_version_num").fetchone() or ("0",)
        assert int(version) >= 130000
        (listen,) = conn.execute("SHOW listen_addresses").fetchone() or ("",)
        assert listen == "127.0.0.1"
        (pid,) = conn.execute("SELECT pg_backend_pid()").fetchone() or (0,)
        owner = Path(f"/proc/{pid}/status").read_text().split("Uid:")[1].split()[0]
    assert int(owner) != 0  # never root
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(pg_url, password="wrong").close()


def test_each_test_has_a_database_of_its_own(pg_server: PgServer, pg_url: str) -> None:
    other = pg_server.create_database()
    try:
        with psycopg.connect(pg_url, password=PASSWORD, autocommit=True) as conn:
            conn.execute("CREATE TABLE only_here (x int)")
        with psycopg.connect(pg_server.url(other), password=PASSWORD) as conn:
            (found,) = conn.execute("SELECT to_regclass('only_here') IS NULL").fetchone() or ()
            assert found
    finally:
        pg_server.drop_database(other)
