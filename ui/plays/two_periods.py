"""Two periods: two date ranges side by side; what is new and what dropped out, counted, one click away."""
from __future__ import annotations

import streamlit as st

from ui import cached, common, tables
from ui import plays_view as view
from ui.filters import date_range
from ui.plays.settings import Settings

COMPARE_WITH = {"before": "The period before", "year": "The same dates a year earlier", "custom": "Other dates…"}
KEY_WITH, KEY_LEVEL, KEY_TOP = "plays_compare_with", "plays_compare_level", "plays_compare_top"
WITH, LEVEL, TOP = "before", "artist", 20          # the comparison until chosen otherwise


def render(s: Settings) -> None:
    common.subheader("Two periods side by side")
    names, state = view.level_names(s.kind), st.session_state
    with common.options(f"{names.get(state.get(KEY_LEVEL, LEVEL), LEVEL)} · "
                        f"{COMPARE_WITH.get(state.get(KEY_WITH, WITH), COMPARE_WITH[WITH]).rstrip('…').lower()} · "
                        f"top {state.get(KEY_TOP, TOP)}", "plays_compare_options",
                        "What B (the page's dates) is compared with, and what is compared"):
        with_ = st.selectbox("Compare these dates with", list(COMPARE_WITH), format_func=COMPARE_WITH.get,
                             key=KEY_WITH, help="B is the page's dates (above); A is the period they are compared with.")
        b = (s.since, s.until)
        a = period_a(with_, s)
        if with_ == "custom":
            # a date picker only when asked for: each one is a good part of the section's time to open
            a = date_range(st.date_input("Period A", value=a, min_value=s.first, max_value=s.last,
                                         format="YYYY-MM-DD", key="plays_period_a"), s.first, s.last)
        level = common.choice("Compare", view.LEVELS, format_func=names.get, key=KEY_LEVEL, default=LEVEL)
        top = st.number_input("Top", min_value=5, max_value=100, value=TOP, step=5, key=KEY_TOP)
    params = {"tz": s.tz, "since_a": a[0], "until_a": a[1], "since_b": b[0], "until_b": b[1], "kind": s.kind,
              "level": level, "min_seconds": s.min_seconds}
    with common.guard():
        cmp = cached.query("plays_compare", top=int(top), limit=int(top) * 2, **params).df
        changes = cached.query("plays_compare_changes", limit=50, **params).df
    parts = {status: changes[changes["status"] == status] if len(changes) else changes for status in ("new", "dropped")}
    totals = {status: int(part["of_total"].iloc[0]) if len(part) else 0 for status, part in parts.items()}
    one, many = view.level_name(level, s.kind, False).lower(), view.level_name(level, s.kind).lower()
    st.caption(f"A: {a[0]} to {a[1]} · B: {b[0]} to {b[1]}. Ranks by plays; ▲ = higher in B than in A. "
               f"New in B: {view.count_text(totals['new'], one, many)}; dropped in B: "
               f"{view.count_text(totals['dropped'], one, many)}.")
    if cmp.empty:
        st.caption("Nothing played in either period.")
    else:
        table = view.compare_table(cmp).drop(columns=["change", "status"])
        if level == "artist":
            table = table.drop(columns=["artist"])
        # a ranked list of up to twice `top` rows: one HTML table (ui.tables.STATIC_TABLE_NOTE)
        tables.show_list(table, "plays_compare", headers=view.level_headers(level, s.kind))
    for status, title in (("new", "New in B"), ("dropped", "Dropped in B")):
        part = parts[status]
        # a fixed label: an expander whose label changes is a new one, closed (the counts are above)
        box = tables.lazy_expander(title, f"plays_{status}")
        if box is None:
            continue
        with box:
            if part.empty:
                st.caption("None.")
                continue
            shown = part.drop(columns=["status", "of_total"] + (["artist"] if level == "artist" else []))
            tables.show(shown, f"plays_{status}", headers={**view.level_headers(level, s.kind),
                        "plays": "Plays in A" if status == "dropped" else "Plays in B"})


def period_a(with_: str | None, s: Settings) -> tuple:
    """Period A for the "Compare these dates with" choice, within the data's days: the period of the
    same length just before B, or B's dates a year earlier (29 February -> 28 February); "custom"
    starts from the period before."""
    since, until = view.year_earlier(s.since, s.until) if with_ == "year" else view.previous_period(s.since, s.until)
    return max(since, s.first), max(min(until, s.last), s.first)
