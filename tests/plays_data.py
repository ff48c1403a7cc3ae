"""Test data for the Plays analysis (tests/test_plays_queries.py, tests/test_page_plays.py).

A demo Spotify export (migrate.demo_export: a few thousand extended-history records with podcasts,
audiobooks, all-null records, skipped and short plays, clusters around the 2024 daylight-saving
changes, an older overlapping export and account data) plus one handmade extended-history file of
plays at the edges that matter: a second either side of local midnight in Berlin on the days the
clocks change, either side of midnight in Kolkata (UTC+05:30, inside one UTC hour), in the
repeated autumn hour, exactly 30 s and just under, two devices playing at once across a
daylight-saving change, and two sessions 50 minutes apart that a later import bridges.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from zoneinfo import ZoneInfo

import pandas as pd
import psycopg2

from db import queries
from migrate import demo_export

RECORDS = 3000
EXTENDED_DIR = demo_export.EXTENDED_DIR
EDGE_FILE = "Streaming_History_Audio_2024-2025_edges.json"
BRIDGE_FILE = "Streaming_History_Audio_2025_bridge.json"
EDGE_ARTIST = "Edge Case Quartet"
BRIDGE_AT = dt.datetime(2025, 6, 15, 12, 0, tzinfo=dt.UTC)     # nothing else is played that month
TWO_DEVICES = dt.datetime(2025, 10, 26, 0, 40, tzinfo=dt.UTC)   # the phone's first song starts here


def record(ts: dt.datetime, ms: int, track: str, artist: str = EDGE_ARTIST, *, album: str = "Boundaries",
           skipped: bool | None = False, reason_end: str | None = "trackdone", platform: str = "linux",
           country: str = "IN") -> dict:
    """One play in the current extended-history format."""
    uri = "spotify:track:" + hashlib.md5(f"{artist}\x1f{track}".encode()).hexdigest()[:22]
    return {"ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "platform": platform, "ms_played": ms, "conn_country": country,
            "ip_addr": "10.0.0.1", "master_metadata_track_name": track, "master_metadata_album_artist_name": artist,
            "master_metadata_album_album_name": album, "spotify_track_uri": uri, "episode_name": None,
            "episode_show_name": None, "spotify_episode_uri": None, "audiobook_title": None, "audiobook_uri": None,
            "audiobook_chapter_uri": None, "audiobook_chapter_title": None, "reason_start": "clickrow",
            "reason_end": reason_end, "shuffle": False, "skipped": skipped, "offline": False,
            "offline_timestamp": None, "incognito_mode": False}


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def edge_records() -> list[dict]:
    return [
        # Berlin, spring forward (31 March 2024): the last second of 30 March and the first of 31 March
        record(_utc("2024-03-30 22:59:30"), 200_000, "Last of March 30"),
        record(_utc("2024-03-30 23:00:30"), 200_000, "First of March 31"),
        record(_utc("2024-03-31 21:59:30"), 200_000, "Last of March 31"),       # 23:59:30 CEST
        record(_utc("2024-03-31 22:00:30"), 200_000, "First of April 1"),
        # Kolkata (UTC+05:30): local midnight falls at 18:30 UTC, inside one UTC hour
        record(_utc("2024-04-10 18:29:30"), 120_000, "Before Kolkata midnight"),
        record(_utc("2024-04-10 18:30:30"), 120_000, "After Kolkata midnight"),
        # Berlin, fall back (27 October 2024): 02:59:30 CEST, then 02:00:30 CET an hour later
        record(_utc("2024-10-27 00:59:30"), 180_000, "Before the repeated hour"),
        record(_utc("2024-10-27 01:00:30"), 180_000, "In the repeated hour"),
        record(_utc("2024-10-26 21:59:30"), 180_000, "Last of October 26"),
        record(_utc("2024-10-26 22:00:30"), 180_000, "First of October 27"),
        # What counts as a play: exactly 30 s counts, 29.999 s does not; a skip by the forward button
        # in the older format (skipped null)
        record(_utc("2024-06-01 12:00:00"), 30_000, "Exactly thirty seconds"),
        record(_utc("2024-06-01 12:05:00"), 29_999, "Just under thirty seconds", skipped=None, reason_end="fwdbtn"),
        record(_utc("2024-06-01 12:10:00"), 9_999, "Under ten seconds", skipped=True, reason_end="fwdbtn"),
        # Two devices at once across Berlin's fall-back (26 October 2025, 01:00 UTC): songs on the phone
        # while the speaker plays, and a 20 s stream inside the speaker's second song. One session of
        # 32.5 minutes (00:40:00 to 01:12:30) whose streams add up to 42 min 20 s and of which 32
        # minutes had something playing.
        *[record(TWO_DEVICES + dt.timedelta(minutes=4 * k), 240_000, f"Phone song {k}",
                 platform="iOS 17.1.2 (iPhone15,2)", country="DE") for k in (1, 2, 3)],
        record(TWO_DEVICES + dt.timedelta(minutes=12), 600_000, "Speaker song 1",
               platform="Partner sonos_sonos_one;Sonos;One", country="DE"),
        record(TWO_DEVICES + dt.timedelta(minutes=32, seconds=30), 1_200_000, "Speaker song 2",
               platform="Partner sonos_sonos_one;Sonos;One", country="DE"),
        record(TWO_DEVICES + dt.timedelta(minutes=25), 20_000, "Phone glimpse", platform="iOS 17.1.2 (iPhone15,2)",
               country="DE", skipped=True, reason_end="fwdbtn"),
        # Two sessions 50 minutes apart; the bridge file joins them
        record(BRIDGE_AT, 200_000, "Before the bridge", platform="osx", country="DE"),
        record(BRIDGE_AT + dt.timedelta(minutes=50), 60_000, "After the bridge", platform="osx", country="DE"),
    ]


def bridge_records() -> list[dict]:
    """One play ending 25 minutes after the first session: both gaps drop under 30 minutes."""
    return [record(BRIDGE_AT + dt.timedelta(minutes=25), 60_000, "The bridge", platform="osx", country="DE")]


def write(folder: str, name: str, records: list[dict]) -> str:
    path = os.path.join(folder, EXTENDED_DIR, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(records, fh, ensure_ascii=False)
    return path


def build_export(folder: str, *, records: int = RECORDS, edges: bool = True) -> dict:
    """The demo export plus the edge file in `folder`; returns the demo's manifest."""
    manifest = demo_export.generate(folder, records=records)
    if edges:
        write(folder, EDGE_FILE, edge_records())
    return manifest


def execute(url: str, sql: str) -> None:
    """Run a statement and commit (test set-up only)."""
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def read_plays(url: str) -> pd.DataFrame:
    """Every stored play, ended_at as an aware UTC timestamp."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("""select ended_at, ms_played, kind, track_id, track, artist, album, platform, country,
                                  skipped, reason_end
                           from plays order by ended_at""")
            cols = [c.name for c in cur.description]
            df = pd.DataFrame(cur.fetchall(), columns=cols)
    finally:
        conn.close()
    df["ended_at"] = pd.to_datetime(df["ended_at"], utc=True)
    return df


def local(df: pd.DataFrame, tz: str) -> pd.DataFrame:
    """A copy with `local` (the zone's wall clock, by zoneinfo), `day`, `is_skip` and `known`."""
    out = df.copy()
    out["local"] = out["ended_at"].dt.tz_convert(ZoneInfo(tz))
    out["day"] = out["local"].dt.date
    out["is_skip"] = out["skipped"].fillna(False).astype(bool) | out["reason_end"].eq("fwdbtn")
    out["known"] = out["skipped"].notna() | out["reason_end"].notna()
    return out


# The plays queries' rows, and the pandas reference they are checked against
# (tests/test_plays_queries.py, tests/test_plays_long_ranges.py).
def q(url: str, name: str, **params) -> pd.DataFrame:
    """The rows of named query `name`, all of them (the test fails if the row cap cut any)."""
    res = queries.run(name, params, url=url, cap=100_000)
    assert not res.truncated
    return res.df


def in_range(df: pd.DataFrame, since: dt.date, until: dt.date) -> pd.DataFrame:
    return df[(df["day"] >= since) & (df["day"] <= until)]


def of_kind(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    return df if kind == "all" else df[df["kind"] == kind]


LEVEL_KEYS = {"track": ["kind", "artist", "track"], "album": ["kind", "artist", "album"], "artist": ["kind", "artist"]}


def ref_items(df: pd.DataFrame, level: str, min_seconds: int) -> pd.DataFrame:
    keys = LEVEL_KEYS[level]
    if level != "track":
        df = df[df[keys[-1]].notna()]
    g = df.assign(counted=df["ms_played"] >= min_seconds * 1000).groupby(keys, dropna=False)
    out = g.agg(plays=("counted", "sum"), minutes=("ms_played", lambda s: s.sum() / 60000),
                streams=("ms_played", "size"), skips=("is_skip", "sum"), skip_known=("known", "sum")).reset_index()
    return out.rename(columns={keys[-1]: "name"} if level != "artist" else {"artist": "name"})


def ranked(df: pd.DataFrame, by: str) -> pd.DataFrame:
    out = df[df["plays"] > 0].copy()
    out["rank"] = out[by].rank(method="min", ascending=False).astype(int)
    return out
