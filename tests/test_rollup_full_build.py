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


TOTALS_FROM_YEARS = """
    select name_key, level, kind, sum(plays), sum(plays_10s), sum(plays_30s), sum(plays_60s), sum(ms_played),
           sum(skips), sum(skip_known), min(first_at), min(first_10s_at), min(first_30s_at), min(first_60s_at),
           max(last_at), max(last_10s_at), max(last_30s_at), max(last_60s_at)
    from plays_z_items where period = 'year' group by 1, 2, 3 order by 1"""
TOTALS = """
    select name_key, level, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips, skip_known, first_at,
           first_10s_at, first_30s_at, first_60s_at, last_at, last_10s_at, last_30s_at, last_60s_at
    from plays_z_totals order by 1"""


@pytest.mark.parametrize("change", ["add a day", "remove the first month", "shorten every first play"])
def test_all_time_totals_follow_an_import_that_changes_some_years(imported, change):
    """plays_z_totals moves by the difference of the rebuilt years (refresh_plays_z_d_years) and ends
    equal to every item's year rows summed: plays added (the extremes come from the new rows), plays
    removed and plays shortened (an item's first play may now be in another year: summed again)."""
    url, _ = imported
    assert pg_rows(url, TOTALS) == pg_rows(url, TOTALS_FROM_YEARS)
    changed = {
        "add a day": """
            insert into plays (ended_at, ms_played, kind, source, track_id, uri, track, artist, album, platform,
                               country, reason_start, reason_end, shuffle, skipped, offline, incognito, raw_json)
            select p.ended_at + interval '1 day', p.ms_played, p.kind, p.source, p.track_id, p.uri, p.track,
                   p.artist, p.album, p.platform, p.country, p.reason_start, p.reason_end, p.shuffle, p.skipped,
                   p.offline, p.incognito, p.raw_json
            from plays p where p.ended_at >= (select max(ended_at) - interval '1 day' from plays)
            returning ended_at""",
        "remove the first month": """
            delete from plays where ended_at < (select date_trunc('month', min(ended_at), 'UTC')
                                                       + interval '1 month' from plays)
            returning ended_at""",
        "shorten every first play": """
            update plays p set ms_played = 5000
            from (select distinct on (artist, track) ctid as row from plays order by artist, track, ended_at) f
            where p.ctid = f.row
            returning p.ended_at""",
    }[change]
    data.execute(url, f"""
        with changed as ({changed})
        insert into plays_dirty_hours (hour_utc)
        select distinct date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00') from changed""")
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        refresh_rollups(cur)
    conn.close()
    got, want = pg_rows(url, TOTALS), pg_rows(url, TOTALS_FROM_YEARS)
    assert [r for r in got if r not in want] == [r for r in want if r not in got]
    assert got == want
