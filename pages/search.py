"""Search: ranked, accent-insensitive, prefix-aware and typo-tolerant search over track name, artist
and album, as the user types; choosing a result shows its rank history. The query is in the URL
(?q=...), so a search can be shared."""
from __future__ import annotations

import streamlit as st

from db import search
from ui import cached, charts, common
from ui import search_view as view

PAGE_SIZE = 50
EXAMPLES = 'beyonce · "sigur ros" · kickst · radiohaed · queen OR bowie · love -live'
HELP = ("Every word must match, as a whole word or the start of one (accents and case don't matter). "
        '"Quotes" ask for exactly those words in that order; OR between two words matches either; '
        "-word leaves out tracks with that word. When few tracks match, tracks with a similar spelling "
        f"follow. At most {search.MAX_QUERY_CHARS} characters and {search.MAX_TERMS} words are searched.")


def _pick_from_table() -> None:
    """A row chosen in the results table becomes the track whose history is shown."""
    state = st.session_state.get("search-table")
    rows = state.selection.rows if state is not None else []
    ids = st.session_state.get("search-ids", [])
    if rows and rows[0] < len(ids):
        st.session_state["search-pick"] = ids[rows[0]]


def rank_history(df) -> None:
    st.subheader("Rank history")
    labels = {r["track_id"]: view.result_label(r) for r in df.to_dict("records")}
    options = list(labels)
    if st.session_state.get("search-pick") not in labels:
        st.session_state["search-pick"] = options[0]
    track_id = st.selectbox("Track", options, format_func=lambda t: labels.get(t, t), key="search-pick",
                            help="Or choose a row in the Table tab.")
    with common.guard():
        history = cached.query("track_rank_history", track_id=track_id).df
    if history.empty or history["rank"].notna().sum() == 0:
        st.info("This track has not been in any snapshot's top list yet.", icon="ℹ️")
        return
    st.altair_chart(view.rank_history_chart(history, title=labels[track_id]), width="stretch")
    summary = view.history_summary(history)
    st.dataframe(summary, hide_index=True, width="stretch")
    common.download_csv(history[history["rank"].notna()], "rank_history")


def main() -> None:
    charts.enable_theme()
    common.header("Search", ":material/search:", "Find a track by name, artist or album, as you type.")
    with common.guard():
        has_tracks = cached.query("search_has_tracks").df
    if has_tracks.empty or not bool(has_tracks.iat[0, 0]):
        common.empty_state()
        return

    raw = st.text_input("Search tracks, artists and albums", key="q", type="search", live=True,
                        bind="query-params", placeholder=f"Try  {EXAMPLES}", help=HELP)
    query = search.parse(raw)
    for note in view.query_notes(query):
        st.caption(note)
    if query.empty:
        if (raw or "").strip():
            st.info(view.EMPTY_QUERY_TEXT, icon="ℹ️")
        else:
            st.caption(f"Type to search. Examples: {view.escape_markdown(EXAMPLES)}")
        return

    with common.guard():
        result = cached.uncached("search_tracks", cap=PAGE_SIZE, **query.params(PAGE_SIZE + 1))
    df = view.prepare_results(result.df)
    if df.empty:
        st.info(view.no_match_text(query), icon="🔍")
        st.caption(f"Searched in {result.elapsed_ms:,.1f} ms.")
        return
    st.caption(view.status_text(df, result.truncated, result.elapsed_ms))
    st.session_state["search-ids"] = df["track_id"].tolist()

    as_list, as_table = st.tabs(["Results", "Table"])
    with as_list:
        st.html(view.results_html(df, query.needles()))
    with as_table:
        st.dataframe(view.table_frame(df), hide_index=True, width="stretch",
                     column_config=view.table_column_config(), key="search-table",
                     on_select=_pick_from_table, selection_mode="single-row")
    common.download_csv(df.drop(columns=["image", "spotify", "score", "candidates"]), "search_results")
    rank_history(df)


main()
