"""Pages under hostile input, and the read-only path their reads take.

1. Page-level properties (AppTest): arbitrary strings in the URL query parameters each page reads and
   typed into its text boxes: the page runs without an exception and no table changes.
2. The read-only path: every page read goes through db.queries.run on the reader engine, whose
   transactions are read-only, so a named query that writes by mistake fails instead of writing; the
   pages and ui/ never open a connection of their own or reach the writer; the named SQL holds no
   transaction or session control that could turn read-only off. Only the import (migrate/) writes.

Query-level properties (thousands of examples, no Streamlit) are in tests/test_hostile_input.py.
"""
from __future__ import annotations

import ast
import datetime as dt
import glob
import os
import re

import psycopg2.errors
import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from db import engine, explain, queries
from tests.helpers import ROOT, figures
from tests.test_hostile_input import (
    DATE_BITS,
    EXPLAIN_TEXT_PARAMS,
    JSON_BITS,
    JSONPATH_BITS,
    PATH_BITS,
    TSQUERY_BITS,
    checksums,
    containment_docs,
    examples,
    hostile,
    jsonpaths_structured,
    key_paths,
    unchanged,
)
from ui import common, filters, search_view

PAGES = os.path.join(ROOT, "app_pages")
PAGE_EXAMPLES = examples(30)      # an AppTest run of a page is ~0.1-0.3 s on the demo data
READ_ONLY_MESSAGE = "This page is read-only and cannot change data."
ADMIN_PASSWORD = "hostile input test password"


@pytest.fixture(scope="module")
def demo_module(demo_db):
    before = checksums(demo_db)
    yield demo_db
    assert checksums(demo_db) == before, "the page tests changed the demo database"


@pytest.fixture
def db(demo_module, demo_url):
    """The demo database; the test fails (in teardown) if any table, view or sequence changed."""
    with unchanged(demo_url):
        yield demo_url


def page(name: str, query_params: dict | None = None) -> AppTest:
    at = AppTest.from_file(os.path.join(PAGES, f"{name}.py"), default_timeout=60)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    return at.run()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


# ---------------------------------------------------------------------------------------------
# 1. Pages under hostile input


@PAGE_EXAMPLES
@given(hostile(TSQUERY_BITS), hostile(TSQUERY_BITS))
def test_search_page_takes_any_url_query_and_any_typed_text(db, url_q, typed):
    at = ok(page("search", {"q": url_q}))
    assert at.text_input(key="q").value == url_q          # the box shows the link's search
    assert search_outcome(at)
    ok(at.text_input(key="q").input(typed).run())
    assert search_outcome(at)


def search_outcome(at: AppTest) -> str | None:
    """What the search page answered: results, no match, nothing to search for, or the examples."""
    if at.get("html"):
        return "results"
    if any(i.value.startswith("No track matches") for i in at.info):
        return "no match"
    if any(i.value == search_view.EMPTY_QUERY_TEXT for i in at.info):
        return "nothing to search for"
    if any(c.value.startswith("Type to search") for c in at.caption):
        return "examples"
    return None


url_value = st.one_of(st.none(), hostile(DATE_BITS, filters.TIME_RANGES),
                      st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat))


@PAGE_EXAMPLES
@given(url_value, url_value, url_value, st.one_of(url_value, st.sampled_from(["Björk", "Beyoncé", "Queen"])))
def test_history_page_takes_any_url_filters_and_writes_back_valid_ones(db, since, until, time_range, artist):
    params = {k: v for k, v in {"from": since, "to": until, "time_range": time_range, "artist": artist}.items()
              if v is not None}
    at = ok(page("history", params))
    url = dict(at.query_params)
    assert filters.parse_date(url["from"]) and filters.parse_date(url["to"])
    assert url["from"] <= url["to"]
    assert url["time_range"] in filters.TIME_RANGES
    assert url.get("artist") in (None, artist)             # kept only when the link's artist is known
    garbage = (filters.parse_date_range(since, until, dt.date(1, 1, 1), dt.date(9999, 12, 31))[1]
               or filters.parse_time_range(time_range)[1])
    if garbage:
        assert any("could not be used" in w.value for w in at.warning)


@PAGE_EXAMPLES
@given(st.one_of(key_paths, hostile(PATH_BITS)), st.one_of(key_paths, hostile(PATH_BITS)))
def test_explorer_page_takes_any_url_path_and_any_typed_path(db, url_path, typed):
    at = ok(page("explorer", {"path": url_path}))
    if url_path.strip():
        assert at.segmented_control(key="path_mode").value == "Type a path"
        assert at.text_input(key="path").value == url_path
    at.segmented_control(key="path_mode").set_value("Type a path").run()
    ok(at.text_input(key="path").set_value(typed).run())
    if typed.strip():      # the values at the path, "no sampled track has a value", or why the path is wrong
        assert figures(at) or at.info or at.error


@PAGE_EXAMPLES
@given(st.one_of(containment_docs, hostile(JSON_BITS)), st.one_of(jsonpaths_structured, hostile(JSONPATH_BITS)),
       st.sampled_from(["Auto", "Predicate (@@)", "Path exists (@?)"]))
def test_explorer_page_takes_any_containment_and_jsonpath_filter(db, doc, jsonpath, operator):
    at = ok(page("explorer"))
    ok(at.text_input(key="containment").set_value(doc).run())
    if doc.strip():
        assert at.error or any("match" in c.value for c in at.caption)   # matches, "no track", or why not
    at.segmented_control(key="filter_mode").set_value("JSONPath (@@ / @?)").run()
    at.selectbox(key="jsonpath_operator").set_value(operator)
    ok(at.text_input(key="jsonpath").set_value(jsonpath).run())
    if jsonpath.strip():
        assert at.error or any("match" in c.value for c in at.caption)


@PAGE_EXAMPLES
@given(hostile(PATH_BITS, ["%", "_", "\\%"]), hostile(["björk", "Beyoncé", "1UwqgrzSbOl4LnwEqL4AhO"]))
def test_explorer_page_takes_any_path_filter_and_payload_lookup(db, path_filter, lookup):
    at = ok(page("explorer"))
    ok(at.text_input(key="inventory_filter").set_value(path_filter).run())
    assert (any("path" in d.value.columns for d in at.dataframe) or at.error
            or any(c.value.startswith("No key path contains") for c in at.caption))
    ok(at.text_input(key="payload_q").set_value(lookup).run())
    if lookup.strip():     # the payload, a choice of tracks, "no track has ...", or why not
        assert (at.get("json") or any(s.key == "payload_found" for s in at.selectbox) or at.error
                or any(c.value.startswith("No track has the ID") for c in at.caption))


@PAGE_EXAMPLES
@given(st.sampled_from(EXPLAIN_TEXT_PARAMS), hostile(TSQUERY_BITS, JSONPATH_BITS, DATE_BITS))
def test_admin_explain_form_takes_any_text_parameter(db, monkeypatch, target, text):
    name, param = target
    monkeypatch.setenv("ADMIN_PASSWORD", ADMIN_PASSWORD)
    at = ok(page("admin"))
    at.text_input(key="admin_password_input").set_value(ADMIN_PASSWORD)
    ok(at.button[0].click().run())
    ok(at.selectbox(key="explain_query").set_value(name).run())
    at.text_input(key=f"explain_{name}_{param}").set_value(text)
    ok(at.button(key=f"FormSubmitter:explain_form_{name}-Run EXPLAIN ANALYZE").click().run())
    plans = [d for d in at.dataframe if "exclusive_ms" in d.value.columns]
    assert plans or at.error                              # the plan, or why PostgreSQL refused the value


@pytest.mark.parametrize("jsonpath", ["$0", "$x", "$.popularity ? (@ > $min)", "1.5é", "$.popularity > 0.é", "$.a == 3.東"])
def test_explorer_page_explains_jsonpaths_postgresql_cannot_run(db, jsonpath):
    """Regressions: a JSONPath variable ($x) passed the validity check and then raised in the filter
    query; `1.5é` makes PostgreSQL quote back half a character, which psycopg2 could not decode."""
    at = ok(page("explorer"))
    at.segmented_control(key="filter_mode").set_value("JSONPath (@@ / @?)").run()
    ok(at.text_input(key="jsonpath").set_value(jsonpath).run())
    assert at.error and "refused" in at.error[0].value


# ---------------------------------------------------------------------------------------------
# 2. The read-only path


WRITES = {
    "delete": "delete from snapshots",
    "update": "update tracks set name = name || 'x'",
    "insert": "insert into json_path_sample (track_id) select track_id from tracks limit 1",
    "truncate": "truncate import_rejects",
    "ddl": "create table mtm_hostile_probe (x int)",
    "drop": "drop table if exists import_rejects",
    "writable_cte": "with gone as (delete from snapshots returning 1) select count(*) from gone",
    "sequence": "select nextval(pg_get_serial_sequence('import_runs', 'run_id'))",
}


@pytest.fixture
def writing_query(monkeypatch):
    """Register a named query (a 'mistake') for the duration of one test."""
    def add(sql: str, name: str = "zz_hostile_write") -> str:
        monkeypatch.setitem(queries.all_queries(), name, queries.Query(name=name, doc="a mistake", sql=sql,
                                                                       file="test"))
        return name
    return add


def test_reader_sessions_are_read_only_with_a_statement_timeout(demo_url):
    with engine.reader(demo_url).connect() as conn, conn.begin():
        assert conn.execute(sa.text("show default_transaction_read_only")).scalar() == "on"
        assert conn.execute(sa.text("show transaction_read_only")).scalar() == "on"
        assert conn.execute(sa.text("show statement_timeout")).scalar() not in ("0", "0ms")
        assert conn.execute(sa.text("select current_setting('application_name')")).scalar() == "mtm-reader"
        # a capped scan (search_tracks' first 1,000 matches) finds the same rows every time
        assert conn.execute(sa.text("show synchronize_seqscans")).scalar() == "off"


@pytest.mark.parametrize("kind", sorted(WRITES))
def test_a_named_query_that_writes_by_mistake_cannot_write(db, writing_query, kind):
    name = writing_query(WRITES[kind])
    with pytest.raises(sa_exc.DBAPIError) as caught:
        queries.run(name)
    # Refused by the read-only transaction, or first by the SELECT-only role (nextval).
    assert isinstance(caught.value.orig, (psycopg2.errors.ReadOnlySqlTransaction,
                                          psycopg2.errors.InsufficientPrivilege)), repr(caught.value.orig)
    assert common.classify(caught.value) == READ_ONLY_MESSAGE


def test_a_query_cannot_switch_its_own_transaction_to_read_write_once_it_has_read(db, writing_query):
    name = writing_query("select set_config('transaction_read_only', 'off', true), count(*) from tracks")
    with pytest.raises(sa_exc.DBAPIError) as caught:
        queries.run(name)
    assert isinstance(caught.value.orig, psycopg2.errors.ActiveSqlTransaction), repr(caught.value.orig)


def test_the_pages_cached_reads_refuse_a_write_too(db, writing_query):
    from ui import cached

    name = writing_query(WRITES["delete"])
    with pytest.raises(sa_exc.DBAPIError) as caught:
        cached.query(name)
    assert common.classify(caught.value) == READ_ONLY_MESSAGE
    with pytest.raises(sa_exc.DBAPIError):
        cached.uncached(name)


@pytest.mark.parametrize("name", sorted(n for n in queries.all_queries() if n.startswith("refresh_")))
def test_the_importers_refresh_queries_cannot_run_from_a_page(db, name):
    with pytest.raises(sa_exc.DBAPIError) as caught:
        queries.run(name)
    assert isinstance(caught.value.orig, (psycopg2.errors.ReadOnlySqlTransaction,
                                          psycopg2.errors.InsufficientPrivilege))
    with pytest.raises(explain.ExplainRefused):
        explain.explain(name, {})


def test_explain_analyze_of_a_write_is_refused_and_rolled_back(db):
    with pytest.raises(explain.ExplainError, match="writes data"):
        explain.run_explain("delete from snapshots", {}, url=db)


def test_a_page_showing_a_write_attempt_shows_the_read_only_message(db, writing_query, tmp_path):
    """ui.common.guard turns the refused write into a message, not a traceback."""
    name = writing_query(WRITES["update"])
    script = tmp_path / "page.py"
    script.write_text("from ui import cached, common\n"
                      "with common.guard():\n"
                      f"    cached.query({name!r})\n")
    at = AppTest.from_file(str(script), default_timeout=60)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [READ_ONLY_MESSAGE]


# Static checks: who can write at all


APP_FILES = sorted(glob.glob(os.path.join(ROOT, "app_pages", "*.py")) + glob.glob(os.path.join(ROOT, "ui", "*.py"))
                   + [os.path.join(ROOT, "dashboard.py")])
# Error classes only (to classify a failure); anything else from these packages is a connection.
ALLOWED_DRIVER_IMPORTS = {("ui/common.py", "psycopg2"), ("ui/common.py", "sqlalchemy.exc"),
                          ("ui/common.py", "db.engine")}
ALLOWED_MIGRATE_IMPORTS = {("app_pages/admin.py", "migrate.api"), ("app_pages/admin.py", "migrate.errors")}
CONNECTING_CALLS = {"writer", "create_engine", "connect", "raw_connection", "cursor", "execute", "executemany",
                    "import_sqlite", "ensure_schema"}


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def _imports(tree: ast.AST) -> list[str]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append(node.module or "")
    return out


def test_pages_and_ui_open_no_connection_and_never_reach_the_writer():
    problems = []
    for path in APP_FILES:
        rel = os.path.relpath(path, ROOT)
        source = _read(path)
        tree = ast.parse(source, rel)
        for module in _imports(tree):
            top = module.split(".")[0]
            if (top in ("psycopg2", "sqlalchemy", "psycopg") or module == "db.engine") \
                    and (rel, module) not in ALLOWED_DRIVER_IMPORTS:
                problems.append(f"{rel} imports {module}")
            if top == "migrate" and (rel, module) not in ALLOWED_MIGRATE_IMPORTS:
                problems.append(f"{rel} imports {module}")
        for node in ast.walk(tree):
            called = node.func if isinstance(node, ast.Call) else None
            name = (called.attr if isinstance(called, ast.Attribute) else called.id if isinstance(called, ast.Name)
                    else None)
            if name in CONNECTING_CALLS:
                problems.append(f"{rel}:{node.lineno} calls {name}()")
        if re.search(r"read_only\s*=\s*False", source):
            problems.append(f"{rel} asks for a read-write engine")
    assert not problems, problems


def test_only_the_import_and_the_listen_api_ask_for_the_writer_engine():
    users = []
    for path in glob.glob(os.path.join(ROOT, "**", "*.py"), recursive=True):
        rel = os.path.relpath(path, ROOT)
        if rel.startswith((".venv", "tests" + os.sep, "bench" + os.sep)) or rel == os.path.join("db", "engine.py"):
            continue
        if re.search(r"\bwriter\(|read_only\s*=\s*False", _read(path)):
            users.append(rel)
    assert all(u.startswith(("migrate" + os.sep, "api" + os.sep)) for u in users), users


TRANSACTION_CONTROL = re.compile(
    r"\b(set_config|set\s+(local|session|transaction|role|default_transaction_read_only|transaction_read_only)"
    r"|start\s+transaction|begin|commit|rollback|savepoint|read\s+write|reset|discard|set\s+session\s+authorization)\b",
    re.IGNORECASE)


@pytest.mark.parametrize("name", sorted(queries.all_queries()))
def test_named_sql_is_one_statement_without_transaction_or_session_control(name):
    """default_transaction_read_only is only a default: `set transaction read write` as a query's first
    statement, or a committed set_config('default_transaction_read_only', 'off', false), would undo it.
    So no named query may hold a second statement or any transaction/session control."""
    q = queries.get(name)
    body = re.sub(r"'(?:[^']|'')*'", "''", queries._strip_comments(q.sql))
    assert ";" not in body, f"{name} holds more than one statement"
    found = TRANSACTION_CONTROL.search(body)
    assert not found, f"{name} uses {found.group(0)!r}"
