"""Benchmark: every named query of the app at 100,000 tracks, with EXPLAIN's index evidence.

    python -m bench.queries [--runs 30]

Each read query (not the `refresh_*` writers) runs with its `-- example:` parameters through the
app's own read-only pool, as pages run it; p50/p95 are reported next to a `select 1` round trip
through the same path, measured in the same run (the baseline). EXPLAIN (ANALYZE, FORMAT JSON)
then lists the indexes each plan uses and any sequential scan of a large table.
"""
from __future__ import annotations

import argparse
import json
import time

import sqlalchemy as sa

from bench.common import cpu_baseline, cpu_text, median, pct, round_trips, write_section
from bench.dataset import ensure

BIG_TABLES = {"tracks", "snapshots", "plays"}


def plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def explain_plan(url: str, name: str, params: dict, *, buffers: bool = False) -> dict:
    """The top node of EXPLAIN (ANALYZE[, BUFFERS]) of the named query, run through the pages' pool
    in a transaction that is rolled back."""
    from db import engine, queries

    options = "analyze, buffers, format json" if buffers else "analyze, format json"
    with engine.reader(url).connect() as c, c.begin():
        plan = c.execute(sa.text(f"explain ({options}) " + queries.get(name).sql), params).scalar()
        c.rollback()
    return (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]


def explain(url: str, name: str, params: dict) -> tuple[list[str], list[str]]:
    nodes = list(plan_nodes(explain_plan(url, name, params)))
    indexes = sorted({n["Index Name"] for n in nodes if "Index Name" in n})
    seq = sorted({n["Relation Name"] for n in nodes
                  if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in BIG_TABLES})
    return indexes, seq


def time_query(url: str, name: str, params: dict, runs: int) -> list[float]:
    from db import queries

    for _ in range(2):
        queries.run(name, params, url=url)
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        queries.run(name, params, url=url)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def inventory_times(url: str, runs: int = 3) -> str:
    """Median seconds of each explorer inventory refresh (refresh_* of explorer.sql) and what it returned."""
    import psycopg2

    from db import queries

    out = []
    for name, q in sorted(queries.all_queries().items()):
        if q.file != "explorer.sql" or not name.startswith("refresh_"):
            continue
        times, result = [], None
        for _ in range(runs):
            conn = psycopg2.connect(url)
            try:
                with conn.cursor() as cur:
                    t0 = time.perf_counter()
                    cur.execute(q.sql.replace("\\:", ":"))
                    result = cur.fetchone()
                    times.append(time.perf_counter() - t0)
            finally:
                conn.rollback()
                conn.close()
        scanned, total = (result or (0, 0))[:2]
        out.append(f"`{name}` {median(times) * 1000:,.0f} ms ({scanned:,} of {total:,} scanned)")
    return "; ".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from db import engine, queries

    url = ensure(args.tracks)
    eng = engine.reader(url)
    base = round_trips(eng, args.runs)
    base_p50 = pct(base, 0.5)
    cpu_before = cpu_baseline(eng)
    from bench.dataset import describe

    shape = describe(url)
    n_plays = queries.run("search_has_plays", {}, url=url).df.iloc[0, 0] and \
        queries.run("plays_overview", {"tz": "UTC"}, url=url).df.iloc[0]["streams"]
    rows = []
    for name, q in sorted(queries.all_queries().items(), key=lambda kv: (kv[1].file, kv[0])):
        if name.startswith("refresh_") or q.file == "plays.sql":
            continue  # writers; the Plays queries are measured at 1,000,000 plays by bench/plays.py
        params = dict(q.example)
        try:
            times = time_query(url, name, params, args.runs)
            indexes, seq = explain(url, name, params)
        except Exception as exc:  # report, keep measuring the others
            rows.append(f"| {q.file} | `{name}` | error: {str(exc).splitlines()[0][:80]} | | | |")
            continue
        p50, p95 = pct(times, 0.5), pct(times, 0.95)
        rows.append(f"| {q.file} | `{name}` | {p50:.1f} | {p95:.1f} | {', '.join(indexes) or '–'} | "
                    f"{', '.join(seq) or '–'} |")
        print(f"{name:<40} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  idx {indexes}  seq {seq}")
    cpu_after = cpu_baseline(eng)
    plays_text = f" and {int(n_plays):,} plays" if n_plays else ""
    inventories = inventory_times(url)
    body = f"""## Named queries at {args.tracks:,} tracks{plays_text} (`python -m bench.queries`)

Every read query (the Plays page's are in their own section, at 1,000,000 plays) with its `-- example:` parameters through the app's read-only pool, {args.runs} runs after 2
warm-ups. Dataset (bench.dataset, built by this script when missing): {shape}.
Baseline in the same run: a `select 1` round trip through the same pool, p50 {base_p50:.2f} ms (min {min(base):.2f},
max {max(base):.2f}: the machine's noise); {cpu_text(cpu_before, cpu_after)}.
Indexes and sequential scans of large tables are read from EXPLAIN (ANALYZE) of the same statement.
Aim: every page query under 150 ms; search p95 under 30 ms.

| file | query | p50 ms | p95 ms | indexes used | seq scan of |
| --- | --- | --- | --- | --- | --- |
""" + "\n".join(rows) + f"""

The explorer's key-path inventories, recomputed by every import (each run in a transaction that is
rolled back; median of 3): {inventories}.
"""
    if not args.no_write:
        write_section("queries", body)
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
