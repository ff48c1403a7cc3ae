"""Discovery: new artists per month, and one artist's first and last listens (one click away)."""
from __future__ import annotations

from functools import partial

import streamlit as st

from ui import cached, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings
from ui.text import literal

TABLE_ROWS = 500
ARTIST_CHOICES = 200       # listed in the picker; any other artist is typed (plays_artist_match)
# The browser builds a select box's every option each time this section opens: 2,000 of them were
# most of the section's wait at a million plays, for a list nobody scrolls; names are typed.
MAX_TYPED = 200            # a longer typed name matches no artist (and is not sent to PostgreSQL)


def render(s: Settings) -> None:
    artist_one = view.level_name("artist", s.kind, plural=False).lower()
    common.subheader(f"New {view.level_name('artist', s.kind).lower()} per month")
    st.caption(f"Each {artist_one} counts as new in the month of its first play ever ({view.threshold_text(s.min_seconds)}).")
    with common.guard():
        new = cached.query("plays_new_artists", min_seconds=s.min_seconds, **s.span()).df
    if tables.chart_with_data(new, partial(view.new_artists_chart, since=s.since, until=s.until), "plays_new_artists",
                              f"No {artist_one} heard for the first time in these dates."):
        st.caption(f"{view.count_text(new['new_artists'].sum(), 'new ' + artist_one, 'new ' + view.level_name('artist', s.kind).lower())} in these dates.")

    # FIRST_LAST_NOTE: an artist's first and last listen is a lookup, built only when its expander is
    # opened (tables.lazy_expander): its picker, its line and its table were most of what the browser
    # mounted when the section opened (bench.latency, BENCHMARKS.md: Discovery), for a question the
    # chart above does not need answered
    box = tables.lazy_expander("First and last listen", "plays_first_last")
    if box is not None:
        with box:
            first_and_last(s, artist_one)


def first_and_last(s: Settings, artist_one: str) -> None:
    """One artist's first and last listen: a picker (the most played, or any name typed), a line
    with the artist's first and last play, and each of its tracks' first and last listen."""
    with common.guard():
        artists = cached.query("plays_artists", kind=s.kind, min_seconds=s.min_seconds, limit=ARTIST_CHOICES).df
    if artists.empty:
        st.caption(f"No {artist_one} with a play.")
        return
    listed = artists["artist"].tolist()
    typed = st.selectbox(artist_one.capitalize(), listed, key="plays_first_artist", accept_new_options=True,
                         help=f"The {len(listed):,} most played first; type any other name and press Enter.")
    if typed is None:
        st.caption("Pick a name, or type one.")
        return
    artist = typed if typed in listed else typed_artist(typed, s)
    if artist is None:
        shown = typed if len(typed) <= MAX_TYPED else typed[:MAX_TYPED] + "…"
        st.caption(f"No {artist_one} with a play is called {literal(shown)}.")
        return
    with common.guard():
        res = cached.query_rows("plays_first_last", TABLE_ROWS, tz=s.tz, artist=artist, kind=s.kind,
                                min_seconds=s.min_seconds)
    df = res.df
    if df.empty:
        st.caption("No play of this artist.")
        return
    head = df[df["level"] == "artist"]
    tracks = df[df["level"] == "track"].drop(columns=["level", "track_id"] + (["kind"] if s.kind != "all" else []))
    track_word = view.level_name("track", s.kind).lower()
    if len(head):
        h = head.iloc[0]
        of = view.count_text(len(tracks), view.level_name("track", s.kind, False).lower(), track_word)
        st.markdown(f"**{literal(view.label(artist))}**: first played {h.first_play:%Y-%m-%d %H:%M}, last played "
                    f"{h.last_play:%Y-%m-%d %H:%M}; {view.count_text(h.plays, 'play')} of "
                    f"{of}{'+' if res.truncated else ''}, {view.hours_text(h.minutes)}.")
    tables.show(tracks, "plays_first_last", headers=view.level_headers("track", s.kind))
    common.truncated_note(res)


def typed_artist(name: object, s: Settings) -> str | None:
    """The artist a name typed into the picker stands for (case and accents aside), or None."""
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_TYPED or "\x00" in name:
        return None
    with common.guard():
        found = cached.query("plays_artist_match", typed=name.strip(), kind=s.kind, min_seconds=s.min_seconds).df
    return None if found.empty else str(found.at[0, "artist"])
