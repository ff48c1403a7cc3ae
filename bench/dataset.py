"""The large dataset the page benchmarks run on: 100,000 tracks, two years of weekly snapshots and
a million plays.

    python -m bench.dataset [--tracks 100000] [--plays 1000000]

Built once into the database `mtm_bench_pages` (kept between runs; rebuilt when its shape differs).
Tracks are Spotify-shaped (migrate.demo.make_track); the demo file (~600 tracks by accented and
non-Latin artists, 110 weeks of top-50 snapshots in three time ranges) is imported too, so searches
and charts see realistic data. The large file adds two years of weekly top-50 lists in three time
ranges over its tracks, moving as a listener's do (bench.import_sqlite.build_file, sticky), and the
plays are bench.plays' demo export (a heavy listener: thousands of artists, tens of thousands of
tracks), imported by the real importer.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import psycopg2

from bench.common import WORK

DATABASE = "mtm_bench_pages"
WEEKS = 104                     # two years of weekly top-50 lists in three time ranges
ARTISTS = 5_000                 # the library's artists: a long tail, as bench.plays' listener


def ensure(tracks: int = 100_000, plays: int = 1_000_000) -> str:
    """URL of the benchmark database holding `tracks` tracks and about `plays` plays (builds it when
    needed)."""
    from urllib.parse import urlsplit, urlunsplit

    from bench.common import scratch_database
    from db.config import normalise_url
    from db.schema import ensure_schema

    server = os.environ.get("BENCH_DATABASE_URL")
    if server:
        server = normalise_url(server)
    else:
        from db import embedded

        server = embedded.server_uri()
    url = urlunsplit(urlsplit(server)._replace(path="/" + DATABASE))
    try:
        ensure_schema(url)
        conn = psycopg2.connect(url)
        with conn.cursor() as cur:
            cur.execute("select count(*) from tracks")
            have = cur.fetchone()[0]
            cur.execute("select count(*) from plays")
            have_plays = cur.fetchone()[0]
            cur.execute("select count(distinct track_id) from snapshots")
            charted = cur.fetchone()[0]
            cur.execute("select count(distinct artist_name) from tracks")
            artists = cur.fetchone()[0]
        conn.close()
    except psycopg2.OperationalError:
        have = have_plays = charted = artists = -1
    from migrate import demo

    demo_tracks = demo.DEFAULT_TRACKS
    if (have == tracks + demo_tracks and abs(have_plays - plays) <= plays * 0.02 and charted > demo_tracks
            and artists > min(ARTISTS, tracks // 20) * 0.8):
        return url
    url = scratch_database(DATABASE)
    from bench.import_sqlite import build_file
    from migrate.sqlite_import import import_sqlite

    os.makedirs(WORK, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        demo_path = os.path.join(tmp, "demo.db")
        demo.generate(demo_path)
        import_sqlite(demo_path, url)
        snapshots = WEEKS * 150
        big = os.path.join(WORK, f"mtm_{tracks}_{snapshots}_{ARTISTS}a_sticky.db")
        if not os.path.exists(big):
            build_file(big, tracks, snapshots, sticky=True, artists=ARTISTS)
        import_sqlite(big, url)
    if plays:
        from bench.plays import export_dir
        from migrate.spotify_export import import_export

        import_export(export_dir(plays), url)
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("vacuum analyze")
    conn.close()
    print(f"built {DATABASE}: {tracks + demo_tracks:,} tracks, {plays:,} plays in "
          f"{time.perf_counter() - started:.0f} s")
    return url


def describe(url: str) -> str:
    """The dataset's shape in one sentence, for the benchmark sections that run on it."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("""
                select (select count(*) from tracks), (select count(distinct artist_name) from tracks),
                       (select count(*) from snapshots), (select count(distinct track_id) from snapshots),
                       (select count(distinct snapshot_date) from snapshots),
                       (select count(*) from plays), (select count(distinct artist) from plays where kind = 'music'),
                       (select count(distinct (artist, track)) from plays where kind = 'music')""")
            tracks, artists, snaps, charted, dates, plays, p_artists, p_tracks = cur.fetchone()
    finally:
        conn.close()
    return (f"{tracks:,} tracks by {artists:,} artists; {snaps:,} snapshot rows on {dates:,} dates charting "
            f"{charted:,} distinct tracks; {plays:,} plays of {p_tracks:,} tracks by {p_artists:,} artists")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--plays", type=int, default=1_000_000)
    args = parser.parse_args()
    print(ensure(args.tracks, args.plays))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
