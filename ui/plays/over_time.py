"""Over time: minutes per day, week or month, when you listen (hour by weekday), and a year's calendar."""
from __future__ import annotations

import streamlit as st

from ui import cached, charts, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings


def render(s: Settings) -> None:
    st.subheader("Minutes listened")
    cols = st.columns([2, 2, 4])
    grain = cols[0].radio("Per", list(view.GRAINS), index=list(view.GRAINS).index(view.default_grain(s.since, s.until)),
                          format_func=view.GRAINS.get, horizontal=True, key="plays_grain")
    measure = cols[1].radio("Show", ["minutes", "plays"], horizontal=True, key="plays_measure",
                            format_func=str.capitalize)
    with common.guard():
        res = cached.query("plays_timeline", grain=grain, limit=10_000, **s.timed())
    if res.df.empty:
        st.caption("Nothing played in these dates.")
        return
    charts.draw(view.timeline_chart, res.df, grain, measure)
    top = view.busiest(res.df)
    if top:
        st.caption(f"Busiest {view.GRAINS[grain].lower()}: {top[0]} with {view.hours_text(top[1])}.")
    tables.data_expander(res.df, "plays_timeline", headers={"period": view.GRAINS[grain]},
                         kinds={"period": "month" if grain == "month" else "date"})

    st.subheader("When you listen")
    st.caption("Hour of day by weekday, in your time zone.")
    with common.guard():
        heat = cached.query("plays_heatmap", **s.timed()).df
    charts.draw(view.heatmap_chart, heat, measure)
    tables.data_expander(heat, "plays_heatmap")

    st.subheader("Calendar")
    years = list(range(s.last.year, s.first.year - 1, -1))
    year = st.selectbox("Year", years, index=years.index(s.until.year) if s.until.year in years else 0,
                        key="plays_calendar_year")
    since, until = view.year_bounds(int(year))
    with common.guard():
        days = cached.query("plays_timeline", grain="day", limit=400, **s.timed(since, until)).df
    charts.draw(view.calendar_chart, days, int(year), measure, s.first, s.last)
    st.caption(f"{view.count_text(len(days), 'day')} with a stream in {year}. " + view.CALENDAR_NOTE)
