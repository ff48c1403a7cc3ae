"""Sessions & streaks: listening sessions (length, played time, the longest) and daily streaks; the lists of
the longest sessions and streaks are one click away."""
from __future__ import annotations

import streamlit as st

from ui import cached, charts, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings


def render(s: Settings) -> None:
    common.subheader("Listening sessions")
    st.caption("A session is a run of streams (every stream, however short) where none starts more than 30 "
               "minutes after the streams before it ended; it belongs to the day it starts. **Length** runs from "
               "its first stream's start to its last stream's end; **Played** is the time something was "
               "playing, so streams that overlap (two devices at once) count once and Played is never more "
               "than Length.")
    with common.guard():
        summary = cached.query("plays_sessions_summary", **s.span()).df.iloc[0]
        lengths = cached.query("plays_session_lengths", **s.span()).df
    if int(summary.sessions) == 0:
        st.caption("No sessions in these dates.")
    else:
        common.figures([("Sessions", f"{int(summary.sessions):,}"),
                        ("Median length", view.hours_text(summary.median_minutes)),
                        ("Average length", view.hours_text(summary.avg_minutes)),
                        ("Longest", view.hours_text(summary.longest_minutes))])
        charts.draw(view.session_lengths_chart, lengths)
        box = tables.lazy_expander("Longest sessions", "plays_longest_sessions")
        if box is not None:
            with box, common.guard():
                longest = cached.query("plays_longest_sessions", limit=10, **s.span()).df
                tables.show(longest, "plays_longest_sessions", headers={"minutes": "Length (min)"})

    common.subheader("Daily streaks")
    st.caption(f"Runs of consecutive days with at least one play ({view.threshold_text(s.min_seconds)}).")
    with common.guard():
        streaks = cached.query("plays_streaks", limit=10, **s.timed()).df
    if streaks.empty:
        st.caption("No plays in these dates.")
        return
    latest = streaks[streaks["latest"]]
    shown = [("Longest streak", view.count_text(streaks.iloc[0].days, "day"),
              f"{streaks.iloc[0].first_day} to {streaks.iloc[0].last_day}")]
    if len(latest):
        shown.append(("Latest streak", view.count_text(latest.iloc[0].days, "day"),
                      f"{latest.iloc[0].first_day} to {latest.iloc[0].last_day}"))
    common.figures(shown)
    box = tables.lazy_expander("Longest streaks", "plays_streaks")
    if box is not None:
        with box:
            tables.show(streaks, "plays_streaks")
