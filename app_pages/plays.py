"""Plays: every stream of a Spotify data export, in the listener's time zone. Minutes over time,
when you listen, top lists, skips, sessions and streaks, discovery, two periods side by side, on
this day, forgotten gems, a year in review, platforms and countries.

The settings (time zone, dates, kind, what counts as a play) and the open section live in the URL,
so a view can be shared. Sections are tabs that run only when opened.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

import streamlit as st

from ui import cached, charts, common, tables
from ui import plays_view as view
from ui.filters import date_range, url_param, write_url_params
from ui.text import literal

IMPORT_HINT = ("No plays yet. Request your **extended streaming history** from Spotify (Account → Privacy "
               "settings → Download your data), then import the zip it sends: upload it on the **Admin** "
               "page, or run `python -m migrate my_spotify_data.zip`. The account-data export "
               "(StreamingHistory*.json) works too, with less detail.")
NOT_BUILT = ("Plays are stored, but their analysis tables have not been built yet. Run any import again "
             "(the same file is fine) to build them.")
SECTIONS = ["Over time", "Top lists", "Skips", "Sessions & streaks", "Discovery", "Two periods",
            "On this day", "Forgotten gems", "Year in review", "Platforms & countries"]
KEY_TZ, KEY_DATES, KEY_KIND, KEY_MIN_S = "plays_tz", "plays_dates", "plays_kind", "plays_min_s"
TOP_ROWS = 50
TABLE_ROWS = 500
ARTIST_CHOICES = 2000


@dataclass(frozen=True)
class Settings:
    tz: str
    quarter: bool              # the zone has a :30 / :45 offset: timelines read 15-minute rollups
    since: dt.date
    until: dt.date
    kind: str
    min_seconds: int
    first: dt.date             # the data's first and last day in the zone
    last: dt.date

    def span(self, since: dt.date | None = None, until: dt.date | None = None) -> dict:
        """Parameters of the item and session queries."""
        return {"tz": self.tz, "since": since or self.since, "until": until or self.until, "kind": self.kind}

    def timed(self, since: dt.date | None = None, until: dt.date | None = None) -> dict:
        """Parameters of the queries over time (they also need the rollup and the threshold)."""
        return {**self.span(since, until), "quarter": self.quarter, "min_seconds": self.min_seconds}


# ---------------------------------------------------------------------------------------------
# Settings


def settings() -> Settings | None:
    """The settings widgets, bound to the URL; None (after the import hint) when there are no plays."""
    problems = []
    with common.guard():
        zones = cached.query("plays_time_zones").df["name"].tolist()
    if KEY_TZ not in st.session_state or st.session_state[KEY_TZ] not in zones:
        zone, problem = view.parse_zone(url_param("tz"), zones)
        if problem:
            problems.append(problem)
        if zone is None:
            zone, _ = view.default_zone(getattr(st.context, "timezone", None), view.env_zone(), zones)
        st.session_state[KEY_TZ] = zone
    tz = st.session_state[KEY_TZ]
    with common.guard():
        overview = cached.query("plays_overview", tz=tz).df
        zone_info = cached.query("plays_time_zone", tz=tz).df
    row = overview.iloc[0] if len(overview) else None
    if row is None or row.first_at is None or str(row.first_at) in ("NaT", "None"):
        common.empty_state(IMPORT_HINT)
        return None
    if int(row.streams) == 0:
        common.empty_state(NOT_BUILT)
        return None
    first, last = row.first_day, row.last_day

    if KEY_DATES not in st.session_state:
        from ui import filters

        default = view.default_range(first, last)
        wanted_from, wanted_to = url_param("from"), url_param("to")
        if wanted_from is None and wanted_to is None:
            st.session_state[KEY_DATES] = default
        else:
            (since, until), problem = filters.parse_date_range(wanted_from, wanted_to, first, last)
            problems += [problem.replace("snapshots'", "plays'")] if problem else []
            st.session_state[KEY_DATES] = (since, until) if not problem else default
    else:
        clamped = date_range(st.session_state[KEY_DATES], first, last)
        if clamped != tuple(st.session_state[KEY_DATES]):
            st.session_state[KEY_DATES] = clamped
    if KEY_KIND not in st.session_state:
        kind, problem = view.parse_choice(url_param("kind"), view.KINDS, view.DEFAULT_KIND)
        problems += [f"kind: {problem}"] if problem else []
        st.session_state[KEY_KIND] = kind
    if KEY_MIN_S not in st.session_state:
        min_s, problem = view.parse_choice(url_param("min_s"), view.THRESHOLDS, view.DEFAULT_THRESHOLD, int)
        problems += [f"what counts as a play: {problem}"] if problem else []
        st.session_state[KEY_MIN_S] = min_s
    if problems:
        st.warning("Some of this link's settings could not be used (" + "; ".join(problems)
                   + "), so their defaults are shown.", icon="⚠️")

    cols = st.columns([2, 2.4, 3.6, 2])
    cols[0].selectbox("Time zone", zones, key=KEY_TZ,
                      help="Days, hours, weeks and months are yours: by default your browser's time zone.")
    picked = cols[1].date_input("Dates", min_value=first, max_value=last, key=KEY_DATES, format="YYYY-MM-DD",
                                help="Local dates, both included.")
    kind = cols[2].radio("Kind", list(view.KINDS), key=KEY_KIND, horizontal=True,
                         format_func=lambda k: view.KINDS.get(k, k),
                         help="Podcasts and audiobooks are kept out of the music statistics; All mixes every kind.")
    min_seconds = cols[3].selectbox("What counts as a play", list(view.THRESHOLDS), key=KEY_MIN_S,
                                    format_func=lambda s: view.THRESHOLDS.get(s, str(s)),
                                    help="Most trackers count streams of 30 seconds or more.")
    since, until = date_range(picked, first, last)
    quarter = bool(zone_info.iloc[0].quarter) if len(zone_info) else False
    chosen = Settings(tz=tz, quarter=quarter, since=since, until=until, kind=kind or view.DEFAULT_KIND,
                      min_seconds=int(min_seconds if min_seconds is not None else view.DEFAULT_THRESHOLD),
                      first=first, last=last)
    write_url_params({"tz": chosen.tz, "from": since.isoformat(), "to": until.isoformat(), "kind": chosen.kind,
                   "min_s": str(chosen.min_seconds)})
    st.caption(f"In these numbers {view.threshold_text(chosen.min_seconds)}; minutes count every stream, and skip "
               "rates are taken over every stream that says whether it was skipped (Spotify's `skipped`, or "
               "ended with the forward button). " + view.zone_note(tz, zone_info))
    return chosen


def totals(s: Settings) -> None:
    with common.guard():
        t = cached.query("plays_totals", **s.timed()).df.iloc[0]
        counts = cached.query("plays_counts", **s.span(), min_seconds=s.min_seconds).df.iloc[0]
    cols = st.columns(6)
    cols[0].metric("Listened", view.hours_text(t.minutes))
    cols[1].metric("Plays", f"{int(t.plays):,}", help=f"Streams: {int(t.streams):,}")
    cols[2].metric(view.level_name("track", s.kind), f"{int(counts.tracks):,}")
    cols[3].metric(view.level_name("artist", s.kind), f"{int(counts.artists):,}")
    cols[4].metric("Days with a play", f"{int(t.days):,}", help=f"Of {view.count_text((s.until - s.since).days + 1, 'day')}")
    cols[5].metric("Skip rate", view.percent(int(t.skips) / int(t.skip_known) if int(t.skip_known) else None))


# ---------------------------------------------------------------------------------------------
# Sections


def over_time(s: Settings) -> None:
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


def top_lists(s: Settings) -> None:
    names = view.level_names(s.kind)
    st.subheader(f"Top {names['track'].lower()}, {names['artist'].lower()} and {names['album'].lower()}")
    cols = st.columns([3, 2, 2])
    level = cols[0].radio("Of", list(view.LEVELS), format_func=names.get, horizontal=True, key="plays_level")
    order_by = cols[1].radio("By", ["plays", "minutes"], format_func=str.capitalize, horizontal=True,
                             key="plays_order")
    n = cols[2].number_input("How many", min_value=5, max_value=TOP_ROWS * 4, value=25, step=5, key="plays_top_n")
    if s.kind == "podcast" and level != "track":
        st.caption("For podcasts, artists are shows; episodes have no album.")
    with common.guard():
        res = cached.query("plays_top", level=level, order_by=order_by, min_seconds=s.min_seconds, limit=int(n),
                           **s.span())
    if res.df.empty:
        st.caption("Nothing played in these dates.")
        return
    charts.draw(view.top_chart, res.df, level, order_by)
    table = res.df.drop(columns=["track_id"] + (["artist"] if level not in ("track", "album") else []))
    tables.show(table, f"plays_top_{level}", headers=view.level_headers(level, s.kind))


def skips(s: Settings) -> None:
    st.subheader("Skips")
    st.caption("Skip rate = skips / streams that say whether they were skipped (account-data plays don't). "
               "Every stream counts here, however short.")
    with common.guard():
        by_hour = cached.query("plays_by_hour", **{k: v for k, v in s.timed().items() if k != "min_seconds"}).df
        platforms = cached.query("plays_platforms", min_seconds=s.min_seconds, **s.span()).df
    cols = st.columns(2)
    with cols[0]:
        st.markdown("**By hour of day**")
        if by_hour.empty:
            st.caption("Nothing played in these dates.")
        else:
            charts.draw(view.skip_rate_by_hour_chart, by_hour)
    with cols[1]:
        st.markdown("**By platform**")
        if platforms.empty:
            st.caption("No platform recorded in these dates.")
        else:
            charts.draw(view.platforms_chart, platforms, "skip_rate")
    min_streams = st.number_input("Only items with at least this many streams", min_value=1, max_value=1000,
                                  value=5, step=1, key="plays_skip_min")
    cols = st.columns(2)
    for col, level in zip(cols, ("track", "artist")):
        with col:
            st.markdown(f"**Most skipped {view.level_name(level, s.kind).lower()}**")
            with common.guard():
                df = cached.query("plays_most_skipped", level=level, min_streams=int(min_streams), limit=25,
                                  **s.span()).df
            if df.empty:
                st.caption("None with that many streams in these dates.")
                continue
            if level == "artist":
                df = df.drop(columns=["artist"])
            tables.show(df, f"plays_most_skipped_{level}", headers=view.level_headers(level, s.kind))


def sessions(s: Settings) -> None:
    st.subheader("Listening sessions")
    st.caption("A session is a run of streams (every stream, however short) where none starts more than 30 "
               "minutes after the streams before it ended; it belongs to the day it starts. **Length** runs from "
               "its first stream's start to its last stream's end; **Played** is the time something was "
               "playing, so streams that overlap (two devices at once) count once and Played is never more "
               "than Length.")
    with common.guard():
        summary = cached.query("plays_sessions_summary", **s.span()).df.iloc[0]
        lengths = cached.query("plays_session_lengths", **s.span()).df
        longest = cached.query("plays_longest_sessions", limit=10, **s.span()).df
    if int(summary.sessions) == 0:
        st.caption("No sessions in these dates.")
    else:
        cols = st.columns(4)
        cols[0].metric("Sessions", f"{int(summary.sessions):,}")
        cols[1].metric("Median length", view.hours_text(summary.median_minutes))
        cols[2].metric("Average length", view.hours_text(summary.avg_minutes))
        cols[3].metric("Longest", view.hours_text(summary.longest_minutes))
        charts.draw(view.session_lengths_chart, lengths)
        st.markdown("**Longest sessions**")
        tables.show(longest, "plays_longest_sessions", headers={"minutes": "Length (min)"})

    st.subheader("Daily streaks")
    st.caption(f"Runs of consecutive days with at least one play ({view.threshold_text(s.min_seconds)}).")
    with common.guard():
        streaks = cached.query("plays_streaks", limit=10, **s.timed()).df
    if streaks.empty:
        st.caption("No plays in these dates.")
        return
    latest = streaks[streaks["latest"]]
    cols = st.columns(2)
    cols[0].metric("Longest streak", view.count_text(streaks.iloc[0].days, "day"),
                   help=f"{streaks.iloc[0].first_day} to {streaks.iloc[0].last_day}")
    if len(latest):
        cols[1].metric("Latest streak", view.count_text(latest.iloc[0].days, "day"),
                       help=f"{latest.iloc[0].first_day} to {latest.iloc[0].last_day}")
    tables.show(streaks, "plays_streaks")


def discovery(s: Settings) -> None:
    artist_one = view.level_name("artist", s.kind, plural=False).lower()
    st.subheader(f"New {view.level_name('artist', s.kind).lower()} per month")
    st.caption(f"Each {artist_one} counts as new in the month of its first play ever ({view.threshold_text(s.min_seconds)}).")
    with common.guard():
        new = cached.query("plays_new_artists", min_seconds=s.min_seconds, **s.span()).df
    if tables.chart_with_data(new, partial(view.new_artists_chart, since=s.since, until=s.until), "plays_new_artists",
                              f"No {artist_one} heard for the first time in these dates."):
        st.caption(f"{view.count_text(new['new_artists'].sum(), 'new ' + artist_one, 'new ' + view.level_name('artist', s.kind).lower())} in these dates.")

    st.subheader("First and last listen")
    with common.guard():
        artists = cached.query("plays_artists", kind=s.kind, min_seconds=s.min_seconds, limit=ARTIST_CHOICES).df
    if artists.empty:
        st.caption(f"No {artist_one} with a play.")
        return
    artist = st.selectbox(artist_one.capitalize(), artists["artist"].tolist(), key="plays_first_artist",
                          help="Artists with the most plays first.")
    with common.guard():
        res = cached.query("plays_first_last", tz=s.tz, artist=artist, kind=s.kind, min_seconds=s.min_seconds,
                           limit=TABLE_ROWS)
    df = res.df
    if df.empty:
        st.caption("No play of this artist.")
        return
    head = df[df["level"] == "artist"]
    if len(head):
        h = head.iloc[0]
        st.markdown(f"**{literal(view.label(artist))}**: first played {h.first_play:%Y-%m-%d %H:%M}, last played "
                    f"{h.last_play:%Y-%m-%d %H:%M}; {view.count_text(h.plays, 'play')}, {view.hours_text(h.minutes)}.")
    tracks = df[df["level"] == "track"].drop(columns=["level", "track_id"] + (["kind"] if s.kind != "all" else []))
    tables.show(tracks, "plays_first_last", headers=view.level_headers("track", s.kind))
    common.truncated_note(res)


def two_periods(s: Settings) -> None:
    st.subheader("Two periods side by side")
    default_a = view.previous_period(s.since, s.until)
    default_a = (max(default_a[0], s.first), max(min(default_a[1], s.last), s.first))
    cols = st.columns([2, 2, 3, 1])
    a = date_range(cols[0].date_input("Period A", value=default_a, min_value=s.first, max_value=s.last,
                                  format="YYYY-MM-DD", key="plays_period_a"), s.first, s.last)
    b = date_range(cols[1].date_input("Period B", value=(s.since, s.until), min_value=s.first, max_value=s.last,
                                  format="YYYY-MM-DD", key="plays_period_b"), s.first, s.last)
    level = cols[2].radio("Compare", list(view.LEVELS), format_func=view.level_names(s.kind).get, horizontal=True,
                          index=1, key="plays_compare_level")
    top = cols[3].number_input("Top", min_value=5, max_value=100, value=20, step=5, key="plays_compare_top")
    params = {"tz": s.tz, "since_a": a[0], "until_a": a[1], "since_b": b[0], "until_b": b[1], "kind": s.kind,
              "level": level, "min_seconds": s.min_seconds}
    st.caption(f"A: {a[0]} to {a[1]} · B: {b[0]} to {b[1]}. Ranks by plays; ▲ = higher in B than in A.")
    with common.guard():
        cmp = cached.query("plays_compare", top=int(top), limit=int(top) * 2, **params).df
        changes = cached.query("plays_compare_changes", limit=50, **params).df
    if cmp.empty:
        st.caption("Nothing played in either period.")
    else:
        table = view.compare_table(cmp).drop(columns=["change", "status"])
        if level == "artist":
            table = table.drop(columns=["artist"])
        tables.show(table, "plays_compare", headers=view.level_headers(level, s.kind))
    cols = st.columns(2)
    for col, status, title in ((cols[0], "new", "New in B"), (cols[1], "dropped", "Dropped in B")):
        with col:
            part = changes[changes["status"] == status] if len(changes) else changes
            total = int(part["of_total"].iloc[0]) if len(part) else 0
            st.markdown(f"**{title}** · {view.count_text(total, view.level_name(level, s.kind, False).lower(), view.level_name(level, s.kind).lower())}")
            if part.empty:
                st.caption("None.")
                continue
            shown = part.drop(columns=["status", "of_total"] + (["artist"] if level == "artist" else []))
            tables.show(shown, f"plays_{status}", headers={**view.level_headers(level, s.kind),
                        "plays": "Plays in A" if status == "dropped" else "Plays in B"})


def on_this_day(s: Settings) -> None:
    st.subheader("On this day")
    day = st.date_input("Date", value=view.today_in(s.tz), key="plays_on_day", format="YYYY-MM-DD",
                        min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
    with common.guard():
        res = cached.query("plays_on_this_day", tz=s.tz, day=day, kind=s.kind, min_seconds=s.min_seconds,
                           limit=TABLE_ROWS)
    if res.df.empty:
        st.caption(f"Nothing played on {day:%d %B} in earlier years.")
        return
    per_year = res.df.groupby("year", sort=False)[["day_plays", "day_minutes"]].first()
    st.caption(" · ".join(f"{year}: {view.count_text(r.day_plays, 'play')}, {view.hours_text(r.day_minutes)}"
                          for year, r in per_year.iterrows())
               + f". Tracks with a play that day; minutes count every stream ({view.threshold_text(s.min_seconds)}).")
    tables.show(res.df.drop(columns=["day", "day_plays", "day_minutes"]), "plays_on_this_day",
                headers=view.level_headers("track", s.kind, column="track"))
    common.truncated_note(res)


def forgotten_gems(s: Settings) -> None:
    st.subheader("Forgotten gems")
    cols = st.columns(2)
    recent = cols[0].number_input("Absent for the last N days", min_value=7, max_value=3650, value=90, step=1,
                                  key="plays_gems_days")
    min_plays = cols[1].number_input("Played at least", min_value=1, max_value=10_000, value=10, step=1,
                                     key="plays_gems_min")
    st.caption(f"Tracks with at least {int(min_plays)} plays in all time and no stream at all in the "
               f"{int(recent)} days before your newest stream ({s.last}).")
    with common.guard():
        res = cached.query("plays_forgotten_gems", tz=s.tz, kind=s.kind, min_seconds=s.min_seconds,
                           min_plays=int(min_plays), recent_days=int(recent), limit=100)
    if res.df.empty:
        st.caption("No forgotten gems with these settings.")
        return
    tables.show(res.df, "plays_forgotten_gems", headers=view.level_headers("track", s.kind))


def year_in_review(s: Settings) -> None:
    st.subheader("Year in review")
    years = list(range(s.last.year, s.first.year - 1, -1))
    year = int(st.selectbox("Year", years, key="plays_review_year"))
    since, until = view.year_bounds(year)
    st.caption(f"1 January to 31 December {year}, in your time zone"
               + (f" (your plays end on {s.last})" if s.last < until else "")
               + (f" (your plays start on {s.first})" if s.first > since else "") + ".")
    with common.guard():
        t = cached.query("plays_totals", **s.timed(since, until)).df.iloc[0]
        counts = cached.query("plays_counts", min_seconds=s.min_seconds, **s.span(since, until)).df.iloc[0]
        months = cached.query("plays_timeline", grain="month", limit=12, **s.timed(since, until)).df
        days = cached.query("plays_timeline", grain="day", limit=400, **s.timed(since, until)).df
        new = cached.query("plays_new_artists", min_seconds=s.min_seconds, **s.span(since, until)).df
        session = cached.query("plays_sessions_summary", **s.span(since, until)).df.iloc[0]
        streaks = cached.query("plays_streaks", limit=1, **s.timed(since, until)).df
    if int(t.streams) == 0:
        st.caption(f"Nothing played in {year}.")
        return
    cols = st.columns(4)
    cols[0].metric("Listened", view.hours_text(t.minutes), help=f"{float(t.minutes):,.0f} minutes")
    cols[1].metric("Plays", f"{int(t.plays):,}")
    cols[2].metric(f"{view.level_name('track', s.kind)} · {view.level_name('artist', s.kind).lower()}",
                   f"{int(counts.tracks):,} · {int(counts.artists):,}")
    cols[3].metric("New artists", f"{int(new['new_artists'].sum()) if len(new) else 0:,}")
    cols = st.columns(4)
    cols[0].metric("Days with a play", f"{int(t.days):,}")
    busiest = view.busiest(days)
    cols[1].metric("Busiest day", str(busiest[0]) if busiest else "–",
                   help=view.hours_text(busiest[1]) if busiest else None)
    cols[2].metric("Longest session", view.hours_text(session.longest_minutes) if int(session.sessions) else "–")
    cols[3].metric("Longest streak", view.count_text(streaks.iloc[0].days, "day") if len(streaks) else "–")
    charts.draw(view.calendar_chart, days, year, first=s.first, last=s.last)
    st.caption(view.CALENDAR_NOTE)
    charts.draw(view.year_months_chart, months, year)
    cols = st.columns(3)
    for col, level in zip(cols, ("artist", "track", "album")):
        with col, common.guard():
            top = cached.query("plays_top", level=level, order_by="plays", min_seconds=s.min_seconds, limit=5,
                               **s.span(since, until)).df
            st.markdown(f"**Top {view.level_name(level, s.kind).lower()}**")
            if top.empty:
                st.caption("None.")
                continue
            # plays before the long label: a third of 1400 px cannot show a long name and a third column
            shown = view.with_labels(top, level)[["rank", "plays", "label"]]
            tables.show(shown, f"plays_review_{level}", headers=view.level_headers(level, s.kind),
                        widths={"rank": 50, "plays": 60})


def platforms(s: Settings) -> None:
    st.subheader("Platforms")
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
        with st.expander("Every platform string"):
            tables.show(raw[["rank", "name", "plays", "minutes", "streams", "skip_rate"]], "plays_platform_strings",
                        headers={"name": "Platform"})
    st.subheader("Countries")
    st.caption("The country the stream was played from (conn_country).")
    if countries.empty:
        st.caption("No country recorded in these dates.")
        return
    charts.draw(view.countries_chart, countries)
    shown = countries[["rank", "name", "plays", "minutes", "streams"]].assign(name=countries["name"].map(view.flag))
    tables.show(shown, "plays_countries", headers={"name": "Country"})


RENDER = {"Over time": over_time, "Top lists": top_lists, "Skips": skips, "Sessions & streaks": sessions,
          "Discovery": discovery, "Two periods": two_periods, "On this day": on_this_day,
          "Forgotten gems": forgotten_gems, "Year in review": year_in_review,
          "Platforms & countries": platforms}


@st.fragment
def body() -> None:
    """The settings, the totals and the sections. A fragment: changing a setting reruns this, not the
    navigation and page header around it."""
    chosen = settings()
    if chosen is None:
        return
    totals(chosen)
    sections(chosen)


@st.fragment
def sections(chosen: Settings) -> None:
    """The section tabs, only the open one built. A fragment of its own: opening a section or moving
    a section's own widget reruns this alone, with the settings of the last run of body()."""
    tabs = st.tabs(SECTIONS, key="section", on_change="rerun", bind="query-params")
    for tab, name in zip(tabs, SECTIONS):
        with tab:
            if tab.open:
                RENDER[name](chosen)


def main() -> None:
    charts.enable_theme()
    common.header("Plays", ":material/headphones:", "Every stream of your Spotify data export: when, what and "
                  "how you listen. Settings are kept in the link, so a view can be shared.")
    body()


main()
