"""Upgrading a deployment that holds data: a database built by the previous release's own code and
data reaches the current schema through db/migrations, once, in order, with nothing lost.

The previous release is checked out from git history (`git archive`), its demo files are generated
and imported by ITS code (`python -m migrate.demo`, `python -m migrate.demo_export`, `python -m
migrate`) into database A. The current code then upgrades A. The same files imported by the current
code into an empty database B are what a fresh install holds: every read query the pages run must
answer the same on A as on B, every row that existed must still be there, and every page renders.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys

import psycopg2
import pytest

from tests.helpers import ROOT, create_database, drop_database, figures, pg_rows, with_database

# The last release before schema migrations (stop 7's landing).
PREVIOUS_RELEASE = "fb5d4b91492b39ff63262add6e26a66deb9c9ad0"
PLAYS = 6_000       # demo export records: a few files of every shape, small enough for a quick test
# Tables the previous release had, compared column by column (its columns) before and after.
KEPT_TABLES = {"tracks": "track_id", "snapshots": "track_id, snapshot_date, time_range",
               "plays": "ended_at, ms_played, uri, track, artist", "import_runs": "run_id",
               "import_rejects": "run_id, table_name, row_key, reason", "play_items": "item_key"}
# Read queries whose answer depends on the import runs themselves (ids, times), not on the data.
RUN_QUERIES = {"import_runs_recent", "import_run_rejects", "data_version"}


def _release_tree(tmp_path_factory) -> str:
    if shutil.which("git") is None:
        pytest.skip("git is not installed: cannot check out the previous release")
    known = subprocess.run(["git", "-C", ROOT, "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
                           capture_output=True)
    if known.returncode != 0:
        pytest.skip(f"the previous release {PREVIOUS_RELEASE[:9]} is not in this clone's history (shallow?)")
    tree = tmp_path_factory.mktemp("previous_release")
    archive = subprocess.run(["git", "-C", ROOT, "archive", PREVIOUS_RELEASE], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return str(tree)


def _old(tree: str, url: str, *args: str) -> str:
    """Run `python -m ARGS` with the previous release's code on database `url`."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": tree, "MTM_NO_DEMO": "1"}
    proc = subprocess.run([sys.executable, "-m", *args], cwd=tree, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"previous release: python -m {' '.join(args)}: {proc.stderr[-2000:]}"
    return proc.stdout


def _empty_database(server_url: str, name: str) -> str:
    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'drop database if exists "{name}" with (force)')
        cur.execute(f'create database "{name}"')
    conn.close()
    return with_database(server_url, name)


def _columns(url: str) -> dict[str, list[str]]:
    """Per kept table: its stored (not generated) columns, in order."""
    out = {}
    for table in KEPT_TABLES:
        cols = [c for (c,) in pg_rows(url, "select column_name from information_schema.columns "
                                           "where table_name = %s and table_schema = 'public' "
                                           "and is_generated = 'NEVER' order by ordinal_position", (table,))]
        out[table] = cols
    return out


def _content(url: str, columns: dict[str, list[str]]) -> dict[str, tuple]:
    out = {}
    for table, cols in columns.items():
        order = KEPT_TABLES[table]
        row = ", ".join(f'"{c}"' for c in cols)
        out[table] = pg_rows(url, f"select count(*), md5(coalesce(string_agg(r::text, E'\\n' order by "
                                  f"{order}, r::text), '')) from (select {row} from {table}) r")[0]
    return out


@pytest.fixture(scope="module")
def upgraded(server_url, tmp_path_factory):
    """(A: the previous release's database upgraded, B: a fresh install of the same files,
    columns and content of A before the upgrade, migrations A had before)."""
    from db import schema

    tree = _release_tree(tmp_path_factory)
    files = tmp_path_factory.mktemp("release_files")
    demo_db, export = str(files / "demo.db"), str(files / "export")
    a = _empty_database(server_url, f"mtm_upgrade_a_{os.getpid()}")
    _old(tree, a, "migrate.demo", demo_db)
    _old(tree, a, "migrate.demo_export", export, "--records", str(PLAYS))
    _old(tree, a, "migrate", demo_db, "--json")
    _old(tree, a, "migrate", export, "--json")
    before_migrations = pg_rows(a, "select to_regclass('public.schema_migrations') is not null")[0][0]
    columns = _columns(a)
    before = _content(a, columns)

    schema.forget(a)
    schema.ensure_schema(a)              # what the app's start or `python -m migrate` does

    b = create_database(server_url, f"mtm_upgrade_b_{os.getpid()}")
    from migrate.api import run_import

    run_import(demo_db, b)
    run_import(export, b)
    yield {"a": a, "b": b, "columns": columns, "before": before, "had_migrations": before_migrations,
           "export": export}
    for name in (f"mtm_upgrade_a_{os.getpid()}", f"mtm_upgrade_b_{os.getpid()}"):
        drop_database(server_url, name)


def test_the_previous_release_had_no_migrations_and_held_data(upgraded):
    assert upgraded["had_migrations"] is False
    assert upgraded["before"]["tracks"][0] > 500 and upgraded["before"]["plays"][0] > 1000


def test_upgrade_applies_every_migration_once_in_order(upgraded):
    from db import schema

    rows = pg_rows(upgraded["a"], "select version, name, checksum from schema_migrations order by applied_at, version")
    assert [(v, n) for v, n, _ in rows] == [(m.version, m.name) for m in schema.migrations()]
    assert [c for *_, c in rows] == [m.checksum for m in schema.migrations()]
    # A second start (a new process) applies nothing.
    conn = psycopg2.connect(upgraded["a"])
    try:
        assert schema.pending(conn) == []
        assert schema.upgrade(conn) == []
    finally:
        conn.close()
    assert pg_rows(upgraded["a"], "select count(*) from schema_migrations")[0][0] == len(schema.migrations())


def test_upgrade_loses_no_row(upgraded):
    assert _content(upgraded["a"], upgraded["columns"]) == upgraded["before"]


def test_upgraded_database_answers_every_read_query_like_a_fresh_install(upgraded):
    """Every named read query, with its documented example parameters, gives the same rows on the
    upgraded database as on a fresh install of the same files: figures, search, explorer, history."""
    from db import queries

    names = sorted(n for n in queries.all_queries()
                   if not n.startswith("refresh_") and n not in RUN_QUERIES)
    assert len(names) > 50
    different = []
    for name in names:
        example = queries.get(name).example
        # computed_at: when an inventory was refreshed, not data.
        got = [queries.run(name, example, url=upgraded[side], cap=5000).df.drop(columns=["computed_at"], errors="ignore")
               for side in ("a", "b")]
        if not got[0].equals(got[1]):
            different.append(name)
    assert different == []


def test_every_page_renders_on_the_upgraded_database(upgraded, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DATABASE_URL", upgraded["a"])
    st.cache_data.clear()
    pages = ["dashboard.py"] + sorted(os.path.join("app_pages", f) for f in os.listdir(os.path.join(ROOT, "app_pages"))
                                      if f.endswith(".py"))
    for page in pages:
        at = AppTest.from_file(os.path.join(ROOT, page), default_timeout=120).run()
        assert not at.exception, (page, [e.message for e in at.exception])
        shown = " ".join(v for v, _ in figures(at).values()) + " ".join(m.value for m in at.markdown)
        assert "No data yet" not in shown, page


def test_a_failed_migration_names_itself_and_keeps_the_ones_before(server_url, tmp_path, monkeypatch):
    """A migration that fails is rolled back whole and named; those before it stay applied and the
    next start retries only from it."""
    from db import schema

    url = _empty_database(server_url, f"mtm_upgrade_fail_{os.getpid()}")
    try:
        folder = tmp_path / "migrations"
        shutil.copytree(schema.MIGRATIONS_DIR, folder)
        last = len(schema.migrations())
        (folder / f"{last + 1:04d}_broken.sql").write_text(
            "create table upgrade_half (x int);\nselect 1/0;\n", encoding="utf-8")
        monkeypatch.setattr(schema, "MIGRATIONS_DIR", str(folder))
        conn = psycopg2.connect(url)
        try:
            with pytest.raises(schema.MigrationFailed, match=rf"{last + 1:04d}_broken failed: division by zero"):
                schema.upgrade(conn)
            assert pg_rows(url, "select max(version) from schema_migrations")[0][0] == last
            assert pg_rows(url, "select to_regclass('public.upgrade_half')")[0][0] is None
            (folder / f"{last + 1:04d}_broken.sql").write_text("create table upgrade_half (x int);\n", encoding="utf-8")
            assert [m.name for m in schema.upgrade(conn)] == ["broken"]
        finally:
            conn.close()
    finally:
        drop_database(server_url, f"mtm_upgrade_fail_{os.getpid()}")


def test_a_migration_whose_connection_dies_names_itself_and_why(server_url, tmp_path, monkeypatch):
    """A migration that ends its connection (PostgreSQL stopping on a full disk; here the backend
    terminates itself) is named with PostgreSQL's own line, not the "connection already closed" of
    the rollback after it; the next start applies it."""
    from db import schema

    name = f"mtm_upgrade_dies_{os.getpid()}"
    url = _empty_database(server_url, name)
    try:
        folder = tmp_path / "migrations"
        shutil.copytree(schema.MIGRATIONS_DIR, folder)
        last = len(schema.migrations())
        step = folder / f"{last + 1:04d}_dies.sql"
        step.write_text("create table upgrade_dies (x int);\nselect pg_terminate_backend(pg_backend_pid());\n",
                        encoding="utf-8")
        monkeypatch.setattr(schema, "MIGRATIONS_DIR", str(folder))
        conn = psycopg2.connect(url)
        try:
            with pytest.raises(schema.MigrationFailed) as err:
                schema.upgrade(conn)
        finally:
            conn.close()
        assert f"{last + 1:04d}_dies failed: " in str(err.value)
        assert "terminating connection" in str(err.value) or "server closed the connection" in str(err.value)
        assert "already closed" not in str(err.value)
        assert pg_rows(url, "select max(version) from schema_migrations")[0][0] == last
        step.write_text("create table upgrade_dies (x int);\n", encoding="utf-8")
        conn = psycopg2.connect(url)
        try:
            assert [m.name for m in schema.upgrade(conn)] == ["dies"]
        finally:
            conn.close()
    finally:
        drop_database(server_url, name)


def test_python_m_db_schema_upgrades_and_lists_migrations(server_url):
    url = _empty_database(server_url, f"mtm_upgrade_cli_{os.getpid()}")
    try:
        proc = subprocess.run([sys.executable, "-m", "db.schema"], cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "DATABASE_URL": url}, timeout=120)
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.strip().splitlines()
        assert lines[0].startswith("0001_core  applied ")
        assert lines[-1].endswith(f"schema at version {len(lines) - 1}")
        again = subprocess.run([sys.executable, "-m", "db.schema"], cwd=ROOT, capture_output=True, text=True,
                               env={**os.environ, "DATABASE_URL": url}, timeout=120)
        assert again.stdout.strip().splitlines()[-1].startswith("0 migration(s) applied now")
    finally:
        drop_database(server_url, f"mtm_upgrade_cli_{os.getpid()}")


def test_migrations_are_numbered_without_gaps():
    from db import schema

    ms = schema.migrations()
    assert [m.version for m in ms] == list(range(1, len(ms) + 1))
    assert ms[0].name == "core" and all(m.checksum for m in ms)


def test_every_migration_file_is_its_recorded_text():
    """db/migrations/released.sha256 records each migration's checksum: a released migration's file
    never changes (a database that has it would not run it again), so a change to one fails here. A
    new migration is recorded when it is written (`sha256sum NNNN_name.sql >> released.sha256`)."""
    from db import schema

    with open(os.path.join(os.path.dirname(schema.READER_ROLE_SQL), "released.sha256"), encoding="utf-8") as f:
        recorded = dict(reversed(line.split()) for line in f if line.strip())
    files = {os.path.basename(m.path): m.checksum for m in schema.migrations()}
    assert files == recorded


def test_an_earlier_released_text_of_a_migration_is_not_an_edit():
    """0028's comment changed after its release (EARLIER_TEXTS_NOTE in db/schema.py): a database that
    applied either released text is not warned; any other checksum is an edit, and warned."""
    from db import schema

    current = {m.version: m.checksum for m in schema.migrations()}
    earlier = next(iter(schema.EARLIER_TEXTS[28]))
    assert earlier != current[28]
    assert schema.edited_after_applied(current) == []
    assert schema.edited_after_applied({**current, 28: earlier}) == []
    assert [m.version for m in schema.edited_after_applied({**current, 28: "0" * 64, 5: earlier})] == [5, 28]


def test_migration_0010_gives_old_plays_the_record_key_the_importer_gives_new_ones(upgraded):
    """record_key filled from raw_json by the migration (A) equals what the current importer
    computes from the same records (B), play for play; and the offline plays have one."""
    q = ("select ended_at, ms_played, coalesce(uri, artist || E'\\x1f' || track), source, record_key from plays "
         "order by 1, 2, 3, 4, 5")
    a, b = pg_rows(upgraded["a"], q), pg_rows(upgraded["b"], q)
    assert a == b
    assert sum(1 for *_, key in a if key) == pg_rows(upgraded["a"], "select count(*) from plays where "
                                                     "(raw_json->>'offline_timestamp')::numeric > 0")[0][0] > 0
    assert pg_rows(upgraded["a"], "select pg_get_indexdef('plays_natural_key'::regclass) like '%, record_key)'") \
        == [(True,)]


VACUUMED_SOON = {"autovacuum_vacuum_scale_factor=0.01", "autovacuum_vacuum_threshold=1000",
                 "autovacuum_vacuum_insert_scale_factor=0.01", "autovacuum_vacuum_insert_threshold=1000",
                 "autovacuum_analyze_scale_factor=0.02"}


def test_migration_0020_has_the_tables_read_by_index_only_scans_vacuumed_soon_after_a_change(upgraded):
    """Upgraded (A) and fresh (B) databases alike: every table a page reads with index-only scans is
    vacuumed by autovacuum once 1% of it changed (0020), not 20%, so the pages an import rewrote are
    all-visible again soon after it."""
    q = ("select relname, reloptions from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' "
         "and relname = any(%s) order by 1")
    tables = ["play_items", "plays", "plays_hourly", "plays_hourly_items", "plays_z_hourly", "plays_z_items",
              "plays_z_names", "plays_z_quarter", "plays_z_sessions", "plays_z_totals", "snapshots", "tracks"]
    for side in ("a", "b"):
        rows = pg_rows(upgraded[side], q, (tables,))
        assert [name for name, _ in rows] == tables
        assert all(VACUUMED_SOON <= set(options or ()) for _, options in rows), rows


LONG_RANGE = """
    with r as (select (select date_trunc('year', min(ended_at), 'UTC') + interval '1 month 5 days' from plays) as lo,
                      (select date_trunc('month', max(ended_at), 'UTC') - interval '3 days' from plays) as hi),
    got as (select i.name_key, sum(i.plays) as plays, sum(i.ms_played) as ms_played, sum(i.skips) as skips
            from r cross join lateral plays_z_totals_between(r.lo, r.hi, 'artist', 'all') i
            group by 1 having sum(i.plays) <> 0),
    want as (select plays_z_key('artist', p.kind, p.artist, p.artist) as name_key, count(*) as plays,
                    sum(p.ms_played) as ms_played, count(*) filter (where plays_z_is_skip(p.skipped, p.reason_end)) as skips
             from plays p, r where p.ended_at >= r.lo and p.ended_at < r.hi and p.artist is not null group by 1)
    select (select count(*) from got), (select count(*) from want),
           (select count(*) from (select * from got except select * from want) d),
           (select count(*) from (select * from want except select * from got) d)"""


def test_migration_0021_reads_a_long_range_of_the_upgraded_database_right(upgraded):
    """0021 reads an end of a range holding nine months or more of its year as the year less its
    other months (tests/test_plays_long_ranges.py checks it on years of plays against pandas): the
    upgraded database (A) has the same reader as a fresh one (B), and on both a range from the first
    year's February to the last month's end gives every artist's plays, minutes and skips as `plays`
    does."""
    definition = "select pg_get_functiondef('plays_z_totals_between'::regproc)"
    assert pg_rows(upgraded["a"], definition) == pg_rows(upgraded["b"], definition)
    assert "plays_z_head_as_year(lo, hi)" in pg_rows(upgraded["a"], definition)[0][0]
    for side in ("a", "b"):
        got, want, extra, missing = pg_rows(upgraded[side], LONG_RANGE)[0]
        assert got == want > 0 and extra == missing == 0, side


def test_migration_0023_puts_the_upgraded_play_items_most_streamed_first(upgraded):
    """search_play_items ranks the first matching items in the table's order: 0023 wrote the
    previous release's items back most streamed first (no row lost: test_upgrade_loses_no_row), as a
    fresh import writes them."""
    from tests.test_search_plays import streams_by_page

    for side in ("a", "b"):
        tops = streams_by_page(upgraded[side])
        assert len(tops) > 5 and tops == sorted(tops, reverse=True), side


def test_migration_0024_gives_the_upgraded_library_its_typo_fallback(upgraded):
    """search_tracks' typo fallback is the function 0024 adds (tracks_similar): on the upgraded
    database a misspelt artist is found by similar spelling, as on a fresh install."""
    from db import queries, search

    for side in ("a", "b"):
        found = queries.run("search_tracks", search.parse("radiohaed").params(51), url=upgraded[side]).df
        assert "Radiohead" in set(found.loc[found["match"] == "similar", "artist_name"]), side


@pytest.mark.parametrize("index, query, first_name", [
    ("tracks_name_fold_idx", "search_tracks", "select name from tracks order by track_id limit 1"),              # 0025
    ("play_items_name_fold_idx", "search_play_items",                                                             # 0026
     "select track from play_items where kind = 'music' order by item_key limit 1"),
])
def test_migrations_0025_and_0026_index_the_upgraded_names_for_search(upgraded, index, query, first_name):
    """0025 and 0026 build the name indexes over the tracks and played items the previous release
    imported, and a search by a name finds its row."""
    from db import queries, search

    for side in ("a", "b"):
        url = upgraded[side]
        assert pg_rows(url, "select count(*) from pg_indexes where indexname = %s", (index,)) == [(1,)], side
        name = pg_rows(url, first_name)[0][0]
        found = queries.run(query, search.parse(name).params(51), url=url).df
        assert name in set(found["name"]), side


@pytest.mark.parametrize("name", ["plays_totals", "plays_timeline", "plays_heatmap", "plays_by_hour", "plays_streaks"])
def test_migration_0027_gives_the_upgraded_database_local_time_by_arithmetic(upgraded, name):
    """0027's plays_z_local_day and plays_z_week_hour: on the upgraded database (A) as on a fresh one
    (B), a zone with one offset (Kolkata) gives the same rows with its offset added as converted row
    by row."""
    from db import queries, zones

    for side in ("a", "b"):
        url = upgraded[side]
        params = {**queries.get(name).example, "tz": "Asia/Kolkata", "since": "2000-01-01", "until": "2099-12-31"}
        rollups = zones.rollup_params(queries.run("plays_time_zone", {"tz": "Asia/Kolkata"}, url=url).df)
        assert rollups == {"quarter": True, "fixed_offset": 19_800}, side
        added = queries.run(name, {**params, **rollups}, url=url).df
        converted = queries.run(name, {**params, **rollups, "fixed_offset": None}, url=url).df
        assert len(added) > 0 and added.equals(converted), side


def test_the_export_imported_again_after_the_upgrade_adds_nothing(upgraded, server_url):
    """The previous release's plays, keyed anew by 0010, are recognised by the current importer: the
    same export imported again (into a copy of A) adds no play and changes no figure."""
    from db import engine
    from migrate.spotify_export import import_export

    engine.dispose_all()
    name, source = f"mtm_upgrade_c_{os.getpid()}", f"mtm_upgrade_a_{os.getpid()}"
    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'drop database if exists "{name}" with (force)')
        cur.execute(f'create database "{name}" template "{source}"')
    conn.close()
    c = with_database(server_url, name)
    try:
        hourly = "select hour_utc, kind, plays, ms_played from plays_hourly order by 1, 2"
        before = pg_rows(c, hourly)
        report = import_export(upgraded["export"], c)
        assert report.tables["plays"].inserted == 0 and report.tables["plays"].updated == 0
        assert all(f["inserted"] == 0 and f["duplicates"] == 0 for f in report.files)
        assert pg_rows(c, "select count(*) from plays") == pg_rows(upgraded["a"], "select count(*) from plays")
        assert pg_rows(c, hourly) == before
        assert report.verified, report.render()
    finally:
        drop_database(server_url, name)


def test_two_databases_of_one_server_set_up_the_reader_role_at_once(session_db):
    """reader_role.sql runs under the import lock, which belongs to one database, while roles belong to
    the whole server: a second database set up at the same moment sees no role yet, and its CREATE ROLE
    waits on the first one's uncommitted row, then fails on it once that commits (as two test workers, or
    two deployments sharing one server, met). Forced here: session A creates the role and holds its
    transaction open while session B runs the same script; B must finish without an error (one database
    stands in for two: the role's row is the server's either way). The role is renamed so the real one
    is left alone."""
    import threading

    from db import schema

    role = f"mtm_reader_race_{os.getpid()}"
    with open(schema.READER_ROLE_SQL, encoding="utf-8") as f:
        sql = f.read().replace("mtm_reader", role)
    a, b = psycopg2.connect(session_db), psycopg2.connect(session_db)
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with b.cursor() as cur:
                cur.execute(sql)
            b.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
            b.rollback()

    try:
        with a.cursor() as cur:
            cur.execute(sql)                                 # A: the role exists, uncommitted
        worker = threading.Thread(target=second)
        worker.start()
        worker.join(timeout=2)                               # B waits on A's row
        assert worker.is_alive(), "the second session did not wait: the race was not forced"
        a.commit()
        worker.join(timeout=30)
        assert not worker.is_alive() and errors == []
        with b.cursor() as cur:
            cur.execute("select pg_has_role(current_user, %s, 'member')", (role,))
            assert cur.fetchone()[0]
    finally:
        for conn in (a, b):
            conn.rollback()
        with a.cursor() as cur:
            cur.execute(f'drop owned by "{role}"')
            cur.execute(f'drop role if exists "{role}"')
        a.commit()
        a.close()
        b.close()


def test_migration_0028_reads_two_periods_that_hold_every_play_as_all_time_less_one(upgraded):
    """0028's plays_z_two_periods on the upgraded database (A) as on a fresh one (B): the data's two
    halves (they meet and hold every play, so the later one is all time less the earlier) rank the
    same artists with the same plays as each half's own top list (plays_top, which reads each range
    from its rows)."""
    from db import queries

    for side in ("a", "b"):
        url = upgraded[side]
        span = queries.run("plays_overview", {"tz": "Europe/Berlin"}, url=url).df.iloc[0]
        middle = span.first_day + (span.last_day - span.first_day) / 2
        a, b = (span.first_day, middle), (middle + dt.timedelta(days=1), span.last_day)
        params = {"tz": "Europe/Berlin", "kind": "music", "level": "artist", "min_seconds": 30}
        got = queries.run("plays_compare", {**params, "since_a": a[0], "until_a": a[1], "since_b": b[0],
                                            "until_b": b[1], "top": 10, "limit": 100}, url=url).df
        assert len(got) >= 10, side
        for period, (since, until) in (("a", a), ("b", b)):
            top = queries.run("plays_top", {**params, "since": since, "until": until, "order_by": "plays",
                                            "limit": 10_000}, url=url).df.set_index("name")["plays"]
            for r in got.itertuples():
                assert getattr(r, f"plays_{period}") == top.get(r.name, 0), (side, period, r.name)


def test_migration_0029_keys_the_year_rows_by_item_and_year(upgraded):
    """0029 re-creates plays_z_items_year_key_idx on (name_key, period_start) over the previous
    release's rows, on the upgraded database (A) as on a fresh one (B)."""
    for side in ("a", "b"):
        rows = pg_rows(upgraded[side], "select indexdef from pg_indexes where indexname = 'plays_z_items_year_key_idx'")
        assert len(rows) == 1 and "(name_key, period_start)" in rows[0][0] and "'year'" in rows[0][0], side


def test_migration_0030_reads_a_long_range_as_all_time_less_the_rest(upgraded):
    """0030's plays_z_outside_between on the upgraded database (A) as on a fresh one (B): over the data
    less its first and last months, plays_top and plays_counts read as all time less the rest
    (outside) give the same rows as read from the range's own rows."""
    from db import queries

    for side in ("a", "b"):
        url = upgraded[side]
        span = queries.run("plays_overview", {"tz": "Europe/Berlin"}, url=url).df.iloc[0]
        params = {"tz": "Europe/Berlin", "kind": "music", "level": "artist", "min_seconds": 30, "order_by": "plays",
                  "limit": 10_000, "since": span.first_day + dt.timedelta(days=31),
                  "until": span.last_day - dt.timedelta(days=31)}
        for name in ("plays_top", "plays_counts"):
            inside = queries.run(name, {**params, "outside": False}, url=url).df
            outside = queries.run(name, {**params, "outside": True}, url=url).df
            assert len(inside) > 0 and outside.equals(inside), (side, name)
