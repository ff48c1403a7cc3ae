"""Calendar: one year, a cell per day."""
from __future__ import annotations

import streamlit as st

from ui import cached, charts, common, tables
from ui import plays_view as view
from ui.plays.settings import KEY_MEASURE, Settings, measure_choice

KEY_YEAR, KEY_SHOW = "plays_calendar_year", "plays_calendar_measure"


def render(s: Settings) -> None:
    common.subheader("Calendar")
    years = list(range(s.last.year, s.first.year - 1, -1))
    state = st.session_state
    if state.get(KEY_YEAR) not in years:         # first shown, or no longer among the data's years
        state[KEY_YEAR] = s.until.year if s.until.year in years else years[0]
    # the year and the measure in a popover that says them (OPTIONS_NOTE)
    with common.options(f"{state[KEY_YEAR]} · {state.get(KEY_MEASURE, 'minutes')}", "plays_calendar_options",
                        "Which year, and what the colour shows"):
        year = st.selectbox("Year", years, key=KEY_YEAR)
        measure = measure_choice(KEY_SHOW)
    since, until = view.year_bounds(int(year))
    with common.guard():
        days = cached.query("plays_timeline", grain="day", limit=400, **s.timed(since, until)).df
    charts.draw(view.calendar_chart, days, int(year), measure, s.first, s.last)
    st.caption(f"{view.count_text(len(days), 'day')} with a stream in {year}. " + view.CALENDAR_NOTE)
    tables.data_expander(days, "plays_calendar", headers={"period": "Day"}, kinds={"period": "date"})
