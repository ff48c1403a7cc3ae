"""Benchmark: the Spotify export import against a bare parse + COPY of the same rows, same run.

    python -m bench.import_export [--records 1000000] [--rounds 2]

Generates (once, cached in bench/.work/) an extended-history export with migrate.demo_export
(`extended_only`, so every record is a new play). Per round, on a scratch database:
  1. baseline: parse each file with orjson and COPY (binary) one row per record into `plays`,
     taking the fields as they come: no checks, no matching, no rollups;
  2. the import (`import_export`) into the emptied tables, rollups included;
  3. an unchanged rerun.
Writes the `import_export` section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import time

import orjson
import psycopg2

from bench.common import WORK, median, scratch_database, write_section
from migrate import pgcopy

TYPES = ("timestamptz", "int4", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text",
         "text", "bool", "bool", "bool", "bool", "int8", "jsonb", "int8")


def bare_copy(files: list[str], url: str) -> float:
    from migrate.spotify_export import COLUMNS

    started = time.perf_counter()
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        for path in files:
            with open(path, "rb") as fh:
                records = orjson.loads(fh.read())
            rows = []
            for r in records:
                if not r.get("ms_played"):
                    continue  # the table holds plays with a duration
                uri = r.get("spotify_track_uri") or r.get("spotify_episode_uri")
                rows.append((dt.datetime.fromisoformat(r["ts"].replace("Z", "+00:00")), r["ms_played"],
                             "music" if r.get("spotify_track_uri") else "podcast", "extended",
                             uri.rsplit(":", 1)[-1] if uri and uri.startswith("spotify:track:") else None, uri,
                             r.get("master_metadata_track_name") or r.get("episode_name"),
                             r.get("master_metadata_album_artist_name") or r.get("episode_show_name"),
                             r.get("master_metadata_album_album_name"), r.get("platform"), r.get("conn_country"),
                             r.get("reason_start"), r.get("reason_end"), r.get("shuffle"), r.get("skipped"),
                             r.get("offline"), r.get("incognito_mode"), None, orjson.dumps(r),
                             r.get("offline_timestamp") or 0))
                if len(rows) == 10_000:
                    pgcopy.copy_rows(cur, "plays", COLUMNS, TYPES, rows)
                    rows = []
            pgcopy.copy_rows(cur, "plays", COLUMNS, TYPES, rows)
    conn.close()
    return time.perf_counter() - started


def truncate(url: str) -> None:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("select string_agg(format('%I', tablename), ', ') from pg_tables where schemaname = 'public' "
                    "and (tablename like 'play%' or tablename like 'import_%')")
        cur.execute(f"truncate {cur.fetchone()[0]} restart identity cascade")
        cur.execute("checkpoint")
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from migrate import demo_export
    from migrate.spotify_export import import_export

    folder = os.path.join(WORK, f"export_{args.records}")
    if not os.path.exists(os.path.join(folder, ".done")):
        t0 = time.perf_counter()
        demo_export.generate(folder, records=args.records, extended_only=True)
        open(os.path.join(folder, ".done"), "w").close()
        print(f"generated {folder} in {time.perf_counter() - t0:.0f} s")
    files = sorted(glob.glob(os.path.join(folder, "**", "*.json"), recursive=True))
    size_mb = sum(os.path.getsize(f) for f in files) / 1e6
    url = scratch_database("mtm_bench_export")
    load = os.getloadavg()[0]
    base, first, rerun, ratios = [], [], [], []
    plays = 0
    for r in range(args.rounds):
        truncate(url)
        b = bare_copy(files, url)
        truncate(url)
        t0 = time.perf_counter()
        report = import_export(folder, url)
        f = time.perf_counter() - t0
        t0 = time.perf_counter()
        import_export(folder, url)
        g = time.perf_counter() - t0
        conn = psycopg2.connect(url)
        with conn.cursor() as cur:
            cur.execute("select count(*) from plays")
            plays = cur.fetchone()[0]
        conn.close()
        base.append(b)
        first.append(f)
        rerun.append(g)
        ratios.append(f / b)
        print(f"round {r + 1}: bare {b:.1f} s, import {f:.1f} s ({f / b:.2f}x), rerun {g:.1f} s; "
              f"{plays:,} plays; verified={report.verified}")

    def spread(values: list[float]) -> str:
        return ", ".join(f"{v:.1f} s" for v in values)

    body = f"""## Spotify export import (`python -m bench.import_export`)

{args.records:,} extended-history records in {len(files)} files ({size_mb:,.0f} MB of JSON), {plays:,} plays stored;
{args.rounds} rounds, medians. Baseline in the same run: parse each file with orjson and binary-COPY one row per
record into the same `plays` table (same indexes), unchecked.

| step | median | rounds | vs baseline |
| --- | --- | --- | --- |
| bare parse + COPY (baseline) | {median(base):.1f} s | {spread(base)} | 1.00x |
| import (parse, check, dedupe, COPY, every `refresh_*` rollup) | {median(first):.1f} s | {spread(first)} | **{median(ratios):.2f}x** (median of the rounds' ratios: {", ".join(f"{r:.2f}x" for r in ratios)}) |
| unchanged rerun (adds nothing) | {median(rerun):.1f} s | {spread(rerun)} | {median(rerun) / median(base):.2f}x |

The machine's noise: each step's time in every round (the baseline's spread is the noise of the
ratio; load average {load:.1f} when the run started). Aim: within 1.5x of the bare COPY.
"""
    print(body)
    if not args.no_write:
        write_section("import_export", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
