"""What a person waits for in the browser: every gesture timed in Chromium, against Streamlit's floor.

    python -m bench.latency [--dataset demo|bench|both] [--rounds 5] [--no-write]

Serves the dashboard (scripts/serve.sh, as `make run` does) and a trivial Streamlit page
(bench/_floor_app.py: a title, a live text box, a radio, a 100-row table, one Altair chart) from the
same venv in the same run, and drives both with headless Chromium (Debian's /usr/bin/chromium).

A gesture's time runs from its first DOM event (the pointer going down, the last key going down; for
opening a page, the navigation's start) to the moment Streamlit reports the script run finished
(`stApp[data-test-script-state]` back to `notRunning`) and stays so for QUIET_MS (a widget that
writes the URL may cause a second run: that counts). A run too quick for the browser to ever paint the
"running" state ends when the page last changed. Each gesture is timed ROUNDS times; the table
gives the medians and the ratio app / floor for the same kind of gesture:
- open a page: a fresh tab on the page's URL (floor: its only page);
- type a search: "radiohead" typed one key at a time, last keystroke -> results (floor: its live box);
- change the main filter: History's time range, Plays' kind, the first gesture after the page opened
  (floor: its radio, also the first gesture after its page opened), then once more (floor: its radio
  after another gesture);
- open a section: each section of the Plays page, from its section picker (floor: its radio after
  another gesture).
FLOOR_SAMPLES_NOTE: every app gesture's ratio divides by one of the floor's medians, so the floor
is timed twice a round, before the app's gestures and after them (its radio and redraw twice each
time): a few more samples, and on both sides of the app's gestures in time, so that a load that
changes during a round weighs on both.
A page's first gesture is slower than its later ones on both servers (the browser's first rerun of
the page: code not yet optimised, first updates of each element), so each gesture is compared with
the floor's gesture at the same point in its page's life.

Datasets: `demo` = what `make run` loads (600 tracks, 40,000-record export), built from scratch in
`mtm_bench_latency_demo`; `bench` = the 100,000-track database of bench.dataset with a
1,000,000-record export imported (bench.browsers.with_plays). Writes the `latency` section of
BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from bench.common import ROOT, scratch_database, serve, write_section

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
QUIET_MS = 700
TIMEOUT_S = 90
SEARCH_TEXT = "radiohead"

# Installed before any page script: the time of every script-state change and of the last gesture.
PROBE = """
window.__mtm = {states: [], gesture: null, changed: 0};
// the last change to what the page shows (nodes or text): a run fast enough that React never
// painted the "running" state still changes the page
new MutationObserver(() => { window.__mtm.changed = performance.now(); })
  .observe(document, {childList: true, characterData: true, subtree: true});
new MutationObserver((records) => {
  for (const r of records) {
    if (r.attributeName === 'data-test-script-state')
      window.__mtm.states.push([performance.now(), r.target.getAttribute('data-test-script-state')]);
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
for (const kind of ['pointerdown', 'mousedown', 'click', 'keydown']) {   // the gesture's first event
  document.addEventListener(kind, () => { if (window.__mtm.gesture === null) window.__mtm.gesture = performance.now(); }, true);
}
"""


def _settled(page, since: float) -> float | None:
    """Wait until the app has run after `since` (page clock, ms) and stays notRunning for QUIET_MS;
    return the finish time of the last run (page clock), None when no run followed the gesture."""
    deadline = time.time() + TIMEOUT_S
    while time.time() < deadline:
        states, changed, now = page.evaluate("[window.__mtm.states, window.__mtm.changed, performance.now()]")
        after = [(t, s) for t, s in states if t >= since]
        current = states[-1][1] if states else None
        if after and current == "notRunning" and now - states[-1][0] >= QUIET_MS:
            return states[-1][0]
        if not after and since > 0 and now - since > 3000:
            # no script-state change seen: a run so fast that "running" was never painted ends when
            # the page last changed (quiet since); no change at all means no run: not a sample
            return changed if changed > since and now - changed >= QUIET_MS else None
        time.sleep(0.05)
    raise TimeoutError("the page did not settle")


def _open(context, url: str) -> tuple[object, float]:
    page = context.new_page()
    page.goto(url, wait_until="commit")
    page.wait_for_selector('[data-testid="stApp"]', timeout=TIMEOUT_S * 1000)
    done = _settled(page, 0.0)
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=TIMEOUT_S * 1000)
    return page, done


def _gesture(page, act) -> float | None:
    page.evaluate("window.__mtm.gesture = null")
    act()
    since = page.evaluate("window.__mtm.gesture")
    if since is None:
        raise RuntimeError("the gesture reached no DOM event")
    done = _settled(page, since)
    return None if done is None else done - since


def _type(page, selector: str) -> float | None:
    box = page.locator(selector).first
    page.evaluate("window.__mtm.gesture = null")
    box.click()
    _settled(page, page.evaluate("window.__mtm.gesture"))
    box.fill("")
    _settled(page, page.evaluate("performance.now()") - 1)
    for ch in SEARCH_TEXT[:-1]:
        box.press(ch)
        page.wait_for_timeout(120)      # a person's pace between keys
    return _gesture(page, lambda: box.press(SEARCH_TEXT[-1]))


def _radio(page, group: str, option: int) -> float | None:
    """Pick option `option` of the choice `group`: a radio (the floor's) or a segmented control (the
    dashboard's choices, ui.common.choice), both radio groups to the browser."""
    label = page.locator(f'[role="radiogroup"][aria-label="{group}"] [data-testid="stRadioOption"]').nth(option)
    if not label.count():
        label = page.get_by_role("radiogroup", name=group).get_by_role("radio").nth(option)
    return _gesture(page, label.click)


def _sections(page):
    """The page's section picker (ui.common.open_section: a segmented control, a radio group to the browser)."""
    return page.get_by_role("radiogroup", name="Section")


def _tab(page, name: str) -> float | None:
    return _gesture(page, _sections(page).get_by_role("radio", name=name, exact=True).click)


def measure(base: str, floor: str, rounds: int) -> list[tuple]:
    """[(gesture, the app's times s, the floor's times s for the same kind of gesture, the floor's
    radio times s when it also redraws its chart (for filter and section gestures, else None))]."""
    from playwright.sync_api import sync_playwright

    app: dict[str, list[float]] = {}
    flo: dict[str, list[float]] = {}

    warm = [True]

    def add(store, name, ms):
        if ms is None:                   # no run followed the gesture: said, not counted as 0
            print(f"no run after: {name}", file=sys.stderr)
        elif not warm[0]:                # round 0 warms both servers (first compile, first queries)
            store.setdefault(name, []).append(ms / 1000)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900}, timezone_id="Europe/Berlin")
        context.add_init_script(PROBE)

        def floor_gestures(r: int) -> None:
            """The floor's gestures, taken twice a round: before the app's and after them
            (FLOOR_SAMPLES_NOTE)."""
            page, done = _open(context, floor + "/")
            add(flo, "open", done)
            add(flo, "type", _type(page, '[data-testid="stTextInputField"]'))
            add(flo, "radio", _radio(page, "Pick", 1 + r % 2))           # after another gesture
            add(flo, "radio", _radio(page, "Pick", 2 - r % 2))
            page.close()
            page, _ = _open(context, floor + "/")
            add(flo, "radio first", _radio(page, "Pick", 1 + r % 2))     # the page's first gesture
            page.close()
            page, _ = _open(context, floor + "/?redraw=1")
            add(flo, "redraw first", _radio(page, "Pick", 1 + r % 2))
            add(flo, "redraw", _radio(page, "Pick", 2 - r % 2))
            add(flo, "redraw", _radio(page, "Pick", 1 + r % 2))
            page.close()

        for r in range(rounds + 1):
            warm[0] = r == 0
            floor_gestures(r)
            for path, name in (("", "Overview"), ("history", "Listening history"), ("plays", "Plays"),
                               ("search", "Search"), ("explorer", "raw_json explorer")):
                page, done = _open(context, f"{base}/{path}")
                add(app, f"open {name}", done)
                if path == "history":
                    add(app, "History: change the time range", _radio(page, "Time range", 1 + r % 2))
                    add(app, "History: change the time range again", _radio(page, "Time range", 2 - r % 2))
                if path == "plays":
                    add(app, "Plays: change the kind", _radio(page, "Kind", 1 + r % 2))
                    add(app, "Plays: change the kind again", _radio(page, "Kind", 2 - r % 2))
                    for section in _sections(page).get_by_role("radio").all_inner_texts()[1:]:
                        add(app, f"Plays: open {section.strip()}", _tab(page, section.strip()))
                if path == "search":
                    add(app, "Search: type, last key -> results", _type(page, '[data-testid="stMain"] [data-testid="stTextInputField"]'))
                page.close()
            floor_gestures(r)
        browser.close()
    def floor_of(name: str) -> tuple[str, str | None]:
        """The floor's gesture of the same kind at the same point in its page's life, and its
        chart-redrawing counterpart (filter and section gestures)."""
        if name.startswith("open"):
            return "open", None
        if "type" in name:
            return "type", None
        if name.startswith("Plays: open") or name.endswith(" again"):
            return "radio", "redraw"
        return "radio first", "redraw first"          # a filter change, the page's first gesture

    return [(name, v, flo[same], flo[redraw] if redraw else None)
            for name, v in app.items() for same, redraw in [floor_of(name)]]


def demo_database() -> str:
    """The demo as `make run` loads it, into a database built from scratch."""
    url = scratch_database("mtm_bench_latency_demo")
    env = dict(os.environ, DATABASE_URL=url)
    env.pop("MTM_NO_DEMO", None)
    subprocess.run([sys.executable, "-m", "migrate.bootstrap"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return url


def bench_database() -> tuple[str, int]:
    from bench.browsers import with_plays
    from bench.dataset import ensure

    url = ensure()
    return url, with_plays(url, 1_000_000)


def run(url: str, rounds: int) -> list[tuple]:
    env = dict(os.environ, DATABASE_URL=url, MTM_NO_DEMO="1")
    app, base = serve(["bash", "scripts/serve.sh"], env)
    floor, floor_base = serve([sys.executable, "-m", "streamlit", "run", "bench/_floor_app.py",
                                "--server.port", "{port}", "--server.address", "127.0.0.1",
                                "--server.headless", "true"], env)
    try:
        rows = measure(base, floor_base, rounds)
        for name, a, f, _ in rows:         # every round, in order, for the log (the table has medians)
            print(f"{name}: app {[round(x * 1000) for x in a]} ms, floor {[round(x * 1000) for x in f]} ms",
                  file=sys.stderr)
        return rows
    finally:
        for proc in (app, floor):
            proc.terminate()
            proc.wait(20)


def table(rows: list[tuple]) -> str:
    """Medians, their ratio, and each side's range over the rounds (the machine's noise); for the
    gestures that redraw charts, also the floor's radio when it redraws its one chart."""
    lines = ["| gesture | app | floor | ratio | app range | floor range | floor redrawing its chart | ratio to it |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, a, f, redraw in rows:
        am, fm = statistics.median(a), statistics.median(f)
        extra = (f"{statistics.median(redraw):.2f} s | {am / statistics.median(redraw):.2f}x" if redraw else "– | –")
        lines.append(f"| {name} | {am:.2f} s | {fm:.2f} s | {am / fm:.2f}x | {min(a):.2f}-{max(a):.2f} s | "
                     f"{min(f):.2f}-{max(f):.2f} s | {extra} |")
    worst = max(statistics.median(a) / statistics.median(f) for _, a, f, _ in rows)
    lines.append(f"\nWorst ratio: **{worst:.2f}x** (aim: every gesture at most 1.5x its floor).")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("demo", "bench", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is missing (make test installs Debian's chromium): nothing measured")
        return 0
    parts = []
    load = os.getloadavg()[0]
    if args.dataset in ("demo", "both"):
        rows = run(demo_database(), args.rounds)
        parts.append("### Demo data (what `make run` loads: 600 tracks by 119 artists, 110 weekly snapshots x 3 "
                     "time ranges, a 40,000-record export)\n\n" + table(rows))
    if args.dataset in ("bench", "both"):
        url, plays = bench_database()
        rows = run(url, args.rounds)
        parts.append(f"### Bench database (100,600 tracks with Spotify-shaped raw_json, {plays:,} plays)\n\n"
                     + table(rows))
    body = ("## In the browser: gesture to finished render (`python -m bench.latency`)\n\n"
            f"Headless Chromium at 1400 x 900, median of {args.rounds} rounds after a warm-up round. A gesture's time runs from its first DOM "
            "event (pointer or key down; for opening, the navigation's start) to Streamlit's script state back to `notRunning` and "
            f"quiet for {QUIET_MS} ms (a run too quick to paint 'running': the page's last change). Floor: bench/_floor_app.py (title, live text box, radio, 100-row table, "
            "one Altair chart) served by the same venv in the same run, timed twice a round (before the dashboard's gestures and after them; its radio twice each time); each gesture is compared with the "
            "floor's gesture of the same kind (open, type, radio) at the same point in its page's life: a filter's first "
            "change with the floor's radio as the first gesture after its page opened (a page's first gesture is slower on "
            "both servers), a filter's next change and a section with the floor's radio after another gesture. The floor's radio leaves its chart as it was; "
            "every filter and section gesture of the dashboard draws at least one chart with new data, so those "
            "rows also give the floor's radio when it redraws its chart (`/?redraw=1`: new data, same spec). The ranges are the lowest and highest of "
            f"the rounds: the machine's noise (load average {load:.1f} when the run started).\n\n"
            + "\n\n".join(parts))
    print(body)
    if not args.no_write:
        write_section("latency", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
