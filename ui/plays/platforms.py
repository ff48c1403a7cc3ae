"""Platforms & countries: where and on what the streams were played."""
from __future__ import annotations

import streamlit as st

from ui import cached, charts, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings


def render(s: Settings) -> None:
    common.subheader("Platforms")
    st.caption("From the export's platform field, grouped by family (the raw strings name OS versions and "
               "devices).")
    with common.guard():
        fams = cached.query("plays_platforms", min_seconds=s.min_seconds, **s.span()).df
        raw = cached.query("plays_top", level="platform", order_by="plays", min_seconds=s.min_seconds, limit=100,
                           **s.span()).df
        countries = cached.query("plays_top", level="country", order_by="plays", min_seconds=s.min_seconds,
                                 limit=100, **s.span()).df
    if fams.empty:
        st.caption("No platform recorded in these dates (account data has none).")
    else:
        charts.draw(view.platforms_chart, fams)
        tables.data_expander(raw[["rank", "name", "plays", "minutes", "streams", "skip_rate"]], "plays_platform_strings",
                             headers={"name": "Platform"}, label="Every platform string")
    common.subheader("Countries")
    st.caption("The country the stream was played from (conn_country).")
    if countries.empty:
        st.caption("No country recorded in these dates.")
        return
    charts.draw(view.countries_chart, countries)
    shown = countries[["rank", "name", "plays", "minutes", "streams"]].assign(name=countries["name"].map(view.flag))
    tables.data_expander(shown, "plays_countries", headers={"name": "Country"})
