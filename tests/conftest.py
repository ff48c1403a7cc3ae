"""Test fixtures: a real PostgreSQL (the embedded one, or TEST_DATABASE_URL's server).

Each pytest session gets its own databases (`mtm_test_<pid>` for tests that write, `mtm_demo_<pid>`
with the demo data for page tests), dropped at the end, so parallel runs never see each other.
"""
from __future__ import annotations

import os
import sqlite3
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from db.config import normalise_url

        return normalise_url(url)
    from db import embedded

    return embedded.server_uri()


def _create(server_url: str, name: str) -> str:
    from psycopg2 import sql

    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    conn.close()
    from db.schema import ensure_schema

    url = with_database(server_url, name)
    ensure_schema(url)
    return url


def _drop(server_url: str, name: str) -> None:
    from psycopg2 import sql

    from db import engine

    engine.dispose_all()
    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    conn.close()


@pytest.fixture(scope="session")
def session_db(server_url):
    name = f"mtm_test_{os.getpid()}"
    url = _create(server_url, name)
    yield url
    _drop(server_url, name)


def truncate_all(url: str) -> None:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        # Every table but the migrations' record: the schema itself stays as it is.
        cur.execute("select string_agg(format('%I', tablename), ', ') from pg_tables "
                    "where schemaname = 'public' and tablename <> 'schema_migrations'")
        tables = cur.fetchone()[0]
        if tables:
            cur.execute(f"truncate {tables} restart identity cascade")
        cur.execute("select matviewname from pg_matviews where schemaname = 'public'")
        for (mv,) in cur.fetchall():
            cur.execute(f'refresh materialized view "{mv}"')
    conn.close()


@pytest.fixture
def db_url(session_db, monkeypatch):
    """An empty database (schema applied) for one test; DATABASE_URL points at it."""
    truncate_all(session_db)
    monkeypatch.setenv("DATABASE_URL", session_db)
    return session_db


@pytest.fixture(scope="session")
def demo_db(server_url, tmp_path_factory):
    """A database holding the demo data (read-only use: page and query tests)."""
    from migrate import demo
    from migrate.sqlite_import import import_sqlite

    name = f"mtm_demo_{os.getpid()}"
    url = _create(server_url, name)
    path = str(tmp_path_factory.mktemp("demo") / "demo.db")
    demo.generate(path)
    import_sqlite(path, url)
    yield url
    _drop(server_url, name)


@pytest.fixture
def demo_url(demo_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_db)
    import streamlit as st

    st.cache_data.clear()
    return demo_db


@pytest.fixture
def empty_url(db_url):
    import streamlit as st

    st.cache_data.clear()
    return db_url


@pytest.fixture(scope="session")
def plays_export_db(server_url, tmp_path_factory):
    """A database holding the demo export and the edge plays (tests/plays_data.py), imported at once.
    Shared by the session: tests only read it."""
    from migrate.api import run_import
    from tests import plays_data

    name = f"mtm_plays_{os.getpid()}"
    url = _create(server_url, name)
    folder = tmp_path_factory.mktemp("export")
    plays_data.build_export(str(folder))
    run_import(str(folder), url)
    yield url
    _drop(server_url, name)


def pg_rows(url: str, sql: str, params=None) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


TRACKS_DDL = """create table tracks(track_id TEXT PRIMARY KEY, name TEXT, artist_name TEXT, album_name TEXT,
                duration_ms INTEGER, spotify_url TEXT, raw_json TEXT)"""
SNAPSHOTS_DDL = """create table snapshots(track_id TEXT, snapshot_date TEXT, time_range TEXT, rank INTEGER,
                   PRIMARY KEY (track_id, snapshot_date, time_range))"""


def make_sqlite(path, tracks=(), snapshots=(), *, keys: bool = True) -> str:
    """A Music Time Machine file at `path`; keys=False builds the older layout without primary keys."""
    con = sqlite3.connect(str(path))
    if keys:
        con.execute(TRACKS_DDL)
        con.execute(SNAPSHOTS_DDL)
    else:
        con.execute(TRACKS_DDL.replace(" PRIMARY KEY", ""))
        con.execute("create table snapshots(track_id TEXT, snapshot_date TEXT, time_range TEXT, rank INTEGER)")
    con.executemany("insert into tracks values (?,?,?,?,?,?,?)", list(tracks))
    con.executemany("insert into snapshots values (?,?,?,?)", list(snapshots))
    con.commit()
    con.close()
    return str(path)
