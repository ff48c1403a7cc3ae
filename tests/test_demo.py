"""The demo generator (migrate/demo.py): a Music Time Machine file that looks like a real one.

No database needed: these tests read the SQLite file the generator writes.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
from collections import defaultdict

import pytest

from migrate import demo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "spotify", "track_modern.json")
SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")
RELEASE_DATE = {"year": re.compile(r"\d{4}"), "month": re.compile(r"\d{4}-\d{2}"),
                "day": re.compile(r"\d{4}-\d{2}-\d{2}")}


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    """The default demo file, generated once for the read-only tests below."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    counts = demo.generate(path)
    return str(path), counts


@pytest.fixture(scope="module")
def con(demo_file):
    con = sqlite3.connect(demo_file[0])
    yield con
    con.close()


@pytest.fixture(scope="module")
def charts(con):
    """{(snapshot_date, time_range): [track_id by rank]} and the dates, oldest first."""
    lists = defaultdict(list)
    for track_id, day, time_range, _ in con.execute("select * from snapshots order by rank"):
        lists[day, time_range].append(track_id)
    dates = sorted({day for day, _ in lists})
    return lists, dates


def test_demo_file_has_the_music_time_machine_tables(con):
    columns = {table: [(r[1], r[2], r[5]) for r in con.execute(f"pragma table_info({table})")]
               for table in ("tracks", "snapshots")}
    assert columns["tracks"] == [("track_id", "TEXT", 1), ("name", "TEXT", 0), ("artist_name", "TEXT", 0),
                                 ("album_name", "TEXT", 0), ("duration_ms", "INTEGER", 0),
                                 ("spotify_url", "TEXT", 0), ("raw_json", "TEXT", 0)]
    assert columns["snapshots"] == [("track_id", "TEXT", 1), ("snapshot_date", "TEXT", 2),
                                    ("time_range", "TEXT", 3), ("rank", "INTEGER", 0)]


def test_demo_has_several_hundred_tracks_every_one_charted(con, demo_file):
    tracks = con.execute("select count(*) from tracks").fetchone()[0]
    assert 500 <= tracks <= 700
    assert demo_file[1]["tracks"] == tracks
    assert con.execute("select count(distinct artist_name) from tracks").fetchone()[0] >= 100
    never_charted = con.execute(
        "select count(*) from tracks where track_id not in (select track_id from snapshots)").fetchone()[0]
    unknown = con.execute(
        "select count(*) from snapshots where track_id not in (select track_id from tracks)").fetchone()[0]
    assert (never_charted, unknown) == (0, 0)


def test_demo_snapshots_are_weekly_for_two_years_ending_on_the_fixed_date(charts):
    _, dates = charts
    days = [dt.date.fromisoformat(d) for d in dates]
    assert len(days) >= 104
    assert days[-1] == demo.DEFAULT_END
    assert {(b - a).days for a, b in itertools.pairwise(days)} == {7}
    assert (days[-1] - days[0]).days >= 730


def test_every_chart_has_ranks_1_to_50_and_no_track_twice(charts):
    lists, dates = charts
    assert set(lists) == {(d, r) for d in dates for r in demo.TIME_RANGES}
    for ranked in lists.values():
        assert len(ranked) == 50
        assert len(set(ranked)) == 50


def test_ranks_are_exactly_1_to_50(con):
    # The primary key is (track_id, date, range): it would allow gaps and repeated ranks.
    bad = con.execute("""select snapshot_date, time_range from snapshots group by 1, 2
                         having count(*) != 50 or count(distinct rank) != 50 or min(rank) != 1
                            or max(rank) != 50""").fetchall()
    assert bad == []


def test_raw_json_is_a_spotify_track_agreeing_with_the_columns(con):
    for track_id, name, artist, album, duration, url, raw in con.execute("select * from tracks"):
        track = json.loads(raw)
        assert isinstance(track, dict)
        assert (track["id"], track["name"], track["artists"][0]["name"], track["album"]["name"],
                track["duration_ms"], track["external_urls"]["spotify"]) == (
                track_id, name, artist, album, duration, url)
        assert SPOTIFY_ID.fullmatch(track_id)
        assert url == f"https://open.spotify.com/track/{track_id}"
        assert track["uri"] == f"spotify:track:{track_id}"
        assert track["href"] == f"https://api.spotify.com/v1/tracks/{track_id}"
        assert track["type"] == "track" and track["is_local"] is False
        assert 0 <= track["popularity"] <= 100
        assert all(len(m) == 2 for m in track["available_markets"])
        album_obj = track["album"]
        assert album_obj["type"] == "album" and SPOTIFY_ID.fullmatch(album_obj["id"])
        assert album_obj["album_type"] in ("album", "single", "compilation")
        assert RELEASE_DATE[album_obj["release_date_precision"]].fullmatch(album_obj["release_date"])
        assert [(i["height"], i["width"]) for i in album_obj["images"]] == [(640, 640), (300, 300), (64, 64)]
        assert all(i["url"].startswith("https://i.scdn.co/image/") for i in album_obj["images"])
        for person in track["artists"] + album_obj["artists"]:
            assert person["type"] == "artist" and person["uri"] == f"spotify:artist:{person['id']}"


def test_raw_json_has_the_keys_of_a_real_spotify_track(con):
    with open(FIXTURE, encoding="utf-8") as fh:
        real = json.load(fh)
    track = json.loads(con.execute("select raw_json from tracks limit 1").fetchone()[0])
    assert set(track) == set(real)
    assert set(track["album"]) == set(real["album"])
    assert set(track["artists"][0]) == set(real["artists"][0])
    assert set(track["external_ids"]) == set(real["external_ids"])


def test_raw_json_varies_like_real_data(con):
    tracks = [json.loads(raw) for (raw,) in con.execute("select raw_json from tracks")]
    precisions = [t["album"]["release_date_precision"] for t in tracks]
    assert set(precisions) == {"year", "month", "day"}
    assert precisions.count("day") > len(tracks) / 2
    markets = [len(t["available_markets"]) for t in tracks]
    assert max(markets) >= 180 and min(markets) < 50
    assert any(len(t["artists"]) == 2 for t in tracks)
    assert {t["preview_url"] is None for t in tracks} == {True, False}
    assert {t["explicit"] for t in tracks} == {True, False}


def test_albums_are_released_before_their_tracks_first_chart(con):
    first_chart = dict(con.execute("select track_id, min(snapshot_date) from snapshots group by 1"))
    for track_id, raw in con.execute("select track_id, raw_json from tracks"):
        released = json.loads(raw)["album"]["release_date"]    # '1997' and '1997-06' sort before any day
        assert released <= first_chart[track_id]


@pytest.mark.parametrize("artist", [
    "Beyoncé", "Sigur Rós", "Björk", "Mø", "Céline Dion", "Motörhead", "Zoé", "Rosalía", "Ólafur Arnalds",
    "坂本龍一", "宇多田ヒカル", "방탄소년단", "Кино", "Μίκης Θεοδωράκης", "فيروز",
    "Radiohead", "Daft Punk", "Mötley Crüe",
])
def test_demo_has_accented_and_non_latin_artists(con, artist):
    assert con.execute("select count(*) from tracks where artist_name = ?", (artist,)).fetchone()[0] >= 1


def test_demo_has_kickstart_my_heart(con):
    rows = con.execute("select artist_name, album_name from tracks where name = ?",
                       ("Kickstart My Heart",)).fetchall()
    assert rows == [("Mötley Crüe", "Dr. Feelgood")]


def test_demo_has_forgotten_gems(charts, demo_file):
    lists, dates = charts
    newest = dt.date.fromisoformat(dates[-1])
    then = {t for (day, _), ranked in lists.items()
            if 90 <= (newest - dt.date.fromisoformat(day)).days <= 365 for t in ranked}
    recent = {t for (day, _), ranked in lists.items() if day in dates[-4:] for t in ranked}
    gems = then - recent
    assert len(gems) >= 10
    assert demo_file[1]["forgotten_gems"] == len(gems)


def test_short_term_churns_fastest_and_long_term_slowest(charts):
    lists, dates = charts

    def new_per_week(time_range):
        return sum(len(set(lists[b, time_range]) - set(lists[a, time_range]))
                   for a, b in itertools.pairwise(dates)) / (len(dates) - 1)

    short, medium, long = (new_per_week(r) for r in demo.TIME_RANGES)
    assert short > 2 * medium > 0
    assert medium > long


def test_some_tracks_vanish_for_months_and_return(charts):
    lists, dates = charts
    weeks_in = defaultdict(list)
    for week, day in enumerate(dates):
        for t in lists[day, "short_term"]:
            weeks_in[t].append(week)
    longest_gap = {t: max((b - a for a, b in itertools.pairwise(w)), default=0) for t, w in weeks_in.items()}
    assert sum(gap >= 12 for gap in longest_gap.values()) >= 10


def test_same_seed_gives_the_same_file_and_another_seed_another(tmp_path):
    paths = [tmp_path / name for name in ("a.db", "b.db", "c.db")]
    for path, seed in zip(paths, (7, 7, 8)):
        demo.generate(path, seed=seed, n_tracks=200, weeks=60)
    a, b, c = (path.read_bytes() for path in paths)
    assert a == b
    assert a != c


def test_end_date_moves_every_snapshot(tmp_path):
    counts = demo.generate(tmp_path / "x.db", n_tracks=150, weeks=10, end=dt.date(2020, 2, 29))
    assert (counts["first_date"], counts["last_date"], counts["dates"]) == ("2019-12-28", "2020-02-29", 10)


def test_generate_refuses_to_overwrite_unless_forced(tmp_path):
    path = tmp_path / "taken.db"
    path.write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        demo.generate(path, n_tracks=150, weeks=10)
    assert path.read_bytes() == b"keep me"
    demo.generate(path, n_tracks=150, weeks=10, force=True)
    assert path.read_bytes().startswith(b"SQLite format 3\x00")
    assert [p.name for p in tmp_path.iterdir()] == ["taken.db"]   # no temporary file left behind


def test_cli_refuses_to_overwrite_with_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "taken.db"
    path.write_bytes(b"keep me")
    assert demo.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err and "Traceback" not in err
    assert path.read_bytes() == b"keep me"


@pytest.mark.parametrize("args", [
    ["--tracks", "5"], ["--tracks", "many"], ["--weeks", "0"], ["--end", "2026-13-01"], ["--seed", "x"],
    ["--bogus"],
])
def test_cli_bad_arguments_exit_2_with_one_line(tmp_path, capsys, args):
    out = tmp_path / "never.db"
    assert demo.main([str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not out.exists()


def test_cli_missing_folder_exits_2(tmp_path, capsys):
    assert demo.main([str(tmp_path / "nowhere" / "demo.db")]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_python_dash_m_migrate_demo_writes_a_file(tmp_path):
    out = tmp_path / "cli.db"
    done = subprocess.run([sys.executable, "-m", "migrate.demo", str(out), "--tracks", "150", "--weeks", "20",
                           "--seed", "3"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out}: ")
    with sqlite3.connect(out) as con:
        assert con.execute("select count(*) from snapshots").fetchone()[0] == 20 * 3 * 50


def test_make_track_alone_builds_a_consistent_track():
    rng = random.Random(1)
    tracks = [demo.make_track(rng) for _ in range(500)]
    assert len({t["id"] for t in tracks}) == 500
    for t in tracks:
        assert SPOTIFY_ID.fullmatch(t["id"]) and t["uri"] == f"spotify:track:{t['id']}"
        assert t["available_markets"] is t["album"]["available_markets"]
        assert 1 <= t["track_number"] <= t["album"]["total_tracks"]
        json.dumps(t)
    # Passing the artist and album in reuses them as they are.
    artists = [demo.make_artist("Radiohead")]
    album = demo.make_album(rng, artists, name="Kid B", album_type="album", release=("2000-10-02", "day"))
    track = demo.make_track(rng, artists=artists, album=album, name="Idioteque II")
    assert track["album"] is album and track["artists"] is artists
    assert (track["name"], track["album"]["release_date"]) == ("Idioteque II", "2000-10-02")
    assert demo.make_artist("Radiohead")["id"] == artists[0]["id"]   # stable per name


# ---------------------------------------------------------------------------------------------
# The demo Spotify export (migrate/demo_export.py): a listener who could have existed


@pytest.fixture(scope="module")
def export_plays(tmp_path_factory):
    """Every distinct play of a 20,000-record demo export (every history file, account data
    included), with its start (ts - ms_played) and end, oldest first."""
    import pandas as pd

    from migrate import demo_export

    folder = tmp_path_factory.mktemp("demo_export")
    manifest = demo_export.generate(folder, records=20_000)
    rows = []
    for path in sorted(folder.rglob("*.json")):
        if path.name.startswith("Streaming_History_"):
            for r in json.loads(path.read_text(encoding="utf-8")):
                uri = r["spotify_track_uri"] or r["spotify_episode_uri"] or r["audiobook_chapter_uri"]
                rows.append((pd.Timestamp(r["ts"]), r["ms_played"], uri or ""))
        elif path.name.startswith("StreamingHistory_"):
            for r in json.loads(path.read_text(encoding="utf-8")):
                if pd.Timestamp(r["endTime"], tz="UTC") > pd.Timestamp(demo_export.END):   # only the new weeks
                    rows.append((pd.Timestamp(r["endTime"], tz="UTC"), r["msPlayed"],
                                 f"{r.get('artistName') or r.get('podcastName')}\x1f{r.get('trackName') or r.get('episodeName')}"))
    df = pd.DataFrame(rows, columns=["ended", "ms", "what"]).drop_duplicates()
    df = df[df["ms"] > 0].sort_values("ended", kind="stable").reset_index(drop=True)
    df["started"] = df["ended"] - pd.to_timedelta(df["ms"], unit="ms")
    return df, manifest


def test_demo_export_plays_never_overlap(export_plays):
    """A stream starts when the one before it has ended, on every device and in every file
    (Spotify's ts is the end, to the second; account data to the minute)."""
    df, manifest = export_plays
    assert len(df) == manifest["plays"]
    reach = df["ended"].cummax().shift()
    assert int((df["started"] < reach).sum()) == 0


def test_demo_export_listens_a_plausible_amount_each_day(export_plays):
    """About an hour or two on a typical day, days off, no day of more than a day's listening."""
    df, _ = export_plays
    import pandas as pd

    regular = df[df["ended"] > pd.Timestamp("2025-01-01", tz="UTC")]   # the daylight-saving clusters are 2024
    per_day = regular.groupby(regular["ended"].dt.tz_convert("Europe/Berlin").dt.date)["ms"].sum() / 3_600_000
    days = pd.date_range(min(per_day.index), max(per_day.index)).date
    every_day = per_day.reindex(days, fill_value=0)
    assert 0.75 <= every_day.median() <= 2.5
    assert 0.6 <= (every_day > 0).mean() <= 0.9
    assert every_day.max() < 24 and every_day.quantile(0.9) > 2 * every_day.median()
