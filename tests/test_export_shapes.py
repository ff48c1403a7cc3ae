"""Every file shape of a Spotify export, read as what it is; offline replays kept apart; what the
report says became of each record (new, duplicate in this import, already present, rejected once).

The records are written in the exact shape Spotify writes them (field names, order, nulls): the
current extended history (Streaming_History_Audio_*, _Video_*), the older one (endsong_*,
endvideo*), the current account data (StreamingHistory_music_N, _podcast_N, _audiobook_N) and the
older account data (StreamingHistoryN.json).
"""
from __future__ import annotations

import json
import os
import zipfile

import psycopg2
import pytest

from migrate.spotify_export import import_export
from tests.helpers import pg_rows
from tests.test_spotify_export import acc, by_file, ext, plays, run_cli, write

# ---------------------------------------------------------------------------------------------
# The shapes


def endsong(ts="2018-07-30T19:37:29Z", ms=210_937, *, track="Fake Love", artist="Drake", album="More Life",
            uri="spotify:track:343YBumqHu19cGoGARUTsd", episode=None, show=None, episode_uri=None,
            reason_end="trackdone", offline=False, offline_timestamp=1532912409173) -> dict:
    """A record of the older extended export (endsong_N.json, endvideo.json): username and the
    decrypted network fields, no audiobook fields, offline_timestamp in milliseconds."""
    return {"ts": ts, "username": "listener", "platform": "Android OS 8.0.0 API 26 (samsung, SM-G950F)",
            "ms_played": ms, "conn_country": "GB", "ip_addr_decrypted": "203.0.113.7",
            "user_agent_decrypted": "unknown", "master_metadata_track_name": track,
            "master_metadata_album_artist_name": artist, "master_metadata_album_album_name": album,
            "spotify_track_uri": uri, "episode_name": episode, "episode_show_name": show,
            "spotify_episode_uri": episode_uri, "reason_start": "trackdone", "reason_end": reason_end,
            "shuffle": False, "skipped": None, "offline": offline, "offline_timestamp": offline_timestamp,
            "incognito_mode": False}


def audiobook_ext(ts="2024-05-02T21:14:31Z", ms=123_456, chapter="Chapter 3", book="Middlemarch", n=3) -> dict:
    """An audiobook play in the current extended export."""
    return ext(ts, ms, uri=None, track=None, artist=None, album=None, audiobook_title=book,
               audiobook_uri="spotify:audiobook:7iHfbu1YPACw6oZPAFJtqe",
               audiobook_chapter_uri=f"spotify:chapter:{n:022d}", audiobook_chapter_title=chapter,
               offline_timestamp=1714684327)


def audiobook_acc(end="2024-05-02 21:14", ms=123_456, chapter="Chapter 3", book="Middlemarch",
                  author="George Eliot") -> dict:
    """A record of StreamingHistory_audiobook_N.json (account data)."""
    return {"endTime": end, "audiobookName": book, "chapterName": chapter, "authorName": author, "msPlayed": ms}


def podcast_acc(end="2024-05-02 08:01", ms=1_500_000) -> dict:
    return {"endTime": end, "podcastName": "The Daily", "episodeName": "The Sunday Read", "msPlayed": ms}


# (file name, records, read_as, the plays as (kind, source, uri, track, artist, album) by ended_at)
SHAPES = [
    ("Streaming_History_Audio_2023-2024_0.json",
     [ext("2024-05-01T12:00:00Z", 200_000),
      ext("2024-05-01T13:00:00Z", 1_800_000, uri=None, track=None, artist=None, album=None,
          episode_name="The Sunday Read", episode_show_name="The Daily",
          spotify_episode_uri="spotify:episode:4jHaJ2WxSWuMm2qkGN5Bwf"),
      audiobook_ext(),
      ext("2024-05-01T15:00:00Z", 4000, uri=None, track=None, artist=None, album=None)],
     "extended, audio",
     [("music", "extended", "spotify:track:4uLU6hMCjMI75M1A2tKUQC", "Song", "Artist", "Album"),
      ("podcast", "extended", "spotify:episode:4jHaJ2WxSWuMm2qkGN5Bwf", "The Sunday Read", "The Daily", None),
      ("unknown", "extended", None, None, None, None),
      ("audiobook", "extended", f"spotify:chapter:{3:022d}", "Chapter 3", None, "Middlemarch")]),
    ("Streaming_History_Video_2023-2024.json",
     [ext("2024-05-01T12:00:00Z", 600_000, uri=None, track=None, artist=None, album=None,
          episode_name="Video episode", episode_show_name="Video show",
          spotify_episode_uri="spotify:episode:0v1d3o0v1d3o0v1d3o0v1d")],
     "extended, video",
     [("podcast", "extended", "spotify:episode:0v1d3o0v1d3o0v1d3o0v1d", "Video episode", "Video show", None)]),
    ("endsong_0.json",
     [endsong(), endsong("2018-07-30T21:00:00Z", 1000, episode="Ep", show="Show",
                         episode_uri="spotify:episode:1111111111111111111111", track=None, artist=None,
                         album=None, uri=None)],
     "extended, audio (older endsong format)",
     [("music", "extended", "spotify:track:343YBumqHu19cGoGARUTsd", "Fake Love", "Drake", "More Life"),
      ("podcast", "extended", "spotify:episode:1111111111111111111111", "Ep", "Show", None)]),
    ("endvideo.json",
     [endsong("2019-01-01T10:00:00Z", 90_000, episode="Video ep", show="Video show",
              episode_uri="spotify:episode:2222222222222222222222", track=None, artist=None, album=None, uri=None)],
     "extended, video",
     [("podcast", "extended", "spotify:episode:2222222222222222222222", "Video ep", "Video show", None)]),
    ("StreamingHistory_music_0.json",
     [acc("2024-05-01 12:00", 200_000, "Song", "Artist")],
     "account data, music",
     [("music", "account", None, "Song", "Artist", None)]),
    ("StreamingHistory_podcast_0.json",
     [podcast_acc()],
     "account data, podcasts",
     [("podcast", "account", None, "The Sunday Read", "The Daily", None)]),
    ("StreamingHistory_audiobook_0.json",
     [audiobook_acc(), audiobook_acc("2024-05-02 21:14", 123_456, "Chapter 4"),
      audiobook_acc("2024-05-03 07:30", 2_000_000, "Chapter 1", "Silas Marner")],
     "account data, audiobooks",
     [("audiobook", "account", None, "Chapter 3", "George Eliot", "Middlemarch"),
      ("audiobook", "account", None, "Chapter 4", "George Eliot", "Middlemarch"),
      ("audiobook", "account", None, "Chapter 1", "George Eliot", "Silas Marner")]),
    ("StreamingHistory0.json",     # the older account data: podcasts as artistName = show
     [acc("2020-05-01 12:00", 200_000, "Song", "Artist"), acc("2020-05-01 13:00", 1_500_000, "Episode 12", "A Show")],
     "account data, music and podcasts (older format)",
     [("music", "account", None, "Song", "Artist", None),
      ("music", "account", None, "Episode 12", "A Show", None)]),
]


@pytest.mark.parametrize("name,records,read_as,expected", SHAPES, ids=[s[0] for s in SHAPES])
def test_each_file_shape_is_read_as_what_it_is(db_url, tmp_path, name, records, read_as, expected):
    path = write(tmp_path / "export" / name, records)
    report = import_export(path, db_url)
    f = report.files[0]
    assert f["read_as"] == read_as
    kinds: dict = {}
    for kind, *_ in expected:
        kinds[kind] = kinds.get(kind, 0) + 1
    assert f["kinds"] == dict(sorted(kinds.items()))
    assert (f["records"], f["inserted"], f["duplicates"], f["already_present"]) == (len(records), len(expected), 0, 0)
    assert pg_rows(db_url, "select kind, source, uri, track, artist, album from plays order by ended_at, track") \
        == expected
    assert report.verified, report.render()
    assert f"{name} [read as {read_as}]" in report.render()
    assert any("does not tell podcasts from music" in n for n in report.notes) == (name == "StreamingHistory0.json")


def test_account_audiobooks_are_not_music_in_the_totals(db_url, tmp_path):
    """The Plays page's totals come from plays_hourly by kind: audiobook minutes are not music minutes."""
    write(tmp_path / "a" / "StreamingHistory_music_0.json", [acc("2024-05-02 20:00", 200_000)])
    write(tmp_path / "a" / "StreamingHistory_audiobook_0.json",
          [audiobook_acc("2024-05-02 21:14", 123_456, "Chapter 3"), audiobook_acc("2024-05-02 21:14", 123_456, "Chapter 4")])
    import_export(str(tmp_path / "a"), db_url)
    assert pg_rows(db_url, "select kind, sum(plays), sum(ms_played) from plays_hourly group by kind order by kind") == [
        ("audiobook", 2, 246_912), ("music", 1, 200_000)]
    # Two chapters ending in the same minute after the same time are two plays (they used to share one key).
    assert plays(db_url, "kind = 'audiobook'") == 2


def test_account_audiobook_is_matched_to_its_extended_play(db_url, tmp_path):
    write(tmp_path / "a" / "Streaming_History_Audio_2024.json", [audiobook_ext("2024-05-02T21:14:31Z", 123_456)])
    write(tmp_path / "a" / "StreamingHistory_audiobook_0.json", [audiobook_acc("2024-05-02 21:14", 123_456)])
    report = import_export(str(tmp_path / "a"), db_url)
    assert by_file(report)["StreamingHistory_audiobook_0.json"]["matched"] == 1
    assert pg_rows(db_url, "select kind, source, album, track from plays") == [
        ("audiobook", "extended", "Middlemarch", "Chapter 3")]


def test_older_account_podcast_stored_as_music_is_replaced_by_its_extended_play(db_url, tmp_path):
    import_export(write(tmp_path / "MyData" / "StreamingHistory0.json",
                        [acc("2020-05-01 13:00", 1_500_000, "Episode 12", "A Show")]), db_url)
    assert pg_rows(db_url, "select kind, artist from plays") == [("music", "A Show")]
    report = import_export(write(tmp_path / "Streaming_History_Audio_2020.json", [
        ext("2020-05-01T13:00:41Z", 1_500_000, uri=None, track=None, artist=None, album=None, episode_name="Episode 12",
            episode_show_name="A Show", spotify_episode_uri="spotify:episode:3333333333333333333333")]), db_url)
    assert (report.files[0]["replaced"], report.files[0]["inserted"]) == (1, 0)
    assert pg_rows(db_url, "select kind, source, artist, track from plays") == [
        ("podcast", "extended", "A Show", "Episode 12")]


def test_audiobook_file_with_another_name_is_recognised_by_its_records(db_url, tmp_path):
    path = write(tmp_path / "my audiobooks.json", [audiobook_acc()])
    report = import_export(path, db_url)
    assert report.files[0]["read_as"] == "account data, audiobooks (recognised by its records)"
    assert pg_rows(db_url, "select kind, artist, album, track from plays") == [
        ("audiobook", "George Eliot", "Middlemarch", "Chapter 3")]


def test_every_shape_in_one_export_and_the_json_summary(db_url, tmp_path):
    for name, records, _, _ in SHAPES:
        folder = "MyData" if name.startswith(("endsong", "endvideo", "StreamingHistory0")) else "x"
        write(tmp_path / "export" / folder / name, records)
    write(tmp_path / "export" / "x" / "Userdata.json", None, raw=b'{"username": "listener"}')
    done = run_cli(str(tmp_path / "export"), "--json", env_url=db_url)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    read_as = {os.path.basename(f["file"]): f["read_as"] for f in summary["files"]}
    assert read_as == {name: what for name, _, what, _ in SHAPES}
    assert summary["ignored"] == [{"file": "x/Userdata.json", "reason": "JSON, but not Spotify streaming history"}]
    assert all("records" in f for f in summary["files"])      # every file listed there was read
    # The account music and audiobook plays of 2024-05-01/02 are the extended file's plays (matched).
    assert [f["matched"] for f in summary["files"] if f["matched"]] == [1, 1]
    assert summary["plays"]["inserted"] == sum(len(e) for *_, e in SHAPES) - 2


# ---------------------------------------------------------------------------------------------
# Offline replays: two real plays with the same ts, ms_played and URI


DRAKE = [endsong(offline=True, offline_timestamp=1532912409173),
         endsong(offline=True, offline_timestamp=1532891138368)]


def _newer(record: dict) -> dict:
    """The same play in the current extended format (offline_timestamp in seconds)."""
    return ext(record["ts"], record["ms_played"], uri=record["spotify_track_uri"],
               track=record["master_metadata_track_name"], artist=record["master_metadata_album_artist_name"],
               album=record["master_metadata_album_album_name"], offline=record["offline"],
               offline_timestamp=record["offline_timestamp"] // 1000, reason_end=record["reason_end"])


def test_offline_replays_are_two_plays_and_imports_stay_idempotent(db_url, tmp_path):
    path = write(tmp_path / "first" / "MyData" / "endsong_0.json", DRAKE)
    report = import_export(str(tmp_path / "first"), db_url)
    assert (report.files[0]["inserted"], report.files[0]["already_present"], report.files[0]["duplicates"]) == (2, 0, 0)
    assert pg_rows(db_url, "select ended_at::text, ms_played, track, record_key from plays order by record_key") == [
        ("2018-07-30 19:37:29+00", 210_937, "Fake Love", 1532891138),
        ("2018-07-30 19:37:29+00", 210_937, "Fake Love", 1532912409)]
    again = import_export(path, db_url)                                   # the same file again
    assert (again.files[0]["inserted"], again.files[0]["already_present"]) == (0, 2)
    second = write(tmp_path / "second" / "MyData" / "endsong_0.json", DRAKE)   # a second export folder
    assert import_export(str(tmp_path / "second"), db_url).files[0]["already_present"] == 2
    newer = write(tmp_path / "newer" / "Streaming_History_Audio_2018.json", [_newer(r) for r in DRAKE])
    report = import_export(newer, db_url)                                  # newer format: seconds
    assert (report.files[0]["inserted"], report.files[0]["already_present"]) == (0, 2)
    assert plays(db_url) == 2
    assert pg_rows(db_url, "select sum(plays) from plays_hourly") == [(2,)]
    assert second != path


def test_the_same_play_in_two_files_of_one_import_is_one_play(db_url, tmp_path):
    write(tmp_path / "x" / "MyData" / "endsong_0.json", DRAKE)
    write(tmp_path / "x" / "Extended" / "Streaming_History_Audio_2018.json", [_newer(r) for r in DRAKE])
    report = import_export(str(tmp_path / "x"), db_url)
    files = {os.path.basename(f["file"]): f for f in report.files}
    assert (files["Streaming_History_Audio_2018.json"]["inserted"],
            files["Streaming_History_Audio_2018.json"]["duplicates"]) == (2, 0)
    assert (files["endsong_0.json"]["inserted"], files["endsong_0.json"]["duplicates"],
            files["endsong_0.json"]["already_present"]) == (0, 2, 0)
    assert plays(db_url) == 2


@pytest.mark.parametrize("newer_ts", [1532912409, 1532912410], ids=["truncated", "rounded-up"])
def test_offline_timestamps_a_second_apart_are_the_same_record(db_url, tmp_path, newer_ts):
    """Whether Spotify truncated or rounded milliseconds to seconds, the same play is found."""
    import_export(write(tmp_path / "endsong_0.json", DRAKE[:1]), db_url)
    record = _newer(DRAKE[0]) | {"offline_timestamp": newer_ts}
    report = import_export(write(tmp_path / "Streaming_History_Audio_2018.json", [record]), db_url)
    assert report.files[0]["already_present"] == 1 and plays(db_url) == 1


def test_a_record_without_offline_timestamp_matches_the_stored_play(db_url, tmp_path):
    import_export(write(tmp_path / "endsong_0.json", DRAKE[:1]), db_url)
    record = _newer(DRAKE[0]) | {"offline_timestamp": None}
    report = import_export(write(tmp_path / "Streaming_History_Audio_2018.json", [record]), db_url)
    assert report.files[0]["already_present"] == 1 and plays(db_url) == 1


def test_identical_account_records_in_one_file_are_two_plays(db_url, tmp_path):
    """Account data has no offline_timestamp: the offline replay pair is two identical lines."""
    pair = [acc("2018-07-30 19:37", 210_937, "Fake Love", "Drake")] * 2
    path = write(tmp_path / "a" / "StreamingHistory_music_0.json", pair)
    report = import_export(path, db_url)
    assert report.files[0]["inserted"] == 2
    assert import_export(path, db_url).files[0]["already_present"] == 2
    write(tmp_path / "b" / "StreamingHistory_music_0.json", pair)           # a later account-data export
    assert import_export(str(tmp_path / "b"), db_url).files[0]["already_present"] == 2
    assert plays(db_url) == 2


def test_account_replay_pair_is_matched_by_the_extended_pair(db_url, tmp_path):
    write(tmp_path / "x" / "MyData" / "endsong_0.json", DRAKE)
    write(tmp_path / "x" / "StreamingHistory_music_0.json", [acc("2018-07-30 19:37", 210_937, "Fake Love", "Drake")] * 2)
    report = import_export(str(tmp_path / "x"), db_url)
    assert by_file(report)["StreamingHistory_music_0.json"]["matched"] == 2
    assert plays(db_url) == 2


def _to_old_key(url: str) -> None:
    """The database as the importer before migration 0010 left it: no record_key column, the natural
    key on (ended_at, ms_played, item) only, and of an offline replay pair only the first play."""
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("delete from plays where record_key = 1532891138")
        cur.execute("alter table plays drop column record_key")      # drops plays_natural_key with it
        cur.execute("""create unique index plays_natural_key on plays (ended_at, ms_played,
                       (md5(coalesce(uri, coalesce(artist, '') || E'\\x1f' || coalesce(track, '')))::uuid))""")
        cur.execute("delete from schema_migrations where version = 10")
    conn.close()


def _upgrade(url: str) -> list:
    from db import schema

    conn = psycopg2.connect(url)
    try:
        return [m.version for m in schema.upgrade(conn)]
    finally:
        conn.close()


def test_database_made_with_the_old_key_gets_the_missing_replay(db_url, tmp_path):
    other = [endsong("2018-07-30T19:40:00Z", 180_000, track="Passionfruit", uri="spotify:track:5mCPDVBb16L4XQwDdbRUpz",
                     offline_timestamp=1532912600000)]
    path = write(tmp_path / "MyData" / "endsong_0.json", DRAKE + other)
    import_export(path, db_url)
    _to_old_key(db_url)
    try:
        assert plays(db_url) == 2                        # the old key merged the replay: one Fake Love
        assert _upgrade(db_url) == [10]                  # migration 0010: record_key from raw_json
        assert pg_rows(db_url, "select track, record_key from plays order by ended_at") == [
            ("Fake Love", 1532912409), ("Passionfruit", 1532912600)]
        assert pg_rows(db_url, "select pg_get_indexdef('plays_natural_key'::regclass) like '%record_key)'") == [(True,)]
        report = import_export(str(tmp_path / "MyData"), db_url)          # the next import
        assert (report.files[0]["inserted"], report.files[0]["already_present"]) == (1, 2)
        assert pg_rows(db_url, "select track, count(*) from plays group by 1 order by 1") == [
            ("Fake Love", 2), ("Passionfruit", 1)]
        assert import_export(path, db_url).tables["plays"].inserted == 0
        assert report.verified, report.render()
    finally:
        _upgrade(db_url)


def test_database_with_account_audiobooks_stored_as_music_is_corrected(db_url, tmp_path):
    """What the importer before 0011 stored for StreamingHistory_audiobook_0.json: music with no names,
    one play per (minute, duration), beside the extended play of the same stream. The migration
    corrects them, drops the one the extended play holds, and refreshes the rollups."""
    from db import refresh

    records = [audiobook_acc("2024-05-02 21:14", 123_456, "Chapter 3"), audiobook_acc("2024-05-02 21:14", 123_456, "Chapter 4"),
               audiobook_acc("2024-05-03 07:30", 2_000_000, "Chapter 1", "Silas Marner")]
    import_export(write(tmp_path / "Streaming_History_Audio_2024.json", [audiobook_ext("2024-05-02T21:14:31Z", 123_456)]),
                  db_url)
    conn = psycopg2.connect(db_url)
    with conn, conn.cursor() as cur:             # the old importer's rows: Chapter 4 merged into Chapter 3's key
        for r in (records[0], records[2]):
            cur.execute("insert into plays (ended_at, ms_played, kind, source, raw_json) "
                        "values (%s::timestamp at time zone 'UTC', %s, 'music', 'account', %s)",
                        (r["endTime"], r["msPlayed"], json.dumps(r)))
        cur.execute("insert into plays_dirty_hours select distinct date_trunc('hour', ended_at) from plays")
        refresh.run(cur)
        cur.execute("delete from schema_migrations where version = 11")
    conn.close()
    assert pg_rows(db_url, "select kind, sum(plays) from plays_hourly group by 1 order by 1") == [
        ("audiobook", 1), ("music", 2)]
    assert _upgrade(db_url) == [11]
    assert pg_rows(db_url, "select kind, source, artist, album, track from plays order by ended_at") == [
        ("audiobook", "extended", None, "Middlemarch", "Chapter 3"),
        ("audiobook", "account", "George Eliot", "Silas Marner", "Chapter 1")]
    assert pg_rows(db_url, "select kind, sum(plays), sum(ms_played) from plays_hourly group by 1") == [
        ("audiobook", 2, 2_123_456)]
    assert pg_rows(db_url, "select count(*) from plays_dirty_hours") == [(0,)]
    report = import_export(write(tmp_path / "a" / "StreamingHistory_audiobook_0.json", records), db_url)
    f = report.files[0]
    assert (f["matched"], f["already_present"], f["inserted"]) == (1, 1, 1)     # Chapter 4: merged before
    assert pg_rows(db_url, "select source, track from plays order by ended_at") == [
        ("account", "Chapter 4"), ("extended", "Chapter 3"), ("account", "Chapter 1")]
    assert report.verified, report.render()


@pytest.mark.parametrize("value", [1532912409173, 1532912409, 1532912409173.0, 1532912409.7, 0, -5, None, True,
                                   "1532912409", 10**15, 10**11, 99_999_999_999, 2**70, [1], {"a": 1}])
def test_offline_key_in_python_and_in_the_migration_agree(db_url, value):
    from migrate import export_formats as fmt

    sql = open(os.path.join(os.path.dirname(__file__), "..", "db", "migrations", "0010_plays_record_key.sql")).read()
    update = sql[sql.index("update plays"):sql.index(";", sql.index("update plays")) + 1]
    conn = psycopg2.connect(db_url)
    with conn, conn.cursor() as cur:
        cur.execute("create temp table plays (source text, raw_json jsonb, record_key bigint default 0)")
        cur.execute("insert into plays (source, raw_json) values ('extended', %s)",
                    (json.dumps({"offline_timestamp": value}),))
        cur.execute(update)
        cur.execute("select record_key from plays")
        assert cur.fetchone()[0] == fmt.offline_key(value)
    conn.close()


# ---------------------------------------------------------------------------------------------
# What became of each record


def test_report_tells_new_duplicate_and_already_present_apart(db_url, tmp_path):
    write(tmp_path / "x" / "Streaming_History_Audio_2024_0.json", [ext("2024-05-01T10:00:00Z", 1000),
                                                                     ext("2024-05-01T11:00:00Z", 2000)])
    write(tmp_path / "x" / "Streaming_History_Audio_2024_1.json", [ext("2024-05-01T11:00:00Z", 2000),
                                                                     ext("2024-05-01T12:00:00Z", 3000),
                                                                     ext("2024-05-01T12:00:00Z", 3000)])
    first = import_export(str(tmp_path / "x"), db_url)
    files = by_file(first)
    assert [(f["inserted"], f["duplicates"], f["already_present"]) for f in files.values()] == [(2, 0, 0), (1, 2, 0)]
    assert (first.tables["plays"].inserted, first.tables["plays"].duplicates, first.tables["plays"].unchanged) == (3, 2, 0)
    assert "duplicates in this import 2, already present 0" in first.render()
    write(tmp_path / "y" / "Streaming_History_Audio_2024.json", [ext("2024-05-01T12:00:00Z", 3000),
                                                                  ext("2024-05-01T13:00:00Z", 4000),
                                                                  ext("2024-05-01T13:00:00Z", 4000)])
    second = import_export(str(tmp_path / "y"), db_url)
    assert [(f["inserted"], f["duplicates"], f["already_present"]) for f in second.files] == [(1, 1, 1)]
    assert second.verified, second.render()


def _bad_file(path) -> str:
    return write(path, [ext("2024-05-01T10:00:00Z"), ext(ts="yesterday"), ext(ms=-5), ext("2024-05-01T11:00:00Z")])


def test_rejects_are_recorded_once(db_url, tmp_path):
    path = _bad_file(tmp_path / "a" / "Streaming_History_Audio_2024.json")
    first = import_export(path, db_url)
    assert first.tables["plays"].rejected == 2 and len(first.rejects) == 2
    again = import_export(path, db_url)
    f = again.files[0]
    assert (f["rejected"], f["rejects_recorded_in_run"]) == (2, first.run_id)
    assert again.tables["plays"].rejected == 2 and again.rejects == []
    assert "were recorded by run" in again.render()
    # The same bytes inside a zip, under another path: not recorded again either.
    zipped = tmp_path / "export.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(path, "my_spotify_data/Spotify Extended Streaming History/Streaming_History_Audio_2024.json")
    assert import_export(str(zipped), db_url).files[0]["rejects_recorded_in_run"] == first.run_id
    assert pg_rows(db_url, "select run_id, row_key, reason from import_rejects order by row_key") == [
        (first.run_id, "Streaming_History_Audio_2024.json#2", "ts 'yesterday' is not a timestamp"),
        (first.run_id, "Streaming_History_Audio_2024.json#3", "duration -5 is negative")]


def test_rejects_of_a_changed_file_are_recorded(db_url, tmp_path):
    path = _bad_file(tmp_path / "Streaming_History_Audio_2024.json")
    import_export(path, db_url)
    write(tmp_path / "Streaming_History_Audio_2024.json", [ext(ts="tomorrow"), ext("2024-05-01T12:00:00Z")])
    report = import_export(path, db_url)
    assert "rejects_recorded_in_run" not in report.files[0]
    assert pg_rows(db_url, "select count(*) from import_rejects") == [(3,)]


def test_the_same_file_twice_in_one_import_records_its_rejects_once(db_url, tmp_path):
    _bad_file(tmp_path / "x" / "a" / "Streaming_History_Audio_2024.json")
    _bad_file(tmp_path / "x" / "b" / "Streaming_History_Audio_2024.json")
    report = import_export(str(tmp_path / "x"), db_url)
    assert [f.get("rejects_recorded_in_run") for f in report.files] == [None, report.run_id]
    assert report.tables["plays"].rejected == 4 and len(report.rejects) == 2
    assert [f["duplicates"] for f in report.files] == [0, 2]
    assert pg_rows(db_url, "select count(*) from import_rejects") == [(2,)]
