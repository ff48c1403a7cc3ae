"""Several real browser sessions on one server, all pages, with the server's memory sampled.

    python -m bench.browsers [--sessions 4] [--seconds 60] [--plays 1000000]

Serves the dashboard (scripts/serve.sh) on a free port against the 100,600-track benchmark
database, with an export of --plays plays imported into it (once; kept). Opens --sessions headless
Chromium pages that cycle through every page (and type searches) for --seconds, counting Streamlit
exception boxes, while the Streamlit process's resident memory (RSS, children included) is sampled
every half second. Writes the `browsers` section of RELIABILITY.md.
"""
from __future__ import annotations

import argparse
import os
import threading
import time

import psutil
import psycopg2

from bench.common import ROOT, WORK, serve, write_section
from bench.dataset import ensure
from ui import cached

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PATHS = ["", "history", "plays", "search?q=radiohead", "search?q=beyonce", "explorer", "explorer?path=album.name",
         "explorer?source=plays",
         "admin"]


def with_plays(url: str, plays: int) -> int:
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("select count(*) from plays")
        have = cur.fetchone()[0]
    conn.close()
    if have >= 0.95 * plays:   # an export of N records stores a little under N plays (zero durations)
        return have
    from migrate import demo_export
    from migrate.spotify_export import import_export

    folder = os.path.join(WORK, f"export_{plays}")
    if not os.path.exists(os.path.join(folder, ".done")):
        demo_export.generate(folder, records=plays, extended_only=True)
        open(os.path.join(folder, ".done"), "w").close()
    report = import_export(folder, url)
    return sum(f.get("inserted", 0) for f in report.to_dict().get("files", []) if isinstance(f, dict)) or plays


def rss_mb(proc: psutil.Process) -> float:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--plays", type=int, default=1_000_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    url = ensure()
    plays = with_plays(url, args.plays)
    server, base = serve(["bash", "scripts/serve.sh"], dict(os.environ, DATABASE_URL=url))
    proc = psutil.Process(server.pid)
    idle = rss_mb(proc)
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append(rss_mb(proc))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample)
    sampler.start()
    views, exceptions, failures = 0, 0, []
    lock = threading.Lock()
    deadline = time.time() + args.seconds

    def session(n: int) -> None:
        nonlocal views, exceptions
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            i = n
            while time.time() < deadline:
                path = PATHS[i % len(PATHS)]
                i += 1
                try:
                    page.goto(f"{base}/{path}", wait_until="domcontentloaded")
                    page.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
                    quiet = 0
                    while quiet < 4 and time.time() < deadline + 60:
                        busy = page.locator('[data-testid="stStatusWidget"]').count()
                        quiet = 0 if busy else quiet + 1
                        time.sleep(0.25)
                    boxes = page.locator('[data-testid="stException"]').count()
                    with lock:
                        views += 1
                        exceptions += boxes
                except Exception as exc:  # counted: a page that did not render
                    with lock:
                        failures.append(f"{path}: {str(exc).splitlines()[0][:120]}")
            browser.close()

    threads = [threading.Thread(target=session, args=(n,)) for n in range(args.sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    sampler.join()
    server.terminate()
    server.wait(20)
    peak = max(samples) if samples else idle
    body = f"""## Several browser sessions and the server's memory (`python -m bench.browsers`)

{args.sessions} headless Chromium sessions for {args.seconds:.0f} s on one server, cycling through every page ({", ".join("/" + p for p in PATHS)}),
on the 100,600-track database with {plays:,} plays: **{views} page views, {exceptions} exception boxes,
{len(failures)} pages that did not render**{(": " + "; ".join(failures[:5])) if failures else ""}.
Streamlit process memory (RSS): {idle:,.0f} MB idle after start, **peak {peak:,.0f} MB**, {samples[-1] if samples else idle:,.0f} MB at the end.
Caches are capped: `st.cache_data` with ttl {cached.TTL_S:,} s and at most {cached.MAX_ENTRIES} entries per function (ui/cached.py).
"""
    print(body)
    if not args.no_write:
        write_section("browsers", body, file=os.path.join(ROOT, "RELIABILITY.md"))
    return 1 if exceptions or failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
