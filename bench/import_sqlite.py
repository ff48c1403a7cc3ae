"""Benchmark: the SQLite import against a bare COPY of the same rows, in the same run.

    python -m bench.import_sqlite [--tracks 50000] [--snapshots 75000] [--rounds 3]

Generates (once, cached in bench/.work/) a Music Time Machine file with Spotify-shaped raw_json,
then per round, on a scratch database:
  0. the same COPY into plain tables (no indexes, keys or generated columns): moving the bytes,
  1. baseline: read the rows from SQLite and COPY them (text format, no checks) into the same tables,
     with the project's own schema and indexes (the floor for the same job),
  2. the import (`import_sqlite`) into the emptied tables,
  3. an unchanged rerun of the import,
  4. pgloader into a new database, where it is installed.
Reports medians with each step's spread across rounds (the machine's noise), the ratios import /
baseline, rerun / baseline and import / pgloader, and the sizes of the indexes of tracks; writes
BENCHMARKS.md (unless --no-write).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import itertools
import os
import random
import sqlite3
import time

import psycopg2

from bench.common import WORK, median, scratch_database, write_section

TABLES = "tracks, snapshots, import_runs, import_rejects"


def build_file(path: str, n_tracks: int, n_snapshots: int, *, sticky: bool = False,
               artists: int | None = None) -> None:
    """n_tracks full Spotify track objects and n_snapshots weekly top-50 ranks (3 time ranges): each
    week's 50 drawn afresh, or when `sticky` as a listener's top lists move (each week the short-term
    list keeps about 70% of its tracks, medium-term 90%, long-term 97%; newcomers come mostly from
    a few hundred favourites, some from the whole library), so a track charts for weeks. With
    `artists`, the tracks are by that many artists (the demo's and invented ones, as
    a long tail: a few with thousands of tracks, most with a handful), else
    by the demo's 119."""
    from migrate.demo import make_artist, make_track

    rng = random.Random(7)
    tmp = path + ".part"
    if os.path.exists(tmp):
        os.remove(tmp)
    con = sqlite3.connect(tmp)
    con.execute("create table tracks(track_id TEXT PRIMARY KEY, name TEXT, artist_name TEXT, album_name TEXT, "
                "duration_ms INTEGER, spotify_url TEXT, raw_json TEXT)")
    con.execute("create table snapshots(track_id TEXT, snapshot_date TEXT, time_range TEXT, rank INTEGER, "
                "PRIMARY KEY (track_id, snapshot_date, time_range))")
    import json

    ids = []
    batch = []
    roster = None
    if artists:
        from migrate.demo_export import _roster

        roster = [[make_artist(name)] for name, _ in _roster(random.Random(11), artists)]
        # Zipf-like: the first artist has ~4% of the tracks, the 100th ~0.07%, most have a handful
        cum = list(itertools.accumulate(1 / (i + 1) ** 0.9 for i in range(len(roster))))
    for _ in range(n_tracks):
        if roster is None:
            t = make_track(rng)
        else:
            t = make_track(rng, artists=rng.choices(roster, cum_weights=cum)[0])
        ids.append(t["id"])
        batch.append((t["id"], t["name"], t["artists"][0]["name"], t["album"]["name"], t["duration_ms"],
                      t["external_urls"]["spotify"], json.dumps(t, ensure_ascii=False)))
        if len(batch) == 5000:
            con.executemany("insert into tracks values (?,?,?,?,?,?,?)", batch)
            batch = []
    con.executemany("insert into tracks values (?,?,?,?,?,?,?)", batch)
    per_week = 150
    weeks = max(1, n_snapshots // per_week)
    end = dt.date(2026, 11, 16)
    snaps = []
    keep = {"short_term": 0.7, "medium_term": 0.9, "long_term": 0.97}
    favourites = rng.sample(ids, min(len(ids), 400)) if sticky else []
    lists = {tr: rng.sample(ids, min(50, len(ids))) for tr in keep} if sticky else {}
    for w in range(weeks):
        day = (end - dt.timedelta(weeks=weeks - 1 - w)).isoformat()
        for tr in ("short_term", "medium_term", "long_term"):
            if not sticky:
                lists[tr] = rng.sample(ids, 50)
            elif w:
                kept = [t for t in lists[tr] if rng.random() < keep[tr]]
                rng.shuffle(kept)           # ranks move
                while len(kept) < 50:
                    t = rng.choice(favourites) if rng.random() < 0.7 else rng.choice(ids)
                    if t not in kept:
                        kept.insert(rng.randrange(len(kept) + 1), t)
                lists[tr] = kept
            for rank, tid in enumerate(lists[tr], start=1):
                snaps.append((tid, day, tr, rank))
    con.executemany("insert into snapshots values (?,?,?,?)", snaps[:n_snapshots])
    con.commit()
    con.close()
    os.replace(tmp, path)


def _escape(v) -> str:
    if v is None:
        return "\\N"
    s = str(v)
    if "\\" in s or "\t" in s or "\n" in s or "\r" in s:
        s = s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return s


PLAIN = """
drop table if exists bench_plain_tracks, bench_plain_snapshots;
create table bench_plain_tracks (track_id text, name text, artist_name text, album_name text, duration_ms integer,
                                 spotify_url text, raw_json jsonb);
create table bench_plain_snapshots (track_id text, snapshot_date date, time_range text, rank integer);
"""


def bare_copy(path: str, url: str, prefix: str = "") -> float:
    """Read every row from SQLite and COPY it unchecked into tracks and snapshots (or, with prefix
    'bench_plain_', into tables of the same columns without indexes, keys or generated columns: the
    floor of moving the bytes); seconds taken."""
    if prefix:
        conn = psycopg2.connect(url)
        with conn, conn.cursor() as cur:
            cur.execute(PLAIN)
        conn.close()
    started = time.perf_counter()
    src = sqlite3.connect(path)
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        for table, cols in ((prefix + "tracks", "track_id, name, artist_name, album_name, duration_ms, spotify_url, raw_json"),
                            (prefix + "snapshots", "track_id, snapshot_date, time_range, rank")):
            rows = src.execute(f"select {cols} from {table.removeprefix(prefix)}")
            while True:
                chunk = rows.fetchmany(5000)
                if not chunk:
                    break
                buf = io.StringIO("".join("\t".join(map(_escape, r)) + "\n" for r in chunk))
                cur.copy_expert(f"copy {table} ({cols}) from stdin", buf)
    conn.close()
    src.close()
    return time.perf_counter() - started


def pgloader(path: str, url: str) -> float | None:
    """Seconds pgloader takes to load the SQLite file into a new empty database on the same server
    (its own tables from the SQLite schema: primary keys, no search columns or indexes), or None
    when pgloader is not installed or cannot reach the server."""
    import shutil
    import subprocess
    from urllib.parse import parse_qs, urlsplit

    from psycopg2 import sql

    if not shutil.which("pgloader"):
        return None
    parts = urlsplit(url)
    name = "mtm_bench_pgloader"
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        cur.execute("select current_setting('port')")
        port = cur.fetchone()[0]
    conn.close()
    host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
    user = parts.username or "postgres"
    target = (f"postgresql://{user}@unix:{host}:{port}/{name}" if host.startswith("/")
              else f"postgresql://{user}@{host}:{parts.port or port}/{name}")
    started = time.perf_counter()
    # smaller batches than pgloader's default: with 1.9 KB rows its default exhausts SBCL's 1 GB heap
    done = subprocess.run(["pgloader", "--quiet", "--with", "batch rows = 1000", "--with", "prefetch rows = 1000",
                           f"sqlite://{os.path.abspath(path)}", target],
                          capture_output=True, text=True, timeout=1800)
    took = time.perf_counter() - started
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    conn.close()
    return took if done.returncode == 0 else None


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f} s"


def truncate(url: str) -> None:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(f"truncate {TABLES} restart identity cascade")
        cur.execute("checkpoint")
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--snapshots", type=int, default=75_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = parser.parse_args()

    from migrate.sqlite_import import import_sqlite

    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, f"mtm_{args.tracks}_{args.snapshots}.db")
    if not os.path.exists(path):
        t0 = time.perf_counter()
        build_file(path, args.tracks, args.snapshots)
        print(f"generated {path} in {time.perf_counter() - t0:.1f} s")
    size_mb = os.path.getsize(path) / 1e6
    url = scratch_database("mtm_bench_import")
    base, first, rerun, ratios, plain, loader, vs_loader = [], [], [], [], [], [], []
    for r in range(args.rounds):
        truncate(url)
        plain.append(bare_copy(path, url, "bench_plain_"))
        b = bare_copy(path, url)
        truncate(url)
        t0 = time.perf_counter()
        report = import_sqlite(path, url)
        f = time.perf_counter() - t0
        assert report.verified and report.tables["tracks"].inserted == args.tracks, report.render()
        t0 = time.perf_counter()
        again = import_sqlite(path, url)
        g = time.perf_counter() - t0
        assert again.tables["tracks"].written == 0 and again.tables["snapshots"].written == 0
        base.append(b)
        first.append(f)
        rerun.append(g)
        ratios.append(f / b)
        loaded = pgloader(path, url)
        if loaded is not None:
            loader.append(loaded)
            vs_loader.append(f / loaded)
        print(f"round {r + 1}: plain tables {plain[-1]:.2f} s, bare COPY {b:.2f} s, import {f:.2f} s ({f / b:.2f}x), "
              f"unchanged rerun {g:.2f} s, pgloader {loaded if loaded is None else round(loaded, 2)} s")
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("drop table if exists bench_plain_tracks, bench_plain_snapshots")
        cur.execute("select count(distinct track_id) from snapshots")
        charted = cur.fetchone()[0]
        cur.execute("select indexrelid::regclass::text, pg_size_pretty(pg_relation_size(indexrelid)) from pg_index "
                    "where indrelid = 'tracks'::regclass order by pg_relation_size(indexrelid) desc")
        index_sizes = ", ".join(f"{n} {s}" for n, s in cur.fetchall())
    conn.close()
    pgloader_row = ("\n| pgloader (its own tables from the SQLite schema, no search columns or indexes) | "
                    f"{median(loader):.2f} s | {spread(loader)} | {median(loader) / median(base):.2f}x; the import is "
                    f"**{median(vs_loader):.2f}x** pgloader (median of per-round ratios) |" if loader else
                    "\n| pgloader | not installed or failed | | |")
    body = f"""## SQLite import (`python -m bench.import_sqlite`)

{args.tracks:,} tracks with full Spotify-shaped raw_json and {args.snapshots:,} snapshots ({size_mb:,.0f} MB SQLite
file); {args.rounds} rounds, medians. Baseline: the same rows read from SQLite and COPYed unchecked (text format)
into the same tables, indexes and generated search columns included, in the same database in the same run.

| step | median | rounds (min-max) | vs baseline |
| --- | --- | --- | --- |
| plain tables: the same COPY into tables without indexes, keys or generated columns | {median(plain):.2f} s | {spread(plain)} | {median(plain) / median(base):.2f}x |
| bare COPY (baseline) | {median(base):.2f} s | {spread(base)} | 1.00x |{pgloader_row}
| import (validate, hash, binary COPY, index build, verify, refresh rollups) | {median(first):.2f} s | {spread(first)} | **{median(ratios):.2f}x** (median of per-round ratios) |
| unchanged rerun | {median(rerun):.2f} s | {spread(rerun)} | {median(rerun) / median(base):.2f}x ({median(rerun) / median(first):.0%} of the first import) |

The machine's noise: the spread of each step across rounds (min-max above). A first import into an empty
tracks table drops the secondary indexes of tracks and builds them after its COPY (the baseline inserts
into them row by row, as a later import does).
Aim: import within 1.2x of the bare COPY and 2x pgloader; unchanged rerun within 0.2x of the bare COPY. Snapshots chart {charted:,} distinct
tracks. The indexes of tracks after the import, largest first: {index_sizes}.
"""
    print(body)
    if not args.no_write:
        write_section("import_sqlite", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
