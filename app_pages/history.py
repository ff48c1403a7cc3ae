"""Listening history: rank over time, currently obsessed, forgotten gems, musical evolution and
what raw_json says about the tracks. Filters (dates, time range, artist) live in the URL."""
from __future__ import annotations

import json
from functools import partial

import streamlit as st

from ui import cached, charts, common, filters, tables
from ui.plays_view import count_text
from ui.text import spotify_links

TOP_CHOICES = 200          # tracks / artists offered in the bump chart's picker
DEFAULT_PICKS = 5          # preselected: the strongest ones in the filtered snapshots
ARTIST_CHOICES = 2000      # artists in the artist filter
SERIES_ROWS = 5000         # row cap of one bump chart's data
GEM_ROWS = 500             # forgotten gems listed at most
# PICKER_NOTE: the bump chart's picker sits in a popover. Its options are the filtered top list, so
# a filter change makes it a new widget, and a mounted multiselect of up to TOP_CHOICES options was a
# large part of the browser's work on every time-range change; closed, it is not drawn.


def _filters() -> filters.HistoryFilters | None:
    with common.guard():
        bounds = cached.query("history_bounds").df
    if bounds.empty or bounds.at[0, "first_snapshot"] is None or int(bounds.at[0, "snapshot_dates"]) == 0:
        common.empty_state()
        return None
    with common.guard():
        artists = cached.query("history_artists", limit=ARTIST_CHOICES).df["artist_name"].tolist()

        def known(name: str) -> bool:
            found = cached.query("history_artist_appearances", artist=name).df
            return not found.empty and int(found.at[0, "appearances"]) > 0

        return filters.history_filters(bounds.at[0, "first_snapshot"], bounds.at[0, "last_snapshot"],
                                       artists, known)


def rank_over_time(f: filters.HistoryFilters) -> None:
    common.subheader("Rank over time")
    st.caption("Where chosen tracks or artists stood in each snapshot of the time range (1 at the top). "
               "An artist's rank is its place counting each artist once, at its best-placed track. "
               "Click a legend entry to highlight it.")
    if f.artist is not None:
        st.session_state["bump_mode"] = "Tracks"     # one artist chosen: follow its tracks
    mode = common.choice("Follow", ("Tracks", "Artists"), key="bump_mode", default="Tracks",
                         disabled=f.artist is not None,
                         help="With one artist chosen in the filter, its tracks are followed.")
    if mode == "Artists" and f.artist is None:
        with common.guard():
            top = cached.query("history_top_artists", limit=TOP_CHOICES, **f.params(artist=False)).df
        if top.empty:
            st.caption("No artists ranked with these filters.")
            return
        options = top["artist_name"].tolist()
        with st.popover("Choose artists", icon=":material/checklist:"):   # see PICKER_NOTE
            picked = st.multiselect("Artists", options, default=options[:DEFAULT_PICKS])
        if not picked:
            st.caption("Pick at least one artist.")
            return
        with common.guard():
            res = cached.query_rows("artist_rank_over_time", SERIES_ROWS, artists=json.dumps(picked),
                                    **f.params(artist=False))
        charts.draw(charts.bump_chart, res.df, label="artist_name", legend_title="Artist")
        data, name = res.df, "artist_rank_over_time"
    else:
        with common.guard():
            top = charts.with_track_label(cached.query("history_top_tracks", limit=TOP_CHOICES, **f.params()).df)
        if top.empty:
            st.caption("No tracks ranked with these filters.")
            return
        labels = dict(zip(top["track_id"], top["label"]))
        with st.popover("Choose tracks", icon=":material/checklist:"):   # see PICKER_NOTE
            picked = st.multiselect("Tracks", list(labels), default=list(labels)[:DEFAULT_PICKS],
                                    format_func=lambda tid: labels.get(tid, tid))
        if not picked:
            st.caption("Pick at least one track.")
            return
        with common.guard():
            res = cached.query_rows("track_rank_over_time", SERIES_ROWS, track_ids=json.dumps(picked),
                                    **f.params(artist=False))
        data = res.df.assign(label=res.df["track_id"].map(labels))
        charts.draw(charts.bump_chart, data)
        data, name = data[["label", *[c for c in data.columns if c != "label"]]], "track_rank_over_time"
    common.truncated_note(res)
    tables.data_expander(data, name, headers={"label": "Track"})


def currently_obsessed(f: filters.HistoryFilters) -> None:
    common.subheader("Currently obsessed")
    st.caption(f"The newest snapshot's top tracks ({charts.range_label(f.time_range).lower()}), and how each "
               "moved since the snapshot before. Always the newest snapshot, whatever the dates.")
    with common.guard():
        df = cached.query("currently_obsessed", time_range=f.time_range, limit=50).df
    if df.empty:
        st.caption("No snapshots for this time range yet.")
        return
    st.caption(f"Snapshot of {df.at[0, 'snapshot_date']}.")
    table = charts.obsessed_table(df)
    table["album_name"] = df["album_name"]
    tables.show_list(table, "currently_obsessed", headers={"name": "Track"})     # a ranked list (STATIC_TABLE_NOTE)


def forgotten_gems(f: filters.HistoryFilters) -> None:
    common.subheader("Forgotten gems")
    cols = st.columns([1, 2])
    recent = cols[0].number_input("Recent = the last N snapshots", min_value=1, max_value=52, value=4, step=1,
                                  key="gems_recent")
    only_range = cols[1].checkbox(f"Only {charts.range_label(f.time_range).lower()}", value=False,
                                  key="gems_only_range",
                                  help="Off: a track counts when it was in any of the three top lists.")
    st.caption(f"Tracks ranked 90 to 365 days before the newest snapshot (up to {f.until}) and absent from "
               f"the last {int(recent)} snapshots{'' if only_range else ', in any time range'}. "
               "Best rank and placements are counted in that window.")
    with common.guard():
        res = cached.query_rows("forgotten_gems", GEM_ROWS, time_range=f.time_range if only_range else None,
                                until=f.until, recent_snapshots=int(recent), window_start_days=90,
                                window_end_days=365, artist=f.artist)
    if res.df.empty:
        st.caption("No forgotten gems with these filters.")
        return
    st.caption(f"{count_text(len(res.df), 'gem')}{'+' if res.truncated else ''}.")
    gems = res.df.assign(spotify_url=spotify_links(res.df["spotify_url"]))   # no javascript: or data: links
    tables.show(gems, "forgotten_gems", headers={"name": "Track"})
    common.truncated_note(res)


def evolution(f: filters.HistoryFilters) -> None:
    common.subheader("Musical evolution")
    st.markdown("**Turnover** · share of each snapshot's tracks that were not in the snapshot before, per "
                "time range (your time range is highlighted; click the legend to change).")
    with common.guard():
        turnover = cached.query("snapshot_turnover", time_range=None, since=f.since, until=f.until).df
    tables.chart_with_data(turnover, partial(charts.turnover_chart, highlight_range=f.time_range), "snapshot_turnover",
                           "Turnover needs two snapshots of a time range within the dates.")

    st.markdown("**Top artists per month** · the 5 strongest artists of each month; strength = the sum over "
                "their placements of (51 - rank), so a #1 counts 50 and a #50 counts 1. Click a cell to "
                "highlight an artist.")
    with common.guard():
        top = cached.query("top_artists_by_month", per_month=5, limit=2000, **f.params()).df
    tables.chart_with_data(top, charts.top_artists_by_month_chart, "top_artists_by_month",
                           "No snapshots with these filters.")

    st.markdown("**Taste shift** · how much the month's artists differ from the month before (Jaccard "
                "distance of the two artist sets: 0 = the same, 100% = all different), and the average "
                "release year of the month's ranked tracks. Counts every artist, whatever the artist filter.")
    with common.guard():
        shift = cached.query("taste_shift", **f.params(artist=False)).df
    if shift.empty:
        st.caption("No snapshots with these filters.")
        return
    cols = st.columns(2)
    with cols[0]:
        charts.draw(charts.taste_shift_chart, shift)
    with cols[1]:
        charts.draw(charts.release_year_trend_chart, shift)
    tables.data_expander(shift, "taste_shift")


def track_traits(f: filters.HistoryFilters) -> None:
    common.subheader("What the tracks are like")
    with common.guard():
        traits = cached.query("track_traits", **f.params()).df
    if traits.empty or int(traits.at[0, "tracks"]) == 0:
        st.caption("No tracks with these filters.")
        return
    t = traits.iloc[0]
    have = "has" if int(t.with_release_year) == 1 else "have"
    st.caption(f"From the Spotify payloads (raw_json) of the {count_text(t.tracks, 'distinct track')} in the "
               f"filtered snapshots; {int(t.with_release_year):,} {have} a release date, {int(t.with_popularity):,} a "
               f"popularity, {int(t.tracks) - int(t.explicit_unknown):,} an explicit flag. Fields older "
               "payloads lack are left out.")
    with common.guard():
        years = cached.query("release_years", **f.params()).df
        explicit = cached.query("explicit_share", **f.params()).df
        popularity = cached.query("popularity_histogram", **f.params()).df
        duration = cached.query("duration_histogram", **f.params()).df
    sections = (
        ("Release years", "album.release_date (year, month or day precision: the year is kept).",
         years, charts.release_year_chart, "release_years"),
        ("Explicit vs clean", "The payload's explicit flag; unknown where it is missing.",
         explicit, charts.explicit_chart, "explicit_share"),
        ("Popularity", "Spotify's 0-100 popularity as the payload recorded it, in bins of 10.",
         popularity, partial(charts.histogram_chart, x_title="Popularity"), "popularity_histogram"),
        ("Duration", "Track length in half-minute bins (20 minutes and longer in the last).",
         duration, partial(charts.histogram_chart, x_title="Minutes", unit="min"), "duration_histogram"),
    )
    for row in (sections[:2], sections[2:]):
        cols = st.columns(2)
        for col, (title, explain, df, build, name) in zip(cols, row):
            with col:
                st.markdown(f"**{title}** · {explain}")
                tables.chart_with_data(df, build, name, "No tracks with this field.")


SECTIONS = {"Rank over time": rank_over_time, "Currently obsessed": currently_obsessed,
            "Forgotten gems": forgotten_gems, "Musical evolution": evolution,
            "What the tracks are like": track_traits}


def main() -> None:
    charts.enable_theme()
    common.header("Listening history", ":material/show_chart:", "How your top lists moved: filters below are kept in the link, "
                  "so a view can be shared.")
    body()


@st.fragment
def body() -> None:
    """The filters and the open section. A fragment: a filter change reruns this, not the navigation
    and page header around it."""
    chosen = _filters()
    if chosen is None:
        return
    sections(chosen)


@st.fragment
def sections(chosen: filters.HistoryFilters) -> None:
    """The section picker and the open section, the only one built and sent (common.open_section);
    the open section is in the link (?section=). A fragment of its own: opening a section or moving
    a section's own widget reruns this alone, with the filters of the last run of body(). The time
    range is drawn here (filters.TIME_RANGE_NOTE): changing it reruns this, not the filter row."""
    common.open_section(SECTIONS, filters.time_range_filter(chosen, charts.TIME_RANGE_LABELS))


main()
