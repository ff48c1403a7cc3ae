"""raw_json explorer queries (db/sql/explorer.sql) and input helpers (db/jsonpaths.py), on real PostgreSQL."""
from __future__ import annotations

import json
from decimal import Decimal

import psycopg2
import pytest
import sqlalchemy as sa

from db import jsonpaths, queries
from db.jsonpaths import InputError
from migrate.sqlite_import import import_sqlite
from tests.helpers import make_sqlite, pg_rows

# Hand-made payloads: nested objects, arrays of scalars (mixed types too), of objects, of arrays,
# empty arrays, keys that need quoting, and a track without raw_json.
DOCS = {
    "t1": {"a": 1, "b": {"c": "x", "d": [1, 2, 3]}, "e": [{"f": True}, {"f": None, "g": "y"}],
           "weird key": {'q"uote': 1}, "m": [1, "two", None]},
    "t2": {"a": "one", "b": {"c": "z", "d": []}, "e": [], "n": [[1, 2], [3]]},
    "t3": {"a": 2, "café": True, "x\ny": None},
    "t4": None,
}

EXPECTED_INVENTORY = {
    # path: (types, tracks, depth)
    "a": (["number", "string"], 3, 1),
    "b": (["object"], 2, 1),
    "b.c": (["string"], 2, 2),
    "b.d": (["array"], 2, 2),
    "b.d[*]": (["number"], 1, 3),
    "e": (["array"], 2, 1),
    "e[*]": (["object"], 1, 2),
    "e[*].f": (["boolean", "null"], 1, 3),
    "e[*].g": (["string"], 1, 3),
    '"weird key"': (["object"], 1, 1),
    '"weird key"."q\\"uote"': (["number"], 1, 2),
    "m": (["array"], 1, 1),
    "m[*]": (["null", "number", "string"], 1, 2),
    "n": (["array"], 1, 1),
    "n[*]": (["array"], 1, 2),
    "n[*][*]": (["number"], 1, 3),
    '"café"': (["boolean"], 1, 1),
    '"x\\ny"': (["null"], 1, 1),
}


def load(url: str, tmp_path, docs: dict = DOCS) -> str:
    rows = [(tid, f"Song {tid}", f"Artist {tid}", "Album", 200_000, None,
             doc if doc is None or isinstance(doc, str) else json.dumps(doc)) for tid, doc in docs.items()]
    import_sqlite(make_sqlite(tmp_path / "src.db", rows), url)
    return url


def refresh(url: str) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(queries.get("refresh_json_path_inventory").sql.replace("\\:", ":"))
            return cur.fetchall()
    finally:
        conn.close()


def run(url: str, name: str, **params):
    return queries.run(name, params, url=url).df


def inventory(url: str) -> dict:
    return {path: (types, tracks, depth) for path, types, tracks, depth in
            pg_rows(url, "select path, types, tracks, depth from json_path_inventory")}


@pytest.fixture
def hand(db_url, tmp_path):
    return load(db_url, tmp_path)


# ---------------------------------------------------------------------------------------------
# Inventory


def test_import_computes_the_inventory_with_exact_paths_types_and_track_counts(hand):
    assert inventory(hand) == EXPECTED_INVENTORY


def test_inventory_info_says_every_track_was_scanned(hand):
    info = run(hand, "json_path_inventory_info").iloc[0]
    assert (int(info.scanned), int(info.total), bool(info.sampled), bool(info.has_tracks)) == (4, 4, False, True)
    assert int(info.paths) == len(EXPECTED_INVENTORY)


def test_refresh_is_idempotent_and_drops_paths_no_longer_seen(hand):
    assert refresh(hand) == [(4, 4)]
    assert inventory(hand) == EXPECTED_INVENTORY
    conn = psycopg2.connect(hand)
    with conn, conn.cursor() as cur:
        cur.execute("""update tracks set raw_json = '{"a": 5}' where track_id = 't2'""")
    conn.close()
    refresh(hand)
    after = inventory(hand)
    assert "n[*][*]" not in after and "b.c" in after
    assert after["b.c"] == (["string"], 1, 2) and after["a"] == (["number"], 3, 1)


def test_every_inventory_path_reads_back_through_to_jsonpath(hand):
    """The inventory's spelling and db.jsonpaths agree, weird keys included."""
    for path, (_, tracks, _) in EXPECTED_INVENTORY.items():
        assert jsonpaths.normalise_path(path) == path
        df = run(hand, "json_path_values", path=jsonpaths.to_jsonpath(path), max_values=1000, limit=50)
        assert int(df.at[0, "tracks_with_path"]) == tracks, path


def test_large_tables_get_a_fixed_sample_of_5000(db_url):
    conn = psycopg2.connect(db_url)
    with conn, conn.cursor() as cur:
        cur.execute("""insert into tracks (track_id, name, artist_name, raw_json)
                       select 'g' || g, 'n', 'a', jsonb_build_object('i', g, 'even', g % 2 = 0)
                       from generate_series(1, 5003) g""")
    conn.close()
    assert refresh(db_url) == [(5000, 5003)]
    assert pg_rows(db_url, "select count(*) from json_path_sample") == [(5000,)]
    inv = inventory(db_url)
    assert inv == {"i": (["number"], 5000, 1), "even": (["boolean"], 5000, 1)}
    first = pg_rows(db_url, "select track_id from json_path_sample order by 1")
    refresh(db_url)
    assert pg_rows(db_url, "select track_id from json_path_sample order by 1") == first
    info = run(db_url, "json_path_inventory_info").iloc[0]
    assert bool(info.sampled) and int(info.scanned) == 5000 and int(info.total) == 5003


def test_inventory_stops_100_levels_down_in_pathologically_deep_payloads(db_url, tmp_path):
    """The importers refuse JSON deeper than 64 levels now, but a database filled by an earlier
    release may hold deeper payloads: the walk still stops 100 levels down."""

    deep = '{"k": ' * 500 + "{}" + "}" * 500
    load(db_url, tmp_path, {"wide": {"xs": list(range(10_000)) + ["s", None, True]}})
    conn = psycopg2.connect(db_url)
    with conn, conn.cursor() as cur:
        cur.execute("insert into tracks (track_id, name, artist_name, raw_json) values ('deep', 'Deep', 'A', %s)",
                    (deep,))
    conn.close()
    refresh(db_url)
    assert pg_rows(db_url, "select count(*) from tracks") == [(2,)]
    inv = inventory(db_url)
    assert max(depth for _, _, depth in inv.values()) == 100
    assert inv["k" + ".k" * 99] == (["object"], 1, 100)
    assert inv["xs[*]"] == (["boolean", "null", "number", "string"], 1, 2)


def test_empty_database_has_no_inventory_and_no_tracks(db_url):
    info = run(db_url, "json_path_inventory_info").iloc[0]
    assert not bool(info.has_tracks) and info.scanned is None
    assert refresh(db_url) == [(0, 0)]
    assert inventory(db_url) == {}


def test_inventory_list_filters_by_plain_substring(hand):
    df = run(hand, "json_path_inventory_list", q="[*]", limit=100)
    assert df["path"].tolist() == ["b.d[*]", "e[*]", "e[*].f", "e[*].g", "m[*]", "n[*]", "n[*][*]"]
    assert run(hand, "json_path_inventory_list", q="WEIRD", limit=100)["path"].tolist() == [
        '"weird key"', '"weird key"."q\\"uote"']
    row = run(hand, "json_path_inventory_list", q="", limit=100).set_index("path").loc["a"]
    assert row.share == Decimal("0.75") and list(row.types) == ["number", "string"]


@pytest.mark.parametrize("q,expected", [
    ("%", []), ("_", []), ("'", []), ("'; drop table tracks; --", []), ("é" * 300, []), ("🎧", []), ("  ", []),
    ("\\", ['"weird key"."q\\"uote"', '"x\\ny"']),
    ('"', ['"café"', '"weird key"', '"weird key"."q\\"uote"', '"x\\ny"']),
])
def test_inventory_filter_takes_any_text_literally(hand, q, expected):
    assert run(hand, "json_path_inventory_list", q=q, limit=100)["path"].tolist() == expected


# ---------------------------------------------------------------------------------------------
# Value distribution


def values(url, path, **kw):
    df = run(url, "json_path_values", path=jsonpaths.to_jsonpath(path), max_values=kw.get("max_values", 1000),
             limit=kw.get("limit", 50))
    return df


def test_values_count_each_value_with_its_type_share_and_tracks(hand):
    df = values(hand, "a")
    got = {(r.value, r.type): (int(r["count"]), r.share, int(r.tracks)) for _, r in df.iterrows()}
    third = Decimal("0.3333")
    assert got == {("1", "number"): (1, third, 1), ("2", "number"): (1, third, 1), ("one", "string"): (1, third, 1)}
    row = df.iloc[0]
    assert (int(row.total_values), int(row.distinct_values), int(row.numeric_values), int(row.tracks_with_path),
            int(row.scanned_tracks), bool(row.capped)) == (3, 3, 2, 3, 4, False)


def test_values_under_arrays_count_every_element_and_distinct_tracks(hand):
    df = values(hand, "e[*].f")
    assert sorted(zip(df["value"], df["type"], df["count"])) == [("null", "null", 1), ("true", "boolean", 1)]
    assert int(df.at[0, "tracks_with_path"]) == 1
    df = values(hand, "m[*]")
    assert sorted(df["value"]) == ["1", "null", "two"]


def test_values_of_an_array_path_are_the_arrays_themselves(hand):
    df = values(hand, "b.d")
    assert sorted(df["value"]) == ["[1, 2, 3]", "[]"]


def test_values_stop_at_max_values_and_say_so(hand):
    df = values(hand, "b.d[*]", max_values=2)
    assert int(df.at[0, "total_values"]) == 2 and bool(df.at[0, "capped"])


def test_values_at_a_missing_path_are_empty(hand):
    assert values(hand, "no.such[*].path").empty


def test_values_without_a_precomputed_sample_use_the_tracks_themselves(hand):
    conn = psycopg2.connect(hand)
    with conn, conn.cursor() as cur:
        cur.execute("delete from json_path_sample")
    conn.close()
    df = values(hand, "a")
    assert int(df.at[0, "scanned_tracks"]) == 4 and int(df.at[0, "total_values"]) == 3


def test_histogram_bins_numbers_between_smallest_and_largest(hand):
    df = run(hand, "json_path_histogram", path="$.b.d[*]", max_values=1000, bins=2)
    assert [(int(r.bin), float(r.bin_start), float(r.bin_end), int(r["count"])) for _, r in df.iterrows()] == [
        (1, 1.0, 2.0, 1), (2, 2.0, 3.0, 2)]


def test_histogram_of_equal_numbers_is_one_bin(hand):
    df = run(hand, "json_path_histogram", path='$."weird key"."q\\"uote"', max_values=1000, bins=20)
    assert [(int(r.bin), float(r.bin_start), float(r.bin_end), int(r["count"])) for _, r in df.iterrows()] == [
        (1, 1.0, 1.0, 1)]


def test_histogram_ignores_values_that_are_not_numbers(hand):
    df = run(hand, "json_path_histogram", path="$.a", max_values=1000, bins=1)
    assert df["count"].astype(int).tolist() == [2]


# ---------------------------------------------------------------------------------------------
# Filters


def ids(df) -> set[str]:
    return set(df["track_id"])


@pytest.mark.parametrize("doc,expected", [
    ('{"a": 1}', {"t1"}),
    ('{"b": {"c": "z"}}', {"t2"}),
    ('{"e": [{"f": true}]}', {"t1"}),
    ('{"m": [null]}', {"t1"}),
    ('{"café": true}', {"t3"}),
    ('{"weird key": {"q\\"uote": 1}}', {"t1"}),
    ("{}", {"t1", "t2", "t3"}),
    ("[]", set()),
    ('{"a": 1e400}', set()),
])
def test_containment_filter_finds_exactly_the_containing_tracks(hand, doc, expected):
    df = run(hand, "explorer_filter_containment", doc=jsonpaths.parse_containment(doc), limit=100)
    assert ids(df) == expected
    assert list(df.columns) == ["name", "artist_name", "album_name", "track_id"]


@pytest.mark.parametrize("jsonpath,expected", [
    ("$.a > 1", {"t3"}),
    ('$.a == "one"', {"t2"}),
    ("$.m[*] == null", {"t1"}),
    ('$.b.c like_regex "^[xz]$"', {"t1", "t2"}),
    ('$.b.c starts with "z"', {"t2"}),
    ("exists($.n[*][*] ? (@ == 3))", {"t2"}),
    ('$."café" == true', {"t3"}),
])
def test_jsonpath_predicates_match_exactly(hand, jsonpath, expected):
    assert jsonpaths.jsonpath_operator(jsonpath) == "@@"
    assert ids(run(hand, "explorer_filter_jsonpath_match", jsonpath=jsonpath, limit=100)) == expected


@pytest.mark.parametrize("jsonpath,expected", [
    ('$.e[*] ? (@.g == "y")', {"t1"}),
    ("$.b.d[*] ? (@ > 2)", {"t1"}),
    ("$.b.d", {"t1", "t2"}),
    ("$.n", {"t2"}),
    ("$.nothing", set()),
])
def test_jsonpath_paths_match_tracks_where_they_select_something(hand, jsonpath, expected):
    assert jsonpaths.jsonpath_operator(jsonpath) == "@?"
    assert ids(run(hand, "explorer_filter_jsonpath_exists", jsonpath=jsonpath, limit=100)) == expected


def test_filters_stop_at_their_limit_and_report_truncation(hand):
    res = queries.run("explorer_filter_containment", {"doc": "{}", "limit": 3}, url=hand, cap=2)
    assert len(res.df) == 2 and res.truncated


def explain_filter(url: str, name: str, params: dict) -> str:
    from db import engine

    with engine.reader(url).connect() as c, c.begin():
        c.execute(sa.text("set local enable_seqscan = off"))
        return "\n".join(r[0] for r in c.execute(sa.text("explain " + queries.get(name).sql),
                                                 {**params, "limit": 1001}))


@pytest.mark.parametrize("name,params", [
    ("explorer_filter_containment", {"doc": '{"explicit": true}'}),
    ("explorer_filter_containment", {"doc": '{"album": {"album_type": "single", "available_markets": ["SE"]}}'}),
    ("explorer_filter_jsonpath_match", {"jsonpath": "$.explicit == true"}),
    ("explorer_filter_jsonpath_exists", {"jsonpath": '$.album ? (@.album_type == "single")'}),
    ("explorer_filter_jsonpath_exists", {"jsonpath": "$.album.images[*] ? (@.width == 640)"}),
])
def test_filters_can_use_the_raw_json_gin_index(demo_url, name, params):
    assert "tracks_raw_json_slim_idx" in explain_filter(demo_url, name, params)


@pytest.mark.parametrize("jsonpath", ['$.available_markets[*] ? (@ == "SE")', '$.** ? (@ == "SE")',
                                      '$.album.* ? (@ == "SE")', '$."available\\u005fmarkets"[*] ? (@ == "SE")'])
def test_jsonpaths_that_reach_the_markets_do_not_ask_the_index_without_them(demo_url, jsonpath):
    assert "tracks_raw_json_slim_idx" not in explain_filter(demo_url, "explorer_filter_jsonpath_exists",
                                                            {"jsonpath": jsonpath})


MARKET_DOCS = {
    "m1": {"explicit": True, "available_markets": ["SE", "DE"],
           "album": {"album_type": "single", "available_markets": ["SE"]}},
    "m2": {"explicit": True, "available_markets": ["DE"], "album": {"album_type": "album", "available_markets": []}},
    "m3": {"explicit": False, "album": "not an object", "available_markets": "SE"},
    "m4": {"explicit": False, "album": [1, 2]},
}


@pytest.mark.parametrize("name,param,expected", [
    ("explorer_filter_containment", '{"available_markets": ["SE"]}', {"m1"}),
    ("explorer_filter_containment", '{"available_markets": "SE"}', {"m3"}),
    ("explorer_filter_containment", '{"explicit": true, "available_markets": ["DE"]}', {"m1", "m2"}),
    ("explorer_filter_containment", '{"album": {"available_markets": ["SE"]}}', {"m1"}),
    ("explorer_filter_containment", '{"album": {"album_type": "album", "available_markets": []}}', {"m2"}),
    ("explorer_filter_containment", '{"album": [1]}', {"m4"}),
    ("explorer_filter_containment", '["available_markets"]', set()),
    ("explorer_filter_jsonpath_match", '$.available_markets[*] == "SE"', {"m1", "m3"}),
    ("explorer_filter_jsonpath_match", '$.album.available_markets.size() == 0', {"m2"}),
    ("explorer_filter_jsonpath_match", '!exists($.available_markets)', {"m4"}),
    ("explorer_filter_jsonpath_exists", '$.album.available_markets[*] ? (@ == "SE")', {"m1"}),
    ("explorer_filter_jsonpath_exists", '$.** ? (@ == "DE")', {"m1", "m2"}),
    ("explorer_filter_jsonpath_exists", '$.album.* ? (@ == "SE")', {"m1"}),
    ("explorer_filter_jsonpath_exists", '$.album.keyvalue() ? (@.key == "available_markets")', {"m1", "m2"}),
])
def test_filters_on_the_markets_find_what_raw_json_holds(db_url, tmp_path, name, param, expected):
    """The index leaves the available_markets arrays out; the filters still see them."""
    url = load(db_url, tmp_path, MARKET_DOCS)
    key = "doc" if name == "explorer_filter_containment" else "jsonpath"
    assert ids(run(url, name, **{key: param, "limit": 100})) == expected


def test_unindexable_jsonpath_still_works_by_scanning(demo_url):
    df = run(demo_url, "explorer_filter_jsonpath_match", jsonpath="$.popularity > 80", limit=10_000)
    expected = pg_rows(demo_url, "select track_id from tracks where (raw_json->>'popularity')::int > 80")
    assert ids(df) == {r[0] for r in expected} and len(df) > 0


# ---------------------------------------------------------------------------------------------
# Payloads and lookup


def test_payload_returns_the_whole_raw_json(hand):
    df = run(hand, "explorer_track_payload", track_id="t1")
    assert df.at[0, "raw_json"] == DOCS["t1"]
    assert run(hand, "explorer_track_payload", track_id="nope").empty


@pytest.mark.parametrize("q,expected", [
    ("t2", ["t2"]),
    ("Song t3", ["t3"]),
    ("artist T1", ["t1"]),
    ("song", ["t1", "t2", "t3", "t4"]),
    ("%", []),
    ("_", []),
    ("\\", []),
    ("'; drop table tracks; --", []),
    ("x" * 300, []),
])
def test_track_lookup_by_id_or_text_takes_wildcards_literally(hand, q, expected):
    df = run(hand, "explorer_track_lookup", q=q, pattern=jsonpaths.like_contains(q), limit=50)
    assert sorted(df["track_id"]) == expected


# ---------------------------------------------------------------------------------------------
# JSONPath validation by PostgreSQL


@pytest.mark.parametrize("text", ["$.popularity > 80", '$.album.release_date like_regex "^199"',
                                  "$.album.images[*] ? (@.width > 600)", "strict $.a", "$.size", "$.type"])
def test_valid_jsonpaths_pass_the_check(hand, text):
    assert bool(run(hand, "jsonpath_check", jsonpath=text).at[0, "valid"])


@pytest.mark.parametrize("text,fragment", [
    ("$.a >", "syntax error"),
    ("'; drop table tracks; --", "syntax error"),
    ('$.a like_regex "("', "invalid regular expression"),
    ('$."\\u0000"', "unsupported Unicode escape"),
    ("$.a ? (@ ==", "syntax error"),
    ("select * from tracks", "syntax error"),
    ("$[1 to", "syntax error"),
])
def test_invalid_jsonpaths_are_explained_without_an_exception(hand, text, fragment):
    row = run(hand, "jsonpath_check", jsonpath=text).iloc[0]
    assert not bool(row.valid) and fragment in row.message


def test_user_error_explains_what_postgresql_refused(hand):
    with pytest.raises(Exception) as info:
        queries.run("explorer_filter_containment", {"doc": '{"a": "\\u0000"}', "limit": 5}, url=hand)
    assert "NUL" in jsonpaths.user_error(info.value)
    with pytest.raises(Exception) as info:
        queries.run("explorer_filter_jsonpath_match", {"jsonpath": "$.a >", "limit": 5}, url=hand)
    assert "refused" in jsonpaths.user_error(info.value)


def test_user_error_leaves_timeouts_to_the_guard(hand, monkeypatch):
    monkeypatch.setitem(queries.all_queries(), "_slow", queries.Query("_slow", "test", "select pg_sleep(1)", "test"))
    with pytest.raises(Exception) as info:
        queries.run("_slow", {}, url=hand, timeout_ms=50)
    assert isinstance(info.value.orig, psycopg2.errors.QueryCanceled)
    assert jsonpaths.user_error(info.value) is None
    assert jsonpaths.user_error(ValueError("not a database error")) is None


# ---------------------------------------------------------------------------------------------
# db.jsonpaths: pure input handling


@pytest.mark.parametrize("text,jsonpath,display", [
    ("album.images[*].url", "$.album.images[*].url", "album.images[*].url"),
    ("$.album.images[*].url", "$.album.images[*].url", "album.images[*].url"),
    ("album.images[0].url", "$.album.images[0].url", "album.images[0].url"),
    ("album.images[ * ].url", "$.album.images[*].url", "album.images[*].url"),
    ('album."release-date"', '$.album."release-date"', 'album."release-date"'),
    ('"weird key"."q\\"uote"', '$."weird key"."q\\"uote"', '"weird key"."q\\"uote"'),
    ('$."album"."name"', "$.album.name", "album.name"),
    ("[*].name", "$[*].name", "[*].name"),
    ("n[*][*]", "$.n[*][*]", "n[*][*]"),
    ("album.*", "$.album.*", "album.*"),
    ("café", '$."café"', '"café"'),
    ("ключ.値", '$."ключ"."値"', '"ключ"."値"'),
    ('"🎧"', '$."🎧"', '"🎧"'),
    ('"a\\nb"', '$."a\\nb"', '"a\\nb"'),
    ('"\u05e9\u05dc\u05d5\u05dd"', '$."\u05e9\u05dc\u05d5\u05dd"', '"\u05e9\u05dc\u05d5\u05dd"'),
    ("  type.size  ", "$.type.size", "type.size"),
    ('""', '$.""', '""'),
])
def test_paths_become_sql_json_paths(text, jsonpath, display):
    assert jsonpaths.to_jsonpath(text) == jsonpath
    assert jsonpaths.normalise_path(text) == display


@pytest.mark.parametrize("text,fragment", [
    ("", "Type a key path"),
    ("   ", "Type a key path"),
    ("$", "only '$'"),
    ("album name", "Quote keys"),
    ("album..name", "cannot start a key"),
    ("album.", "ends with '.'"),
    ("album[", "array step"),
    ("album[-1]", "array step"),
    ("album[x]", "array step"),
    ("album[99999999999]", "array step"),
    ('album."unclosed', "never closed"),
    ('album."bad \\q escape"', "not a valid JSON string"),
    ('album."\\u0000"', "NUL"),
    ("album\x00name", "NUL"),
    ('album."\\ud800"', "surrogate"),
    ("a\ud800", "surrogate"),
    ("a" * 5000, "5,000 characters"),
    ("a." * 65 + "a", "more than 64 steps"),
    ("'; drop table tracks; --", "cannot start a key"),
    ("album.name; select 1", "expected '.' or '['"),
    ("$album", "expected '.' or '['"),
    ("$.a ? (@ > 1)", "expected '.' or '['"),
    ("@.a", "cannot start a key"),
    ("1abc", "cannot start a key"),
    (")", "cannot start a key"),
])
def test_bad_paths_get_a_friendly_message(text, fragment):
    with pytest.raises(InputError) as info:
        jsonpaths.to_jsonpath(text)
    assert fragment in str(info.value)


@pytest.mark.parametrize("text", [
    '{"explicit": true}', ' {"album": {"album_type": "single"}} ', "[1, 2]", "{}", "[]",
    '{"a": 1e400}', '{"a": 123456789012345678901234567890}', '{"k": "🎧 שלום"}', '{"a": "\\\\u0000"}',
    '[' * 60 + ']' * 60, '{"a": ' + "1" * 4301 + '}', "[" + "9" * 19_990 + "]",
])
def test_containment_accepts_json_objects_and_arrays_as_typed(text):
    assert jsonpaths.parse_containment(text) == text.strip()


@pytest.mark.parametrize("text,fragment", [
    ("", "Type a JSON object"),
    ("   ", "Type a JSON object"),
    ('{"explicit": tru', "not valid JSON"),
    ("{'a': 1}", "double quotes"),
    ('{"a": 1,}', "not valid JSON"),
    ('"just a string"', "this is a JSON string"),
    ("42", "this is a JSON number"),
    ("1" * 4301, "this is a JSON number"),        # beyond Python's 4,300-digit int conversion
    ("true", "this is a JSON boolean"),
    ("null", "this is a JSON null"),
    ('{"a": NaN}', "NaN is not JSON"),
    ('{"a": -Infinity}', "-Infinity is not JSON"),
    ('{"a": "\\u0000"}', "NUL"),
    ('{"\\u0000": 1}', "NUL"),
    ("{\"a\": \"\x00\"}", "NUL"),
    ('{"a": "\\ud800"}', "surrogate"),
    ("[" * 5000 + "]" * 5000, "nested more than"),
    ("[" * 65 + "]" * 65, "nested more than"),
    ('{"a": "' + "x" * 20_000 + '"}', "characters long"),
    ("'; drop table tracks; --", "not valid JSON"),
    ("{} {}", "not valid JSON"),
])
def test_bad_containment_gets_a_friendly_message(text, fragment):
    with pytest.raises(InputError) as info:
        jsonpaths.parse_containment(text)
    assert fragment in str(info.value)


@pytest.mark.parametrize("text,fragment", [
    ("", "Type a JSONPath"),
    ("  \t ", "Type a JSONPath"),
    ("$.a == \x00", "NUL"),
    ("$" + ".a" * 1500, "characters long"),
])
def test_bad_jsonpath_text_is_caught_before_postgresql(text, fragment):
    with pytest.raises(InputError) as info:
        jsonpaths.check_jsonpath(text)
    assert fragment in str(info.value)


@pytest.mark.parametrize("text,operator", [
    ("$.popularity > 80", "@@"),
    ('$.album.release_date like_regex "^199"', "@@"),
    ('$.name starts with "A"', "@@"),
    ("exists($.a ? (@ > 1))", "@@"),
    ("!($.explicit == true)", "@@"),
    ("$.a ? (@ > 1) > 2", "@@"),
    ("($.a == 1) || ($.b == 2)", "@@"),
    ("$.a.type() == \"string\"", "@@"),
    ("$.album.images[*] ? (@.width > 600)", "@?"),
    ('$.x ? (@ == "a)b > c")', "@?"),
    ("$.a ? (@.b ? (@ > 1) == 2).c", "@?"),
    ("$.album", "@?"),
    ('$."a == b"', "@?"),
])
def test_jsonpath_operator_is_chosen_from_the_top_level(text, operator):
    assert jsonpaths.jsonpath_operator(text) == operator


@pytest.mark.parametrize("text,pattern", [
    ("love", "%love%"), ("100%", "%100\\%%"), ("a_b", "%a\\_b%"), ("back\\slash", "%back\\\\slash%"),
])
def test_like_patterns_escape_wildcards(text, pattern):
    assert jsonpaths.like_contains(text) == pattern
