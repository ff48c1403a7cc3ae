"""The only place reads are cached (st.cache_data with a ttl and a size cap).

Pages call `query("name", **params)`; the result is a db.queries.Result (df, truncated, elapsed_ms).
Every cached result is keyed on the data's version (`data_changes`, db/migrations/0009): an import
from any door (the Admin page, `python -m migrate` on the server, submitted listens) moves it when
it commits, so the next rerun reads the new numbers instead of a cached result for up to TTL_S.
The version itself is read at most every VERSION_TTL_S seconds.

TTL_S only bounds how long an unused result is kept (MAX_ENTRIES bounds how many): freshness comes
from the version. It was 5 minutes, so a person who came back to a section after that waited for
its queries again (Year in review runs nine); an hour keeps a session's results for its length.
Reads that depend on the clock rather than the data are not cached here (`uncached`: what is
playing now, the Admin page's lists); the one cached read that says something about "now" is
`plays_time_zone`'s current offset in a caption, which may lag a daylight-saving change by up to
TTL_S.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import numpy as np
import streamlit as st

from db import queries

TTL_S = 3600
MAX_ENTRIES = 256
VERSION_TTL_S = 2


_VERSIONS: dict[str, tuple[float, tuple]] = {}     # url -> (when read, version)
_VERSIONS_LOCK = threading.Lock()


def data_version(url: str) -> tuple:
    """(changes, newest change id): moves when any committed transaction changed the data. Read at
    most every VERSION_TTL_S seconds per database; remembered in a plain dict (CACHE_KEY_NOTE)."""
    now = time.monotonic()
    with _VERSIONS_LOCK:
        seen = _VERSIONS.get(url)
    if seen is not None and now - seen[0] < VERSION_TTL_S:
        return seen[1]
    version = tuple(queries.run("data_version").df.iloc[0].tolist())
    with _VERSIONS_LOCK:
        if len(_VERSIONS) >= 8:
            _VERSIONS.clear()
        _VERSIONS[url] = (now, version)
    return version


# CACHE_KEY_NOTE: st.cache_data hashes each argument with its own hasher and looks up the function's
# signature for each positional one; a Plays section made two such calls per query (the version, the
# query), and a profile of Year in review (nine queries and a chart) had those lookups as its largest
# server cost (commit 4f220c0). Each cached function below is called with one
# keyword argument it hashes, a string made here (repr of plain values: _key), and the call itself
# in an argument it skips (leading underscore). st.cache_data still holds the results (ttl, size
# cap, a copy per hit, st.cache_data.clear()).
_PLAIN = (str, int, float, bool, type(None), dt.date, dt.datetime, dt.time, Decimal, np.generic)


def _key(*parts) -> str:
    """repr of `parts`, which must be plain values or tuples of them: a repr that says the value, so
    two different calls never share a key (an object's default repr names its address)."""
    stack = list(parts)
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            stack.extend(item)
        elif not isinstance(item, _PLAIN):
            raise TypeError(f"cached.query parameter of type {type(item).__name__}: pass plain values")
    return repr(parts)


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _query(*, key: str, _call: tuple) -> queries.Result:
    name, params, cap, timeout_ms = _call
    return queries.run(name, dict(params), cap=cap, timeout_ms=timeout_ms)


def query(name: str, *, cap: int = queries.DEFAULT_ROW_CAP, timeout_ms: int | None = None,
          **params) -> queries.Result:
    """Run named query `name` (cached). Parameter values must be plain values (str, numbers, bool,
    None, dates and times; lists become tuples).

    `timeout_ms`: a statement timeout for this query instead of the engine's default.
    """
    from db import config

    items = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    version = data_version(config.database_url())
    return _query(key=_key(name, items, cap, timeout_ms, version), _call=(name, items, cap, timeout_ms))


def chart_spec(build, *args, **kwargs) -> dict:
    """The Vega-Lite spec of the chart `build(*args, **kwargs)` (ui.charts.spec) with its datasets as
    Arrow bytes, ready for st.vega_lite_chart. Cached on the builder and its arguments (DataFrames by
    their content): a rerun that draws the same chart from the same rows builds nothing. `build`
    is a module-level function or a functools.partial of one, named by its module and qualified
    name (a lambda or a nested function has no name to cache on, and is refused)."""
    content = _digest(args, sorted(kwargs.items()))
    return _chart_spec(key=_key(_builder_key(build), content), _call=(build, args, kwargs))


def _builder_key(build) -> tuple:
    import functools

    if isinstance(build, functools.partial):
        return (*_builder_key(build.func), build.args, tuple(sorted(build.keywords.items())))
    name = f"{build.__module__}.{build.__qualname__}"
    if "<" in name:
        raise ValueError(f"chart builder {name} is not a module-level function")
    return (name,)


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _chart_spec(*, key: str, _call: tuple) -> dict:
    """Keyed on the builder and a digest of the pickled arguments (a tenth of the time Streamlit's
    own hashing of a DataFrame takes; CACHE_KEY_NOTE)."""
    from streamlit import dataframe_util

    from ui import charts

    _build, _args, _kwargs = _call
    spec = charts.spec(_build(*_args, **_kwargs))
    spec["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(data)
                        for name, data in spec["datasets"].items()}
    return spec


def table_html(df, headers: dict | None = None, kinds: dict | None = None, hide=()) -> str:
    """ui.tables.table_html of these arguments, cached on a digest of them (chart_spec's way): a run
    that shows the same rows again (a section opened once more, a filter of another section changed
    and back) formats no cell again: a profile of Top lists had its 25 rows' formatting at about a
    third of the section's run on the server."""
    return _table_html(key=_digest(df, headers, kinds, tuple(hide)), _call=(df, headers, kinds, hide))


def _digest(*parts) -> str:
    """A digest of the pickled `parts` (DataFrames by their content): a tenth of the time Streamlit's
    own hashing of a DataFrame takes (CACHE_KEY_NOTE)."""
    import hashlib
    import pickle

    return hashlib.blake2b(pickle.dumps(parts, protocol=5)).hexdigest()


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _table_html(*, key: str, _call: tuple) -> str:
    from ui import tables

    return tables.table_html(*_call)


def query_rows(name: str, rows: int, **params) -> queries.Result:
    """At most `rows` rows of named query `name`, whose SQL takes :limit (cached, as `query`). It asks
    for one row more, so that `truncated` says whether rows were cut (common.truncated_note, the "+"
    after a count): with :limit = rows the cut could not be told from a result of exactly that size."""
    return query(name, limit=rows + 1, cap=rows, **params)


def uncached(name: str, *, cap: int = queries.DEFAULT_ROW_CAP, **params) -> queries.Result:
    """Run without the cache (as-you-type search, where every keystroke is new anyway)."""
    return queries.run(name, params, cap=cap)


def uncached_many(*calls: tuple[str, dict], cap: int = queries.DEFAULT_ROW_CAP) -> list[queries.Result]:
    """Several uncached queries ((name, params) each) at the same time, each on its own pooled
    connection: the wait is the slowest one's, not their sum (the search page's library and plays on
    every keystroke). Only database work runs on the other threads, never a streamlit call."""
    return queries.run_many([(name, params, cap) for name, params in calls])


def clear() -> None:
    st.cache_data.clear()
    with _VERSIONS_LOCK:
        _VERSIONS.clear()
