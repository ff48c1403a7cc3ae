"""Every page shows names made of markdown, LaTeX, links, images, HTML and formulas literally
(tests/hostile_data.py), under AppTest: no string of the data reaches a markdown context (markdown,
captions, alerts, headings, widget labels and help, metric label/value/help, radio options, tab,
expander and status labels) unescaped; links and images keep to Spotify's hosts; and the helpers of
ui/text.py: markdown escaping, URL and image-host filters, CSV formula neutralisation."""
from __future__ import annotations

import csv
import io
import json
import os
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests import hostile_data as data
from tests.helpers import (
    FIXTURES,
    ROOT,
    html_tables,
    list_blocks,
    nodes,
    open_data,
    open_table_tab,
    pick_result,
    run_page,
    use_database,
)
from ui import common, plays_view, tables, text
from ui.plays import SECTIONS as _PLAYS_SECTIONS

PAGES = os.path.join(ROOT, "app_pages")
SECTIONS = list(_PLAYS_SECTIONS)


def shown(escaped: str) -> str:
    """Markdown escapes as the reader sees them."""
    return re.sub(r"\\(.)", r"\1", escaped)


# ---------------------------------------------------------------------------------------------
# ui/text.py


def test_raw_fragment_tells_markup_from_escaped_text():
    assert raw_fragment(f"x {data.BOLD}") == "**bold**"
    assert raw_fragment("a <img src=x>") == "<img"
    assert raw_fragment(text.literal(data.LINK)) is None and raw_fragment(text.literal(data.BLOCK)) is None
    assert raw_fragment("www\\.attacker\\.example") and raw_fragment("http\\:\\/\\/attacker\\.example")


@pytest.mark.parametrize("name", [*data.NAMES, "a\nb\r\nc", "back\\slash", "1. item", "- item", "> quote",
                                  "<script>alert(1)</script>", "&lt;b&gt;", "🎧 שלום", "", None])
def test_literal_escapes_every_markdown_character(name):
    out = text.literal(name)
    assert "\n" not in out and "\r" not in out
    assert re.fullmatch(r"(?:[^!-/:-@\[-`{-~]|\\[!-/:-@\[-`{-~])*", out), out   # every punctuation escaped
    assert shown(out).replace(text.WORD_JOINER, "") == re.sub(r"\s+", " ", name or "")


@pytest.mark.parametrize("name", ["a -> b", "a <- b", "a <-> b", "a -- b", "a --- b", "a >= b", "a <= b", "a ~= b",
                                  ":streamlit:", ":STREAMLIT:"])
def test_literal_keeps_arrows_and_the_logo_shortcode_from_being_rewritten(name):
    # Streamlit rewrites these after escapes are resolved (seen in Chromium: `a \-\> b` showed a -> arrow)
    out = text.literal(name).replace("\\", "")
    assert not re.search(r"<[-=]|-[->]|[>~]=|(?i::streamlit:)", out), out
    assert shown(text.literal(name)).replace(text.WORD_JOINER, "") == name


@pytest.mark.parametrize("name", ["www.attacker.example", "http://attacker.example/x", "HTTPS://X.example",
                                  "me@attacker.example", "mailto:me@attacker.example", "xmpp:me@attacker.example"])
def test_literal_keeps_bare_urls_and_addresses_from_becoming_links(name):
    # GFM links these after escapes are resolved (seen in Chromium: `www\.x\.y` still linked)
    out = text.literal(f"see {name} here")
    assert not re.search(r"(?i)(https?\\?:|www\\?\.|\w\\?@)", out), out


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+x", "'+x"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-1+1", "'-1+1"), ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"), ("--1", "'--1"), ("-1 ", "'-1 "),
    ("-", "'-"), ("+", "'+"), ("=", "'="), ("\t1", "'\t1"),
    ("-1", "-1"), ("+1", "+1"), ("-3.5", "-3.5"), ("-.5", "-.5"), ("-1e5", "-1e5"), ("12", "12"),  # plain numbers
    (data.COMMAND, "'" + data.COMMAND), (data.FORMULA, "'" + data.FORMULA), ("plain", "plain"), ("a=b", "a=b"),
    ("", ""), (" =x", " =x"), (5, 5), (-5, -5), (-1.5, -1.5), (None, None),
])
def test_csv_cell_prefixes_formulas_with_a_quote(value, expected):
    assert text.csv_cell(value) == expected


def test_csv_download_neutralises_formulas_and_keeps_numbers_numbers():
    df = pd.DataFrame({"name": [data.FORMULA, data.COMMAND, "-minus", "@at", "\ttab", "\rcr", "plain", None],
                       "delta": [-3, -2, -1, 0, 1, 2, 3, 4], "share": [-0.5, 0.1, None, 1, 2, 3, 4, 5],
                       "mixed": ["-7", -7, 1.5, "=A1", True, None, "x", "+"]})
    rows = list(csv.reader(io.StringIO(common.csv_bytes(df).decode("utf-8"), newline="")))
    assert rows[0] == ["name", "delta", "share", "mixed"]
    assert [r[0] for r in rows[1:]] == ["'" + data.FORMULA, "'" + data.COMMAND, "'-minus", "'@at", "'\ttab", "'\rcr",
                                        "plain", ""]
    assert [r[1] for r in rows[1:]] == ["-3", "-2", "-1", "0", "1", "2", "3", "4"]       # numbers stay numbers
    assert rows[1][2] == "-0.5"
    assert [r[3] for r in rows[1:]] == ["-7", "-7", "1.5", "'=A1", "True", "", "x", "'+"]
    assert df.at[0, "name"] == data.FORMULA                                              # the page's frame is untouched
    back = pd.read_csv(io.BytesIO(common.csv_bytes(df)))
    assert back["delta"].tolist() == df["delta"].tolist()


@pytest.mark.parametrize("cell", ["x\r=HYPERLINK(\"http://attacker.example\",\"y\")", "x\n=1+1", "x\r\n@SUM(A1)"])
def test_csv_download_keeps_a_formula_after_a_line_break_inside_its_cell(cell):
    rows = list(csv.reader(io.StringIO(common.csv_bytes(pd.DataFrame({"name": [cell, "next"]})).decode("utf-8"),
                                       newline="")))
    assert rows == [["name"], [cell], ["next"]]           # one cell: no row starts with the formula


@pytest.mark.parametrize("url, ok", [
    ("https://i.scdn.co/image/ab67616d00004851", True), ("https://mosaic.scdn.co/640/abc", True),
    ("https://image-cdn-ak.spotifycdn.com/image/ab67", True), ("https://image-cdn-fa.spotifycdn.com/image/x", True),
    ("https://d3rt1990lpmkn.cloudfront.net/original/8e13", True), ("https://I.SCDN.CO/image/x", True),
    ("http://i.scdn.co/image/x", False),                              # https only
    ("https://i.scdn.co.attacker.example/x", False), ("https://attacker.example/i.scdn.co/x", False),
    ("https://i.scdn.co@attacker.example/x", False), ("https://attacker.example/#i.scdn.co", False),
    ("https://evil-i.scdn.co/x", False), ("https://image-cdn-ak.spotifycdn.com.attacker.example/x", False),
    ("javascript:alert(1)", False), ("data:image/png;base64,AAAA", False), ("//i.scdn.co/image/x", False),
    ("https://i.scdn.co/a b", False), ("https://i.scdn.co/x')", False), (None, False), (5, False), ("", False),
])
def test_image_url_takes_only_https_images_from_spotify_hosts(url, ok):
    assert (text.image_url(url) is not None) == ok


def test_image_url_takes_every_image_of_real_spotify_responses():
    urls = []

    def collect(node):
        if isinstance(node, dict):
            for image in node.get("images", []) if isinstance(node.get("images"), list) else []:
                urls.append(image["url"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    folder = os.path.join(FIXTURES, "spotify")
    for name in os.listdir(folder):
        if name.endswith(".json"):
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                collect(json.load(fh))
    assert len(urls) > 50
    assert [u for u in urls if text.image_url(u) is None] == []


@pytest.mark.parametrize("url, ok", [
    ("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC", True), ("http://open.spotify.com/track/x", True),
    ("https://spotify.com/x", True), ("javascript:alert(1)", False), ("JavaScript:alert(1)", False),
    ("data:text/html,<script>", False), ("https://attacker.example/track", False),
    ("https://open.spotify.com.attacker.example/x", False), ("https://evilspotify.com/x", False),
    ("https://open.spotify.com@attacker.example/", False), (" javascript:alert(1)", False), (None, False),
])
def test_spotify_link_takes_only_http_links_to_spotify(url, ok):
    assert (text.spotify_link(url) is not None) == ok


# ---------------------------------------------------------------------------------------------
# Every page under AppTest


# Fields whose text Streamlit shows as plain text (Streamlit 1.67, checked in Chromium): select and
# multiselect options, text inputs' values, code, JSON, dataframes and charts (cells, titles and
# tooltips are text). Every other string field of an element is read as markdown.
PLAIN = {"Selectbox": {"options", "default", "raw_value", "placeholder"},
         "MultiSelect": {"options", "default", "raw_values", "placeholder"},
         "TextInput": {"value", "default", "placeholder"}, "TextArea": {"value", "default", "placeholder"},
         "Code": "*", "Json": "*", "Arrow": "*", "Dataframe": "*", "ArrowVegaLiteChart": "*", "VegaLiteChart": "*",
         "Html": "*", "Text": {"body"}, "DownloadButton": {"url"}, "Exception": "*"}
SKIP_FIELDS = {"id", "form_id", "key", "url", "icon", "type"}


def _strings(message, path=""):
    for field, value in message.ListFields():
        name = f"{path}{field.name}"
        repeated = getattr(field, "is_repeated", None)
        repeated = repeated if repeated is not None else field.label == field.LABEL_REPEATED
        values = value if repeated else [value]
        for v in values:
            if isinstance(v, str):
                yield field.name, name, v
            elif hasattr(v, "ListFields"):
                yield from _strings(v, name + ".")


def markdown_texts(at: AppTest) -> list[tuple[str, str, str]]:
    """(element type, field, text) of every string the page hands Streamlit to read as markdown."""
    out = []
    for node in nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "ListFields"):
            continue
        kind = type(proto).__name__
        plain = PLAIN.get(kind, set())
        if plain == "*":
            continue
        for field, name, value in _strings(proto):
            if field not in plain and field not in SKIP_FIELDS:
                out.append((kind, name, value))
    return out


def html_bodies(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def raw_fragment(value: str) -> str | None:
    """The first fragment of a hostile name that `value` holds unescaped (its first character not
    preceded by a backslash: '\\<img' is text, '<img' is HTML), or None."""
    for fragment in data.RAW_FRAGMENTS:
        for m in re.finditer(re.escape(fragment), value):
            if m.start() == 0 or value[m.start() - 1] != "\\":
                return fragment
    link = re.search(r"(?i)(www|https?)\\?[.:]\S*" + data.FOREIGN.split(".")[0], value)   # GFM autolinks these
    return link.group(0) if link else None


def unescaped(at: AppTest) -> list[tuple[str, str, str]]:
    """Markdown texts that hold a fragment of a hostile name as it is (not escaped)."""
    return [(kind, name, value) for kind, name, value in markdown_texts(at) if raw_fragment(value)]


def check_page(at: AppTest) -> list[tuple[str, str, str]]:
    """The checks every page passes; returns its markdown texts."""
    assert not at.exception, [e.value for e in at.exception]
    assert unescaped(at) == []
    body = html_bodies(at)
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*(javascript|data:text)|url\(\s*'?\s*(javascript|data)""", body)
    assert re.findall(r"url\('([^']*)'", body) == [u for u in re.findall(r"url\('([^']*)'", body)
                                                   if text.image_url(u)]
    picks = re.findall(r'<a class="mtm-pick" href="([^"]*)"', body)      # a search result choosing itself
    assert all(u.startswith("?") and "pick=" in u and not re.search(r"[<>\"'\s]", u) for u in picks), picks
    assert all(text.spotify_link(u) for u in re.findall(r'<a href="([^"]*)"', body))
    assert all(text.image_url(u) for u in re.findall(r'<img[^>]*src="(http[^"]*)"', body))
    for frame in (d.value for d in at.dataframe):
        for column in ("spotify", "spotify_url"):
            if column in frame.columns:
                assert all(text.spotify_link(u) for u in frame[column].dropna()), frame[column].tolist()
        if "image" in frame.columns:
            assert all(text.image_url(u) for u in frame["image"].dropna()), frame["image"].tolist()
    return markdown_texts(at)


@pytest.fixture
def hostile_url(hostile_db, monkeypatch):
    return use_database(monkeypatch, hostile_db)


def run(page: str, query_params: dict | None = None, state: dict | None = None) -> AppTest:
    return run_page(page, query_params, state, timeout=120)


def shows(texts, name: str) -> bool:
    """Whether a markdown text shows `name` (escaped, as ui.text.literal writes it)."""
    return any(text.literal(name) in value for _, _, value in texts)


def test_overview_shows_hostile_names_literally(hostile_url):
    at = run(os.path.join(ROOT, "dashboard.py"))
    check_page(at)
    names = set(at.dataframe[0].value["name"])
    assert data.BOLD in names, "the overview lists the hostile tracks (as text cells)"


HISTORY_SECTIONS = ["Rank over time", "Currently obsessed", "Forgotten gems", "Musical evolution",
                    "What the tracks are like"]


@pytest.mark.parametrize("query_params, state", [
    *[({}, {"section": section}) for section in HISTORY_SECTIONS],
    ({}, {"bump_mode": "Artists"}), ({"artist": data.LINK}, None), ({"artist": data.BOLD}, None),
], ids=[*HISTORY_SECTIONS, "artists", "url-artist", "url-unknown-artist"])
def test_history_shows_hostile_names_literally(hostile_url, query_params, state):
    at = run(os.path.join(PAGES, "history.py"), query_params, state)
    check_page(at)
    if state and state.get("section") == "Currently obsessed":      # a ranked list: one HTML table
        assert data.BOLD in set(html_tables(at)[0]["Track"]), "hostile names read as typed"
    if state and state.get("section") == "Forgotten gems":
        gems = [d.value for d in at.dataframe if "days_since" in d.value.columns]
        assert gems and data.COMMAND in set(gems[0]["name"])          # the forgotten gem, its link dropped
        assert gems[0]["spotify_url"].isna().all()


@pytest.mark.parametrize("section", SECTIONS)
def test_plays_sections_show_hostile_names_literally(hostile_url, section):
    at = open_data(run(os.path.join(PAGES, "plays.py"), {"tz": "UTC"}, {"section": section}))   # expanders' tables too
    texts = check_page(at)
    if section in ("Top lists", "Forgotten gems"):                   # a ranked list: one HTML table
        assert {t[1] for t in data.TRACKS} & set(html_tables(at)[0]["Track"]), "hostile names read as typed"
    if section == "On this day":                                     # short lists: one HTML element
        lines = [line for lines in list_blocks(at).values() for line in lines]
        assert any(line.startswith(plays_view.label(t[1], t[2]) + " · ") for t in data.TRACKS for line in lines), \
            "hostile names read as typed"
    if section == "Discovery":
        artist = at.selectbox(key="plays_first_artist").value
        assert artist in {t[2] for t in data.TRACKS}
        assert shows(texts, artist), "the First and last listen line names the artist, escaped"
        assert [t for t in texts if "first played" in t[2] and "**" + text.literal(artist) + "**" in t[2]]


def test_plays_discovery_of_every_hostile_artist_is_literal(hostile_url):
    at = run(os.path.join(PAGES, "plays.py"), {"tz": "UTC"}, {"section": "Discovery", "data-plays_first_last": True})
    for artist in at.selectbox(key="plays_first_artist").options:
        at.selectbox(key="plays_first_artist").set_value(artist).run()
        texts = check_page(open_data(at))
        line = shown(next(v for _, _, v in texts if "first played" in v)).replace(text.WORD_JOINER, "")
        assert line.startswith(f"**{artist}**: first played")


@pytest.mark.parametrize("scope", ["library", "plays"])
@pytest.mark.parametrize("query", ["bold", "click", "heading", "hyperlink", "calc"])
def test_search_shows_hostile_names_literally(hostile_url, scope, query):
    at = run(os.path.join(PAGES, "search.py"), {"q": query, "scope": scope})
    check_page(at)
    body = html_bodies(at)
    assert body, "results are listed"
    assert "url('" not in body, "every album image is on a foreign host: grey tiles only"
    if scope == "library":
        assert "<a href=" not in body, "every Spotify link of the library is javascript:, data: or foreign"
    else:   # plays link to the Spotify URI of the export (spotify:track:... -> open.spotify.com)
        assert set(re.findall(r'href="https://([^/"]*)/', body)) <= {"open.spotify.com"}
    # the Table tab and the chosen result's history are built only when asked for: ask for both
    open_table_tab(at)
    pick_result(at, "search-pick" if scope == "library" else "plays-pick")
    check_page(at)


def test_search_library_table_drops_foreign_images_and_links(hostile_url):
    at = run(os.path.join(PAGES, "search.py"), {"q": "bold", "scope": "library"}, {"search-view": "Table"})
    table = next(d.value for d in at.dataframe if "artist_name" in d.value.columns)
    assert table["image"].isna().all() and table["spotify"].isna().all()
    assert data.BOLD in set(table["name"])


@pytest.mark.parametrize("query_params, state", [
    ({}, {"payload_q": "bold"}), ({}, {"payload_q": "h_link"}),
    ({"source": "plays"}, {"plays_payload_q": "bold"}), ({"source": "plays"}, {"plays_payload_q": "click"}),
    ({}, {"tracks_path": "hostile.link", "tracks_path_mode": "Type a path"}),
], ids=["track-bold", "track-id", "play-bold", "play-click", "values"])
def test_explorer_shows_hostile_names_literally(hostile_url, query_params, state):
    at = run(os.path.join(PAGES, "explorer.py"), query_params, state)
    texts = check_page(at)
    if "payload_q" in state:
        assert at.get("json"), "the payload is shown"
        assert any(text.literal(n) in v for n in data.NAMES for _, _, v in texts), "the heading names it, escaped"


def test_admin_shows_hostile_file_name_and_messages_literally(empty_url, monkeypatch, tmp_path):
    from ui import auth

    monkeypatch.setenv("ADMIN_PASSWORD", "pw")
    monkeypatch.setattr(auth, "exposure", lambda: None)        # import by path on, confined to tmp_path
    monkeypatch.setenv("MTM_IMPORT_DIR", str(tmp_path))
    name = f"{data.BOLD.replace('/', '_')}.db"
    data.build_sqlite(tmp_path / name)
    at = AppTest.from_file(os.path.join(PAGES, "admin.py"), default_timeout=120).run()
    at.text_input(key="admin_password_input").set_value("pw")
    at.button[0].click().run()
    at.text_input(key="admin_import_path").set_value(name)
    at.button(key="admin_import_path_go").click().run()
    texts = check_page(at)
    assert any("Report" in v and text.literal(name) in v for _, _, v in texts), \
        [v for _, _, v in texts if "Report" in v]
    at.text_input(key="admin_import_path").set_value(f"{data.LINK.replace('/', '_')}.db")
    at.button(key="admin_import_path_go").click().run()
    check_page(at)
    assert at.error, "a missing file is an error, its name shown literally"


PAGES_CHECKED = {"admin.py", "explorer.py", "history.py", "plays.py", "search.py"}   # by the tests above


def test_every_page_file_is_checked_with_hostile_names():
    assert {f for f in os.listdir(PAGES) if f.endswith(".py")} == PAGES_CHECKED


def test_every_csv_download_goes_through_download_csv():
    """No page writes a CSV of its own: download_csv is where formulas are neutralised."""
    sources = [os.path.join(ROOT, "dashboard.py")] + [os.path.join(d, f) for d in (PAGES, os.path.join(ROOT, "ui"))
                                                       for f in os.listdir(d) if f.endswith(".py")]
    offenders = []
    for path in sources:
        with open(path, encoding="utf-8") as fh:
            code = fh.read()
        if path.endswith(os.path.join("ui", "common.py")):
            continue
        if re.search(r"\.to_csv\(|download_button\(|\bcsv\.writer\(", code):
            offenders.append(os.path.relpath(path, ROOT))
    assert offenders == []


def test_plays_csv_downloads_carry_no_formula(hostile_url, monkeypatch):
    """The bytes a Download CSV button serves (Plays -> Top lists, tracks by hostile names): every
    formula name is prefixed with a quote, the numbers are numbers. The file is made on the click
    (a deferred download): the test runs what the click runs."""
    import streamlit.testing.v1.app_test as app_test
    from streamlit.runtime.media_file_manager import MediaFileManager

    managers = []

    class Recorded(MediaFileManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            managers.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", Recorded)
    at = run(os.path.join(PAGES, "plays.py"), {"tz": "UTC"}, {"section": "Top lists"})
    check_page(at)
    served = []
    for button in at.download_button:
        assert button.proto.deferred_file_id and not button.proto.url        # nothing made before the click
        for manager in managers:
            if button.proto.deferred_file_id in manager._deferred_callables:
                url = manager.execute_deferred(button.proto.deferred_file_id)
                served.append(manager._storage.get_file(url.rsplit("/", 1)[-1].split(".")[0]).content)
    rows = [r for body in served for r in csv.reader(io.StringIO(body.decode("utf-8"), newline=""))]
    cells = [c for r in rows for c in r]
    assert "'" + data.FORMULA in cells and "'" + data.COMMAND in cells
    assert not [c for c in cells if c.startswith(text.CSV_FORMULA_START) and not re.fullmatch(r"-?[\d.]+", c)]


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "**bold** $x$",
                                     "=HYPERLINK(\"https://evil.test\")", "a & b < c", "</td></tr></table><b>x",
                                     "</style><style>*{display:none}"])
def test_static_tables_show_their_text_literally(hostile):
    """ui.tables.table_html draws a ranked list (Top lists) as one HTML table: every name and header
    is escaped, so it reads as typed and adds no element; a link column links only to Spotify."""
    from types import SimpleNamespace

    from tests.helpers import html_tables

    df = pd.DataFrame({"rank": [1, 2], "name": [hostile, "B"], "artist": ["A", hostile], "plays": [9, 1],
                       "spotify": ["javascript:alert(1)", "https://open.spotify.com/track/x"]})
    body = tables.table_html(df, headers={"artist": hostile}, kinds={"plays": "bar"})
    assert "<script" not in body and "<img" not in body and "<b>" not in body and "javascript:" not in body
    assert body.count("<tr>") == 3 and body.count("<td") == 10 and body.count("<style>") == 1
    assert body.count("<a ") == 1 and 'href="https://open.spotify.com/track/x"' in body
    at = SimpleNamespace(get=lambda kind: [SimpleNamespace(proto=SimpleNamespace(body=body))] if kind == "html" else [])
    shown = html_tables(at)[0]
    assert list(shown.columns) == ["Rank", "Name", hostile, "Plays", "Spotify"]
    assert shown["Name"].tolist() == [hostile, "B"] and shown[hostile].tolist() == ["A", hostile]
    assert shown["Spotify"].tolist() == ["", "Open ↗"]


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "**bold** $x$",
                                     "=HYPERLINK(\"https://evil.test\")", "a & b < c", "</div><div>"])
def test_short_lists_show_their_text_literally(hostile):
    """ui.common.lists draws titles and lines as HTML (one st.html, Year in review's top fives): each
    is escaped, so it reads as typed and adds no element; the tests read them back (helpers.list_blocks)."""
    from types import SimpleNamespace

    from tests.helpers import list_blocks

    body = common.lists_html([(hostile, [f"1. {hostile} · 9 plays", "2. B · 1 play"]), ("Top albums", ["None."])])
    assert "<script" not in body and "<img" not in body
    assert body.count("<div") == body.count("</div>") == 1 + 2 * 2 + 3, "one grid, two lists, three lines"
    at = SimpleNamespace(get=lambda kind: [SimpleNamespace(proto=SimpleNamespace(body=body))] if kind == "html" else [])
    assert list_blocks(at) == {hostile: [f"1. {hostile} · 9 plays", "2. B · 1 play"], "Top albums": ["None."]}


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "**bold** $x$",
                                     "=HYPERLINK(\"https://evil.test\")", "a & b < c"])
def test_headline_figures_show_their_text_literally(hostile):
    """ui.common.figures draws label, value and detail as HTML (one st.html): each is escaped, so
    it reads as typed and adds no element or attribute; the tests read them back (helpers.figure_list)."""
    from types import SimpleNamespace

    from tests.helpers import figure_list

    body = common.figures_html([(hostile, hostile, hostile), ("Plays", "1,234")], columns=2)
    assert "<script" not in body and "<img" not in body
    assert body.count("<div") == body.count("</div>") == 1 + 4 + 3, "one grid, two figures, no extra element"
    assert "ellipsis" not in body and "overflow:hidden" not in body, "a value is never cut off (it wraps)"
    at = SimpleNamespace(get=lambda kind: [SimpleNamespace(proto=SimpleNamespace(body=body))] if kind == "html" else [])
    assert figure_list(at) == [(hostile, hostile, hostile), ("Plays", "1,234", None)]
