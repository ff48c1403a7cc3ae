"""The only place reads are cached (st.cache_data with a ttl and a size cap).

Pages call `query("name", **params)`; the result is a db.queries.Result (df, truncated, elapsed_ms).
`clear()` runs after every import so pages never show stale numbers.
"""
from __future__ import annotations

import streamlit as st

from db import queries

TTL_S = 300
MAX_ENTRIES = 256


@st.cache_data(ttl=TTL_S, max_entries=MAX_ENTRIES, show_spinner=False)
def _query(name: str, params: tuple, cap: int, timeout_ms: int | None = None) -> queries.Result:
    return queries.run(name, dict(params), cap=cap, timeout_ms=timeout_ms)


def query(name: str, *, cap: int = queries.DEFAULT_ROW_CAP, timeout_ms: int | None = None,
          **params) -> queries.Result:
    """Run named query `name` (cached). Parameter values must be hashable (lists become tuples).

    `timeout_ms`: a statement timeout for this query instead of the engine's default.
    """
    items = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    res = _query(name, items, cap, timeout_ms)
    return res


def uncached(name: str, *, cap: int = queries.DEFAULT_ROW_CAP, **params) -> queries.Result:
    """Run without the cache (as-you-type search, where every keystroke is new anyway)."""
    return queries.run(name, params, cap=cap)


def clear() -> None:
    st.cache_data.clear()
