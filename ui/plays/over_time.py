"""Over time: minutes (or plays) per day, week or month."""
from __future__ import annotations

import streamlit as st

from ui import cached, charts, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings, measure_choice


def render(s: Settings) -> None:
    common.subheader("Minutes listened")
    cols = st.columns([2, 2, 4])
    with cols[0]:
        grain = common.choice("Per", view.GRAINS, format_func=view.GRAINS.get, key="plays_grain",
                              default=view.default_grain(s.since, s.until))
    with cols[1]:
        measure = measure_choice("plays_measure")
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
