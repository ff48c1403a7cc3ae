"""The listening-history queries (db/sql/history.sql) on a small hand-checked dataset.

Six snapshot dates around a newest one N = 2025-06-30 (window for forgotten gems: 2024-06-30 ..
2025-04-01, i.e. 365 to 90 days before N):

    date        days before N   short_term (rank: track)           long_term
    2024-06-29  366 (outside)   1: old
    2024-07-01  364 (window)    4: recent, 5: gem
    2025-04-01   90 (window)    1: back, 2: gem, 3: range
    2025-04-02   89             1: recent, 2: back
    2025-06-23    7             1: back                            1: range
    2025-06-30    0             1: new, 3: back                    1: new, 2: range
"""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from db import queries
from migrate.sqlite_import import import_sqlite
from tests.helpers import make_sqlite

D = dt.date
OLD, W0, W1, E, R1, N = (D(2024, 6, 29), D(2024, 7, 1), D(2025, 4, 1), D(2025, 4, 2), D(2025, 6, 23),
                         D(2025, 6, 30))
HOSTILE_ARTIST = "O'Brien & Co %_ \\ \"quoted\""


def payload(**fields) -> str:
    return json.dumps(fields)


TRACKS = [
    # track_id, name, artist_name, album_name, duration_ms, spotify_url, raw_json
    ("gem", "Libertango", "Ástor Piazzolla", "Libertango", 29_999, None,
     payload(album={"release_date": "1974-05", "release_date_precision": "month"}, explicit=False, popularity=55)),
    ("recent", "Hostile", HOSTILE_ARTIST, "A", 3_600_000, None,
     payload(album={"release_date": "0000"}, explicit="true", popularity="80")),
    ("back", "Jóga", "Björk", "Homogenic", 240_000, None,
     payload(album={"release_date": "1997-09-22", "release_date_precision": "day"}, explicit=True, popularity=100)),
    ("range", "Bachelorette", "Björk", "Homogenic", None, None,
     payload(album={"release_date": "1997", "release_date_precision": "year"}, explicit=False, popularity=0,
             duration_ms=61_000)),
    ("old", "Oldie", "Old Timer", None, 180_000, None, payload(name="Oldie")),   # an old payload: no album
    ("new", "Newbie", "New Kid", "N", None, None, None),                          # no payload at all
]
SNAPSHOTS = [
    ("old", OLD, "short_term", 1),
    ("recent", W0, "short_term", 4), ("gem", W0, "short_term", 5),
    ("back", W1, "short_term", 1), ("gem", W1, "short_term", 2), ("range", W1, "short_term", 3),
    ("recent", E, "short_term", 1), ("back", E, "short_term", 2),
    ("back", R1, "short_term", 1), ("range", R1, "long_term", 1),
    ("new", N, "short_term", 1), ("back", N, "short_term", 3), ("new", N, "long_term", 1), ("range", N, "long_term", 2),
]
ALL = {"since": D(2000, 1, 1), "until": D(2100, 1, 1)}
SHORT = {**ALL, "time_range": "short_term", "artist": None}


@pytest.fixture
def small_url(db_url, tmp_path):
    path = make_sqlite(tmp_path / "small.db", TRACKS,
                       [(t, d.isoformat(), r, k) for t, d, r, k in SNAPSHOTS])
    report = import_sqlite(path, db_url)
    assert report.tables["snapshots"].inserted == len(SNAPSHOTS)
    return db_url


def rows(url, name, **params) -> list[dict]:
    return queries.run(name, params, url=url).df.to_dict("records")


def gems(url, *, time_range=None, until=N, recent=2, artist=None) -> dict[str, dict]:
    out = rows(url, "forgotten_gems", time_range=time_range, until=until, recent_snapshots=recent,
               window_start_days=90, window_end_days=365, artist=artist, limit=100)
    return {r["track_id"]: r for r in out}


# ---------------------------------------------------------------------------------------------
# Forgotten gems


@pytest.mark.parametrize("time_range, recent, expected", [
    # any range, recent = the last 2 dates (R1, N): back and range were ranked there
    (None, 2, {"gem", "recent"}),
    # short_term only: range's recent placement is long_term, so it counts as forgotten
    ("short_term", 2, {"gem", "recent", "range"}),
    # the last 3 dates take in 2025-04-02, where recent was #1
    (None, 3, {"gem"}),
    # the last 4 take in 2025-04-01 too: nothing is forgotten
    (None, 4, set()),
])
def test_forgotten_gems_are_tracks_ranked_in_the_window_and_absent_from_recent_snapshots(
        small_url, time_range, recent, expected):
    assert set(gems(small_url, time_range=time_range, recent=recent)) == expected


def test_forgotten_gems_window_is_inclusive_at_90_and_365_days_and_excludes_366(small_url):
    found = gems(small_url)
    assert "old" not in found                                  # 366 days before N
    assert found["recent"]["first_in_window"] == W0            # 364 days
    assert found["gem"]["last_in_window"] == W1                # exactly 90 days


def test_forgotten_gem_reports_best_rank_placements_and_days_since(small_url):
    gem = gems(small_url)["gem"]
    assert (gem["best_rank"], gem["placements"], gem["last_ranked"], gem["days_since"]) == (2, 2, W1, 90)
    recent = gems(small_url)["recent"]
    # last ranked after the window (2025-04-02), which days_since reflects
    assert (recent["best_rank"], recent["placements"], recent["last_ranked"], recent["days_since"]) == (4, 1, E, 89)


def test_forgotten_gems_are_ordered_best_rank_first(small_url):
    out = rows(small_url, "forgotten_gems", time_range="short_term", until=N, recent_snapshots=2,
               window_start_days=90, window_end_days=365, artist=None, limit=100)
    assert [r["track_id"] for r in out] == ["gem", "range", "recent"]


def test_forgotten_gems_until_moves_the_newest_snapshot_back(small_url):
    # newest = 2025-04-02: window 2024-04-03 .. 2025-01-02 holds OLD and W0; recent = W1, E
    assert set(gems(small_url, until=E, recent=2)) == {"old"}


def test_forgotten_gems_artist_filter_matches_a_hostile_name_exactly(small_url):
    assert set(gems(small_url, artist=HOSTILE_ARTIST)) == {"recent"}
    assert gems(small_url, artist="O'Brien") == {}


def test_forgotten_gems_match_the_demo_generators_own_count(demo_url, tmp_path):
    from migrate import demo

    planted = demo.generate(tmp_path / "again.db")["forgotten_gems"]
    res = queries.run("forgotten_gems", {"time_range": None, "until": D(2100, 1, 1), "recent_snapshots": 4,
                                         "window_start_days": 90, "window_end_days": 365, "artist": None,
                                         "limit": 100_000}, url=demo_url)
    assert len(res.df) == planted > 0


# ---------------------------------------------------------------------------------------------
# Turnover


def test_turnover_is_the_share_of_tracks_not_in_the_previous_snapshot_of_the_range(small_url):
    out = rows(small_url, "snapshot_turnover", time_range="short_term", **ALL)
    got = [(r["snapshot_date"], r["previous_date"], r["tracks"], r["new_tracks"], float(r["turnover"])) for r in out]
    assert got == [
        (W0, OLD, 2, 2, 1.0),
        (W1, W0, 3, 2, 0.6667),     # back and range are new; gem was there
        (E, W1, 2, 1, 0.5),         # recent was in W0, not W1: new again
        (R1, E, 1, 0, 0.0),
        (N, R1, 2, 1, 0.5),
    ]


def test_turnover_covers_every_range_and_keeps_the_previous_snapshot_before_since(small_url):
    out = rows(small_url, "snapshot_turnover", time_range=None, since=W1, until=D(2100, 1, 1))
    got = [(r["time_range"], r["snapshot_date"], r["previous_date"], float(r["turnover"])) for r in out]
    assert got == [("long_term", N, R1, 0.5),
                   ("short_term", W1, W0, 0.6667), ("short_term", E, W1, 0.5),
                   ("short_term", R1, E, 0.0), ("short_term", N, R1, 0.5)]


# ---------------------------------------------------------------------------------------------
# Rank over time, choices


def test_track_rank_over_time_follows_one_track_through_the_range(small_url):
    out = rows(small_url, "track_rank_over_time", track_ids=json.dumps(["back"]), time_range="short_term",
               limit=100, **ALL)
    assert [(r["snapshot_date"], r["rank"]) for r in out] == [(W1, 1), (E, 2), (R1, 1), (N, 3)]


def test_track_rank_over_time_with_no_or_unknown_ids_is_empty(small_url):
    for ids in ([], ["nope", "'; drop table snapshots; --"]):
        assert rows(small_url, "track_rank_over_time", track_ids=json.dumps(ids), time_range="short_term",
                    limit=100, **ALL) == []


def test_artist_rank_counts_each_artist_once_at_its_best_track(small_url):
    out = rows(small_url, "artist_rank_over_time", artists=json.dumps(["Björk", "Ástor Piazzolla"]),
               time_range="short_term", limit=100, since=W1, until=W1)
    got = {(r["artist_name"], r["rank"], r["best_rank"], r["tracks"]) for r in out}
    # W1: back (Björk) 1, gem (Ástor) 2, range (Björk) 3 -> Björk 1st with 2 tracks, Ástor 2nd
    assert got == {("Björk", 1, 1, 2), ("Ástor Piazzolla", 2, 2, 1)}


def test_top_tracks_rank_by_weighted_score(small_url):
    out = rows(small_url, "history_top_tracks", limit=10, **SHORT)
    assert [(r["track_id"], r["score"]) for r in out] == [
        ("back", 197), ("recent", 97), ("gem", 95), ("new", 50), ("old", 50), ("range", 48)]
    assert (out[0]["appearances"], out[0]["best_rank"], float(out[0]["avg_rank"])) == (4, 1, 1.8)


def test_history_bounds_and_artist_lists(small_url):
    assert rows(small_url, "history_bounds") == [{"first_snapshot": OLD, "last_snapshot": N, "snapshot_dates": 6}]
    artists = rows(small_url, "history_artists", limit=10)
    assert artists[0] == {"artist_name": "Björk", "appearances": 7}
    assert rows(small_url, "history_artist_appearances", artist=HOSTILE_ARTIST) == [{"appearances": 2}]
    assert rows(small_url, "history_artist_appearances", artist="björk") == [{"appearances": 0}]


# ---------------------------------------------------------------------------------------------
# Musical evolution


def test_top_artists_by_month_sum_rank_weights(small_url):
    out = rows(small_url, "top_artists_by_month", per_month=5, limit=100, **SHORT)
    april = [(r["position"], r["artist_name"], r["score"], r["placements"], r["tracks"])
             for r in out if r["month"] == D(2025, 4, 1)]
    # Björk: back #1 (50) + range #3 (48) on 04-01, back #2 (49) on 04-02
    assert april == [(1, "Björk", 147, 3, 2), (2, HOSTILE_ARTIST, 50, 1, 1), (3, "Ástor Piazzolla", 49, 1, 1)]
    assert [r["month"] for r in out if r["position"] == 1] == [D(2024, 6, 1), D(2024, 7, 1), D(2025, 4, 1),
                                                               D(2025, 6, 1)]


def test_top_artists_by_month_keeps_per_month_artists(small_url):
    out = rows(small_url, "top_artists_by_month", per_month=1, limit=100, **SHORT)
    assert len(out) == 4 and {r["position"] for r in out} == {1}


def test_taste_shift_is_jaccard_distance_of_artist_sets_and_mean_release_year(small_url):
    out = rows(small_url, "taste_shift", time_range="short_term", **ALL)
    got = [(r["month"], r["artists"], r["shared_artists"],
            None if pd.isna(r["artist_shift"]) else r["artist_shift"]) for r in out]
    assert got == [
        (D(2024, 6, 1), 1, 0, None),
        (D(2024, 7, 1), 2, 0, 1.0),
        (D(2025, 4, 1), 3, 2, 0.3333),    # Ástor and O'Brien stay, Björk arrives: 1 - 2/3
        (D(2025, 6, 1), 2, 1, 0.75),      # Björk stays of Björk, Ástor, O'Brien, New Kid: 1 - 1/4
    ]
    april = out[2]
    # gem 1974, back 1997, range 1997, recent '0000' (no year)
    assert (float(april["avg_release_year"]), april["dated_tracks"], april["tracks"]) == (1989.3, 3, 4)


# ---------------------------------------------------------------------------------------------
# raw_json traits


def test_release_years_take_the_year_at_any_precision_and_skip_0000_and_missing(small_url):
    assert rows(small_url, "release_years", **SHORT) == [{"year": 1974, "tracks": 1}, {"year": 1997, "tracks": 2}]


def test_explicit_share_counts_non_boolean_or_missing_flags_as_unknown(small_url):
    out = {r["content"]: (r["tracks"], float(r["share"])) for r in rows(small_url, "explicit_share", **SHORT)}
    assert out == {"clean": (2, 0.3333), "explicit": (1, 0.1667), "unknown": (3, 0.5)}


def test_popularity_histogram_bins_numbers_only(small_url):
    assert rows(small_url, "popularity_histogram", **SHORT) == [
        {"bin_start": 0, "bin_end": 10, "tracks": 1}, {"bin_start": 50, "bin_end": 60, "tracks": 1},
        {"bin_start": 90, "bin_end": 100, "tracks": 1}]


def test_duration_histogram_uses_the_column_then_raw_json_and_caps_at_20_minutes(small_url):
    out = [(r["bin_start"], r["bin_end"], r["tracks"]) for r in rows(small_url, "duration_histogram", **SHORT)]
    # 29,999 ms, 61,000 (raw_json), 180,000, 240,000, 3,600,000 (capped); 'new' has no duration
    assert out == [(0.0, 0.5, 1), (1.0, 1.5, 1), (3.0, 3.5, 1), (4.0, 4.5, 1), (20.0, 20.5, 1)]


def test_track_traits_summarise_what_the_payloads_hold(small_url):
    (t,) = rows(small_url, "track_traits", **SHORT)
    assert (t["tracks"], t["with_release_year"], t["explicit"], t["clean"], t["explicit_unknown"],
            t["with_popularity"]) == (6, 3, 1, 2, 3, 3)
    assert float(t["median_popularity"]) == 55 and float(t["median_minutes"]) == 3.0


def test_filters_narrow_by_artist_and_dates(small_url):
    only = rows(small_url, "history_top_tracks", limit=10, since=W1, until=E, time_range="short_term",
                artist="Björk")
    assert [r["track_id"] for r in only] == ["back", "range"]
    assert rows(small_url, "release_years", since=OLD, until=OLD, time_range="short_term", artist=None) == []


@pytest.mark.parametrize("artist", ["'", "\\", "%", "_", "' or 1=1 --", "x" * 5000, "   ", "🎸", "مرحبا"])
def test_hostile_artist_filters_return_nothing_without_error(small_url, artist):
    for name in ("history_top_tracks", "top_artists_by_month", "release_years", "explicit_share"):
        params = {**SHORT, "artist": artist, "limit": 10, "per_month": 5}
        assert queries.run(name, params, url=small_url).df.empty


# ---------------------------------------------------------------------------------------------
# Every history query, on an empty database


HISTORY_QUERIES = sorted(n for n, q in queries.all_queries().items() if q.file == "history.sql")


@pytest.mark.parametrize("name", HISTORY_QUERIES)
def test_history_query_runs_on_an_empty_database(empty_url, name):
    res = queries.run(name, queries.get(name).example, url=empty_url)
    assert not res.truncated
    if name in ("history_bounds", "history_artist_appearances", "track_traits"):
        assert len(res.df) == 1      # aggregates: one row of zeros / nulls
    else:
        assert res.df.empty


def test_history_query_examples_find_rows_in_the_demo_data(demo_url):
    empty = [name for name in HISTORY_QUERIES
             if queries.run(name, queries.get(name).example, url=demo_url).df.empty]
    assert empty == []


@pytest.mark.parametrize("name", HISTORY_QUERIES)
def test_history_query_documents_itself_with_an_example(name):
    q = queries.get(name)
    assert q.doc and set(q.params) <= set(q.example)
