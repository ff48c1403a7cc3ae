"""The Plays page's named queries (db/sql/plays.sql) against a plain pandas computation on the same
plays: a demo export plus handmade edge plays (tests/plays_data.py), imported by the real importer,
read back from `plays` and converted with zoneinfo.

Also: the rollups an incremental import builds equal those of one import, re-importing changes
nothing, the backfill builds them for plays imported before they existed, and a later import that
bridges two sessions merges them.
"""
from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import psycopg2
import pytest

from db import queries
from db.refresh import run as refresh_rollups
from migrate.api import run_import
from tests import plays_data as data
from tests.helpers import create_database, drop_database, pg_rows
from tests.plays_data import q

D = dt.date
TZ = "Europe/Berlin"
GAP = pd.Timedelta(minutes=30)
PLAYS_QUERIES = sorted(n for n, q in queries.all_queries().items()
                       if q.file == "plays.sql" and not n.startswith("refresh_"))
ROLLUPS = {"plays_z_hourly": "hour_utc, kind", "plays_z_quarter": "quarter_utc, kind",
           "plays_z_items": "period, period_start, level, name_key", "plays_z_names": "name_key",
           "plays_z_sessions": "kind, started_at"}
# The demo's platform strings and the family each must land in.
FAMILIES = {"Android OS 13 API 33 (Google, Pixel 7)": "Android", "iOS 17.1.2 (iPhone15,2)": "iOS",
            "windows": "Windows", "osx": "macOS", "web_player windows 10;chrome 120.0.0.0;desktop": "Web player",
            "Partner sonos_sonos_one;Sonos;One": "Speakers, TVs and cars",
            "Android-tablet OS 11 API 30 (samsung, SM-T500)": "Android", "linux": "Linux"}


@pytest.fixture(scope="module")
def plays_db(plays_export_db):
    """A database holding the demo export and the edge plays, imported at once."""
    return plays_export_db


@pytest.fixture(scope="module")
def plays(plays_db) -> pd.DataFrame:
    return data.read_plays(plays_db)


@pytest.fixture(scope="module")
def span(plays) -> tuple[D, D]:
    """The first and last local day (Berlin) of the data."""
    days = data.local(plays, TZ)["day"]
    return days.min(), days.max()


def naive(ts: pd.Series) -> pd.Series:
    return ts.dt.tz_localize(None)


EVER = (D(2000, 1, 1), D(2099, 12, 31))


def timed(tz=TZ, since=EVER[0], until=EVER[1], kind="music", min_seconds=30, quarter=False, fixed_offset=None):
    return {"tz": tz, "since": since, "until": until, "kind": kind, "min_seconds": min_seconds, "quarter": quarter,
            "fixed_offset": fixed_offset}


# ---------------------------------------------------------------------------------------------
# Over time


def ref_periods(df: pd.DataFrame, grain: str, min_seconds: int) -> pd.DataFrame:
    if grain == "day":
        period = df["day"]
    elif grain == "week":
        period = df["day"].map(lambda d: d - dt.timedelta(days=d.weekday()))
    else:
        period = df["day"].map(lambda d: d.replace(day=1))
    out = df.assign(period=period, counted=df["ms_played"] >= min_seconds * 1000).groupby("period").agg(
        minutes=("ms_played", lambda s: s.sum() / 60000), plays=("counted", "sum"), streams=("ms_played", "size"),
        skips=("is_skip", "sum"))
    return out.reset_index()


def assert_frames_match(got: pd.DataFrame, want: pd.DataFrame, key: str | list[str]) -> None:
    keys = [key] if isinstance(key, str) else key
    got = got.sort_values(keys).reset_index(drop=True)
    want = want.sort_values(keys).reset_index(drop=True)
    assert len(got) == len(want), (len(got), len(want))
    for col in want.columns:
        if pd.api.types.is_float_dtype(want[col]):
            assert got[col].astype(float).tolist() == pytest.approx(want[col].astype(float).tolist(), rel=1e-9,
                                                                         nan_ok=True), col
        else:
            assert got[col].tolist() == want[col].tolist(), col


def test_minutes_per_day_in_berlin_match_pandas_across_both_dst_changes(plays_db, plays):
    got = q(plays_db, "plays_timeline", grain="day", limit=100_000, **timed())
    want = ref_periods(data.of_kind(data.local(plays, TZ), "music"), "day", 30)
    assert_frames_match(got, want, "period")
    by_day = got.set_index("period")
    edge = data.local(plays[plays["artist"] == data.EDGE_ARTIST], TZ).set_index("track")["day"]
    assert edge["Last of March 30"] == D(2024, 3, 30) and edge["First of March 31"] == D(2024, 3, 31)
    assert edge["Last of March 31"] == D(2024, 3, 31) and edge["First of April 1"] == D(2024, 4, 1)
    assert edge["Last of October 26"] == D(2024, 10, 26) and edge["First of October 27"] == D(2024, 10, 27)
    for day in (D(2024, 3, 30), D(2024, 3, 31), D(2024, 4, 1), D(2024, 10, 26), D(2024, 10, 27)):
        assert day in by_day.index


@pytest.mark.parametrize("grain", ["week", "month"])
@pytest.mark.parametrize("tz", ["America/New_York", "UTC"])
def test_minutes_per_week_and_month_match_pandas(plays_db, plays, grain, tz):
    got = q(plays_db, "plays_timeline", grain=grain, limit=100_000, **timed(tz=tz, kind="all", min_seconds=10))
    assert_frames_match(got, ref_periods(data.local(plays, tz), grain, 10), "period")


@pytest.mark.parametrize("tz, quarter, fixed_offset", [
    ("Asia/Kolkata", True, 19_800), ("Asia/Kathmandu", True, 20_700), ("Australia/Adelaide", True, None),
    ("Europe/Berlin", False, None), ("America/New_York", False, None), ("UTC", False, 0), ("Asia/Tokyo", False, 32_400)])
def test_time_zone_says_which_rollup_and_whether_one_offset_held(plays_db, tz, quarter, fixed_offset):
    """`quarter`: a :30 / :45 offset on some day of the data (quarter-hour rollup); `fixed_offset`: the
    offset in seconds when it was the same on every day of the data (Adelaide and the daylight-saving
    zones: null). What db.zones hands the queries over time."""
    from db import zones

    info = q(plays_db, "plays_time_zone", tz=tz)
    assert info.at[0, "name"] == tz
    assert zones.rollup_params(info) == {"quarter": quarter, "fixed_offset": fixed_offset}
    unknown = q(plays_db, "plays_time_zone", tz="Mars/Olympus_Mons")    # no row: hourly rollups, converted
    assert unknown.empty and zones.rollup_params(unknown) == {"quarter": False, "fixed_offset": None}


@pytest.mark.parametrize("tz, fixed_offset", [("Asia/Kolkata", None), ("Asia/Kolkata", 19_800),
                                              ("Asia/Kathmandu", None), ("Asia/Kathmandu", 20_700)])
def test_minutes_per_day_in_a_half_hour_zone_match_pandas_with_quarter_hours(plays_db, plays, tz, fixed_offset):
    """Either way to the local day (a conversion per row, or the zone's one offset added: 0027) gives
    pandas' days."""
    got = q(plays_db, "plays_timeline", grain="day", limit=100_000, **timed(tz=tz, quarter=True, fixed_offset=fixed_offset))
    assert_frames_match(got, ref_periods(data.of_kind(data.local(plays, tz), "music"), "day", 30), "period")


@pytest.mark.parametrize("tz, quarter, fixed_offset", [
    ("Asia/Kolkata", True, 19_800), ("Asia/Kathmandu", True, 20_700), ("UTC", False, 0), ("Asia/Tokyo", False, 32_400),
    ("Asia/Kolkata", True, None), ("Australia/Adelaide", True, None), ("America/New_York", False, None)])
def test_weekday_hours_and_days_by_either_way_to_local_time_match_pandas(plays_db, plays, tz, quarter, fixed_offset):
    """The heatmap (weekday x hour), the hours of day, the totals and the streaks, with the zone's one
    offset added (0027) or converted row by row (Adelaide and New York cross daylight saving), against
    pandas' zoneinfo conversion."""
    params = timed(tz=tz, quarter=quarter, fixed_offset=fixed_offset)
    df = data.of_kind(data.local(plays, tz), "music")
    want = df.assign(weekday=df["local"].dt.isocalendar().day.astype(int), hour=df["local"].dt.hour,
                     counted=df["ms_played"] >= 30000).groupby(["weekday", "hour"]).agg(
        minutes=("ms_played", lambda s: s.sum() / 60000), plays=("counted", "sum")).reset_index()
    assert_frames_match(q(plays_db, "plays_heatmap", **params), want, ["weekday", "hour"])
    by_hour = q(plays_db, "plays_by_hour", **{k: v for k, v in params.items() if k != "min_seconds"})
    assert by_hour.set_index("hour")["streams"].to_dict() == df.groupby(df["local"].dt.hour).size().to_dict()
    counted = df[df["ms_played"] >= 30000]
    totals = q(plays_db, "plays_totals", **params).iloc[0]
    assert (totals.plays, totals.days, totals.first_day, totals.last_day) == (
        len(counted), counted["day"].nunique(), counted["day"].min(), counted["day"].max())
    longest = q(plays_db, "plays_streaks", limit=1, **params).iloc[0]
    days = sorted(counted["day"].unique())
    runs, run = [], 1
    for a, b in zip(days, days[1:]):
        run = run + 1 if (b - a).days == 1 else (runs.append(run) or 1)
    assert int(longest.days) == max([*runs, run])


@pytest.mark.parametrize("name", ["plays_totals", "plays_heatmap", "plays_by_hour", "plays_streaks", "plays_timeline"])
def test_a_zone_with_one_offset_is_not_converted_row_by_row(plays_db, name):
    """0027: given the zone's one offset, the plan converts nothing per row (the range's bounds are
    folded to constants while planning); without it, the rows are converted with AT TIME ZONE."""
    from db import explain

    extra = {"grain": "day", "limit": 100_000} if name == "plays_timeline" else {"limit": 10} if name == "plays_streaks" \
        else {}
    plans = {offset: explain.explain(name, {**timed(tz="Asia/Kathmandu", quarter=True, fixed_offset=offset), **extra},
                                     url=plays_db).json_text
             for offset in (20_700, None)}
    assert "AT TIME ZONE" not in plans[20_700] and "AT TIME ZONE" in plans[None]


def test_hour_buckets_would_put_kolkata_plays_on_the_wrong_day(plays_db, plays):
    """Why the quarter-hour rollup exists: 18:00-19:00 UTC holds Kolkata's midnight."""
    params = timed(tz="Asia/Kolkata", since=D(2024, 4, 10), until=D(2024, 4, 11))
    exact = q(plays_db, "plays_timeline", grain="day", limit=10, **{**params, "quarter": True})
    hourly = q(plays_db, "plays_timeline", grain="day", limit=10, **params)
    assert exact.set_index("period")["streams"].to_dict() == {D(2024, 4, 10): 1, D(2024, 4, 11): 1}
    assert hourly.set_index("period")["streams"].to_dict() != {D(2024, 4, 10): 1, D(2024, 4, 11): 1}


def test_hour_by_weekday_heatmap_matches_pandas(plays_db, plays, span):
    got = q(plays_db, "plays_heatmap", **timed(since=span[0], until=span[1]))
    df = data.of_kind(data.local(plays, TZ), "music")
    want = df.assign(weekday=df["local"].dt.isocalendar().day.astype(int), hour=df["local"].dt.hour,
                     counted=df["ms_played"] >= 30000).groupby(["weekday", "hour"]).agg(
        minutes=("ms_played", lambda s: s.sum() / 60000), plays=("counted", "sum")).reset_index()
    assert_frames_match(got, want, ["weekday", "hour"])


def test_skip_rate_by_hour_matches_pandas(plays_db, plays):
    params = {k: v for k, v in timed(tz="America/New_York").items() if k != "min_seconds"}
    got = q(plays_db, "plays_by_hour", **params)
    df = data.of_kind(data.local(plays, "America/New_York"), "music")
    want = df.assign(hour=df["local"].dt.hour).groupby("hour").agg(
        minutes=("ms_played", lambda s: s.sum() / 60000), streams=("ms_played", "size"), skips=("is_skip", "sum"),
        skip_known=("known", "sum")).reset_index()
    want["skip_rate"] = want["skips"] / want["skip_known"]
    assert_frames_match(got, want, "hour")


@pytest.mark.parametrize("min_seconds", [0, 10, 30, 60])
def test_totals_match_pandas_for_every_threshold(plays_db, plays, min_seconds):
    since, until = D(2024, 3, 15), D(2026, 9, 10)
    got = q(plays_db, "plays_totals", **timed(since=since, until=until, min_seconds=min_seconds)).iloc[0]
    df = data.in_range(data.of_kind(data.local(plays, TZ), "music"), since, until)
    counted = df[df["ms_played"] >= min_seconds * 1000]
    assert float(got.minutes) == pytest.approx(df["ms_played"].sum() / 60000)
    assert (got.plays, got.streams, got.skips, got.skip_known) == (
        len(counted), len(df), int(df["is_skip"].sum()), int(df["known"].sum()))
    assert (got.days, got.first_day, got.last_day) == (counted["day"].nunique(), counted["day"].min(),
                                                       counted["day"].max())


def test_thirty_seconds_exactly_counts_as_a_play_and_a_millisecond_less_does_not(plays_db):
    top = q(plays_db, "plays_top", tz=TZ, since=D(2024, 6, 1), until=D(2024, 6, 1), kind="music", level="track",
            min_seconds=30, order_by="plays", limit=100)
    names = set(top["name"])
    assert "Exactly thirty seconds" in names and "Just under thirty seconds" not in names
    every = q(plays_db, "plays_top", tz=TZ, since=D(2024, 6, 1), until=D(2024, 6, 1), kind="music",
              level="track", min_seconds=0, order_by="plays", limit=100)
    assert {"Just under thirty seconds", "Under ten seconds"} <= set(every["name"])


def test_streaks_match_pandas(plays_db, plays, span):
    got = q(plays_db, "plays_streaks", limit=1000, **timed(since=span[0], until=span[1]))
    df = data.of_kind(data.local(plays, TZ), "music")
    days = sorted(set(df[df["ms_played"] >= 30000]["day"]))
    runs, start = [], days[0]
    for prev, day in zip(days, days[1:] + [None]):
        if day is None or (day - prev).days != 1:
            runs.append((start, prev, (prev - start).days + 1))
            start = day
    want = sorted(runs, key=lambda r: (-r[2], -r[1].toordinal()))
    assert list(zip(got["first_day"], got["last_day"], got["days"])) == want
    assert got["latest"].tolist() == [r[1] == days[-1] for r in want]


# ---------------------------------------------------------------------------------------------
# What was played


@pytest.mark.parametrize("level", ["track", "artist", "album"])
@pytest.mark.parametrize("order_by", ["plays", "minutes"])
@pytest.mark.parametrize("since, until", [(D(2024, 3, 15), D(2026, 9, 10)),      # partial months, a whole year
                                          (D(2026, 9, 3), D(2026, 10, 20)),      # a whole month
                                          (D(2026, 10, 2), D(2026, 10, 9)),      # only plays
                                          EVER])                                 # every play: plays_z_totals
def test_top_lists_by_plays_and_minutes_match_pandas(plays_db, plays, level, order_by, since, until):
    got = q(plays_db, "plays_top", tz=TZ, since=since, until=until, kind="music", level=level, min_seconds=30,
            order_by=order_by, limit=100_000)
    df = data.in_range(data.of_kind(data.local(plays, TZ), "music"), since, until)
    want = data.ranked(data.ref_items(df, level, 30), order_by)
    assert len(got) == len(want) > 0
    key = ["name"] if level == "artist" else ["name", "artist"]
    merged = got.merge(want, on=key, suffixes=("", "_want"), how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert merged["rank"].tolist() == merged["rank_want"].tolist()
    assert merged["plays"].tolist() == merged["plays_want"].tolist()
    assert merged["minutes"].tolist() == pytest.approx(merged["minutes_want"].tolist())
    assert merged["streams"].tolist() == merged["streams_want"].tolist()
    assert got["rank"].is_monotonic_increasing


def test_top_artists_first_and_last_play_in_range_match_pandas(plays_db, plays):
    since, until = D(2024, 3, 15), D(2026, 9, 10)
    got = q(plays_db, "plays_top", tz=TZ, since=since, until=until, kind="music", level="artist", min_seconds=30,
            order_by="plays", limit=10)
    df = data.in_range(data.of_kind(data.local(plays, TZ), "music"), since, until)
    df = df[df["ms_played"] >= 30000]
    firsts = naive(df.groupby("artist")["local"].min())
    lasts = naive(df.groupby("artist")["local"].max())
    for r in got.itertuples():
        assert pd.Timestamp(r.first_play) == firsts[r.name] and pd.Timestamp(r.last_play) == lasts[r.name]


@pytest.mark.parametrize("since, until", [(D(2024, 3, 15), D(2026, 9, 10)),  # years, months and plays
                                          EVER])                               # every play: plays_z_totals
def test_distinct_counts_match_pandas(plays_db, plays, since, until):
    got = q(plays_db, "plays_counts", tz=TZ, since=since, until=until, kind="music", min_seconds=30).iloc[0]
    df = data.in_range(data.of_kind(data.local(plays, TZ), "music"), since, until)
    df = df[df["ms_played"] >= 30000]
    assert got.tracks == len(df.groupby(["artist", "track"], dropna=False))
    assert got.artists == df["artist"].nunique()


@pytest.mark.parametrize("level", ["track", "artist"])
def test_most_skipped_match_pandas(plays_db, plays, span, level):
    got = q(plays_db, "plays_most_skipped", tz=TZ, since=span[0], until=span[1], kind="music", level=level,
            min_streams=5, limit=100_000)
    want = data.ref_items(data.of_kind(data.local(plays, TZ), "music"), level, 30)
    want = want[want["skip_known"] >= 5].assign(skip_rate=lambda w: w["skips"] / w["skip_known"])
    assert len(got) == len(want) > 0
    assert got["skip_rate"].tolist() == pytest.approx(sorted(want["skip_rate"], reverse=True))
    key = ["name"] if level == "artist" else ["name", "artist"]
    merged = got.merge(want, on=key, suffixes=("", "_want"))
    assert len(merged) == len(got)
    assert merged["skips"].tolist() == merged["skips_want"].tolist()
    assert merged["skip_known"].tolist() == merged["skip_known_want"].tolist()


def test_platform_families_match_pandas(plays_db, plays, span):
    got = q(plays_db, "plays_platforms", tz=TZ, since=span[0], until=span[1], kind="all", min_seconds=30)
    df = data.local(plays, TZ).dropna(subset=["platform"])
    assert set(df["platform"]) <= set(FAMILIES)
    df = df.assign(family=df["platform"].map(FAMILIES), counted=df["ms_played"] >= 30000)
    want = df.groupby("family").agg(plays=("counted", "sum"), minutes=("ms_played", lambda s: s.sum() / 60000),
                                    streams=("ms_played", "size"), skips=("is_skip", "sum"),
                                    skip_known=("known", "sum"), platforms=("platform", "nunique")).reset_index()
    assert_frames_match(got[list(want.columns)], want, "family")


def test_countries_match_pandas(plays_db, plays, span):
    got = q(plays_db, "plays_top", tz=TZ, since=span[0], until=span[1], kind="music", level="country",
            min_seconds=30, order_by="plays", limit=1000)
    df = data.of_kind(data.local(plays, TZ), "music").dropna(subset=["country"])
    want = df[df["ms_played"] >= 30000].groupby("country").size()
    assert dict(zip(got["name"], got["plays"])) == want.to_dict()


# ---------------------------------------------------------------------------------------------
# Sessions


def union_ms(starts: pd.Series, ends: pd.Series) -> float:
    """Milliseconds covered by at least one of the intervals [start, end): overlaps once."""
    total, reach = 0.0, None
    for start, end in sorted(zip(starts, ends)):
        if reach is None or start >= reach:
            total, reach = total + (end - start).total_seconds() * 1000, end
        elif end > reach:
            total, reach = total + (end - reach).total_seconds() * 1000, end
    return total


def ref_sessions(df: pd.DataFrame) -> pd.DataFrame:
    """Sessions as the page defines them: streams by end time, a new session when a stream starts
    more than 30 minutes after the latest end so far; length from the earliest start to the last
    end, heard = the union of the streams' intervals."""
    df = df.sort_values("ended_at", kind="stable")
    started = df["ended_at"] - pd.to_timedelta(df["ms_played"], unit="ms")
    new = (started - df["ended_at"].cummax().shift()) > GAP
    new.iloc[0] = True
    number = new.cumsum()
    parts = df.assign(started=started, session=number)
    s = parts.groupby("session").agg(
        started_at=("started", "min"), last_end=("ended_at", "max"), plays=("ms_played", "size"),
        ms_played=("ms_played", "sum"))
    s["ms_heard"] = [union_ms(g["started"], g["ended_at"]) for _, g in parts.groupby("session")]
    s["minutes"] = (s["last_end"] - s["started_at"]).dt.total_seconds() / 60
    s["minutes_played"] = s["ms_heard"] / 60000
    return s.reset_index(drop=True)


def local_range(tz: str, since: D, until: D) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[since 00:00, until + 1 00:00) local time in tz, as UTC instants."""
    lo = pd.Timestamp(since).tz_localize(tz)
    hi = pd.Timestamp(until + dt.timedelta(days=1)).tz_localize(tz)
    return lo, hi


@pytest.mark.parametrize("tz", [TZ, "America/New_York"])
@pytest.mark.parametrize("kind", ["music", "podcast", "all"])
def test_sessions_match_pandas(plays_db, plays, kind, tz):
    params = {"tz": tz, "since": D(2000, 1, 1), "until": D(2099, 12, 31), "kind": kind}
    want = ref_sessions(data.of_kind(plays, kind))
    summary = q(plays_db, "plays_sessions_summary", **params).iloc[0]
    assert summary.sessions == len(want)
    assert summary.longest_minutes == pytest.approx(want["minutes"].max())
    assert summary.avg_minutes == pytest.approx(want["minutes"].mean())
    assert summary.median_minutes == pytest.approx(want["minutes"].median())
    assert summary.hours == pytest.approx(want["ms_played"].sum() / 3_600_000)
    assert summary.hours_heard == pytest.approx(want["ms_heard"].sum() / 3_600_000)
    longest = q(plays_db, "plays_longest_sessions", limit=10, **params)
    top = want.sort_values(["minutes", "started_at"], ascending=[False, True]).head(10)
    assert longest["minutes"].tolist() == pytest.approx(top["minutes"].tolist())
    assert longest["minutes_played"].tolist() == pytest.approx(top["minutes_played"].tolist())
    assert [pd.Timestamp(t) for t in longest["started"]] == naive(top["started_at"].dt.tz_convert(tz)).tolist()
    assert longest["streams"].tolist() == top["plays"].tolist()
    bands = q(plays_db, "plays_session_lengths", **params)
    edges = [0, 15, 30, 60, 120, 240, float("inf")]
    counts = pd.cut(want["minutes"], edges, right=False).value_counts(sort=False).tolist()
    assert bands["sessions"].tolist() == counts


@pytest.mark.parametrize("kind", ["music", "all"])
def test_no_session_played_longer_than_it_lasted(plays_db, kind):
    every = q(plays_db, "plays_longest_sessions", tz=TZ, since=D(2000, 1, 1), until=D(2099, 12, 31), kind=kind,
              limit=100_000)
    assert len(every) > 0
    assert (every["minutes_played"] <= every["minutes"] + 1e-9).all()


@pytest.mark.parametrize("tz, day", [("Europe/Berlin", D(2025, 10, 26)), ("America/New_York", D(2025, 10, 25))])
def test_two_devices_at_once_make_one_session_whose_overlap_counts_once(plays_db, plays, tz, day):
    """The edge plays' phone and speaker across Berlin's fall-back: 32.5 minutes long, 42 min 20 s of
    streams, 32 minutes with something playing; the same in either zone, on that zone's local day."""
    got = q(plays_db, "plays_longest_sessions", tz=tz, since=day, until=day, kind="music", limit=10)
    lo, hi = local_range(tz, day, day)
    want = ref_sessions(data.of_kind(plays, "music"))
    want = want[(want["started_at"] >= lo) & (want["started_at"] < hi)]
    assert len(got) == len(want) == 1
    row = got.iloc[0]
    assert (row.minutes, row.minutes_played, row.streams) == (pytest.approx(32.5), pytest.approx(32.0), 6)
    assert pd.Timestamp(row.started) == naive(want["started_at"].dt.tz_convert(tz)).iloc[0]
    summary = q(plays_db, "plays_sessions_summary", tz=tz, since=day, until=day, kind="music").iloc[0]
    assert summary.hours * 60 == pytest.approx(42 + 20 / 60)
    assert summary.hours_heard * 60 == pytest.approx(32.0)


def test_sessions_belong_to_the_local_day_they_start(plays_db, plays):
    day = D(2026, 10, 1)
    got = q(plays_db, "plays_sessions_summary", tz=TZ, since=day, until=day, kind="music").iloc[0]
    want = ref_sessions(data.of_kind(plays, "music"))
    starts = want["started_at"].dt.tz_convert(TZ).dt.date
    assert got.sessions == int((starts == day).sum())


# ---------------------------------------------------------------------------------------------
# Discovery, first and last listen, gems


def test_new_artists_per_month_match_pandas(plays_db, plays, span):
    got = q(plays_db, "plays_new_artists", tz=TZ, since=span[0], until=span[1], kind="music", min_seconds=30)
    df = data.of_kind(data.local(plays, TZ), "music")
    df = df[(df["ms_played"] >= 30000) & df["artist"].notna()]
    firsts = df.sort_values("ended_at").groupby("artist").first()
    month = firsts["day"].map(lambda d: d.replace(day=1))
    want = month.value_counts().sort_index()
    assert dict(zip(got["month"], got["new_artists"])) == want.to_dict()
    first_month = got.iloc[0]
    earliest = firsts[month == first_month.month].sort_values(["ended_at"]).index[:3].tolist()
    assert first_month.first_ones == ", ".join(earliest)


def test_new_artists_in_a_later_range_only_count_first_plays_ever(plays_db, plays):
    got = q(plays_db, "plays_new_artists", tz=TZ, since=D(2026, 10, 1), until=D(2026, 12, 31), kind="music",
            min_seconds=30)
    df = data.of_kind(data.local(plays, TZ), "music")
    df = df[(df["ms_played"] >= 30000) & df["artist"].notna()]
    firsts = df.groupby("artist")["day"].min()
    assert int(got["new_artists"].sum()) == int((firsts >= D(2026, 10, 1)).sum())


def test_first_and_last_listen_of_an_artist_and_its_tracks_match_pandas(plays_db, plays):
    df = data.of_kind(data.local(plays, TZ), "music")
    counted = df[df["ms_played"] >= 30000]
    artist = counted["artist"].value_counts().index[0]
    got = q(plays_db, "plays_first_last", tz=TZ, artist=artist, kind="music", min_seconds=30, limit=10_000)
    mine, mine_counted = df[df["artist"] == artist], counted[counted["artist"] == artist]
    head = got.iloc[0]
    assert head["level"] == "artist" and head["name"] == artist and head["plays"] == len(mine_counted)
    assert pd.Timestamp(head.first_play) == naive(mine_counted["local"]).min()
    assert pd.Timestamp(head.last_play) == naive(mine_counted["local"]).max()
    assert pd.Timestamp(head.first_stream) == naive(mine["local"]).min()
    tracks = got[got["level"] == "track"]
    per = mine_counted.groupby("track")["local"].agg(["min", "max", "size"])
    assert len(tracks) == len(per)
    for r in tracks.itertuples():
        assert (pd.Timestamp(r.first_play), pd.Timestamp(r.last_play), r.plays) == (
            per.at[r.name, "min"].tz_localize(None), per.at[r.name, "max"].tz_localize(None), per.at[r.name, "size"])
        assert r.minutes == pytest.approx(mine[mine["track"] == r.name]["ms_played"].sum() / 60000)
    assert tracks["first_play"].is_monotonic_increasing


def test_forgotten_gems_match_pandas(plays_db, plays):
    got = q(plays_db, "plays_forgotten_gems", tz=TZ, kind="music", min_seconds=30, min_plays=3, recent_days=30,
            limit=10_000)
    df = data.of_kind(plays, "music")
    newest = plays["ended_at"].max()
    per = df.groupby(["artist", "track"], dropna=False).agg(
        plays=("ms_played", lambda s: int((s >= 30000).sum())), last=("ended_at", "max"))
    want = per[(per["plays"] >= 3) & (per["last"] < newest - pd.Timedelta(days=30))]
    assert len(got) == len(want) > 0
    assert got["plays"].tolist() == sorted(want["plays"], reverse=True)
    for r in got.itertuples():
        last = want.at[(r.artist, r.name), "last"]
        assert pd.Timestamp(r.last_stream) == last.tz_convert(TZ).tz_localize(None)
        assert r.days_ago == (newest - last).days


# ---------------------------------------------------------------------------------------------
# Two periods, on this day, year in review


A, B = (D(2024, 1, 1), D(2024, 12, 31)), (D(2026, 1, 1), D(2026, 12, 31))


def compare_params(level: str) -> dict:
    return {"tz": TZ, "since_a": A[0], "until_a": A[1], "since_b": B[0], "until_b": B[1], "kind": "music",
            "level": level, "min_seconds": 30}


@pytest.mark.parametrize("level", ["artist", "track"])
def test_two_period_rank_changes_match_pandas(plays_db, plays, level):
    got = q(plays_db, "plays_compare", top=10, limit=1000, **compare_params(level))
    df = data.of_kind(data.local(plays, TZ), "music")
    key = ["name"] if level == "artist" else ["name", "artist"]
    ra = data.ranked(data.ref_items(data.in_range(df, *A), level, 30), "plays")[key + ["rank", "plays"]]
    rb = data.ranked(data.ref_items(data.in_range(df, *B), level, 30), "plays")[key + ["rank", "plays"]]
    both = ra.merge(rb, on=key, how="outer", suffixes=("_a", "_b"))
    both = both[(both["rank_a"] <= 10) | (both["rank_b"] <= 10)]
    assert len(got) == len(both) > 0
    merged = got.merge(both, on=key, suffixes=("", "_want"))
    assert len(merged) == len(got)
    assert merged["rank_a"].fillna(-1).tolist() == merged["rank_a_want"].fillna(-1).tolist()
    assert merged["rank_b"].fillna(-1).tolist() == merged["rank_b_want"].fillna(-1).tolist()
    for r in merged.itertuples():
        want = "new" if pd.isna(r.rank_a_want) else ("dropped" if pd.isna(r.rank_b_want) else "kept")
        assert r.status == want
        if want == "kept":
            assert r.change == r.rank_a_want - r.rank_b_want


def test_new_and_dropped_artists_between_two_periods_match_pandas(plays_db, plays):
    got = q(plays_db, "plays_compare_changes", limit=10_000, **compare_params("artist"))
    df = data.of_kind(data.local(plays, TZ), "music")
    df = df[(df["ms_played"] >= 30000) & df["artist"].notna()]
    in_a, in_b = set(data.in_range(df, *A)["artist"]), set(data.in_range(df, *B)["artist"])
    assert set(got[got["status"] == "new"]["name"]) == in_b - in_a
    assert set(got[got["status"] == "dropped"]["name"]) == in_a - in_b
    assert data.EDGE_ARTIST in set(got[got["status"] == "dropped"]["name"])    # played in 2024 and 2025 only


@pytest.mark.parametrize("min_seconds", [30, 0])
@pytest.mark.parametrize("tz", [TZ, "America/New_York"])
@pytest.mark.parametrize("day", [D(2026, 10, 27), D(2026, 10, 26), D(2026, 3, 31), D(2025, 3, 10),
                                 D(2026, 6, 1)])
def test_on_this_day_matches_pandas(plays_db, plays, day, tz, min_seconds):
    """Tracks with a play that day (local, in either zone, across daylight-saving days); plays count
    streams of at least min_seconds, minutes every stream, and each year's totals every track's."""
    got = q(plays_db, "plays_on_this_day", tz=tz, day=day, kind="music", min_seconds=min_seconds, limit=10_000)
    df = data.of_kind(data.local(plays, tz), "music")
    df = df[(df["local"].dt.month == day.month) & (df["local"].dt.day == day.day) & (df["local"].dt.year < day.year)]
    df = df.assign(year=df["local"].dt.year, counted=df["ms_played"] >= min_seconds * 1000)
    want = df.groupby(["year", "track", "artist"]).agg(
        plays=("counted", "sum"), minutes=("ms_played", lambda s: s.sum() / 60000)).reset_index()
    want = want[want["plays"] > 0]
    assert len(got) == len(want)
    # 27 October's plays of earlier years ended before 01:00 UTC: still the 26th in New York
    assert len(want) > 0 or (tz, day) == ("America/New_York", D(2026, 10, 27))
    merged = got.merge(want, on=["year", "track", "artist"], suffixes=("", "_want"))
    assert len(merged) == len(got)
    assert merged["plays"].tolist() == merged["plays_want"].tolist()
    assert merged["minutes"].tolist() == pytest.approx(merged["minutes_want"].tolist())
    firsts = naive(df[df["counted"]].groupby(["year", "track", "artist"])["local"].min())
    assert [pd.Timestamp(r.first_play) for r in got.itertuples()] == [
        firsts[(r.year, r.track, r.artist)] for r in got.itertuples()]
    per_year = df.groupby("year").agg(plays=("counted", "sum"), minutes=("ms_played", lambda s: s.sum() / 60000))
    per_year = per_year[per_year["plays"] > 0]
    totals = got.groupby("year")[["day_plays", "day_minutes"]].first()
    assert totals.index.tolist() == per_year.index.tolist()
    assert totals["day_plays"].tolist() == per_year["plays"].tolist()
    assert totals["day_minutes"].tolist() == pytest.approx(per_year["minutes"].tolist())
    assert got["year"].is_monotonic_decreasing
    # within a year, by first play as an instant (the local clock repeats an hour when it goes back)
    instants = df[df["counted"]].groupby(["year", "track", "artist"])["ended_at"].min()
    for _, rows in got.groupby("year", sort=False):
        order = [instants[(r.year, r.track, r.artist)] for r in rows.itertuples()]
        assert order == sorted(order)


def test_on_this_day_minutes_count_the_short_streams_of_a_day(plays_db, plays):
    """1 June 2024 has a 30 s play, a 29.999 s and a 9.999 s stream: 3 plays' worth of minutes with
    every stream counted, one play at 30 s."""
    got = q(plays_db, "plays_on_this_day", tz=TZ, day=D(2026, 6, 1), kind="music", min_seconds=30, limit=100)
    row = got[got["year"] == 2024].iloc[0]
    df = data.of_kind(data.local(plays, TZ), "music")
    df = df[df["day"] == D(2024, 6, 1)]
    assert row.day_minutes == pytest.approx(df["ms_played"].sum() / 60000)
    assert row.day_plays == int((df["ms_played"] >= 30000).sum())
    assert row.day_minutes > got[got["year"] == 2024]["minutes"].sum() - 1e-9


def test_on_this_day_for_29_february_looks_only_at_leap_years(plays_db):
    got = q(plays_db, "plays_on_this_day", tz=TZ, day=D(2028, 2, 29), kind="all", min_seconds=0, limit=100)
    assert set(got["year"]) <= {2000, 2004, 2008, 2012, 2016, 2020, 2024}
    assert all(d.month == 2 and d.day == 29 for d in got["day"])


@pytest.mark.parametrize("year", [2024, 2026])
def test_year_in_review_totals_match_pandas(plays_db, plays, year):
    since, until = D(year, 1, 1), D(year, 12, 31)
    t = q(plays_db, "plays_totals", **timed(since=since, until=until)).iloc[0]
    counts = q(plays_db, "plays_counts", tz=TZ, since=since, until=until, kind="music", min_seconds=30).iloc[0]
    df = data.in_range(data.of_kind(data.local(plays, TZ), "music"), since, until)
    counted = df[df["ms_played"] >= 30000]
    assert float(t.minutes) == pytest.approx(df["ms_played"].sum() / 60000)
    assert (t.plays, t.days) == (len(counted), counted["day"].nunique())
    assert (counts.tracks, counts.artists) == (len(counted.groupby(["artist", "track"])), counted["artist"].nunique())
    top = q(plays_db, "plays_top", tz=TZ, since=since, until=until, kind="music", level="artist", min_seconds=30,
            order_by="plays", limit=5)
    assert top["plays"].tolist() == counted["artist"].value_counts().head(5).tolist()


# ---------------------------------------------------------------------------------------------
# The queries themselves


@pytest.mark.parametrize("name", PLAYS_QUERIES)
def test_plays_query_documents_itself_with_an_example(name):
    q_ = queries.get(name)
    assert q_.doc and set(q_.params) <= set(q_.example)


ALWAYS_ROWS = {"plays_time_zones", "plays_time_zone", "plays_session_lengths"}   # zones, every length band
ONE_ROW = {"plays_totals", "plays_counts", "plays_sessions_summary", "plays_overview"}


@pytest.mark.parametrize("name", PLAYS_QUERIES)
def test_plays_query_runs_on_an_empty_database(empty_url, name):
    df = queries.run(name, queries.get(name).example, url=empty_url).df
    if name in ALWAYS_ROWS:
        assert len(df) > 0
    elif name in ONE_ROW:
        values = df.iloc[0].tolist()
        assert len(df) == 1 and all(v is None or pd.isna(v) or v == 0 for v in values), values
    else:
        assert df.empty


def test_overview_counts_streams_per_kind(plays_db, plays):
    got = q(plays_db, "plays_overview", tz=TZ).iloc[0]
    counts = plays["kind"].value_counts()
    assert got.streams == len(plays)
    assert all(getattr(got, k) == counts.get(k, 0) for k in ("music", "podcast", "audiobook", "unknown"))
    assert got.first_day == data.local(plays, TZ)["day"].min()


# ---------------------------------------------------------------------------------------------
# Refresh: incremental, idempotent, backfill


def rollups(url: str) -> dict[str, list[tuple]]:
    return {t: pg_rows(url, f"select * from {t} order by {order}, 1, 2, 3") for t, order in ROLLUPS.items()}


@pytest.fixture
def second_db(server_url, request):
    """A fresh database (a new name each time: the schema is applied once per name and process)."""
    name = f"mtm_plays_r_{os.getpid()}_{abs(hash(request.node.name)) % 10**6}"
    url = create_database(server_url, name)
    yield url
    drop_database(server_url, name)


def test_rollups_of_two_imports_equal_those_of_one(plays_db, second_db, tmp_path):
    demo, edges = tmp_path / "demo", tmp_path / "edges"
    data.build_export(str(demo), edges=False)
    data.write(str(edges), data.EDGE_FILE, data.edge_records())
    run_import(str(demo), second_db)
    run_import(str(edges), second_db)
    assert rollups(second_db) == rollups(plays_db)
    assert pg_rows(second_db, "select count(*) from plays_z_dirty_hours") == [(0,)]


def test_reimporting_the_same_export_changes_no_rollup(second_db, tmp_path):
    data.build_export(str(tmp_path))
    run_import(str(tmp_path), second_db)
    before = rollups(second_db)
    run_import(str(tmp_path), second_db)
    assert rollups(second_db) == before


def test_backfill_builds_the_rollups_for_plays_imported_before_they_existed(plays_db, second_db, tmp_path):
    data.build_export(str(tmp_path))
    run_import(str(tmp_path), second_db)
    data.execute(second_db, "truncate " + ", ".join(ROLLUPS))
    conn = psycopg2.connect(second_db)
    with conn, conn.cursor() as cur:
        refresh_rollups(cur)                    # as the next import would
    conn.close()
    assert rollups(second_db) == rollups(plays_db)


def test_migration_0012_gives_rows_stored_before_it_their_threshold_counts_and_heard_time(
        plays_db, second_db, tmp_path):
    """A database as it was before migration 0012 (no plays_10s/30s/60s, no ms_heard, the old
    covering index) holds, once upgraded, exactly the rollups a fresh build holds."""
    from db import schema

    data.build_export(str(tmp_path))
    run_import(str(tmp_path), second_db)
    data.execute(second_db, "alter table plays_z_sessions drop column ms_heard")
    data.execute(second_db, "alter table plays_hourly_items drop column plays_10s, drop column plays_30s, "
                            "drop column plays_60s")   # drops plays_hourly_items_item_idx, which includes them
    data.execute(second_db, "create index plays_hourly_items_item_idx on plays_hourly_items (item_key, hour_utc) "
                            "include (plays, ms_played)")
    data.execute(second_db, "delete from schema_migrations where version >= 12")
    conn = psycopg2.connect(second_db)
    try:
        assert [m.version for m in schema.upgrade(conn)][0] == 12
    finally:
        conn.close()
    assert rollups(second_db) == rollups(plays_db)
    order = "select * from plays_hourly_items order by hour_utc, item_key"
    assert pg_rows(second_db, order) == pg_rows(plays_db, order)
    index = "select indexdef from pg_indexes where indexname = 'plays_hourly_items_item_idx'"
    assert pg_rows(second_db, index) == pg_rows(plays_db, index) and "plays_30s" in pg_rows(plays_db, index)[0][0]


def test_an_import_that_bridges_two_sessions_merges_them(second_db, tmp_path):
    data.build_export(str(tmp_path))
    run_import(str(tmp_path), second_db)
    day = data.BRIDGE_AT.date()
    params = {"tz": "UTC", "since": day, "until": day, "kind": "music"}
    assert q(second_db, "plays_sessions_summary", **params).at[0, "sessions"] == 2
    bridge = tmp_path / "bridge"
    data.write(str(bridge), data.BRIDGE_FILE, data.bridge_records())
    run_import(str(bridge), second_db)
    assert q(second_db, "plays_sessions_summary", **params).at[0, "sessions"] == 1
    plays = data.read_plays(second_db)
    for kind in ("music", "all"):
        want = ref_sessions(data.of_kind(plays, kind))
        got = q(second_db, "plays_sessions_summary", tz="UTC", since=D(2000, 1, 1), until=D(2099, 12, 31),
                kind=kind).iloc[0]
        assert got.sessions == len(want) and got.longest_minutes == pytest.approx(want["minutes"].max())
