"""The Plays page's settings (time zone, dates, kind, what counts as a play), bound to the URL, and
the totals under them. Every section gets the chosen Settings."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import streamlit as st

from db.zones import reads_outside, rollup_params
from ui import cached, common
from ui import plays_view as view
from ui.filters import date_range, url_param, write_url_params

IMPORT_HINT = ("No plays yet. Request your **extended streaming history** from Spotify (Account → Privacy "
               "settings → Download your data), then import the zip it sends: upload it on the **Admin** "
               "page, or run `python -m migrate my_spotify_data.zip`. The account-data export "
               "(StreamingHistory*.json) works too, with less detail.")
NOT_BUILT = ("Plays are stored, but their analysis tables have not been built yet. Run any import again "
             "(the same file is fine) to build them.")
KEY_TZ, KEY_DATES, KEY_KIND, KEY_MIN_S = "plays_tz", "plays_dates", "plays_kind", "plays_min_s"
KEY_MEASURE = "plays_measure_choice"     # minutes or plays, shared by the Over time, When you listen and Calendar sections


@dataclass(frozen=True)
class Settings:
    tz: str
    quarter: bool              # the zone has a :30 / :45 offset: timelines read 15-minute rollups
    fixed_offset: int | None   # its offset in seconds when it had one on every day of the data (db.zones)
    since: dt.date
    until: dt.date
    kind: str
    min_seconds: int
    first: dt.date             # the data's first and last day in the zone
    last: dt.date

    def span(self, since: dt.date | None = None, until: dt.date | None = None) -> dict:
        """Parameters of the item and session queries (`outside`: db.zones.reads_outside, for the queries that
        take it; the others ignore it)."""
        since, until = since or self.since, until or self.until
        return {"tz": self.tz, "since": since, "until": until, "kind": self.kind,
                "outside": reads_outside(self.first, self.last, since, until)}

    def timed(self, since: dt.date | None = None, until: dt.date | None = None) -> dict:
        """Parameters of the queries over time (they also need the rollup and the threshold)."""
        return {**self.span(since, until), "quarter": self.quarter, "fixed_offset": self.fixed_offset,
                "min_seconds": self.min_seconds}


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

    cols = st.columns([2.4, 3], vertical_alignment="bottom")
    picked = cols[0].date_input("Dates", min_value=first, max_value=last, key=KEY_DATES, format="YYYY-MM-DD",
                                help="Local dates, both included.")
    # The time zone (the browser's by default) and the threshold are set once and rarely moved: they
    # wait in a popover whose label says them. Closed, its ~600-zone select box is not drawn, so a
    # change of dates does not redraw it in the browser.
    with cols[1].popover(f"{st.session_state[KEY_TZ]} · {view.THRESHOLDS.get(st.session_state[KEY_MIN_S], '')}",
                         icon=":material/schedule:", help="Time zone and what counts as a play", key="plays_settings"):
        st.selectbox("Time zone", zones, key=KEY_TZ,
                     help="Days, hours, weeks and months are yours: by default your browser's time zone.")
        min_seconds = st.selectbox("What counts as a play", list(view.THRESHOLDS), key=KEY_MIN_S,
                                   format_func=lambda s: view.THRESHOLDS.get(s, str(s)),
                                   help="Most trackers count streams of 30 seconds or more.")
    since, until = date_range(picked, first, last)
    chosen = Settings(tz=tz, **rollup_params(zone_info), since=since, until=until, kind=st.session_state[KEY_KIND],
                      min_seconds=int(min_seconds if min_seconds is not None else view.DEFAULT_THRESHOLD),
                      first=first, last=last)
    write_url_params({"tz": chosen.tz, "from": since.isoformat(), "to": until.isoformat(),
                      "min_s": str(chosen.min_seconds)})
    st.caption(f"In these numbers {view.threshold_text(chosen.min_seconds)}; minutes count every stream, and skip "
               "rates are taken over every stream that says whether it was skipped (Spotify's `skipped`, or "
               "ended with the forward button). " + view.zone_note(tz, zone_info))
    return chosen


# KIND_NOTE: the kind is a setting of its own row, drawn by the page's inner fragment with the totals
# and the sections (app_pages/plays.py) rather than beside the dates. A widget reruns the fragment it
# is in, and the browser then updates every element of that fragment: beside the dates, a change of
# kind also redrew the date picker, the settings popover and the caption, which did not change.


def kind_choice(s: Settings) -> Settings:
    """The kind widget, bound to the URL; `s` with the kind picked. Call `settings` first (it reads
    the link's kind)."""
    kind = common.choice("Kind", view.KINDS, key=KEY_KIND, format_func=lambda k: view.KINDS.get(k, k),
                         help="Podcasts and audiobooks are kept out of the music statistics; All mixes every kind.")
    s = replace(s, kind=kind or view.DEFAULT_KIND)
    write_url_params({"kind": s.kind})
    return s


def totals(s: Settings) -> None:
    with common.guard():
        t = cached.query("plays_totals", **s.timed()).df.iloc[0]
        counts = cached.query("plays_counts", **s.span(), min_seconds=s.min_seconds).df.iloc[0]
    common.figures([
        ("Listened", view.hours_text(t.minutes)),
        ("Plays", f"{int(t.plays):,}", f"of {int(t.streams):,} streams"),
        (view.level_name("track", s.kind), f"{int(counts.tracks):,}"),
        (view.level_name("artist", s.kind), f"{int(counts.artists):,}"),
        ("Days with a play", f"{int(t.days):,}", f"of {view.count_text((s.until - s.since).days + 1, 'day')}"),
        ("Skip rate", view.percent(int(t.skips) / int(t.skip_known) if int(t.skip_known) else None)),
    ], columns=6)


def measure_choice(key: str) -> str:
    """The "Show minutes / plays" radio of a chart section (`key`: its widget). Only the open section is
    built, so each has its own radio; the choice is kept across them in KEY_MEASURE."""
    current = st.session_state.get(KEY_MEASURE, "minutes")
    if st.session_state.get(key) != current:
        st.session_state[key] = current       # first shown, or changed in another section since
    return common.choice("Show", ["minutes", "plays"], key=key, format_func=str.capitalize,
                         on_change=_keep_measure, args=(key,))


def _keep_measure(key: str) -> None:
    st.session_state[KEY_MEASURE] = st.session_state[key]
