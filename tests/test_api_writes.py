"""Listens and imports writing at once, listens matching export plays, and the token commands."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time

import pytest
import requests
from starlette.routing import Mount

from api.listenbrainz import ListenBrainzAPI
from api.ratelimit import RateLimiter
from tests import plays_data
from tests.api_server import listen, new_token, serve
from tests.conftest import ROOT, pg_rows

# Every rollup agrees with the plays (rebuilt from scratch here, compared row by row).
ROLLUPS_MATCH_PLAYS = """
with truth as (
  select date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00') as hour_utc, kind,
         count(*) as plays, sum(ms_played) as ms
  from plays group by 1, 2
), z as (
  select hour_utc, kind, plays, ms_played from plays_z_hourly
)
select (select count(*) from truth t full join plays_hourly h using (hour_utc, kind)
        where t.plays is distinct from h.plays or t.ms is distinct from h.ms_played),
       (select count(*) from truth t full join z using (hour_utc, kind)
        where t.plays is distinct from z.plays or t.ms is distinct from z.ms_played),
       (select coalesce(sum(plays), 0) from plays_z_sessions where kind = 'all') - (select count(*) from plays),
       (select coalesce(sum(plays), 0) from plays_z_items where period = 'year' and level = 'artist')
         - (select count(*) from plays where artist is not null)
"""


def _routes(url):
    return [Mount("/1", routes=ListenBrainzAPI(url, limiter=RateLimiter(100_000, 10),
                                               anonymous=RateLimiter(100_000, 10)).routes())]


@pytest.fixture
def server(db_url):
    with serve(_routes(db_url)) as url:
        yield url, new_token(db_url)


def submit(base, token, listens, listen_type="import"):
    r = requests.post(f"{base}/1/submit-listens", json={"listen_type": listen_type, "payload": listens},
                      headers={"Authorization": f"Token {token}"}, timeout=60)
    assert r.status_code == 200, r.text


def test_listens_during_an_import_are_each_stored_once(server, db_url, tmp_path):
    """An export import (its own long transaction, holding the import lock) and four clients
    submitting listens at the same time: every listen is one play, the import's report holds,
    and the rollups agree with the plays."""
    from migrate.api import run_import

    base, token = server
    folder = tmp_path / "export"
    plays_data.build_export(str(folder), records=30_000, edges=False)
    report: dict = {}
    import_done = threading.Event()

    def do_import():
        try:
            report["r"] = run_import(str(folder), db_url)
        finally:
            import_done.set()

    during = []     # listens whose request finished while the import had not committed

    def client(n):
        start = int(time.time()) - 86_400 * 2 + n * 10_000
        for i in range(25):
            # Clients listen while the import runs; every other one repeats its previous listen.
            at = start + 300 * (i - i % 2)
            submit(base, token, [listen(at, f"Client {n} song {i - i % 2}", duration_ms=200_000)], "single")
            if not import_done.is_set():
                during.append((n, i))

    importer = threading.Thread(target=do_import)
    importer.start()
    deadline = time.monotonic() + 60
    while not pg_rows(db_url, "select count(*) from import_runs where status = 'running'")[0][0]:
        assert time.monotonic() < deadline and importer.is_alive()
        time.sleep(0.01)
    clients = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    importer.join()
    wait_for_no_pending(db_url)

    r = report["r"]
    assert r.verified, r.checks
    assert during, "no listen was accepted while the import was running"
    listens = pg_rows(db_url, "select count(*) from plays where source = 'listenbrainz'")[0][0]
    assert listens == 4 * 13
    exported = pg_rows(db_url, "select count(*) from plays where source <> 'listenbrainz'")[0][0]
    assert exported == r.tables["plays"].inserted
    assert pg_rows(db_url, ROLLUPS_MATCH_PLAYS)[0] == (0, 0, 0, 0)
    assert rollups_differ_from_a_rebuild(db_url) == dict.fromkeys(ROLLUPS, 0)
    assert pg_rows(db_url, "select count(*) from data_changes where source = 'listen'")[0][0] >= 4 * 13


def _export_with(folder, ended: dt.datetime, ms: int, track: str) -> str:
    plays_data.write(str(folder), "Streaming_History_Audio_2025.json",
                     [plays_data.record(ended, ms, track, "Band")])
    return str(folder)


STARTED = dt.datetime(2025, 3, 1, 20, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("offset_s, kept", [(30, 1), (-45, 1), (300, 2)])
def test_export_first_then_the_same_stream_as_a_listen_is_one_play(server, db_url, tmp_path, offset_s, kept):
    from migrate.api import run_import

    base, token = server
    run_import(_export_with(tmp_path, STARTED + dt.timedelta(seconds=200), 200_000, "Same Song"), db_url)
    at = int(STARTED.timestamp()) + offset_s
    submit(base, token, [listen(at, "same song", "Band", duration_ms=210_000)], "single")
    assert pg_rows(db_url, "select count(*) from plays")[0][0] == kept
    assert pg_rows(db_url, "select count(*) from listens")[0][0] == 1
    assert pg_rows(db_url, ROLLUPS_MATCH_PLAYS)[0] == (0, 0, 0, 0)
    submit(base, token, [listen(at, "same song", "Band", duration_ms=210_000)], "single")    # retried
    assert pg_rows(db_url, "select count(*) from plays")[0][0] == kept


@pytest.mark.parametrize("length", [{}, {"duration_ms": 7_200_000}])     # the listen ends in the export's hour, or not
def test_listen_first_then_an_export_with_the_same_stream_keeps_the_export_play(server, db_url, tmp_path, length):
    from migrate.api import run_import

    base, token = server
    at = int(STARTED.timestamp()) + 20
    submit(base, token, [listen(at, "Same Song", "Band", **length), listen(at + 3600 * 3, "Other Song", "Band")])
    r = run_import(_export_with(tmp_path, STARTED + dt.timedelta(seconds=95), 95_000, "Same Song"), db_url)
    assert r.verified, r.checks
    assert pg_rows(db_url, "select source, track from plays order by ended_at") == [
        ("extended", "Same Song"), ("listenbrainz", "Other Song")]
    assert pg_rows(db_url, ROLLUPS_MATCH_PLAYS)[0] == (0, 0, 0, 0)
    submit(base, token, [listen(at, "Same Song", "Band", **length)])          # a client retrying: still one play
    assert pg_rows(db_url, "select count(*) from plays")[0][0] == 2


def _cli(*args, url):
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "api", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120)


def test_token_commands(db_url):
    with serve(_routes(db_url)) as base:
        made = _cli("token", "create", "phone", url=db_url)
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip().splitlines()[-1]
        check = requests.get(f"{base}/1/validate-token", headers={"Authorization": f"Token {token}"}, timeout=10)
        assert check.json()["user_name"] == "phone"
        assert _cli("token", "create", "phone", url=db_url).returncode == 2      # a valid token has the name
        listed = _cli("token", "list", url=db_url)
        assert "phone\tvalid" in listed.stdout and token not in listed.stdout
        assert pg_rows(db_url, "select count(*) from api_tokens where token_sha256 = sha256(%s::bytea)",
                       (token.encode(),))[0][0] == 1          # stored hashed
        assert _cli("token", "revoke", "phone", url=db_url).returncode == 0
        check = requests.get(f"{base}/1/validate-token", headers={"Authorization": f"Token {token}"}, timeout=10)
        assert check.json()["valid"] is False
        assert _cli("token", "revoke", "phone", url=db_url).returncode == 2
        again = _cli("token", "create", "phone", url=db_url)                      # a revoked name is reusable
        assert again.returncode == 0 and again.stdout.strip().splitlines()[-1] != token


ROLLUPS = ("plays_hourly", "plays_hourly_items", "play_items", "plays_z_hourly", "plays_z_quarter", "plays_z_items",
           "plays_z_names", "plays_z_sessions", "plays_z_totals")


def rollups_differ_from_a_rebuild(url) -> dict:
    """{rollup: rows that differ} between the rollups as they are and as a build from scratch makes
    them (refresh_plays_a_full and refresh_plays_z_a1..a3 on emptied rollups), in a rolled-back
    transaction."""
    import psycopg2

    from db import queries

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            for t in ROLLUPS:
                cur.execute(f"create temp table kept_{t} as select * from {t}")
                cur.execute(f"delete from {t}")
            for name in ("refresh_plays_a_full", "refresh_plays_z_a1_full_items", "refresh_plays_z_a2_full_sessions",
                         "refresh_plays_z_a3_full_hours", "refresh_plays_z_d2_totals"):
                cur.execute(queries.get(name).sql)
            out = {}
            for t in ROLLUPS:
                cur.execute(f"select (select count(*) from (select * from {t} except all select * from kept_{t}) a)"
                            f" + (select count(*) from (select * from kept_{t} except all select * from {t}) b)")
                out[t] = cur.fetchone()[0]
        return out
    finally:
        conn.rollback()
        conn.close()


def test_rollups_after_listens_equal_a_rebuild(server, db_url, tmp_path):
    """Listens update the month and year rows by adding to them (not by rebuilding the period):
    the result is what a build from scratch gives, for new rows and rows that existed."""
    from migrate.api import run_import

    base, token = server
    folder = tmp_path / "export"
    plays_data.build_export(str(folder), records=2_000, edges=False)
    run_import(str(folder), db_url)
    artist, track, album = pg_rows(db_url, "select artist, track, album from plays where kind = 'music' "
                                           "and ended_at > '2026-10-01' limit 1")[0]
    late = int(dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC).timestamp())
    known = dict(listen(late, track, artist), track_metadata={
        "artist_name": artist, "track_name": track, "release_name": album,
        "additional_info": {"duration_ms": 5_000, "media_player": "linux"}})
    batch = [known, listen(late + 900, "Brand new", artist, duration_ms=45_000),
             listen(late + 1800, "Brand new", "Another band"), listen(late + 86_400 * 22, "December", "Band")]
    submit(base, token, batch)
    submit(base, token, [listen(late + 7200, track, artist, duration_ms=20_000)], "single")
    assert pg_rows(db_url, "select count(*) from plays where source = 'listenbrainz'")[0][0] == 5
    assert rollups_differ_from_a_rebuild(db_url) == dict.fromkeys(ROLLUPS, 0)


def wait_for_no_pending(url, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while pg_rows(url, "select count(*) from listen_pending_hours")[0][0]:
        assert time.monotonic() < deadline, "deferred listens were never rebuilt"
        time.sleep(0.2)


def test_a_listen_during_another_refresh_commits_at_once_and_its_rollups_follow(server, db_url, monkeypatch):
    """Another writer's rollup refresh (an import's last step) holds the rollup lock: the listen
    does not wait for it; its play commits at once with its hours pending, and the API's drain
    rebuilds them once the lock is free."""
    import psycopg2

    from api import store
    from db.refresh import ROLLUP_LOCK_KEY

    base, token = server
    monkeypatch.setattr(store, "LOCK_TRY", "200ms")
    holder = psycopg2.connect(db_url)
    with holder.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(%s)", (ROLLUP_LOCK_KEY,))
    submit(base, token, [listen(int(time.time()) - 600, "Deferred", duration_ms=200_000)], "single")
    assert pg_rows(db_url, "select count(*) from plays")[0][0] == 1
    assert pg_rows(db_url, "select count(*) from listen_pending_hours")[0][0] == 1
    assert pg_rows(db_url, "select coalesce(sum(plays), 0) from plays_hourly")[0][0] == 0     # not yet
    assert pg_rows(db_url, "select count(*) from data_changes where source = 'listen'")[0][0] == 1
    time.sleep(1.5)
    assert pg_rows(db_url, "select count(*) from listen_pending_hours")[0][0] == 1          # still locked
    holder.rollback()
    holder.close()
    # Another listen of the same hour and month, before or after the drain (whichever is first):
    # as deltas onto rows that may lack the pending one, which the drain's rebuild makes right.
    submit(base, token, [listen(int(time.time()) - 300, "Deferred", duration_ms=100_000)], "single")
    wait_for_no_pending(db_url)
    assert pg_rows(db_url, "select coalesce(sum(plays), 0) from plays_hourly")[0][0] == 2
    assert rollups_differ_from_a_rebuild(db_url) == dict.fromkeys(ROLLUPS, 0)


def test_deltas_onto_rows_missing_a_deferred_listen_come_right_with_the_drain(db_url, monkeypatch):
    """store level, in a fixed order: a deferred listen, then a listen of the same hour and month
    added as deltas (the pending one not in the rows yet), then the drain."""
    import psycopg2

    from api import listens as lb
    from api import store
    from db.refresh import ROLLUP_LOCK_KEY

    monkeypatch.setattr(store, "LOCK_TRY", "100ms")
    # 20 minutes into the previous hour: the three listens below end in one hour, whatever the clock says.
    at = (int(time.time()) // 3600 - 1) * 3600 + 1200
    conn = psycopg2.connect(db_url)
    store.submit(conn, None, [lb.to_play(listen(at - 7200, "Zero", duration_ms=60_000))])    # rollups exist
    holder = psycopg2.connect(db_url)
    with holder.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(%s)", (ROLLUP_LOCK_KEY,))
    first = store.submit(conn, None, [lb.to_play(listen(at, "One", duration_ms=60_000))])
    holder.rollback()
    second = store.submit(conn, None, [lb.to_play(listen(at + 120, "Two", duration_ms=60_000)),
                                       lb.to_play(listen(at + 240, "One", duration_ms=60_000))])
    assert (first.deferred, second.deferred) == (True, False)
    # The hour was rebuilt with the second submit (all three plays); the month rows took deltas only.
    assert pg_rows(db_url, "select coalesce(sum(plays), 0) from plays_hourly")[0][0] == 4
    assert pg_rows(db_url, "select sum(plays) from plays_z_items where period = 'month' and level = 'track'")[0][0] == 3
    assert store.drain(conn) == 1
    assert store.drain(conn) == 0
    conn.close()
    holder.close()
    assert pg_rows(db_url, "select coalesce(sum(plays), 0) from plays_hourly")[0][0] == 4
    assert rollups_differ_from_a_rebuild(db_url) == dict.fromkeys(ROLLUPS, 0)
