"""On this day: what was played on this calendar day in earlier years."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from ui import cached, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings

TABLE_ROWS = 500
KEY_DAY = "plays_on_day"


def render(s: Settings) -> None:
    common.subheader("On this day")
    if KEY_DAY not in st.session_state:
        st.session_state[KEY_DAY] = view.today_in(s.tz)
    shown = st.session_state[KEY_DAY]
    # Today unless another day is picked: the date picker waits in a popover labelled with the day.
    # Closed, it is not drawn, and a date picker was the costliest element this section mounted.
    with st.popover(f"{shown.day} {shown:%B %Y}" if isinstance(shown, dt.date) else "Pick a day",
                    icon=":material/calendar_month:", help="Pick another day"):
        day = st.date_input("Date", key=KEY_DAY, format="YYYY-MM-DD",
                            min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
    if not isinstance(day, dt.date):
        day = view.today_in(s.tz)
    with common.guard():
        res = cached.query("plays_on_this_day", tz=s.tz, day=day, kind=s.kind, min_seconds=s.min_seconds,
                           limit=TABLE_ROWS)
    if res.df.empty:
        st.caption(f"Nothing played on {day:%d %B} in earlier years.")
        return
    per_year = res.df.groupby("year", sort=False)[["day_plays", "day_minutes"]].first()
    st.caption(" · ".join(f"{year}: {view.count_text(r.day_plays, 'play')}, {view.hours_text(r.day_minutes)}"
                          for year, r in per_year.iterrows())
               + f". Tracks with a play that day; minutes count every stream ({view.threshold_text(s.min_seconds)}).")
    tables.show(res.df.drop(columns=["day", "day_plays", "day_minutes"]), "plays_on_this_day",
                headers=view.level_headers("track", s.kind, column="track"))
    common.truncated_note(res)
