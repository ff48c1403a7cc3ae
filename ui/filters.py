"""Filter widgets whose state lives in the URL (st.query_params), so a view can be shared by link.

A page calls `history_filters(...)` once: it reads the link's values (falling back to the defaults,
with a small warning, when one is garbage), shows the widgets, and writes the current choice back
to the URL. The parse_* functions are pure, so the rules are testable without Streamlit.

URL keys: `from`, `to` (YYYY-MM-DD), `time_range` (short_term | medium_term | long_term), `artist`.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import streamlit as st

from ui import common

TIME_RANGES = ("short_term", "medium_term", "long_term")
DEFAULT_TIME_RANGE = "short_term"
MAX_ARTIST_CHARS = 300
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

KEY_DATES = "filter_dates"
KEY_TIME_RANGE = "filter_time_range"
KEY_ARTIST = "filter_artist"
ALL_ARTISTS = ""          # the artist select's "every artist" choice (never written to the URL)


@dataclass(frozen=True)
class HistoryFilters:
    since: dt.date
    until: dt.date
    time_range: str
    artist: str | None        # None = every artist

    def params(self, *, artist: bool = True) -> dict:
        """The named queries' filter parameters."""
        out = {"since": self.since, "until": self.until, "time_range": self.time_range}
        if artist:
            out["artist"] = self.artist
        return out


# ---------------------------------------------------------------------------------------------
# Parsing: (value, problem) where problem is None or a short reason shown to the user


def parse_date(text: str | None) -> dt.date | None:
    """A YYYY-MM-DD date, or None for anything else."""
    if not isinstance(text, str) or not _DATE.fullmatch(text.strip()):
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_date_range(since_text: str | None, until_text: str | None, first: dt.date,
                     last: dt.date) -> tuple[tuple[dt.date, dt.date], str | None]:
    """The link's date range clamped to [first, last]; the whole range when a date is garbage or
    from > to. A missing date means the matching end of the data."""
    problem = None
    since, until = first, last
    if since_text is not None:
        parsed = parse_date(since_text)
        if parsed is None:
            problem = "the start date is not a date (YYYY-MM-DD)"
        else:
            since = parsed
    if until_text is not None:
        parsed = parse_date(until_text)
        if parsed is None:
            problem = problem or "the end date is not a date (YYYY-MM-DD)"
        else:
            until = parsed
    if problem:
        return (first, last), problem
    if since > until:
        return (first, last), "the start date is after the end date"
    since, until = max(since, first), min(until, last)
    if since > until:       # the whole range lies outside the data
        return (first, last), "the dates are outside the snapshots' range"
    return (since, until), None


def parse_time_range(text: str | None) -> tuple[str, str | None]:
    if text is None:
        return DEFAULT_TIME_RANGE, None
    if text.strip() in TIME_RANGES:
        return text.strip(), None
    return DEFAULT_TIME_RANGE, "unknown time range"


def parse_artist(text: str | None, known: Callable[[str], bool]) -> tuple[str | None, str | None]:
    """The artist if `known(artist)` says it is in the snapshots; else None (every artist)."""
    if text is None or text == "":
        return None, None
    if len(text) > MAX_ARTIST_CHARS or "\x00" in text or not text.strip():
        return None, "the artist name is not usable"
    if not known(text):
        return None, "no snapshots for that artist"
    return text, None


# ---------------------------------------------------------------------------------------------
# Widgets


def url_param(name: str) -> str | None:
    """The URL's value for `name`, or None (also for a mangled URL)."""
    try:
        return st.query_params.get(name)
    except Exception:  # noqa: BLE001 - a mangled URL is a default, never an exception
        return None


def write_url_params(values: dict[str, str | None]) -> None:
    """Set the URL's keys to `values` (None removes the key), touching only what changed."""
    for key, value in values.items():
        current = st.query_params.get(key)
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif current != value:
            st.query_params[key] = value


def history_filters(first: dt.date, last: dt.date, artists: Iterable[str],
                    known_artist: Callable[[str], bool]) -> HistoryFilters:
    """Date range and artist widgets bound to the URL; returns the current choice, with the time
    range of the link or of the last run (its widget is drawn by `time_range_filter`, nearer the
    charts: see TIME_RANGE_NOTE).

    `artists` are the select's choices (most listened first); `known_artist(name)` says whether a
    name from a link that is not among them has snapshots.
    """
    artists = list(artists)
    problems = []
    if KEY_DATES not in st.session_state:
        (since, until), problem = parse_date_range(url_param("from"), url_param("to"), first, last)
        problems += [problem] if problem else []
        st.session_state[KEY_DATES] = (since, until)
    if KEY_TIME_RANGE not in st.session_state:
        time_range, problem = parse_time_range(url_param("time_range"))
        problems += [problem] if problem else []
        st.session_state[KEY_TIME_RANGE] = time_range
    if KEY_ARTIST not in st.session_state:
        wanted = url_param("artist")
        artist, problem = parse_artist(wanted, lambda a: a in artists or known_artist(a))
        problems += [problem] if problem else []
        st.session_state[KEY_ARTIST] = artist or ALL_ARTISTS
    else:
        # the dates are clamped again in case the data changed under a running session
        since, until = date_range(st.session_state[KEY_DATES], first, last)
        if (since, until) != tuple(st.session_state[KEY_DATES]):
            st.session_state[KEY_DATES] = (since, until)
    chosen_artist = st.session_state[KEY_ARTIST]
    if chosen_artist and chosen_artist not in artists:
        artists.append(chosen_artist)   # a valid artist from a link, beyond the list's length
    if problems:
        st.warning("Some of this link's filters could not be used (" + "; ".join(problems)
                   + "), so their defaults are shown.", icon="⚠️")

    cols = st.columns(2)
    picked = cols[0].date_input("Snapshot dates", min_value=first, max_value=last, key=KEY_DATES,
                                format="YYYY-MM-DD", help="Only snapshots taken between these dates.")
    artist = cols[1].selectbox("Artist", [ALL_ARTISTS, *artists], key=KEY_ARTIST,
                               format_func=lambda a: "All artists" if a == ALL_ARTISTS else a,
                               help="Narrow the lists and charts to one artist.")
    since, until = date_range(picked, first, last)
    chosen = HistoryFilters(since=since, until=until, time_range=st.session_state[KEY_TIME_RANGE],
                            artist=artist or None)
    write_url_params({"from": since.isoformat(), "to": until.isoformat(), "artist": chosen.artist})
    return chosen


# TIME_RANGE_NOTE: the time range is a filter of its own row, drawn by the page's section fragment
# rather than beside the dates and the artist. A widget reruns the fragment it is in, and the browser
# then updates every element of that fragment: in the filter row, a change of time range also redrew
# the date picker and the artist select, which did not change. The dates and the artist do not
# depend on the time range, so they stay where they are.


def time_range_filter(chosen: HistoryFilters, labels: dict[str, str]) -> HistoryFilters:
    """The time range widget, bound to the URL; `chosen` with the time range picked. `labels` names
    the time ranges. Call `history_filters` first (it reads the link's time range)."""
    time_range = common.choice("Time range", TIME_RANGES, key=KEY_TIME_RANGE,
                               format_func=lambda tr: labels.get(tr, tr),
                               help="Spotify's three top lists: about 4 weeks, about 6 months, all time.")
    chosen = replace(chosen, time_range=time_range or DEFAULT_TIME_RANGE)
    write_url_params({"time_range": chosen.time_range})
    return chosen


def date_range(value, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """A date widget's value as (since, until) within [first, last]; half-picked ranges end at `last`."""
    if isinstance(value, dt.date):
        value = (value,)
    value = tuple(v for v in (value or ()) if isinstance(v, dt.date))
    since = value[0] if value else first
    until = value[1] if len(value) > 1 else last
    since, until = max(min(since, last), first), min(max(until, first), last)
    return (since, until) if since <= until else (first, last)
