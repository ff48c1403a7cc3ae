"""Sessions & streaks: listening sessions (length, played time, the longest) and daily streaks, their
headline figures in one row and the lengths' chart; the lists of the longest sessions and streaks
are one click away."""
from __future__ import annotations

import streamlit as st

from ui import cached, charts, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings


def render(s: Settings) -> None:
    # One heading, one caption, one row of figures and one expander for both parts: each element is
    # mounted by the browser when the section opens (OPTIONS_NOTE), and a heading, caption, row and
    # expander per part made the section twice that.
    common.subheader("Sessions and streaks")
    st.caption("A session is a run of streams (every stream, however short) where none starts more than 30 "
               "minutes after the streams before it ended; it belongs to the day it starts. **Length** runs from "
               "its first stream's start to its last stream's end; **Played** is the time something was "
               "playing, so streams that overlap (two devices at once) count once and Played is never more "
               "than Length. A **streak** is a run of consecutive days with at least one play "
               f"({view.threshold_text(s.min_seconds)}).")
    with common.guard():
        summary = cached.query("plays_sessions_summary", **s.span()).df.iloc[0]
        lengths = cached.query("plays_session_lengths", **s.span()).df
        streaks = cached.query("plays_streaks", limit=10, **s.timed()).df
    sessions = int(summary.sessions)
    if sessions == 0 and streaks.empty:
        st.caption("No sessions in these dates.")
        return
    shown = []
    if sessions:
        shown += [("Sessions", f"{sessions:,}"),
                  ("Median length", view.hours_text(summary.median_minutes)),
                  ("Average length", view.hours_text(summary.avg_minutes)),
                  ("Longest session", view.hours_text(summary.longest_minutes))]
    if len(streaks):
        top, latest = streaks.iloc[0], streaks[streaks["latest"]]
        shown.append(("Longest streak", view.count_text(top.days, "day"), f"{top.first_day} to {top.last_day}"))
        if len(latest):
            shown.append(("Latest streak", view.count_text(latest.iloc[0].days, "day"),
                          f"{latest.iloc[0].first_day} to {latest.iloc[0].last_day}"))
    common.figures(shown)
    if sessions:
        charts.draw(view.session_lengths_chart, lengths)
    box = tables.lazy_expander("Longest sessions and streaks", "plays_longest")
    if box is None:
        return
    with box:
        if sessions:
            st.markdown("**Longest sessions**")
            with common.guard():
                longest = cached.query("plays_longest_sessions", limit=10, **s.span()).df
            tables.show(longest, "plays_longest_sessions", headers={"minutes": "Length (min)"})
        if len(streaks):
            st.markdown("**Longest streaks**")
            tables.show(streaks, "plays_streaks")
