"""The Search page, driven through its widgets with AppTest: typing, results, rank history, hostile
input, the URL and the empty database."""
from __future__ import annotations

import json
import os

import pytest
from streamlit.testing.v1 import AppTest

from db import search
from tests.helpers import ROOT, html_bodies, make_sqlite, open_table_tab, page_texts, pick_result, vega_lite_errors
from ui import common
from ui import search_view as view

PAGE = os.path.join(ROOT, "app_pages", "search.py")


def app(query: str | None = None, url_q: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    if url_q is not None:
        at.query_params["q"] = url_q
    at.run()
    assert not at.exception, at.exception
    if query is not None:
        at.text_input[0].input(query).run()
        assert not at.exception, at.exception
    return at


def results_table(at: AppTest):
    open_table_tab(at)
    frames = [d.value for d in at.dataframe if "artist_name" in d.value.columns]
    assert frames, "no results table"
    return frames[0]


def charts(at: AppTest) -> list[dict]:
    drawn = at.get("vega_lite_chart")
    assert [vega_lite_errors(c) for c in drawn] == [[]] * len(drawn)
    return [json.loads(c.proto.spec) for c in drawn]


def test_search_page_query_box_is_the_first_text_input(demo_url):
    at = app()
    assert at.text_input[0].label == "Search tracks, artists and albums"
    assert "Type to search" in page_texts(at)


def test_search_page_finds_beyonce_when_typing_beyonce(demo_url):
    at = app("beyonce")
    table = results_table(at)
    assert "Beyoncé" in set(table["artist_name"])
    assert '<mark style="' + view.MARK_STYLE + '">Beyoncé</mark>' in html_bodies(at)


def test_search_page_shows_result_count_and_query_time(demo_url):
    at = app("kickst")
    caption = next(c.value for c in at.caption if " ms" in c.value)
    assert caption.startswith("1 result in ")
    assert "Kickstart My Heart" in set(results_table(at)["name"])


def test_search_page_shows_year_spotify_link_and_album_image(demo_url):
    at = app("kickstart my heart")
    row = results_table(at).iloc[0]
    assert row["name"] == "Kickstart My Heart" and row["year"] == 1989
    assert row["spotify"].startswith("https://open.spotify.com/track/")
    assert row["image"].startswith("https://i.scdn.co/image/")
    body = html_bodies(at)
    assert 'href="https://open.spotify.com/track/' in body and "url('https://i.scdn.co/image/" in body


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://x.test/a') ; background: url('https://evil",
                                 'https://x.test/"><script>', "data:image/png;base64,AAAA", None, 42, ""])
def test_album_tile_keeps_unsafe_urls_out_of_the_css(url):
    tile = view.album_tile(url)
    assert "url(" not in tile and "<script" not in tile and tile.startswith("<div") and tile.count("<div") == 1


def test_search_page_finds_misspelt_artist_and_says_it_is_a_similar_spelling(demo_url):
    at = app("radiohaed")
    assert "Radiohead" in set(results_table(at)["artist_name"])
    assert "similar spelling" in page_texts(at)


def test_search_page_shows_rank_history_of_the_chosen_result(demo_url):
    at = app("heart")
    box = at.selectbox(key="search-pick")
    assert box.value is None and not charts(at), "no history drawn while typing: one is chosen first"
    assert box.placeholder == "Choose a result to see its history"
    first, second = at.session_state["search-ids"][:2]
    pick_result(at)
    assert at.selectbox(key="search-pick").value == first and charts(at)
    box = at.selectbox(key="search-pick")
    second_label = box.options[1]
    box.select(second).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="search-pick").value == second
    spec = charts(at)[0]
    assert json.dumps(second_label, ensure_ascii=False)[1:-1] in json.dumps(spec.get("title"), ensure_ascii=False)
    assert spec["encoding"]["y"]["scale"]["reverse"] is True
    assert any("Best rank" in d.value.columns for d in at.dataframe)


def test_search_page_no_match_is_a_friendly_message_with_suggestions(demo_url):
    at = app("qzxjvkw")
    assert [i.value for i in at.info] and "No track matches" in at.info[0].value
    assert "first few letters" in at.info[0].value
    assert not at.get("html")


# (A lone surrogate cannot reach the page: the browser protocol is UTF-8. The query builder's own
# tests cover it.)
@pytest.mark.parametrize("text", [
    '"', "\\", "%", "_", "' OR 1=1 --", "'; drop table tracks; --", "a\x00b", "x" * 5000, " " * 50, "-love",
    ":*", "(((", "!!!", "&|!", "<script>alert(1)</script>", "**bold** $x$ :red[y]", "🎸", "ليلة", '"unterminated',
    "OR", "a:* & !b", "\u202egnp.exe",
], ids=lambda t: repr(t[:20]))
def test_search_page_survives_hostile_input_with_results_or_a_friendly_message(demo_url, text):
    at = app(text)
    friendly = [i.value for i in at.info] + [c.value for c in at.caption]
    assert at.get("html") or any(("No track matches" in m) or ("Nothing to search for" in m) or
                                 ("Type to search" in m) for m in friendly)


def test_search_page_says_long_input_is_cut(demo_url):
    at = app("radiohead " * 600)
    assert f"Only the first {search.MAX_QUERY_CHARS} characters are searched." in page_texts(at)


def test_search_page_reads_the_query_from_the_url(demo_url):
    at = app(url_q="sigur ros")
    assert at.text_input[0].value == "sigur ros"
    assert "Sigur Rós" in set(results_table(at)["artist_name"])


def test_search_page_on_an_empty_database_shows_the_empty_state(empty_url):
    at = app()
    assert [i.value for i in at.info] == [common.EMPTY_HINT]
    assert len(at.text_input) == 0


@pytest.fixture
def hostile_names_url(db_url, tmp_path):
    from migrate.sqlite_import import import_sqlite

    raw = {"album": {"images": [{"url": "javascript:alert(1)", "width": 1}], "release_date": "2020"},
           "external_urls": {"spotify": "javascript:alert(2)"}}
    rows = [("h1", "<script>alert(1)</script>", "**bold** $x$", "<b>Album</b>", 1000, None, json.dumps(raw)),
            ("h2", "Plain Song", "Nobody", None, 1000, None, "{}")]
    import_sqlite(make_sqlite(tmp_path / "hostile.db", rows, [("h2", "2024-01-01", "short_term", 1)]), db_url)
    import streamlit as st

    st.cache_data.clear()
    return db_url


def test_search_page_shows_hostile_track_names_literally(hostile_names_url):
    at = app("script")
    body = html_bodies(at)
    assert "&lt;" in body and "<script" not in body and "<b>Album" not in body
    assert "javascript:" not in body
    assert "**bold** $x$" in body
    table = results_table(at)
    assert table.iloc[0]["name"] == "<script>alert(1)</script>"
    assert table.iloc[0]["spotify"] is None and table.iloc[0]["image"] is None
    assert "not been in any snapshot" in page_texts(at)


def test_search_page_history_of_a_charted_track(hostile_names_url):
    at = app("plain song")
    assert charts(at)
