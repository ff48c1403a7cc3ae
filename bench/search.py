"""Benchmark: search as people type it, server-side, at 100,000 tracks and their plays.

    python -m bench.search [--rounds 5]

Replays keystroke sequences (every prefix of each query from two characters on, as the live search
box sends them) through the search page's own path: db.search.parse -> named queries search_tracks
(the library) and, when the database has plays, search_play_items (what was played), on the app's
read-only pool. Categories: artist and track prefixes, accents left out, typos (the
trigram fallback), non-Latin scripts, web-search syntax. Reports p50/p95/p99 per category and
overall next to a `select 1` round trip on the same pool measured in the same run.
"""
from __future__ import annotations

import argparse
import time

import sqlalchemy as sa

from bench.common import pct, write_section
from bench.dataset import ensure

PAGE_SIZE = 50
TYPED = {
    "prefix": ["radiohead", "kickstart my heart", "daft punk", "love", "summer night", "leonard cohen"],
    "no accents": ["beyonce", "sigur ros", "bjork", "celine dion", "motley crue", "rosalia"],
    "typo": ["radiohaed", "metalica", "beyonse", "kraftwerc"],
    "non-Latin": ["坂本龍一", "宇多田", "кино", "방탄소년단", "فيروز", "Θεοδωράκης"],
    "syntax": ['"kickstart my heart"', "radiohead -creep", "bjork OR sigur", "love -night"],
}


def keystrokes(text: str) -> list[str]:
    return [text[:k] for k in range(2, len(text) + 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from db import engine, queries, search

    url = ensure()
    eng = engine.reader(url)
    base: list[float] = []
    targets = ["search_tracks"]
    if queries.run("search_has_plays", {}, url=url).df.iloc[0, 0]:
        targets.append("search_play_items")
    per: dict[tuple[str, str], list[float]] = {(t, k): [] for t in targets for k in TYPED}
    both: list[float] = []      # per keystroke, the page's queries one after the other
    for r in range(args.rounds + 1):
        for category, texts in TYPED.items():
            for text in texts:
                for typed in keystrokes(text):
                    q = search.parse(typed)
                    if q.empty:
                        continue
                    together = 0.0
                    for target in targets:
                        t0 = time.perf_counter()
                        queries.run(target, q.params(PAGE_SIZE + 1), url=url, cap=PAGE_SIZE)
                        ms = (time.perf_counter() - t0) * 1000
                        together += ms
                        if r:  # round 0 warms caches
                            per[(target, category)].append(ms)
                    if r:
                        both.append(together)
                    t0 = time.perf_counter()
                    with eng.connect() as c:
                        c.execute(sa.text("select 1")).scalar()
                    if r:
                        base.append((time.perf_counter() - t0) * 1000)
    rows = []
    for target in targets:
        for category in TYPED:
            v = per[(target, category)]
            rows.append(f"| `{target}` | {category} | {len(v):,} | {pct(v, .5):.1f} | {pct(v, .95):.1f} | "
                        f"{pct(v, .99):.1f} |")
        every = [v for (t, _), vals in per.items() if t == target for v in vals]
        rows.append(f"| `{target}` | **all keystrokes** | {len(every):,} | {pct(every, .5):.1f} | "
                    f"**{pct(every, .95):.1f}** | {pct(every, .99):.1f} |")
    if len(targets) > 1:
        rows.append(f"| library and plays together | **all keystrokes** | {len(both):,} | {pct(both, .5):.1f} | "
                    f"**{pct(both, .95):.1f}** | {pct(both, .99):.1f} |")
    from bench.dataset import describe

    shape = describe(url)
    plays = queries.run("plays_overview", {"tz": "UTC"}, url=url).df["streams"].fillna(0)
    plays_text = f" and its {int(plays.iloc[0]):,} plays" if len(targets) > 1 else ""
    body = f"""## Search as you type (`python -m bench.search`)

Every keystroke (prefixes from two characters on) of {sum(len(t) for t in TYPED.values())} queries, {args.rounds} rounds
after a warm-up round, through the page's own path (db.search.parse -> {" and ".join(f"`{t}`" for t in targets)}, first
{PAGE_SIZE} results each) on the 100,600-track database{plays_text} (bench.dataset: {shape}). Baseline in the same
run: `select 1` on the same pool, p50 {pct(base, .5):.2f} ms (min {min(base):.2f}, max {max(base):.2f}: the machine's noise).
Aim: p95 under 20 ms for the library and plays together.

| query | category | keystrokes | p50 ms | p95 ms | p99 ms |
| --- | --- | --- | --- | --- | --- |
""" + "\n".join(rows) + "\n"
    print(body)
    if not args.no_write:
        write_section("search", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
