"""Forgotten gems: tracks played often that have not been played for a while, most played first: a
short ranked list (the top 25 until chosen otherwise) drawn as one HTML table with a bar to the top
gem's plays (ui.tables.show_list, STATIC_TABLE_NOTE), as Top lists draws its list."""
from __future__ import annotations

import streamlit as st

from ui import cached, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings

KEY_DAYS, KEY_MIN, KEY_N = "plays_gems_days", "plays_gems_min", "plays_gems_n"
DAYS, MIN_PLAYS = 90, 10          # a gem until chosen otherwise: 10 plays, none in the last 90 days
N, MAX_N = 25, 200                # how many are listed until chosen otherwise, and at most


def render(s: Settings) -> None:
    common.subheader("Forgotten gems")
    state = st.session_state
    with common.options(f"Absent {state.get(KEY_DAYS, DAYS)} days · played {state.get(KEY_MIN, MIN_PLAYS)}+ times"
                        f" · top {state.get(KEY_N, N)}", "plays_gems_options", "Which tracks count as forgotten gems"):
        recent = st.number_input("Absent for the last N days", min_value=7, max_value=3650, value=DAYS, step=1,
                                 key=KEY_DAYS)
        min_plays = st.number_input("Played at least", min_value=1, max_value=10_000, value=MIN_PLAYS, step=1,
                                    key=KEY_MIN)
        n = st.number_input("How many", min_value=5, max_value=MAX_N, value=N, step=5, key=KEY_N)
    st.caption(f"Tracks with at least {int(min_plays)} plays in all time and no stream at all in the "
               f"{int(recent)} days before your newest stream ({s.last}), most played first.")
    with common.guard():
        res = cached.query("plays_forgotten_gems", tz=s.tz, kind=s.kind, min_seconds=s.min_seconds,
                           min_plays=int(min_plays), recent_days=int(recent), limit=int(n))
    if res.df.empty:
        st.caption("No forgotten gems with these settings.")
        return
    tables.show_list(res.df, "plays_forgotten_gems", headers=view.level_headers("track", s.kind),
                     kinds={"plays": "bar"})
