"""README's screenshots from the current demo: python -m scripts.screenshots [--serve-only] [--reuse]

Builds the demo as `make run` loads it into a scratch database (`mtm_screenshots`, on
BENCH_DATABASE_URL's server or the embedded one, as bench/latency.py does: `python -m
migrate.bootstrap`), serves the dashboard with `bash scripts/serve.sh` on a free port, and takes
Debian's Chromium (/usr/bin/chromium, driven by Playwright) through the pages README shows, at
1400 px wide, into docs/*.png. The server is stopped at the end.

    --reuse       keep the scratch database when it already holds the demo (no rebuild)
    --serve-only  build (or reuse) and serve, print the URL, and wait for Ctrl-C (no screenshots)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import serve as serve_app  # noqa: E402  (after the path is set)

DATABASE = "mtm_screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WIDTH = 1400
# file in docs/ -> (url path, height of the viewport shot: the top of the page, as a person sees it)
SHOTS = {
    "screenshot.png": ("", 1100),
    "plays.png": ("plays?tz=UTC", 1100),
    "search.png": ("search?q=love", 1100),
}


def demo_database(reuse: bool) -> str:
    """The demo as `make run` loads it, in a scratch database (built unless `reuse` finds it full)."""
    from bench.common import scratch_database

    if reuse:
        url = _existing(DATABASE)
        if url:
            return url
    url = scratch_database(DATABASE)
    env = dict(os.environ, DATABASE_URL=url)
    env.pop("MTM_NO_DEMO", None)
    subprocess.run([sys.executable, "-m", "migrate.bootstrap"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return url


def _existing(name: str) -> str | None:
    """The URL of database `name` when it exists and holds tracks and plays, else None."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg2

    from db import embedded
    from db.config import normalise_url

    server = os.environ.get("BENCH_DATABASE_URL")
    server = normalise_url(server) if server else embedded.server_uri()
    url = urlunsplit(urlsplit(server)._replace(path="/" + name))
    try:
        conn = psycopg2.connect(url)
    except psycopg2.OperationalError:
        return None
    try:
        with conn.cursor() as cur:
            cur.execute("select exists (select 1 from tracks) and exists (select 1 from plays)")
            return url if cur.fetchone()[0] else None
    except psycopg2.Error:
        return None
    finally:
        conn.close()


def serve(url: str) -> tuple[subprocess.Popen, str]:
    """The dashboard on `url`, served by scripts/serve.sh on a free port (bench.common.serve, as the
    benches serve it)."""
    return serve_app(["bash", "scripts/serve.sh"], dict(os.environ, DATABASE_URL=url, MTM_NO_DEMO="1"))


def settle(page, timeout_s: float = 90) -> None:
    """Wait until the script run is over and every chart has been drawn."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout_s * 1000)
    deadline = time.time() + timeout_s
    quiet = 0
    while time.time() < deadline and quiet < 6:
        busy = (page.locator('[data-testid="stStatusWidget"]').count()
                + page.locator('[data-testid="stSkeleton"]').count())
        quiet = quiet + 1 if not busy else 0
        time.sleep(0.25)
    time.sleep(1.0)   # Vega's canvases draw after the run


def shoot(base: str, out_dir: str) -> list[str]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        for name, (path, height) in SHOTS.items():
            page = browser.new_page(viewport={"width": WIDTH, "height": height})
            page.goto(f"{base}/{path}", wait_until="domcontentloaded")
            settle(page)
            target = os.path.join(out_dir, name)
            page.screenshot(path=target)
            written.append(target)
            page.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--serve-only", action="store_true")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs"))
    args = parser.parse_args(argv)
    url = demo_database(args.reuse)
    proc, base = serve(url)
    try:
        if args.serve_only:
            print(base, flush=True)
            proc.wait()
            return 0
        for path in shoot(base, args.out):
            print(os.path.relpath(path, ROOT))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
