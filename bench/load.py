"""Load: the pages' query mix from many simulated users through the app's own pool, during an import.

    python -m bench.load [--users 50] [--seconds 60]

Runs on a copy of the 100k-track benchmark database (`mtm_bench_load`, made from `mtm_bench_pages`
as a template; `python -m bench.browsers --plays 1000000` imports a million plays into that one). Each user loops: pick an action the way people use the pages (as-you-type search
dominates), run its named queries through `db.queries.run` (the read-only pooled engine the pages
use), think for 0.1-1.0 s. Meanwhile a separate process imports a 20,000-track file into the same
database. Reports per query p50/p95/p99, errors, pool time-outs, and writes RELIABILITY.md's
load section.
"""
from __future__ import annotations

import argparse
import collections
import os
import random
import subprocess
import sys
import threading
import time

import psycopg2
from psycopg2 import sql as pgsql

from bench.common import ROOT, WORK, pct
from bench.dataset import DATABASE, ensure

LOAD_DB = "mtm_bench_load"
WORDS = ["radiohead", "beyonce", "sigur ros", "kickstart my heart", "love", "night", "bjork", "daft punk",
         "кино", "坂本", "radiohaed", "the", "motley crue", "summer", "dream"]


def copy_database(pages_url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    maint = urlunsplit(urlsplit(pages_url)._replace(path="/postgres"))
    conn = psycopg2.connect(maint)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(pgsql.SQL("drop database if exists {} with (force)").format(pgsql.Identifier(LOAD_DB)))
        # A template must have no other sessions: close the pool's idle connections first.
        cur.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (DATABASE,))
        cur.execute(pgsql.SQL("create database {} template {}").format(pgsql.Identifier(LOAD_DB),
                                                                        pgsql.Identifier(DATABASE)))
    conn.close()
    return urlunsplit(urlsplit(pages_url)._replace(path="/" + LOAD_DB))


def actions():
    """(weight, name, function(rng) -> list of (query name, params)) built from the named queries."""
    from db import queries

    names = {n: q for n, q in queries.all_queries().items() if not n.startswith("refresh_")}
    search = [n for n in names if n.startswith("search")]
    others = [n for n in names if n not in search]
    by_file = collections.defaultdict(list)
    for n in others:
        by_file[names[n].file].append(n)

    def typing(rng):
        """As-you-type: successive prefixes of one word, through the search page's own function."""
        word = rng.choice(WORDS)
        return [("__search__", word[:k]) for k in range(2, len(word) + 1, 2)]

    out = [(6, "search as you type", typing)]
    for file, group in sorted(by_file.items()):
        out.append((2, f"open {file}", lambda rng, g=group: [(n, dict(names[n].example)) for n in g]))
    return out


def run_search(text: str, url: str):
    """The search page's path: db.search.parse, then the named queries search_tracks and
    search_play_items (50 results each) at the same time on two pooled connections
    (db.queries.run_many), as the page runs them per keystroke."""
    from db import queries, search

    q = search.parse(text)
    if q.empty:
        return None
    return queries.run_many([("search_tracks", q.params(51), 50), ("search_play_items", q.params(51), 50)],
                            url=url)[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from db import engine, queries

    url = copy_database(ensure())
    engine.dispose_all()
    import_file = os.path.join(WORK, "mtm_20000_30000.db")
    if not os.path.exists(import_file):
        from bench.import_sqlite import build_file

        build_file(import_file, 20_000, 30_000)
    acts = actions()
    weights = [a[0] for a in acts]
    times: dict[str, list[float]] = collections.defaultdict(list)
    errors: collections.Counter = collections.Counter()
    examples: dict[str, str] = {}
    pool_timeouts = 0
    lock = threading.Lock()
    stop_at = time.time() + args.seconds

    def user(seed: int) -> None:
        nonlocal pool_timeouts
        rng = random.Random(seed)
        while time.time() < stop_at:
            _, label, make = rng.choices(acts, weights)[0]
            for name, params in make(rng):
                t0 = time.perf_counter()
                try:
                    if name == "__search__":
                        run_search(params, url)
                        name = "search (as you type)"
                    else:
                        queries.run(name, params, url=url)
                    ms = (time.perf_counter() - t0) * 1000
                    with lock:
                        times[name].append(ms)
                except Exception as exc:  # counted and reported
                    import sqlalchemy.exc as sa_exc

                    with lock:
                        if isinstance(exc, sa_exc.TimeoutError):
                            pool_timeouts += 1
                        errors[type(exc).__name__] += 1
                        examples.setdefault(type(exc).__name__, str(exc).splitlines()[0][:200])
            time.sleep(rng.uniform(0.1, 1.0))

    importer = None
    if not args.no_import:
        importer = subprocess.Popen([sys.executable, "-m", "migrate", import_file], cwd=ROOT,
                                    env=dict(os.environ, DATABASE_URL=url),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    import_note = "no import"
    if importer is not None:
        rc = importer.wait(600)
        import_note = f"a 20,000-track import ran alongside (exit {rc})"
    total = sum(len(v) for v in times.values())
    eng = engine.reader(url)
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("select (select count(*) from tracks), (select count(*) from plays)")
        n_tracks, n_plays = cur.fetchone()
    conn.close()
    rows = []
    for name, vals in sorted(times.items(), key=lambda kv: -len(kv[1])):
        rows.append(f"| `{name}` | {len(vals):,} | {pct(vals, .5):.1f} | {pct(vals, .95):.1f} | {pct(vals, .99):.1f} |")
    body = f"""## Load (`python -m bench.load --users {args.users} --seconds {args.seconds:.0f}`)

{args.users} simulated users for {elapsed:.0f} s through the app's read-only pool (pool_size {eng.pool.size()},
overflow {engine.POOL_OVERFLOW}, pool_timeout {engine.POOL_TIMEOUT_S:.0f} s, pool_pre_ping) on a database of
{n_tracks:,} tracks and {n_plays:,} plays (every page's named queries, Plays charts included), {import_note}. {total:,} queries, **{sum(errors.values())} errors, {pool_timeouts} pool time-outs**.
{"Errors: " + "; ".join(f"{k} x{v} ({examples[k]})" for k, v in errors.items()) if errors else ""}

| query | runs | p50 ms | p95 ms | p99 ms |
| --- | --- | --- | --- | --- |
""" + "\n".join(rows) + "\n"
    print(body)
    if not args.no_write:
        from bench.common import write_section

        write_section("load", body, file=os.path.join(ROOT, "RELIABILITY.md"))
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
