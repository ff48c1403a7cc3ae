"""Long date ranges on the Plays page (db/migrations/0021_plays_partial_years.sql): an end of a range
that holds nine months or more of its year is read as that year's row less its other months. Over
plays spread across 2010-2026 (a listener whose artists change over the years), the figures of long
ranges match pandas in two time zones: two periods, top lists with their first and last plays,
distinct counts and skips, for ranges that end or start in every way (nine months or more of a year
at either end, fewer, a whole year, a local end that is a UTC year end in one zone and not in the
other).
"""
from __future__ import annotations

import datetime as dt
import os
import random

import pytest

from migrate.api import run_import
from tests import plays_data as data
from tests.helpers import create_database, drop_database
from tests.plays_data import q

D = dt.date
FIRST = dt.datetime(2010, 3, 7, 18, 0, tzinfo=dt.UTC)
LAST = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
PLATFORMS = ["linux", "osx", "iOS 17.1.2 (iPhone15,2)", "windows"]


def years_of_plays(seed: int) -> list[dict]:
    """A play every day or so from FIRST to LAST: 24 artists, of whom about eight are in rotation
    at a time (the rotation moves every two years), five songs each, every length around the 30 s
    threshold, some skips."""
    rng = random.Random(seed)
    out = []
    t = FIRST
    while t < LAST:
        artist = f"Artist {(t.year - 2010) // 2 * 2 + rng.randrange(8)}"
        song = rng.randrange(5)
        out.append(data.record(t, rng.choice([5_000, 29_999, 30_000, 61_000, 200_000]), f"Song {song}", artist,
                               album=f"Album {song % 2}", skipped=rng.random() < 0.2,
                               reason_end=rng.choice(["trackdone", "fwdbtn", None]),
                               platform=rng.choice(PLATFORMS), country=rng.choice(["DE", "US", "IN"])))
        t += dt.timedelta(hours=rng.randint(14, 60), minutes=rng.randint(0, 59))
    return out


@pytest.fixture(scope="module")
def long_db(server_url, tmp_path_factory):
    name = f"mtm_long_ranges_{os.getpid()}"
    url = create_database(server_url, name)
    folder = tmp_path_factory.mktemp("long_export")
    data.write(str(folder), "Streaming_History_Audio_2010-2026_0.json", years_of_plays(7))
    run_import(str(folder), url)
    yield url
    drop_database(server_url, name)


@pytest.fixture(scope="module")
def plays(long_db):
    return data.read_plays(long_db)


# (since, until): the two halves of the data; ranges of several whole years with partial years around
# them; one from local 1 January 2012 to local 31 December 2015 (in Berlin its end is 23:00 UTC on 31
# December: 2015 is not whole in UTC and the last hour comes from the plays; in New York it is whole);
# one within two years. Ends holding nine months or more of their year (read as the year's row less
# its other months): 2010 from March 7, 2026 to November 1, 2015 to 31 December (Berlin), 2016 from
# 29 February; fewer: 2018 to July 3 and from July 4, 2011 from May 20, 2021 to February 14.
RANGES = [((D(2010, 3, 7), D(2018, 7, 3)), (D(2018, 7, 4), D(2026, 11, 1))),
          ((D(2011, 5, 20), D(2021, 2, 14)), (D(2012, 1, 1), D(2015, 12, 31))),
          ((D(2016, 2, 29), D(2017, 8, 1)), (D(2020, 1, 1), D(2023, 12, 31)))]


# Two periods that meet and hold every play (db/migrations/0028_plays_two_periods.sql: the longer one
# is read as all time less the other): A first and B first, either one the longer, ends past the data.
COVERING = [((D(2010, 3, 7), D(2018, 7, 3)), (D(2018, 7, 4), D(2026, 11, 1))),    # also RANGES[0]
            ((D(2018, 7, 4), D(2030, 1, 1)), (D(2001, 1, 1), D(2018, 7, 3))),
            ((D(2010, 1, 1), D(2024, 2, 29)), (D(2024, 3, 1), D(2026, 12, 31))),
            ((D(2022, 10, 30), D(2026, 11, 1)), (D(2010, 3, 7), D(2022, 10, 29)))]


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("a, b", RANGES + COVERING[1:])
@pytest.mark.parametrize("level", ["track", "artist"])
def test_two_long_periods_match_pandas(long_db, plays, tz, a, b, level):
    got = q(long_db, "plays_compare", tz=tz, since_a=a[0], until_a=a[1], since_b=b[0], until_b=b[1], kind="music",
            level=level, min_seconds=30, top=1000, limit=100_000)
    df = data.local(plays, tz)
    key = ["name"] if level == "artist" else ["name", "artist"]
    ra = data.ranked(data.ref_items(data.in_range(df, *a), level, 30), "plays")[key + ["rank", "plays"]]
    rb = data.ranked(data.ref_items(data.in_range(df, *b), level, 30), "plays")[key + ["rank", "plays"]]
    want = ra.merge(rb, on=key, how="outer", suffixes=("_a", "_b"))
    assert len(got) == len(want) > 0
    merged = got.merge(want, on=key, suffixes=("", "_want"))
    assert len(merged) == len(got)
    assert merged["rank_a"].fillna(-1).tolist() == merged["rank_a_want"].fillna(-1).tolist()
    assert merged["rank_b"].fillna(-1).tolist() == merged["rank_b_want"].fillna(-1).tolist()
    assert merged["plays_a"].tolist() == merged["plays_a_want"].fillna(0).astype(int).tolist()
    assert merged["plays_b"].tolist() == merged["plays_b_want"].fillna(0).astype(int).tolist()


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("a, b", RANGES + COVERING[1:])
def test_new_and_dropped_over_long_periods_match_pandas(long_db, plays, tz, a, b):
    got = q(long_db, "plays_compare_changes", tz=tz, since_a=a[0], until_a=a[1], since_b=b[0], until_b=b[1],
            kind="music", level="track", min_seconds=30, limit=100_000)
    df = data.local(plays, tz)
    df = df[df["ms_played"] >= 30000]
    in_a = set(data.in_range(df, *a)[["artist", "track"]].itertuples(index=False, name=None))
    in_b = set(data.in_range(df, *b)[["artist", "track"]].itertuples(index=False, name=None))
    assert in_a ^ in_b
    for status, want in (("new", in_b - in_a), ("dropped", in_a - in_b)):
        part = got[got["status"] == status]
        assert set(zip(part["artist"], part["name"])) == want
        assert (part["of_total"] == len(want)).all()


@pytest.mark.parametrize("a, b", COVERING)
def test_covering_periods_read_the_shorter_one_and_the_totals(long_db, a, b):
    """0028: two periods that meet and hold every play read plays_z_totals and the shorter period's
    rows only (the longer period's whole years are never read), in a serial plan; two periods that
    do not (RANGES[1]) read both and not the totals."""
    from db import explain

    def plan(a, b):
        params = {"tz": "Europe/Berlin", "since_a": a[0], "until_a": a[1], "since_b": b[0], "until_b": b[1],
                  "kind": "music", "level": "track", "min_seconds": 30, "top": 20, "limit": 40}
        return explain.explain("plays_compare", params, url=long_db).nodes

    def years_read(nodes):      # the conditions of the year rows' index scans that ran
        return [n.condition or "" for n in nodes
                if n.relation == "plays_z_items" and n.loops and n.index_name == "plays_z_items_year_idx"]

    nodes = plan(a, b)
    assert any(n.relation == "plays_z_totals" and n.loops for n in nodes)
    assert not any(n.node_type.startswith("Gather") for n in nodes)
    longer = b if (b[1] - b[0]) >= (a[1] - a[0]) else a
    assert not any(str(y) in d for d in years_read(nodes) for y in range(longer[0].year + 1, longer[1].year))
    apart = plan(*RANGES[1])
    assert not any(n.relation == "plays_z_totals" and n.loops for n in apart)


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("since, until", [r for pair in RANGES for r in pair])
@pytest.mark.parametrize("outside", [False, True])
def test_long_ranges_top_lists_counts_and_skips_match_pandas(long_db, plays, tz, since, until, outside):
    """Either plan of plays_top, plays_counts and plays_most_skipped (`outside`: all time less the rows outside the
    range, db/migrations/0030_plays_long_ranges.sql) gives pandas' figures."""
    df = data.in_range(data.local(plays, tz), since, until)
    params = {"tz": tz, "since": since, "until": until, "kind": "music", "min_seconds": 30, "outside": outside}
    top = q(long_db, "plays_top", **params, level="track", order_by="plays", limit=100_000)
    want = data.ranked(data.ref_items(df, "track", 30), "plays")
    merged = top.merge(want, on=["name", "artist"], suffixes=("", "_want"), how="outer", indicator=True)
    assert len(top) == len(want) > 0 and (merged["_merge"] == "both").all()
    assert merged["rank"].tolist() == merged["rank_want"].tolist()
    assert merged["streams"].tolist() == merged["streams_want"].tolist()
    played = df[df["ms_played"] >= 30000]
    firsts = played.groupby(["artist", "track"])["local"].min().dt.tz_localize(None)
    lasts = played.groupby(["artist", "track"])["local"].max().dt.tz_localize(None)
    for r in top.itertuples():      # first and last play in the range
        assert (r.first_play, r.last_play) == (firsts[(r.artist, r.name)], lasts[(r.artist, r.name)])
    counts = q(long_db, "plays_counts", **params).iloc[0]
    assert (counts.tracks, counts.artists) == (len(played.groupby(["artist", "track"])), played["artist"].nunique())
    skipped = q(long_db, "plays_most_skipped", **{k: v for k, v in params.items() if k != "min_seconds"},
                level="artist", min_streams=1, limit=100_000)
    ref = data.ref_items(df, "artist", 30).set_index("name")
    assert sorted(skipped["name"]) == sorted(ref.index[ref["skip_known"] >= 1])
    for r in skipped.itertuples():
        assert (r.skips, r.skip_known) == (ref.loc[r.name, "skips"], ref.loc[r.name, "skip_known"])


def test_top_list_first_and_last_plays_come_from_year_rows_and_short_reads_of_plays(long_db):
    """plays_top's first and last plays (checked against pandas above) for a range whose ends fall
    inside years the listed tracks were played in before and after them: the listed tracks' year
    rows by their key, and for the ends a read of `plays` per listed track that needs one (a scan
    of `plays` that runs more than once)."""
    from db import explain

    a = RANGES[1][0]                      # 20 May 2011 to 14 February 2021
    params = {"tz": "Europe/Berlin", "since": a[0], "until": a[1], "kind": "music", "min_seconds": 30,
              "level": "track", "order_by": "plays", "limit": 20}
    nodes = explain.explain("plays_top", params, url=long_db).nodes
    assert any(n.relation == "plays" and n.loops > 1 for n in nodes)
    assert any(n.relation == "plays_z_items" and n.index_name == "plays_z_items_year_key_idx" and n.loops > 1
               for n in nodes)



@pytest.mark.parametrize("since, until", [r for pair in RANGES for r in pair])
def test_the_most_skipped_list_cut_short_is_the_start_of_the_whole_list(long_db, since, until):
    """plays_most_skipped's first n rows are the first n of the whole list, ties at the cut included
    (items with the same rate and skips are ordered by name), whatever order the rows are read in."""
    params = {"tz": "Europe/Berlin", "since": since, "until": until, "kind": "music", "level": "track",
              "min_streams": 1}
    whole = q(long_db, "plays_most_skipped", **params, limit=100_000)
    assert whole.duplicated(["skip_rate", "skips"]).any()          # ties to cut through
    for n in (1, 3, 7, 10, 25):
        cut = q(long_db, "plays_most_skipped", **params, limit=n)
        assert cut.equals(whole.head(n).reset_index(drop=True)), n


@pytest.mark.parametrize("kind", ["music", "all"])
@pytest.mark.parametrize("since, until", [(D(2010, 1, 1), D(2030, 1, 1)), (D(2010, 3, 8), D(2026, 10, 31)),
                                          (D(2011, 3, 27), D(2025, 10, 26)), (D(2026, 3, 29), D(2026, 10, 25)),
                                          (D(2001, 1, 1), D(2010, 3, 7)), (D(2026, 11, 2), D(2027, 1, 1))])
def test_either_plan_of_a_range_gives_the_same_rows(long_db, since, until, kind):
    """plays_top, plays_counts and plays_most_skipped read as all time less the rest (outside) give the same rows as read
    from the range's rows, for ranges that hold the data, start or end on a daylight-saving change
    day, or lie before or after the data (nothing in them), at every level and threshold."""
    base = {"tz": "Europe/Berlin", "since": since, "until": until, "kind": kind, "order_by": "minutes", "limit": 10_000}
    for level in ("track", "album", "artist", "platform", "country"):
        for min_seconds in (0, 30):
            params = {**base, "level": level, "min_seconds": min_seconds}
            top = [q(long_db, "plays_top", **params, outside=o) for o in (False, True)]
            assert top[1].equals(top[0]), (level, min_seconds)
    for level in ("track", "artist"):
        for min_streams in (1, 3):
            skipped = [q(long_db, "plays_most_skipped", **base, level=level, min_streams=min_streams, outside=o)
                       for o in (False, True, None)]
            assert skipped[1].equals(skipped[0]) and skipped[2].equals(skipped[0]), (level, min_streams)
    for min_seconds in (0, 10, 60):
        counts = [q(long_db, "plays_counts", **base, min_seconds=min_seconds, outside=o) for o in (False, True, None)]
        assert counts[1].equals(counts[0]) and counts[2].equals(counts[0]), min_seconds
    # no choice given (None) reads the range's own rows, never nothing
    assert q(long_db, "plays_top", **base, level="track", min_seconds=30, outside=None).equals(
        q(long_db, "plays_top", **base, level="track", min_seconds=30, outside=False))


def test_a_long_range_read_as_all_time_less_the_rest_reads_the_totals_not_its_years(long_db):
    """With outside, plays_top (and plays_most_skipped) over 2012-2015 sums the all-time totals less the rows outside the range
    (plays_z_totals is read); without, it reads the range's own rows and not the totals."""
    from db import explain

    a = RANGES[1][1]                      # 1 January 2012 to 31 December 2015
    params = {"tz": "America/New_York", "since": a[0], "until": a[1], "kind": "music", "min_seconds": 30,
              "level": "track", "order_by": "plays", "limit": 20}
    for name, extra in (("plays_top", {}), ("plays_most_skipped", {"min_streams": 5})):
        reads = {o: {n.relation for n in explain.explain(name, {**params, **extra, "outside": o}, url=long_db).nodes
                     if n.loops > 0} for o in (False, True)}
        assert "plays_z_totals" in reads[True] and "plays_z_totals" not in reads[False], name


@pytest.mark.parametrize("since, until, want", [
    (D(2020, 1, 1), D(2020, 12, 31), False), (D(2011, 1, 1), D(2025, 12, 31), True),
    (D(2000, 1, 1), D(2030, 1, 1), True), (D(2010, 3, 7), D(2018, 7, 3), False),
    (D(2010, 3, 7), D(2018, 7, 10), True), (D(2027, 1, 1), D(2028, 1, 1), False)])
def test_which_ranges_are_read_as_all_time_less_the_rest(since, until, want):
    """db.zones.reads_outside: when fewer of the data's days are outside the range than in it."""
    from db.zones import reads_outside

    assert reads_outside(D(2010, 3, 7), D(2026, 11, 1), since, until) is want


@pytest.mark.parametrize("top", [1, 2, 3, 5, 8])
def test_two_periods_keep_every_item_ranked_within_the_top_of_either_period(long_db, plays, top):
    """plays_compare's cut (ranks counted per number of plays, the fewest plays that still rank within
    :top): every item whose rank (pandas, ties sharing the lower rank) is within :top in A or in B, no other."""
    a, b = RANGES[2]
    got = q(long_db, "plays_compare", tz="Europe/Berlin", since_a=a[0], until_a=a[1], since_b=b[0], until_b=b[1],
            kind="music", level="track", min_seconds=30, top=top, limit=100_000)
    df = data.local(plays, "Europe/Berlin")
    ra = data.ranked(data.ref_items(data.in_range(df, *a), "track", 30), "plays")[["name", "artist", "rank"]]
    rb = data.ranked(data.ref_items(data.in_range(df, *b), "track", 30), "plays")[["name", "artist", "rank"]]
    want = ra.merge(rb, on=["name", "artist"], how="outer", suffixes=("_a", "_b"))
    want = want[(want["rank_a"] <= top) | (want["rank_b"] <= top)]
    assert want["rank_a"].duplicated().any() or want["rank_b"].duplicated().any() or top == 1
    assert sorted(zip(got["name"], got["artist"], got["rank_a"].fillna(-1), got["rank_b"].fillna(-1))) == \
        sorted(zip(want["name"], want["artist"], want["rank_a"].fillna(-1), want["rank_b"].fillna(-1)))
