"""The PostgreSQL layer: configuration, named SQL, the bulk COPY path."""
from __future__ import annotations

import os
import re

import psycopg2
import pytest

from db import config, queries
from migrate import pgcopy


@pytest.mark.parametrize("given,expected", [
    ("postgres://u:p@h:5432/d", "postgresql://u:p@h:5432/d"),
    ("postgresql://u:p@h/d", "postgresql://u:p@h/d"),
    ("  postgresql+psycopg2://u@h/d ", "postgresql://u@h/d"),
])
def test_database_url_accepts_both_schemes(given, expected):
    assert config.normalise_url(given) == expected


def test_database_url_from_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:secret@h/d")
    assert config.configured_url() == "postgresql://u:secret@h/d"
    assert not config.is_embedded()
    monkeypatch.setenv("DATABASE_URL", "  ")
    assert config.is_embedded()


def test_passwords_are_redacted_from_urls_and_messages():
    assert config.redact("postgresql://u:s3cr%40t@h:1/d") == "postgresql://u:***@h:1/d"
    msg = 'could not connect to "postgres://admin:hunter2@db.internal:5432/x": timeout'
    assert "hunter2" not in config.redact_text(msg)


def test_every_named_query_is_documented_with_an_example():
    names = queries.all_queries()
    assert names, "no named queries found"
    for name, q in names.items():
        assert q.doc, f"{name} ({q.file}) has no comment"
        if not name.startswith("refresh_"):
            assert set(q.params) <= set(q.example), f"{name}: example lacks {set(q.params) - set(q.example)}"


def test_named_queries_bind_values_never_format_them():
    for name, q in queries.all_queries().items():
        assert not re.search(r"%\(\w+\)s|%s\b", q.sql), f"{name} has a Python format placeholder"


def test_every_read_query_runs_with_its_example_on_the_demo_data(demo_url):
    for name, q in queries.all_queries().items():
        if name.startswith("refresh_"):
            continue
        res = queries.run(name, q.example, url=demo_url)
        assert res.query == name and res.elapsed_ms >= 0


def test_query_parser_reads_names_docs_examples_and_params():
    text = """-- name: one
-- First line.
-- Second line.
-- example: {"a": 1, "b": "x"}
select :a, :b, 'x\\:y', now()::date, :a;

-- name: two
-- Another.
select 1
"""
    parsed = queries.parse(text)
    assert list(parsed) == ["one", "two"]
    assert parsed["one"].doc == "First line. Second line."
    assert parsed["one"].example == {"a": 1, "b": "x"}
    assert parsed["one"].params == ["a", "b"]
    assert parsed["two"].sql == "select 1"


def test_a_query_parameter_with_a_default_may_be_left_out(demo_url, monkeypatch):
    """`-- defaults: {...}`: values of parameters a caller may omit (plays_top's `outside`); the
    example holds them too, and a caller's value wins."""
    parsed = queries.parse("""-- name: _d
-- Defaults.
-- defaults: {"b": 2}
-- example: {"a": 1}
select :a as a, :b as b
""")
    assert parsed["_d"].example == {"a": 1, "b": 2} and parsed["_d"].defaults == {"b": 2}
    monkeypatch.setitem(queries.all_queries(), "_d", parsed["_d"])
    assert queries.run("_d", {"a": 1}, url=demo_url).df.iloc[0].tolist() == [1, 2]
    assert queries.run("_d", {"a": 1, "b": 3}, url=demo_url).df.iloc[0].tolist() == [1, 3]


def test_run_caps_rows_and_says_it_truncated(demo_url, monkeypatch):
    monkeypatch.setitem(queries.all_queries(), "_t", queries.Query(
        "_t", "test", "select g from generate_series(1, :n) g", "test", {"n": 10}))
    res = queries.run("_t", {"n": 10}, url=demo_url, cap=5)
    assert len(res.df) == 5 and res.truncated
    res = queries.run("_t", {"n": 5}, url=demo_url, cap=5)
    assert len(res.df) == 5 and not res.truncated


def test_run_enforces_its_statement_timeout(demo_url, monkeypatch):
    monkeypatch.setitem(queries.all_queries(), "_slow", queries.Query(
        "_slow", "test", "select pg_sleep(:s)", "test", {"s": 2}))
    with pytest.raises(Exception) as info:
        queries.run("_slow", {"s": 2}, url=demo_url, timeout_ms=100)
    assert isinstance(getattr(info.value, "orig", None), psycopg2.errors.QueryCanceled)


def test_copy_rejects_only_the_rows_postgresql_refuses(db_url):
    conn = psycopg2.connect(db_url)
    rejected = []
    with conn.cursor() as cur:
        cur.execute("create temp table t (x int check (x > 0), s text)")
        rows = [(i, f"r{i}") for i in (1, 2, -1, 3, 4, -5, 6)]
        written = pgcopy.copy_rows(cur, "t", ("x", "s"), ("int4", "text"), rows,
                                   on_reject=lambda row, why: rejected.append((row, why)))
        cur.execute("select x from t order by x")
        assert [r[0] for r in cur.fetchall()] == [1, 2, 3, 4, 6]
    conn.close()
    assert written == 5
    assert [r[0][0] for r in rejected] == [-1, -5]
    assert all("check constraint" in why for _, why in rejected)


def test_binary_copy_round_trips_every_type(db_url):
    import datetime as dt

    conn = psycopg2.connect(db_url)
    ts = dt.datetime(2024, 3, 31, 1, 30, 15, 123456, tzinfo=dt.UTC)
    row = ("tëxt\t\\\n", 7, 2**40, 1.5, True, dt.date(1999, 12, 31), ts, b'{"a": "\\\\"}', b"\x00\x01")
    with conn.cursor() as cur:
        cur.execute("create temp table t (a text, b int, c bigint, d float8, e bool, f date, g timestamptz, "
                    "h jsonb, i bytea)")
        pgcopy.copy_rows(cur, "t", tuple("abcdefghi"),
                         ("text", "int4", "int8", "float8", "bool", "date", "timestamptz", "jsonb", "bytea"), [row])
        cur.execute("select a, b, c, d, e, f, g, h::text, i from t")
        got = cur.fetchone()
    conn.close()
    assert got[:7] == row[:7]
    assert got[7] == '{"a": "\\\\"}' and bytes(got[8]) == b"\x00\x01"


def test_page_connections_run_as_the_select_only_role(demo_url):
    import sqlalchemy as sa

    from db import engine

    with engine.reader(demo_url).connect() as c:
        assert c.execute(sa.text("select current_user")).scalar() == "mtm_reader"
        c.rollback()
        # Even with read-only switched off by SQL, privileges refuse the write.
        c.execute(sa.text("set transaction read write"))
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            c.execute(sa.text("delete from tracks"))


def test_a_connection_left_in_a_failed_transaction_is_replaced_not_handed_to_the_next_page(demo_url):
    """A COMMIT cancelled by a statement timeout before it ran (a 1 ms explorer limit on a busy
    machine) leaves the server in a failed transaction while psycopg2 believes the transaction ended,
    so neither its rollback nor the pool's reset sends ROLLBACK. The pool must not hand that
    connection to the next page: it is replaced. The state is made here the same way, deterministically."""
    import sqlalchemy as sa

    from db import engine

    eng = engine.reader(demo_url)
    eng.dispose()
    with eng.connect() as c:
        raw = c.connection.dbapi_connection
        c.rollback()
        raw.autocommit = True  # psycopg2 sends no BEGIN/ROLLBACK of its own from here
        with raw.cursor() as cur:
            cur.execute("begin")
            with pytest.raises(psycopg2.errors.DivisionByZero):
                cur.execute("select 1 / 0")
        raw.autocommit = False
        assert raw.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_INERROR
    assert eng.pool.checkedin() == 1
    assert queries.scalar("data_version", url=demo_url) is not None
    with eng.connect() as c:
        assert c.connection.dbapi_connection is not raw
        assert c.execute(sa.text("select 1")).scalar() == 1


@pytest.mark.db
def test_the_embedded_database_is_made_sure_of_once_per_process_and_again_after_a_drop(monkeypatch):
    """ENSURE_NOTE (db/embedded.py): every cached read asks for the URL; the check that the database
    exists (a connection of its own) runs once, and again after embedded.drop_database."""
    from db import embedded
    from tests.helpers import pg_rows

    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the embedded server is not the test server")
    name = f"mtm_ensure_{os.getpid()}"
    checks, real = [], embedded.ensure_database
    monkeypatch.setattr(embedded, "ensure_database", lambda uri, db: (checks.append(db), real(uri, db)))
    try:
        url = embedded.database_url(name)
        assert embedded.database_url(name) == url
        assert checks == [name]
        assert pg_rows(url, "select current_database()") == [(name,)]
        embedded.drop_database(name)
        assert embedded.database_url(name) == url
        assert checks == [name, name]
        assert pg_rows(url, "select current_database()") == [(name,)]
    finally:
        embedded.drop_database(name)
