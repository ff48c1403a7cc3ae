"""The bare page for bench/elements.py: a title, a radio "Pick", and a slot that mounts `n` elements
of one kind (`?what=KIND&n=N`) when the radio leaves its first option, as a dashboard section opens
in a slot of its own (ui.common.open_section). Not a benchmark itself (bench/_* files are not run by
`make bench`; this one is served by bench.elements from the repository's root, so it runs with the
project's .streamlit/config.toml, as the dashboard does)."""
import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from ui import charts, common, tables
from ui import plays_view as view

WHAT = st.query_params.get("what", "nothing")
N = int(st.query_params.get("n", "1"))


def _table(i: int, v: int) -> None:          # 25 rows, three columns
    st.dataframe(pd.DataFrame({"rank": range(25), "name": [f"Track {k}" for k in range(25)],
                               "plays": np.arange(25) * v}), hide_index=True)


def _calendar(i: int, v: int) -> None:       # the Plays calendar (a year of days), as the pages draw it
    days = pd.DataFrame({"period": pd.date_range("2024-01-01", "2024-12-31").date,
                         "minutes": (np.arange(366) * 7 * v) % 100, "plays": (np.arange(366) * 3 * v) % 40})
    charts.draw(view.calendar_chart, days, 2024, "minutes", dt.date(2024, 3, 1), dt.date(2024, 12, 31))


def _top_list(v: int) -> pd.DataFrame:    # a Top lists table: 25 tracks, as plays_top returns them
    plays = (np.arange(25, 0, -1) * 37 * v).astype("int64")
    first = pd.Timestamp("2014-03-01 18:22") + pd.to_timedelta(np.arange(25) * 41, unit="D")
    return pd.DataFrame({"rank": np.arange(1, 26), "name": [f"A rather long track title {k} (Remastered 2011)" for k in range(25)],
                         "artist": [f"Artist number {k}" for k in range(25)], "plays": plays, "minutes": plays * 3.7,
                         "streams": plays + 11, "skips": plays // 9, "skip_rate": 1 / 9 + np.zeros(25),
                         "first_play": first, "last_play": first + pd.Timedelta(days=2000)})


def _top_list_dataframe(i: int, v: int) -> None:     # as Top lists drew it: st.dataframe and its CSV button
    tables.show(_top_list(v), f"top{i}", kinds={"plays": "bar"})


def _top_list_html(i: int, v: int) -> None:          # as Top lists draws it: one HTML table and its CSV button
    tables.show_list(_top_list(v), f"top{i}", kinds={"plays": "bar"})


# kind -> one element of it: (its index i, the picked option v, which makes values differ between openings)
ONE = {
    "metric": lambda i, v: st.metric(f"Figure {i}", f"{v * 1234 + i:,}"),
    "columns": lambda i, v: st.columns(4),                       # a row of four empty columns
    "caption": lambda i, v: st.caption(f"Caption {i}: {v} plays."),
    "markdown": lambda i, v: st.markdown(f"**Top {i}**  \n1\\. A track · {v} plays"),
    "subheader": lambda i, v: st.subheader(f"Heading {i} {v}"),
    "subheader_plain": lambda i, v: st.subheader(f"Heading {i} {v}", anchor=False),   # no anchor link
    "expander": lambda i, v: st.expander(f"Expander {i}"),
    "popover": lambda i, v: st.popover(f"Popover {i}"),
    "radio": lambda i, v: st.radio(f"Radio {i}", ["minutes", "plays"], horizontal=True, key=f"r{i}"),
    "segmented_control": lambda i, v: st.segmented_control(f"Choice {i}", ["minutes", "plays"], default="minutes",
                                                           required=True, key=f"g{i}"),
    "selectbox": lambda i, v: st.selectbox(f"Select {i}", list(range(20)), key=f"s{i}"),
    "number_input": lambda i, v: st.number_input(f"Number {i}", value=25, key=f"n{i}"),
    "date_input": lambda i, v: st.date_input(f"Date {i}", value=dt.date(2024, 5, 1), key=f"d{i}"),
    "download_button": lambda i, v: st.download_button(f"CSV {i}", data="a,b\n1,2", file_name="x.csv", key=f"b{i}"),
    "dataframe": _table,
    "calendar_chart": _calendar,
    "top_list_dataframe": _top_list_dataframe,
    "top_list_html": _top_list_html,
}


def kind_of(v: int) -> None:
    """N elements of WHAT (ONE, or a kind drawn as a whole below)."""
    if WHAT == "metric_columns":             # N metrics in a row of four columns
        cols = st.columns(4)
        for i in range(N):
            cols[i % 4].metric(f"Figure {i}", f"{v * 1234 + i:,}")
    elif WHAT == "figures":                  # N figures as the pages draw them (one st.html)
        common.figures([(f"Figure {i}", f"{v * 1234 + i:,}") for i in range(N)])
    elif WHAT == "one_markdown":             # N lines in one markdown element
        st.markdown("  \n".join(f"**Figure {i}**: {v * 1234 + i:,}" for i in range(N)))
    elif WHAT in ONE:
        for i in range(N):
            ONE[WHAT](i, v)


st.title("Elements")
pick = st.radio("Pick", ["closed", "open A", "open B"], horizontal=True)
for option in ("closed", "open A", "open B"):
    if option == pick and option != "closed":
        with st.container():
            kind_of(1 if option == "open A" else 2)
    else:
        st.empty()
