"""The guards of the served app (app.py via scripts/serve.sh) against a real server on 127.0.0.1.

- The upload attack of issue 9: the XSRF cookie from /_stcore/health, a session over /_stcore/stream,
  then PUTs of 200 MB to /_stcore/upload_file/<session>/<uuid>: refused before the body, memory flat.
- The Admin page's own uploader still works end to end in Chromium once the page is unlocked.
- Parallel fresh sessions guessing the password from one address get 5 answers, then refusals.
- No parent page may drive the app through postMessage: /_stcore/host-config allows no origin.
"""
from __future__ import annotations

import os
import time
import uuid

import pytest

from tests import serving
from tests.helpers import create_database, drop_database, make_sqlite
from tests.test_browser import CHROMIUM_ARGS, _skip_reason, wait_for_run  # noqa: F401 - browser helpers
from ui import auth

PASSWORD = "served guard password"
MB = 1024 * 1024
needs_browser = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


@pytest.fixture(scope="module")
def guarded_db(server_url):
    name = f"mtm_guard_{os.getpid()}"
    url = create_database(server_url, name)
    yield url
    drop_database(server_url, name)


@pytest.fixture(scope="module")
def served(guarded_db):
    with serving.serve("guarded-server.log", DATABASE_URL=guarded_db, ADMIN_PASSWORD=PASSWORD) as server:
        yield server


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), headless=True,
                              args=CHROMIUM_ARGS)
        yield b
        b.close()



def guess_at_once(chromium, base: str, pages: list, headers) -> tuple[list[str], float]:
    """Eight fresh browser sessions (request headers `headers(i)`) each type a wrong password, then all
    press Unlock at once; their error texts and the seconds until the last answered. The pages are
    appended to `pages` as they open, so the caller closes them whatever happens."""
    for i in range(8):
        page = chromium.new_context(extra_http_headers=headers(i)).new_page()
        pages.append(page)
        page.goto(f"{base}/admin", wait_until="domcontentloaded")
        wait_for_run(page)
        page.get_by_label("Admin password").fill(f"guess {i}")
    started = time.time()
    for page in pages:
        page.get_by_role("button", name="Unlock").click()
    answers = []
    for page in pages:
        alert = page.locator('[data-testid="stAlertContentError"]')
        alert.wait_for(timeout=60_000)
        answers.append(alert.inner_text())
    return answers, time.time() - started

def test_upload_without_unlocking_admin_is_refused_before_the_body_and_memory_stays_flat(served):
    with serving.Session(served.base):       # warm up: the first script run imports the app's modules
        time.sleep(2)
    before = served.rss_mb()
    results = []
    for _ in range(3):
        with serving.Session(served.base) as session:
            results.append(serving.put_upload(served.base, session, 200 * MB))
    after = served.rss_mb()
    assert [status for status, _ in results] == [403, 403, 403]
    assert all(sent < 16 * MB for _, sent in results), results     # answered before taking the body
    assert after - before < 100, (before, after)                     # unguarded: +629 MB for the same
    assert served.log().count("Upload refused (403)") >= 3


def test_upload_to_a_made_up_session_is_refused(served):
    with serving.Session(served.base) as session:
        session.session_id = str(uuid.uuid4())
        assert serving.put_upload(served.base, session, 1 * MB)[0] == 403


def test_no_parent_page_may_drive_the_app_through_post_message(served):
    # Streamlit's default lets any *.streamlit.app / *.streamlit.run page that frames the app stop
    # or rerun its script and set values; the browser reads the allowed origins from here
    import json
    import urllib.request

    with urllib.request.urlopen(served.base + "/_stcore/host-config", timeout=10) as answer:
        host_config = json.load(answer)
    assert host_config["allowedOrigins"] == []


@needs_browser
def test_unlocked_admin_uploads_a_file_through_the_admin_page_in_chromium(served, chromium, tmp_path):
    db_file = make_sqlite(tmp_path / "upload me.db",
                          [("t1", "Song", "Artist", "Alb", 200_000, "https://open.spotify.com/track/t1", "{}")],
                          [("t1", "2024-01-01", "short_term", 1)])
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{served.base}/admin", wait_until="domcontentloaded")
        wait_for_run(page)
        page.get_by_label("Admin password").fill(PASSWORD)
        page.get_by_role("button", name="Unlock").click()
        page.wait_for_selector('[data-testid="stFileUploaderDropzoneInput"]', state="attached", timeout=60_000)
        wait_for_run(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(db_file)
        page.wait_for_selector('[data-testid="stFileChipName"]', timeout=60_000)
        wait_for_run(page)
        page.get_by_role("button", name="Import uploaded file").click()
        page.wait_for_selector("text=Verification passed", timeout=120_000)
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert "upload_me.db" in main and page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()
    assert "Upload refused" not in served.log().split("Admin page unlocked", 1)[-1]


@needs_browser
def test_parallel_fresh_sessions_from_one_address_get_five_guesses_then_refusals(served, chromium):
    """Eight fresh browser sessions, some claiming other addresses in proxy headers (not trusted here),
    submit a wrong password at once: five are checked, three refused; the right password is refused too
    while the address is locked out. (The window's end is tested in tests/test_auth.py on a fake clock.)"""
    pages = []
    try:
        answers, elapsed = guess_at_once(chromium, served.base, pages, lambda i: {
            "X-Real-IP": f"198.51.100.{i}", "X-Forwarded-For": f"203.0.113.{i}"})
        checked = [a for a in answers if "Wrong password" in a]
        refused = [a for a in answers if "Too many failed attempts from your address" in a]
        assert (len(checked), len(refused)) == (5, 3), answers
        last = pages[-1]
        last.get_by_label("Admin password").fill(PASSWORD)
        last.get_by_role("button", name="Unlock").click()
        time.sleep(1)
        wait_for_run(last)
        assert "Too many failed attempts" in last.locator('[data-testid="stMain"]').inner_text()
        assert last.locator('[data-testid="stFileUploaderDropzoneInput"]').count() == 0
    finally:
        for page in pages:
            page.context.close()
    log = served.log()
    assert log.count("Admin password: failed attempt from local") == 5
    assert all(f"failed attempt from local ({n} of 5" in log for n in range(1, 6))
    assert "is locked out" in log and "guess " not in log and PASSWORD not in log
    print(f"8 parallel guesses answered in {elapsed:.1f} s")


def _outside_address() -> str | None:
    """This machine's address on its main interface (no packet is sent), None when there is only loopback."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_serve_without_host_or_database_url_listens_on_loopback_only():
    """What `make run` does on a laptop: the embedded database and its open Admin page stay on this computer."""
    import socket

    outside = _outside_address()
    with serving.serve("loopback-server.log", HOST=None, DATABASE_URL=None) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5):
            pass
        if outside is None:
            pytest.skip("no non-loopback interface to try")
        with pytest.raises(OSError), socket.create_connection((outside, server.port), timeout=5):
            pass
    with serving.serve("all-interfaces-server.log", HOST="0.0.0.0", DATABASE_URL=None) as server:
        with socket.create_connection((outside, server.port), timeout=5):   # the check above can tell
            pass


@needs_browser
def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(guarded_db, chromium):
    """With the proxy (here: loopback) in MTM_TRUSTED_PROXIES, X-Real-IP names the client: eight browsers
    with eight addresses each get their own count, and the checks are paced server-wide."""
    with serving.serve("proxied-server.log", DATABASE_URL=guarded_db, ADMIN_PASSWORD=PASSWORD,
                       MTM_TRUSTED_PROXIES="127.0.0.1") as server:
        pages = []
        try:
            answers, elapsed = guess_at_once(chromium, server.base, pages,
                                             lambda i: {"X-Real-IP": f"198.51.100.{i + 1}"})
        finally:
            for page in pages:
                page.context.close()
        assert all("Wrong password (4 more attempts" in a for a in answers), answers
        log = server.log()
        assert all(f"failed attempt from 198.51.100.{i + 1} (1 of 5" in log for i in range(8))
        print(f"8 guesses from 8 addresses answered in {elapsed:.1f} s (one check per {auth.SPACING_S} s)")
