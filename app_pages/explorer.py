"""raw_json explorer: every key path in the Spotify payloads, the values at one path, tracks (or
plays) filtered by JSON containment or a JSONPath, and one track's (or play's) whole payload.

Two sources, chosen at the top when there are plays (`?source=plays`): tracks.raw_json (Spotify
track objects) and plays.raw_json (the export's records). The inventory is precomputed at import
(from a sample when the table is large); value distributions read the same sample; filters run on
the whole table under a shorter statement timeout (plays have no raw_json index: their filters read
the newest plays first). What the user types is checked by db.jsonpaths and bound as a parameter,
never formatted into SQL.
"""
from __future__ import annotations

import streamlit as st

from db import jsonpaths, settings
from ui import cached, charts, common
from ui import explorer_view as view
from ui.filters import url_param, write_url_params

INVENTORY_ROWS = 2_000       # key paths listed (a Spotify payload has ~55; odd data may have more)
TOP_VALUES = 25              # values in the top-values chart and table
MAX_VALUES = 50_000          # values read for one path's distribution (available_markets[*]: ~185 a track)
BINS = 20                    # histogram bins for numbers
MATCH_ROWS = 1_000           # filter results shown
LOOKUP_ROWS = 50             # tracks offered by the payload lookup; newest plays offered (also by name)
KEY_SOURCE = "explorer_source"

MODE_CONTAINMENT = "JSON containment (@>)"
MODE_JSONPATH = "JSONPath (@@ / @?)"
OPERATORS = {"Auto": None, "Predicate (@@)": jsonpaths.OPERATOR_MATCH, "Path exists (@?)": jsonpaths.OPERATOR_EXISTS}


def _timeout_ms() -> int:
    """Statement timeout for queries shaped by user input (an unindexed JSONPath scans the table)."""
    try:
        return settings.get("MTM_EXPLORER_TIMEOUT_MS")
    except settings.BadSetting:
        return settings.SETTINGS["MTM_EXPLORER_TIMEOUT_MS"].default


def _run(name: str, **params):
    """cached.query, or None after showing why PostgreSQL refused the input or gave up (timeout)."""
    try:
        return cached.query(name, timeout_ms=_timeout_ms(), **params)
    except Exception as exc:
        refused = jsonpaths.user_error(exc)           # may quote the input: shown literally
        message = view.md(refused) if refused else common.classify(exc)
        if message is None:
            raise
        st.error(message, icon="🛑")
        return None


def _show_sql(name: str, params: dict) -> None:
    with st.expander("Generated SQL", expanded=False):
        st.caption("The named query as it runs; the values below are sent separately as bound parameters.")
        st.code(view.generated_sql(name), language="sql", wrap_lines=True)
        st.code(view.bound_values(params), language="json")


# ---------------------------------------------------------------------------------------------


def inventory(src: view.Source, info: dict) -> list[str]:
    """The key-path table; returns every inventory path (for the value picker)."""
    common.subheader("Key paths")
    st.caption(view.inventory_caption(info, src))
    if not view.as_int(info.get("paths")):
        st.info(f"No key-path inventory yet: it is computed after each import, and these {src.nouns} were "
                "imported before it existed. Run an import on the Admin page to compute it; the value "
                "distribution, the filters and the payload viewer below work without it.", icon="ℹ️")
        return []
    text = st.text_input("Filter paths", key=src.key("inventory_filter"),
                         placeholder="e.g. album or [*]" if src is view.TRACKS else "e.g. master_metadata",
                         help="Shows the paths containing this text (case-insensitive, no wildcards).")
    try:
        q = jsonpaths.clean_text(text or "", "filter", 300)
    except jsonpaths.InputError as exc:
        st.error(view.md(exc))
        q = ""
    with common.guard():
        res = cached.query(src.inventory_list, q=q, limit=INVENTORY_ROWS)
        every = res if not q else cached.query(src.inventory_list, q="", limit=INVENTORY_ROWS)
    table = view.inventory_table(res.df, src.nouns)
    if table.empty:
        st.caption(f"No key path contains {view.md(repr(q))}.")
    else:
        st.dataframe(table, hide_index=True, width="stretch", column_config={
            **view.INVENTORY_COLUMNS,
            src.nouns: st.column_config.NumberColumn(src.nouns.capitalize(), format="localized"),
            "share": st.column_config.ProgressColumn(
                f"Share of {src.nouns}", format="percent", min_value=0.0, max_value=1.0)})
        common.download_csv(table, "json_path_inventory" if src is view.TRACKS else f"{src.name}_json_path_inventory")
        common.truncated_note(res)
    return every.df["path"].tolist()


def values_at_path(src: view.Source, info: dict, paths: list[str]) -> None:
    common.subheader("Values at a path")
    how = common.choice("Path", ("From the inventory", "Type a path"), key=src.key("path_mode"),
                        default="Type a path" if (not paths or url_param(src.key("path"))) else "From the inventory")
    if how == "From the inventory":
        default = view.default_path(paths, src.preferred_paths)
        chosen = st.selectbox("Key path", paths, index=paths.index(default) if default in paths else None,
                              key=src.key("path_pick"), placeholder="Pick a key path")
    else:
        chosen = st.text_input("Key path", key=src.key("path"), bind="query-params",
                               placeholder=" or ".join(src.path_examples),
                               help="Keys joined by dots; [*] for every array element, [0] for the first; "
                                    'keys with spaces or punctuation in double quotes.')
    if not chosen or not chosen.strip():
        st.caption("Pick or type a key path to see its values.")
        return
    try:
        path = jsonpaths.to_jsonpath(chosen)
    except jsonpaths.InputError as exc:
        st.error(view.md(exc))
        return
    params = {"path": path, "max_values": MAX_VALUES, "limit": TOP_VALUES}
    res = _run(src.values, **params)
    if res is None:
        return
    unit = src.nouns
    summary = view.values_summary(res.df, unit)
    if res.df.empty:
        st.info(f"No sampled {src.noun} has a value at {view.md(path)}.", icon="ℹ️")
        _show_sql(src.values, params)
        return
    st.caption(view.values_caption(summary, info, MAX_VALUES, src))
    common.figures([
        (f"{unit.capitalize()} read before the cap", f"{summary['with_path']:,}") if summary["capped"] else
        (f"{unit.capitalize()} with a value", f"{summary['with_path']:,} of {summary['scanned']:,}"),
        ("Values read", f"{summary['total_values']:,}"),
        ("Distinct values", f"{summary['distinct_values']:,}"),
    ], columns=3)
    histogram = None
    if summary["numeric_values"]:
        histogram = _run(src.histogram, path=path, max_values=MAX_VALUES, bins=BINS)
    only_numbers = summary["numeric_values"] == summary["total_values"]
    if histogram is not None and not histogram.df.empty and only_numbers:
        charts.draw(view.histogram_chart, histogram.df, title=f"Numbers at {path}")
    charts.draw(view.top_values_chart, res.df, title=f"Top values at {path}", unit=unit)
    if histogram is not None and not histogram.df.empty and not only_numbers:
        charts.draw(view.histogram_chart, histogram.df, title=f"Numbers at {path}")
    table = view.values_table(res.df, unit)
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        **view.VALUES_COLUMNS, "share": st.column_config.NumberColumn("Share of values", format="percent"),
        "count": st.column_config.NumberColumn("Count", format="localized"),
        unit: st.column_config.NumberColumn(unit.capitalize(), format="localized")})
    common.download_csv(table, "json_path_values" if src is view.TRACKS else f"{src.name}_json_path_values")
    if summary["distinct_values"] > len(table):
        st.caption(f"The {len(table)} most frequent of {summary['distinct_values']:,} distinct values.")
    _show_sql(src.values, params)


def filter_records(src: view.Source):
    """Containment / JSONPath filter; returns the matching tracks' (or plays') frame, or None."""
    common.subheader(f"Filter {src.nouns}")
    if src is view.PLAYS:
        st.caption(view.md(view.plays_scan_note(MATCH_ROWS, _timeout_ms())))
    mode = common.choice("Filter by", (MODE_CONTAINMENT, MODE_JSONPATH), key=src.key("filter_mode"),
                         default=MODE_CONTAINMENT)
    if mode == MODE_CONTAINMENT:
        text = st.text_input("JSON the payload contains", key=src.key("containment"),
                             placeholder=src.containment_example, help=src.containment_help)
        if not (text or "").strip():
            st.caption('Type a JSON object, such as {"explicit": true} or {"album": {"album_type": "single"}}.'
                       if src is view.TRACKS else
                       'Type a JSON object, such as {"shuffle": true} or {"reason_end": "fwdbtn", "skipped": true}.')
            return None
        try:
            doc = jsonpaths.parse_containment(text)
        except jsonpaths.InputError as exc:
            st.error(view.md(exc))
            return None
        name, params = src.filters["containment"], {"doc": doc, "limit": MATCH_ROWS + 1}
    else:
        cols = st.columns([3, 1])
        text = cols[0].text_input("JSONPath", key=src.key("jsonpath"), placeholder=src.jsonpath_example,
                                  help=src.jsonpath_help)
        choice = cols[1].selectbox("Operator", list(OPERATORS), key=src.key("jsonpath_operator"))
        if not (text or "").strip():
            st.caption('Type a JSONPath, such as $.popularity > 80 or $.album.release_date like_regex "^199".'
                       if src is view.TRACKS else
                       'Type a JSONPath, such as $.ms_played > 600000 or $.ts like_regex "^2024-12".')
            return None
        try:
            jp = jsonpaths.check_jsonpath(text)
        except jsonpaths.InputError as exc:
            st.error(view.md(exc))
            return None
        check = _run("jsonpath_check", jsonpath=jp)
        if check is None:
            return None
        if not bool(check.df.at[0, "valid"]):
            detail = check.df.at[0, "detail"]
            st.error(view.md(f"That JSONPath is not valid: {check.df.at[0, 'message']}"
                             + (f" ({detail})" if isinstance(detail, str) and detail else "") + "."))
            return None
        operator = OPERATORS[choice] or jsonpaths.jsonpath_operator(jp)
        name, params = src.filters[operator], {"jsonpath": jp, "limit": MATCH_ROWS + 1}
    res = _run(name, cap=MATCH_ROWS, **params)
    _show_sql(name, params)
    if res is None:
        return None
    st.caption(view.match_caption(len(res.df), res.truncated, src))
    if res.df.empty:
        return None
    if src is view.PLAYS:
        table = view.play_matches_table(res.df)
        st.dataframe(table, hide_index=True, width="stretch", column_config={
            **view.PLAY_MATCH_COLUMNS, "ended_at": st.column_config.DatetimeColumn("Ended (UTC)"),
            "ms_played": st.column_config.NumberColumn("Played (ms)", format="localized")})
        common.download_csv(table, "plays_raw_json_matches")
    else:
        st.dataframe(res.df, hide_index=True, width="stretch", column_config=view.MATCH_COLUMNS)
        common.download_csv(res.df, "raw_json_matches")
    common.truncated_note(res)
    return res.df


def payload(matches) -> None:
    common.subheader("One track's payload")
    labels = view.track_labels(matches) if matches is not None else {}
    track_id = None
    if labels:
        track_id = st.selectbox("A track from the filter results", list(labels), index=None, key="payload_pick",
                                format_func=lambda tid: labels.get(tid, tid), placeholder="Pick a track")
    typed = st.text_input("…or a track ID, name, artist or album" if labels else "Track ID, name, artist or album",
                          key="payload_q")
    if (typed or "").strip():
        try:
            q = jsonpaths.clean_text(typed, "search", 300)
            pattern = jsonpaths.like_contains(q)
        except jsonpaths.InputError as exc:
            st.error(view.md(exc))
            return
        found = _run("explorer_track_lookup", q=q, pattern=pattern, limit=LOOKUP_ROWS)
        if found is None:
            return
        found_labels = view.track_labels(found.df)
        if not found_labels:
            st.caption(f"No track has the ID {view.md(repr(q))} or a name, artist or album containing it.")
            return
        if len(found_labels) == 1:
            track_id = next(iter(found_labels))
        else:
            track_id = st.selectbox(f"Matching tracks ({len(found_labels)}{'+' if found.truncated else ''})",
                                    list(found_labels), key="payload_found",
                                    format_func=lambda tid: found_labels.get(tid, tid))
    if not track_id:
        st.caption("Pick a track from the filter results or type one to see its whole raw_json.")
        return
    res = _run("explorer_track_payload", track_id=track_id)
    if res is None:
        return
    if res.df.empty:
        st.caption("That track is no longer in the database.")
        return
    row = res.df.iloc[0]
    st.markdown(f"**{view.md(row['name'])}** · {view.md(row['artist_name'])} · "
                f"{view.md(row['album_name'] or '—')} · {view.md(row['track_id'])}")
    body = view.payload_body(row["raw_json"])
    if body is None:
        st.caption("This track has no raw_json.")
    else:
        st.json(body, expanded=2)


def play_payload(matches) -> None:
    common.subheader("One play's payload")
    if matches is not None and not matches.empty:
        labels = view.play_labels(matches)
        chosen = st.selectbox("A play from the filter results", list(labels), index=None, key="plays_payload_pick",
                              format_func=lambda pid: labels.get(pid, pid), placeholder="Pick a play")
    else:
        newest = _run("explorer_plays_newest", limit=LOOKUP_ROWS)
        if newest is None:
            return
        labels = view.play_labels(newest.df)
        chosen = st.selectbox("One of the newest plays (or filter above to pick among the matches)", list(labels),
                              index=None, key="plays_payload_newest", format_func=lambda pid: labels.get(pid, pid),
                              placeholder="Pick a play")
    typed = st.text_input("…or find a play: a track, artist, album, show or episode", key="plays_payload_q",
                          placeholder="e.g. motley crue",
                          help="Accents and case do not matter; every word may be the start of a word. Offers "
                               f"the newest {LOOKUP_ROWS} plays of what matches.")
    if (typed or "").strip():
        found = find_plays(typed)
        if found is None:
            return
        chosen = found
    params = view.parse_play_id(chosen) if chosen else None
    if not params:
        st.caption("Pick a play or type a name to see its whole raw_json, as the export wrote it.")
        return
    res = _run("explorer_play_payload", **params)
    if res is None:
        return
    if res.df.empty:
        st.caption("That play is no longer in the database.")
        return
    row = res.df.iloc[0]
    st.markdown(view.play_heading(row))
    body = view.payload_body(row["raw_json"])
    st.json(body, expanded=2)
    _show_sql("explorer_play_payload", params)


def find_plays(typed: str) -> str | None:
    """The lookup below the play pickers: the newest plays of the items matching `typed`, to pick
    from; returns the chosen play's id, or None after saying why there is none."""
    params = view.play_lookup_params(typed, LOOKUP_ROWS)
    if params is None:
        st.caption("Type a word of a track, artist, album, show or episode name (letters or digits).")
        return None
    found = _run("explorer_plays_lookup", **params)
    if found is None:
        return None
    similar = not found.df.empty and (found.df["match"] == "similar").all()
    st.caption(view.md(view.play_lookup_caption(len(found.df), LOOKUP_ROWS, similar, typed)))
    labels = view.play_lookup_labels(found.df)
    if not labels:
        return None
    return st.selectbox(f"Plays found ({len(labels)})", list(labels), key="plays_payload_found",
                        format_func=lambda pid: labels.get(pid, pid))


def choose_source() -> tuple[view.Source, dict] | None:
    """The source choice (only when there are plays), kept in the URL as `source`; returns the chosen
    source and its inventory info, or None after showing the empty state."""
    with common.guard():
        tracks_info = cached.query("json_path_inventory_info").df
        plays_info = cached.query("plays_json_path_inventory_info").df
    has_tracks = not tracks_info.empty and bool(tracks_info.at[0, "has_tracks"])
    has_plays = not plays_info.empty and bool(plays_info.at[0, "has_plays"])
    if not has_plays:
        if not has_tracks:
            common.empty_state()
            return None
        return view.TRACKS, tracks_info.iloc[0].to_dict()
    if KEY_SOURCE not in st.session_state:
        src, problem = view.parse_source(url_param("source"), has_tracks, has_plays)
        if problem:
            st.warning(f"This link's source could not be used ({problem}), so {src.label} is shown.", icon="⚠️")
        st.session_state[KEY_SOURCE] = src.name
    name = common.choice("Source", view.SOURCES, key=KEY_SOURCE, format_func=lambda n: view.SOURCES[n].label,
                         help="Tracks: the Spotify track objects of your snapshots (tracks.raw_json). Plays: the "
                              "records of your Spotify data export, one per stream (plays.raw_json).")
    src = view.SOURCES.get(name, view.TRACKS)
    write_url_params({"source": src.name})
    if src is view.TRACKS and not has_tracks:
        common.empty_state("No tracks yet: import a Music Time Machine file on the **Admin** page, or explore "
                           "the plays.")
        return None
    return src, (tracks_info if src is view.TRACKS else plays_info).iloc[0].to_dict()


def main() -> None:
    charts.enable_theme()
    common.header("raw_json explorer", ":material/data_object:",
                  "What is inside the Spotify payloads: key paths and their types, the values at a path, "
                  "tracks (or plays) filtered by JSON containment or JSONPath, and any track's (or play's) "
                  "whole payload.")
    chosen = choose_source()
    if chosen is None:
        return
    src, info = chosen
    paths = inventory(src, info)
    values_at_path(src, info, paths)
    matches = filter_records(src)
    if src is view.PLAYS:
        play_payload(matches)
    else:
        payload(matches)


main()
