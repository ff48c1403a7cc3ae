"""Search: ranked, accent-insensitive, prefix-aware and typo-tolerant search over track name, artist
and album, as the user types; choosing a result shows its rank history. When a Spotify export was
imported, the same search also covers everything played ("In your plays": tracks, podcast episodes,
audiobooks), and choosing a played item shows its plays per month, first and last listen, and its
rank history when it is also in the library. Played times and months are in the user's time zone,
chosen as on the Plays page: the link's ?tz=..., else the browser's, else TZ, else UTC; a play is what
the Plays page counts as one: a stream of at least the link's ?min_s=... seconds, else 30. The query
is in the URL (?q=...), so a search can be shared."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from db import search
from ui import cached, charts, common, plays_view
from ui import search_view as view
from ui.filters import url_param

PAGE_SIZE = 50
EXAMPLES = 'beyonce · "sigur ros" · kickst · radiohaed · queen OR bowie · love -live'
HELP = ("Every word must match, as a whole word or the start of one (accents and case don't matter). "
        '"Quotes" ask for exactly those words in that order; OR between two words matches either; '
        "-word leaves out tracks with that word. When few tracks match, tracks with a similar spelling "
        f"follow. At most {search.MAX_QUERY_CHARS} characters and {search.MAX_TERMS} words are searched.")


@dataclass(frozen=True)
class Zone:
    name: str                  # a zone PostgreSQL knows
    source: str                # where it came from: "the link", "your browser", ...
    link_refused: bool         # the link's tz was there but not a known zone


def time_zone() -> Zone:
    """The zone played times and months are shown in, by the Plays page's rule (its functions): the
    link's `tz` when PostgreSQL knows it, else the browser's zone, else TZ, else UTC."""
    with common.guard():
        zones = cached.query("plays_time_zones").df["name"].tolist()
    zone, problem = plays_view.parse_zone(url_param("tz"), zones)
    if zone is not None:
        return Zone(zone, "the link", False)
    zone, source = plays_view.default_zone(getattr(st.context, "timezone", None), plays_view.env_zone(), zones)
    return Zone(zone, source, problem is not None)


def threshold() -> int:
    """What counts as a play, by the Plays page's setting: the link's `min_s` when it is one of the
    choices, else the Plays page's default (30 s)."""
    value, _problem = plays_view.parse_choice(url_param("min_s"), plays_view.THRESHOLDS,
                                              plays_view.DEFAULT_THRESHOLD, int)
    return int(value)


def _pick_from_table() -> None:
    """A row chosen in the results table becomes the track whose history is shown."""
    state = st.session_state.get("search-table")
    rows = state.selection.rows if state is not None else []
    ids = st.session_state.get("search-ids", [])
    if rows and rows[0] < len(ids):
        st.session_state["search-pick"] = ids[rows[0]]


def _pick_play_from_table() -> None:
    """A row chosen in the played items table becomes the item whose history is shown."""
    state = st.session_state.get("plays-table")
    rows = state.selection.rows if state is not None else []
    keys = st.session_state.get("plays-ids", [])
    if rows and rows[0] < len(keys):
        st.session_state["plays-pick"] = keys[rows[0]]


def rank_chart(track_id: str, title: str, empty_text: str) -> None:
    """A library track's rank history chart, per-range summary and CSV (or `empty_text`)."""
    with common.guard():
        history = cached.query("track_rank_history", track_id=track_id).df
    if history.empty or history["rank"].notna().sum() == 0:
        st.info(empty_text, icon="ℹ️")
        return
    charts.draw(view.rank_history_chart, history, title=title)
    summary = view.history_summary(history)
    st.dataframe(summary, hide_index=True, width="stretch")
    common.download_csv(history[history["rank"].notna()], "rank_history")


def link_pick(state_key: str, options) -> None:
    """A result clicked in the list (a link to this page with ?pick=...) becomes the chosen one,
    once per link: choosing another afterwards is not undone by the link."""
    wanted = url_param("pick")
    seen_key = state_key + "-link"
    if wanted and wanted in options and st.session_state.get(seen_key) != wanted:
        st.session_state[state_key] = wanted
        st.session_state[seen_key] = wanted


CHOOSE = "Choose a result to see its history"
CHOOSE_HELP = "Or click a result above, or a row in the Table tab."


def chosen_result(state_key: str, options) -> None:
    """Which result's history is shown: the one chosen (in the list's links, the table or the select
    box) while it is among the results, else the only result, else none until one is chosen. Not the
    first of many: while a person types, the first result changes with each key, and drawing its
    history (a chart, figures, a CSV button) on every keystroke made the results slower to appear."""
    link_pick(state_key, options)
    if st.session_state.get(state_key) not in options:
        st.session_state[state_key] = next(iter(options)) if len(options) == 1 else None


def link_params(raw: str, chosen_scope: str | None) -> dict:
    """The parameters a result's link carries, so the page it opens is this one with the result chosen."""
    return {"q": raw, "scope": chosen_scope, "tz": url_param("tz"), "min_s": url_param("min_s")}


def rank_history(df) -> None:
    common.subheader("Rank history")
    labels = {r["track_id"]: view.result_label(r) for r in df.to_dict("records")}
    options = list(labels)
    chosen_result("search-pick", labels)
    track_id = st.selectbox("Track", options, format_func=lambda t: labels.get(t, t), key="search-pick",
                            placeholder=CHOOSE, help=CHOOSE_HELP)
    if track_id is not None:
        rank_chart(track_id, labels[track_id], "This track has not been in any snapshot's top list yet.")


def play_history(df, zone: Zone, min_seconds: int) -> None:
    """The chosen played item: plays per month, totals, first and last listen (in `zone`); its rank
    history too when the track is in the library."""
    common.subheader("Play history")
    rows = {r["name_key"]: r for r in df.to_dict("records")}
    labels = {k: view.play_label(r) for k, r in rows.items()}
    chosen_result("plays-pick", rows)
    key = st.selectbox("Played item", list(rows), format_func=lambda k: labels.get(k, k), key="plays-pick",
                       placeholder=CHOOSE, help=CHOOSE_HELP)
    if key is None:
        return
    with common.guard():
        history = cached.query("play_item_history", name_key=key, tz=zone.name, min_seconds=min_seconds).df
    if history.empty:
        st.info("No plays of this item are counted yet: run an import again to build the plays rollups.",
                icon="ℹ️")
        return
    common.figures(view.play_summary(history, zone.name, min_seconds))
    frame = view.play_history_frame(history)
    charts.draw(charts.play_history_chart, frame, labels[key], zone.name)
    with common.guard():
        zone_info = cached.query("plays_time_zone", tz=zone.name).df
    note = view.months_note(zone.name, bool(zone_info.iloc[0].quarter) if len(zone_info) else False)
    if note:
        st.caption(note)
    common.download_csv(frame, "play_history")
    chosen = rows[key]
    if view.in_library(chosen):
        st.markdown("**Rank in your Music Time Machine top lists**")
        rank_chart(chosen["track_id"], labels[key], "This track is in your library but has not been in any "
                   "snapshot's top list yet.")


def result_tabs():
    """The results as a list and as a table. The table is built only while its tab is open (a
    keystroke would otherwise mount a table no one sees; the tab reruns the page when chosen), and the
    tab chosen holds while typing and across library and plays."""
    return st.tabs(["Results", "Table"], key="search-view", on_change="rerun")


def library(query: search.SearchQuery, result, links: dict | None = None) -> None:
    """The library's results (tracks of the Music Time Machine top lists) and the chosen one's rank history."""
    df = view.prepare_results(result.df)
    if df.empty:
        st.info(view.no_match_text(query), icon="🔍")
        st.caption(f"Searched in {result.elapsed_ms:,.1f} ms.")
        return
    st.caption(view.status_text(df, result.truncated, result.elapsed_ms))
    st.session_state["search-ids"] = df["track_id"].tolist()

    as_list, as_table = result_tabs()
    with as_list:
        st.html(view.results_html(df, query.needles(), links))
    if as_table.open:
        with as_table:
            st.dataframe(view.table_frame(df), hide_index=True, width="stretch",
                         column_config=view.table_column_config(), key="search-table",
                         on_select=_pick_from_table, selection_mode="single-row")
    common.download_csv(lambda: df.drop(columns=["image", "spotify", "score", "candidates"]), "search_results")
    rank_history(df)


def plays(query: search.SearchQuery, result, min_seconds: int, links: dict | None = None) -> None:
    """What was played matching the search, and the chosen item's play history, in the user's zone."""
    zone = time_zone()
    if zone.link_refused:
        st.caption(f"The link's time zone (tz) is not one PostgreSQL knows, so {zone.name} ({zone.source}) is used.")
    df = view.prepare_plays(result.df, zone.name)
    if df.empty:
        st.info(view.no_match_text(query, view.NO_PLAY_MATCH), icon="🔍")
        st.caption(f"Searched in {result.elapsed_ms:,.1f} ms.")
        return
    st.caption(view.plays_status_text(df, result.truncated, result.elapsed_ms, zone.name, zone.source, min_seconds))
    st.session_state["plays-ids"] = df["name_key"].tolist()

    as_list, as_table = result_tabs()
    with as_list:
        st.html(view.plays_results_html(df, query.needles(), links))
    if as_table.open:
        with as_table:
            frame = view.plays_table_frame(df)
            st.dataframe(frame, hide_index=True, width="stretch",
                         column_config=view.plays_table_column_config(zone.name, min_seconds, frame),
                         key="plays-table", on_select=_pick_play_from_table, selection_mode="single-row")
    common.download_csv(lambda: df.drop(columns=["spotify", "score", "candidates"]), "search_plays")
    play_history(df, zone, min_seconds)


SCOPES = {"library": ":material/library_music: Library", "plays": ":material/headphones: In your plays"}


def scope(counts: dict[str, tuple[int, bool]], query_text: str) -> str:
    """Library or plays, when both can be searched: a switch naming how many each found. It opens on
    the link's ?scope= when there is one, else on the side that found more; a new search moves it to
    the side that found more, and the user's choice holds for the search it was made on. The choice
    is written back to the link."""
    link = url_param("scope")
    if link in SCOPES and st.session_state.get("search-scope-link") != link:
        st.session_state["search-scope"] = link
    elif st.session_state.get("search-scope-for") != query_text or st.session_state.get("search-scope") not in SCOPES:
        st.session_state["search-scope"] = view.default_scope(counts)
    st.session_state["search-scope-for"] = query_text

    def label(k: str) -> str:
        n, more = counts[k]
        return f"{SCOPES[k]} · {n:,}{'+' if more else ''}"

    chosen = st.segmented_control("Results from", list(SCOPES), format_func=label, key="search-scope",
                                  required=True, label_visibility="collapsed") or "library"
    st.query_params["scope"] = chosen
    st.session_state["search-scope-link"] = chosen
    return chosen


def main() -> None:
    charts.enable_theme()
    common.header("Search", ":material/search:", "Find a track by name, artist or album, as you type.")
    with common.guard():
        has_tracks = cached.query("search_has_tracks").df
        has_plays = cached.query("search_has_plays").df
    tracks = not has_tracks.empty and bool(has_tracks.iat[0, 0])
    played = not has_plays.empty and bool(has_plays.iat[0, 0])
    if not tracks and not played:
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

    min_seconds = threshold()
    wanted = {}
    if tracks:
        wanted["search_tracks"] = query.params(PAGE_SIZE + 1)
    if played:
        wanted["search_play_items"] = query.params(PAGE_SIZE + 1, min_seconds=min_seconds)
    with common.guard():
        # both at once, each on its own connection: a keystroke waits for the slower one, not the sum
        found = dict(zip(wanted, cached.uncached_many(*wanted.items(), cap=PAGE_SIZE)))
    found_tracks, found_plays = found.get("search_tracks"), found.get("search_play_items")
    if found_plays is None:
        library(query, found_tracks, link_params(raw, None))
    elif found_tracks is None:
        st.caption("Searching everything you played (tracks, podcast episodes, audiobooks).")
        plays(query, found_plays, min_seconds, link_params(raw, None))
    else:
        counts = {"library": (len(found_tracks.df), found_tracks.truncated),
                  "plays": (len(found_plays.df), found_plays.truncated)}
        chosen = scope(counts, raw.strip())
        if chosen == "plays":
            plays(query, found_plays, min_seconds, link_params(raw, chosen))
        else:
            library(query, found_tracks, link_params(raw, chosen))


main()
