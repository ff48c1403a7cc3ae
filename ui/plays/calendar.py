"""Calendar: one year, a cell per day."""
from __future__ import annotations

import streamlit as st

from ui import cached, charts, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings, measure_choice


def render(s: Settings) -> None:
    common.subheader("Calendar")
    years = list(range(s.last.year, s.first.year - 1, -1))
    cols = st.columns([2, 2, 4])
    year = cols[0].selectbox("Year", years, index=years.index(s.until.year) if s.until.year in years else 0,
                             key="plays_calendar_year")
    with cols[1]:
        measure = measure_choice("plays_calendar_measure")
    since, until = view.year_bounds(int(year))
    with common.guard():
        days = cached.query("plays_timeline", grain="day", limit=400, **s.timed(since, until)).df
    charts.draw(view.calendar_chart, days, int(year), measure, s.first, s.last)
    st.caption(f"{view.count_text(len(days), 'day')} with a stream in {year}. " + view.CALENDAR_NOTE)
    tables.data_expander(days, "plays_calendar", headers={"period": "Day"}, kinds={"period": "date"})
