"""Search over what was played ("In your plays"): the plays schema (db/migrations/0006_plays_search.sql),
the named queries search_play_items and play_item_history (db/sql/search.sql) against a plain
computation from `plays`, the page helpers (ui/search_view.py) and the Search page under AppTest.

Data: a handmade Spotify export (extended history and account data) with accented, Japanese,
podcast and audiobook items, the same song on two albums and in the account data, and hostile
names; one of its tracks is also in the library (a Music Time Machine file) with a rank history.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import re
import urllib.parse

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from db import queries, search
from migrate.api import run_import
from tests import plays_data as data
from tests import test_search_queries
from tests.helpers import (
    ROOT,
    create_database,
    drop_database,
    figures,
    html_bodies,
    make_sqlite,
    nested_plan_indexes,
    open_table_tab,
    page_texts,
    pg_rows,
    pick_result,
    plan_nodes,
)
from ui import charts, plays_view
from ui import search_view as view

PAGE = os.path.join(ROOT, "app_pages", "search.py")
ACCOUNT_FILE = os.path.join("Spotify Account Data", "StreamingHistory_music_0.json")


def _uri(kind: str, *parts: str) -> str:
    return f"spotify:{kind}:" + hashlib.md5("\x1f".join(parts).encode()).hexdigest()[:22]


CRAZY_ALBUM = _uri("track", "Beyoncé", "Crazy in Love", "Dangerously in Love")
CRAZY_REMIX = _uri("track", "Beyoncé", "Crazy in Love", "Remixes")
LIBRARY_ID = CRAZY_ALBUM.rsplit(":", 1)[1]


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def music(ts: str, ms: int, track: str, artist: str, album: str, uri: str | None = None) -> dict:
    rec = data.record(_at(ts), ms, track, artist, album=album)
    rec["spotify_track_uri"] = uri or _uri("track", artist, track, album)
    return rec


def podcast(ts: str, ms: int, episode: str, show: str) -> dict:
    rec = data.record(_at(ts), ms, "x")
    rec.update({"master_metadata_track_name": None, "master_metadata_album_artist_name": None,
                "master_metadata_album_album_name": None, "spotify_track_uri": None, "episode_name": episode,
                "episode_show_name": show, "spotify_episode_uri": _uri("episode", show, episode)})
    return rec


def chapter(ts: str, ms: int, book: str, title: str) -> dict:
    rec = data.record(_at(ts), ms, "x")
    rec.update({"master_metadata_track_name": None, "master_metadata_album_artist_name": None,
                "master_metadata_album_album_name": None, "spotify_track_uri": None,
                "audiobook_title": book, "audiobook_uri": _uri("audiobook", book),
                "audiobook_chapter_uri": _uri("chapter", book, title), "audiobook_chapter_title": title})
    return rec


EXTENDED = [
    music("2019-03-01 10:00:00", 200_000, "Crazy in Love", "Beyoncé", "Dangerously in Love", CRAZY_ALBUM),
    music("2019-03-15 18:30:00", 180_000, "Crazy in Love", "Beyoncé", "Dangerously in Love", CRAZY_ALBUM),
    music("2021-07-04 09:00:00", 30_000, "Crazy in Love", "Beyoncé", "Dangerously in Love", CRAZY_ALBUM),
    # a stream, not a play at the Plays page's 30 s (a play at 10 s)
    music("2021-08-01 09:00:00", 12_000, "Crazy in Love", "Beyoncé", "Dangerously in Love", CRAZY_ALBUM),
    music("2020-01-10 22:15:00", 100_000, "Crazy in Love", "Beyoncé", "Remixes", CRAZY_REMIX),
    music("2022-05-05 07:00:00", 210_000, "Halo", "Beyoncé", "I Am... Sasha Fierce"),
    music("2018-02-02 20:00:00", 240_000, "Kickstart My Heart", "Mötley Crüe", "Dr. Feelgood"),
    music("2023-02-02 20:00:00", 120_000, "Kickstart My Heart", "Mötley Crüe", "Dr. Feelgood"),
    music("2017-06-01 12:00:00", 260_000, "Karma Police", "Radiohead", "OK Computer"),
    music("2024-06-01 12:00:00", 250_000, "Karma Police", "Radiohead", "OK Computer"),
    music("2020-12-24 23:00:00", 300_000, "Merry Christmas Mr. Lawrence", "坂本龍一", "Coda"),
    music("2021-01-01 00:10:00", 90_000, "<script>alert(1)</script>", "**bold** $x$", "<b>Album</b>",
          "javascript:alert(1)"),
    podcast("2022-03-01 06:00:00", 1_800_000, "Folge 12: Über Käse", "Zwei Stühle, eine Meinung"),
    podcast("2022-03-02 06:00:00", 600_000, "Folge 12: Über Käse", "Zwei Stühle, eine Meinung"),
    chapter("2023-01-01 20:00:00", 1_500_000, "Pride and Prejudice", "Chapter 1"),
    chapter("2023-01-02 20:00:00", 900_000, "Pride and Prejudice", "Chapter 1"),
    chapter("2023-02-03 20:00:00", 1_200_000, "Pride and Prejudice", "Chapter 2"),
    chapter("2023-03-01 20:00:00", 1_100_000, "Der Zauberberg", "Chapter 1"),
    # just before midnight UTC at a month's end, and early on a month's first day: their local months
    # differ from the UTC ones far east (Pacific/Kiritimati, UTC+14) and west (America/Los_Angeles)
    music("2019-03-31 23:30:00", 200_000, "Midnight City", "M83", "Hurry Up, We're Dreaming"),
    music("2019-05-01 06:30:00", 240_000, "Midnight City", "M83", "Hurry Up, We're Dreaming"),
]
# Account data: names only, no URI: the same song as above (one result with it), a minute precision.
ACCOUNT = [{"endTime": "2025-02-01 12:00", "artistName": "Beyoncé", "trackName": "Crazy in Love", "msPlayed": 150_000}]


def _export(folder) -> str:
    data.write(str(folder), "Streaming_History_Audio_2017-2024_search.json", EXTENDED)
    path = os.path.join(str(folder), ACCOUNT_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(ACCOUNT, fh, ensure_ascii=False)
    return str(folder)


def _library(folder) -> str:
    tracks = [(LIBRARY_ID, "Crazy in Love", "Beyoncé", "Dangerously in Love", 236_000, None, "{}")]
    snaps = [(LIBRARY_ID, d, "short_term", r) for d, r in (("2024-01-01", 3), ("2024-01-08", 1), ("2024-01-15", 7))]
    return make_sqlite(folder / "library.db", tracks, snaps)


def _imported_db(server_url, tmp_path_factory, name: str, write):
    """A database of its own holding what `write(folder)` wrote there (the paths it returns), imported
    in order; dropped after the module."""
    database = f"{name}_{os.getpid()}"
    url = create_database(server_url, database)
    for path in write(tmp_path_factory.mktemp(name)):
        run_import(path, url)
    yield url
    drop_database(server_url, database)


@pytest.fixture(scope="module")
def played_db(server_url, tmp_path_factory):
    """The handmade export and a library holding one of its tracks."""
    yield from _imported_db(server_url, tmp_path_factory, "mtm_search_plays",
                            lambda folder: [_library(folder), _export(folder / "export")])


@pytest.fixture(scope="module")
def played_only_db(server_url, tmp_path_factory):
    """The handmade export alone: plays, no library."""
    yield from _imported_db(server_url, tmp_path_factory, "mtm_search_plays_only", lambda folder: [_export(folder)])


@pytest.fixture(scope="module")
def plays(played_db) -> pd.DataFrame:
    return data.read_plays(played_db)


def find(url: str, text: str, limit: int = 51, min_seconds: int = 30) -> pd.DataFrame:
    q = search.parse(text)
    assert not q.empty
    return queries.run("search_play_items", q.params(limit, min_seconds=min_seconds), url=url).df


def names(df: pd.DataFrame) -> list[str]:
    return df["name"].tolist()


def expected(plays: pd.DataFrame, min_seconds: int = 30) -> pd.DataFrame:
    """Per search result (a track, an episode, an audiobook): plays as the Plays page counts them
    (streams of at least min_seconds), every stream, minutes of every stream, first and last play,
    computed from the plays themselves."""
    p = plays.copy()
    book = (p["kind"] == "audiobook") & p["album"].notna()
    p["r_name"] = p["track"].where(~book, p["album"])
    p["r_artist"] = p["artist"].where(~book, None)
    p["counted"] = p["ms_played"] >= min_seconds * 1000
    p["counted_at"] = p["ended_at"].where(p["counted"])
    g = p.groupby(["kind", "r_artist", "r_name"], dropna=False)
    return g.agg(plays=("counted", "sum"), streams=("ms_played", "size"),
                 minutes=("ms_played", lambda s: s.sum() / 60000),
                 first=("counted_at", "min"), last=("counted_at", "max")).reset_index()


def expected_row(plays: pd.DataFrame, row, min_seconds: int = 30) -> pd.Series:
    e = expected(plays, min_seconds)
    artist = row["artist"] if row["kind"] != "audiobook" else None
    match = e[(e["kind"] == row["kind"]) & (e["r_name"] == row["name"])
              & ((e["r_artist"] == artist) | (e["r_artist"].isna() & (artist is None)))]
    assert len(match) == 1, (row, match)
    return match.iloc[0]


# ---------------------------------------------------------------------------------------------
# Schema


def test_result_key_equals_the_plays_rollup_key_of_every_played_item(plays_export_db, played_db):
    for url in (plays_export_db, played_db):
        assert pg_rows(url, """
            select count(*) from play_items
            where group_key <> case when kind = 'audiobook' and album is not null
                                    then plays_z_key('album', kind, artist, album)
                                    else plays_z_key('track', kind, artist, track) end""") == [(0,)]
        assert pg_rows(url, """select count(*) from play_items i
                               where not exists (select 1 from plays_z_items z
                                                 where z.period = 'year' and z.name_key = i.group_key)""") == [(0,)]


def test_play_items_search_columns_fold_accents_and_weigh_track_artist_album(played_db):
    rows = pg_rows(played_db, """select search::text, search_text from play_items
                                 where track = 'Kickstart My Heart'""")
    vector, text = rows[0]
    assert "'kickstart':1A" in vector and "'motley':4B" in vector and "'feelgood':7C" in vector
    assert text == "kickstart my heart motley crue dr. feelgood"


# ---------------------------------------------------------------------------------------------
# search_play_items


@pytest.mark.parametrize("text", ["beyonce", "BEYONCE", "Beyoncé", "beyon"])
def test_search_plays_finds_a_played_beyonce_item_without_accents(played_db, text):
    df = find(played_db, text)
    assert {"Crazy in Love", "Halo"} <= set(names(df))
    assert (df["artist"] == "Beyoncé").all() and (df["match"] == "text").all()


def test_search_plays_finds_by_the_start_of_a_word(played_db):
    df = find(played_db, "kickst")
    assert names(df) == ["Kickstart My Heart"]
    assert df.iloc[0]["artist"] == "Mötley Crüe" and df.iloc[0]["album"] == "Dr. Feelgood"


def test_search_plays_finds_a_misspelt_artist_by_similar_spelling(played_db):
    df = find(played_db, "radiohaed")
    assert names(df) == ["Karma Police"]
    assert df.iloc[0]["match"] == "similar"


@pytest.mark.parametrize("text", ["龍一", "坂本", "坂本龍一"])
def test_search_plays_finds_part_of_a_japanese_name(played_db, text):
    assert "Merry Christmas Mr. Lawrence" in names(find(played_db, text))


def test_search_plays_finds_a_played_track_that_is_not_in_the_library(played_db):
    assert pg_rows(played_db, "select count(*) from tracks where name = 'Kickstart My Heart'") == [(0,)]
    row = find(played_db, "kickstart my heart").iloc[0]
    assert row["name"] == "Kickstart My Heart" and not bool(row["in_library"])
    assert row["spotify_url"].startswith("https://open.spotify.com/track/")


def test_search_plays_marks_a_track_that_is_in_the_library(played_db):
    df = find(played_db, "crazy in love")
    assert len(df) == 1, "the album, the remix album and the account data are one song"
    row = df.iloc[0]
    assert bool(row["in_library"]) and row["track_id"] == LIBRARY_ID
    assert row["spotify_url"] == f"https://open.spotify.com/track/{LIBRARY_ID}"


@pytest.mark.parametrize("min_seconds", [30, 0, 10, 60])
@pytest.mark.parametrize("text", ["beyonce", "crazy", "kickstart", "radiohaed", "龍一", "zwei stuhle", "kase",
                                  "chapter", "pride", "zauberberg", "script"])
def test_search_plays_counts_equal_a_plain_computation_from_plays(played_db, plays, text, min_seconds):
    df = find(played_db, text, min_seconds=min_seconds)
    assert len(df)
    for row in df.to_dict("records"):
        want = expected_row(plays, row, min_seconds)
        assert (row["plays"], row["streams"]) == (want["plays"], want["streams"]), row
        assert row["minutes"] == pytest.approx(want["minutes"])
        assert pd.Timestamp(row["first_played"]) == want["first"] or (
            pd.isna(row["first_played"]) and pd.isna(want["first"]))
        assert pd.Timestamp(row["last_played"]) == want["last"] or (
            pd.isna(row["last_played"]) and pd.isna(want["last"]))


def test_search_counts_plays_as_the_plays_page_does(played_db):
    """The same song, the same threshold: search_play_items' plays equal plays_top's on all time."""
    for min_seconds in (0, 10, 30, 60):
        row = find(played_db, "crazy in love", min_seconds=min_seconds).iloc[0]
        top = queries.run("plays_top", {"tz": "UTC", "since": "2000-01-01", "until": "2099-12-31", "kind": "music",
                                        "level": "track", "min_seconds": min_seconds, "order_by": "plays",
                                        "limit": 100}, url=played_db).df
        assert row["plays"] == top.set_index("name").at["Crazy in Love", "plays"]
    assert (row["streams"], find(played_db, "crazy in love", min_seconds=30).iloc[0]["plays"]) == (6, 5)


def test_search_plays_counts_the_same_song_across_albums_and_the_account_data(played_db):
    row = find(played_db, "crazy in love").iloc[0]
    assert row["plays"] == 5
    assert pd.Timestamp(row["last_played"]) == pd.Timestamp("2025-02-01 12:00", tz="UTC")


def test_search_plays_shows_podcasts_and_audiobooks_with_their_kind(played_db):
    episode = find(played_db, "zwei stuhle").iloc[0]
    assert (episode["kind"], episode["name"], episode["artist"]) == ("podcast", "Folge 12: Über Käse",
                                                                     "Zwei Stühle, eine Meinung")
    assert episode["spotify_url"].startswith("https://open.spotify.com/episode/")
    books = find(played_db, "chapter 1")
    assert set(zip(books["kind"], books["name"])) == {("audiobook", "Pride and Prejudice"),
                                                      ("audiobook", "Der Zauberberg")}
    pride = books[books["name"] == "Pride and Prejudice"].iloc[0]
    assert pride["plays"] == 3 and pride["album"] is None          # every chapter of the book together


def test_search_plays_links_only_spotify_uris(played_db):
    row = find(played_db, "script").iloc[0]
    assert row["name"] == "<script>alert(1)</script>" and row["spotify_url"] is None


def test_search_plays_ranks_most_played_first_among_equal_matches(played_db):
    df = find(played_db, "beyonce")
    assert names(df)[:2] == ["Crazy in Love", "Halo"]


def test_search_plays_returns_nothing_for_random_strings(played_db):
    assert find(played_db, "qzxjvkw").empty


def test_search_plays_results_are_unique_and_capped(plays_export_db):
    df = find(plays_export_db, "a", limit=21)
    assert len(df) == 21 and df["name_key"].is_unique


def test_search_plays_counts_equal_a_plain_computation_on_the_demo_export(plays_export_db):
    plays = data.read_plays(plays_export_db)
    for text in ("radiohead", "episode", "chapter", "beyonce", "love"):
        for row in find(plays_export_db, text).to_dict("records"):
            want = expected_row(plays, row)
            assert (row["plays"], pd.Timestamp(row["first_played"]), pd.Timestamp(row["last_played"])) == \
                (want["plays"], want["first"], want["last"]), row


def test_search_has_plays(played_db, empty_url):
    assert bool(queries.scalar("search_has_plays", url=played_db))
    assert not bool(queries.scalar("search_has_plays", url=empty_url))


def test_search_plays_on_a_database_without_plays_is_empty(demo_url):
    assert find(demo_url, "radiohead").empty


# ---------------------------------------------------------------------------------------------
# play_item_history


def test_play_item_history_counts_plays_per_utc_month(played_db, plays):
    key = find(played_db, "crazy in love").iloc[0]["name_key"]
    df = queries.run("play_item_history", {"name_key": key, "tz": "UTC", "min_seconds": 30}, url=played_db).df
    mine = plays[(plays["track"] == "Crazy in Love") & (plays["artist"] == "Beyoncé")]
    months = mine.groupby(mine["ended_at"].dt.tz_localize(None).dt.to_period("M"))
    assert [str(pd.Timestamp(m).to_period("M")) for m in df["month"]] == [str(m) for m in months.groups]
    assert df["plays"].tolist() == months["ms_played"].apply(lambda s: int((s >= 30000).sum())).tolist()
    assert df["streams"].tolist() == months.size().tolist()
    assert 0 in df["plays"].tolist()          # the month of the 12 s stream: a stream, no play
    assert df["minutes"].tolist() == pytest.approx((months["ms_played"].sum() / 60000).tolist())
    # local times in :tz (here UTC), without a zone
    assert pd.Timestamp(df["first_played"].iloc[0]) == mine["ended_at"].min().tz_localize(None)
    assert pd.Timestamp(df["last_played"].iloc[0]) == mine["ended_at"].max().tz_localize(None)


def test_play_item_history_of_an_audiobook_sums_its_chapters(played_db):
    key = find(played_db, "pride").iloc[0]["name_key"]
    df = queries.run("play_item_history", {"name_key": key, "tz": "UTC", "min_seconds": 30}, url=played_db).df
    assert [str(m) for m in df["month"]] == ["2023-01-01", "2023-02-01"]
    assert df["plays"].tolist() == [2, 1]


def test_play_item_history_example_is_an_audiobook_of_the_demo_export(plays_export_db):
    q = queries.get("play_item_history")
    assert not queries.run(q.name, q.example, url=plays_export_db).df.empty, (
        "the example name_key of play_item_history is not in the demo export (the generator changed?)")


@pytest.mark.parametrize("key", ["", "nope", "00000000-0000-0000-0000-000000000000", "'; drop table plays; --"])
def test_play_item_history_of_an_unknown_or_malformed_key_is_empty_or_refused(played_db, key):
    try:
        assert queries.run("play_item_history", {"name_key": key, "tz": "UTC", "min_seconds": 30}, url=played_db).df.empty
    except sa.exc.DataError:
        assert key != "00000000-0000-0000-0000-000000000000"


# ---------------------------------------------------------------------------------------------
# Index use (sequential scans discouraged: the test data is small enough for the planner to prefer them)


def _plan_indexes(url: str, name: str, params: dict) -> set[str]:
    from db import engine

    with engine.reader(url).connect() as c, c.begin():
        c.execute(sa.text("set local enable_seqscan = off"))
        plan = c.execute(sa.text("explain (analyze, format json) " + queries.get(name).sql), params).scalar()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return {n["Index Name"] for n in plan_nodes(plan[0]["Plan"]) if "Index Name" in n}


@pytest.mark.parametrize("text, index", [
    ("beyonce", "play_items_search_idx"),
    ("beyonce", "plays_z_totals_pkey"),          # its plays: one all-time row per result
    ("be", "play_items_name_fold_idx"),          # the names starting with the words (CANDIDATES_NOTE)
])
def test_search_plays_can_use_its_indexes(played_db, text, index):
    assert index in _plan_indexes(played_db, "search_play_items", search.parse(text).params(51))


@pytest.mark.parametrize("text, index", [
    ("radiohaed", "play_items_search_trgm_idx"),
    ("龍一", "play_items_cjk_grams_idx"),
])
def test_the_typo_and_cjk_fallback_reads_its_index_whatever_the_tables_size(played_db, text, index):
    """The fallback is a function planned without sequential scans (db/migrations/0022): its own
    statement's plan, as it runs inside the query, reads the index."""
    nested = nested_plan_indexes(played_db, "search_play_items", search.parse(text).params(51),
                                 "play_items_similar")
    assert index in nested


def test_the_fallback_runs_only_when_full_text_finds_under_five(plays_export_db):
    def nested(text: str) -> set[str]:
        return nested_plan_indexes(plays_export_db, "search_play_items", search.parse(text).params(51),
                                   "play_items_similar")

    assert len(find(plays_export_db, "radiohead")) >= 5
    assert nested("radiohead") == set()
    assert nested("radiohaed") == {"play_items_search_trgm_idx"}


def test_play_item_history_reads_its_items_by_index(played_db):
    key = find(played_db, "crazy in love").iloc[0]["name_key"]
    used = _plan_indexes(played_db, "play_item_history", {"name_key": key, "tz": "UTC", "min_seconds": 30})
    assert {"play_items_group_key_idx", "plays_hourly_items_item_idx"} <= used


# ---------------------------------------------------------------------------------------------
# Any text: results or nothing, never an error

HOSTILE = [
    "'", '"', "\\", "%", "_", "%_%", "' OR 1=1 --", "'; drop table play_items; --", "a:*", ":*", "!(a | b)", "(((",
    "<->", "a\x00b", "\x00", "x" * 5000, " " * 5000, "é" * 3000, "坂" * 3000, "🎸 Guns N' Roses 🎸", "ليلة",
    "עידן רייכל", "\u202egnp.exe", "-", "OR OR OR", '-"', "$x$ :red[y] **z** <b>w</b>", "\ud800\udfff", "\r\n\t",
]


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(h[:24]) for h in HOSTILE])
def test_search_plays_takes_hostile_input(played_db, text):
    q = search.parse(text)
    if q.empty:
        return
    res = queries.run("search_play_items", q.params(51), url=played_db, cap=50)
    df = view.prepare_plays(res.df)
    if df.empty:
        assert view.no_match_text(q, view.NO_PLAY_MATCH)
    else:
        view.plays_results_html(df, q.needles())
        view.plays_table_frame(df)
        view.plays_status_text(df, res.truncated, res.elapsed_ms)


@pytest.mark.parametrize("param", ["q", "fuzzy", "infix"])
@pytest.mark.parametrize("value", ["'", "\\", "%_%", "' OR 1=1 --", "坂本%", "x" * 200, "", " "])
def test_search_plays_sql_takes_any_text_in_its_text_parameters(played_db, param, value):
    params = search.parse("radiohaed").params(20)
    params[param] = value
    queries.run("search_play_items", params, url=played_db)


def test_library_and_plays_at_once_give_what_each_gives_alone(played_db):
    """The page's path per keystroke (db.queries.run_many): both searches at the same time, each result
    the same as running it alone, in the order asked."""
    for text in ("beyonce", "radiohaed", "kickst", "chapter 1", "qzxjvkw"):
        q = search.parse(text)
        calls = [("search_tracks", q.params(51), 50), ("search_play_items", q.params(51, min_seconds=10), 50)]
        together = queries.run_many(calls, url=played_db)
        assert [r.query for r in together] == ["search_tracks", "search_play_items"]
        for (name, params, cap), got in zip(calls, together):
            alone = queries.run(name, params, url=played_db, cap=cap)
            pd.testing.assert_frame_equal(got.df, alone.df)
            assert got.truncated == alone.truncated


def test_run_many_uses_one_connection_per_query(played_db, monkeypatch):
    name = "zz_backend"
    monkeypatch.setitem(queries.all_queries(), name, queries.Query(
        name=name, doc="which backend", sql="select pg_backend_pid() as pid, pg_sleep(0.2)", file="test"))
    pids = [r.df["pid"].iat[0] for r in queries.run_many([(name, {}, 1)] * 3, url=played_db)]
    assert len(set(pids)) == 3


def test_run_many_raises_a_failed_querys_error_after_the_others_finish(played_db, monkeypatch):
    import sqlalchemy.exc as sa_exc

    name = "zz_fails"
    monkeypatch.setitem(queries.all_queries(), name, queries.Query(
        name=name, doc="a failure", sql="select 1 / 0", file="test"))
    q = search.parse("beyonce")
    for calls in ([(name, {}, 1), ("search_play_items", q.params(51), 50)],
                  [("search_play_items", q.params(51), 50), (name, {}, 1)]):
        with pytest.raises(sa_exc.DataError):
            queries.run_many(calls, url=played_db)
    # the pool is fine afterwards
    assert not queries.run_many([("search_play_items", q.params(51), 50)], url=played_db)[0].df.empty
    assert queries.run_many([], url=played_db) == []


TEXT = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from(list("'\"\\&|!():*<>-%_ ORaé龍\t\x00")), max_size=40),
    st.lists(st.sampled_from(["kick", "Beyoncé", '"', "-", "OR", "'", ":*", "!", "(", ")", "龍一", "\\", "&"]),
             max_size=8).map(" ".join),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(text=TEXT)
def test_any_text_makes_a_plays_query_postgresql_accepts(played_db, text):
    q = search.parse(text)
    if q.empty:
        return
    queries.run("search_play_items", q.params(10), url=played_db)


# ---------------------------------------------------------------------------------------------
# Page helpers (pure)


def test_plays_results_html_shows_hostile_names_literally(played_db):
    df = view.prepare_plays(find(played_db, "script"))
    out = view.plays_results_html(df, search.parse("script").needles())
    assert "&lt;" in out and "<script" not in out and "<b>Album" not in out and "javascript:" not in out
    assert "**bold** $x$" in out


def test_plays_results_html_names_kind_counts_and_library(played_db):
    out = view.plays_results_html(view.prepare_plays(find(played_db, "crazy in love")),
                                  search.parse("crazy in love").needles())
    assert "5 plays" in out and "2019-03-01 → 2025-02-01" in out and "in your library" in out
    assert '<mark style="' + view.MARK_STYLE + '">Crazy</mark>' in out
    books = view.plays_results_html(view.prepare_plays(find(played_db, "pride")), search.parse("pride").needles())
    assert "Audiobook" in books and 'title="Audiobook"><img' in books


def test_play_label_names_the_kind_of_podcasts_and_audiobooks():
    assert view.play_label({"name": "Halo", "artist": "Beyoncé", "kind": "music"}) == "Halo — Beyoncé"
    assert view.play_label({"name": "Ep 1", "artist": "Show", "kind": "podcast"}) == "Ep 1 — Show (podcast episode)"
    assert view.play_label({"name": "Book", "artist": None, "kind": "audiobook"}) == "Book (audiobook)"
    assert view.play_label({"name": None, "artist": None, "kind": "music"}) == view.UNKNOWN_NAME


def test_plays_text_before_the_rollups_are_built():
    assert "not counted yet" in view.plays_text({"plays": pd.NA})


def test_play_history_chart_draws_a_bar_per_month():
    df = pd.DataFrame({"month": ["2019-03-01", "2020-01-01"], "plays": [2, 1], "streams": [3, 1], "minutes": [6.3, 1.7]})
    spec = charts.play_history_chart(view.play_history_frame(df), "Crazy in Love — Beyoncé").to_dict()
    assert spec["mark"]["type"] == "bar" and spec["encoding"]["y"]["field"] == "plays"
    assert spec["encoding"]["x2"]["field"] == "month_end"


# ---------------------------------------------------------------------------------------------
# The page


def app(url: str, monkeypatch, query: str | None = None) -> AppTest:
    import streamlit

    monkeypatch.setenv("DATABASE_URL", url)
    streamlit.cache_data.clear()
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    if query is not None:
        at.text_input[0].input(query).run()
        assert not at.exception, at.exception
    return at


def plays_table(at: AppTest) -> pd.DataFrame:
    open_table_tab(at)
    frames = [d.value for d in at.dataframe if "first_played" in d.value.columns]
    assert frames, "no played items table"
    return frames[0]


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def scope_switch(at: AppTest):
    groups = [g for g in at.get("button_group") if g.key == "search-scope"]
    return groups[0] if groups else None


def test_page_with_plays_keeps_the_query_box_first(played_db, monkeypatch):
    at = app(played_db, monkeypatch)
    assert at.text_input[0].label == "Search tracks, artists and albums"
    assert "Type to search" in page_texts(at)


def test_page_offers_library_and_plays_with_their_counts(played_db, monkeypatch):
    at = app(played_db, monkeypatch, "beyonce")
    switch = scope_switch(at)
    assert switch is not None and switch.value == "plays"          # the side that found more
    assert any("In your plays · 2" in o for o in switch.options) and any("Library · 1" in o for o in switch.options)
    assert "Crazy in Love" in html_bodies(at)


def test_page_shows_played_items_with_counts_history_and_rank_history(played_db, monkeypatch):
    at = app(played_db, monkeypatch, "beyonce")
    scope_switch(at).set_value("plays").run()
    assert not at.exception, at.exception
    table = plays_table(at)
    assert table["name"].tolist() == ["Crazy in Love", "Halo"]
    assert table.iloc[0]["plays"] == 5 and bool(table.iloc[0]["in_library"])
    body = html_bodies(at)
    assert "5 plays" in body and '<mark style="' + view.MARK_STYLE + '">Beyoncé</mark>' in body
    assert not figures(at) and not chart_specs(at), "two results: no history until one is chosen"
    pick_result(at, "plays-pick")
    shown = figures(at)
    assert (shown["Plays"][0], shown["First listen"][0], shown["Last listen"][0]) == ("5", "2019-03-01", "2025-02-01")
    specs = chart_specs(at)
    assert any(s["mark"]["type"] == "bar" for s in specs), "the monthly plays chart"
    assert any(s.get("encoding", {}).get("y", {}).get("scale", {}).get("reverse") for s in specs), \
        "the rank history of a track that is also in the library"


def test_page_shows_the_history_of_the_chosen_played_item(played_db, monkeypatch):
    at = app(played_db, monkeypatch, "beyonce")
    scope_switch(at).set_value("plays").run()
    box = at.selectbox(key="plays-pick")
    halo = at.session_state["plays-ids"][1]
    box.select(halo).run()
    assert not at.exception, at.exception
    assert figures(at)["Plays"][0] == "1"
    specs = chart_specs(at)
    assert [s for s in specs if s["mark"]["type"] == "bar"][0]["title"] == "Halo — Beyoncé"
    assert not any(s.get("encoding", {}).get("y", {}).get("scale", {}).get("reverse") for s in specs), \
        "Halo is not in the library: no rank history"


def test_page_switches_to_plays_when_only_plays_match(played_db, monkeypatch):
    at = app(played_db, monkeypatch, "kickst")
    assert scope_switch(at).value == "plays"
    assert "Kickstart My Heart" in set(plays_table(at)["name"])
    assert "in your library" not in html_bodies(at)


def test_page_shows_podcasts_and_audiobooks_with_their_kind(played_db, monkeypatch):
    at = app(played_db, monkeypatch, "chapter 1")
    table = plays_table(at)
    assert set(table["kind"]) == {"Audiobook"}
    assert set(table["name"]) == {"Pride and Prejudice", "Der Zauberberg"}
    at.text_input[0].input("zwei stuhle").run()
    assert plays_table(at).iloc[0]["kind"] == "Podcast episode"
    assert 'href="https://open.spotify.com/episode/' in html_bodies(at)


def test_page_with_only_plays_searches_them_without_a_switch(played_only_db, monkeypatch):
    at = app(played_only_db, monkeypatch, "radiohaed")
    assert scope_switch(at) is None
    assert "Searching everything you played" in page_texts(at)
    assert plays_table(at)["name"].tolist() == ["Karma Police"]
    assert "similar spelling" in page_texts(at) + html_bodies(at)


def test_page_no_played_match_is_a_friendly_message(played_only_db, monkeypatch):
    at = app(played_only_db, monkeypatch, "qzxjvkw")
    assert any("Nothing you played matches" in i.value for i in at.info)


def test_page_without_plays_looks_as_before(demo_url, monkeypatch):
    at = app(demo_url, monkeypatch, "beyonce")
    assert scope_switch(at) is None
    assert "In your plays" not in page_texts(at) and "played item" not in page_texts(at)
    assert not [d for d in at.dataframe if "first_played" in d.value.columns]
    assert at.selectbox(key="search-pick") is not None


@pytest.mark.parametrize("text", [
    '"', "\\", "%", "_", "' OR 1=1 --", "'; drop table play_items; --", "a\x00b", "x" * 5000, " " * 50, "-love",
    ":*", "(((", "!!!", "<script>alert(1)</script>", "**bold** $x$ :red[y]", "🎸", "ليلة", '"unterminated', "OR",
    "\u202egnp.exe", "坂" * 300,
], ids=lambda t: repr(t[:20]))
def test_page_with_plays_survives_hostile_input(played_only_db, monkeypatch, text):
    at = app(played_only_db, monkeypatch, text)
    friendly = [i.value for i in at.info] + [c.value for c in at.caption]
    assert at.get("html") or any(("Nothing you played matches" in m) or ("Nothing to search for" in m) or
                                 ("Type to search" in m) for m in friendly)


def test_page_shows_hostile_played_names_literally(played_only_db, monkeypatch):
    at = app(played_only_db, monkeypatch, "script")
    body = html_bodies(at)
    assert "&lt;" in body and "<script" not in body and "javascript:" not in body
    assert plays_table(at).iloc[0]["spotify"] is None


# ---------------------------------------------------------------------------------------------
# Time zones: months, first and last listen in the user's zone (the Plays page's rule)

# Midnight City's plays: 2019-03-31 23:30 and 2019-05-01 06:30 UTC
MIDNIGHT = {
    "UTC": (["2019-03-01", "2019-05-01"], "2019-03-31 23:30", "2019-05-01 06:30"),
    "America/Los_Angeles": (["2019-03-01", "2019-04-01"], "2019-03-31 16:30", "2019-04-30 23:30"),
    "Pacific/Kiritimati": (["2019-04-01", "2019-05-01"], "2019-04-01 13:30", "2019-05-01 20:30"),
}


@pytest.mark.parametrize("tz", list(MIDNIGHT))
def test_play_item_history_counts_months_and_first_last_listen_in_the_zone(played_db, tz):
    months, first, last = MIDNIGHT[tz]
    key = find(played_db, "midnight city").iloc[0]["name_key"]
    df = queries.run("play_item_history", {"name_key": key, "tz": tz, "min_seconds": 30}, url=played_db).df
    assert [str(m) for m in df["month"]] == months
    assert df["plays"].tolist() == [1, 1]
    assert df["minutes"].tolist() == pytest.approx([200_000 / 60000, 240_000 / 60000])
    assert pd.Timestamp(df["first_played"].iloc[0]) == pd.Timestamp(first)
    assert pd.Timestamp(df["last_played"].iloc[0]) == pd.Timestamp(last)


@pytest.mark.parametrize("tz", list(MIDNIGHT))
def test_played_items_first_and_last_play_show_in_the_zone(played_db, tz):
    _, first, last = MIDNIGHT[tz]
    row = view.prepare_plays(find(played_db, "midnight city"), tz).iloc[0]
    assert (row["first_played"], row["last_played"]) == (pd.Timestamp(first), pd.Timestamp(last))
    assert view.plays_text(row) == f"2 plays · 7 min · {first[:10]} → {last[:10]}"


def test_play_summary_names_the_zone_of_first_and_last_listen():
    history = pd.DataFrame({"month": ["2019-04-01"], "plays": [2], "streams": [2], "minutes": [7.3],
                            "first_played": [pd.Timestamp("2019-04-01 13:30")],
                            "last_played": [pd.Timestamp("2019-05-01 20:30")]})
    summary = {label: (value, help_text) for label, value, help_text in
               view.play_summary(history, "Pacific/Kiritimati")}
    assert summary["First listen"] == ("2019-04-01", "2019-04-01 13:30 Pacific/Kiritimati")
    assert summary["Last listen"] == ("2019-05-01", "2019-05-01 20:30 Pacific/Kiritimati")


def test_months_note_only_for_zones_with_a_part_hour_offset():
    assert view.months_note("Europe/Berlin", False) is None
    assert "not a whole number of hours" in view.months_note("Asia/Kolkata", True)


def test_played_times_fall_back_to_utc_for_a_zone_python_does_not_know():
    df = pd.DataFrame({"spotify_url": [None], "plays": [1], "streams": [1], "minutes": [1.0], "name_key": ["k"],
                       "first_played": [pd.Timestamp("2019-03-31 23:30", tz="UTC")],
                       "last_played": [pd.Timestamp("2019-03-31 23:30", tz="UTC")]})
    assert view.prepare_plays(df, "Nowhere/Atlantis").iloc[0]["first_played"] == pd.Timestamp("2019-03-31 23:30")


def bar_months(at: AppTest) -> list[str]:
    """The months of the monthly plays chart (its data travels as Arrow, beside the spec)."""
    import pyarrow as pa

    bars = [c for c in at.get("vega_lite_chart") if json.loads(c.proto.spec)["mark"]["type"] == "bar"]
    assert bars, "no monthly plays chart"
    months = [m for ds in bars[0].proto.datasets
              for m in pa.ipc.open_stream(ds.data.data).read_all().column("month").to_pylist()]
    return sorted(str(pd.Timestamp(m).date()) for m in months)


def zoned_app(url: str, monkeypatch, tz: str | None, env_tz: str | None = None) -> AppTest:
    import streamlit

    monkeypatch.setenv("DATABASE_URL", url)
    if env_tz is None:
        monkeypatch.delenv("TZ", raising=False)
    else:
        monkeypatch.setenv("TZ", env_tz)
    streamlit.cache_data.clear()
    at = AppTest.from_file(PAGE, default_timeout=60)
    if tz is not None:
        at.query_params["tz"] = tz
    at.query_params["q"] = "midnight city"
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "America/Los_Angeles", "pacific/kiritimati"])
def test_page_shows_played_times_and_months_in_the_links_time_zone(played_db, monkeypatch, tz):
    zone = "Pacific/Kiritimati" if tz.lower() == "pacific/kiritimati" else tz
    months, first, last = MIDNIGHT[zone]
    at = zoned_app(played_db, monkeypatch, tz)
    assert at.text_input[0].label == "Search tracks, artists and albums"
    assert f"times in {zone} (the link)" in page_texts(at)
    row = plays_table(at).iloc[0]
    assert (row["name"], row["first_played"], row["last_played"]) == ("Midnight City", pd.Timestamp(first),
                                                                      pd.Timestamp(last))
    shown = figures(at)
    assert (shown["First listen"][0], shown["Last listen"][0]) == (first[:10], last[:10])
    assert shown["First listen"][1] == f"{first} {zone}"
    assert bar_months(at) == months


def test_page_uses_the_tz_setting_without_a_link_zone(played_db, monkeypatch):
    at = zoned_app(played_db, monkeypatch, None, env_tz="America/Los_Angeles")
    assert "times in America/Los_Angeles (the server's TZ setting)" in page_texts(at)
    assert bar_months(at) == MIDNIGHT["America/Los_Angeles"][0]


def test_page_says_months_are_by_hour_in_a_half_hour_zone(played_db, monkeypatch):
    at = zoned_app(played_db, monkeypatch, "Asia/Kolkata")
    assert "times in Asia/Kolkata (the link)" in page_texts(at)
    assert "Months are local to Asia/Kolkata, built from hourly counts" in page_texts(at)
    assert "hourly counts" not in page_texts(zoned_app(played_db, monkeypatch, "Europe/Berlin"))


@pytest.mark.parametrize("tz", ["'; drop table plays; --", "UTC' or '1'='1", "Europe/Berlin\x00", "x" * 5000,
                                "", " ", "Mars/Olympus_Mons", "posix/Europe/Berlin", "%", "🎸"],
                         ids=lambda t: repr(t[:20]))
def test_page_with_a_hostile_link_zone_falls_back_to_the_default(played_db, monkeypatch, tz):
    at = zoned_app(played_db, monkeypatch, tz)
    shown = page_texts(at)
    assert "times in UTC (the default)" in shown
    assert bar_months(at) == MIDNIGHT["UTC"][0]
    assert plays_table(at).iloc[0]["first_played"] == pd.Timestamp(MIDNIGHT["UTC"][1])
    if tz.strip():
        assert "The link's time zone (tz) is not one PostgreSQL knows, so UTC (the default) is used." in shown


@pytest.mark.parametrize("min_s, plays", [(None, 5), ("30", 5), ("0", 6), ("10", 6), ("60", 4)])
def test_page_counts_plays_as_the_plays_page_and_says_how(played_db, monkeypatch, min_s, plays):
    """A link's min_s (the Plays page's setting) decides what a play is here too; 30 s without one.
    Crazy in Love: 6 streams, of 200, 180, 30, 12, 100 and 150 seconds."""
    import streamlit

    monkeypatch.setenv("DATABASE_URL", played_db)
    streamlit.cache_data.clear()
    at = AppTest.from_file(PAGE, default_timeout=60)
    if min_s is not None:
        at.query_params["min_s"] = min_s
    at.run()
    at.text_input[0].input("crazy in love").run()
    scope_switch(at).set_value("plays").run()
    assert not at.exception, at.exception
    row = plays_table(at).iloc[0]
    assert (row["plays"], row["streams"]) == (plays, 6)
    assert figures(at)["Plays"][0] == str(plays)
    threshold = {None: 30, "30": 30, "0": 0, "10": 10, "60": 60}[min_s]
    assert f"{plays_view.threshold_text(threshold)}, as on the Plays page" in page_texts(at)
    assert (f"{plays} plays (6 streams)" if plays != 6 else "6 plays ·") in html_bodies(at)


def test_a_clicked_result_links_to_this_search_with_it_chosen(played_db, monkeypatch):
    at = app(played_db, monkeypatch, "beyonce")
    body = html_bodies(at)
    links = re.findall(r'<a class="mtm-pick" href="\?([^"]+)"', body)
    assert links, body
    params = dict(urllib.parse.parse_qsl(html.unescape(links[-1])))
    assert params["q"] == "beyonce" and params["scope"] == "plays" and params["pick"]
    # following the link: a new session with the link's parameters shows that item
    import streamlit

    streamlit.cache_data.clear()
    again = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in params.items():
        again.query_params[key] = value
    again.run()
    assert not again.exception, again.exception
    assert again.selectbox(key="plays-pick").value == params["pick"]
    assert scope_switch(again).value == "plays"


def test_the_links_scope_wins_over_the_busier_side(played_db, monkeypatch):
    import streamlit

    monkeypatch.setenv("DATABASE_URL", played_db)
    streamlit.cache_data.clear()
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["q"] = "beyonce"
    at.query_params["scope"] = "library"
    at.run()
    assert not at.exception, at.exception
    assert scope_switch(at).value == "library"
    assert "Rank history" in [s.value for s in at.subheader]


@pytest.mark.parametrize("text, without, word", test_search_queries.EXCLUSIONS)
def test_search_exclusion_only_removes_played_items_the_rest_keep_order_and_score(plays_export_db, text, without,
                                                                                  word):
    test_search_queries.exclusion_keeps_the_rest(plays_export_db, "search_play_items", "name_key",
                                                 ("track", "artist", "album"), text, without, word)


PROLIFIC = "Prolific Orchestra"


def _prolific_export(folder) -> str:
    """An artist with more played items than search ranks (2,500 works played once each, written
    first), and three favourites played most (written last; their names sort last too)."""
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    records = [data.record(start + dt.timedelta(minutes=3 * i), 60_000, f"Work {i:04d}", PROLIFIC, album="Complete")
               for i in range(2500)]
    later = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    for n, name in ((5, "Zz Favourite A"), (4, "Zz Favourite B"), (3, "Zz Favourite C")):
        records += [data.record(later + dt.timedelta(hours=n, minutes=5 * k), 200_000, name, PROLIFIC,
                                album="Complete") for k in range(n)]
    data.write(str(folder), "Streaming_History_Audio_2020-2024_prolific.json", records)
    return str(folder)


@pytest.fixture(scope="module")
def prolific_db(server_url, tmp_path_factory):
    yield from _imported_db(server_url, tmp_path_factory, "mtm_search_prolific", lambda folder: [_prolific_export(folder)])


def test_search_in_plays_shows_the_most_played_of_an_artist_with_thousands_of_items(prolific_db):
    """More items match than search ranks in table order (1,000): the ones ranked are the most streamed
    (PLAY_ITEMS_ORDER), so the artist's favourites come first, most played first, as typed too."""
    for text in ("prolific", "prolific orch", "pr"):
        df = find(prolific_db, text)
        assert df["candidates"].max() == view.CANDIDATE_CAP, text      # no name starts with the words
        assert names(df)[:3] == ["Zz Favourite A", "Zz Favourite B", "Zz Favourite C"], text
        assert df["plays"].tolist()[:4] == [5, 4, 3, 1], text


def streams_by_page(url: str) -> list[int]:
    """The streams of the most streamed item on each page of play_items, in page order. Items are
    written most streamed first, and PostgreSQL may put a later (less streamed) row into an earlier
    page's leftover space, so each page's most streamed item is the measure of the order."""
    return [s for (s,) in pg_rows(url, """
        select max(streams) from (
          select (i.ctid::text::point)[0]::int as page, coalesce(sum(h.plays), 0) as streams
          from play_items i left join plays_hourly_items h using (item_key)
          group by i.ctid) x
        group by page order by page""")]


def test_play_items_are_stored_most_streamed_first(prolific_db):
    """What the search's capped scan relies on: the table's order is most streamed first."""
    first = [t for (t,) in pg_rows(prolific_db, "select track from play_items order by ctid limit 3")]
    assert first == ["Zz Favourite A", "Zz Favourite B", "Zz Favourite C"]
    tops = streams_by_page(prolific_db)
    assert len(tops) > 10 and tops == sorted(tops, reverse=True)


def _crowded_export(folder) -> str:
    """2,100 works by "Lovers Orchestra" played twice each (they match "love" and are streamed most),
    then a song named exactly "Love" and one named "Lové Me", played once each: the most streamed
    matches of "love" in table order are all works."""
    start = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    records = [data.record(start + dt.timedelta(minutes=7 * i + k), 60_000, f"Work {i:04d}", "Lovers Orchestra",
                           album="Complete") for i in range(2100) for k in (0, 3)]
    later = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    records += [data.record(later, 200_000, "Love", "Someone", album="Single"),
                data.record(later + dt.timedelta(hours=1), 200_000, "Lové Me", "Other", album="Single")]
    data.write(str(folder), "Streaming_History_Audio_2021-2024_crowded.json", records)
    return str(folder)


@pytest.fixture(scope="module")
def crowded_db(server_url, tmp_path_factory):
    yield from _imported_db(server_url, tmp_path_factory, "mtm_search_crowded", lambda folder: [_crowded_export(folder)])


def test_a_played_item_named_what_was_typed_is_found_however_many_items_match(crowded_db):
    """More items match "love" than search ranks, and the two named so are the least streamed: they
    are found by their name (CANDIDATES_NOTE), the exact name first, and the page says the search was capped."""
    first = {t for (t,) in pg_rows(crowded_db, "select track from play_items where search @@ "
                                               "to_tsquery('simple_unaccent', 'love:*') limit %s",
                                   (view.CANDIDATE_CAP,))}
    assert len(first) == view.CANDIDATE_CAP and not first & {"Love", "Lové Me"}       # what made them missed
    df = find(crowded_db, "love")
    assert names(df)[:2] == ["Love", "Lové Me"]
    assert df["plays"].tolist()[:3] == [1, 1, 2]
    assert df["candidates"].max() >= view.CANDIDATE_CAP
    assert "the names starting with your words" in view.plays_status_text(df, True, 1.0)
    assert names(find(crowded_db, "love me"))[0] == "Lové Me"
    assert "Love" not in names(find(crowded_db, "love -someone"))          # exclusions still hold


def test_the_ranking_quality_bench_rewrites_the_plays_search_into_queries_that_run(plays_export_db):
    test_search_queries.quality_variants_hold(plays_export_db, "search_play_items")
