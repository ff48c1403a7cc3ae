"""What each kind of Streamlit element costs the browser to mount, against an empty slot in the same run.

    python -m bench.elements [--rounds 10] [--no-write] [--kinds figures,metric_columns]

A dashboard section is a slot that mounts its elements when it opens (ui.common.open_section); in
bench.latency, once the server's run is done, a section's time is mostly the browser mounting what
the run sent. This bench serves bench/_elements_app.py (a title, a radio, one slot) and, for each kind
of element, times the same gesture as bench.latency (first DOM event to the script run finished and
quiet, headless Chromium) when the radio opens a slot of N elements of that kind, and when it opens
an empty slot. The kinds are visited in a new random order each round, each in a fresh tab, so the
machine's noise falls on all of them alike. The table gives the median gesture, its difference from
the empty slot's median (what the N elements added) and that per element. No database: the page
draws made-up values (the calendar chart goes through ui.charts.draw, as the pages draw it).
Writes the `elements` section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys

from bench.common import serve, write_section
from bench.latency import CHROMIUM, CHROMIUM_ARGS, PROBE, _open, _radio

# (kind, how many in the slot): a few of the cheap ones, so their difference is above the noise
KINDS = [("nothing", 1), ("caption", 8), ("markdown", 8), ("one_markdown", 8), ("subheader", 8),
         ("subheader_plain", 8), ("metric", 8), ("metric_columns", 8), ("figures", 8), ("columns", 4),
         ("expander", 4), ("popover", 4), ("radio", 4), ("segmented_control", 4), ("selectbox", 4),
         ("number_input", 4), ("date_input", 2), ("download_button", 4), ("dataframe", 1), ("calendar_chart", 1),
         ("top_list_dataframe", 1), ("top_list_html", 1)]
NOTES = {"one_markdown": "8 lines in one markdown element", "metric_columns": "in a row of st.columns(4)",
         "figures": "ui.common.figures: one HTML grid, as the pages draw them",
         "subheader_plain": "anchor=False, as ui.common.subheader draws them",
         "columns": "rows of st.columns(4), empty", "dataframe": "25 rows x 3 columns",
         "calendar_chart": "the Plays calendar, ui.charts.draw",
         "top_list_dataframe": "25 rows x 10 columns with a bar column and its CSV button, ui.tables.show",
         "top_list_html": "the same rows as one HTML table and its CSV button, ui.tables.show_list"}


def measure(base: str, rounds: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {kind: [] for kind, _ in KINDS}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_init_script(PROBE)
        for r in range(rounds + 1):          # round 0 warms up (first compile of each kind's code)
            order = KINDS[:]
            random.shuffle(order)
            for kind, n in order:
                page, _ = _open(context, f"{base}/?what={kind}&n={n}")
                ms = _radio(page, "Pick", 1 + r % 2)
                if r and ms is not None:
                    times[kind].append(ms / 1000)
                elif r:
                    print(f"no run after opening {kind}", file=sys.stderr)
                page.close()
        browser.close()
    return times


def table(times: dict[str, list[float]]) -> str:
    empty = statistics.median(times["nothing"])
    lines = ["| slot holds | gesture | over the empty slot | per element | range |", "| --- | --- | --- | --- | --- |"]
    for kind, n in KINDS:
        med = statistics.median(times[kind])
        what = "nothing (the baseline)" if kind == "nothing" else f"{n} x {kind}" + (f" ({NOTES[kind]})" if kind in NOTES else "")
        extra = "–" if kind == "nothing" else f"{(med - empty) * 1000:+.0f} ms"
        each = "–" if kind == "nothing" else f"{(med - empty) * 1000 / n:+.1f} ms"
        lines.append(f"| {what} | {med * 1000:.0f} ms | {extra} | {each} | {min(times[kind]) * 1000:.0f}-"
                     f"{max(times[kind]) * 1000:.0f} ms |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--kinds", help="comma-separated kinds to measure (with the empty slot); implies --no-write")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is missing (make test installs Debian's chromium): nothing measured")
        return 0
    if args.kinds:
        wanted = {"nothing", *args.kinds.split(",")}
        KINDS[:] = [k for k in KINDS if k[0] in wanted]
        args.no_write = True
    load = os.getloadavg()[0]
    proc, base = serve([sys.executable, "-m", "streamlit", "run", "bench/_elements_app.py", "--server.port", "{port}",
                        "--server.address", "127.0.0.1", "--server.headless", "true"], dict(os.environ))
    try:
        times = measure(base, args.rounds)
    finally:
        proc.terminate()
        proc.wait(20)
    body = ("## What each element costs the browser (`python -m bench.elements`)\n\n"
            f"Headless Chromium at 1400 x 900, median of {args.rounds} rounds after a warm-up round; each round "
            "visits the kinds in a new random order, each in a fresh tab. The gesture: a radio opens a slot "
            "(as a Plays section opens), timed as in bench.latency (first DOM event to Streamlit's script run "
            "finished and quiet). bench/_elements_app.py, served by the same venv with the project's "
            "Streamlit settings; no database. The range is the lowest and highest of the rounds: the "
            f"machine's noise (load average {load:.1f} when the run started); a difference of a few ms is "
            "within it.\n\n" + table(times))
    print(body)
    if not args.no_write:
        write_section("elements", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
