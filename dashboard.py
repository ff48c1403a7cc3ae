"""Music Time Machine: entry point. Page config, navigation, and the overview page."""
from __future__ import annotations

import streamlit as st

from ui import cached, charts, common, tables

PAGES_DIR = "app_pages"


def overview() -> None:
    common.header("Overview", ":material/home:", "Your Spotify listening history, from the Music Time Machine's snapshots.")
    with common.guard():
        counts = cached.query("overview_counts").df
    if counts.empty or int(counts.at[0, "tracks"]) == 0:
        common.empty_state()
        return
    row = counts.iloc[0]
    cols = st.columns(4)
    cols[0].metric("Tracks", f"{int(row.tracks):,}")
    cols[1].metric("Artists", f"{int(row.artists):,}")
    cols[2].metric("Albums", f"{int(row.albums):,}")
    cols[3].metric("Total duration", f"{float(row.total_hours):,.0f} h")
    cols = st.columns(3)
    cols[0].metric("Snapshot dates", f"{int(row.snapshot_dates):,}")
    cols[1].metric("First snapshot", str(row.first_snapshot or "–"))
    cols[2].metric("Last snapshot", str(row.last_snapshot or "–"))

    st.subheader("Currently obsessed")
    tabs = st.tabs(["Last 4 weeks", "Last 6 months", "All time"])
    for tab, time_range in zip(tabs, ("short_term", "medium_term", "long_term")):
        with tab, common.guard():
            top = cached.query("currently_obsessed", time_range=time_range, limit=10).df
            if top.empty:
                st.caption("No snapshots for this time range yet.")
                continue
            tables.show(charts.obsessed_table(top), f"currently_obsessed_{time_range}", headers={"name": "Track"})


def main() -> None:
    st.set_page_config(page_title="Music Time Machine", page_icon="🎧", layout="wide")
    charts.enable_theme()
    nav = st.navigation({
        "Browse": [
            st.Page(overview, title="Overview", icon=":material/home:", default=True),
            st.Page(f"{PAGES_DIR}/history.py", title="Listening history", icon=":material/show_chart:"),
            st.Page(f"{PAGES_DIR}/plays.py", title="Plays", icon=":material/headphones:"),
            st.Page(f"{PAGES_DIR}/search.py", title="Search", icon=":material/search:"),
            st.Page(f"{PAGES_DIR}/explorer.py", title="raw_json explorer", icon=":material/data_object:"),
        ],
        "Admin": [st.Page(f"{PAGES_DIR}/admin.py", title="Admin", icon=":material/admin_panel_settings:")],
    })
    nav.run()


main()
