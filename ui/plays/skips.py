"""Skips: skip rate by hour of day and platform; the most skipped tracks and artists one click away."""
from __future__ import annotations

import streamlit as st

from ui import cached, charts, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings


def render(s: Settings) -> None:
    common.subheader("Skips")
    st.caption("Skip rate = skips / streams that say whether they were skipped (account-data plays don't). "
               "Every stream counts here, however short.")
    with common.guard():
        by_hour = cached.query("plays_by_hour", **{k: v for k, v in s.timed().items() if k != "min_seconds"}).df
        platforms = cached.query("plays_platforms", min_seconds=s.min_seconds, **s.span()).df
    cols = st.columns(2)
    with cols[0]:       # each chart draws its own title (plays_view._title)
        if by_hour.empty:
            st.caption("Nothing played in these dates.")
        else:
            charts.draw(view.skip_rate_by_hour_chart, by_hour, "By hour of day")
    with cols[1]:
        if platforms.empty:
            st.caption("No platform recorded in these dates.")
        else:
            charts.draw(view.platforms_chart, platforms, "skip_rate", "By platform")
    # a label without the kind's words: a label that changes makes the browser close the expander
    box = tables.lazy_expander("Most skipped", "plays_most_skipped")
    if box is None:
        return
    with box:
        most_skipped(s)


def most_skipped(s: Settings) -> None:
    """The most skipped tracks and artists, side by side (built only while their expander is open)."""
    min_streams = st.number_input("Only items with at least this many streams", min_value=1, max_value=1000,
                                  value=5, step=1, key="plays_skip_min")
    cols = st.columns(2)
    for col, level in zip(cols, ("track", "artist")):
        with col:
            st.markdown(f"**Most skipped {view.level_name(level, s.kind).lower()}**")
            with common.guard():
                df = cached.query("plays_most_skipped", level=level, min_streams=int(min_streams), limit=25,
                                  **s.span()).df
            if df.empty:
                st.caption("None with that many streams in these dates.")
                continue
            if level == "artist":
                df = df.drop(columns=["artist"])
            tables.show(df, f"plays_most_skipped_{level}", headers=view.level_headers(level, s.kind))
