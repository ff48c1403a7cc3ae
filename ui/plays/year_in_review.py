"""Year in review: one year's totals, busiest day, calendar and top lists; its months one click away."""
from __future__ import annotations

import streamlit as st

from ui import cached, charts, common, tables
from ui import plays_view as view
from ui.plays.settings import Settings

KEY_YEAR = "plays_review_year"


def render(s: Settings) -> None:
    common.subheader("Year in review")
    years = list(range(s.last.year, s.first.year - 1, -1))
    state = st.session_state
    if state.get(KEY_YEAR) not in years:         # first shown, or no longer among the data's years
        state[KEY_YEAR] = years[0]
    # the year in a popover that says it (OPTIONS_NOTE): the section opens on its figures
    with common.options(str(state[KEY_YEAR]), "plays_review_options", "Which year"):
        year = int(st.selectbox("Year", years, key=KEY_YEAR))
    since, until = view.year_bounds(year)
    span = (f"1 January to 31 December {year}, in your time zone"
            + (f" (your plays end on {s.last})" if s.last < until else "")
            + (f" (your plays start on {s.first})" if s.first > since else "") + ".")
    with common.guard():
        t = cached.query("plays_totals", **s.timed(since, until)).df.iloc[0]
        counts = cached.query("plays_counts", min_seconds=s.min_seconds, **s.span(since, until)).df.iloc[0]
        days = cached.query("plays_timeline", grain="day", limit=400, **s.timed(since, until)).df
        new = cached.query("plays_new_artists", min_seconds=s.min_seconds, **s.span(since, until)).df
        session = cached.query("plays_sessions_summary", **s.span(since, until)).df.iloc[0]
        streaks = cached.query("plays_streaks", limit=1, **s.timed(since, until)).df
    if int(t.streams) == 0:
        st.caption(f"{span} Nothing played in {year}.")
        return
    busiest = view.busiest(days)
    common.figures([
        ("Listened", view.hours_text(t.minutes), f"{float(t.minutes):,.0f} minutes"),
        ("Plays", f"{int(t.plays):,}"),
        (f"{view.level_name('track', s.kind)} · {view.level_name('artist', s.kind).lower()}",
         f"{int(counts.tracks):,} · {int(counts.artists):,}"),
        ("New artists", f"{int(new['new_artists'].sum()) if len(new) else 0:,}"),
        ("Days with a play", f"{int(t.days):,}"),
        ("Busiest day", str(busiest[0]) if busiest else "–", view.hours_text(busiest[1]) if busiest else None),
        ("Longest session", view.hours_text(session.longest_minutes) if int(session.sessions) else "–"),
        ("Longest streak", view.count_text(streaks.iloc[0].days, "day") if len(streaks) else "–"),
    ])
    charts.draw(view.calendar_chart, days, year, first=s.first, last=s.last)
    st.caption(f"{span} {view.CALENDAR_NOTE}")          # one caption: each element is mounted in the browser
    box = tables.lazy_expander("Month by month", "plays_review_months")   # the calendar shows the year at a glance
    if box is not None:
        with box, common.guard():       # queried only when shown
            months = cached.query("plays_timeline", grain="month", limit=12, **s.timed(since, until)).df
            charts.draw(view.year_months_chart, months, year)
    tops = []
    for level in ("artist", "track", "album"):
        with common.guard():
            top = cached.query("plays_top", level=level, order_by="plays", min_seconds=s.min_seconds, limit=5,
                               **s.span(since, until)).df
        # numbered lines, not tables: five names read better, and three tables (with their CSV
        # buttons) were most of this section's time in the browser (the full lists, with CSV, are in
        # Top lists); the three lists are one HTML element (common.lists), names escaped
        tops.append((f"Top {view.level_name(level, s.kind).lower()}",
                     top_five(view.with_labels(top, level)) if len(top) else ["None."]))
    common.lists(tops)


def top_five(top) -> list[str]:
    """'1. Name — Artist · 1,234 plays' per row, as text (common.lists escapes it). The ranks are the
    query's, so tied rows keep their shared rank (1, 2, 2, 4)."""
    return [f"{int(rank)}. {label} · {view.count_text(int(plays), 'play')}"
            for rank, label, plays in zip(top["rank"], top["label"], top["plays"])]
