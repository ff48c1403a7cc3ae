"""Benchmark: the API at 1,000,000 plays, over HTTP, next to the same work done directly.

    python -m bench.api [--singles 200] [--batches 5] [--runs 30] [--out BENCHMARKS.md]
    python -m bench.api --during-import 1000000 [--out BENCHMARKS.md]

Dataset: `mtm_bench_plays` (bench.plays: a demo Spotify export of about 1,000,000 plays). The
API runs as `Starlette(routes=api.routes())` under uvicorn in its own process on 127.0.0.1; the
client is `requests` with keep-alive, one request at a time.
- Submit: single listens (listen_type single, each its own request) and 1,000-listen import
  batches, each with its rollups refreshed and committed; next to a bare
  `INSERT ... ON CONFLICT DO NOTHING` of the same kind of rows into plays (one statement and
  commit per row, and one statement for 1,000 rows) over psycopg2 in the same run.
- Read: /api endpoints next to their named queries called directly (db.queries.run, the same
  reader engine), `--runs` times each after 2 warm-ups.
Everything submitted is deleted again at the end (and its rollups refreshed).
--during-import N: a first import of a demo export of N records into a scratch database
(`mtm_bench_api_import`) while one client submits single listens (one every 50 ms or slower): their latency
while the import runs, and whether each ended up exactly once with the rollups right.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import psycopg2
import requests

from bench.common import BENCHMARKS, free_port, median, pct, write_section

NOW = int(time.time())


def _listen(at: int, i: int, tag: str) -> dict:
    return {"listened_at": at, "track_metadata": {
        "artist_name": f"Bench artist {i % 97}", "track_name": f"Bench {tag} {i}", "release_name": f"Bench album {i % 41}",
        "additional_info": {"duration_ms": 180_000 + (i % 60) * 1000, "submission_client": "bench.api"}}}


def _serve(url: str):
    port = free_port()
    code = ("import uvicorn, api; from starlette.applications import Starlette; "
            f"uvicorn.run(Starlette(routes=api.routes({url!r})), host='127.0.0.1', port={port}, "
            "log_level='warning', access_log=False)")
    env = {**os.environ, "MTM_API_RATE_LIMIT": "1000000/10", "MTM_PUBLIC_READ": "0"}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(base + "/api/openapi.json", timeout=2)
            return proc, base
        except requests.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("the API server did not start") from None
            time.sleep(0.2)


def _cleanup(url: str) -> None:
    """Delete every bench listen (API and baseline rows) and refresh the rollups of their hours."""
    from db.refresh import run as refresh_rollups

    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("""
            with gone as (delete from plays where source = 'listenbrainz' returning ended_at)
            insert into plays_dirty_hours (hour_utc)
            select distinct date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00') from gone""")
        cur.execute("delete from listens")
        cur.execute("delete from playing_now")
        cur.execute("delete from api_tokens where name like 'bench-%'")
        cur.execute("set local work_mem = '256MB'")
        refresh_rollups(cur)
    conn.close()


_BASELINE = """
insert into plays (ended_at, ms_played, kind, source, track, artist, album, platform, raw_json)
select to_timestamp(at) + make_interval(secs => ms / 1000.0), ms, 'music', 'listenbrainz', track, artist, album,
       'bench-baseline', raw::jsonb
from unnest(%s::bigint[], %s::int[], %s::text[], %s::text[], %s::text[], %s::text[]) as t (at, ms, track, artist, album, raw)
on conflict do nothing"""


def _baseline_rows(listens: list[dict]) -> list[list]:
    import orjson

    cols: list[list] = [[], [], [], [], [], []]
    for x in listens:
        m = x["track_metadata"]
        for c, v in zip(cols, (x["listened_at"], m["additional_info"]["duration_ms"], m["track_name"],
                               m["artist_name"], m["release_name"], orjson.dumps(x).decode()), strict=True):
            c.append(v)
    return cols


def during_import(records: int, out: str) -> None:
    import tempfile
    import threading

    from api import tokens
    from bench.common import WORK, scratch_database
    from db import schema
    from migrate import demo_export
    from migrate.spotify_export import import_export

    name = "mtm_bench_api_import"
    from urllib.parse import urlsplit, urlunsplit

    from bench.plays import _server

    schema.forget(urlunsplit(urlsplit(_server())._replace(path="/" + name)))
    url = scratch_database(name)
    schema.ensure_schema(url)
    os.makedirs(WORK, exist_ok=True)
    conn = psycopg2.connect(url)
    token = tokens.create(conn, "bench-import")
    proc, base = _serve(url)
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    result: dict = {}
    try:
        with tempfile.TemporaryDirectory(dir=WORK) as tmp:
            demo_export.generate(tmp, records=records, extended_only=True)
            done = threading.Event()

            def run_import():
                t0 = time.perf_counter()
                try:
                    result["report"] = import_export(tmp, url)
                finally:
                    result["seconds"] = time.perf_counter() - t0
                    done.set()

            importer = threading.Thread(target=run_import)
            importer.start()
            during, after, i = [], [], 0
            while not done.is_set() or len(after) < 20:
                body = {"listen_type": "single", "payload": [_listen(NOW - 86_400 * 5 + i * 30, i, "during")]}
                running = not done.is_set()
                t0 = time.perf_counter()
                r = session.post(base + "/1/submit-listens", json=body, timeout=120)
                ms = (time.perf_counter() - t0) * 1000
                assert r.status_code == 200, r.text
                (during if running else after).append(ms)
                i += 1
                time.sleep(0.05)      # 20 listens a second at most: several busy clients
            importer.join()
        deadline = time.monotonic() + 600
        with conn.cursor() as cur:
            while True:
                cur.execute("select count(*) from listen_pending_hours")
                if not cur.fetchone()[0] or time.monotonic() > deadline:
                    break
                conn.commit()
                time.sleep(0.5)
            cur.execute("select count(*) filter (where source = 'listenbrainz'), count(*) from plays")
            listens, plays = cur.fetchone()
            cur.execute("select (select coalesce(sum(plays), 0) from plays_hourly), "
                        "(select coalesce(sum(plays), 0) from plays_z_hourly)")
            hourly, z_hourly = cur.fetchone()
        conn.commit()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        conn.close()
    report = result["report"]
    body = f"""## Listens during a large import (`python -m bench.api --during-import {records}`)

A first import of a demo Spotify export of {records:,} records ({report.tables['plays'].inserted:,} plays) into an
empty scratch database took {result['seconds']:.1f} s (one transaction). Meanwhile one client submitted single
listens through the API, one every 50 ms or slower: {len(during)} during the import, p50 {median(during):.1f} ms, p95
**{pct(during, 0.95):.1f} ms**, max {max(during):.0f} ms (while the import rebuilds the rollups a listen does
not wait: it commits and leaves its rollups to the background drain); {len(after)} right after, p50
{median(after):.1f} ms. At the end: {listens:,} listen plays for {len(during) + len(after):,} listens sent, plays
{plays:,}, plays_hourly {hourly:,}, plays_z_hourly {z_hourly:,}; the import's checks
{'passed' if report.verified else 'FAILED'}."""
    write_section("api_import", body, out)
    print(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=200)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--out", default=BENCHMARKS, help="file whose `api` section is written")
    parser.add_argument("--during-import", type=int, default=0, metavar="RECORDS",
                        help="measure listens during a first import of this many records instead")
    args = parser.parse_args(argv)
    if args.during_import:
        during_import(args.during_import, args.out)
        return 0

    from api import tokens
    from bench.plays import ensure
    from db import queries, search

    url = ensure()
    _cleanup(url)
    conn = psycopg2.connect(url)
    token = tokens.create(conn, f"bench-{os.getpid()}")
    with conn.cursor() as cur:
        cur.execute("select count(*), min(ended_at)::date, max(ended_at)::date from plays")
        plays, first, last = cur.fetchone()
    conn.commit()
    proc, base = _serve(url)
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    try:
        # Submit: single listens over the last days (each its own hour, month and year rows updated)
        singles, start = [], NOW - 86_400 * 3
        for i in range(args.singles + 2):
            body = {"listen_type": "single", "payload": [_listen(start + i * 400, i, "single")]}
            t0 = time.perf_counter()
            r = session.post(base + "/1/submit-listens", json=body, timeout=60)
            singles.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.text
        singles = singles[2:]
        batches, b_start = [], NOW - 86_400 * 40
        for b in range(args.batches):
            body = {"listen_type": "import", "payload": [_listen(b_start - b * 300_000 + i * 200, i, f"b{b}")
                                                         for i in range(1000)]}
            t0 = time.perf_counter()
            r = session.post(base + "/1/submit-listens", json=body, timeout=120)
            batches.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.text
        # The same rows by a bare INSERT ... ON CONFLICT (other times: new rows, as the API's were)
        bare_single, bare_batch = [], []
        with conn.cursor() as cur:
            for i in range(args.singles):
                cols = _baseline_rows([_listen(start + 7 + i * 400, i, "single")])
                t0 = time.perf_counter()
                cur.execute(_BASELINE, cols)
                conn.commit()
                bare_single.append((time.perf_counter() - t0) * 1000)
            for b in range(args.batches):
                cols = _baseline_rows([_listen(b_start + 7 - b * 300_000 + i * 200, i, f"b{b}") for i in range(1000)])
                t0 = time.perf_counter()
                cur.execute(_BASELINE, cols)
                conn.commit()
                bare_batch.append((time.perf_counter() - t0) * 1000)

        # Read: API vs named query
        reads = [
            ("/api/top/artist", {"since": "2025-01-01", "until": "2025-12-31", "tz": "Europe/Berlin", "limit": 50},
             "plays_top", {"since": "2025-01-01", "until": "2025-12-31", "tz": "Europe/Berlin", "kind": "music",
                           "min_seconds": 30, "level": "artist", "order_by": "plays", "limit": 51}),
            ("/api/plays/timeline", {"since": "2024-01-01", "until": "2024-12-31", "tz": "Europe/Berlin",
                                     "limit": 500},
             "plays_timeline", {"since": "2024-01-01", "until": "2024-12-31", "tz": "Europe/Berlin", "kind": "music",
                                "min_seconds": 30, "grain": "day", "quarter": False, "fixed_offset": None,
                                "limit": 501}),
            ("/api/search", {"q": "radiohead", "limit": 20}, "search_play_items", search.parse("radiohead").params(21)),
            ("/api/import-runs", {"limit": 20}, "import_runs_recent", {"limit": 21}),
        ]
        read_rows = []
        for path, params, name, qparams in reads:
            api_ms, direct_ms = [], []
            for _ in range(args.runs + 2):
                t0 = time.perf_counter()
                r = session.get(base + path, params=params, timeout=60)
                api_ms.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.text
                t0 = time.perf_counter()
                queries.run(name, qparams, url=url, cap=1000)
                direct_ms.append((time.perf_counter() - t0) * 1000)
            read_rows.append((path, name, api_ms[2:], direct_ms[2:]))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        conn.close()
        _cleanup(url)

    body = f"""## API at {plays:,} plays (`python -m bench.api`)

Database `mtm_bench_plays` ({plays:,} plays, {first} to {last}; bench.plays). The API as the app serves it
(`api.routes()` under uvicorn, its own process, 127.0.0.1), driven by `requests` with keep-alive, one request
at a time. Submit = HTTP, token check, validation, insert, the rollup refresh of the touched hours/months/years/
sessions and the commit, in one transaction. Baseline in the same run: a bare `INSERT ... ON CONFLICT DO
NOTHING` of the same kind of rows into `plays` over psycopg2 (no HTTP, no rollups), each committed.
Aims (issue 13): single listen p95 <= 50 ms; 1,000 listens <= 1 s.

| submit | API p50 ms | API p95 ms | bare INSERT p50 ms | bare INSERT p95 ms |
| --- | --- | --- | --- | --- |
| single listen ({len(singles)} requests) | {median(singles):.1f} | **{pct(singles, 0.95):.1f}** | {median(bare_single):.1f} | {pct(bare_single, 0.95):.1f} |
| 1,000-listen import batch ({len(batches)} requests) | {median(batches):.0f} | **{max(batches):.0f}** (max) | {median(bare_batch):.0f} | {max(bare_batch):.0f} (max) |

Reads ({args.runs} runs after 2 warm-ups; the API adds HTTP, the token check, the data-version ETag query and
JSON):

| endpoint | named query | API p50 ms | API p95 ms | direct p50 ms | direct p95 ms |
| --- | --- | --- | --- | --- | --- |
""" + "\n".join(f"| `{p}` | `{n}` | {median(a):.1f} | {pct(a, 0.95):.1f} | {median(d):.1f} | {pct(d, 0.95):.1f} |"
                for p, n, a, d in read_rows)
    write_section("api", body, args.out)
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
