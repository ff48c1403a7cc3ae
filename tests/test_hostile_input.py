"""Property-based hostile input: thousands of arbitrary strings fed to every place text comes in.

The search box, the explorer's key path / containment / JSONPath / path filter / payload lookup, the
history filters from the URL, the Admin page's server path and EXPLAIN parameters, and every named
query's text parameters. Each example runs the real functions against the demo database and either
gets a result or the module's documented user-facing error, whose message is one line; nothing else.
Every test on the database also checks that no table, materialised view or sequence changed (a
checksum of their contents before and after).

Page-level properties (AppTest: URL parameters and typed text) and the read-only path are in
tests/test_read_only_pages.py. `MTM_HOSTILE_SCALE=10` runs ten times as many examples.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re

import psycopg2
import psycopg2.errors
import pytest
import sqlalchemy.exc as sa_exc
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from psycopg2 import sql

from db import explain as explain_mod
from db import jsonpaths, queries, search
from tests.helpers import ROOT
from ui import admin_view, common, filters
from ui import search_view as view
from ui.explorer_view import md as view_md

# Failing examples are remembered under .pytest_cache (ignored by git), not in a .hypothesis/ dir.
EXAMPLES_DB = DirectoryBasedExampleDatabase(os.path.join(ROOT, ".pytest_cache", "hypothesis"))
# MTM_HOSTILE_SCALE=10 runs ten times as many examples (a longer hunt; the default keeps the file quick).
SCALE = max(0.01, float(os.environ.get("MTM_HOSTILE_SCALE", "1")))


def examples(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, database=EXAMPLES_DB,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


HOSTILE = examples(500)       # each example runs queries on the demo database
PURE = examples(1500)         # no database
EXPLORER_TIMEOUT_MS = 5_000          # the explorer page's statement timeout for user-shaped queries
FILTER_QUERIES = {jsonpaths.OPERATOR_MATCH: "explorer_filter_jsonpath_match",     # as app_pages/explorer.py
                  jsonpaths.OPERATOR_EXISTS: "explorer_filter_jsonpath_exists"}


# ---------------------------------------------------------------------------------------------
# Strategies

# Every code point except lone surrogates (a Python str from a browser or a URL never holds one).
CHARS = st.characters(exclude_categories=("Cs",))
SQL_BITS = ["'; drop table tracks; --", "' or '1'='1", "'", "''", '"', "%", "_", "\\", "\\\\", "$$",
            "$tag$", "/*", "*/", "--", ";", ":name", ":q", "::jsonb", "::text", "\\:", "%s", "%(q)s",
            "?", "$1", "E'\\x00'", "\x00", "NULL", "null", "\\N", "truncate tracks", "delete from snapshots",
            "select pg_sleep(10)", "copy tracks to program 'id'", "`", "\r\n", "\t"]
TSQUERY_BITS = list("&|!():*<>") + ["<->", "<2>", "!!", "&&", "||", ":*", "a:*B", "OR", "-", "-\"", " OR ",
                                    "OR OR", '"', '""', "-x", "'a' & 'b'", "!(", "):*"]
JSON_BITS = ["{", "}", "[", "]", ",", ":", '"', '{"a":', '"a"', "[[[[", "]]]]", "1e999999", "-1e-999999",
             "-0", "0.1e+2", "123456789012345678901234567890", "NaN", "Infinity", "-Infinity", "true",
             "false", "null", '"\\u0000"', '"\\ud800"', '"\\ud83c\\udfb8"', '"\\"', "'a'", "{'a': 1}",
             '{"explicit": true}', '{"album": {"album_type": "single"}}', '[{"name": "Björk"}]', "\ufeff"]
PATH_BITS = ["$", "$.", ".", "..", "a", "album", "images", "[*]", "[0]", "[999999999]", "[1000000000]",
             "[-1]", "[ 3 ]", "[", "]", ".*", "*", "**", '"release-date"', '"a\\"b"', '"\\u0000"', '"',
             '"\\ud800"', "ключ", "café", "_x1", "1a", "@", "$x", " ", "last", "[last]", "[0 to 2]"]
JSONPATH_BITS = ["$", "$.popularity", "$.album.release_date", "$.album.images[*]", "$.explicit", "@", "@.width",
                 " > ", " < ", " == ", " != ", " <> ", " >= ", " && ", " || ", "!", "(", ")", "? (", "80",
                 "1e999999", "-0.0", '"x"', '"^199"', "like_regex", ' like_regex "(["', ' flag "q"',
                 ' flag "zz"', "starts with", "exists(", "is unknown", "strict ", "lax ", "last", "[0 to last]",
                 "$.**", "$.**{2 to last}", ".type()", ".size()", ".double()", ".datetime()",
                 '.datetime("HH24")', ".keyvalue()", ".bigint()", ".decimal(3, 1)", "$var", "$\"x\"", "true",
                 "null", "1/0", "$.popularity / 0", "- $.x", "+", "%", "$.a[1,2]", "*", "{", "}"]
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
EXOTIC = ["🎸", "👩‍👩‍👧‍👦", "🏳️‍🌈", "مرحبا بالعالم", "שלום", "\u202egnp.exe", "\u200b", "\u200d", "\ufeff",
          "e\u0301", "\u0301", "ß", "İ", "ǅ", "ﬃ", "Ⅻ", "①", "٣", "𝔘𝔫𝔦", "\U0010ffff", "\ufffd", "\uffff",
          "Beyoncé", "Mötley Crüe", "Sigur Rós", "björk", "東京事変", "방탄소년단", "Ｒａｄｉｏｈｅａｄ"]
WHITESPACE = " \t\n\r\x0b\x0c\u00a0\u1680\u2000\u2003\u200a\u2028\u2029\u202f\u205f\u3000\u200b\ufeff"

unicode_text = st.text(CHARS, max_size=80)
whitespace_only = st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=40)


def long_text(max_chars: int = 6_000):
    """A unit repeated to a length of 200..max_chars characters."""
    return st.builds(lambda unit, n: (unit * (n // len(unit) + 1))[:n],
                     st.one_of(st.text(CHARS, min_size=1, max_size=12), st.sampled_from(SQL_BITS + EXOTIC)),
                     st.integers(200, max_chars))


def mixed(*bit_lists: list[str], max_parts: int = 10):
    """Strings glued together from sampled fragments and arbitrary text."""
    bits = [b for bits in bit_lists for b in bits]
    part = st.one_of(st.sampled_from(bits), st.sampled_from(EXOTIC), st.text(CHARS, max_size=6),
                     st.sampled_from(list(LINE_BREAKS)))
    return st.lists(part, max_size=max_parts).map("".join)


def hostile(*bit_lists: list[str]):
    """Arbitrary text with the given fragments (and SQL fragments) mixed in, long text, only spaces."""
    return st.one_of(mixed(SQL_BITS, *bit_lists), unicode_text, whitespace_only, long_text(),
                     st.sampled_from(SQL_BITS + EXOTIC + [b for bits in bit_lists for b in bits]))


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**40, 10**40),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(CHARS, max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(CHARS, max_size=10), inner, max_size=4)), max_leaves=20)
json_docs = st.one_of(json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
                      json_values.map(json.dumps),
                      st.sampled_from(["[" * 200 + "]" * 200, '{"a":' * 100 + "1" + "}" * 100,
                                       "[" * 5000, "[" * 20000 + "]" * 20000]))


# Structured input, so that many examples get past the parsers and reach PostgreSQL.
KEYS = ["popularity", "album", "name", "explicit", "images", "width", "url", "release_date", "artists",
        "available_markets", "duration_ms", "external_ids", "isrc", "album_type", "type", "id", "preview_url",
        "release-date", "0", "", "a b", "ключ", "café", "$", "@", "*", "last", "like_regex", "true"]
any_key = st.one_of(st.sampled_from(KEYS), st.text(CHARS, max_size=12))


def _key_step(key: str, ascii_escapes: bool) -> str:
    if re.fullmatch(r"[^\W\d]\w*", key) and not ascii_escapes:
        return "." + key
    return "." + json.dumps(key, ensure_ascii=ascii_escapes)


path_step = st.one_of(
    st.builds(_key_step, any_key, st.booleans()),
    st.sampled_from(["[*]", ".*", "[0]", "[1]", "[ 2 ]", "[999999999]"]),
    st.integers(0, 10**9 - 1).map(lambda n: f"[{n}]"))
key_paths = st.builds(lambda root, steps: root + "".join(steps),
                      st.sampled_from(["", "$", "$"]), st.lists(path_step, min_size=1, max_size=8))

jp_number = st.one_of(st.integers(-10**30, 10**30).map(str), st.sampled_from(
    ["0", "-0", "80", "1.5", ".5", "1e3", "1e999999", "-1e-999999", "0x1F", "1_000", "0b101", "00"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr))
jp_string = st.one_of(st.text(CHARS, max_size=15).map(lambda t: json.dumps(t, ensure_ascii=False)),
                      st.text(CHARS, max_size=15).map(json.dumps),
                      st.sampled_from(['"\\u0000"', '"\\x41"', '"\\q"', '"\\ud800"', '"unclosed', "'single'"]))
jp_literal = st.one_of(jp_number, jp_string, st.sampled_from(["true", "false", "null", "$x", "$\"y\""]))
jp_method = st.sampled_from([".type()", ".size()", ".double()", ".abs()", ".floor()", ".ceiling()", ".keyvalue()",
                             ".datetime()", '.datetime("YYYY-MM-DD")', '.datetime("HH24:MI")', '.datetime("q")',
                             ".bigint()", ".boolean()", ".string()", ".number()", ".decimal(3, 1)",
                             ".decimal(1000000)", ".integer()", "[last]", "[0 to last]", "[last - 1]", "[1, 2]",
                             "[2 to 1]", ".**", ".**{1 to 3}", ".**{last}", "[$.size()]", "[-1]", "[1.5]"])
jp_regex = st.one_of(st.text(CHARS, max_size=10), st.sampled_from(
    ["^199", "(", "[", ")", "a{1000000}", "(a+)+$", "\\", "\\d+", "(?i)x", "[[:alpha:]]", "\\1", "***", "x{2,1}"]))
jp_flags = st.one_of(st.text(st.sampled_from("imsqx"), max_size=4), st.text(CHARS, max_size=3))


def jp_path(root: str):
    return st.builds(lambda mode, steps: mode + root + "".join(steps),
                     st.sampled_from(["", "", "", "strict ", "lax "]) if root == "$" else st.just(""),
                     st.lists(st.one_of(path_step, jp_method), max_size=5))


def jp_predicate(root: str):
    path = jp_path(root)
    op = st.sampled_from([" == ", " != ", " <> ", " < ", " <= ", " > ", " >= "])
    base = st.one_of(
        st.builds(lambda a, o, b: a + o + b, path, op, jp_literal),
        st.builds(lambda a, o, b: a + o + b, path, op, path),
        st.builds(lambda a, r, f: f"{a} like_regex {json.dumps(r, ensure_ascii=False)}"
                                  + (f" flag {json.dumps(f, ensure_ascii=False)}" if f else ""),
                  path, jp_regex, st.one_of(st.just(""), jp_flags)),
        st.builds(lambda a, b: f"{a} starts with {b}", path, jp_string),
        st.builds(lambda a: f"exists({a})", path),
        st.builds(lambda a, o, b: f"{a} {o} {b}", path, st.sampled_from(["+", "-", "*", "/", "%"]), jp_number)
        .map(lambda e: e + " > 0"))
    return st.recursive(base, lambda inner: st.one_of(
        st.builds(lambda a, o, b: f"{a}{o}{b}", inner, st.sampled_from([" && ", " || "]), inner),
        inner.map(lambda a: f"!({a})"), inner.map(lambda a: f"({a}) is unknown")), max_leaves=4)


jsonpaths_structured = st.one_of(
    jp_predicate("$"),                                                               # @@
    st.builds(lambda a, p: f"{a} ? ({p})", jp_path("$"), jp_predicate("@")),         # @?
    jp_path("$"))

containment_docs = st.one_of(
    st.dictionaries(any_key, json_values, max_size=4),
    st.lists(json_values, max_size=4),
    st.sampled_from([{"explicit": True}, {"album": {"album_type": "single"}}, {"artists": [{"name": "Queen"}]},
                     {"popularity": 21}, {"available_markets": ["AR"]}, {"album": {"images": [{"width": 640}]}}]),
).map(lambda doc: json.dumps(doc, ensure_ascii=False))


# ---------------------------------------------------------------------------------------------
# Helpers


def checksums(url: str) -> dict[str, tuple]:
    """(rows, md5 of the sorted row md5s) of every table and materialised view outside the system
    schemas, and (last_value, is_called) of every sequence: any write shows up here."""
    conn = psycopg2.connect(url)
    out: dict[str, tuple] = {}
    try:
        with conn.cursor() as cur:
            cur.execute("""select c.relkind, n.nspname, c.relname from pg_class c
                           join pg_namespace n on n.oid = c.relnamespace
                           where c.relkind in ('r', 'm', 'p', 'S')
                             and n.nspname not in ('pg_catalog', 'information_schema')
                             and n.nspname not like 'pg\\_%'
                           order by 2, 3""")
            for kind, schema, name in cur.fetchall():
                rel = sql.Identifier(schema, name)
                if kind == "S":
                    cur.execute(sql.SQL("select last_value, is_called from {}").format(rel))
                else:
                    cur.execute(sql.SQL("select count(*), md5(coalesce(string_agg(h, '' order by h), '')) "
                                        "from (select md5(t::text) as h from {} t) s").format(rel))
                out[f"{schema}.{name}"] = cur.fetchone()
    finally:
        conn.close()
    return out


@contextlib.contextmanager
def unchanged(url: str):
    """Assert that nothing in the database changed inside the block."""
    before = checksums(url)
    assert before, "no tables found"
    yield
    after = checksums(url)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"hostile input changed {changed}"


def one_line(message: object) -> str:
    text = str(message)
    assert text.strip(), "empty message"
    assert not any(c in text for c in LINE_BREAKS), f"message spans lines: {text!r}"
    return text


def pg_error(exc: BaseException):
    return getattr(exc, "orig", exc)


def page_run(name: str, cap: int = queries.DEFAULT_ROW_CAP, **params) -> queries.Result | str:
    """What app_pages/explorer.py's _run does: the result, or the one-line message it shows for an input
    PostgreSQL refused or a timeout; anything else (a bug) propagates."""
    try:
        return queries.run(name, params, cap=cap, timeout_ms=EXPLORER_TIMEOUT_MS)
    except Exception as exc:
        message = jsonpaths.user_error(exc) or common.classify(exc)
        if message is None:
            raise
        assert not isinstance(pg_error(exc), psycopg2.errors.ReadOnlySqlTransaction), "a read tried to write"
        return one_line(message)


@pytest.fixture(scope="module")
def demo_module(demo_db):
    """The demo database with a checksum taken once for the whole module and compared at its end."""
    before = checksums(demo_db)
    yield demo_db
    assert checksums(demo_db) == before, "the hostile-input tests changed the demo database"


@pytest.fixture
def db(demo_module, demo_url):
    """The demo database; the test fails (in teardown) if any table, view or sequence changed."""
    with unchanged(demo_url):
        yield demo_url


# ---------------------------------------------------------------------------------------------
# Search box (app_pages/search.py: db.search.parse -> search_tracks -> ui.search_view)


@PURE
@given(hostile(TSQUERY_BITS))
def test_search_parse_accepts_any_text_and_builds_bounded_parameters(raw):
    q = search.parse(raw)
    assert len(q.clauses) <= search.MAX_TERMS
    assert len(q.text) <= search.MAX_QUERY_CHARS
    params = q.params(51)
    for value in params.values():
        if isinstance(value, str):
            assert "\x00" not in value and not re.search("[\ud800-\udfff]", value)
    assert q.empty == (params["tsq"] == "")
    view.query_notes(q)
    one_line(view.no_match_text(q)) if not q.empty else None
    for needle, _prefix in q.needles():
        assert needle


@PURE
@given(hostile(TSQUERY_BITS), st.one_of(unicode_text, st.sampled_from(EXOTIC)), st.booleans())
def test_search_highlighting_keeps_any_text_whole(raw, text, fuzzy):
    needles = search.parse(raw).needles()
    pieces = view.highlight_spans(text, needles, fuzzy)
    assert "".join(p for p, _ in pieces) == text
    assert "<" not in re.sub(r"<mark style=\"[^\"]*\">|</mark>", "", view.highlight_html(text, needles, fuzzy))


@HOSTILE
@given(hostile(TSQUERY_BITS))
def test_search_box_returns_results_for_any_text(db, raw):
    q = search.parse(raw)
    if q.empty:
        event("nothing to search for")
        return
    res = queries.run("search_tracks", q.params(51), cap=50)
    event("results" if len(res.df) else "no match")
    assert len(res.df) <= 50
    df = view.prepare_results(res.df)
    view.query_notes(q)
    if df.empty:
        one_line(view.no_match_text(q))
    else:
        one_line(view.status_text(df, res.truncated, res.elapsed_ms))
        view.results_html(df, q.needles())
        view.table_frame(df)


@pytest.fixture
def search_played_db(plays_export_db, monkeypatch):
    """The demo export's database (plays, no library); the test fails if anything in it changed."""
    monkeypatch.setenv("DATABASE_URL", plays_export_db)
    with unchanged(plays_export_db):
        yield plays_export_db


@HOSTILE
@given(hostile(TSQUERY_BITS))
def test_search_box_finds_plays_for_any_text(search_played_db, raw):
    """app_pages/search.py's "In your plays": search_play_items -> ui.search_view -> play_item_history."""
    q = search.parse(raw)
    if q.empty:
        event("nothing to search for")
        return
    res = queries.run("search_play_items", q.params(51), cap=50)
    event("results" if len(res.df) else "no match")
    assert len(res.df) <= 50
    df = view.prepare_plays(res.df)
    if df.empty:
        one_line(view.no_match_text(q, view.NO_PLAY_MATCH))
        return
    one_line(view.plays_status_text(df, res.truncated, res.elapsed_ms))
    view.plays_results_html(df, q.needles())
    view.plays_table_frame(df)
    view.play_label(df.iloc[0])
    history = queries.run("play_item_history", {"name_key": df.iloc[0]["name_key"], "tz": "UTC", "min_seconds": 30}).df
    assert int(history["plays"].sum()) == int(df.iloc[0]["plays"])


# ---------------------------------------------------------------------------------------------
# Explorer (app_pages/explorer.py: db.jsonpaths -> explorer.sql)


@PURE
@given(st.one_of(key_paths, mixed(PATH_BITS, max_parts=12), hostile(PATH_BITS)))
def test_key_path_is_a_jsonpath_or_a_one_line_input_error(text):
    try:
        path = jsonpaths.to_jsonpath(text)
    except jsonpaths.InputError as exc:
        one_line(exc)
        return
    assert path.startswith("$")
    display = jsonpaths.normalise_path(text)    # the inventory's spelling reads back as the same path
    if len(display) <= jsonpaths.MAX_PATH_CHARS:   # (quoting can make it longer than the input limit)
        assert jsonpaths.to_jsonpath(display) == path


@HOSTILE
@given(st.one_of(key_paths, key_paths, mixed(PATH_BITS, max_parts=12), hostile(PATH_BITS)))
def test_any_accepted_key_path_runs_and_postgresql_accepts_it(db, text):
    try:
        path = jsonpaths.to_jsonpath(text)
    except jsonpaths.InputError:
        event("InputError")
        return
    event("accepted")
    # a path the parser accepted must be valid jsonpath: no "refused" message, a result
    for name in ("json_path_values", "json_path_histogram"):
        res = queries.run(name, {"path": path, "max_values": 50_000, "limit": 25, "bins": 20},
                          timeout_ms=EXPLORER_TIMEOUT_MS)
        assert res.df is not None


@HOSTILE
@given(st.one_of(containment_docs, containment_docs, json_docs, mixed(JSON_BITS, max_parts=12), hostile(JSON_BITS)))
def test_containment_is_json_or_a_one_line_input_error_and_always_runs(db, text):
    try:
        doc = jsonpaths.parse_containment(text)
    except jsonpaths.InputError as exc:
        one_line(exc)
        event("InputError")
        return
    res = page_run("explorer_filter_containment", doc=doc, limit=1001, cap=1000)
    assert isinstance(res, (queries.Result, str))
    event("refused by PostgreSQL" if isinstance(res, str) else "matches" if len(res.df) else "no match")


@HOSTILE
@given(st.one_of(jsonpaths_structured, jsonpaths_structured, jsonpaths_structured,
                 mixed(JSONPATH_BITS, max_parts=8), hostile(JSONPATH_BITS)))
@example("$0")                  # regression: valid syntax, but a variable: the filter query raised
@example("$.a ? (@ > $min)")
@example("$.popularity > 1.5é")  # regression: PostgreSQL quotes back half of the é; psycopg2 raised
def test_jsonpath_filter_gives_results_or_a_one_line_message(db, text):
    try:
        jp = jsonpaths.check_jsonpath(text)
    except jsonpaths.InputError as exc:
        one_line(exc)
        event("InputError")
        return
    check_res = page_run("jsonpath_check", jsonpath=jp)
    if isinstance(check_res, str):    # pg_input_is_valid itself raises for some input (1e999999)
        event("check refused by PostgreSQL")
        return
    row = check_res.df.iloc[0]
    if not bool(row["valid"]):
        # as the page shows it (ui.explorer_view.md flattens the raw \r PostgreSQL may quote back)
        one_line(view_md(f"That JSONPath is not valid: {row['message']} ({row['detail']})"))
        event("not valid jsonpath")
        return
    event("valid jsonpath")
    # the page's Auto choice, and the two operators a user can pick by hand
    for operator in {jsonpaths.jsonpath_operator(jp), jsonpaths.OPERATOR_MATCH, jsonpaths.OPERATOR_EXISTS}:
        res = page_run(FILTER_QUERIES[operator], jsonpath=jp, limit=1001, cap=1000)
        assert isinstance(res, (queries.Result, str))
        event(f"{operator} " + ("refused by PostgreSQL" if isinstance(res, str) else "ran"))


@HOSTILE
@given(hostile(PATH_BITS, ["%", "_", "\\%", "[*]", "album"]))
def test_inventory_filter_and_payload_lookup_take_any_text(db, text):
    try:
        q = jsonpaths.clean_text(text, "filter", 300)
        pattern = jsonpaths.like_contains(q)
    except jsonpaths.InputError as exc:
        one_line(exc)
        return
    listed = queries.run("json_path_inventory_list", {"q": q, "limit": 2_000})
    if q.isascii():     # (Python and PostgreSQL lower-case some non-ASCII letters differently: İ)
        assert all(q.lower() in p.lower() for p in listed.df["path"])
    found = page_run("explorer_track_lookup", q=q, pattern=pattern, limit=50)
    assert isinstance(found, queries.Result), found


# ---------------------------------------------------------------------------------------------
# History filters from the URL (ui/filters.py)

FIRST, LAST = dt.date(2024, 1, 1), dt.date(2025, 12, 31)
DATE_BITS = ["2024-01-01", "2025-12-31", "2024-02-30", "0000-00-00", "9999-12-31", "2024-1-1", "-", "T00:00",
             "+01:00", "١٢٣٤-٠١-٠١", "２０２４－０１－０１", "2024-01-01\n", " ", "now", "infinity", "epoch", "today"]
url_value = st.one_of(st.none(), hostile(DATE_BITS, filters.TIME_RANGES))


@PURE
@given(url_value, url_value, url_value)
def test_url_filters_parse_to_defaults_or_values_within_the_data(since, until, time_range):
    (lo, hi), problem = filters.parse_date_range(since, until, FIRST, LAST)
    assert FIRST <= lo <= hi <= LAST
    assert problem is None or one_line(problem)
    value, problem = filters.parse_time_range(time_range)
    assert value in filters.TIME_RANGES and (problem is None or one_line(problem))


@HOSTILE
@given(st.one_of(url_value, st.sampled_from(["Björk", "björk", "Mötley Crüe", "Beyoncé"])))
def test_url_artist_is_checked_against_the_database_and_every_query_takes_it(db, text):
    known_calls = []

    def known(name: str) -> bool:
        known_calls.append(name)
        found = queries.run("history_artist_appearances", {"artist": name}).df
        return not found.empty and int(found.at[0, "appearances"]) > 0

    artist, problem = filters.parse_artist(text, known)
    assert (artist is None) or (artist == text and problem is None)
    assert problem is None or one_line(problem)
    if text is not None and text.strip() and len(text) <= filters.MAX_ARTIST_CHARS and "\x00" not in text:
        # what the history page would run had the artist been known: the name only ever travels bound
        f = filters.HistoryFilters(since=FIRST, until=LAST, time_range="short_term", artist=text)
        res = queries.run("history_top_tracks", {**f.params(), "limit": 200})
        assert set(res.df["artist_name"]) <= {text}
        event("artist with snapshots" if len(res.df) else "artist without snapshots")
    assert all(len(c) <= filters.MAX_ARTIST_CHARS and "\x00" not in c for c in known_calls)


# ---------------------------------------------------------------------------------------------
# Admin page inputs (ui/admin_view.py, db/explain.py)


@PURE
@given(hostile(["/", "~", "..", "../../etc/passwd", "~root", "\\server\\share", "C:\\x.db"]))
@example("[" * 5_000)      # regression: json.loads raised RecursionError, which the form does not catch
def test_server_path_and_explain_json_fields_give_one_line_errors(text):
    try:
        path = admin_view.server_path(text)
        assert path and "\x00" not in path
    except admin_view.UploadRejected as exc:
        one_line(exc)
    try:
        admin_view.parse_field("json", text)
    except ValueError as exc:
        one_line(exc)
    admin_view.safe_filename(text)


EXPLAIN_TEXT_PARAMS = sorted((name, p) for name, q in explain_mod.explainable_queries().items()
                             for p in q.params if admin_view.field_kind(q.example.get(p)) == "text")


@examples(250)
@given(st.sampled_from(EXPLAIN_TEXT_PARAMS), hostile(TSQUERY_BITS, JSONPATH_BITS, DATE_BITS))
def test_explain_with_any_text_parameter_gives_a_plan_or_a_one_line_error(db, target, text):
    name, param = target
    query = explain_mod.explainable_query(name)
    values = {p: admin_view.parse_field(admin_view.field_kind(query.example.get(p)),
                                        text if p == param else query.example.get(p))
              for p in query.params}
    try:
        result = explain_mod.explain(name, values, timeout_ms=5_000)
        assert result.nodes
        event("plan")
    except explain_mod.ExplainError as exc:
        one_line(exc)
        event("ExplainError")


@PURE
@given(st.one_of(hostile(["refresh_", "refresh_json_path_inventory", "search_tracks "]),
                 st.sampled_from(sorted(n for n in queries.all_queries() if n.startswith("refresh_")))))
def test_explain_refuses_any_other_name_and_every_refresh_query_in_one_line(name):
    assume(name not in queries.all_queries() or name.startswith("refresh_"))
    with pytest.raises(explain_mod.ExplainRefused) as caught:
        explain_mod.explainable_query(name)
    one_line(caught.value)


# ---------------------------------------------------------------------------------------------
# Every named read query, any text in any text parameter: a result or PostgreSQL refusing the value


READ_TEXT_PARAMS = sorted((name, p) for name, q in queries.all_queries().items() if not name.startswith("refresh_")
                          for p in q.params if q.example.get(p) is None or isinstance(q.example.get(p), str))


@examples(600)
@given(st.sampled_from(READ_TEXT_PARAMS), hostile(TSQUERY_BITS, JSONPATH_BITS, JSON_BITS, DATE_BITS))
@example(("plays_on_this_day", "day"), "INFINITY")     # found by a run: FeatureNotSupported, refused as a value
def test_every_named_query_takes_any_text_without_writing(db, target, text):
    """Pages never pass raw text to most of these (dates are parsed first, search text becomes a
    tsquery ...): this is about what a mistake could do. The value is bound, so PostgreSQL either
    answers or refuses it as a value; never a statement, never a write (the fixture checks)."""
    name, param = target
    params = {**queries.get(name).example, param: text}
    try:
        queries.run(name, params, timeout_ms=EXPLORER_TIMEOUT_MS)
        event("answered")
    except sa_exc.DBAPIError as exc:
        # FeatureNotSupported: a value PostgreSQL takes but cannot use there, e.g. the date
        # 'infinity' whose year plays_on_this_day casts to int ("cannot convert infinity to integer").
        assert isinstance(exc.orig, (psycopg2.DataError, psycopg2.ProgrammingError,
                                     psycopg2.errors.QueryCanceled,
                                     psycopg2.errors.FeatureNotSupported)), repr(exc.orig)
        event(f"refused: {type(exc.orig).__name__}")
    except ValueError as exc:       # psycopg2 itself refuses a NUL before sending anything
        assert "\x00" in text and "NUL" in str(exc)
        event("NUL refused by psycopg2")


# ---------------------------------------------------------------------------------------------
# Explorer over plays (app_pages/explorer.py with source "Plays": db.jsonpaths -> explorer.sql's plays
# queries), on the demo export: no raw_json index, so the filters scan under the explorer's timeout.

PLAYS_HOSTILE = examples(250)
PLAYS_FILTER_QUERIES = {jsonpaths.OPERATOR_MATCH: "explorer_plays_filter_jsonpath_match",
                        jsonpaths.OPERATOR_EXISTS: "explorer_plays_filter_jsonpath_exists"}
PLAY_KEYS = ["shuffle", "skipped", "reason_end", "ms_played", "ts", "platform", "conn_country", "listening_context",
             "master_metadata_track_name", "episode_show_name", "offline_timestamp", "msPlayed", "endTime"]
plays_containment_docs = st.one_of(
    st.dictionaries(st.one_of(st.sampled_from(PLAY_KEYS), any_key), json_values, max_size=4),
    st.sampled_from([{"shuffle": True}, {"reason_end": "fwdbtn", "skipped": True}, {"conn_country": "DE"},
                     {"listening_context": {"type": "playlist"}}, {"ms_played": 30000}]),
).map(lambda doc: json.dumps(doc, ensure_ascii=False))
play_ids = st.one_of(
    st.builds(lambda when, ms, key: f"{when}|{ms}|{key}",
              st.one_of(st.sampled_from(["2026-11-15T21:56:46+00:00", "2024-03-31T00:40:00Z", "infinity", "epoch",
                                         "2024-02-30T00:00:00+00:00", "0001-01-01 BC"]), hostile(DATE_BITS)),
              st.one_of(st.integers(0, 10**12).map(str), hostile([])),
              st.one_of(st.uuids().map(str), hostile(["00000000-0000-0000-0000-000000000000"]))),
    hostile(["|", "||", "|1|"]))


@pytest.fixture(scope="module")
def plays_module(plays_export_db):
    """The demo export's database, checked once for the whole module as demo_module is."""
    before = checksums(plays_export_db)
    yield plays_export_db
    assert checksums(plays_export_db) == before, "the hostile-input tests changed the plays database"


@pytest.fixture
def plays_db(plays_module, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", plays_module)
    with unchanged(plays_module):
        yield plays_module


@PLAYS_HOSTILE
@given(st.one_of(key_paths, st.sampled_from(PLAY_KEYS), mixed(PATH_BITS, PLAY_KEYS, max_parts=12), hostile(PATH_BITS)))
def test_plays_values_take_any_accepted_key_path(plays_db, text):
    try:
        path = jsonpaths.to_jsonpath(text)
    except jsonpaths.InputError as exc:
        one_line(exc)
        event("InputError")
        return
    for name in ("plays_json_path_values", "plays_json_path_histogram"):
        res = queries.run(name, {"path": path, "max_values": 50_000, "limit": 25, "bins": 20},
                          timeout_ms=EXPLORER_TIMEOUT_MS)
        assert res.df is not None
    event("values" if len(res.df) else "no values")


@PLAYS_HOSTILE
@given(st.one_of(plays_containment_docs, plays_containment_docs, json_docs, mixed(JSON_BITS, max_parts=12),
                 hostile(JSON_BITS)))
def test_plays_containment_gives_plays_or_a_one_line_message(plays_db, text):
    try:
        doc = jsonpaths.parse_containment(text)
    except jsonpaths.InputError as exc:
        one_line(exc)
        event("InputError")
        return
    res = page_run("explorer_plays_filter_containment", doc=doc, limit=1001, cap=1000)
    assert isinstance(res, (queries.Result, str))
    event("refused by PostgreSQL" if isinstance(res, str) else "matches" if len(res.df) else "no match")


@PLAYS_HOSTILE
@given(st.one_of(jsonpaths_structured, jsonpaths_structured, mixed(JSONPATH_BITS, PLAY_KEYS, max_parts=8),
                 hostile(JSONPATH_BITS)))
@example("$.ms_played > 1.5é")
@example("$x")
def test_plays_jsonpath_filter_gives_plays_or_a_one_line_message(plays_db, text):
    try:
        jp = jsonpaths.check_jsonpath(text)
    except jsonpaths.InputError as exc:
        one_line(exc)
        event("InputError")
        return
    check_res = page_run("jsonpath_check", jsonpath=jp)
    if isinstance(check_res, str) or not bool(check_res.df.at[0, "valid"]):
        event("not valid jsonpath")
        return
    for operator in {jsonpaths.jsonpath_operator(jp), jsonpaths.OPERATOR_MATCH, jsonpaths.OPERATOR_EXISTS}:
        res = page_run(PLAYS_FILTER_QUERIES[operator], jsonpath=jp, limit=1001, cap=1000)
        assert isinstance(res, (queries.Result, str))
        event(f"{operator} " + ("refused by PostgreSQL" if isinstance(res, str) else "ran"))


@PLAYS_HOSTILE
@given(hostile(PATH_BITS, PLAY_KEYS, ["%", "_", "\\%", "[*]"]), play_ids)
def test_plays_inventory_filter_and_payload_ids_take_any_text(plays_db, text, play_id):
    try:
        q = jsonpaths.clean_text(text, "filter", 300)
    except jsonpaths.InputError as exc:
        one_line(exc)
    else:
        listed = queries.run("plays_json_path_inventory_list", {"q": q, "limit": 2_000})
        if q.isascii():
            assert all(q.lower() in p.lower() for p in listed.df["path"])
    from ui import explorer_view

    params = explorer_view.parse_play_id(play_id)
    if params is None:
        event("not a play id")
        return
    try:
        res = page_run("explorer_play_payload", **params)
    except ValueError as exc:       # psycopg2 refuses a NUL before sending anything
        assert "\x00" in play_id and "NUL" in str(exc)
        return
    assert isinstance(res, (queries.Result, str))
    event("refused by PostgreSQL" if isinstance(res, str) else "found" if len(res.df) else "no such play")


@PLAYS_HOSTILE
@given(hostile(TSQUERY_BITS, PLAY_KEYS, ["Mötley Crüe", "motley", "crue", "%", "_", "\\%", "OR", "-"]))
@example("x" * 5000)
@example(" " * 40)
@example("motley\x00crue")
def test_explorer_plays_lookup_by_name_gives_plays_or_a_friendly_no_match(plays_db, text):
    """app_pages/explorer.py's "find a play" box: ui.explorer_view.play_lookup_params -> explorer_plays_lookup."""
    from ui import explorer_view

    params = explorer_view.play_lookup_params(text, 50)
    if params is None:
        event("nothing to look for")
        return
    res = page_run("explorer_plays_lookup", **params)
    assert isinstance(res, queries.Result), res
    assert len(res.df) <= 50 and res.df["ended_at"].is_monotonic_decreasing
    similar = not res.df.empty and (res.df["match"] == "similar").all()
    one_line(explorer_view.play_lookup_caption(len(res.df), 50, similar, text))
    for _, row in res.df.iterrows():
        assert explorer_view.parse_play_id(explorer_view.play_id(row)) is not None
        one_line(explorer_view.play_lookup_label(row))
    event("plays" if len(res.df) else "no match")
