"""The SQLite import: order, idempotency, updates, duplicates, rejects, bad files, concurrency."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from migrate.errors import UnusableInput
from migrate.sqlite_import import import_sqlite
from tests.helpers import FIXTURES, ROOT, make_sqlite, pg_rows

ALBUM = {"id": "al1", "name": "Alb", "release_date": "1999-03-01", "release_date_precision": "day"}


def track(tid, name="Song", artist="Artist", album="Alb", duration=200_000, raw=None, url=None):
    payload = raw if raw is not None else json.dumps({"id": tid, "name": name, "album": ALBUM,
                                                      "artists": [{"name": artist}]})
    return (tid, name, artist, album, duration, url or f"https://open.spotify.com/track/{tid}", payload)


def checksum(url: str) -> str:
    """A content checksum of both tables (order-independent)."""
    return pg_rows(url, """
        select md5(coalesce((select string_agg(md5(t::text), '' order by track_id)
                             from (select track_id, name, artist_name, album_name, duration_ms,
                                          spotify_url, raw_json from tracks) t), '')
                || coalesce((select string_agg(md5(s::text), '' order by track_id, snapshot_date, time_range)
                             from snapshots s), ''))""")[0][0]


def run_cli(*args, env_url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=env_url)
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_import_loads_tracks_then_snapshots(db_url, tmp_path):
    # The snapshot's track comes later in the file than the snapshot itself would need.
    path = make_sqlite(tmp_path / "a.db", [track("t1"), track("t2")],
                       [("t2", "2024-01-01", "short_term", 1), ("t1", "2024-01-01", "short_term", 2)])
    report = import_sqlite(path, db_url)
    assert report.tables["tracks"].inserted == 2
    assert report.tables["snapshots"].inserted == 2
    assert list(report.tables) == ["tracks", "snapshots"]
    assert report.verified


def test_rerun_of_same_file_changes_nothing(db_url, tmp_path):
    path = make_sqlite(tmp_path / "a.db", [track("t1"), track("t2", artist="Beyoncé")],
                       [("t1", "2024-01-01", "long_term", 1), ("t2", "2024-01-08", "long_term", 1)])
    import_sqlite(path, db_url)
    before = checksum(db_url)
    report = import_sqlite(path, db_url)
    assert checksum(db_url) == before
    assert report.tables["tracks"].written == 0 and report.tables["tracks"].unchanged == 2
    assert report.tables["snapshots"].written == 0 and report.tables["snapshots"].unchanged == 2


def test_verification_counts_every_row_and_reads_the_payloads_this_run_wrote(db_url, tmp_path):
    """The counts cover every row the source holds, on every run; the payloads' shape and nested
    field are checked over the rows the run wrote (VERIFY_NOTE in migrate/sqlite_import.py): all on
    a first import, none on an unchanged rerun, the edited one after an edit."""
    no_date = json.dumps({"id": "t3", "name": "Song", "album": {"id": "al2", "name": "Alb"},
                          "artists": [{"name": "Artist"}]})
    path = make_sqlite(tmp_path / "a.db", [track("t1"), track("t2"), track("t3", raw=no_date)],
                       [("t1", "2024-01-01", "short_term", 1)])

    def checks(report):
        assert report.verified
        return {c["check"]: c["detail"] for c in report.checks}

    first = checks(import_sqlite(path, db_url))
    assert first["nested field album.release_date"] == "extractable from 2 of the 3 payloads written"
    assert first["tracks count"].endswith("in PostgreSQL 3")
    again = checks(import_sqlite(path, db_url))
    assert again["nested field album.release_date"] == "no payload written in this run"
    assert again["tracks count"].endswith("in PostgreSQL 3") and again["snapshots count"].endswith("in PostgreSQL 1")
    con = sqlite3.connect(path)
    con.execute("update tracks set name = 'New name' where track_id = 't3'")
    con.commit()
    con.close()
    edited = checks(import_sqlite(path, db_url))
    assert edited["nested field album.release_date"] == "extractable from 0 of the 1 payloads written"
    assert edited["tracks count"].endswith("in PostgreSQL 3")


def test_row_edited_in_sqlite_is_updated_on_next_run(db_url, tmp_path):
    path = make_sqlite(tmp_path / "a.db", [track("t1", name="Old name")], [("t1", "2024-01-01", "short_term", 5)])
    import_sqlite(path, db_url)
    con = sqlite3.connect(path)
    con.execute("update tracks set name = 'New name' where track_id = 't1'")
    con.execute("update snapshots set rank = 2")
    con.commit()
    con.close()
    report = import_sqlite(path, db_url)
    assert report.tables["tracks"].updated == 1
    assert report.tables["snapshots"].updated == 1
    assert pg_rows(db_url, "select name from tracks") == [("New name",)]
    assert pg_rows(db_url, "select rank from snapshots") == [(2,)]


def test_a_rerun_checks_a_row_whose_bytes_hash_alike_but_types_differ(db_url, tmp_path):
    """Unchanged rows skip validation on a rerun only when their bytes are what was stored: a name
    that became a number (hashing as the text it was) is still rejected."""
    path = str(tmp_path / "a.db")
    con = sqlite3.connect(path)   # columns without a type: SQLite keeps each value's own type
    con.execute("create table tracks (track_id primary key, name, artist_name, album_name, duration_ms, "
                "spotify_url, raw_json)")
    con.execute("create table snapshots (track_id, snapshot_date, time_range, rank)")
    con.executemany("insert into tracks values (?,?,?,?,?,?,?)", [track("t1", name="5"), track("t2")])
    con.commit()
    con.close()
    import_sqlite(path, db_url)
    con = sqlite3.connect(path)
    con.execute("update tracks set name = 5 where track_id = 't1'")
    con.commit()
    con.close()
    report = import_sqlite(path, db_url)
    assert report.tables["tracks"].unchanged == 1 and report.tables["tracks"].rejected == 1
    assert "is a number" in report.rejects[0].reason


def index_definitions(url: str) -> list[tuple]:
    return pg_rows(url, "select indexrelid::regclass::text, pg_get_indexdef(indexrelid) from pg_index "
                        "where indrelid = 'tracks'::regclass order by 1")


def test_first_import_builds_the_indexes_of_tracks_after_its_copy(db_url, tmp_path, monkeypatch):
    from db import refresh
    from migrate import sqlite_import

    monkeypatch.setattr(sqlite_import, "REBUILD_INDEXES_FROM", 3)
    built = []
    real = refresh.create_indexes
    monkeypatch.setattr(refresh, "create_indexes", lambda cur, rebuild: (built.extend(rebuild), real(cur, rebuild)))
    before = index_definitions(db_url)
    path = make_sqlite(tmp_path / "a.db", [track(f"t{i}", name=f"Song {i}") for i in range(5)],
                       [("t1", "2024-01-01", "short_term", 1)])
    assert import_sqlite(path, db_url).verified
    assert {name for _, name, _ in built} >= {"tracks_raw_json_slim_idx", "tracks_search_idx"}
    assert index_definitions(db_url) == before
    assert pg_rows(db_url, """select track_id from tracks where raw_json @> '{"name": "Song 3"}'
                              and mtm_track_json_indexed(raw_json) @> '{"name": "Song 3"}'""") == [("t3",)]
    # Tracks no longer (almost) empty: the next import inserts into the indexes as they are.
    built.clear()
    more = make_sqlite(tmp_path / "b.db", [track(f"t{i}") for i in range(8)])
    assert import_sqlite(more, db_url).tables["tracks"].inserted == 3
    assert built == [] and index_definitions(db_url) == before


def test_failed_first_import_leaves_the_indexes_and_no_rows(db_url, tmp_path, monkeypatch):
    from migrate import sqlite_import
    from migrate.errors import ImportFailed

    monkeypatch.setattr(sqlite_import, "REBUILD_INDEXES_FROM", 3)
    before = index_definitions(db_url)

    def fail(*args):
        raise ImportFailed("the snapshots failed")

    monkeypatch.setattr(sqlite_import, "_import_snapshots", fail)
    path = make_sqlite(tmp_path / "a.db", [track(f"t{i}") for i in range(5)])
    with pytest.raises(ImportFailed):
        import_sqlite(path, db_url)
    assert index_definitions(db_url) == before
    assert pg_rows(db_url, "select count(*) from tracks") == [(0,)]
    assert pg_rows(db_url, "select status from import_runs order by run_id desc limit 1") == [("failed",)]


def test_an_import_whose_connection_dies_reports_why_not_the_closed_connection(db_url, tmp_path, monkeypatch):
    """When the server ends the import's connection (a full disk makes PostgreSQL stop; here the
    backend is terminated mid-import), the one-line error is PostgreSQL's own, not the "connection
    already closed" of the rollback after it; nothing is written, and the next import runs."""
    from migrate import sqlite_import
    from migrate.errors import ImportFailed

    def die(cur, *args):
        cur.execute("select pg_terminate_backend(pg_backend_pid())")

    monkeypatch.setattr(sqlite_import, "_import_snapshots", die)
    path = make_sqlite(tmp_path / "a.db", [track(f"t{i}") for i in range(5)])
    with pytest.raises(ImportFailed) as err:
        import_sqlite(path, db_url)
    message = str(err.value)
    assert message.startswith("import failed in PostgreSQL: ") and ("terminating connection" in message
                                                                     or "server closed the connection" in message), message
    assert "\n" not in message and "already closed" not in message
    assert pg_rows(db_url, "select count(*) from tracks") == [(0,)]
    monkeypatch.undo()
    assert import_sqlite(path, db_url).tables["tracks"].inserted == 5


def test_an_import_into_a_table_analysed_empty_leaves_it_analysed_with_its_rows(db_url, tmp_path, monkeypatch):
    """The verify and refresh queries later in the import's transaction are planned from these
    statistics (a table last analysed empty was planned as one row)."""
    from migrate import sqlite_import

    monkeypatch.setattr(sqlite_import, "ANALYZE_FROM", 3)
    monkeypatch.setattr(sqlite_import, "REBUILD_INDEXES_FROM", 10**9)   # an index build counts rows too
    import psycopg2

    conn = psycopg2.connect(db_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("analyze tracks")
        cur.execute("analyze snapshots")
    conn.close()
    path = make_sqlite(tmp_path / "a.db", [track(f"t{i}") for i in range(6)],
                       [(f"t{i}", "2024-01-01", "short_term", i + 1) for i in range(6)])
    import_sqlite(path, db_url)
    assert pg_rows(db_url, "select relname, reltuples from pg_class where relname in ('tracks', 'snapshots') "
                           "order by 1") == [("snapshots", 6.0), ("tracks", 6.0)]


def test_duplicates_in_older_files_without_keys_collapse(db_url, tmp_path):
    path = make_sqlite(tmp_path / "old.db", [track("t1"), track("t1"), track("t1", name="Last")],
                       [("t1", "2024-01-01", "short_term", 1)] * 3, keys=False)
    report = import_sqlite(path, db_url)
    assert report.tables["tracks"].duplicates == 2
    assert report.tables["snapshots"].duplicates == 2
    assert pg_rows(db_url, "select name from tracks") == [("Last",)]  # the last copy wins
    assert pg_rows(db_url, "select count(*) from snapshots") == [(1,)]
    assert report.verified


def test_import_unwraps_double_encoded_raw_json(db_url, tmp_path):
    obj = {"id": "t1", "album": ALBUM}
    path = make_sqlite(tmp_path / "a.db", [track("t1", raw=json.dumps(json.dumps(obj)))])
    import_sqlite(path, db_url)
    assert pg_rows(db_url, "select jsonb_typeof(raw_json), raw_json->'album'->>'release_date' from tracks") == \
        [("object", "1999-03-01")]


def test_number_beyond_a_double_is_kept_as_postgresql_accepts_it(db_url, tmp_path):
    path = make_sqlite(tmp_path / "a.db", [track("t1", raw='{"big": 1e400, "id": "t1"}')])
    report = import_sqlite(path, db_url)
    assert report.tables["tracks"].rejected == 0
    assert pg_rows(db_url, "select (raw_json->>'big')::numeric > 1e399 from tracks") == [(True,)]


def test_null_raw_json_stays_null(db_url, tmp_path):
    path = make_sqlite(tmp_path / "a.db", [("t1", "Song", "Artist", None, None, None, None)])
    report = import_sqlite(path, db_url)
    assert report.tables["tracks"].inserted == 1
    assert pg_rows(db_url, "select raw_json is null from tracks") == [(True,)]


BAD_TRACKS = [
    (("t1", None, "Artist", None, None, None, None), "name is missing"),
    (("t1", "Song", None, None, None, None, None), "artist_name is missing"),
    (("x" * 65, "Song", "Artist", None, None, None, None), "at most 64"),
    ((None, "Song", "Artist", None, None, None, None), "track_id is missing"),
    (("", "Song", "Artist", None, None, None, None), "track_id is empty"),
    (("t1", "So\x00ng", "Artist", None, None, None, None), "NUL byte"),
    (("t1", "Song", "Artist", "Al\x00bum", None, None, None), "NUL byte"),
    (("t1", "Song", "Artist", None, None, None, "{not json"), "not valid JSON"),
    (("t1", "Song", "Artist", None, None, None, "[1, 2]"), "array, not an object"),
    (("t1", "Song", "Artist", None, None, None, '"just a string"'), "not an object"),
    (("t1", "Song", "Artist", None, None, None, '{"a": NaN}'), "not valid JSON"),
    (("t1", "Song", "Artist", None, None, None, '{"a": "\\u0000"}'), "NUL character"),
    (("t1", "Song", "Artist", None, None, None, '{"a": "\\ud800"}'), "PostgreSQL refused the row"),
    (("t1", "Song", "Artist", None, None, None, '{"a": 1e999999}'), "PostgreSQL refused the row: value overflows"),
    (("t1", "Song", "Artist", None, None, None, ""), "not valid JSON"),
    (("t1", "Song", "Artist", None, "long", None, None), "not an integer"),
    (("t1", "Song", "Artist", None, 1.5, None, None), "not an integer"),
    (("t1", "Song", "Artist", None, 2**40, None, None), "out of the integer range"),
    (("t1", "Song", "Artist", None, -5, None, None), "must be >= 0"),
    (("t1", b"\xff\xfe bad utf8", "Artist", None, None, None, None), "not valid UTF-8"),
    (("t1", "Song'); drop table tracks; --", "Artist", None, None, None, "{\"x\": \"'; drop table tracks; --\"}"),
     None),  # SQL in data is just data
]


@pytest.mark.parametrize("row,reason", BAD_TRACKS, ids=[r or "sql-in-data" for _, r in BAD_TRACKS])
def test_bad_track_row_is_rejected_with_reason_and_neighbours_land(db_url, tmp_path, row, reason):
    path = make_sqlite(tmp_path / "a.db", [track("ok1"), row, track("ok2")],
                       [("ok1", "2024-01-01", "short_term", 1)], keys=False)
    report = import_sqlite(path, db_url)
    ids = {r[0] for r in pg_rows(db_url, "select track_id from tracks")}
    assert {"ok1", "ok2"} <= ids
    if reason is None:
        assert report.tables["tracks"].rejected == 0 and len(ids) == 3
        assert pg_rows(db_url, "select name from tracks where track_id = 't1'") == [("Song'); drop table tracks; --",)]
        return
    assert report.tables["tracks"].rejected == 1
    assert reason in report.rejects[0].reason
    assert report.rejects[0].table == "tracks"
    assert report.verified
    stored = pg_rows(db_url, "select table_name, reason from import_rejects")
    assert stored == [("tracks", report.rejects[0].reason)]


BAD_SNAPSHOTS = [
    (("t1", "2024-02-30", "short_term", 1), "not a possible date"),
    (("t1", "", "short_term", 1), "snapshot_date is empty"),
    (("t1", None, "short_term", 1), "snapshot_date is missing"),
    (("t1", "yesterday", "short_term", 1), "not a date"),
    (("t1", "2024-01-01", "short_term", 0), "must be positive"),
    (("t1", "2024-01-01", "short_term", -3), "must be positive"),
    (("t1", "2024-01-01", "short_term", None), "rank is missing"),
    (("t1", "2024-01-01", "forever", 1), "not short_term"),
    (("nope", "2024-01-01", "short_term", 1), "not in tracks"),
]


@pytest.mark.parametrize("row,reason", BAD_SNAPSHOTS, ids=[r for _, r in BAD_SNAPSHOTS])
def test_bad_snapshot_row_is_rejected_with_reason(db_url, tmp_path, row, reason):
    path = make_sqlite(tmp_path / "a.db", [track("t1")], [row, ("t1", "2024-03-01", "long_term", 1)], keys=False)
    report = import_sqlite(path, db_url)
    assert report.tables["snapshots"].rejected == 1
    assert reason in report.rejects[0].reason
    assert pg_rows(db_url, "select count(*) from snapshots") == [(1,)]
    assert report.verified


def test_snapshot_of_rejected_track_says_so(db_url, tmp_path):
    path = make_sqlite(tmp_path / "a.db", [("t1", None, "A", None, None, None, None)],
                       [("t1", "2024-01-01", "short_term", 1)])
    report = import_sqlite(path, db_url)
    assert [r.reason for r in report.rejects if r.table == "snapshots"] == ["track_id 't1': its track was rejected"]


@pytest.mark.parametrize("content,message", [
    (None, "no such file"),
    (b"", "not a SQLite database"),
    (b"hello, this is text", "not a SQLite database"),
    (b"SQLite format 3\x00" + b"\x00" * 200, "not a usable SQLite database"),
])
def test_unusable_file_raises_and_writes_nothing(db_url, tmp_path, content, message):
    path = tmp_path / "bad.db"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UnusableInput, match=message):
        import_sqlite(str(path), db_url)
    assert pg_rows(db_url, "select count(*) from import_runs") == [(0,)]


@pytest.mark.parametrize("ddl,message", [
    ("create table tracks(track_id TEXT)", "table 'snapshots' is missing"),
    ("create table other(x)", "table 'tracks' and 'snapshots' are missing"),
    ("create table tracks(track_id TEXT, name TEXT); create table snapshots(track_id, snapshot_date, time_range, rank)",
     "lacks column(s) artist_name"),
])
def test_file_without_the_tables_is_unusable(db_url, tmp_path, ddl, message):
    path = tmp_path / "x.db"
    con = sqlite3.connect(path)
    con.executescript(ddl)
    con.close()
    with pytest.raises(UnusableInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_sqlite(str(path), db_url)


def test_cli_exit_codes_and_json_summary(db_url, tmp_path):
    path = make_sqlite(tmp_path / "a.db", [track("t1"), ("t2", None, "A", None, None, None, None)],
                       [("t1", "2024-01-01", "short_term", 1)])
    done = run_cli(path, "--json", env_url=db_url)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["tracks"]["read"] == 2 and summary["tracks"]["written"] == 1 and summary["tracks"]["rejected"] == 1
    assert summary["snapshots"] == {**summary["snapshots"], "read": 1, "written": 1, "rejected": 0}
    assert summary["rejects"] == [{"table": "tracks", "key": "t2", "reason": "name is missing (NULL)"}]
    assert summary["verified"] is True

    missing = run_cli(str(tmp_path / "nope.db"), env_url=db_url)
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0 and "Traceback" not in missing.stderr

    (tmp_path / "text.db").write_text("not sqlite")
    assert run_cli(str(tmp_path / "text.db"), env_url=db_url).returncode == 2

    down = run_cli(path, env_url="postgresql://nobody:secret@127.0.0.1:1/none")
    assert down.returncode == 1
    assert "Traceback" not in down.stderr and "secret" not in down.stderr
    assert down.stderr.strip().count("\n") == 0


def test_import_run_is_recorded_with_its_rejects(db_url, tmp_path):
    path = make_sqlite(tmp_path / "a.db", [track("t1"), ("t2", None, "A", None, None, None, None)])
    report = import_sqlite(path, db_url)
    runs = pg_rows(db_url, "select run_id, status, kind, summary->'tracks'->>'rejected' from import_runs")
    assert runs == [(report.run_id, "done", "sqlite", "1")]
    assert pg_rows(db_url, "select row_key from import_rejects where run_id = %s", (report.run_id,)) == [("t2",)]


def test_concurrent_imports_are_serialised_without_duplicates(db_url, tmp_path):
    tracks = [track(f"t{i}") for i in range(300)]
    snaps = [(f"t{i}", "2024-01-01", "short_term", i + 1) for i in range(50)]
    path = make_sqlite(tmp_path / "a.db", tracks, snaps)
    notices: list[str] = []
    reports, errors = [], []

    def worker():
        try:
            reports.append(import_sqlite(path, db_url, notice=notices.append))
        except Exception as exc:  # pragma: no cover - a failure shows in the assertion
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(r.tables["tracks"].inserted for r in reports) == 300
    assert pg_rows(db_url, "select count(*) from tracks") == [(300,)]
    assert pg_rows(db_url, "select count(*) from snapshots") == [(50,)]
    assert all(r.verified for r in reports)


def test_waiting_import_is_told_it_waits(db_url, tmp_path):
    import psycopg2

    from migrate.runs import IMPORT_LOCK_KEY

    path = make_sqlite(tmp_path / "a.db", [track("t1")])
    holder = psycopg2.connect(db_url)
    holder.cursor().execute("select pg_advisory_lock(%s)", (IMPORT_LOCK_KEY,))
    notices: list[str] = []
    t = threading.Thread(target=lambda: import_sqlite(path, db_url, notice=notices.append))
    t.start()
    t.join(timeout=2)
    assert t.is_alive()  # blocked behind the lock
    holder.close()
    t.join(timeout=60)
    assert not t.is_alive()
    assert notices and "waiting" in notices[0]


def test_interrupted_run_is_marked_by_the_next_import(db_url, tmp_path):
    import psycopg2

    conn = psycopg2.connect(db_url)
    with conn, conn.cursor() as cur:
        cur.execute("insert into import_runs (kind, source) values ('sqlite', 'killed.db')")
    conn.close()
    import_sqlite(make_sqlite(tmp_path / "a.db", [track("t1")]), db_url)
    assert pg_rows(db_url, "select status from import_runs where source = 'killed.db'") == [("interrupted",)]


def test_concurrent_writers_through_the_pool_see_no_lock_errors(db_url):
    """The SQLite seed failed with 'database is locked' under several workers; PostgreSQL must not."""
    import sqlalchemy as sa

    from db import engine

    eng = engine.writer(db_url)
    errors: list[Exception] = []

    def writer(n: int) -> None:
        try:
            for i in range(25):
                with eng.begin() as c:
                    c.execute(sa.text("insert into tracks (track_id, name, artist_name) values (:id, 'n', 'a') "
                                      "on conflict (track_id) do update set name = excluded.name"),
                              {"id": f"w{(n * 25 + i) % 60}"})
                    c.execute(sa.text("insert into snapshots values (:id, '2024-01-01', 'short_term', :r) "
                                      "on conflict do nothing"), {"id": f"w{(n * 25 + i) % 60}", "r": i + 1})
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert pg_rows(db_url, "select count(*) from tracks") == [(60,)]


def test_reader_engine_cannot_write(db_url):
    import sqlalchemy as sa

    from db import engine

    with pytest.raises(sa.exc.InternalError, match="read-only"):
        with engine.reader(db_url).begin() as c:
            c.execute(sa.text("insert into tracks (track_id, name, artist_name) values ('x', 'n', 'a')"))


FIXTURE_FILES = ["track.json", "track_modern.json", "tracks.json", "user_top_tracks.json", "search_track.json",
                 "user_saved_tracks.json", "playlist_tracks.json", "recently_played_tracks.json"]


def spotify_tracks() -> list[dict]:
    """Every track object inside the recorded Spotify Web API responses."""
    out: dict[str, dict] = {}
    for name in FIXTURE_FILES:
        data = json.load(open(os.path.join(FIXTURES, "spotify", name), encoding="utf-8"))
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if node.get("type") == "track" and "id" in node and "artists" in node:
                    out[node["id"]] = node
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
    return list(out.values())


def test_real_spotify_responses_import_and_verify(db_url, tmp_path):
    objs = spotify_tracks()
    assert len(objs) >= 20
    rows = [(o["id"], o["name"], o["artists"][0]["name"], (o.get("album") or {}).get("name"), o.get("duration_ms"),
             (o.get("external_urls") or {}).get("spotify"), json.dumps(o)) for o in objs]
    snaps = [(o["id"], "2024-06-03", "medium_term", i + 1) for i, o in enumerate(objs[:50])]
    report = import_sqlite(make_sqlite(tmp_path / "real.db", rows, snaps), db_url)
    assert report.tables["tracks"].rejected == 0 and report.tables["tracks"].inserted == len(objs)
    assert report.verified
    # The modern payload carries album.release_date; older ones do not, and that is fine.
    dated = pg_rows(db_url, "select count(*) from tracks where raw_json->'album'->>'release_date' is not null")[0][0]
    assert dated >= 1
