"""Music Time Machine: entry point. Page config, navigation, and the overview page."""
from __future__ import annotations

import streamlit as st

from db.zones import rollup_params
from ui import cached, charts, common, plays_view, tables
from ui.text import literal

PAGES_DIR = "app_pages"


def overview() -> None:
    common.header("Overview", ":material/home:", "Your Spotify listening history, from the Music Time Machine's snapshots.")
    playing_now()
    with common.guard():
        counts = cached.query("overview_counts").df
    if counts.empty or int(counts.at[0, "tracks"]) == 0:
        if not minutes_per_month():
            common.empty_state()
        return
    row = counts.iloc[0]
    common.figures([("Tracks", f"{int(row.tracks):,}"), ("Artists", f"{int(row.artists):,}"),
                    ("Albums", f"{int(row.albums):,}"), ("Total duration", f"{float(row.total_hours):,.0f} h"),
                    ("Snapshot dates", f"{int(row.snapshot_dates):,}"),
                    ("First snapshot", str(row.first_snapshot or "–")),
                    ("Last snapshot", str(row.last_snapshot or "–"))])

    minutes_per_month()

    common.subheader("Currently obsessed")
    tabs = st.tabs(["Last 4 weeks", "Last 6 months", "All time"])
    for tab, time_range in zip(tabs, ("short_term", "medium_term", "long_term")):
        with tab, common.guard():
            top = cached.query("currently_obsessed", time_range=time_range, limit=10).df
            if top.empty:
                st.caption("No snapshots for this time range yet.")
                continue
            tables.show(charts.obsessed_table(top), f"currently_obsessed_{time_range}", headers={"name": "Track"})


def requested_path(pages: list) -> str | None:
    """The URL path the browser asked for when it names no page (st.navigation would quietly run
    the Overview instead), else None."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    manager = getattr(ctx, "pages_manager", None)
    wanted = getattr(manager, "intended_page_name", None)
    wanted_hash = getattr(manager, "intended_page_script_hash", None)
    if not wanted or wanted_hash:
        return None
    known = {p.url_path for p in pages} | {""}
    return None if wanted.strip("/") in known else wanted


def not_found(path: str, pages: list) -> None:
    common.header("Page not found", ":material/explore_off:")
    st.markdown(f"There is no page at **/{literal(path.strip('/'))}**. These are the pages:")
    for page in pages:
        st.page_link(page, label=page.title, icon=page.icon)


def minutes_per_month() -> bool:
    """Minutes listened per month over every play (every kind), in the browser's time zone (the Plays
    page's default); a hint instead when no plays were imported. Whether there were plays."""
    common.subheader("Minutes listened per month")
    with common.guard():
        zones = cached.query("plays_time_zones").df["name"].tolist()
        tz, _source = plays_view.default_zone(getattr(st.context, "timezone", None), plays_view.env_zone(), zones)
        span = cached.query("plays_overview", tz=tz).df
    if span.empty or span.at[0, "first_at"] is None or str(span.at[0, "first_at"]) in ("NaT", "None") \
            or int(span.at[0, "streams"]) == 0:
        st.caption("No plays yet: import your Spotify streaming history on the **Admin** page to see your "
                   "minutes per month here (the **Plays** page has the rest).")
        return False
    first, last = span.at[0, "first_day"], span.at[0, "last_day"]
    with common.guard():
        info = cached.query("plays_time_zone", tz=tz).df
        months = cached.query("plays_timeline", grain="month", limit=1200, tz=tz, since=first, until=last,
                              kind="all", min_seconds=plays_view.DEFAULT_THRESHOLD, **rollup_params(info)).df
    charts.draw(plays_view.timeline_chart, months, "month")
    st.caption(f"Every stream of every kind (music, podcasts, audiobooks), {first} to {last}, months in "
               f"{literal(tz)}. The **Plays** page breaks it down.")
    return True


def playing_now() -> None:
    """What ListenBrainz clients say is playing (api/, listen_type playing_now): not cached, a tiny read."""
    from ui.search_view import escape_markdown as md

    with common.guard():
        now = cached.uncached("playing_now").df
    for r in now.itertuples():
        album = f" · {md(r.album)}" if r.album else ""
        st.info(f"Playing now: **{md(r.track)}** by {md(r.artist)}{album} ({md(r.token)})",
                icon=":material/play_circle:")


def main() -> None:
    st.set_page_config(page_title="Music Time Machine", page_icon="🎧", layout="wide")
    charts.enable_theme()
    browse = [
        st.Page(overview, title="Overview", icon=":material/home:", default=True),
        st.Page(f"{PAGES_DIR}/history.py", title="Listening history", icon=":material/show_chart:"),
        st.Page(f"{PAGES_DIR}/plays.py", title="Plays", icon=":material/headphones:"),
        st.Page(f"{PAGES_DIR}/search.py", title="Search", icon=":material/search:"),
        st.Page(f"{PAGES_DIR}/explorer.py", title="raw_json explorer", icon=":material/data_object:"),
    ]
    admin = [st.Page(f"{PAGES_DIR}/admin.py", title="Admin", icon=":material/admin_panel_settings:")]
    nav = st.navigation({"Browse": browse, "Admin": admin})
    missing = requested_path(browse + admin)
    if missing is not None:
        not_found(missing, browse + admin)
        return
    nav.run()


main()
