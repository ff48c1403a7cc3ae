"""When you listen: hour of day by weekday."""
from __future__ import annotations

import streamlit as st

from ui import cached, charts, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings, measure_choice


def render(s: Settings) -> None:
    common.subheader("When you listen")
    st.caption("Hour of day by weekday, in your time zone.")
    measure = measure_choice("plays_heatmap_measure")
    with common.guard():
        heat = cached.query("plays_heatmap", **s.timed()).df
    charts.draw(view.heatmap_chart, heat, measure)
    tables.data_expander(heat, "plays_heatmap")
