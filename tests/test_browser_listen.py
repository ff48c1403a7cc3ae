"""A listen submitted through the ListenBrainz API shows in Chromium on the next page load: the
Plays page leaves its empty state, and search finds the track."""
from __future__ import annotations

import os
import time

import pytest
from starlette.routing import Mount

from api.listenbrainz import ListenBrainzAPI
from api.ratelimit import RateLimiter
from tests.api_server import new_token, serve
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _serve, _skip_reason, wait_for_run

pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


def test_a_submitted_listen_shows_on_the_plays_page_and_in_search(db_url):
    import liblistenbrainz as lib
    from playwright.sync_api import sync_playwright

    token = new_token(db_url, "browser")
    dashboard = _serve(db_url, "browser-listen-server.log")
    base = next(dashboard)
    routes = [Mount("/1", routes=ListenBrainzAPI(db_url, limiter=RateLimiter(1000, 10),
                                                 anonymous=RateLimiter(1000, 10)).routes())]
    os.makedirs(ARTIFACTS, exist_ok=True)
    try:
        with serve(routes) as api_base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/plays", wait_until="domcontentloaded")
            wait_for_run(page)
            assert "No plays yet" in page.locator('[data-testid="stMain"]').inner_text()

            client = lib.ListenBrainz(api_base_url=api_base)
            client.set_auth_token(token)
            client.submit_single_listen(lib.Listen(
                track_name="Seen in the browser", artist_name="Chromium Test Band", release_name="Live",
                listened_at=int(time.time()) - 600, additional_info={"duration_ms": 200_000}))

            time.sleep(2.5)     # the pages read the data's version at most every 2 s (ui/cached.py)
            page.goto(f"{base}/plays", wait_until="domcontentloaded")
            wait_for_run(page)
            page.screenshot(path=os.path.join(ARTIFACTS, "listen-plays.png"), full_page=True)
            main = page.locator('[data-testid="stMain"]').inner_text()
            assert "No plays yet" not in main and "Minutes listened" in main

            page.goto(f"{base}/search?q=seen%20in%20the%20browser", wait_until="domcontentloaded")
            wait_for_run(page)
            page.screenshot(path=os.path.join(ARTIFACTS, "listen-search.png"), full_page=True)
            assert "Chromium Test Band" in page.locator('[data-testid="stMain"]').inner_text()
            browser.close()
    finally:
        next(dashboard, None)     # runs _serve past its yield: stops the dashboard
