"""Test fixtures: a real PostgreSQL (the embedded one, or TEST_DATABASE_URL's server).

Each pytest session gets its own databases (`mtm_test_<pid>` for tests that write, `mtm_demo_<pid>`
with the demo data for page tests), dropped at the end, so parallel runs never see each other.
"""
from __future__ import annotations

import os

import pytest

from tests.helpers import (  # noqa: F401 - re-exported for tests not yet importing tests.helpers
    FIXTURES,
    ROOT,
    create_database,
    drop_database,
    make_sqlite,
    pg_rows,
    truncate_all,
    with_database,
)

_create, _drop = create_database, drop_database   # old names, for branches written before helpers.py


@pytest.fixture(scope="session")
def server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from db.config import normalise_url

        return normalise_url(url)
    from db import embedded

    return embedded.server_uri()


@pytest.fixture(scope="session")
def session_db(server_url):
    name = f"mtm_test_{os.getpid()}"
    url = create_database(server_url, name)
    yield url
    drop_database(server_url, name)


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
    url = create_database(server_url, name)
    path = str(tmp_path_factory.mktemp("demo") / "demo.db")
    demo.generate(path)
    import_sqlite(path, url)
    yield url
    drop_database(server_url, name)


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
    url = create_database(server_url, name)
    folder = tmp_path_factory.mktemp("export")
    plays_data.build_export(str(folder))
    run_import(str(folder), url)
    yield url
    drop_database(server_url, name)



@pytest.fixture(scope="session")
def hostile_db(server_url, tmp_path_factory):
    """A database whose every name is markdown, LaTeX, a link, an image, HTML or a formula
    (tests/hostile_data.py): a library from a SQLite file and plays from an export. Read only."""
    from migrate.api import run_import
    from migrate.sqlite_import import import_sqlite
    from tests import hostile_data

    name = f"mtm_hostile_{os.getpid()}"
    url = create_database(server_url, name)
    folder = tmp_path_factory.mktemp("hostile")
    import_sqlite(hostile_data.build_sqlite(folder / "hostile.db"), url)
    run_import(hostile_data.build_export(str(folder / "export")), url)
    yield url
    drop_database(server_url, name)


# Markers (pytest.ini): `db` for a test that needs PostgreSQL (it uses a database fixture),
# `browser` for Chromium, `slow` for whole-system runs. `make test-fast` runs the rest in seconds.
DB_FIXTURES = {"server_url", "session_db", "db_url", "demo_db", "demo_url", "empty_url", "plays_export_db",
               "hostile_db"}
SLOW_MODULES = {"test_upgrade", "test_faults", "test_hostile_input", "test_read_only_pages", "test_hostile_files"}


def pytest_collection_modifyitems(items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1]
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
        if module == "test_browser" or "browser" in module:
            item.add_marker(pytest.mark.browser)
        if module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
