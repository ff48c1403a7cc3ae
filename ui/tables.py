"""Every table of the pages, shown one way: human headers, whole numbers with thousands separators,
minutes rounded, shares as percentages, weekdays by name, dates and times to the minute, missing
values blank. `shape(df)` builds the frame and the column config (plain pandas: testable without a
browser); `show(df, name)` draws it with its CSV download.

A column is known by its name in the named queries (db/sql/*.sql): COLUMNS says how each is shown.
A page passes `headers` for names whose meaning depends on the table ("name" is a Track, an Artist or
an Episode) and `hide` for ids; a column no one knows gets its snake_case name as words.

The CSV download keeps the values as the query returned them (machine-readable: fractions,
minutes with their decimals, ISO dates, weekdays 1-7) under the same human headers."""
from __future__ import annotations

import functools
import html
from dataclasses import dataclass

import pandas as pd

from ui import text

WEEKDAY_NAMES = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday", 6: "Saturday",
                 7: "Sunday"}

KIND_NAMES = {"music": "Music", "podcast": "Podcast", "audiobook": "Audiobook", "unknown": "Unknown"}


@dataclass(frozen=True)
class Col:
    header: str
    kind: str = "text"     # text, kind (of a play), count, number, minutes, percent, year, weekday, datetime, date, check, link, bar
    help: str | None = None


# Column names of the named queries -> how they are shown. Counts are whole numbers; "minutes" are
# rounded to whole minutes; shares (0..1) are percentages.
COLUMNS: dict[str, Col] = {
    # identity and text
    "name": Col("Name"), "track": Col("Track"), "artist": Col("Artist"), "artist_name": Col("Artist"),
    "album": Col("Album"), "album_name": Col("Album"), "kind": Col("Kind", "kind"), "label": Col("Name"),
    "time_range": Col("Time range"), "content": Col("Content"), "family": Col("Platform"),
    "most_used": Col("Most used"), "first_ones": Col("First of them"), "movement": Col("Movement"),
    "change": Col("Since last snapshot"), "level": Col("Level"), "status": Col("Status"),
    "spotify_url": Col("Spotify", "link"), "spotify": Col("Spotify", "link"),
    # counts
    "rank": Col("Rank", "count"), "plays": Col("Plays", "count"), "streams": Col("Streams", "count"),
    "skips": Col("Skips", "count"), "skip_known": Col("Saying whether skipped", "count"),
    "tracks": Col("Tracks", "count"), "artists": Col("Artists", "count"), "albums": Col("Albums", "count"),
    "new_tracks": Col("New tracks", "count"), "new_artists": Col("New artists", "count"),
    "shared_artists": Col("Also the month before", "count"), "dated_tracks": Col("Tracks with a date", "count"),
    "placements": Col("Placements", "count"), "position": Col("Place that month", "count"),
    "best_rank": Col("Best rank", "count"), "previous_rank": Col("Previous rank", "count"),
    "sessions": Col("Sessions", "count"), "days": Col("Days", "count"), "platforms": Col("Platforms", "count"),
    "days_since": Col("Days before newest", "count"), "days_ago": Col("Days before newest", "count"),
    "score": Col("Score", "count"), "hour": Col("Hour", "count"), "band": Col("Band", "count"),
    "day_plays": Col("Plays that day", "count"), "of_total": Col("Of", "count"),
    "rank_a": Col("Rank in A", "count"), "rank_b": Col("Rank in B", "count"),
    "plays_a": Col("Plays in A", "count"), "plays_b": Col("Plays in B", "count"),
    "year": Col("Year", "year"), "release_year": Col("Release year", "year"),
    # measures
    "minutes": Col("Minutes", "minutes"), "minutes_played": Col("Played (min)", "minutes"),
    "day_minutes": Col("Minutes that day", "minutes"), "median_minutes": Col("Median (min)", "minutes"),
    "avg_minutes": Col("Average (min)", "minutes"), "longest_minutes": Col("Longest (min)", "minutes"),
    "bin_start": Col("From", "number"), "bin_end": Col("To (excl.)", "number"),
    "avg_release_year": Col("Average release year", "number"),
    "skip_rate": Col("Skip rate", "percent"), "turnover": Col("Turnover", "percent"),
    "share": Col("Share", "percent"), "artist_shift": Col("Artist change", "percent"),
    "weekday": Col("Weekday", "weekday"),
    # time
    "snapshot_date": Col("Snapshot", "date"), "previous_date": Col("Previous snapshot", "date"),
    "first_snapshot": Col("First snapshot", "date"), "last_snapshot": Col("Last snapshot", "date"),
    "first_in_window": Col("First in window", "date"), "last_in_window": Col("Last in window", "date"),
    "last_ranked": Col("Last ranked", "date"), "first_day": Col("From", "date"), "last_day": Col("To", "date"),
    "month": Col("Month", "month"), "period": Col("Period", "date"), "day": Col("Day", "date"),
    "first_play": Col("First play", "datetime"), "last_play": Col("Last play", "datetime"),
    "first_stream": Col("First stream", "datetime"), "last_stream": Col("Last stream", "datetime"),
    "first_played": Col("First played", "datetime"), "last_played": Col("Last played", "datetime"),
    "started": Col("Started", "datetime"), "ended": Col("Ended", "datetime"),
    # flags
    "latest": Col("Latest", "check"), "is_new": Col("New", "check"), "in_library": Col("In library", "check"),
}
HIDDEN = {"track_id", "name_key", "album_id", "artist_id", "play_id", "id", "segment"}


WHOLE = ("count", "minutes", "bar")      # kinds shown as whole numbers (shown_frame rounds them)


def _hidden(column: str, hide=()) -> bool:
    return column in HIDDEN or column in hide


def header(column: str, headers: dict | None = None) -> str:
    """The header shown for `column`: the page's, else COLUMNS', else its words ("days_since" ->
    "Days since")."""
    if headers and column in headers:
        return headers[column]
    known = COLUMNS.get(column)
    return known.header if known else column.replace("_", " ").strip().capitalize()


def _kind(column: str, kinds: dict | None) -> str:
    if kinds and column in kinds:
        return kinds[column]
    known = COLUMNS.get(column)
    return known.kind if known else "text"


def whole_number_format(values) -> str:
    """The display format of a column of whole numbers, chosen from its values so that every cell
    reads as "localized" would show it in English: "%d" while no value reaches 1,000 in size
    (nothing to group), "accounting" (thousands grouped with commas, as the headline figures are;
    with step=1, no decimals) when none is negative, else "localized". The choice is for the
    browser: it formats each cell again on every draw, and "localized" builds a new
    Intl.NumberFormat each time, several times the cost of "accounting" and far more than "%d"."""
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").round()     # as step=1 shows them: 999.6 is 1,000
    low, high = numbers.min(), numbers.max()
    if pd.isna(high) or (low > -1000 and high < 1000):
        return "%d"
    return "accounting" if low >= 0 else "localized"


def _column(kind: str, title: str, help_text: str | None, width=None, top: float = 1.0, fmt: str = "localized"):
    column = _typed_column(kind, title, help_text, top, fmt)
    if width is not None:
        column["width"] = width
    return column


def _typed_column(kind: str, title: str, help_text: str | None, top: float = 1.0, fmt: str = "localized"):
    """`fmt`: the format of a whole-number column (count, minutes, bar: whole_number_format)."""
    import streamlit as st

    cc = st.column_config
    if kind == "bar":        # the number with a bar from 0 to `top`: a top list's measure
        return cc.ProgressColumn(title, format=fmt, min_value=0, max_value=top, step=1, help=help_text)
    if kind in ("count", "minutes"):
        return cc.NumberColumn(title, format=fmt, step=1, help=help_text)
    if kind == "year":
        return cc.NumberColumn(title, format="%d", help=help_text)
    if kind == "number":
        return cc.NumberColumn(title, format="localized", help=help_text)
    if kind == "percent":
        return cc.NumberColumn(title, format="percent", help=help_text)
    if kind == "datetime":
        return cc.DatetimeColumn(title, format="YYYY-MM-DD HH:mm", help=help_text)
    if kind == "date":
        return cc.DateColumn(title, format="YYYY-MM-DD", help=help_text)
    if kind == "month":
        return cc.DateColumn(title, format="MMM YYYY", help=help_text)
    if kind == "check":
        return cc.CheckboxColumn(title, help=help_text)
    if kind == "link":
        return cc.LinkColumn(title, display_text="Open ↗", help=help_text)
    return cc.TextColumn(title, help=help_text)


def _blank(value) -> bool:
    """A missing value (None, NaN, NaT, pd.NA): shown as an empty cell. A list or an array in a cell
    is a value, never missing."""
    if value is None:
        return True
    if isinstance(value, (str, int)):        # never missing (bool is an int); most cells: no pandas call
        return False
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def shown_column(values: pd.Series, kind: str) -> pd.Series:
    """One column as the table shows it (shown_frame): numbers as floats (PostgreSQL numerics arrive
    as Decimal), minutes and other measures rounded, weekdays by name, text without None."""
    if kind in ("count", "year"):
        return pd.to_numeric(values, errors="coerce").round().astype("Int64")
    if kind in ("minutes", "bar"):
        return pd.to_numeric(values, errors="coerce").astype("float64").round(0)
    if kind == "number":
        return pd.to_numeric(values, errors="coerce").astype("float64").round(1)
    if kind == "percent":
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if kind == "weekday":
        return pd.to_numeric(values, errors="coerce").map(WEEKDAY_NAMES).fillna("")
    if kind == "kind":
        return values.map(lambda v: KIND_NAMES.get(v, "" if v is None else str(v)))
    if kind == "text":
        return values.map(lambda v: "" if _blank(v) else v)
    return values


def shown_frame(df: pd.DataFrame, kinds: dict | None = None, hide=()) -> pd.DataFrame:
    """`df` as the table shows it (shown_column). Dates and times stay as they are (DateColumn and
    DatetimeColumn format them). Hidden columns stay in the frame (ids a test or a selection may
    need); the column config hides them."""
    out = df.copy()
    for col in out.columns:
        if not _hidden(col, hide):
            out[col] = shown_column(out[col], _kind(col, kinds))
    return out


def shape(df: pd.DataFrame, headers: dict | None = None, kinds: dict | None = None, hide=(),
          helps: dict | None = None, widths: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """(frame, column_config) for st.dataframe: see shown_frame and header."""
    frame = shown_frame(df, kinds, hide)
    config = {}
    for col in frame.columns:
        if _hidden(col, hide):
            config[col] = None
            continue
        known = COLUMNS.get(col)
        help_text = (helps or {}).get(col) or (known.help if known else None)
        kind = _kind(col, kinds)
        config[col] = _column(kind, header(col, headers), help_text, (widths or {}).get(col),
                              _bar_top(frame[col]) if kind == "bar" else 1.0,
                              whole_number_format(frame[col]) if kind in WHOLE else "localized")
    return frame, config


def _bar_top(values) -> float:
    """A bar column's full length: its largest value (1 when none is above 0)."""
    top = pd.to_numeric(values, errors="coerce").max()
    return float(top) if pd.notna(top) and top > 0 else 1.0


def csv_frame(df: pd.DataFrame, headers: dict | None = None, hide=()) -> pd.DataFrame:
    """The CSV's frame: the query's raw values under the table's headers (hidden ids dropped)."""
    out = df.drop(columns=[c for c in df.columns if _hidden(c, hide)])
    return out.rename(columns={c: header(c, headers) for c in out.columns})


def show(df: pd.DataFrame, name: str, headers: dict | None = None, kinds: dict | None = None, hide=(),
         helps: dict | None = None, widths: dict | None = None, csv: bool = True, **dataframe_kw):
    """Draw `df` as a table (shape) with its CSV download (csv_frame); returns st.dataframe's value
    (the selection, when `on_select` is passed)."""
    import streamlit as st

    from ui import common

    frame, config = shape(df, headers, kinds, hide, helps, widths)
    shown = st.dataframe(frame, hide_index=True, width="stretch", column_config=config, **dataframe_kw)
    if csv:
        common.download_csv(functools.partial(csv_frame, df, headers, hide), name)
    return shown


# STATIC_TABLE_NOTE: a short ranked list (Top lists and Plays' Forgotten gems: 25 rows by default, 200
# at most; Two periods' comparison: twice its top, 40 rows by default; History's Currently obsessed:
# 50) is drawn as one HTML table (st.html), formatted here as shape's column config has the browser
# format it. Its rows are already in their order and it fits on the page, so it needs none of
# st.dataframe's sorting, scrolling or resizing, and the browser mounts an HTML table in clearly less
# time than the data grid (bench.elements, BENCHMARKS.md: "top_list_html" against "top_list_dataframe").
BAR_COLOUR = "rgba(29, 185, 84, 0.28)"          # the theme's primary colour (Spotify green), light
TABLE_CSS = (
    ".mtm-table{overflow-x:auto}.mtm-table table{width:100%;border-collapse:collapse;font-size:0.875rem;"
    "line-height:1.4}.mtm-table th{font-weight:600;white-space:nowrap;opacity:0.75;text-align:left}"
    ".mtm-table th,.mtm-table td{padding:0.3rem 0.6rem;border-bottom:1px solid rgba(128,128,128,0.2);"
    "vertical-align:top}.mtm-table td{overflow-wrap:anywhere}"
    ".mtm-table .bar{min-width:7rem}")
_NUMERIC = ("count", "minutes", "bar", "year", "number", "percent")
_TIMES = ("datetime", "date", "month")


def cell_text(value, kind: str) -> str:
    """`value` (of shown_frame) as its column's format shows it (_typed_column): whole numbers with
    thousands separators, years plain, other numbers to at most one decimal, shares as percentages to
    at most two decimals, dates and times to the minute, missing values blank. Plain text, unescaped."""
    if _blank(value):
        return ""
    if kind in ("count", "minutes", "bar"):
        return f"{round(float(value)):,}"
    if kind == "year":
        return str(round(float(value)))
    if kind == "number":
        return f"{float(value):,.1f}".removesuffix(".0")
    if kind == "percent":
        return f"{float(value) * 100:.2f}".rstrip("0").rstrip(".") + "%"
    if kind in _TIMES:
        stamp = pd.Timestamp(value)
        return stamp.strftime({"datetime": "%Y-%m-%d %H:%M", "date": "%Y-%m-%d", "month": "%b %Y"}[kind])
    if kind == "check":
        return "✓" if bool(value) else ""
    return str(value)


def table_html(df: pd.DataFrame, headers: dict | None = None, kinds: dict | None = None, hide=()) -> str:
    """`df` as one HTML table (STATIC_TABLE_NOTE): the headers and formats of `shape`, numbers right
    aligned, a "bar" column's cells with a bar from 0 to the column's largest value, a "link" column
    as "Open ↗" where the value is a Spotify link (text.spotify_link; else blank). Every text is
    escaped: names show as typed, never as HTML. Columns are aligned by the table's own style
    (_column_rules), not by an attribute on each of its cells: fewer attributes for the browser to
    sanitise and match (st.html sanitises its HTML before drawing it)."""
    columns = [c for c in df.columns if not _hidden(c, hide)]
    col_kinds = [_kind(c, kinds) for c in columns]
    shown = [shown_column(df[c], kind) for c, kind in zip(columns, col_kinds)]
    tops = [_bar_top(values) if kind == "bar" else 1.0 for values, kind in zip(shown, col_kinds)]
    name, rules = _column_rules(col_kinds)
    head = "".join(f'<th scope="col">{html.escape(header(c, headers))}</th>' for c in columns)
    rows = []
    for record in zip(*(values.tolist() for values in shown)):
        cells = []
        for value, kind, top in zip(record, col_kinds, tops):
            if kind == "link":
                url = text.spotify_link(value)
                cells.append(f'<td><a href="{html.escape(url)}" target="_blank" rel="noopener noreferrer">Open ↗</a></td>'
                             if url else "<td></td>")
            elif kind == "bar" and not _blank(value):
                share = max(0.0, min(100.0, float(value) / top * 100))
                cells.append(f'<td class="bar" style="background:linear-gradient(to right,{BAR_COLOUR} {share:.1f}%,'
                             f'transparent {share:.1f}%)">{html.escape(cell_text(value, kind))}</td>')
            else:
                cells.append(f"<td>{html.escape(cell_text(value, kind))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<style>{TABLE_CSS}{rules}</style><div class="mtm-table {name}"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _column_rules(col_kinds: list[str]) -> tuple[str, str]:
    """(class, CSS rules) aligning a table's columns by their kinds: numbers right aligned in tabular
    figures, times unbroken. The class names the kinds' sequence, so two tables of the same columns
    share one set of rules and tables of other columns are not touched by it."""
    letters = "".join("n" if kind in _NUMERIC else "t" if kind in _TIMES else "x" for kind in col_kinds)
    name = f"mtm-cols-{letters}"
    numeric = [i + 1 for i, letter in enumerate(letters) if letter == "n"]
    times = [i + 1 for i, letter in enumerate(letters) if letter == "t"]
    rules = []
    if numeric:
        rules.append(",".join(f".{name} :is(td,th):nth-child({i})" for i in numeric)
                     + "{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}")
    if times:
        rules.append(",".join(f".{name} td:nth-child({i})" for i in times) + "{white-space:nowrap}")
    return name, "".join(rules)


def show_list(df: pd.DataFrame, name: str, headers: dict | None = None, kinds: dict | None = None, hide=(),
              csv: bool = True) -> None:
    """Draw a short ranked list (table_html, STATIC_TABLE_NOTE; cached.table_html: the same rows are
    formatted once) with its CSV download (csv_frame)."""
    import streamlit as st

    from ui import cached, common

    st.html(cached.table_html(df, headers, kinds, hide))
    if csv:
        common.download_csv(functools.partial(csv_frame, df, headers, hide), name)


def lazy_expander(label: str, name: str):
    """An expander whose content is built only while it is open: the expander when open, else None.
    Opening or closing it reruns the page's fragment. A section shows its headline view (a chart,
    or one table) when opened and keeps its further tables in these: every table or chart a run
    mounts is time the browser spends before the page is ready (BENCHMARKS.md, browser section).
    Its key is "data-<name>" (the tests open every one: tests/helpers.open_data). Keep `label` fixed
    for a given `name`: Streamlit takes an expander whose label changed for a new one, closed."""
    import streamlit as st

    box = st.expander(label, key=f"data-{name}", on_change="rerun")
    return box if box.open else None


def data_expander(df: pd.DataFrame, name: str, headers: dict | None = None, kinds: dict | None = None,
                  hide=(), label: str = "Data") -> None:
    """The "Data" expander under a chart: the chart's rows as a table, with the CSV download. Built
    only while open (lazy_expander): a closed expander sends no table."""
    box = lazy_expander(label, name)
    if box is not None:
        with box:
            show(df, name, headers, kinds, hide)


def chart_with_data(df: pd.DataFrame, build, name: str, empty_text: str, headers: dict | None = None,
                    kinds: dict | None = None) -> bool:
    """The block most sections repeat: `empty_text` as a caption when `df` has no rows, else the
    chart `build(df)` and its Data expander (data_expander). Whether there was something to draw.
    `build`: a module-level chart builder or a functools.partial of one (ui.charts.draw caches on it)."""
    import streamlit as st

    from ui import charts

    if df.empty:
        st.caption(empty_text)
        return False
    charts.draw(build, df)
    data_expander(df, name, headers, kinds)
    return True
