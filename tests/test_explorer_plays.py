"""The raw_json explorer over plays (source "Plays"): the plays inventory and its sample, value
distributions, containment and JSONPath filters, one play's payload (db/sql/explorer.sql), and the
page (app_pages/explorer.py) driven through its widgets.

The data: a few tracks (so the page offers both sources), the demo Spotify export with the edge plays
of tests/plays_data.py, and a file of odd records (unknown nested fields, arrays, keys that need
quoting), imported by the real importer. Everything is checked against a plain Python computation
over the records as stored in plays.raw_json.
"""
from __future__ import annotations

import collections
import datetime as dt
import json
import os
import re

import pandas as pd
import psycopg2
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from db import engine, jsonpaths, queries
from db.refresh import run as refresh_rollups
from migrate.api import run_import
from tests import plays_data as data
from tests.helpers import ROOT, create_database, drop_database, make_sqlite, pg_rows
from ui import explorer_view as view

PAGE = os.path.join(ROOT, "app_pages", "explorer.py")
TRACK_SUBHEADERS = ["Key paths", "Values at a path", "Filter tracks", "One track's payload"]
PLAY_SUBHEADERS = ["Key paths", "Values at a path", "Filter plays", "One play's payload"]
ODD_FILE = "Streaming_History_Audio_2025_odd.json"
ITEM_KEY = "md5(coalesce(uri, coalesce(artist, '') || E'\\x1f' || coalesce(track, '')))::uuid::text"


def odd_records() -> list[dict]:
    """Extended-history records with fields Spotify might add: nested objects, arrays of mixed
    scalars, of objects and of arrays, an empty array, keys that need quoting."""
    at = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    out = []
    for i in range(6):
        rec = data.record(at + dt.timedelta(minutes=7 * i), 150_000 + i, f"Odd song {i}", "Odd Artist")
        rec["future_field"] = {"labels": [1, "two", None] if i % 2 else [], "nested": {"level": i}}
        if i < 3:
            rec["weird key"] = {'q"uote': i}
            rec["café"] = True
            rec["matrix"] = [[1, 2], [3]] if i else [{"x": 1}]
        out.append(rec)
    return out


@pytest.fixture(scope="module")
def xp_db(server_url, tmp_path_factory):
    """Tracks and plays: a tiny Music Time Machine file, the demo export, the edge and odd records."""
    name = f"mtm_xp_plays_{os.getpid()}"
    url = create_database(server_url, name)
    folder = tmp_path_factory.mktemp("xp_export")
    data.build_export(str(folder), records=1500)
    data.write(str(folder), ODD_FILE, odd_records())
    run_import(str(folder), url)
    tracks = [("t1", "Song One", "Artist", "Album", 200_000, None, json.dumps({"explicit": True, "popularity": 50})),
              ("t2", "Song Two", "Artist", "Album", 200_000, None, json.dumps({"explicit": False, "popularity": 70}))]
    run_import(make_sqlite(folder / "tracks.db", tracks), url)
    yield url
    drop_database(server_url, name)


@pytest.fixture(scope="module")
def records(xp_db) -> pd.DataFrame:
    """Every stored play: ended_at, ms_played, item_key (the natural key) and raw_json, newest first."""
    rows = pg_rows(xp_db, f"select ended_at, ms_played, {ITEM_KEY}, raw_json from plays order by ended_at desc")
    return pd.DataFrame(rows, columns=["ended_at", "ms_played", "item_key", "raw_json"])


@pytest.fixture
def xp_url(xp_db, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("DATABASE_URL", xp_db)
    st.cache_data.clear()
    return xp_db


def q(url: str, name: str, cap: int = 100_000, **params) -> pd.DataFrame:
    res = queries.run(name, params, url=url, cap=cap)
    assert not res.truncated
    return res.df


# ---------------------------------------------------------------------------------------------
# Plain Python over the stored records


def json_type(v) -> str:
    if isinstance(v, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", type(None): "null"}.get(type(v), "number")


def step(key: str) -> str:
    return "." + (key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else json.dumps(key, ensure_ascii=False))


def walk(value, path: str = ""):
    """(path, type) of every value under `value`, spelled as the inventory spells paths."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + step(k), json_type(v)
            yield from walk(v, path + step(k))
    elif isinstance(value, list):
        for v in value:
            yield path + "[*]", json_type(v)
            yield from walk(v, path + "[*]")


def python_inventory(docs) -> dict:
    types, plays = collections.defaultdict(set), collections.Counter()
    for doc in docs:
        seen = set()
        for path, typ in walk(doc):
            path = path.removeprefix(".")
            types[path].add(typ)
            seen.add(path)
        plays.update(seen)
    return {p: (sorted(types[p]), plays[p]) for p in types}


def contains(doc, sub) -> bool:
    """jsonb @> for objects, arrays and scalars (types must match: true is not 1)."""
    if isinstance(sub, dict):
        return isinstance(doc, dict) and all(k in doc and contains(doc[k], v) for k, v in sub.items())
    if isinstance(sub, list):
        return isinstance(doc, list) and all(any(contains(d, s) for d in doc) for s in sub)
    return json_type(doc) == json_type(sub) and doc == sub


def keys(df: pd.DataFrame) -> set[tuple]:
    return {(pd.Timestamp(r.ended_at), int(r.ms_played), r.item_key) for r in df.itertuples()}


def matching(records: pd.DataFrame, predicate) -> pd.DataFrame:
    return records[[bool(predicate(doc)) for doc in records["raw_json"]]]


# ---------------------------------------------------------------------------------------------
# Inventory


def test_every_play_is_in_the_sample_of_a_small_export(xp_db, records):
    info = q(xp_db, "plays_json_path_inventory_info").iloc[0]
    assert (int(info.scanned), int(info.total), bool(info.sampled), bool(info.has_plays)) == (
        len(records), len(records), False, True)
    assert pd.Timestamp(info.first_at) == records["ended_at"].min()
    assert pd.Timestamp(info.last_at) == records["ended_at"].max()
    assert pg_rows(xp_db, "select count(*) from plays_json_sample") == [(len(records),)]


def test_inventory_lists_every_path_with_its_types_and_play_count(xp_db, records):
    expected = python_inventory(records["raw_json"])
    df = q(xp_db, "plays_json_path_inventory_list", q="", limit=2000)
    got = {r.path: (list(r.types), int(r.plays)) for r in df.itertuples()}
    assert got == expected
    # what the export holds, spelled the inventory's way
    assert got["listening_context.type"] == (["string"], expected["listening_context.type"][1])
    assert got["future_field.labels[*]"] == (["null", "number", "string"], 3)
    assert got['"weird key"."q\\"uote"'] == (["number"], 3)
    assert got["matrix[*][*]"] == (["number"], 2) and got["matrix[*]"] == (["array", "object"], 3)
    assert "endTime" in got and "ip_addr" not in got          # account data; network fields are not stored
    share = df.set_index("path").at["ts", "share"]
    assert float(share) == pytest.approx(expected["ts"][1] / len(records), abs=1e-4)


@pytest.mark.parametrize("text,expected", [
    ("MASTER_metadata", ["master_metadata_album_album_name", "master_metadata_album_artist_name",
                         "master_metadata_track_name"]),
    ("[*]", ["future_field.labels[*]", "matrix[*]", "matrix[*][*]", "matrix[*].x"]),
    ("%", []), ("_", None), ("'; drop table plays; --", []), ("🎧", []),
])
def test_inventory_filter_takes_text_literally(xp_db, text, expected):
    paths = q(xp_db, "plays_json_path_inventory_list", q=text, limit=2000)["path"].tolist()
    if expected is None:
        assert paths and all(text in p for p in paths)
    else:
        assert sorted(paths) == sorted(expected)      # (in the database collation's order)


def test_every_inventory_path_reads_back_through_to_jsonpath(xp_db, records):
    for path, (_types, plays) in python_inventory(records["raw_json"]).items():
        assert jsonpaths.normalise_path(path) == path
        df = q(xp_db, "plays_json_path_values", path=jsonpaths.to_jsonpath(path), max_values=50_000, limit=5)
        # (lax SQL/JSON paths, as for tracks: `[*]` also steps into the one object of [{"x": 1}])
        assert int(df.at[0, "plays_with_path"]) == plays + (path == "matrix[*][*]"), path


def insert_plays(url: str, sql_values: str) -> None:
    data.execute(url, "insert into plays (ended_at, ms_played, kind, source, track, artist, raw_json) " + sql_values)


def refresh(url: str) -> None:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            refresh_rollups(cur)
    finally:
        conn.close()


SPREAD = """select t, 1000 + g, 'music', 'extended', 'song ' || g, 'artist', jsonb_build_object('i', g)
            from generate_series(1, 15345) g,
                 lateral (select case when g <= 3000 then timestamptz '2021-06-01 10:00+00' + g * interval '1 second'
                                      else timestamptz '2015-01-01 00:00+00' + g * interval '37 minutes' end) x(t)"""


def test_a_large_table_gets_5000_plays_spread_evenly_over_time(empty_url):
    """15,345 plays, 3,000 of them in one hour: the sample is every (15,345 / 5,000)-th play in time
    order, exactly, so the crowded hour gets its share and no more."""
    insert_plays(empty_url, SPREAD)
    refresh(empty_url)
    stamps = [r[0] for r in pg_rows(empty_url, "select ended_at from plays order by ended_at")]
    n, k = len(stamps), 5000
    expected = [stamps[i * n // k] for i in range(k)]
    assert [r[0] for r in pg_rows(empty_url, "select ended_at from plays_json_sample order by 1")] == expected
    info = q(empty_url, "plays_json_path_inventory_info").iloc[0]
    assert (int(info.scanned), int(info.total), bool(info.sampled)) == (5000, n, True)
    assert pd.Timestamp(info.first_at) == stamps[0] and pd.Timestamp(info.last_at) == expected[-1]
    assert pg_rows(empty_url, "select path, types, plays from plays_json_path_inventory") == [("i", ["number"], 5000)]
    refresh(empty_url)                                        # the same plays: the same sample
    assert [r[0] for r in pg_rows(empty_url, "select ended_at from plays_json_sample order by 1")] == expected
    in_hour = sum(dt.datetime(2021, 6, 1, 10, tzinfo=dt.UTC) <= t < dt.datetime(2021, 6, 1, 11, tzinfo=dt.UTC)
                  for t in expected)
    assert abs(in_hour - 3000 * k / n) <= 1
    values = q(empty_url, "plays_json_path_values", path="$.i", max_values=50_000, limit=5).iloc[0]
    assert (int(values.scanned_plays), int(values.total_values)) == (5000, 5000)


def test_no_plays_means_an_empty_inventory(empty_url):
    refresh(empty_url)
    info = q(empty_url, "plays_json_path_inventory_info").iloc[0]
    assert (int(info.scanned), int(info.total), bool(info.has_plays)) == (0, 0, False)
    assert pg_rows(empty_url, "select count(*) from plays_json_path_inventory") == [(0,)]


def test_the_plays_inventory_refresh_runs_after_the_plays_rollups_it_reads():
    from db.refresh import PIPELINE

    assert PIPELINE[-1] == "refresh_plays_zz_json_path_inventory"
    assert PIPELINE.index("refresh_plays_rollups") < PIPELINE.index("refresh_plays_zz_json_path_inventory")


# ---------------------------------------------------------------------------------------------
# Values


@pytest.mark.parametrize("path", ["reason_end", "platform", "shuffle", "listening_context.type",
                                  "future_field.labels[*]", "conn_country", "endTime"])
def test_values_at_a_path_count_what_python_counts(xp_db, records, path):
    jp = jsonpaths.to_jsonpath(path)
    segments = jsonpaths.parse_path(path)
    counts, plays = collections.Counter(), collections.Counter()

    def at(value, segs):
        if not segs:
            yield value
            return
        s = segs[0]
        if s.key is not None and isinstance(value, dict) and s.key in value:
            yield from at(value[s.key], segs[1:])
        elif s.wildcard == jsonpaths.WILDCARD and isinstance(value, list):
            for v in value:
                yield from at(v, segs[1:])

    for doc in records["raw_json"]:
        found = [(v if isinstance(v, str) else json.dumps(v), json_type(v)) for v in at(doc, segments)]
        counts.update(found)
        plays.update(set(found))
    df = q(xp_db, "plays_json_path_values", path=jp, max_values=50_000, limit=1000)
    got = {(r.value, r.type): (int(r.count), int(r.plays)) for r in df.itertuples()}
    assert got == {k: (counts[k], plays[k]) for k in counts}
    assert int(df.at[0, "scanned_plays"]) == len(records) and not bool(df.at[0, "capped"])


def test_histogram_bins_every_ms_played(xp_db, records):
    df = q(xp_db, "plays_json_path_histogram", path="$.ms_played", max_values=50_000, bins=20)
    numbers = [d["ms_played"] for d in records["raw_json"] if isinstance(d.get("ms_played"), int)]
    assert df["count"].astype(int).sum() == len(numbers)
    assert float(df["bin_start"].min()) == min(numbers) and float(df["bin_end"].max()) == max(numbers)


def test_values_without_a_sample_read_the_newest_5000_plays(empty_url):
    insert_plays(empty_url, """select timestamptz '2024-01-01 00:00+00' + g * interval '1 minute', 1000, 'music',
                                      'extended', 's', 'a', jsonb_build_object('n', g)
                               from generate_series(1, 5200) g""")
    df = q(empty_url, "plays_json_path_values", path="$.n", max_values=50_000, limit=6000)
    assert sorted(df["value"].astype(int)) == list(range(201, 5201))
    assert int(df.at[0, "scanned_plays"]) == 5000


# ---------------------------------------------------------------------------------------------
# Filters


@pytest.mark.parametrize("doc", [
    '{"shuffle": true}', '{"reason_end": "fwdbtn", "skipped": true}', '{"conn_country": "IN"}',
    '{"listening_context": {"type": "playlist"}}', '{"future_field": {"labels": [null]}}', '{"café": true}',
    '{"weird key": {"q\\"uote": 1}}', '{"matrix": [[3]]}', '{"shuffle": 1}', '{"conn_country": "XX"}', "[]",
])
def test_containment_returns_exactly_the_containing_plays_newest_first(xp_db, records, doc):
    want = matching(records, lambda d: contains(d, json.loads(doc)))
    df = q(xp_db, "explorer_plays_filter_containment", doc=jsonpaths.parse_containment(doc), limit=100_000)
    assert keys(df) == keys(want)
    assert df["ended_at"].is_monotonic_decreasing
    assert list(df.columns) == ["ended_at", "kind", "track", "artist", "album", "ms_played", "platform", "country",
                                "item_key"]


def test_a_filter_stops_at_its_limit_with_the_newest_matches(xp_db, records):
    want = matching(records, lambda d: d.get("shuffle") is True)
    res = queries.run("explorer_plays_filter_containment", {"doc": '{"shuffle": true}', "limit": 11}, url=xp_db,
                      cap=10)
    assert res.truncated and len(res.df) == 10
    assert list(res.df["ended_at"]) == list(want["ended_at"].sort_values(ascending=False)[:10])


PREDICATES = [
    ("$.ms_played > 300000", lambda d: isinstance(d.get("ms_played"), int) and d["ms_played"] > 300000),
    ('$.reason_end == "fwdbtn"', lambda d: d.get("reason_end") == "fwdbtn"),
    ('$.ts like_regex "^2024-10"', lambda d: isinstance(d.get("ts"), str) and d["ts"].startswith("2024-10")),
    ('$.platform starts with "Android"', lambda d: str(d.get("platform")).startswith("Android")),
    ("$.future_field.nested.level >= 4", lambda d: (d.get("future_field") or {}).get("nested", {}).get("level", -1) >= 4),
    ("$.msPlayed < 60000", lambda d: isinstance(d.get("msPlayed"), int) and d["msPlayed"] < 60000),
]


@pytest.mark.parametrize("jsonpath,predicate", PREDICATES, ids=[p for p, _ in PREDICATES])
def test_jsonpath_predicates_match_exactly_the_plays_python_finds(xp_db, records, jsonpath, predicate):
    assert jsonpaths.jsonpath_operator(jsonpath) == "@@"
    df = q(xp_db, "explorer_plays_filter_jsonpath_match", jsonpath=jsonpath, limit=100_000)
    assert keys(df) == keys(matching(records, predicate)) and len(df)


PATHS = [
    ('$.listening_context ? (@.type == "playlist")', lambda d: (d.get("listening_context") or {}).get("type") == "playlist"),
    ("$.episode_show_name ? (@ != null)", lambda d: d.get("episode_show_name") is not None),
    ("$.matrix[*][*] ? (@ > 2)", lambda d: any(isinstance(a, list) and any(x > 2 for x in a) for a in d.get("matrix", []))),
    ("$.podcastName", lambda d: "podcastName" in d),
    ("$.no_such_field", lambda d: False),
]


@pytest.mark.parametrize("jsonpath,predicate", PATHS, ids=[p for p, _ in PATHS])
def test_jsonpath_paths_match_the_plays_where_they_select_something(xp_db, records, jsonpath, predicate):
    assert jsonpaths.jsonpath_operator(jsonpath) == "@?"
    df = q(xp_db, "explorer_plays_filter_jsonpath_exists", jsonpath=jsonpath, limit=100_000)
    assert keys(df) == keys(matching(records, predicate))


def test_plays_filters_scan_in_ended_at_order_through_the_natural_key(xp_db):
    """No GIN index on plays.raw_json: a common filter reads plays_natural_key backwards and stops."""
    assert not pg_rows(xp_db, "select 1 from pg_indexes where tablename = 'plays' and indexdef ilike '%raw_json%'")
    with engine.reader(xp_db).connect() as c, c.begin():
        c.execute(sa.text("set local enable_seqscan = off"))
        plan = "\n".join(r[0] for r in c.execute(
            sa.text("explain " + queries.get("explorer_plays_filter_containment").sql),
            {"doc": '{"shuffle": true}', "limit": 1001}))
    assert "Index Scan Backward using plays_natural_key" in plan


# ---------------------------------------------------------------------------------------------
# Payload


def test_payload_is_the_whole_record_as_stored(xp_db, records):
    newest = q(xp_db, "explorer_plays_newest", limit=5)
    assert list(newest["ended_at"]) == list(records["ended_at"][:5])
    for row in newest.itertuples():
        params = view.parse_play_id(view.play_id(row._asdict()))
        got = q(xp_db, "explorer_play_payload", **params)
        assert len(got) == 1
        stored = records[(records["ended_at"] == row.ended_at) & (records["item_key"] == row.item_key)
                         & (records["ms_played"] == row.ms_played)]
        assert got.at[0, "raw_json"] == stored["raw_json"].iloc[0]


@pytest.mark.parametrize("text", ["", "a|b", "2024-01-01|x|y", "|||", "2024-01-01T00:00:00+00:00|12345678901|k"])
def test_play_ids_that_are_not_ids_are_refused_before_the_query(text):
    assert view.parse_play_id(text) is None


def test_an_unknown_play_has_no_payload(xp_db):
    assert q(xp_db, "explorer_play_payload", ended_at="1999-01-01T00:00:00+00:00", ms_played=1,
             item_key="00000000-0000-0000-0000-000000000000").empty


# ---------------------------------------------------------------------------------------------
# The page


def run(query_params: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    at.run()
    return ok(at)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def texts(at: AppTest, *kinds: str) -> str:
    kinds = kinds or ("markdown", "caption", "info", "error", "warning")
    return "\n".join(shown(str(e.value)) for kind in kinds for e in getattr(at, kind))


def code(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.code)


def frame(at: AppTest, *columns: str) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert frames, f"no dataframe with columns {columns}"
    return frames[0]


def plays_page(query_params: dict | None = None) -> AppTest:
    at = run(query_params)
    at.segmented_control(key="explorer_source").set_value("plays").run()
    return ok(at)


def test_with_tracks_and_plays_the_page_starts_on_tracks_and_offers_plays(xp_url):
    at = run()
    choice = at.segmented_control(key="explorer_source")
    assert choice.value == "tracks" and choice.options == ["Tracks", "Plays"]
    assert [s.value for s in at.subheader] == TRACK_SUBHEADERS
    assert set(frame(at, "path", "tracks")["path"]) == {"explicit", "popularity"}
    assert at.query_params["source"] == "tracks"


def test_choosing_plays_shows_the_plays_inventory(xp_url, records):
    at = plays_page()
    assert [s.value for s in at.subheader] == PLAY_SUBHEADERS
    inv = frame(at, "path", "types", "plays")
    expected = python_inventory(records["raw_json"])
    assert {r.path: r.plays for r in inv.itertuples()} == {p: n for p, (_, n) in expected.items()}
    assert dict(zip(inv["path"], inv["types"]))["listening_context"] == "null, object"
    assert f"from all {len(records):,} plays" in texts(at, "caption")
    assert at.query_params["source"] == "plays"
    assert any(b.label == "Download CSV" for b in at.download_button)


def test_a_link_with_source_plays_opens_on_plays(xp_url):
    at = run({"source": "plays"})
    assert at.segmented_control(key="explorer_source").value == "plays"
    assert [s.value for s in at.subheader] == PLAY_SUBHEADERS


@pytest.mark.parametrize("value", ["nonsense", "'; drop table plays; --", "x" * 5000, "PLAYS\x00"])
def test_a_link_with_an_unusable_source_falls_back_to_tracks(xp_url, value):
    at = run({"source": value})
    assert at.segmented_control(key="explorer_source").value == "tracks"
    assert "source could not be used" in texts(at, "warning")


def test_plays_values_default_to_reason_end_and_match_python(xp_url, records):
    at = plays_page()
    assert at.selectbox(key="plays_path_pick").value == "reason_end"
    values = frame(at, "value", "count", "plays")
    expected = collections.Counter(d["reason_end"] for d in records["raw_json"] if "reason_end" in d)
    assert dict(zip(values["value"], values["count"])) == dict(expected)
    assert f"all {len(records):,} plays" in texts(at, "caption")
    at.selectbox(key="plays_path_pick").set_value("ms_played").run()
    assert len(ok(at).get("vega_lite_chart")) == 2                  # numbers: a histogram too


def test_typed_plays_path_shows_values_under_arrays(xp_url):
    at = plays_page()
    at.segmented_control(key="plays_path_mode").set_value("Type a path").run()
    at.text_input(key="plays_path").set_value("future_field.labels[*]").run()
    values = frame(ok(at), "value", "count")
    assert dict(zip(values["value"], values["count"])) == {"1": 3, "two": 3, "null": 3}


def test_plays_containment_lists_the_newest_matching_plays_and_says_it_scans(xp_url, records):
    at = plays_page()
    at.text_input(key="plays_containment").set_value('{"reason_end": "fwdbtn", "skipped": true}').run()
    got = frame(ok(at), "ended_at", "track", "artist", "ms_played")
    want = matching(records, lambda d: d.get("reason_end") == "fwdbtn" and d.get("skipped") is True)
    assert len(got) == min(len(want), 1000) and len(want) > 0
    newest = want["ended_at"].sort_values(ascending=False).dt.tz_convert("UTC").dt.tz_localize(None)
    assert list(got["ended_at"]) == list(newest[:len(got)])
    assert "item_key" not in got.columns
    assert "these filters scan" in texts(at, "caption")
    assert "order by ended_at desc" in code(at) and "raw_json @> cast(:doc as jsonb)" in code(at)


def test_plays_jsonpath_filter_and_payload_of_a_match(xp_url, records):
    at = plays_page()
    at.segmented_control(key="plays_filter_mode").set_value("JSONPath (@@ / @?)").run()
    at.text_input(key="plays_jsonpath").set_value("$.future_field.nested.level >= 4").run()
    got = frame(ok(at), "ended_at", "track")
    assert sorted(got["track"]) == ["Odd song 4", "Odd song 5"]
    assert "raw_json @@ cast(:jsonpath as jsonpath)" in code(at)
    pick = at.selectbox(key="plays_payload_pick")
    assert "Odd song 5 — Odd Artist" in pick.options[0]
    pick.select_index(0).run()
    ok(at)
    (payload,) = at.json
    body = json.loads(payload.value)
    assert body["master_metadata_track_name"] == "Odd song 5" and body["future_field"]["nested"]["level"] == 5
    heading = texts(at, "markdown")
    assert "2025-03-01 12:35:00 UTC" in heading and "Odd song 5" in heading and "Odd Artist" in heading


def test_without_a_filter_the_payload_offers_the_newest_plays(xp_url, records):
    at = plays_page()
    newest = at.selectbox(key="plays_payload_newest")
    assert len(newest.options) == 50
    newest.select_index(0).run()
    body = json.loads(ok(at).json[0].value)
    assert body == records["raw_json"].iloc[0]


@pytest.mark.parametrize("text,fragment", [
    ('{"shuffle": tru', "not valid JSON"), ("'; drop table plays; --", "not valid JSON"), ('"shuffle"', "JSON string"),
    ('{"a": "\\u0000"}', "NUL"), ("[" * 3000 + "]" * 3000, "nested more than"),
])
def test_bad_plays_containment_is_explained(xp_url, text, fragment):
    at = plays_page()
    at.text_input(key="plays_containment").set_value(text).run()
    assert fragment in texts(ok(at), "error")
    assert [s.value for s in at.subheader] == PLAY_SUBHEADERS


@pytest.mark.parametrize("text,fragment", [
    ("$.ms_played >", "not valid"), ("$x", "refused"), ('$.ts like_regex "("', "invalid regular expression"),
    ("$" + ".a" * 2000, "characters long"), ("$.a == \x00", "NUL"),
])
def test_bad_plays_jsonpath_is_explained(xp_url, text, fragment):
    at = plays_page()
    at.segmented_control(key="plays_filter_mode").set_value("JSONPath (@@ / @?)").run()
    at.text_input(key="plays_jsonpath").set_value(text).run()
    assert fragment in texts(ok(at), "error")


def test_a_plays_filter_past_the_time_limit_is_cancelled_and_explained(xp_url, monkeypatch):
    monkeypatch.setenv("MTM_EXPLORER_TIMEOUT_MS", "1")
    at = plays_page()
    at.segmented_control(key="plays_filter_mode").set_value("JSONPath (@@ / @?)").run()
    at.text_input(key="plays_jsonpath").set_value('$.** ? (@ like_regex "z+y+x+w")').run()
    assert "took longer than the time limit" in texts(ok(at), "error")
    assert [s.value for s in at.subheader] == PLAY_SUBHEADERS


def test_without_plays_there_is_no_source_choice(demo_url):
    at = run()
    assert not [r for r in at.segmented_control if r.key == "explorer_source"]
    assert [s.value for s in at.subheader] == TRACK_SUBHEADERS
    assert "source" not in at.query_params


def test_plays_without_tracks_open_on_plays_and_tracks_say_there_are_none(empty_url, tmp_path):
    data.build_export(str(tmp_path), records=100, edges=False)
    run_import(str(tmp_path), empty_url)
    at = run()
    assert at.segmented_control(key="explorer_source").value == "plays"
    assert [s.value for s in at.subheader] == PLAY_SUBHEADERS
    at.segmented_control(key="explorer_source").set_value("tracks").run()
    assert "No tracks yet" in texts(ok(at), "info") and not at.subheader


def test_a_large_table_says_the_inventory_is_a_sample_of_how_many(empty_url):
    insert_plays(empty_url, SPREAD)
    refresh(empty_url)
    at = run()
    caption = texts(at, "caption")
    assert "a sample of 5,000 of 15,345 plays, spread evenly over time" in caption
    assert "sample of 5,000 of 15,345 plays, spread over time; never more than 5,000 plays are read" in caption


def test_plays_stored_before_the_inventory_existed_still_explore(empty_url):
    insert_plays(empty_url, """select timestamptz '2024-01-01 00:00+00' + g * interval '1 minute', 1000, 'music',
                                      'extended', 'song ' || g, 'artist', jsonb_build_object('tag', 'x', 'n', g)
                               from generate_series(1, 30) g""")
    at = run()
    assert "No key-path inventory yet" in texts(at, "info")
    at.text_input(key="plays_path").set_value("tag").run()
    assert int(frame(ok(at), "value", "count").set_index("value").at["x", "count"]) == 30
    assert "the newest 30 plays (no sample has been computed yet" in texts(at, "caption")


# ---------------------------------------------------------------------------------------------
# ui.explorer_view without Streamlit


@pytest.mark.parametrize("text,has_tracks,has_plays,expected,problem", [
    (None, True, True, "tracks", False), ("plays", True, True, "plays", False), (" Plays ", True, True, "plays", False),
    ("plays", True, False, "tracks", True), (None, False, True, "plays", False), ("bogus", False, True, "plays", True),
    ("", True, True, "tracks", False),
])
def test_source_from_the_link(text, has_tracks, has_plays, expected, problem):
    src, why = view.parse_source(text, has_tracks, has_plays)
    assert src.name == expected and (why is not None) == problem


def test_play_ids_round_trip():
    row = {"ended_at": pd.Timestamp("2024-05-01 12:00:00.123456+02:00"), "ms_played": 1234, "item_key": "k"}
    assert view.parse_play_id(view.play_id(row)) == {"ended_at": "2024-05-01T12:00:00.123456+02:00",
                                                     "ms_played": 1234, "item_key": "k"}
    assert view.play_label({**row, "track": None, "artist": float("nan"), "kind": "unknown"}) == \
        "2024-05-01 10:00:00 UTC · (unknown)"


# ---------------------------------------------------------------------------------------------
# Finding a play by name (explorer_plays_lookup)

LOOKUP_ORDER = f"order by ended_at desc, ms_played desc, {ITEM_KEY}"


def lookup(url: str, text: str, limit: int = 50) -> pd.DataFrame:
    params = view.play_lookup_params(text, limit)
    assert params is not None
    return q(url, "explorer_plays_lookup", **params)


def newest_matching_plays(url: str, text: str, limit: int = 50) -> list[tuple]:
    """The plain computation: every play whose own names match the same tsquery, read from `plays`
    (no rollup, no play_items), the newest `limit`."""
    tsq = view.play_lookup_params(text, limit)["tsq"]
    return pg_rows(url, f"""select ended_at, ms_played, {ITEM_KEY} from plays
                           where to_tsvector('simple_unaccent', coalesce(track, '') || ' ' || coalesce(artist, '')
                                             || ' ' || coalesce(album, '')) @@ to_tsquery('simple_unaccent', %s)
                           {LOOKUP_ORDER} limit {int(limit)}""", (tsq,))


def lookup_keys(df: pd.DataFrame) -> list[tuple]:
    return [(pd.Timestamp(r.ended_at), int(r.ms_played), r.item_key) for r in df.itertuples()]


@pytest.mark.parametrize("text,artist", [("motley crue", "Mötley Crüe"), ("MOTLEY", "Mötley Crüe"),
                                         ("francoise hardy", "Françoise Hardy"), ("sigur ros", "Sigur Rós"),
                                         ("edith", "Édith Piaf")])
def test_lookup_finds_plays_of_an_accented_artist_typed_without_accents(xp_db, text, artist):
    df = lookup(xp_db, text)
    assert len(df) and set(df["artist"]) == {artist} and set(df["match"]) == {"text"}
    assert list(df.columns) == ["ended_at", "kind", "track", "artist", "album", "ms_played", "platform", "country",
                                "item_key", "match"]


@pytest.mark.parametrize("text,limit", [("motley crue", 50), ("francoise", 50), ("francoise", 7), ("sigur", 50),
                                        ("edge case quartet", 50), ("odd", 3), ("hörspiel", 50), ("鄧麗君", 50)])
def test_lookup_returns_exactly_the_newest_plays_of_the_matching_items(xp_db, text, limit):
    got = lookup(xp_db, text, limit)
    want = newest_matching_plays(xp_db, text, limit)
    assert want and lookup_keys(got) == [(pd.Timestamp(t), ms, k) for t, ms, k in want]


def test_lookup_payload_ids_open_the_play_they_name(xp_db, records):
    df = lookup(xp_db, "motley crue", 5)
    for row in df.itertuples():
        got = q(xp_db, "explorer_play_payload", **view.parse_play_id(view.play_id(row._asdict())))
        raw = got.at[0, "raw_json"]     # an extended-history record, or an account-data one (artistName)
        assert len(got) == 1 and raw.get("master_metadata_album_artist_name", raw.get("artistName")) == "Mötley Crüe"


def test_lookup_falls_back_to_similar_names_for_a_typo(xp_db):
    df = lookup(xp_db, "motley crüee")
    assert len(df) and "Mötley Crüe" in set(df["artist"]) and set(df["match"]) == {"similar"}


@pytest.mark.parametrize("text", ["zzqxj", "'; drop table plays; --", "zz\x00qx%_\\", "x" * 5000, "ﷺ" * 40])
def test_lookup_of_nothing_played_finds_no_play(xp_db, text):
    assert q(xp_db, "explorer_plays_lookup", **view.play_lookup_params(text, 50)).empty


@pytest.mark.parametrize("text", ["", "   ", "%", "!!", "-motley", "\x00"])
def test_lookup_of_nothing_to_look_for_runs_no_query(text):
    assert view.play_lookup_params(text, 50) is None


def test_lookup_of_an_artist_with_over_1000_items_is_exact_too(empty_url):
    """1,100 tracks of one artist (more than 1,000 matching items: the hourly rollup read newest
    hour first) without URIs, several plays of one track in one hour, and a near miss."""
    insert_plays(empty_url, """select timestamptz '2020-01-01 00:00+00' + (g % 700) * interval '97 minutes'
                                      + (g / 700) * interval '1 minute', 1000 + g % 5, 'music', 'extended',
                                      'Song ' || (g % 1100), 'Björk', jsonb_build_object('g', g)
                               from generate_series(1, 2500) g""")
    insert_plays(empty_url, """select timestamptz '2021-01-01 00:00+00' + g * interval '1 second', 2000, 'music',
                                      'extended', 'Bjornstad', 'Other', '{}'::jsonb
                               from generate_series(1, 300) g""")
    insert_plays(empty_url, """select timestamptz '2020-02-17 07:00+00' + g * interval '77 seconds', 3000, 'music',
                                      'extended', 'Song 5', 'Björk', '{}'::jsonb
                               from generate_series(1, 40) g""")      # one item many times in a few hours
    refresh(empty_url)
    assert pg_rows(empty_url, "select count(*) from play_items where artist = 'Björk'") == [(1100,)]
    for limit in (50, 7):
        got = lookup(empty_url, "bjork", limit)
        want = newest_matching_plays(empty_url, "bjork", limit)
        assert len(want) == limit and lookup_keys(got) == [(pd.Timestamp(t), ms, k) for t, ms, k in want]
    few = lookup(empty_url, "bjork song 17", 50)       # a few items: the per-item path
    assert lookup_keys(few) == [(pd.Timestamp(t), ms, k) for t, ms, k in newest_matching_plays(
        empty_url, "bjork song 17", 50)] and len(few)


def test_lookup_reads_plays_only_through_the_natural_key(xp_db):
    params = view.play_lookup_params("motley crue", 50)
    with engine.reader(xp_db).connect() as c, c.begin():
        c.execute(sa.text("set local enable_seqscan = off"))
        plan = "\n".join(r[0] for r in c.execute(sa.text("explain " + queries.get("explorer_plays_lookup").sql),
                                                 params))
    assert "plays_natural_key on plays" in plan and "plays_hourly_items_item_idx" in plan


def test_typing_a_name_offers_its_newest_plays_and_shows_the_chosen_payload(xp_url, records):
    at = plays_page()
    at.text_input(key="plays_payload_q").set_value("motley crue").run()
    found = ok(at).selectbox(key="plays_payload_found")
    want = newest_matching_plays(xp_url, "motley crue")
    assert len(found.options) == len(want) == 50
    assert "Mötley Crüe" in found.options[0] and "(music)" in found.options[0]
    assert "The newest 50 plays of the matching" in texts(at, "caption")
    body = json.loads(at.json[0].value)                 # the newest is shown at once
    newest = records[(records["ended_at"] == want[0][0]) & (records["item_key"] == want[0][2])]
    assert body == newest["raw_json"].iloc[0]
    found.select_index(3).run()
    body = json.loads(ok(at).json[0].value)
    third = records[(records["ended_at"] == want[3][0]) & (records["item_key"] == want[3][2])]
    assert body == third["raw_json"].iloc[0] and body["master_metadata_album_artist_name"] == "Mötley Crüe"
    assert "Mötley Crüe" in texts(at, "markdown")


@pytest.mark.parametrize("text,fragment", [
    ("zzqxj", "No track, artist, album, show or episode you played matches 'zzqxj'"),
    ("'; drop table plays; --", "matches"), ("%%%", "letters or digits"), ("   ", None),
    ("a\x00" * 2500, None), ("ﷺ" * 40, None),
])
def test_the_lookup_box_takes_any_text(xp_url, text, fragment):
    at = plays_page()
    at.text_input(key="plays_payload_q").set_value(text).run()
    ok(at)
    assert [s.value for s in at.subheader] == PLAY_SUBHEADERS
    if fragment:
        assert fragment in texts(at, "caption")


def test_without_plays_there_is_no_play_lookup_box(demo_url):
    at = run()
    assert "payload_q" in [t.key for t in at.text_input]
    assert "plays_payload_q" not in [t.key for t in at.text_input]
