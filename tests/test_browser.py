"""Every page in a real headless Chromium, served the way `make run` serves it.

The server runs `scripts/serve.sh` on a free port against the session's demo database; each page is
opened, allowed to finish its script run, checked for Streamlit exception boxes and screenshotted
into test-artifacts/browser/. Skipped, with the reason, where Chromium or Playwright is missing.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import quote, urlsplit

import pytest

from tests.helpers import ROOT
from ui.plays import SECTIONS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = os.path.join(ROOT, "test-artifacts", "browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
# url path under st.navigation -> text the page must show once rendered. A direct link comes first:
# on a fresh server it must still go through dashboard.py's navigation (app_pages/ is not the legacy pages/ folder).
PAGES = {
    "history": "Listening history",
    "plays": "Plays",
    "": "Overview",
    "search": "Search",
    "explorer": "explorer",
    "admin": "Admin",
}


def _skip_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed (make test installs Debian's chromium as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_db):
    yield from _serve(demo_db, "browser-server.log")


@pytest.fixture(scope="module")
def plays_server(plays_export_db):
    """The dashboard on a database holding the demo Spotify export (plays, no library)."""
    yield from _serve(plays_export_db, "browser-plays-server.log")


def _serve(url: str, log_name: str):
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, PORT=str(port), HOST="127.0.0.1", PYTHON=sys.executable)
    env.pop("ADMIN_PASSWORD", None)
    os.makedirs(os.path.join(ROOT, "test-artifacts"), exist_ok=True)
    log = open(os.path.join(ROOT, "test-artifacts", log_name), "w")
    proc = subprocess.Popen(["bash", "scripts/serve.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(base + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the dashboard did not answer /_stcore/health within 60 s")
    yield base
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    os.makedirs(ARTIFACTS, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def wait_for_run(page, timeout_s: float = 60) -> None:
    """Wait until Streamlit has rendered the app and finished running the script."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout_s * 1000)  # every page has a title
    deadline = time.time() + timeout_s
    time.sleep(0.5)
    quiet = 0
    while time.time() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count()
        skeleton = page.locator('[data-testid="stSkeleton"]').count()
        quiet = quiet + 1 if not running and not skeleton else 0
        if quiet >= 4:  # idle for a second: the script run is over
            return
        time.sleep(0.25)
    raise AssertionError(f"the page was still running after {timeout_s}s")


DRAWN_CHARTS_JS = """() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
    .filter(c => c.querySelector('.vega-embed canvas, .vega-embed svg .mark-rect, .vega-embed svg path')).length"""


def charts_drawn(page, timeout_s: float = 10) -> int:
    """How many of the page's Vega-Lite charts have drawn marks (an empty .vega-embed means the
    browser could not build the chart), waiting up to `timeout_s` for them to render."""
    want = page.locator('[data-testid="stVegaLiteChart"]').count()
    deadline = time.time() + timeout_s
    drawn = page.evaluate(DRAWN_CHARTS_JS)
    while drawn < want and time.time() < deadline:
        time.sleep(0.25)
        drawn = page.evaluate(DRAWN_CHARTS_JS)
    return drawn


BROKEN_IMAGES_JS = """() => Array.from(document.images)
    .filter(img => img.complete && img.naturalWidth === 0).map(img => img.src.slice(0, 80))"""


def section_button(page, name: str):
    """A section of the page's section picker (ui.common.open_section: a segmented control, which
    browsers are told is a radio group named Section)."""
    return page.get_by_role("radiogroup", name="Section").get_by_role("radio", name=name, exact=True)


def broken_images(page) -> list[str]:
    """The <img> elements that finished loading without a picture (a browser's broken-image icon)."""
    time.sleep(0.5)
    return page.evaluate(BROKEN_IMAGES_JS)


@pytest.mark.parametrize("path", list(PAGES), ids=[p or "overview" for p in PAGES])
def test_page_renders_in_chromium_without_exception(server, browser, path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{server}/{path}", wait_until="domcontentloaded")
        wait_for_run(page)
        page.screenshot(path=os.path.join(ARTIFACTS, f"{path or 'overview'}.png"), full_page=True)
        exceptions = page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, exceptions.first.inner_text()
        assert PAGES[path].lower() in page.locator('[data-testid="stMain"]').inner_text().lower()
        assert broken_images(page) == [], "a broken image"
        assert charts_drawn(page) == page.locator('[data-testid="stVegaLiteChart"]').count(), "a chart drew nothing"
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Overview" in nav and "raw_json explorer" in nav, nav  # the app's navigation, not file names
    finally:
        page.close()


def test_table_number_formats_read_as_localized_in_chromium(server, browser):
    """ui.tables.whole_number_format picks "%d" or "accounting" (step 1: no decimals) where "localized"
    builds an Intl.NumberFormat for every cell on every draw; Streamlit's own formatNumber, loaded
    from the served app, shows each value the same way under the format chosen for its column."""
    import glob

    import pandas as pd

    from ui import tables

    module = os.path.basename(glob.glob(os.path.join(os.path.dirname(__import__("streamlit").__file__), "static",
                                                     "static", "js", "formatNumber.*.js"))[0])
    columns = [[0, 1, 7, 999], [-999, -1, 0, 12], [0, 1000, 54321, 1234567], [3, 999999], [-1000, 5, 2000]]
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    try:
        page.goto(server + "/_stcore/health")
        for values in columns:
            fmt = tables.whole_number_format(pd.Series(values))
            shown = page.evaluate("""async ([module, values, fmt]) => {
                const format = (await import('/static/js/' + module)).n;    // (value, format, precision)
                return values.map(v => [format(v, fmt, 0), format(v, 'localized', 0)]);
            }""", [module, values, fmt])
            assert all(a == b for a, b in shown), (fmt, shown)
    finally:
        context.close()


def test_search_as_a_person_types_in_chromium(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{server}/search", wait_until="domcontentloaded")
        wait_for_run(page)
        box = page.locator('[data-testid="stTextInput"] input').first
        box.fill("beyonce")
        box.press("Enter")
        time.sleep(1)
        wait_for_run(page)
        page.screenshot(path=os.path.join(ARTIFACTS, "search-beyonce.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "Beyoncé" in page.locator('[data-testid="stMain"]').inner_text() or \
            page.locator('[data-testid="stDataFrame"]').count() > 0
    finally:
        page.close()


# Pages with plays: path -> text the rendered page must show.
PLAYS_PAGES = {
    "plays": "Minutes listened",
    # a played item found without its accent; the only result, so its monthly plays are drawn
    "search?q=northern+heart+beyonce": "Beyoncé",
    "explorer?source=plays": "whole raw_json, as the export wrote it",
}


@pytest.mark.parametrize("path", list(PLAYS_PAGES), ids=["plays", "search-plays", "explorer-plays"])
def test_page_with_plays_renders_in_chromium_with_charts_and_no_exception(plays_server, browser, path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{plays_server}/{path}", wait_until="domcontentloaded")
        wait_for_run(page)
        name = path.replace("?", "-").replace("=", "-")
        page.screenshot(path=os.path.join(ARTIFACTS, f"with-plays-{name}.png"), full_page=True)
        exceptions = page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, exceptions.first.inner_text()
        main = page.locator('[data-testid="stMain"]')
        assert PLAYS_PAGES[path].lower() in main.inner_text().lower()
        assert page.locator('[data-testid="stVegaLiteChart"]').count() > 0, "no chart on the page"
        assert charts_drawn(page) == page.locator('[data-testid="stVegaLiteChart"]').count(), "a chart drew nothing"
        assert broken_images(page) == [], "a broken image"
    finally:
        page.close()


def test_unknown_path_says_page_not_found_with_links(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{server}/no-such-page", wait_until="domcontentloaded")
        wait_for_run(page)
        main = page.locator('[data-testid="stMain"]')
        assert "Page not found" in main.inner_text()
        hrefs = main.locator('[data-testid="stPageLink"] a').evaluate_all("els => els.map(e => e.href)")
        assert any(h.endswith("/plays") for h in hrefs) and any(h.endswith("/search") for h in hrefs), hrefs
    finally:
        page.close()


def test_clicking_a_search_result_shows_its_history(plays_server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{plays_server}/search?q=love", wait_until="domcontentloaded")
        wait_for_run(page)
        results = page.locator(".mtm-play-results a.mtm-pick")
        assert results.count() > 1
        wanted = results.nth(1).inner_text().strip()
        results.nth(1).click()
        page.wait_for_url(re.compile(r"pick="))
        wait_for_run(page)
        assert broken_images(page) == []
        box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Played item")
        chosen = box.inner_text() + " " + " ".join(box.locator("input").evaluate_all("els => els.map(e => e.value)"))
        assert wanted in chosen, (wanted, chosen)
    finally:
        page.close()


def test_database_outage_clears_by_itself(server_url, browser):
    """The page opens while its database does not exist yet (connections refused), says so without
    the socket path, and comes back by itself once the database is there: no click."""
    from tests.helpers import create_database, drop_database, with_database

    name = f"mtm_outage_{os.getpid()}"
    drop_database(server_url, name)
    url = with_database(server_url, name)
    served = _serve(url, "browser-outage-server.log")
    base = next(served)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{base}/", wait_until="domcontentloaded")
        wait_for_run(page)
        main = page.locator('[data-testid="stMain"]')
        assert "database is unavailable" in main.inner_text()
        assert ".s.PGSQL" not in main.inner_text() and "/pg" not in main.inner_text()
        assert "tries again by itself" in main.inner_text()
        create_database(server_url, name)
        deadline = time.time() + 60
        while time.time() < deadline and "No data yet" not in main.inner_text():   # the empty database's overview
            time.sleep(1)
        wait_for_run(page)
        assert "No data yet" in main.inner_text(), "the page did not come back by itself"
        assert "database is unavailable" not in main.inner_text() and "tries again" not in main.inner_text()
    finally:
        page.close()
        next(served, None)
        drop_database(server_url, name)


# ---------------------------------------------------------------------------------------------
# Names made of markdown, LaTeX, links, images and HTML (tests/hostile_data.py) on every page


@pytest.fixture(scope="module")
def hostile_server(hostile_db):
    """The dashboard on a database whose every name is hostile (library and plays)."""
    yield from _serve(hostile_db, "browser-hostile-server.log")


# url path -> (a text input to fill in first (its label) and what to type, or None)
HOSTILE_PAGES = {
    "": None, "history": None, f"history?section={quote('Forgotten gems')}": None,
    f"history?section={quote('Currently obsessed')}": None, "search?q=bold": None, "search?q=click": None,
    "explorer": ("Track ID, name, artist or album", "bold"), "explorer?source=plays": None, "admin": None,
    **{f"plays?tz=UTC&section={quote(s)}": None for s in SECTIONS},
}
# Where a hostile name is page text (not only cells of a canvas-drawn table): it must read literally.
SHOWS_A_NAME = {"history", "search?q=bold", "search?q=click", "explorer", f"plays?tz=UTC&section={quote('Discovery')}",
                f"plays?tz=UTC&section={quote('Top lists')}", f"plays?tz=UTC&section={quote('On this day')}",
                f"plays?tz=UTC&section={quote('Forgotten gems')}", f"history?section={quote('Currently obsessed')}"}
# Where the name is in an expander built when opened (ui.tables.lazy_expander): opened first, as a person does.
OPENS = {f"plays?tz=UTC&section={quote('Discovery')}": "First and last listen"}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _foreign(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in ("data", "blob", "about") and (parts.hostname or "") not in LOCAL_HOSTS


@pytest.mark.parametrize("path", list(HOSTILE_PAGES), ids=[p or "overview" for p in HOSTILE_PAGES])
def test_hostile_names_read_literally_and_nothing_loads_from_a_foreign_host(hostile_server, browser, path):
    from tests import hostile_data as data

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(f"{hostile_server}/{path}", wait_until="domcontentloaded")
        wait_for_run(page)
        if HOSTILE_PAGES[path]:
            label, typed = HOSTILE_PAGES[path]
            box = page.get_by_label(label, exact=True)
            box.fill(typed)
            box.press("Enter")
            time.sleep(1)
            wait_for_run(page)
        if path in OPENS:
            page.locator('[data-testid="stExpander"] summary').filter(has_text=OPENS[path]).click()
            time.sleep(0.5)
            wait_for_run(page)
        page.mouse.move(700, 500)            # hover: a tooltip must not load anything either
        time.sleep(0.5)
        name = "hostile-" + (path.replace("?", "-").replace("=", "-").replace("&", "-").replace("%", "") or "overview")
        page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)
        exceptions = page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, exceptions.first.inner_text()
        main = page.locator('[data-testid="stMain"]')
        text = main.inner_text()
        assert [u for u in requested if _foreign(u)] == [], "the browser fetched from a host the data names"
        assert main.locator(".katex").count() == 0, "a name was rendered as LaTeX"
        assert broken_images(page) == [], "a broken image"
        assert main.locator('[data-testid="stMarkdownContainer"] img').count() == 0, "an image in markdown"
        assert main.locator("strong").filter(has_text=re.compile(r"^\s*bold\s*$")).count() == 0, "rendered bold"
        assert main.locator('a[href^="javascript:" i], a[href^="data:" i]').count() == 0
        foreign_links = [h for h in main.locator("a[href]").evaluate_all("els => els.map(e => e.href)")
                         if _foreign(h) and urlsplit(h).hostname != "open.spotify.com"]
        assert foreign_links == [], foreign_links
        if path in SHOWS_A_NAME:     # (names in markdown carry invisible word joiners: ui.text.literal)
            assert any(n in text.replace("\u2060", "") for n in data.NAMES), "a hostile name is shown literally"
    finally:
        page.close()


def test_plays_sections_settings_data_and_csv_work_in_chromium(plays_server, browser, tmp_path):
    """The Plays page's fragments as a person uses them: a section tab reruns the sections (URL and
    content follow), a setting reruns settings and section, a closed Data expander holds no table
    until opened, and Download CSV makes its file on the click."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        page.goto(f"{plays_server}/plays?tz=UTC", wait_until="domcontentloaded")
        wait_for_run(page)
        main = page.locator('[data-testid="stMain"]')
        assert "Minutes listened" in main.inner_text()
        assert main.locator('[data-testid="stDataFrame"]').count() == 0          # Data expanders closed
        section_button(page, "Top lists").click()
        page.wait_for_url(re.compile(r"section=Top"))
        wait_for_run(page)
        assert main.locator("h3").filter(has_text="Top tracks").count() == 1
        assert "Minutes listened" not in main.inner_text()                       # only the open section
        page.get_by_role("radiogroup", name="Kind").get_by_role("radio").nth(3).click()
        page.wait_for_url(re.compile(r"kind=all"))
        wait_for_run(page)
        assert main.locator("h3").filter(has_text="Top tracks").count() == 1     # still on Top lists
        # its one table: a ranked HTML table (ui.tables.show_list), the measure's cells with a bar
        assert main.locator('[data-testid="stDataFrame"]').count() == 0
        table = main.locator(".mtm-table table")
        assert table.count() == 1 and table.locator("tbody tr").count() == 25
        assert table.locator("th").first.inner_text() == "Rank"
        bars = table.locator("td.bar").evaluate_all("cells => cells.map(c => getComputedStyle(c).backgroundImage)")
        assert len(bars) == 25 and all("linear-gradient" in b for b in bars)
        # numbers right aligned, names and times left (the table's own rules, ui.tables._column_rules)
        heads = table.locator("th").all_inner_texts()
        aligned = table.locator("tbody tr").first.locator("td").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c).textAlign)")
        align = dict(zip(heads, aligned))
        assert align["Rank"] == align["Plays"] == align["Skip rate"] == "right"
        assert align["Track or episode"] in ("left", "start") and align["First play"] in ("left", "start")
        assert charts_drawn(page) == 0
        assert main.locator('[data-testid="stDownloadButton"]').count() == 1
        section_button(page, "Over time").click()
        wait_for_run(page)
        main.locator('[data-testid="stExpander"] summary').first.click()
        wait_for_run(page)
        assert main.locator('[data-testid="stDataFrame"]').count() == 1
        main.locator('[data-testid="stDataFrame"]').hover()                       # shows the table's toolbar
        time.sleep(0.5)
        # the only CSV is ours (formulas neutralised): the table's own export writes cells unchanged
        assert page.locator('[data-testid="stElementToolbar"]').count() >= 1
        assert page.get_by_role("button", name="Download as CSV").count() == 0
        with page.expect_download() as download:
            main.locator('[data-testid="stDownloadButton"] button').first.click()
        path = tmp_path / "timeline.csv"
        download.value.save_as(path)
        rows = path.read_text(encoding="utf-8").splitlines()
        assert rows[0].startswith("Month") or rows[0].startswith("Week") or rows[0].startswith("Day"), rows[0]
        assert len(rows) > 1
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()


ARIA_JS = """chart => ({
    axes: Array.from(chart.querySelectorAll('svg [aria-roledescription="axis"][aria-label]')).length,
    labelled: Array.from(chart.querySelectorAll('svg path[role="graphics-symbol"][aria-label]')).length,
    svg: chart.querySelectorAll('svg.marks').length})"""


def test_charts_are_svg_with_labelled_axes_and_marks_labelled_where_few(plays_server, browser):
    """THEME_ARIA_NOTE: Streamlit draws the charts as SVG, which a screen reader reads. Every chart
    keeps its axes' ARIA labels; a chart of a few marks (platforms) labels each mark, a chart of
    hundreds of marks (Over time per day) leaves the marks' labels out."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{plays_server}/plays?tz=UTC&section=Over+time", wait_until="domcontentloaded")
        wait_for_run(page)
        main = page.locator('[data-testid="stMain"]')
        page.get_by_role("radiogroup", name="Per").get_by_role("radio", name="Day", exact=True).click()
        wait_for_run(page)
        assert charts_drawn(page) == 1
        timeline = main.locator('[data-testid="stVegaLiteChart"]').first.evaluate(ARIA_JS)
        assert timeline == {"axes": 2, "labelled": 0, "svg": 1}, timeline
        section_button(page, "Platforms & countries").click()
        wait_for_run(page)
        assert charts_drawn(page) >= 1
        platforms = main.locator('[data-testid="stVegaLiteChart"]').first.evaluate(ARIA_JS)
        assert platforms["svg"] == 1 and platforms["axes"] == 2 and platforms["labelled"] >= 1, platforms
    finally:
        page.close()


def test_history_picker_in_its_popover_follows_the_chosen_tracks(server, browser):
    """The bump chart's picker sits in a popover (app_pages/history.py, PICKER_NOTE): opened, it holds
    the preselected tracks; taking one out redraws the chart with one line fewer in its legend."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{server}/history", wait_until="domcontentloaded")
        wait_for_run(page)
        main = page.locator('[data-testid="stMain"]')
        assert main.locator('[data-testid="stMultiSelect"]').count() == 0        # closed: not drawn
        main.get_by_role("button", name=re.compile("Choose tracks")).click()
        picker = page.locator('[data-testid="stMultiSelect"]')
        picker.first.wait_for(timeout=10_000)
        remove = picker.first.locator('[aria-label^="Remove "]')                # one per chosen track
        assert remove.count() == 5
        remove.first.click()
        wait_for_run(page)
        assert picker.first.locator('[aria-label^="Remove "]').count() == 4
        assert page.locator('[data-testid="stException"]').count() == 0
        assert charts_drawn(page) == 1
    finally:
        page.close()


def test_discovery_picker_takes_a_typed_name_in_chromium(plays_server, browser):
    """First and last listen, opened from its expander, lists only the most played artists
    (ui/plays/discovery.py); a name typed into the picker reaches the page, which looks it up (here:
    nobody has it, and says so)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{plays_server}/plays?tz=UTC&section=Discovery", wait_until="domcontentloaded")
        wait_for_run(page)
        main = page.locator('[data-testid="stMain"]')
        assert main.locator('[data-testid="stSelectbox"]').count() == 0     # one click away (FIRST_LAST_NOTE)
        main.locator('[data-testid="stExpander"] summary').filter(has_text="First and last listen").click()
        wait_for_run(page)
        picker = main.locator('[data-testid="stSelectbox"]').filter(has_text="Artist")
        picker.wait_for()
        assert "first played" in main.inner_text()                          # the most played, preselected
        box = picker.locator("input")
        box.click()
        box.fill("zz nobody plays this")
        box.press("Enter")
        wait_for_run(page)
        assert "No artist with a play is called zz nobody plays this." in main.inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()
