"""Top lists: tracks, artists or albums (episodes, shows ...) by plays or minutes: one ranked table whose
ordering column carries a bar to the top row's value (the bar chart it replaces drew the same rows a
second time, and cost the browser as much again when the section opened), drawn as one HTML table
(ui.tables.show_list, STATIC_TABLE_NOTE): the data grid took the browser longer to mount."""
from __future__ import annotations

import streamlit as st

from ui import cached, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings

TOP_ROWS = 50


KEY_LEVEL, KEY_ORDER, KEY_N = "plays_level", "plays_order", "plays_top_n"
LEVEL, ORDER, N = "track", "plays", 25            # what the list shows until chosen otherwise


def render(s: Settings) -> None:
    names = view.level_names(s.kind)
    common.subheader(f"Top {names['track'].lower()}, {names['artist'].lower()} and {names['album'].lower()}")
    state = st.session_state
    with common.options(f"{names.get(state.get(KEY_LEVEL, LEVEL), LEVEL)} by {state.get(KEY_ORDER, ORDER)} · "
                        f"top {state.get(KEY_N, N)}", "plays_top_options", "What the list shows, and how many"):
        level = common.choice("Of", view.LEVELS, format_func=names.get, key=KEY_LEVEL, default=LEVEL)
        order_by = common.choice("By", ["plays", "minutes"], format_func=str.capitalize, key=KEY_ORDER,
                                 default=ORDER)
        n = st.number_input("How many", min_value=5, max_value=TOP_ROWS * 4, value=N, step=5, key=KEY_N)
    if s.kind == "podcast" and level != "track":
        st.caption("For podcasts, artists are shows; episodes have no album.")
    with common.guard():
        res = cached.query("plays_top", level=level, order_by=order_by, min_seconds=s.min_seconds, limit=int(n),
                           **s.span())
    if res.df.empty:
        st.caption("Nothing played in these dates.")
        return
    table = res.df.drop(columns=["track_id"] + (["artist"] if level not in ("track", "album") else [])
                        + (["kind"] if s.kind != "all" else []))     # one kind chosen: every row says it
    tables.show_list(table, f"plays_top_{level}", headers=view.level_headers(level, s.kind), kinds={order_by: "bar"})
