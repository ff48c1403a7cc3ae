"""Benchmark: what search's caps cost in ranking quality, at 100,000 tracks and their plays.

    python -m bench.search_quality [--no-write]

Each search ranks at most 1,000 of its full-text matches in table order (the library's first, the
plays' most streamed) and the first 300 whose name starts with the words typed (CANDIDATES_NOTE in
db/sql/search.sql), and keeps the 200 best of those before it adds the name bonuses. For every
keystroke of bench.search's queries that matches more than 2,000 rows, this compares the top 10
each search returns with the top 10 of the same query ranking every match (no cap: the baseline,
in the same run), and with the 1,000 alone (the name candidates turned off). Figures: the share of
the top 10's positions whose score is at least the uncapped ranking's score at that position (many
tracks share a name and a score, so the same position may hold another row of that score), and the
share of keystrokes whose first result scores as the uncapped first does. No timing: the same data
gives the same figures.
"""
from __future__ import annotations

import argparse
import re
import statistics

import sqlalchemy as sa

from bench.common import write_section
from bench.dataset import describe, ensure
from bench.search import PAGE_SIZE, TYPED, keystrokes

TOP = 10
CAP = 2000             # keystrokes matching more than this many rows are compared
MATCHED, NAMED = 1000, 300    # the searches' two candidate limits (CANDIDATES_NOTE)
QUERIES = ("search_tracks", "search_play_items")
TOLERANCE = 1e-4       # scores come rounded to 4 decimals


def variant(sql: str, how: str) -> str:
    """The named query's SQL as served ("served"), ranking every match ("uncapped"), or without the
    name candidates ("table order only"). Fails when the SQL no longer has the limits it rewrites."""
    if how == "served":
        return sql
    if how == "uncapped":
        out, n = re.subn(rf"(?m)^(\s*)limit {MATCHED}$", r"\1limit 100000000", sql)
        out, m = re.subn(r"(order by r\.rank \+ r\.named desc[^\n]*\n\s*)limit 200\b", r"\1limit 100000000", out)
        assert n == m == 1, f"expected one {MATCHED} limit and one 200 limit of the ranked, found {n} and {m}"
        return out
    out, n = re.subn(rf"(?m)^(\s*)limit {NAMED}$", r"\1limit 0", sql)
    assert n == 1, f"expected the name candidates' limit {NAMED}, found {n}"
    return out


def as_good(got: list[float], best: list[float]) -> int:
    """Positions of `got` scoring at least `best` at the same position."""
    return sum(g >= b - TOLERANCE for g, b in zip(got, best))


def measure(url: str) -> dict:
    """{query: {"keystrokes": [typed], "matches": [rows matched], how: [positions as good, positions,
    first results as good]}} for how in "served" and "table order only"."""
    from db import engine, queries, search

    typed = sorted({k for texts in TYPED.values() for t in texts for k in keystrokes(t)})
    out: dict = {}
    with engine.reader(url).connect() as c, c.begin():
        c.execute(sa.text("set local statement_timeout = 0"))
        for name in QUERIES:
            sql = {how: variant(queries.get(name).sql, how) for how in ("uncapped", "served", "table order only")}
            got: dict = {"keystrokes": [], "matches": [], "served": [0, 0, 0], "table order only": [0, 0, 0]}
            for text in typed:
                q = search.parse(text)
                if q.empty:
                    continue
                params = q.params(PAGE_SIZE + 1)
                best = c.execute(sa.text(sql["uncapped"]), params).mappings().fetchall()
                if not best or best[0]["candidates"] is None or best[0]["candidates"] <= CAP:
                    continue
                best_scores = [float(r["score"]) for r in best[:TOP]]
                got["keystrokes"].append(text)
                got["matches"].append(int(best[0]["candidates"]))
                for how in ("served", "table order only"):
                    rows = c.execute(sa.text(sql[how]), params).mappings().fetchall()[:TOP]
                    scores = [float(r["score"]) for r in rows]
                    got[how][0] += as_good(scores, best_scores)
                    got[how][1] += len(best_scores)
                    got[how][2] += int(bool(scores) and scores[0] >= best_scores[0] - TOLERANCE)
            out[name] = got
    return out


def render(found: dict, shape: str) -> str:
    def pct(a: int, b: int) -> str:
        return f"{100 * a / b:.0f}%" if b else "–"

    lines = ["## Search ranking quality (`python -m bench.search_quality`)", "",
             __doc__.split("\n\n", 2)[2].strip().replace("\n", " "), "",
             f"On bench.search's database (bench.dataset: {shape}) and its keystrokes (every prefix from two "
             f"characters on of its {sum(len(t) for t in TYPED.values())} queries).", "",
             f"| query | keystrokes over {CAP:,} matches | median matches | top {TOP} as good as uncapped: the "
             f"{MATCHED:,} in table order alone | as served (with the name candidates) | first result as good: the "
             f"{MATCHED:,} alone | as served |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, got in found.items():
        n = len(got["keystrokes"])
        alone, served = got["table order only"], got["served"]
        median = f"{statistics.median(got['matches']):,.0f}" if n else "–"
        lines.append(f"| `{name}` | {n} | {median} | {pct(alone[0], alone[1])} | **{pct(served[0], served[1])}** | "
                     f"{pct(alone[2], n)} | **{pct(served[2], n)}** |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    url = ensure()
    body = render(measure(url), describe(url))
    print(body)
    if not args.no_write:
        write_section("search_quality", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
