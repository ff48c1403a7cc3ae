"""The raw_json explorer page (app_pages/explorer.py) driven through its widgets, and its chart builders."""
from __future__ import annotations

import json
import os
import re
from decimal import Decimal

import altair as alt
import pandas as pd
import psycopg2
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT, pg_rows, vega_lite_errors
from ui import common
from ui import explorer_view as view

PAGE = os.path.join(ROOT, "app_pages", "explorer.py")
SUBHEADERS = ["Key paths", "Values at a path", "Filter tracks", "One track's payload"]


def run(query_params: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(text: str) -> str:
    """Markdown as the reader sees it: the page escapes user text (ui.explorer_view.md)."""
    return re.sub(r"\\(.)", r"\1", text)


def texts(at: AppTest, *kinds: str) -> str:
    kinds = kinds or ("markdown", "caption", "info", "error", "warning", "code")
    return "\n".join(shown(str(e.value)) if kind != "code" else str(e.value) for kind in kinds
                     for e in getattr(at, kind))


def errors(at: AppTest) -> str:
    return "\n".join(shown(e.value) for e in at.error)


def frame(at: AppTest, *columns: str) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert frames, f"no dataframe with columns {columns}"
    return frames[0]


def charts(at: AppTest) -> list:
    drawn = at.get("vega_lite_chart")
    assert [vega_lite_errors(c) for c in drawn] == [[]] * len(drawn)
    return drawn


def chart_data(chart) -> pd.DataFrame:
    return pd.concat([pa.ipc.open_stream(ds.data.data).read_all().to_pandas() for ds in chart.proto.datasets])


def type_path(at: AppTest, text: str) -> AppTest:
    at.segmented_control(key="path_mode").set_value("Type a path").run()
    at.text_input(key="path").set_value(text).run()
    return ok(at)


def containment(at: AppTest, text: str) -> AppTest:
    at.text_input(key="containment").set_value(text).run()
    return ok(at)


def jsonpath(at: AppTest, text: str, operator: str = "Auto") -> AppTest:
    at.segmented_control(key="filter_mode").set_value("JSONPath (@@ / @?)").run()
    at.selectbox(key="jsonpath_operator").set_value(operator)
    at.text_input(key="jsonpath").set_value(text).run()
    return ok(at)


def demo_ids(url: str, where: str) -> set[str]:
    return {r[0] for r in pg_rows(url, f"select track_id from tracks where {where}")}


# ---------------------------------------------------------------------------------------------
# Inventory


def test_page_lists_every_key_path_of_the_demo_payloads(demo_url):
    at = run()
    assert [s.value for s in at.subheader] == SUBHEADERS
    inv = frame(at, "path", "types", "tracks")
    paths = dict(zip(inv["path"], inv["types"]))
    assert paths["album.images[*].url"] == "string"
    assert paths["available_markets[*]"] == "string"
    assert paths["preview_url"] == "null, string"
    assert paths["artists[*]"] == "object"
    total = pg_rows(demo_url, "select count(*) from tracks")[0][0]
    assert f"from all {total:,} tracks" in texts(at, "caption")
    assert int(inv.set_index("path").at["name", "tracks"]) == total
    assert any(b.label == "Download CSV" for b in at.download_button)


def test_inventory_filter_keeps_the_paths_containing_the_text(demo_url):
    at = run()
    at.text_input(key="inventory_filter").set_value("IMAGES").run()
    paths = frame(ok(at), "path", "types")["path"].tolist()
    assert paths == ["album.images", "album.images[*]", "album.images[*].height", "album.images[*].url",
                     "album.images[*].width"]


@pytest.mark.parametrize("text", ["%", "_", "'; drop table tracks; --", "x" * 5000, "🎧", "שלום"])
def test_inventory_filter_takes_hostile_text_without_error(demo_url, text):
    at = run()
    at.text_input(key="inventory_filter").set_value(text).run()
    ok(at)
    shown = [d.value for d in at.dataframe if "types" in d.value.columns]
    if text == "_":                                           # literally: album_type, ...
        assert shown and all("_" in p for p in shown[0]["path"])
    elif len(text) > 300:
        assert "characters long" in errors(at)
    else:
        assert not shown and "No key path contains" in texts(at, "caption")


def test_inventory_filter_refuses_nul(demo_url):
    at = run()
    at.text_input(key="inventory_filter").set_value("al\x00bum").run()
    assert "NUL" in errors(ok(at))


# ---------------------------------------------------------------------------------------------
# Values at a path


def test_picking_a_path_shows_its_top_values_as_a_chart_and_a_table(demo_url):
    at = run()
    at.selectbox(key="path_pick").set_value("album.album_type").run()
    ok(at)
    expected = dict(pg_rows(demo_url, "select raw_json->'album'->>'album_type', count(*) from tracks group by 1"))
    values = frame(at, "value", "type", "count", "share")
    assert dict(zip(values["value"], values["count"])) == expected
    assert set(values["type"]) == {"string"}
    assert abs(values["share"].sum() - 1) < 0.001
    (chart,) = charts(at)                          # strings only: no histogram
    assert set(chart_data(chart)["value"]) == set(expected)
    assert "$.album.album_type" in str(json.loads(chart.proto.spec)["title"])
    assert "Computed live from all" in texts(at, "caption")


def test_numbers_get_a_histogram_too(demo_url):
    at = run()
    assert at.selectbox(key="path_pick").value == "popularity"     # the default
    assert len(charts(at)) == 2
    (hist,) = [chart_data(c) for c in charts(at) if "bin_start" in chart_data(c).columns]
    assert hist["count"].sum() == pg_rows(demo_url, "select count(*) from tracks where raw_json ? 'popularity'")[0][0]


def test_a_typed_path_with_array_steps_shows_values_under_arrays(demo_url):
    at = type_path(run(), "album.images[*].width")
    values = frame(at, "value", "count")
    assert set(values["value"]) == {"640", "300", "64"}
    assert "$.album.images[*].width" in texts(at, "code")


def test_a_path_in_the_url_is_shown_directly(demo_url):
    at = run({"path": "explicit"})
    assert at.segmented_control(key="path_mode").value == "Type a path"
    values = frame(at, "value", "count")
    assert set(values["value"]) == {"true", "false"}
    assert int(values.set_index("value").at["true", "count"]) == len(demo_ids(demo_url, "raw_json @> '{\"explicit\": true}'"))


def test_a_path_nobody_has_says_so(demo_url):
    at = type_path(run(), 'album."no such key"[*]')
    assert "No sampled track has a value at" in texts(at, "info")


@pytest.mark.parametrize("text,fragment", [
    ("album name", "Quote keys"),
    ('album."unclosed', "never closed"),
    ("album[", "array step"),
    ("album.\x00", "NUL"),
    ('album."\\u0000"', "NUL"),
    ("a" * 5000, "5,000 characters"),
    ("'; drop table tracks; --", "cannot start a key"),
    ("$.popularity > 80", "expected '.' or '['"),
    ("$", "only '$'"),
])
def test_bad_typed_paths_get_a_friendly_message(demo_url, text, fragment):
    at = type_path(run(), text)
    assert fragment in errors(at)
    assert [s.value for s in at.subheader] == SUBHEADERS      # the rest of the page still renders


# ---------------------------------------------------------------------------------------------
# Filters


def test_containment_lists_the_tracks_containing_the_json_and_shows_the_sql(demo_url):
    at = containment(run(), '{"explicit": true}')
    matches = frame(at, "name", "artist_name", "album_name", "track_id")
    assert set(matches["track_id"]) == demo_ids(demo_url, "(raw_json->>'explicit')::boolean")
    assert f"{len(matches):,} matching tracks." in texts(at, "caption")
    code = texts(at, "code")
    assert "raw_json @> cast(:doc as jsonb)" in code
    assert json.loads(at.code[-1].value) == {"doc": '{"explicit": true}', "limit": 1001}
    assert any(b.label == "Download CSV" for b in at.download_button)


def test_nested_containment_matches_inside_arrays(demo_url):
    artist = pg_rows(demo_url, "select artist_name from tracks order by track_id limit 1")[0][0]
    at = containment(run(), json.dumps({"artists": [{"name": artist}]}, ensure_ascii=False))
    got = set(frame(at, "track_id")["track_id"])
    expected = {r[0] for r in pg_rows(demo_url, "select track_id from tracks where exists (select 1 from "
                                                "jsonb_array_elements(raw_json->'artists') a where a->>'name' = %s)",
                                      (artist,))}
    assert got == expected and got


@pytest.mark.parametrize("text,fragment", [
    ('{"explicit": tru', "not valid JSON"),
    ("{'explicit': true}", "double quotes"),
    ('"explicit"', "this is a JSON string"),
    ("42", "this is a JSON number"),
    ('{"a": NaN}', "NaN is not JSON"),
    ('{"a": "\\u0000"}', "NUL"),
    ('{"a": "\\udc00"}', "surrogate"),
    ("[" * 3000 + "]" * 3000, "nested more than"),
    ('{"a": "' + "x" * 25_000 + '"}', "characters long"),
    ("'; drop table tracks; --", "not valid JSON"),
    ("{\"a\":\x00}", "NUL"),
])
def test_invalid_containment_json_is_explained(demo_url, text, fragment):
    at = containment(run(), text)
    assert fragment in errors(at)
    assert not [d for d in at.dataframe if "track_id" in d.value.columns and "album_name" in d.value.columns]


def test_jsonpath_predicate_filters_tracks_with_the_match_operator(demo_url):
    at = jsonpath(run(), "$.popularity > 80")
    got = set(frame(at, "track_id", "album_name")["track_id"])
    assert got == demo_ids(demo_url, "(raw_json->>'popularity')::int > 80") and got
    assert "raw_json @@ cast(:jsonpath as jsonpath)" in texts(at, "code")


def test_jsonpath_with_a_filter_uses_the_exists_operator(demo_url):
    at = jsonpath(run(), "$.album ? (@.album_type == \"single\")")
    got = set(frame(at, "track_id", "album_name")["track_id"])
    assert got == demo_ids(demo_url, "raw_json->'album'->>'album_type' = 'single'") and got
    assert "raw_json @? cast(:jsonpath as jsonpath)" in texts(at, "code")


def test_jsonpath_like_regex_on_release_dates(demo_url):
    at = jsonpath(run(), '$.album.release_date like_regex "^199"')
    got = set(frame(at, "track_id", "album_name")["track_id"])
    assert got == demo_ids(demo_url, "raw_json->'album'->>'release_date' like '199%'")


def test_the_operator_can_be_forced(demo_url):
    at = jsonpath(run(), "$.album.images[*] ? (@.width == 640)", operator="Predicate (@@)")
    assert "raw_json @@ cast(:jsonpath as jsonpath)" in texts(at, "code")
    assert "No track matches." in texts(at, "caption")     # a path is no predicate: @@ finds nothing


@pytest.mark.parametrize("text,fragment", [
    ("$.popularity >", "not valid: syntax error"),
    ("'; drop table tracks; --", "not valid: syntax error"),
    ('$.name like_regex "("', "invalid regular expression"),
    ('$.name == "\\u0000"', "unsupported Unicode escape"),
    ("$.name == \x00", "NUL"),
    ("$" + ".a" * 2000, "characters long"),
    ("select * from tracks where true", "not valid"),
])
def test_invalid_jsonpath_is_explained(demo_url, text, fragment):
    at = jsonpath(run(), text)
    assert fragment in errors(at)
    assert [s.value for s in at.subheader] == SUBHEADERS


# ---------------------------------------------------------------------------------------------
# Payloads


def test_a_filtered_track_shows_its_whole_payload(demo_url):
    at = containment(run(), '{"explicit": true}')
    first = frame(at, "track_id", "album_name")["track_id"].iloc[0]
    at.selectbox(key="payload_pick").set_value(first).run()
    ok(at)
    (shown,) = at.json
    payload = json.loads(shown.value)
    assert payload["explicit"] is True
    assert payload == pg_rows(demo_url, "select raw_json from tracks where track_id = %s", (first,))[0][0]


def test_a_typed_track_id_shows_its_payload(demo_url):
    tid = pg_rows(demo_url, "select track_id from tracks order by track_id limit 1")[0][0]
    at = run()
    at.text_input(key="payload_q").set_value(tid).run()
    ok(at)
    assert json.loads(at.json[0].value) == pg_rows(demo_url, "select raw_json from tracks where track_id = %s",
                                                   (tid,))[0][0]


def test_a_typed_name_offers_the_matching_tracks(demo_url):
    at = run()
    at.text_input(key="payload_q").set_value("björk").run()
    ok(at)
    found = at.selectbox(key="payload_found")
    assert len(found.options) > 1 and all("Björk" in o for o in found.options)
    assert len(at.json) == 1


@pytest.mark.parametrize("text", ["%", "_", "\\", "'; drop table tracks; --", "x" * 300, "🎧"])
def test_typed_lookups_take_hostile_text(demo_url, text):
    at = run()
    at.text_input(key="payload_q").set_value(text).run()
    ok(at)
    assert "No track has the ID" in texts(at, "caption") and not at.json


def test_typed_lookup_refuses_nul_and_overlong_text(demo_url):
    at = run()
    at.text_input(key="payload_q").set_value("a\x00b").run()
    assert "NUL" in errors(ok(at))
    at.text_input(key="payload_q").set_value("x" * 5000).run()
    assert "characters long" in errors(ok(at))


# ---------------------------------------------------------------------------------------------
# Empty, not yet computed, too slow


def test_empty_database_shows_the_empty_state(empty_url):
    at = run()
    assert common.EMPTY_HINT in texts(at, "info")
    assert not at.subheader and not at.dataframe


def insert_generated(url: str, n: int) -> None:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("""insert into tracks (track_id, name, artist_name, raw_json)
                       select 'g' || g, 'Song ' || g, 'Artist', jsonb_build_object('i', g, 'tags', jsonb_build_array('x', g))
                       from generate_series(1, %s) g""", (n,))
    conn.close()


def test_tracks_imported_before_the_inventory_existed_still_explore(empty_url):
    insert_generated(empty_url, 30)
    at = run()
    assert "No key-path inventory yet" in texts(at, "info")
    assert at.segmented_control(key="path_mode").value == "Type a path"
    at.text_input(key="path").set_value("tags[*]").run()
    values = frame(ok(at), "value", "count")
    assert int(values.set_index("value").at["x", "count"]) == 30


def test_a_query_past_the_time_limit_is_cancelled_and_explained(empty_url, monkeypatch):
    insert_generated(empty_url, 20_000)
    monkeypatch.setenv("MTM_EXPLORER_TIMEOUT_MS", "1")
    at = jsonpath(run(), '$.** ? (@ like_regex "z+y+x+w")')
    assert "took longer than the time limit" in errors(at)
    assert [s.value for s in at.subheader] == SUBHEADERS
    monkeypatch.setenv("MTM_EXPLORER_TIMEOUT_MS", "5000")
    at = jsonpath(at, '$.i == 7')
    assert frame(at, "track_id", "album_name")["track_id"].tolist() == ["g7"]


# ---------------------------------------------------------------------------------------------
# ui.explorer_view without Streamlit


def test_inventory_caption_says_when_it_is_a_sample():
    assert "a sample of 5,000 of 100,000 tracks" in view.inventory_caption({"scanned": 5000, "total": 100_000})
    assert "from all 600 tracks" in view.inventory_caption({"scanned": 600, "total": 600})
    assert "not been computed" in view.inventory_caption({"scanned": None, "total": None})


def test_top_values_chart_lists_values_most_frequent_first_with_unique_labels():
    df = pd.DataFrame({"value": ["a" * 100 + "1", "a" * 100 + "2", "", "b"], "type": ["string"] * 4,
                       "count": [5, 4, 3, 1], "share": [Decimal("0.3846"), Decimal("0.3077"), Decimal("0.2308"),
                                                        Decimal("0.0769")], "tracks": [5, 4, 3, 1]})
    chart = view.top_values_chart(df)
    assert isinstance(chart, alt.Chart)
    spec = chart.to_dict()
    labels = spec["encoding"]["y"]["sort"]
    assert len(labels) == len(set(labels)) == 4 and labels[2] == "(empty string)"
    assert all(len(label) <= view.LABEL_CHARS + 3 for label in labels)
    assert spec["encoding"]["x"]["field"] == "count"


def test_histogram_chart_drops_bins_beyond_float_range():
    df = pd.DataFrame({"bin": [1, 2], "bin_start": [Decimal(1), Decimal("1e400")],
                       "bin_end": [Decimal(2), Decimal("1e401")], "count": [3, 1]})
    assert view.histogram_frame(df).to_dict("records") == [{"bin_start": 1.0, "bin_end": 2.0, "count": 3}]
    spec = view.histogram_chart(df).to_dict()
    assert spec["encoding"]["x2"]["field"] == "bin_end"


@pytest.mark.parametrize("text", ["a*b_c", "$x$", ":smile:", "[l](u)", "<b>&amp;", "back\\slash", "# h", "`code`",
                                  "line\nbreak", "🎧 שלום"])
def test_markdown_escaping_shows_text_literally(text):
    escaped = view.md(text)
    assert shown(escaped) == " ".join(text.split())
    assert not re.search(r"(?<!\\)[*_$`\[<&:#]", escaped)


def test_generated_sql_is_the_named_query_text():
    sql = view.generated_sql("explorer_filter_containment")
    assert "raw_json @> cast(:doc as jsonb)" in sql and sql.startswith("-- name: explorer_filter_containment")
    assert json.loads(view.bound_values({"doc": '{"é": 1}', "limit": 3})) == {"doc": '{"é": 1}', "limit": 3}
