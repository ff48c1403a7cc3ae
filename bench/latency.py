"""What a person waits for in the browser: every gesture timed in Chromium, against Streamlit's floor.

    python -m bench.latency [--dataset demo|bench|both] [--rounds 5] [--no-write]

Serves the dashboard (scripts/serve.sh, as `make run` does) and a trivial Streamlit page
(bench/_floor_app.py: a title, a live text box, a radio, a 100-row table, one Altair chart) from the
same venv in the same run, and drives both with headless Chromium (Debian's /usr/bin/chromium).

A gesture's time runs from its first DOM event (the pointer going down, the last key going down; for
opening a page, the navigation's start) to the moment Streamlit reports the script run finished
(`stApp[data-test-script-state]` back to `notRunning`) and stays so for QUIET_MS (a widget that
writes the URL may cause a second run: that counts). A run too quick for the browser to ever paint the
"running" state ends when the page last changed. Each gesture is timed ROUNDS times, each time paired
with the floor's gesture of the same kind at the same point in its page's life:
- open a page: a fresh tab on the page's URL (floor: a fresh tab on its only page);
- type a search: "radiohead" typed one key at a time, last keystroke -> results (floor: its live box);
- change the main filter: History's time range, Plays' kind, the first gesture after the page opened
  (floor: its radio, also the first gesture after its page opened), then once more (floor: its radio
  after another gesture);
- open a section: each section of the Plays page, from its section picker (floor: its radio after
  another gesture).
PAIRED_FLOOR_NOTE: this machine is shared, and how fast it runs changes from one minute to the
next. A gesture and its floor are therefore timed back to back, in tabs open side by side (the
app's first in even rounds, the floor's first in odd ones), and a gesture's ratio is the median over
the rounds of app / floor within each pair: a slow minute weighs on both sides of a pair. The tab a
gesture acts in is brought to the front first: in a probe, the floor's radio in a tab behind
another took about half as long again as in the front tab. (Until commit
e91889c the floor was timed in blocks before and after the app's gestures, and the ratio was of the
medians.) Filter and section gestures are also paired with the floor's radio when it redraws its
chart (`/?redraw=1`, a third tab): every such gesture of the dashboard draws at least one chart with
new data.
A page's first gesture is slower than its later ones on both servers (the browser's first rerun of
the page: code not yet optimised, first updates of each element), hence the pairing by point in the
page's life.

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

from bench.common import ROOT, cpu_baseline, cpu_text, scratch_database, serve, write_section

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
    """[(gesture, the app's times s, the floor's paired times s, the floor's paired times s when it
    also redraws its chart (filter and section gestures, else None))], each list in round order
    (PAIRED_FLOOR_NOTE)."""
    from playwright.sync_api import sync_playwright

    app: dict[str, list[float]] = {}
    flo: dict[str, list[float]] = {}
    red: dict[str, list[float]] = {}

    def pair(r: int, name: str, sides: list[tuple]) -> list:
        """Time each side's gesture back to back, the app's first in even rounds and last in odd
        ones; a side is (store, page or None, act(page) -> ms, or for opening: (page, ms)). Keeps the
        samples when every side ran (a gesture that no run followed is said, never counted as 0;
        round 0 warms both servers: first compile, first queries). Returns each side's page."""
        out: dict[int, tuple] = {}
        for k in (range(len(sides)) if r % 2 == 0 else [*range(1, len(sides)), 0]):
            store, page, act = sides[k]
            if page is not None:
                page.bring_to_front()
            res = act(page)
            out[k] = res if isinstance(res, tuple) else (page, res)
        if any(ms is None for _, ms in out.values()):
            print(f"no run after: {name} (round {r})", file=sys.stderr)
        elif r > 0:
            for k, (store, _, _) in enumerate(sides):
                store.setdefault(name, []).append(out[k][1] / 1000)
        return [out[k][0] for k in range(len(sides))]

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900}, timezone_id="Europe/Berlin")
        context.add_init_script(PROBE)

        def opener(url: str):
            return lambda _: _open(context, url)

        for r in range(rounds + 1):
            flip = [1 + r % 2, 2 - r % 2]        # the options the radios pick, alternating by round
            for path, name in (("", "Overview"), ("history", "Listening history"), ("plays", "Plays"),
                               ("search", "Search"), ("explorer", "raw_json explorer")):
                ap, fp = pair(r, f"open {name}", [(app, None, opener(f"{base}/{path}")),
                                                  (flo, None, opener(floor + "/"))])
                if path in ("history", "plays"):
                    fr, _ = _open(context, floor + "/?redraw=1")
                    group, label = (("Time range", "History: change the time range") if path == "history"
                                    else ("Kind", "Plays: change the kind"))
                    for i, gesture in ((flip[0], label), (flip[1], label + " again")):   # the first after opening
                        pair(r, gesture, [(app, ap, lambda pg, i=i, g=group: _radio(pg, g, i)),
                                          (flo, fp, lambda pg, i=i: _radio(pg, "Pick", i)),
                                          (red, fr, lambda pg, i=i: _radio(pg, "Pick", i))])
                    if path == "plays":
                        names = [s.strip() for s in _sections(ap).get_by_role("radio").all_inner_texts()[1:]]
                        for k, section in enumerate(names):
                            pair(r, f"Plays: open {section}",
                                 [(app, ap, lambda pg, s=section: _tab(pg, s)),
                                  (flo, fp, lambda pg, i=flip[k % 2]: _radio(pg, "Pick", i)),
                                  (red, fr, lambda pg, i=flip[k % 2]: _radio(pg, "Pick", i))])
                    fr.close()
                if path == "search":
                    pair(r, "Search: type, last key -> results",
                         [(app, ap, lambda pg: _type(pg, '[data-testid="stMain"] [data-testid="stTextInputField"]')),
                          (flo, fp, lambda pg: _type(pg, '[data-testid="stTextInputField"]'))])
                ap.close()
                fp.close()
        browser.close()
    return [(name, v, flo[name], red.get(name)) for name, v in app.items()]


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


def run(url: str, rounds: int) -> tuple[list[tuple], str]:
    """The rows of measure() and the CPU baseline's sentence (CPU_BASELINE_NOTE: how fast this shared
    machine computed before and after the gestures, a figure to compare hours by)."""
    from db import engine

    env = dict(os.environ, DATABASE_URL=url, MTM_NO_DEMO="1")
    cpu_before = cpu_baseline(engine.reader(url))        # before the servers start: their start-up is not the machine
    app, base = serve(["bash", "scripts/serve.sh"], env)
    floor, floor_base = serve([sys.executable, "-m", "streamlit", "run", "bench/_floor_app.py",
                                "--server.port", "{port}", "--server.address", "127.0.0.1",
                                "--server.headless", "true"], env)
    try:
        rows = measure(base, floor_base, rounds)
        cpu_after = cpu_baseline(engine.reader(url))
        for name, a, f, _ in rows:         # every pair, in round order, for the log (the table has medians)
            print(f"{name}: app {[round(x * 1000) for x in a]} ms, floor {[round(x * 1000) for x in f]} ms, "
                  f"paired ratio {_ratio(a, f):.2f}x, ratio of the medians "
                  f"{statistics.median(a) / statistics.median(f):.2f}x", file=sys.stderr)
        return rows, cpu_text(cpu_before, cpu_after)
    finally:
        for proc in (app, floor):
            proc.terminate()
            proc.wait(20)


def _ratio(a: list[float], f: list[float]) -> float:
    """The median over the rounds of app / floor within each pair (PAIRED_FLOOR_NOTE)."""
    return statistics.median(x / y for x, y in zip(a, f))


def table(rows: list[tuple]) -> str:
    """Medians, the paired ratio, and each side's range over the rounds (the machine's noise); for
    the gestures that redraw charts, also the floor's radio when it redraws its one chart."""
    lines = ["| gesture | app | floor | ratio | app range | floor range | floor redrawing its chart | ratio to it |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, a, f, redraw in rows:
        extra = (f"{statistics.median(redraw):.2f} s | {_ratio(a, redraw):.2f}x" if redraw else "– | –")
        lines.append(f"| {name} | {statistics.median(a):.2f} s | {statistics.median(f):.2f} s | {_ratio(a, f):.2f}x | "
                     f"{min(a):.2f}-{max(a):.2f} s | {min(f):.2f}-{max(f):.2f} s | {extra} |")
    worst = max(_ratio(a, f) for _, a, f, _ in rows)
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
        rows, cpu = run(demo_database(), args.rounds)
        parts.append("### Demo data (what `make run` loads: 600 tracks by 119 artists, 110 weekly snapshots x 3 "
                     f"time ranges, a 40,000-record export)\n\n{cpu}.\n\n" + table(rows))
    if args.dataset in ("bench", "both"):
        url, plays = bench_database()
        rows, cpu = run(url, args.rounds)
        parts.append(f"### Bench database (100,600 tracks with Spotify-shaped raw_json, {plays:,} plays)\n\n{cpu}.\n\n"
                     + table(rows))
    body = ("## In the browser: gesture to finished render (`python -m bench.latency`)\n\n"
            f"Headless Chromium at 1400 x 900, {args.rounds} rounds after a warm-up round. A gesture's time runs from its first DOM "
            "event (pointer or key down; for opening, the navigation's start) to Streamlit's script state back to `notRunning` and "
            f"quiet for {QUIET_MS} ms (a run too quick to paint 'running': the page's last change). Floor: bench/_floor_app.py (title, live text box, radio, 100-row table, "
            "one Altair chart) served by the same venv in the same run. Each gesture is paired with the floor's gesture of the same kind (open, type, radio) "
            "at the same point in its page's life, timed right before or after it in a tab open beside it: a filter's first "
            "change with the floor's radio as the first gesture after its page opened (a page's first gesture is slower on "
            "both servers), a filter's next change and a section with the floor's radio after another gesture. "
            "The ratio is the median over the rounds of app / floor within each pair (PAIRED_FLOOR_NOTE in bench/latency.py: "
            "a slow minute of this shared machine weighs on both sides of a pair); app and floor are the medians of each side. "
            "The floor's radio leaves its chart as it was; every filter and section gesture of the dashboard draws at least one "
            "chart with new data, so those gestures are also paired with the floor's radio when it redraws its chart "
            "(`/?redraw=1`: new data, same spec). The ranges are the lowest and highest of "
            f"the rounds: the machine's noise (load average {load:.1f} when the run started).\n\n"
            + "\n\n".join(parts))
    print(body)
    if not args.no_write:
        write_section("latency", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
