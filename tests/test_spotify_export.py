"""The Spotify export import: formats, idempotency, account-data matching, reports, bad input, rollups."""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import zipfile

import pytest

from migrate import demo_export
from migrate import export_formats as fmt
from migrate.errors import UnusableInput
from migrate.spotify_export import import_export
from tests.helpers import ROOT, pg_rows

EXT = "Spotify Extended Streaming History"
ACC = "Spotify Account Data"


def ext(ts="2024-05-01T12:00:00Z", ms=200_000, uri="spotify:track:4uLU6hMCjMI75M1A2tKUQC", track="Song",
        artist="Artist", album="Album", **extra) -> dict:
    """A record in the current extended format."""
    rec = {"ts": ts, "platform": "android", "ms_played": ms, "conn_country": "DE", "ip_addr": "10.1.2.3",
           "master_metadata_track_name": track, "master_metadata_album_artist_name": artist,
           "master_metadata_album_album_name": album, "spotify_track_uri": uri, "episode_name": None,
           "episode_show_name": None, "spotify_episode_uri": None, "audiobook_title": None, "audiobook_uri": None,
           "audiobook_chapter_uri": None, "audiobook_chapter_title": None, "reason_start": "clickrow",
           "reason_end": "trackdone", "shuffle": False, "skipped": False, "offline": False,
           "offline_timestamp": None, "incognito_mode": False}
    rec.update(extra)
    return rec


def acc(end="2024-05-01 12:00", ms=200_000, track="Song", artist="Artist") -> dict:
    return {"endTime": end, "artistName": artist, "trackName": track, "msPlayed": ms}


def write(path, records, *, raw: bytes | None = None):
    """Write a JSON array file (or raw bytes) at path, creating folders; returns the path as str."""
    path = str(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(raw if raw is not None else json.dumps(records, indent=2, ensure_ascii=False).encode())
    return path


def plays(url, where="true") -> int:
    return pg_rows(url, f"select count(*) from plays where {where}")[0][0]


def by_file(report) -> dict:
    return {f["file"]: f for f in report.files}


def run_cli(*args, env_url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=env_url)
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo export as a folder, its manifest, and the same as a zip."""
    base = tmp_path_factory.mktemp("spotify")
    manifest = demo_export.generate(base / "folder", records=600, seed=7)
    demo_export.generate(base / "zipped", records=600, seed=7, zip_=True)
    return {"folder": str(base / "folder"), "zip": str(base / "zipped" / demo_export.ZIP_NAME), "manifest": manifest}


# ---------------------------------------------------------------------------------------------
# Whole exports


def test_demo_export_imports_every_play_once(db_url, demo):
    m = demo["manifest"]
    report = import_export(demo["folder"], db_url)
    counts = report.tables["plays"]
    assert counts.inserted == m["plays"] == plays(db_url)
    assert sum(f["matched"] for f in report.files) == m["account"]["matched"]   # account data matched to extended
    assert counts.unchanged == 0                    # an empty database: nothing was there before
    assert counts.duplicates == sum(f["duplicates"] + f["matched"] for f in report.files)
    assert dict(pg_rows(db_url, "select kind, count(*) from plays group by kind")) == m["by_kind"]
    files = by_file(report)
    for name, n in m["files"].items():
        assert files[name]["records"] == n
    assert sorted(f["file"] for f in report.ignored) == m["ignored"]
    assert not set(files) & set(m["ignored"])       # ignored files are listed apart from those read
    assert report.verified, report.render()


def test_rerun_of_same_export_adds_nothing(db_url, demo):
    import_export(demo["folder"], db_url)
    before = pg_rows(db_url, "select md5(string_agg(p::text, '' order by ended_at, ms_played, uri, track)) "
                             "from (select ended_at, ms_played, uri, track, raw_json from plays) p")
    report = import_export(demo["folder"], db_url)
    assert report.tables["plays"].inserted == 0
    assert report.tables["plays"].updated == 0
    skipped = sum(sum(f["skipped"].values()) for f in report.files)
    # Everything was there before this import: nothing is a duplicate within it.
    assert (report.tables["plays"].unchanged, report.tables["plays"].duplicates) == (report.tables["plays"].read - skipped, 0)
    assert all(f["inserted"] == 0 for f in report.files)
    assert pg_rows(db_url, "select md5(string_agg(p::text, '' order by ended_at, ms_played, uri, track)) "
                           "from (select ended_at, ms_played, uri, track, raw_json from plays) p") == before
    assert report.verified


def test_zip_with_nested_folders_imports_like_the_folder(db_url, demo):
    report = import_export(demo["zip"], db_url)
    assert report.tables["plays"].inserted == demo["manifest"]["plays"]
    names = {f["file"] for f in report.ignored}
    assert f"my_spotify_data/{EXT}/ReadMeFirst_ExtendedStreamingHistory.pdf" in names   # named as ignored
    assert report.source == demo_export.ZIP_NAME
    assert report.verified


def test_newer_export_overlapping_an_older_one_adds_only_what_is_new(db_url, demo):
    m = demo["manifest"]
    older = import_export(os.path.join(demo["folder"], "MyData"), db_url)
    first = older.tables["plays"].inserted
    assert first == m["older"]["records"] - m["older"]["zero_duration"]
    newer = import_export(os.path.join(demo["folder"], EXT), db_url)
    assert newer.tables["plays"].inserted == m["plays"] - m["account"]["new"] - first   # only what is new
    assert newer.tables["plays"].unchanged >= first                                    # the older plays
    assert plays(db_url) == m["plays"] - m["account"]["new"]
    # The older format's fields survive in raw_json of the plays it brought.
    assert plays(db_url, "raw_json ? 'user_agent_decrypted'") == 0      # network data dropped
    assert plays(db_url, "raw_json ? 'username'") == 0


def test_duplicates_across_files_are_duplicates_in_this_import(db_url, demo):
    report = import_export(os.path.join(demo["folder"], EXT), db_url)
    audio = [f for f in report.files if "Streaming_History_Audio" in f["file"]]
    assert [f["duplicates"] for f in audio] == [0] + [demo_export.REPEATED_AT_FILE_START] * (len(audio) - 1)
    assert [f["already_present"] for f in audio] == [0] * len(audio)
    again = import_export(os.path.join(demo["folder"], EXT), db_url)     # now they are from an earlier import
    audio = [f for f in again.files if "Streaming_History_Audio" in f["file"]]
    assert [f["already_present"] for f in audio] == [f["records"] - sum(f["skipped"].values()) for f in audio]
    assert [f["duplicates"] for f in audio] == [0] * len(audio)


def test_account_data_imported_first_is_replaced_by_extended_records(db_url, demo):
    m = demo["manifest"]
    first = import_export(os.path.join(demo["folder"], ACC), db_url)
    assert first.tables["plays"].inserted == m["account"]["matched"] + m["account"]["new"]
    second = import_export(os.path.join(demo["folder"], EXT), db_url)
    assert second.tables["plays"].updated == m["account"]["matched"]          # replaced
    assert plays(db_url) == m["plays"]
    assert plays(db_url, "source = 'account'") == m["account"]["new"]
    assert second.verified


def test_account_record_matches_extended_play_within_a_minute(db_url, tmp_path):
    write(tmp_path / "x" / "Streaming_History_Audio_2024.json", [
        ext("2024-05-01T12:00:59Z", 1000, track="Late in the minute"),
        ext("2024-05-01T12:05:40Z", 2000, track="Rounded up", uri="spotify:track:1111111111111111111111"),
        ext("2024-05-01T12:09:00Z", 3000, track="Compilation", artist="Various Artists",
            uri="spotify:track:2222222222222222222222")])
    write(tmp_path / "x" / "StreamingHistory_music_0.json", [
        acc("2024-05-01 12:00", 1000, "Late in the minute"),          # truncated minute
        acc("2024-05-01 12:06", 2000, "Rounded up"),                  # rounded minute
        acc("2024-05-01 12:09", 3000, "Compilation", artist="Real Artist"),   # track artist, not album artist
        acc("2024-05-01 12:09", 3001, "Compilation"),                 # another length: another play
        acc("2024-05-01 12:02", 1000, "Late in the minute")])         # too far: another play
    report = import_export(str(tmp_path / "x"), db_url)
    account = by_file(report)["StreamingHistory_music_0.json"]
    assert (account["matched"], account["inserted"]) == (3, 2)
    assert plays(db_url) == 5


def test_account_record_in_an_extended_file_is_matched_by_its_fields(db_url, tmp_path):
    path = write(tmp_path / "Streaming_History_Audio_2024.json",
                 [acc("2024-05-01 12:00", 1000), ext("2024-05-01T12:00:30Z", 1000), acc("2024-05-01 13:00", 5)])
    report = import_export(path, db_url)
    assert (report.files[0]["inserted"], report.files[0]["matched"]) == (2, 1)
    assert pg_rows(db_url, "select source from plays order by ended_at") == [("extended",), ("account",)]


def test_same_account_file_twice_matches_again(db_url, tmp_path):
    write(tmp_path / "x" / "Streaming_History_Audio_2024.json", [ext("2024-05-01T12:00:30Z", 1000)])
    write(tmp_path / "x" / "StreamingHistory_music_0.json", [acc("2024-05-01 12:00", 1000)])
    import_export(str(tmp_path / "x"), db_url)
    report = import_export(str(tmp_path / "x" / "StreamingHistory_music_0.json"), db_url)
    assert report.files[0]["matched"] == 1
    assert plays(db_url) == 1


# ---------------------------------------------------------------------------------------------
# What a play holds


def test_columns_come_from_each_kind_of_record(db_url, tmp_path):
    write(tmp_path / "Streaming_History_Audio_2024.json", [
        ext("2024-05-01T12:00:00Z", 1000),
        ext("2024-05-01T13:00:00Z", 2000, uri=None, track=None, artist=None, album=None,
            episode_name="Ep 1", episode_show_name="The Show", spotify_episode_uri="spotify:episode:abc"),
        ext("2024-05-01T14:00:00Z", 3000, uri=None, track=None, artist=None, album=None,
            audiobook_title="Book", audiobook_uri="spotify:audiobook:b1", audiobook_chapter_uri="spotify:chapter:c1",
            audiobook_chapter_title="Chapter 1"),
        ext("2024-05-01T15:00:00Z", 4000, uri=None, track=None, artist=None, album=None),
        ext("2024-05-01T16:00:00Z", 5000, uri=None, track="Local file", artist="Me", album=None)])
    import_export(str(tmp_path / "Streaming_History_Audio_2024.json"), db_url)
    rows = pg_rows(db_url, "select kind, track_id, uri, track, artist, album, source from plays order by ended_at")
    assert rows == [
        ("music", "4uLU6hMCjMI75M1A2tKUQC", "spotify:track:4uLU6hMCjMI75M1A2tKUQC", "Song", "Artist", "Album", "extended"),
        ("podcast", None, "spotify:episode:abc", "Ep 1", "The Show", None, "extended"),
        ("audiobook", None, "spotify:chapter:c1", "Chapter 1", None, "Book", "extended"),
        ("unknown", None, None, None, None, None, "extended"),
        ("music", None, None, "Local file", "Me", None, "extended")]
    assert pg_rows(db_url, "select platform, country, reason_start, reason_end, shuffle, skipped, offline, incognito, "
                           "ended_at from plays order by ended_at limit 1") == [
        ("android", "DE", "clickrow", "trackdone", False, False, False, False,
         dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC))]


def test_unknown_fields_are_kept_in_raw_json(db_url, tmp_path):
    path = write(tmp_path / "Streaming_History_Audio_2025.json",
                 [ext(new_field_2031={"nested": [1, 2, {"deep": "yes"}]}, other=None)])
    import_export(path, db_url)
    assert pg_rows(db_url, "select raw_json #>> '{new_field_2031,nested,2,deep}', raw_json ? 'other', "
                           "raw_json->>'ts' from plays") == [("yes", True, "2024-05-01T12:00:00Z")]


@pytest.mark.parametrize("keep", [False, True], ids=["dropped-by-default", "kept-when-asked"])
def test_network_data(db_url, tmp_path, keep):
    write(tmp_path / "x" / "Streaming_History_Audio_2024.json", [ext(ip_addr_v6="::1")])
    write(tmp_path / "x" / "endsong_0.json", [
        {**{k: v for k, v in ext("2023-01-01T00:00:00Z").items() if k != "ip_addr"}, "username": "me",
         "ip_addr_decrypted": "1.2.3.4", "user_agent_decrypted": "unknown"}])
    report = import_export(str(tmp_path / "x"), db_url, keep_network_data=keep)
    keys = ["ip_addr", "ip_addr_v6", "ip_addr_decrypted", "user_agent_decrypted", "username"]
    found = pg_rows(db_url, "select count(*) from plays where raw_json ?| %s", (keys,))[0][0]
    assert found == (2 if keep else 0)
    assert plays(db_url, "raw_json ? 'platform'") == 2      # the rest of the record is there either way
    assert any("Network data" in n for n in report.notes)


HOSTILE = ["O'Brien \"quoted\"", "back\\slash \\u0000 as text", "100% _wild_", "'); drop table plays; --",
           "emoji 🎧🔥", "עברית RTL", "   ", "x" * 5000, "tab\there\nnewline"]


def test_hostile_names_are_stored_exactly(db_url, tmp_path):
    records = [ext(f"2024-05-01T12:{i:02d}:00Z", 1000 + i, uri=None, track=name, artist=name, album=name)
               for i, name in enumerate(HOSTILE)]
    path = write(tmp_path / "Streaming_History_Audio_2024.json", records)
    report = import_export(path, db_url)
    assert report.tables["plays"].inserted == len(HOSTILE)
    assert [r[0] for r in pg_rows(db_url, "select track from plays order by ended_at")] == HOSTILE
    assert report.verified


# ---------------------------------------------------------------------------------------------
# Bad records and bad files


BAD_RECORDS = [
    ([1, 2], "not a JSON object"),
    ("a string", "not a JSON object"),
    ({"platform": "x"}, "not a streaming record"),
    (ext(ts="yesterday"), "unreadable timestamp"),
    (ext(ts=None), "unreadable timestamp"),
    (ext(ts="2024-13-45T99:00:00Z"), "unreadable timestamp"),
    (ext(ts="2024-05-01"), "unreadable timestamp"),
    (ext(ts="1970-01-01T00:00:00Z"), "implausible timestamp"),
    (ext(ms=None), "no duration"),
    (ext(ms="200000"), "unreadable duration"),
    (ext(ms=1.5), "unreadable duration"),
    (ext(ms=True), "unreadable duration"),
    (ext(ms=-5), "negative duration"),
    (ext(ms=2**40), "duration out of range"),
    (ext(track="nul \x00 inside"), "NUL character"),
    (acc(end="05/01/2024 12:00"), "unreadable timestamp"),
    (acc(ms=None), "no duration"),
]


@pytest.mark.parametrize("record,label", BAD_RECORDS, ids=[label + f"-{i}" for i, (_, label) in enumerate(BAD_RECORDS)])
def test_bad_record_is_skipped_with_reason_and_neighbours_land(db_url, tmp_path, record, label):
    path = write(tmp_path / "Streaming_History_Audio_2024.json",
                 [ext("2024-05-01T10:00:00Z"), record, ext("2024-05-01T11:00:00Z")])
    report = import_export(path, db_url)
    f = report.files[0]
    assert (f["records"], f["inserted"], f["skipped"], f["rejected"]) == (3, 2, {label: 1}, 1)
    assert report.rejects[0].key == "Streaming_History_Audio_2024.json#2"
    assert pg_rows(db_url, "select row_key from import_rejects") == [("Streaming_History_Audio_2024.json#2",)]
    assert report.verified


def test_zero_duration_is_skipped_but_not_a_reject(db_url, tmp_path):
    path = write(tmp_path / "StreamingHistory_music_0.json", [acc(ms=0), acc(ms=10)])
    report = import_export(path, db_url)
    assert report.files[0]["skipped"] == {"zero duration": 1}
    assert report.rejects == []
    assert plays(db_url) == 1


BAD_FILES = [
    ("Streaming_History_Audio_2024.json", b"hello, not json", "not a JSON array"),
    ("Streaming_History_Audio_2024.json", b'{"ts": "2024-05-01T10:00:00Z"}', "not a JSON array"),
    ("Streaming_History_Audio_2024.json", b"", "empty"),
    ("Streaming_History_Audio_2024.json", b'[{"ts": "2024-05-01T10:00:00Z", "ms_played": 5}, {"ts": ',
     "not valid JSON after 1 records"),
    ("Streaming_History_Audio_2024.json", b'[{"ts": "x", "a": "\xff\xfe"}]', "not valid JSON"),
    ("Userdata.json", b'{"username": "me"}', "not Spotify streaming history"),
    ("Playlist1.json", b'[{"name": "My list"}]', "not Spotify streaming history"),
    ("history.json", b"[]", "no records"),
]


@pytest.mark.parametrize("name,content,message", BAD_FILES, ids=[m for _, _, m in BAD_FILES])
def test_unusable_file_raises_and_writes_nothing(db_url, tmp_path, name, content, message):
    path = write(tmp_path / name, None, raw=content)
    with pytest.raises(UnusableInput, match=message):
        import_export(path, db_url)
    assert plays(db_url) == 0
    assert pg_rows(db_url, "select count(*) from import_runs where status = 'done'") == [(0,)]


def test_broken_file_in_a_folder_rolls_back_the_whole_import(db_url, tmp_path):
    write(tmp_path / "x" / "Streaming_History_Audio_2024_0.json", [ext()])
    write(tmp_path / "x" / "Streaming_History_Audio_2024_1.json", None, raw=b'[{"ts": "2024-05-01T10:00:00Z",')
    with pytest.raises(UnusableInput, match="Streaming_History_Audio_2024_1.json"):
        import_export(str(tmp_path / "x"), db_url)
    assert plays(db_url) == 0
    assert pg_rows(db_url, "select status from import_runs") == [("failed",)]


def test_folder_without_history_is_unusable(db_url, tmp_path):
    write(tmp_path / "x" / "Userdata.json", None, raw=b"{}")
    with pytest.raises(UnusableInput, match="no Spotify streaming history.*Userdata.json"):
        import_export(str(tmp_path / "x"), db_url)


def test_file_with_another_name_is_recognised_by_its_records(db_url, tmp_path):
    write(tmp_path / "x" / "my extended history.json", [ext()])
    write(tmp_path / "x" / "old account data.json", [acc("2023-01-01 10:00")])
    report = import_export(str(tmp_path / "x"), db_url)
    assert {f["file"]: f["format"] for f in report.files} == {
        "my extended history.json": "extended (audio)", "old account data.json": "account (music)"}
    assert {f["file"]: f["read_as"] for f in report.files} == {
        "my extended history.json": "extended, audio (recognised by its records)",
        "old account data.json": "account data, music (recognised by its records)"}
    assert plays(db_url) == 2


def test_video_history_is_imported_with_its_kind(db_url, tmp_path):
    path = write(tmp_path / "Streaming_History_Video_2024.json", [
        ext(uri=None, track=None, artist=None, album=None, episode_name="Video ep",
            episode_show_name="Video show", spotify_episode_uri="spotify:episode:v1")])
    report = import_export(path, db_url)
    assert report.files[0]["format"] == "extended (video)"
    assert pg_rows(db_url, "select kind, artist from plays") == [("podcast", "Video show")]


def _zip(path, members: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return str(path)


@pytest.mark.parametrize("name", ["../evil/Streaming_History_Audio_2024.json", "/etc/Streaming_History_Audio.json",
                                  "a/../../Streaming_History_Audio.json", "C:/Streaming_History_Audio.json"])
def test_zip_with_path_traversal_is_refused(db_url, tmp_path, name):
    path = _zip(tmp_path / "evil.zip", {"ok/Streaming_History_Audio_2023.json": b"[]", name: b"[]"})
    with pytest.raises(UnusableInput, match="path traversal"):
        import_export(path, db_url)


def test_zip_bomb_is_refused_by_ratio(db_url, tmp_path):
    path = _zip(tmp_path / "bomb.zip", {"Streaming_History_Audio_2024.json": b"[" + b" " * (50 * 2**20) + b"]"})
    with pytest.raises(UnusableInput, match="zip bomb"):
        import_export(path, db_url)


def test_zip_bomb_is_refused_by_total_size(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr(fmt, "ZIP_MAX_TOTAL", 1000)
    path = _zip(tmp_path / "big.zip", {f"Streaming_History_Audio_{i}.json": json.dumps([ext()]).encode()
                                       for i in range(3)})
    with pytest.raises(UnusableInput, match="would unpack to"):
        import_export(path, db_url)


def test_zip_ignores_macos_litter_and_names_other_files(db_url, tmp_path):
    good = json.dumps([ext()]).encode()
    path = _zip(tmp_path / "mac.zip", {"data/Streaming_History_Audio_2024.json": good,
                                       "__MACOSX/data/._Streaming_History_Audio_2024.json": b"\x00\x05junk",
                                       "data/notes.txt": b"hello"})
    report = import_export(path, db_url)
    assert [(f["file"], f["format"]) for f in report.files] == [("data/Streaming_History_Audio_2024.json",
                                                                 "extended (audio)")]
    assert report.ignored == [{"file": "data/notes.txt", "reason": "not streaming history"}]


@pytest.mark.parametrize("packed", [False, True], ids=["file", "zip-member"])
def test_large_file_is_read_incrementally_with_the_same_result(db_url, tmp_path, monkeypatch, packed):
    records = [ext(f"2024-05-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z", 1000 + i) for i in range(25_000)]
    records[10] = "not an object"
    path = write(tmp_path / "Streaming_History_Audio_2024.json", records)
    size = os.path.getsize(path)
    if packed:
        data = (tmp_path / "Streaming_History_Audio_2024.json").read_bytes()
        path = _zip(tmp_path / "export.zip", {"nested/deeper/Streaming_History_Audio_2024.json": data})
    monkeypatch.setattr(fmt, "WHOLE_FILE_BYTES", 0)        # as if the file were larger than that
    seen = []
    report = import_export(path, db_url, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert report.files[0]["inserted"] == 24_999
    assert report.files[0]["skipped"] == {"not a JSON object": 1}
    reading = [(d, t) for s, d, t in seen if s == "reading"]
    assert reading[-1] == (size, size)
    assert len(reading) > 3 and [d for d, _ in reading] == sorted(d for d, _ in reading)


@pytest.mark.parametrize("whole", [True, False], ids=["small-file", "large-file"])
def test_integer_beyond_64_bits_is_kept_exactly(db_url, tmp_path, monkeypatch, whole):
    if not whole:
        monkeypatch.setattr(fmt, "WHOLE_FILE_BYTES", 0)
    path = write(tmp_path / "Streaming_History_Audio_2024.json", None,
                 raw=json.dumps([ext("2024-05-01T10:00:00Z")])[:-2].encode() + b', "huge": 123456789012345678901234567890}, '
                 + json.dumps(ext("2024-05-01T11:00:00Z")).encode() + b"]")
    report = import_export(path, db_url)
    assert report.files[0]["inserted"] == 2
    assert pg_rows(db_url, "select raw_json->>'huge' from plays where raw_json ? 'huge'") == \
        [("123456789012345678901234567890",)]


# ---------------------------------------------------------------------------------------------
# Rollups


def test_rollups_match_plays_and_convert_time_zones_exactly_around_dst(db_url, demo):
    import_export(demo["folder"], db_url)
    for tz in ("Europe/Berlin", "America/New_York", "Asia/Tokyo"):
        direct = pg_rows(db_url, """select (ended_at at time zone %s)::date, kind, count(*), sum(ms_played)
                                    from plays group by 1, 2 order by 1, 2""", (tz,))
        rolled = pg_rows(db_url, """select (hour_utc at time zone %s)::date, kind, sum(plays), sum(ms_played)
                                    from plays_hourly group by 1, 2 order by 1, 2""", (tz,))
        assert rolled == direct, tz
    # The demo has plays either side of Europe's autumn change (03:00 CEST -> 02:00 CET on 2024-10-27).
    assert pg_rows(db_url, """select count(*) from plays where ended_at >= '2024-10-27 00:00+00'
                              and ended_at < '2024-10-27 02:00+00'""")[0][0] >= demo_export.DST_PLAYS


def test_rollup_items_give_top_tracks_like_plays(db_url, demo):
    import_export(demo["folder"], db_url)
    direct = pg_rows(db_url, """select artist, track, count(*) from plays where kind = 'music'
                                group by 1, 2 order by 3 desc, 1, 2 limit 10""")
    rolled = pg_rows(db_url, """select i.artist, i.track, sum(h.plays)::bigint from plays_hourly_items h
                                join play_items i using (item_key) where i.kind = 'music'
                                group by 1, 2 order by 3 desc, 1, 2 limit 10""")
    assert rolled == direct


def test_rollups_are_refreshed_only_for_changed_hours_and_stay_exact(db_url, tmp_path):
    write(tmp_path / "a" / "Streaming_History_Audio_2024.json", [ext("2024-05-01T10:00:00Z", 1000),
                                                                 ext("2024-05-01T11:00:00Z", 2000)])
    write(tmp_path / "b" / "Streaming_History_Audio_2024.json", [ext("2024-05-01T11:30:00Z", 3000),
                                                                 ext("2024-05-02T09:00:00Z", 4000)])
    write(tmp_path / "c" / "StreamingHistory_music_0.json", [acc("2024-05-01 11:30", 3000),
                                                             acc("2024-05-03 08:00", 5000)])
    for folder in "abc":
        import_export(str(tmp_path / folder), db_url)
    assert pg_rows(db_url, "select count(*) from plays_dirty_hours") == [(0,)]
    assert pg_rows(db_url, "select hour_utc, plays, ms_played from plays_hourly order by 1") == [
        (dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC), 1, 1000),
        (dt.datetime(2024, 5, 1, 11, tzinfo=dt.UTC), 2, 5000),
        (dt.datetime(2024, 5, 2, 9, tzinfo=dt.UTC), 1, 4000),
        (dt.datetime(2024, 5, 3, 8, tzinfo=dt.UTC), 1, 5000)]


def test_refresh_is_a_no_op_without_dirty_hours(db_url):
    from db import queries
    from db.engine import writer

    with writer(db_url).begin() as conn:
        result = queries.run("refresh_plays_rollups", conn=conn)
    assert result.df.iat[0, 0] == 0


# ---------------------------------------------------------------------------------------------
# Command line


def test_cli_json_summary_is_the_last_line(db_url, tmp_path):
    path = write(tmp_path / "Streaming_History_Audio_2024.json", [ext(), ext("2024-05-01T13:00:00Z", ms=0)])
    done = run_cli(path, "--json", env_url=db_url)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["kind"] == "spotify_export"
    assert summary["plays"]["inserted"] == 1
    assert summary["files"][0]["skipped"] == {"zero duration": 1}
    assert summary["files"][0]["read_as"] == "extended, audio" and summary["ignored"] == []
    assert "Streaming_History_Audio_2024.json [read as extended, audio]: read 2 (music 1)" in done.stdout


@pytest.mark.parametrize("content", [b"just text", b'[{"ts": "2024-05-01T10:00:00Z",'])
def test_cli_bad_file_exits_2_with_one_line(db_url, tmp_path, content):
    path = write(tmp_path / "Streaming_History_Audio_2024.json", None, raw=content)
    done = run_cli(path, env_url=db_url)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr


def test_cli_zip_traversal_exits_2(db_url, tmp_path):
    path = _zip(tmp_path / "evil.zip", {"../Streaming_History_Audio_2024.json": b"[]"})
    done = run_cli(path, env_url=db_url)
    assert done.returncode == 2 and "path traversal" in done.stderr


def test_cli_keeps_network_data_when_asked(db_url, tmp_path):
    path = write(tmp_path / "Streaming_History_Audio_2024.json", [ext()])
    assert run_cli(path, "--keep-network-data", env_url=db_url).returncode == 0
    assert pg_rows(db_url, "select raw_json->>'ip_addr' from plays") == [("10.1.2.3",)]


# ---------------------------------------------------------------------------------------------
# The demo generator


def test_demo_export_is_deterministic_and_has_every_shape(tmp_path):
    a = demo_export.generate(tmp_path / "a", records=200, seed=3)
    b = demo_export.generate(tmp_path / "b", records=200, seed=3)
    assert a == b
    for name in a["files"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    older = json.loads((tmp_path / "a" / "MyData" / "endsong_0.json").read_text())
    assert {"username", "ip_addr_decrypted", "user_agent_decrypted"} <= set(older[0])
    assert any(r["skipped"] is None for r in older)
    account = (tmp_path / "a" / ACC / "StreamingHistory_music_0.json").read_text()
    assert account.startswith("[ {") and '"endTime" : "' in account
    assert set(a["by_kind"]) == {"music", "podcast", "audiobook", "unknown"}


def test_demo_export_cli_writes_a_zip(tmp_path):
    done = subprocess.run([sys.executable, "-m", "migrate.demo_export", str(tmp_path), "--records", "100", "--zip"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    manifest = json.loads(done.stdout)
    with zipfile.ZipFile(tmp_path / demo_export.ZIP_NAME) as zf:
        names = zf.namelist()
    assert all(n.startswith("my_spotify_data/") for n in names)
    assert len([n for n in names if n.endswith(".json")]) == len(manifest["files"]) + 2   # + Userdata, Playlist1


def test_to_play_keeps_the_record_but_not_network_fields():
    record = ext(ip_addr_v6="::1", username="me")
    play = fmt.to_play(dict(record), "audio")
    stored = json.loads(play.raw_json)
    assert "ip_addr" not in stored and "ip_addr_v6" not in stored and "username" not in stored
    assert stored["master_metadata_track_name"] == "Song" and play.dropped_network
    kept = fmt.to_play(dict(record), "audio", keep_network=True)
    assert json.loads(kept.raw_json) == record


@pytest.mark.parametrize("name,expected", [
    ("Streaming_History_Audio_2014-2016_0.json", ("extended", "audio")),
    ("spotify/Streaming_History_Video_2020-2024.json", ("extended", "video")),
    ("MyData/endsong_12.json", ("extended", "endsong")),
    ("StreamingHistory_music_3.json", ("account", "music")),
    ("StreamingHistory_podcast_0.json", ("account", "podcast")),
    ("StreamingHistory_audiobook_0.json", ("account", "audiobook")),
    ("MyData/StreamingHistory0.json", ("account", "older")),
    ("StreamingHistory.json", ("account", "older")),
    ("StreamingHistory_video_0.json", ("account", "other")),
    ("Userdata.json", None),
    ("ReadMeFirst_ExtendedStreamingHistory.pdf", None),
])
def test_history_files_are_recognised_by_name(name, expected):
    assert fmt.classify(name) == expected


class _Tracked(io.BytesIO):
    def close(self):
        self.read_up_to = self.tell()
        super().close()


def test_sniff_reads_only_the_start_of_a_big_file():
    data = _Tracked(b'[{"ts": "2024-05-01T10:00:00Z", "ms_played": 5}' + b", {}" * 1_000_000 + b"]")
    assert fmt.sniff(lambda: data) == (("extended", "audio"), "")
    assert data.read_up_to <= fmt.SNIFF_BYTES


def test_single_json_file_with_a_byte_order_mark_is_recognised(db_url, tmp_path):
    from migrate.api import run_import

    path = tmp_path / "Streaming_History_Audio_2024.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([ext()]).encode())
    report = run_import(str(path), db_url)
    assert plays(db_url) == 1 and report.kind == "spotify_export"


def test_a_broken_install_says_which_module_is_missing(tmp_path):
    """A dependency missing from the venv is exit 1 naming the module, not "not supported"."""
    (tmp_path / "ijson.py").write_text('raise ModuleNotFoundError("No module named ijson", name="ijson")\n')
    export = tmp_path / "Streaming_History_Audio_2024.json"
    export.write_text("[]")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{root}", "DATABASE_URL": "postgresql:///unused"}
    proc = subprocess.run([sys.executable, "-m", "migrate", str(export)], cwd=root, capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "'ijson' is missing" in proc.stderr and "Traceback" not in proc.stderr
