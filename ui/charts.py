"""Chart builders: plain functions from DataFrames to alt.Chart, testable without Streamlit."""
from __future__ import annotations

import threading

import altair as alt
import pandas as pd

SPOTIFY_GREEN = "#1DB954"
TIME_RANGE_LABELS = {"short_term": "Last 4 weeks", "medium_term": "Last 6 months", "long_term": "All time"}


def theme() -> dict:
    """The house theme. Charts keep Vega-Lite's ARIA defaults (THEME_ARIA_NOTE at MANY_MARKS)."""
    return {"config": {
        "view": {"stroke": None},
        "range": {"category": {"scheme": "tableau10"}},
        "mark": {"color": SPOTIFY_GREEN},
        "axis": {"labelFontSize": 12, "titleFontSize": 12, "gridOpacity": 0.4},
        "legend": {"labelFontSize": 12, "titleFontSize": 12},
        "title": {"fontSize": 15, "anchor": "start"},
    }}


# THEME_ARIA_NOTE: Streamlit draws a Vega-Lite chart as SVG (a canvas only past 2,000 values a datum),
# and Vega-Lite gives each mark an ARIA label that a screen reader steps through ("Month: Mar 2026;
# Minutes: 1,234"), and each axis and legend a description. The mark labels are built in the browser
# by Vega's expression interpreter (Streamlit's CSP-safe build), for every mark on every redraw: on
# History's time-range change, where the bump chart has two marks per point (its line and its dot),
# that was a third of the interpreter's time (a probe, commit 634b7f9). Charts of a few dozen marks
# keep their labels; the charts of hundreds of marks (rank over time, the timeline's days, the
# calendar, the hour-by-weekday heatmap) leave out the marks' labels with MANY_MARKS, as Streamlit
# itself does past 5,000 values, and keep their axes' and legend's. Their rows are in the Data
# expander under them, a table a screen reader reads (Year in review's calendar: its days are the
# Calendar section's table). (Until this note, the theme turned ARIA off for every chart and every
# guide, on the mistaken belief that Streamlit always draws on a canvas.)
MANY_MARKS = {"aria": False}


def count_axis(**kw) -> alt.Axis:
    """An axis of whole numbers (plays, tracks, sessions, ranks): labels like 1,234 and no tick
    between two whole numbers, so a count of 1 never draws 0.2, 0.4 ..."""
    return alt.Axis(format=",d", tickMinStep=1, **kw)


def count_legend(**kw) -> alt.Legend:
    """A colour legend of whole numbers (see count_axis)."""
    return alt.Legend(format=",d", tickMinStep=1, **kw)


def month_axis(months: int, **kw) -> alt.Axis:
    """A time axis labelled with months ("Mar 2026"): a tick every month over a year or less (13
    calendar months: a year from mid-month), every quarter up to three years, else every year."""
    if months <= 13:
        return alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": 1}, **kw)
    if months <= 36:
        return alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": 3}, **kw)
    return alt.Axis(format="%Y", tickCount={"interval": "year", "step": 1}, **kw)


def date_axis(values, **kw) -> alt.Axis:
    """A time axis of dates with one label style throughout (Vega-Lite's default mixes "Mon 12",
    "Jan 18" and "2025"): months ("Mar 2026", month_axis) over three months or more, else days
    ("12 Mar 2026")."""
    ts = pd.to_datetime(pd.Series(list(values)), errors="coerce").dropna()
    if len(ts) and (ts.max() - ts.min()).days >= 90:
        return month_axis((ts.max().to_period("M") - ts.min().to_period("M")).n + 1, **kw)
    return alt.Axis(format="%d %b %Y", labelOverlap=True, **kw)


def enable_theme() -> None:
    """Register and enable the house Altair theme (idempotent). Every page's run calls it, so the
    usual case returns at once: alt.theme.names() reads every installed package's entry points, which
    the search page paid on every keystroke (it runs its whole script)."""
    if alt.theme.active == "mtm":
        return
    if "mtm" not in alt.theme.names():
        alt.theme.register("mtm", enable=False)(lambda: alt.theme.ThemeConfig(theme()))
    alt.theme.enable("mtm")


# ---------------------------------------------------------------------------------------------
# Drawing


_DRAW_LOCK = threading.Lock()      # altair's data transformer is process-global


def _named_data(data, datasets: dict):
    """Altair data transformer: keep each DataFrame aside under a name given by its position, so the
    spec only says {"name": "mtm_0"}; Streamlit sends the frames as Arrow. (Not "data_0": Vega-Lite
    names its own compiled data sources data_0, data_1 ..., and a dataset of that name draws nothing.)"""
    name = f"mtm_{len(datasets)}"
    datasets[name] = data
    return {"name": name}


alt.data_transformers.register("mtm_named", _named_data)
# Altair's debug mode validates every schema object (each alt.Axis, alt.Legend ...) as it is built:
# the same check as above, again on every rerun. Off; the tests validate the specs drawn.
alt.utils.schemapi.disable_debug_mode()


def spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec with its data as named DataFrames (spec["datasets"]).

    Not validated against the Vega-Lite JSON schema: that check costs 10-40 ms a chart on every
    rerun (jsonschema walks the whole spec), so it runs in the tests instead (the page tests check
    every chart they draw with tests/helpers.vega_lite_errors). Dataset names are positions, not
    content hashes, so a rerun whose chart only has new data sends the same spec and the browser
    updates the drawn chart's data instead of building a new one."""
    datasets: dict = {}
    with _DRAW_LOCK, alt.data_transformers.enable("mtm_named", datasets=datasets):
        out = chart.to_dict(validate=False)
    named = {**out.get("datasets", {}), **datasets}
    out.pop("datasets", None)
    words = _spec_strings(out)
    out["datasets"] = {name: _only_used(data, words) for name, data in named.items()}
    return out


def _spec_strings(node) -> set[str]:
    """Every key and string value in a spec (without its datasets), backslash escapes removed."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.update(str(k) for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            found.add(item.replace("\\", ""))
    return found


def _only_used(data, words: set[str]):
    """`data` without the columns the spec never names: a column is kept when its name occurs in any
    string of the spec (a field, a tooltip, an expression such as datum.x or a selection), so nothing
    a chart reads is lost. The rows go to the browser as Arrow and are turned into Vega's objects
    there on every redraw, cell by cell: a query's other columns (ids, names already in a label, URLs)
    only cost time."""
    if not isinstance(data, pd.DataFrame):
        return data
    keep = [c for c in data.columns if any(str(c) in w for w in words)]
    return data if len(keep) == len(data.columns) else data[keep]


def draw(build, *args, **kwargs) -> None:
    """Draw the Altair chart `build(*args, **kwargs)` at the container's width: st.vega_lite_chart
    of its spec, built once per builder and arguments (ui.cached.chart_spec)."""
    import streamlit as st

    from ui import cached

    st.vega_lite_chart(cached.chart_spec(build, *args, **kwargs), width="stretch")


OBSESSED_COLUMNS = {"rank": "Rank", "name": "Track", "artist_name": "Artist", "change": "Since last snapshot"}


def obsessed_table(df: pd.DataFrame) -> pd.DataFrame:
    """The currently-obsessed list with a readable 'change' column (NEW, ▲3, ▼2, =)."""
    def change(r) -> str:
        if r.is_new:
            return "🆕 new"
        delta = int(r.previous_rank) - int(r["rank"])
        return f"▲ {delta}" if delta > 0 else (f"▼ {-delta}" if delta < 0 else "=")

    out = df[["rank", "name", "artist_name"]].copy()
    out["change"] = df.apply(change, axis=1) if len(df) else []
    return out


# ---------------------------------------------------------------------------------------------
# Listening history (app_pages/history.py). Each builder takes the named query's DataFrame as it comes.

CONTENT_COLORS = {"explicit": "#E4572E", "clean": SPOTIFY_GREEN, "unknown": "#B0B0B0"}


def _numeric(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy with `columns` as floats: PostgreSQL numeric arrives as Decimal, which the Arrow
    transfer to Vega-Lite turns into scaled integers (0.25 drawn as 25)."""
    out = df.copy()
    for col in columns:
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out


def range_label(time_range: str) -> str:
    return TIME_RANGE_LABELS.get(time_range, time_range)


def with_track_label(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with a `label` column "Track — Artist", made unique when two tracks share both."""
    out = df.copy()
    if out.empty:
        out["label"] = pd.Series(dtype="object")
        return out
    # plain Python: the pickers hold a few hundred rows, where a pandas groupby over Arrow strings
    # cost more than the rest of the section's rerun (py-spy of a History filter change)
    labels = [f"{name} — {artist}" for name, artist in zip(out["name"].astype(str), out["artist_name"].astype(str))]
    ids: dict[str, set] = {}
    for label, track_id in zip(labels, out["track_id"].astype(str)):
        ids.setdefault(label, set()).add(track_id)
    out["label"] = [f"{label} ({track_id[:6]})" if len(ids[label]) > 1 else label
                    for label, track_id in zip(labels, out["track_id"].astype(str))]
    return out


def with_gaps(df: pd.DataFrame, label: str = "label") -> pd.DataFrame:
    """Rows with an empty rank for the snapshot dates (among those in `df`) on which a `label` was
    not ranked, between its first and last appearance, so its line breaks there instead of
    bridging the weeks it was out of the list."""
    if df.empty:
        return df
    dates = sorted(df["snapshot_date"].unique())
    position = {d: i for i, d in enumerate(dates)}
    gaps = []
    for key, group in df.groupby(label, sort=False):
        have = {position[d] for d in group["snapshot_date"]}
        gaps += [{label: key, "snapshot_date": dates[i]} for i in range(min(have), max(have) + 1) if i not in have]
    if not gaps:
        return df
    return pd.concat([df, pd.DataFrame(gaps)], ignore_index=True).sort_values([label, "snapshot_date"],
                                                                               ignore_index=True)


RUN_VALUES = ("rank", "best_rank", "tracks")     # what a bump chart's point says: a run keeps them all


def rank_runs(df: pd.DataFrame, label: str = "label") -> pd.DataFrame:
    """A bump chart's rows (with_gaps already applied) as runs: consecutive snapshots of one `label`
    with the same rank (and best_rank and tracks, where present) become their first and last rows,
    each with `held` ("2025-01-06 to 2025-03-10, 10 snapshots"; one date for a run of one). The line
    through a run is flat, so it is drawn the same from its two ends (monotone interpolation too: a
    flat neighbour gives a point a flat tangent either way); a point per snapshot repeated what the
    line showed, and each was a mark the browser built on every redraw (BENCHMARKS.md, the browser
    section: History's time-range change). An empty rank (a week out of the list) stays as one row
    that breaks the line."""
    if df.empty:
        return df.assign(held=pd.Series(dtype="object"))
    df = df.sort_values([label, "snapshot_date"], ignore_index=True)
    keys = [c for c in RUN_VALUES if c in df.columns]
    values = df[keys].astype("object").where(df[keys].notna(), "missing")
    starts = (df[label] != df[label].shift()) | (values != values.shift()).any(axis=1)
    run = starts.cumsum()
    ends = run != run.shift(-1)
    size = run.map(run.value_counts())
    dates = pd.to_datetime(df["snapshot_date"]).dt.strftime("%Y-%m-%d")
    first = dates.groupby(run).transform("first")
    last = dates.groupby(run).transform("last")
    held = first.where(size == 1, first + " to " + last + ", " + size.astype(str) + " snapshots")
    return df.assign(held=held)[starts | (ends & df["rank"].notna())].reset_index(drop=True)


def bump_chart(df: pd.DataFrame, label: str = "label", legend_title: str = "Track") -> alt.LayerChart:
    """Rank over time: a line per `label` with a point where its rank changed (rank_runs), rank 1 at
    the top, broken where the track (or artist) was out of the list; click the legend to highlight
    one line. The points carry the tooltips (a line's own tooltip is its first row wherever it is
    pointed at). Expects columns snapshot_date, rank and `label`."""
    df = rank_runs(with_gaps(_numeric(df, *RUN_VALUES), label), label)
    highlight = alt.selection_point(fields=[label], bind="legend", name="pick")
    tooltip = [alt.Tooltip(f"{label}:N", title=legend_title),
               alt.Tooltip("rank:Q", title="Rank"),
               alt.Tooltip("held:N", title="Snapshots")]
    if "best_rank" in df.columns:
        tooltip.append(alt.Tooltip("best_rank:Q", title="Best track's rank"))
    if "tracks" in df.columns:
        tooltip.append(alt.Tooltip("tracks:Q", title="Tracks ranked"))
    base = alt.Chart(df).encode(
        x=alt.X("snapshot_date:T", title="Snapshot", axis=date_axis(df["snapshot_date"]) if len(df) else alt.Axis()),
        y=alt.Y("rank:Q", title="Rank", scale=alt.Scale(reverse=True, zero=False, domainMin=1, nice=False),
                axis=count_axis()),
        color=alt.Color(f"{label}:N", title=legend_title,
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=320, symbolLimit=0)),
        opacity=alt.condition(highlight, alt.value(1.0), alt.value(0.15)),
    )
    # named: Altair would name the view by a digest of the chart, data included, and a spec that
    # changes with its data is built anew in the browser instead of updated (charts.spec)
    line = (base.mark_line(strokeWidth=2.5, interpolate="monotone", **MANY_MARKS)
            .add_params(highlight).properties(name="bump_lines"))
    points = base.mark_point(filled=True, **MANY_MARKS).encode(tooltip=tooltip)
    return alt.layer(line, points).properties(height=380)


def turnover_chart(df: pd.DataFrame, highlight_range: str | None = None) -> alt.Chart:
    """Share of new tracks per snapshot, a line per time range (legend selects; `highlight_range`
    starts selected). Expects snapshot_turnover's columns."""
    data = _numeric(df, "turnover")
    data = data.assign(range=data["time_range"].map(range_label)) if len(data) else data.assign(range=[])
    kwargs = {"value": [{"range": range_label(highlight_range)}]} if highlight_range else {}
    pick = alt.selection_point(fields=["range"], bind="legend", name="range_pick", **kwargs)
    return (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=25), interpolate="monotone")
        .encode(
            x=alt.X("snapshot_date:T", title="Snapshot", axis=date_axis(data["snapshot_date"]) if len(data) else alt.Axis()),
            y=alt.Y("turnover:Q", title="New since previous snapshot", axis=alt.Axis(format="%"),
                    scale=alt.Scale(domainMin=0)),
            color=alt.Color("range:N", title="Time range", sort=list(TIME_RANGE_LABELS.values()),
                            legend=alt.Legend(orient="bottom")),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)),
            tooltip=[alt.Tooltip("range:N", title="Time range"),
                     alt.Tooltip("snapshot_date:T", title="Snapshot", format="%Y-%m-%d"),
                     alt.Tooltip("previous_date:T", title="Previous", format="%Y-%m-%d"),
                     alt.Tooltip("new_tracks:Q", title="New tracks"),
                     alt.Tooltip("tracks:Q", title="Tracks"),
                     alt.Tooltip("turnover:Q", title="Turnover", format=".0%")],
        )
        .add_params(pick)
        .properties(height=300)
    )


def top_artists_by_month_chart(df: pd.DataFrame) -> alt.Chart:
    """Heatmap: month across, artist down (strongest overall first), colour = rank-weighted score;
    click a cell to highlight that artist. Expects top_artists_by_month's columns."""
    pick = alt.selection_point(fields=["artist_name"], name="artist_pick")
    n_artists = int(df["artist_name"].nunique()) if len(df) else 1
    return (
        alt.Chart(df)
        .mark_rect(cornerRadius=2)
        .encode(
            x=alt.X("yearmonth(month):O", title="Month", axis=alt.Axis(labelAngle=-45, format="%b %Y")),
            y=alt.Y("artist_name:N", title=None, sort=alt.EncodingSortField("score", op="sum", order="descending"),
                    axis=alt.Axis(labelLimit=220, labelOverlap=False)),
            color=alt.Color("score:Q", title="Score", scale=alt.Scale(scheme="greens")),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.3)),
            tooltip=[alt.Tooltip("yearmonth(month):T", title="Month", format="%B %Y"),
                     alt.Tooltip("artist_name:N", title="Artist"),
                     alt.Tooltip("position:Q", title="Place that month"),
                     alt.Tooltip("score:Q", title="Score"),
                     alt.Tooltip("placements:Q", title="Placements"),
                     alt.Tooltip("tracks:Q", title="Tracks")],
        )
        .add_params(pick)
        .properties(height=max(160, 20 * n_artists))
    )


def taste_shift_chart(df: pd.DataFrame) -> alt.Chart:
    """Month-over-month change of the artist set (Jaccard distance, 0 = same artists, 1 = all new).
    Expects taste_shift's columns; the first month (no previous) is left out."""
    data = _numeric(df, "artist_shift", "avg_release_year")
    data = data[data["artist_shift"].notna()]
    return (
        alt.Chart(data)
        .mark_line(point=True, interpolate="monotone")
        .encode(
            x=alt.X("month:T", title="Month", axis=alt.Axis(format="%b %Y")),
            y=alt.Y("artist_shift:Q", title="Artist change vs previous month", axis=alt.Axis(format="%"),
                    scale=alt.Scale(domainMin=0)),
            tooltip=[alt.Tooltip("month:T", title="Month", format="%B %Y"),
                     alt.Tooltip("artist_shift:Q", title="Artist change", format=".0%"),
                     alt.Tooltip("artists:Q", title="Artists"),
                     alt.Tooltip("shared_artists:Q", title="Also the month before"),
                     alt.Tooltip("avg_release_year:Q", title="Average release year", format=".1f")],
        )
        .properties(height=260)
    )


def release_year_trend_chart(df: pd.DataFrame) -> alt.Chart:
    """Average release year of each month's ranked tracks. Expects taste_shift's columns."""
    data = _numeric(df, "artist_shift", "avg_release_year")
    data = data[data["avg_release_year"].notna()]
    return (
        alt.Chart(data)
        .mark_line(point=True, interpolate="monotone", color="#509EE3")
        .encode(
            x=alt.X("month:T", title="Month", axis=alt.Axis(format="%b %Y")),
            y=alt.Y("avg_release_year:Q", title="Average release year", scale=alt.Scale(zero=False),
                    axis=alt.Axis(format="d")),
            tooltip=[alt.Tooltip("month:T", title="Month", format="%B %Y"),
                     alt.Tooltip("avg_release_year:Q", title="Average release year", format=".1f"),
                     alt.Tooltip("dated_tracks:Q", title="Tracks with a date"),
                     alt.Tooltip("tracks:Q", title="Tracks")],
        )
        .properties(height=260)
    )


def release_year_chart(df: pd.DataFrame) -> alt.Chart:
    """Tracks per release year (one bar per year). Expects release_years' columns (year, tracks)."""
    return (
        alt.Chart(df)
        .transform_calculate(year_end="datum.year + 1")
        .mark_bar(binSpacing=1)
        .encode(
            x=alt.X("year:Q", title="Release year", bin="binned", scale=alt.Scale(zero=False),
                    axis=alt.Axis(format="d")),
            x2="year_end:Q",
            y=alt.Y("tracks:Q", title="Tracks", axis=count_axis()),
            tooltip=[alt.Tooltip("year:Q", title="Year", format="d"), alt.Tooltip("tracks:Q", title="Tracks")],
        )
        .properties(height=260)
    )


def explicit_chart(df: pd.DataFrame) -> alt.Chart:
    """Explicit / clean / unknown as a donut. Expects explicit_share's columns (content, tracks, share)."""
    pick = alt.selection_point(fields=["content"], bind="legend", name="content_pick")
    return (
        alt.Chart(_numeric(df, "share"))
        .mark_arc(innerRadius=60)
        .encode(
            theta=alt.Theta("tracks:Q"),
            color=alt.Color("content:N", title="Content",
                            scale=alt.Scale(domain=list(CONTENT_COLORS), range=list(CONTENT_COLORS.values()))),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.3)),
            tooltip=[alt.Tooltip("content:N", title="Content"), alt.Tooltip("tracks:Q", title="Tracks"),
                     alt.Tooltip("share:Q", title="Share", format=".1%")],
        )
        .add_params(pick)
        .properties(height=260)
    )


def histogram_chart(df: pd.DataFrame, x_title: str, unit: str = "") -> alt.Chart:
    """Pre-binned counts (bin_start, bin_end, tracks) as adjoining bars."""
    fmt = ".1f" if unit == "min" else "d"
    return (
        alt.Chart(_numeric(df, "bin_start", "bin_end"))
        .mark_bar(binSpacing=1)
        .encode(
            x=alt.X("bin_start:Q", title=x_title, bin="binned"),
            x2="bin_end:Q",
            y=alt.Y("tracks:Q", title="Tracks", axis=count_axis()),
            tooltip=[alt.Tooltip("bin_start:Q", title="From", format=fmt),
                     alt.Tooltip("bin_end:Q", title="To (excl.)", format=fmt),
                     alt.Tooltip("tracks:Q", title="Tracks")],
        )
        .properties(height=260)
    )


# ---------------------------------------------------------------------------------------------
# Search (app_pages/search.py): one played item's history


def play_history_chart(df: pd.DataFrame, title: str = "", zone: str = "UTC") -> alt.Chart:
    """Plays per month of one played track, episode or audiobook: a bar per month with a play (months
    local to `zone`, as play_item_history grouped them), each as wide as its month; minutes in the
    tooltip. Expects play_item_history's columns."""
    data = _numeric(df, *[c for c in ("plays", "streams", "minutes") if c in df.columns])
    data["month"] = pd.to_datetime(data["month"])
    data["month_end"] = data["month"] + pd.DateOffset(months=1)
    span = ((data["month_end"].max().to_period("M") - data["month"].min().to_period("M")).n if len(data) else 1)
    return (
        alt.Chart(data, title=title or alt.Undefined)
        .mark_bar(color=SPOTIFY_GREEN, stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("month:T", title=f"Month ({zone})", axis=month_axis(span)),
            x2="month_end:T",
            y=alt.Y("plays:Q", title="Plays", axis=count_axis()),
            y2=alt.datum(0),   # with x and x2 both set, Vega-Lite would otherwise draw a thin tick at y
            tooltip=[alt.Tooltip("month:T", title="Month", format="%B %Y"),
                     alt.Tooltip("plays:Q", title="Plays", format=","),
                     alt.Tooltip("minutes:Q", title="Minutes", format=",.0f")],
        )
        .properties(height=260)
    )
