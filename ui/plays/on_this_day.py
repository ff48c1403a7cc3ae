"""On this day: what was played on this calendar day in earlier years. The section opens on each
year's five most played tracks of that day, as short lists side by side (ui.common.lists, one HTML
element), under the year and that day's plays and minutes; every track of those days, with its CSV,
is one click away in an expander built when opened (a data grid on opening was most of what the
browser did for this section, and the first grid of a page also waits for the grid's code)."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from ui import cached, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings

TABLE_ROWS = 500
PER_YEAR = 5           # tracks listed under each year when the section opens
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
        res = cached.query_rows("plays_on_this_day", TABLE_ROWS, tz=s.tz, day=day, kind=s.kind,
                                min_seconds=s.min_seconds)
    if res.df.empty:
        st.caption(f"Nothing played on {day:%d %B} in earlier years.")
        return
    common.lists(year_lists(res.df), columns=4)
    st.caption(f"{day:%d %B} of each earlier year with a play: that day's plays and minutes, and its most "
               f"played tracks. Minutes count every stream ({view.threshold_text(s.min_seconds)}).")
    common.truncated_note(res)          # the oldest years' rows are the ones a cut leaves out
    box = tables.lazy_expander("Every track of those days", "plays_on_this_day")
    if box is not None:
        with box:
            tables.show(res.df.drop(columns=["day", "day_plays", "day_minutes"]), "plays_on_this_day",
                        headers=view.level_headers("track", s.kind, column="track"))


def year_lists(df) -> list[tuple[str, list[str]]]:
    """(title, lines) per year, newest first: "2024 · 12 plays, 41 min" over the year's PER_YEAR most
    played tracks of the day ("Track — Artist · 3 plays"; ties by the first play of the day). The
    year's plays and minutes are the query's day totals (every track of that day, not only those listed)."""
    out = []
    for year, rows in df.groupby("year", sort=False):
        first = rows.iloc[0]
        # the query's order (first play of the day, as an instant) breaks the ties: a stable sort
        top = rows.sort_values("plays", ascending=False, kind="stable").head(PER_YEAR)
        out.append((f"{int(year)} · {view.count_text(first.day_plays, 'play')}, {view.hours_text(first.day_minutes)}",
                    [f"{view.label(r.track, r.artist)} · {view.count_text(r.plays, 'play')}"
                     for r in top.itertuples()]))
    return out
