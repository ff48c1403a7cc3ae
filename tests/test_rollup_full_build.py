"""The rollups of plays built from scratch (a first import: refresh_plays_a_full and
refresh_plays_z_a1..a3, with the rollups' secondary indexes dropped and created again around them)
equal what the hour-by-hour refresh builds, and leave every index as the schema defines it.
"""
from __future__ import annotations

import os

import psycopg2
import pytest

from db import queries
from db.refresh import run as refresh_rollups
from migrate.api import run_import
from tests import plays_data as data
from tests.helpers import create_database, drop_database, pg_rows

# Every rollup of plays, with an order that makes its rows comparable.
ROLLUPS = {"plays_hourly": "hour_utc, kind", "plays_hourly_items": "hour_utc, item_key", "play_items": "item_key",
           "plays_z_hourly": "hour_utc, kind", "plays_z_quarter": "quarter_utc, kind",
           "plays_z_items": "period, period_start, level, name_key", "plays_z_names": "name_key",
           "plays_z_sessions": "kind, started_at", "plays_z_totals": "name_key"}
INDEXES = """select tablename, indexname, indexdef from pg_indexes
             where schemaname = 'public' and tablename = any(%s) order by 1, 2"""


def rollups(url: str) -> dict[str, list[tuple]]:
    return {t: pg_rows(url, f"select * from {t} order by {order}, 1, 2, 3") for t, order in ROLLUPS.items()}


def indexes(url: str) -> list[tuple]:
    return pg_rows(url, INDEXES, (list(ROLLUPS),))


def to_rebuild(url: str) -> list[str]:
    return queries.run("plays_rollup_indexes_to_rebuild", url=url).df["index_name"].tolist()


@pytest.fixture
def fresh_db(server_url, request):
    name = f"mtm_full_{os.getpid()}_{abs(hash(request.node.name)) % 10**6}"
    url = create_database(server_url, name)
    yield url
    drop_database(server_url, name)


@pytest.fixture
def imported(fresh_db, tmp_path):
    """fresh_db after one import of the demo export and the edge plays; the indexes it started with."""
    before = indexes(fresh_db)
    data.build_export(str(tmp_path))
    run_import(str(tmp_path), fresh_db)
    return fresh_db, before


def test_a_build_from_scratch_equals_rebuilding_every_hour(imported):
    url, _ = imported
    built = rollups(url)
    assert all(built.values()), "every rollup has rows"
    # every hour with a play listed as changed: the hour-by-hour path rebuilds everything over the rows
    data.execute(url, """insert into plays_dirty_hours (hour_utc)
                         select distinct date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00') from plays""")
    assert pg_rows(url, "select count(*) > 0 from plays_z_dirty_hours") == [(True,)]
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        refresh_rollups(cur)
    conn.close()
    assert rollups(url) == built
    assert pg_rows(url, "select (select count(*) from plays_dirty_hours) + (select count(*) from plays_z_dirty_hours)") \
        == [(0,)]


def test_a_first_import_leaves_every_rollup_index_as_the_schema_defines_it(imported):
    url, before = imported
    assert before and indexes(url) == before


def test_only_a_build_from_scratch_drops_indexes(imported):
    url, before = imported
    assert to_rebuild(url) == []                                    # rollups built: a later import keeps them
    data.execute(url, "truncate plays_z_hourly")
    z = to_rebuild(url)
    assert z and all(name.startswith("plays_z_") for name in z)    # the plays_z_* rollups are rebuilt
    data.execute(url, "truncate plays_hourly")
    both = to_rebuild(url)
    assert set(both) == {name for table, name, _ in before
                         if not name.endswith("_pkey")}             # primary keys stay: ON CONFLICT needs them
    data.execute(url, "truncate plays")
    assert to_rebuild(url) == []                                    # nothing to build without plays


def test_an_empty_import_builds_nothing_and_drops_nothing(fresh_db, tmp_path):
    before = indexes(fresh_db)
    data.write(str(tmp_path), data.EDGE_FILE, [])
    run_import(str(tmp_path), fresh_db)
    assert indexes(fresh_db) == before
    assert all(not rows for rows in rollups(fresh_db).values())


def test_a_page_reading_the_rollups_during_a_first_import_keeps_their_indexes(fresh_db, tmp_path):
    before = indexes(fresh_db)
    page = psycopg2.connect(fresh_db)
    with page.cursor() as cur:          # a read left open: the import cannot drop this rollup's indexes
        cur.execute("select count(*) from plays_z_items")
    try:
        data.build_export(str(tmp_path))
        report = run_import(str(tmp_path), fresh_db)
    finally:
        page.rollback()
        page.close()
    assert report.verified
    assert indexes(fresh_db) == before
    built = rollups(fresh_db)
    assert all(built.values())
    assert pg_rows(fresh_db, "select sum(plays) from plays_z_hourly") == pg_rows(fresh_db, "select count(*) from plays")
