"""Plain helpers the tests share: paths, databases on the test server, SQLite files in the book's
layout. No fixtures here (those are in conftest.py); import these by name."""
from __future__ import annotations

import os
import re
import sqlite3
from urllib.parse import urlsplit, urlunsplit

import psycopg2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def create_database(server_url: str, name: str) -> str:
    """Database `name` on the test server, dropped first if it exists, with the schema applied."""
    from psycopg2 import sql

    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    conn.close()
    from db import schema

    url = with_database(server_url, name)
    schema.forget(url)
    schema.ensure_schema(url)
    return url


def drop_database(server_url: str, name: str) -> None:
    from psycopg2 import sql

    from db import engine

    engine.dispose_all()
    conn = psycopg2.connect(server_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    conn.close()


def truncate_all(url: str) -> None:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        # Every table but the migrations' record: the schema itself stays as it is.
        cur.execute("select string_agg(format('%I', tablename), ', ') from pg_tables "
                    "where schemaname = 'public' and tablename <> 'schema_migrations'")
        tables = cur.fetchone()[0]
        if tables:
            cur.execute(f"truncate {tables} restart identity cascade")
        cur.execute("select matviewname from pg_matviews where schemaname = 'public'")
        for (mv,) in cur.fetchall():
            cur.execute(f'refresh materialized view "{mv}"')
    conn.close()


def pg_rows(url: str, sql: str, params=None) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


TRACKS_DDL = """create table tracks(track_id TEXT PRIMARY KEY, name TEXT, artist_name TEXT, album_name TEXT,
                duration_ms INTEGER, spotify_url TEXT, raw_json TEXT)"""
SNAPSHOTS_DDL = """create table snapshots(track_id TEXT, snapshot_date TEXT, time_range TEXT, rank INTEGER,
                   PRIMARY KEY (track_id, snapshot_date, time_range))"""


def make_sqlite(path, tracks=(), snapshots=(), *, keys: bool = True) -> str:
    """A Music Time Machine file at `path`; keys=False builds the older layout without primary keys."""
    con = sqlite3.connect(str(path))
    if keys:
        con.execute(TRACKS_DDL)
        con.execute(SNAPSHOTS_DDL)
    else:
        con.execute(TRACKS_DDL.replace(" PRIMARY KEY", ""))
        con.execute("create table snapshots(track_id TEXT, snapshot_date TEXT, time_range TEXT, rank INTEGER)")
    con.executemany("insert into tracks values (?,?,?,?,?,?,?)", list(tracks))
    con.executemany("insert into snapshots values (?,?,?,?)", list(snapshots))
    con.commit()
    con.close()
    return str(path)


def vega_lite_errors(chart) -> list[str]:
    """What the Vega-Lite JSON schema says is wrong with a drawn chart (an AppTest vega_lite_chart
    element): ui.charts.draw skips altair's schema check at run time, so the tests make it."""
    import json

    import jsonschema
    from altair.vegalite.v6.schema import load_schema

    schema = load_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in validator.iter_errors(json.loads(chart.proto.spec))]


TEXT_KINDS = ("markdown", "info", "error", "warning", "success", "caption")


def page_texts(at, kinds=TEXT_KINDS) -> str:
    """What a page run under AppTest says in its text elements (`kinds`), one element a line, as sent."""
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def html_bodies(at) -> str:
    """Every st.html element's body of a page run under AppTest, one a line."""
    return "\n".join(h.proto.body for h in at.get("html"))


def nodes(node):
    """Every node of an AppTest element tree (`at._tree`), depth first, blocks and elements alike."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from nodes(child)


def popover_labels(at) -> list[str]:
    """The labels of the popovers a page drew, in drawing order."""
    protos = [getattr(node, "proto", None) for node in nodes(at._tree)]
    return [p.popover.label for p in protos if p is not None and "popover" in {f.name for f, _ in p.ListFields()}]


def open_data(at):
    """Open every closed "Data" expander of the page (ui.tables.data_expander builds its table only
    while open) and rerun; returns `at`."""
    keys = [e.key for e in at.expander if (e.key or "").startswith("data-")]
    if keys:
        for key in keys:
            at.session_state[key] = True
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def use_database(monkeypatch, url: str) -> str:
    """Point the pages at `url` for one test: DATABASE_URL set, TZ unset (the pages' zone comes from
    the browser or the default), Streamlit's caches empty. Returns `url`."""
    import streamlit as st

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("TZ", raising=False)
    st.cache_data.clear()
    return url


def run_page(path: str, query_params: dict | None = None, state: dict | None = None, timeout: int = 60):
    """Run the page file `path` under AppTest with the link's `query_params`; when `state` is given
    (widget keys -> values, e.g. {"section": ...}), set it and run again, as a person's clicks would.
    Fails on any exception box."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(path, default_timeout=timeout)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if state:
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def open_table_tab(at) -> None:
    """The Search page's results Table tab is built only while open (app_pages/search.py
    result_tabs): open it, as choosing the tab does."""
    if at.session_state["search-view"] != "Table":
        at.session_state["search-view"] = "Table"
        at.run()
        assert not at.exception, at.exception


def pick_result(at, key: str = "search-pick", index: int = 0) -> None:
    """Choose the Search page's result `index` in the select box `key` ("search-pick" for the
    library, "plays-pick" for played items), as a person does to see its history."""
    ids = at.session_state["search-ids" if key == "search-pick" else "plays-ids"]
    at.selectbox(key=key).select(ids[index]).run()
    assert not at.exception, at.exception


_FIGURE = re.compile(r'<div class="mtm-figure-label"[^>]*>(.*?)</div><div class="mtm-figure-value"[^>]*>(.*?)</div>'
                     r'(?:<div class="mtm-figure-detail"[^>]*>(.*?)</div>)?')


def figure_list(at) -> list[tuple[str, str, str | None]]:
    """The headline figures a page drew (ui.common.figures, in st.html) as (label, value, detail),
    as a person reads them (unescaped), in drawing order."""
    import html as html_lib

    return [(html_lib.unescape(label), html_lib.unescape(value), html_lib.unescape(detail) if detail else None)
            for element in at.get("html") for label, value, detail in _FIGURE.findall(element.proto.body)]


_LIST = re.compile(r'<div class="mtm-list-title"[^>]*>(.*?)</div>((?:<div class="mtm-list-line">.*?</div>)*)')
_LINE = re.compile(r'<div class="mtm-list-line">(.*?)</div>')


def list_blocks(at) -> dict[str, list[str]]:
    """The short lists a page drew (ui.common.lists, in st.html) as title -> lines, as a person reads
    them (unescaped)."""
    import html as html_lib

    return {html_lib.unescape(title): [html_lib.unescape(line) for line in _LINE.findall(lines)]
            for element in at.get("html") for title, lines in _LIST.findall(element.proto.body)}


_TABLE = re.compile(r'<div class="mtm-table[^"]*"><table><thead><tr>(.*?)</tr></thead><tbody>(.*?)</tbody></table></div>')
_HEAD = re.compile(r"<th[^>]*>(.*?)</th>")
_ROW = re.compile(r"<tr>(.*?)</tr>")
_CELL = re.compile(r"<td[^>]*>(.*?)</td>")


def html_tables(at) -> list:
    """The tables a page drew as HTML (ui.tables.show_list, in st.html) as DataFrames of the text a
    person reads (unescaped) under the headers shown, in drawing order."""
    import html as html_lib

    import pandas as pd

    found = []
    for element in at.get("html"):
        for head, body in _TABLE.findall(element.proto.body):
            rows = [[html_lib.unescape(re.sub(r"<[^>]+>", "", c)) for c in _CELL.findall(r)] for r in _ROW.findall(body)]
            found.append(pd.DataFrame(rows, columns=[html_lib.unescape(h) for h in _HEAD.findall(head)]))
    return found


def shown_number(textual: str) -> float:
    """A number as a static table shows it ("1,234", "12.5%") as a float (a share as a fraction)."""
    if textual.endswith("%"):
        return float(textual[:-1].replace(",", "")) / 100
    return float(textual.replace(",", ""))


def figures(at) -> dict[str, tuple[str, str | None]]:
    """figure_list as label -> (value, detail); a repeated label keeps its first figure."""
    found: dict[str, tuple[str, str | None]] = {}
    for label, value, detail in figure_list(at):
        found.setdefault(label, (value, detail))
    return found


def plan_nodes(node):
    """A JSON plan node and every node under it."""
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def nested_plan_indexes(url: str, name: str, params: dict, function: str) -> set[str]:
    """Indexes of the plans of the statements `function` runs while the named query `name` runs
    (auto_explain, its plans sent back as notices): EXPLAIN shows a function as one Function Scan."""
    import json

    import pytest
    import sqlalchemy as sa
    from sqlalchemy.dialects.postgresql import psycopg2 as pg

    from db import queries

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            try:
                cur.execute("load 'auto_explain'")
            except psycopg2.Error as exc:           # a server that is not ours (TEST_DATABASE_URL)
                pytest.skip(f"auto_explain cannot be loaded here: {exc}")
            for setting in ("auto_explain.log_min_duration = 0", "auto_explain.log_nested_statements = on",
                            "auto_explain.log_format = json", "auto_explain.log_level = notice",
                            "client_min_messages = notice"):
                cur.execute("set " + setting)
            cur.execute(sa.text(queries.get(name).sql).compile(dialect=pg.dialect()).string, params)
            cur.fetchall()
    finally:
        conn.close()
    out: set[str] = set()
    for notice in conn.notices:
        plan = json.loads(notice[notice.index("{"):])
        if function not in plan.get("Query Text", ""):     # not the query that calls it
            out |= {n["Index Name"] for n in plan_nodes(plan["Plan"]) if "Index Name" in n}
    return out
