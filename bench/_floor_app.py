"""The floor for bench/latency.py: the least a Streamlit page can do for each gesture.

A title, a live text box echoing what is typed, a radio, a 100-row table and one Altair chart,
served by the same venv and Streamlit as the dashboard. Opened as /?redraw=1, the radio also gives
the chart new data (the same spec): the least Streamlit needs for a gesture that must redraw one
chart (the issue's floor keeps its chart unchanged). Not a benchmark itself (bench/_* files are
not run by `make bench`; this one is served by bench.latency).
"""
import altair as alt
import pandas as pd
import streamlit as st

st.set_page_config(page_title="Floor", layout="wide")
st.title("Floor")
typed = st.text_input("Type", key="q", live=True)
st.write(f"You typed: {typed}")
choice = st.radio("Pick", ["One", "Two", "Three"], horizontal=True)
frame = pd.DataFrame({"n": range(100), "value": [(i * 37) % 101 for i in range(100)]})
st.dataframe(frame.assign(choice=choice), hide_index=True)
if st.query_params.get("redraw") == "1":
    # the cheapest redraw Streamlit has: the same spec with a named dataset, so the browser updates
    # the drawn chart's data (as the dashboard's ui.charts.draw does)
    shift = ["One", "Two", "Three"].index(choice)
    st.vega_lite_chart({"data": {"name": "bars"}, "mark": "bar",
                        "encoding": {"x": {"field": "n", "type": "ordinal"}, "y": {"field": "value", "type": "quantitative"}},
                        "datasets": {"bars": frame.assign(value=[((i + shift) * 37) % 101 for i in range(100)])}},
                       width="stretch")
else:
    st.altair_chart(alt.Chart(frame).mark_bar().encode(x="n:O", y="value:Q"), width="stretch")
