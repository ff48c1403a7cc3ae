"""Forgotten gems: tracks played often that have not been played for a while."""
from __future__ import annotations

import streamlit as st

from ui import cached, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings


def render(s: Settings) -> None:
    common.subheader("Forgotten gems")
    cols = st.columns(2)
    recent = cols[0].number_input("Absent for the last N days", min_value=7, max_value=3650, value=90, step=1,
                                  key="plays_gems_days")
    min_plays = cols[1].number_input("Played at least", min_value=1, max_value=10_000, value=10, step=1,
                                     key="plays_gems_min")
    st.caption(f"Tracks with at least {int(min_plays)} plays in all time and no stream at all in the "
               f"{int(recent)} days before your newest stream ({s.last}).")
    with common.guard():
        res = cached.query("plays_forgotten_gems", tz=s.tz, kind=s.kind, min_seconds=s.min_seconds,
                           min_plays=int(min_plays), recent_days=int(recent), limit=100)
    if res.df.empty:
        st.caption("No forgotten gems with these settings.")
        return
    tables.show(res.df, "plays_forgotten_gems", headers=view.level_headers("track", s.kind))
