"""Benchmark: each page's full render under AppTest at 100,000 tracks.

    python -m bench.pages [--runs 5]

Each page (dashboard.py's overview and every file in app_pages/) is run with AppTest against the
100,600-track database: cold (st.cache_data cleared first, so every query goes to PostgreSQL) and
warm (cached reads, as most page views are). Baseline in the same run: an AppTest render of a page
that only writes a title, which is Streamlit's own fixed cost.
"""
from __future__ import annotations

import argparse
import glob
import os
import tempfile
import time

from bench.common import ROOT, pct, write_section
from bench.dataset import ensure


def render(path: str, clear: bool) -> float:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    if clear:
        st.cache_data.clear()
    at = AppTest.from_file(path, default_timeout=120)
    t0 = time.perf_counter()
    at.run()
    took = (time.perf_counter() - t0) * 1000
    if at.exception:
        raise RuntimeError(f"{path}: {at.exception[0].value}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = ensure()
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write("import streamlit as st\nst.title('baseline')\n")
        baseline_page = fh.name
    base = [render(baseline_page, False) for _ in range(args.runs)]
    os.unlink(baseline_page)
    rows = []
    files = [os.path.join(ROOT, "dashboard.py")] + sorted(glob.glob(os.path.join(ROOT, "app_pages", "*.py")))
    for path in files:
        name = os.path.relpath(path, ROOT)
        cold = [render(path, True) for _ in range(args.runs)]
        warm = [render(path, False) for _ in range(args.runs)]
        rows.append(f"| `{name}` | {pct(cold, .5):,.0f} | {pct(cold, .95):,.0f} | {pct(warm, .5):,.0f} | "
                    f"{pct(warm, .5) / pct(base, .5):.1f}x |")
        print(rows[-1])
    from db import queries

    streams = queries.run("plays_overview", {"tz": "UTC"}, url=os.environ["DATABASE_URL"]).df["streams"]
    plays = int(streams.fillna(0).iloc[0]) if len(streams) else 0
    body = f"""## Page renders under AppTest (`python -m bench.pages`)

Each page's whole script run under `streamlit.testing.v1.AppTest` on the 100,600-track database ({plays:,} plays), {args.runs} runs
each: cold = `st.cache_data` cleared before every run (all queries hit PostgreSQL), warm = cached reads.
Baseline in the same run: a page that only writes a title, p50 {pct(base, .5):,.0f} ms (Streamlit's fixed cost).

| page | cold p50 ms | cold p95 ms | warm p50 ms | warm vs baseline |
| --- | --- | --- | --- | --- |
""" + "\n".join(rows) + "\n"
    print(body)
    if not args.no_write:
        write_section("pages", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
