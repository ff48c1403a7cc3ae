"""The Plays page's helpers: the settings' choices and how a link's values are read, chart builders
and table shaping. Plain functions (no Streamlit calls), testable on their own.

Every builder takes the named query's DataFrame as it comes (db/sql/plays.sql) and returns an
alt.Chart; PostgreSQL numerics and counts are turned into floats first (charts._numeric).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import altair as alt
import pandas as pd

from ui.charts import MANY_MARKS, SPOTIFY_GREEN, _numeric, count_axis, count_legend, date_axis, month_axis
from ui.text import literal

# ---------------------------------------------------------------------------------------------
# Settings: choices, defaults, and reading them from a link

KINDS = {"music": "Music", "podcast": "Podcasts", "audiobook": "Audiobooks", "all": "All"}
DEFAULT_KIND = "music"
THRESHOLDS = {0: "Every stream", 10: "10 s or more", 30: "30 s or more", 60: "1 minute or more"}
DEFAULT_THRESHOLD = 30
LEVELS = {"track": "Tracks", "artist": "Artists", "album": "Albums"}
# What a track, an artist and an album are for each kind (plays keep a chapter in `track`, its book in
# `album` and the author in `artist`; an episode in `track` and its show in `artist`).
KIND_LEVELS = {
    "music": {"track": ("Track", "Tracks"), "artist": ("Artist", "Artists"), "album": ("Album", "Albums")},
    "podcast": {"track": ("Episode", "Episodes"), "artist": ("Show", "Shows"), "album": ("Album", "Albums")},
    "audiobook": {"track": ("Chapter", "Chapters"), "artist": ("Author", "Authors"), "album": ("Book", "Books")},
    "all": {"track": ("Track or episode", "Tracks and episodes"), "artist": ("Artist or show", "Artists and shows"),
            "album": ("Album or book", "Albums and books")},
}
GRAINS = {"day": "Day", "week": "Week", "month": "Month"}
DEFAULT_TZ = "UTC"
MAX_PARAM_CHARS = 100
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
UNKNOWN = "(unknown)"


def threshold_text(min_seconds: int) -> str:
    """What counts as a play, in words."""
    if min_seconds <= 0:
        return "every stream counts as a play, however short"
    unit = "1 minute" if min_seconds == 60 else f"{min_seconds} seconds"
    return f"a play is a stream of {unit} or more"


def match_zone(text: object, names: list[str]) -> str | None:
    """The known zone name `text` stands for (exact, else case-insensitive), or None."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_PARAM_CHARS or "\x00" in text:
        return None
    wanted = text.strip()
    if wanted in names:
        return wanted
    folded = {n.lower(): n for n in names}
    return folded.get(wanted.lower())


def default_zone(browser: object, env: str | None, names: list[str]) -> tuple[str, str]:
    """(zone, where it came from): the browser's zone, else the TZ environment variable (a leading
    ':' as in TZ=:Europe/Berlin is allowed), else UTC; each only when PostgreSQL knows it."""
    found = match_zone(browser, names)
    if found:
        return found, "your browser"
    if isinstance(env, str):
        found = match_zone(env.lstrip(":"), names)
        if found:
            return found, "the server's TZ setting"
    return (DEFAULT_TZ if DEFAULT_TZ in names or not names else names[0]), "the default"


def env_zone() -> str | None:
    from db import settings

    return settings.get("TZ")


def parse_zone(text: str | None, names: list[str]) -> tuple[str | None, str | None]:
    """(zone or None = use the default, problem)."""
    if text is None:
        return None, None
    found = match_zone(text, names)
    return (found, None) if found else (None, "unknown time zone")


def parse_choice(text: str | None, choices, default, cast=str) -> tuple[object, str | None]:
    """A link's value among `choices` (converted with `cast`), else the default and a problem."""
    if text is None:
        return default, None
    try:
        value = cast(str(text).strip())
    except (TypeError, ValueError):
        return default, "not a known choice"
    return (value, None) if value in choices else (default, "not a known choice")


def default_range(first: dt.date, last: dt.date, days: int = 365) -> tuple[dt.date, dt.date]:
    """The last `days` days of the data (the whole of it when shorter)."""
    return max(first, last - dt.timedelta(days=days - 1)), last


def default_grain(since: dt.date, until: dt.date) -> str:
    span = (until - since).days + 1
    return "day" if span <= 92 else ("week" if span <= 731 else "month")


def previous_period(since: dt.date, until: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before since..until."""
    length = (until - since).days + 1
    return since - dt.timedelta(days=length), since - dt.timedelta(days=1)


def year_earlier(since: dt.date, until: dt.date) -> tuple[dt.date, dt.date]:
    """since..until one calendar year earlier; 29 February becomes 28 February."""
    def back(d: dt.date) -> dt.date:
        return d.replace(year=d.year - 1, day=28) if (d.month, d.day) == (2, 29) else d.replace(year=d.year - 1)
    return back(since), back(until)


def today_in(zone: str, now: dt.datetime | None = None) -> dt.date:
    """Today's date in `zone` (UTC's when Python's zone database lacks a name PostgreSQL knows)."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        return now.astimezone(ZoneInfo(zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.date()


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def zone_note(zone: str, info: pd.DataFrame) -> str:
    """How the page converts times for `zone` (info: plays_time_zone's row), as markdown."""
    zone = literal(zone)
    if info.empty:
        return f"Times are in {zone}."
    row = info.iloc[0]
    offset = str(row.utc_offset)
    sign = "-" if offset.startswith("-") else "+"
    hhmm = offset.lstrip("-")[:5]
    text = (f"Times are in **{zone}** (now {row.abbrev}, UTC{sign}{hhmm}); each play is converted with its own "
            "offset, so daylight-saving changes fall where they happened.")
    if bool(row.quarter):
        return text + (" This zone's offset is not a whole number of hours, so the charts over time read "
                       "15-minute rollups (exact for it).")
    return text + " The charts over time read hourly rollups (exact for whole-hour offsets)."


# ---------------------------------------------------------------------------------------------
# Table shaping


def level_name(level: str, kind: str = "music", plural: bool = True) -> str:
    """'Tracks', 'Episodes', 'Chapters' ...: what `level` is called for plays of `kind`."""
    names = KIND_LEVELS.get(kind, KIND_LEVELS["music"]).get(level)
    if names is None:
        return LEVELS.get(level, level.title()) if plural else LEVELS.get(level, level.title())[:-1]
    return names[1] if plural else names[0]


def level_names(kind: str = "music") -> dict[str, str]:
    """LEVELS as plays of `kind` call them (for radio options)."""
    return {level: level_name(level, kind) for level in LEVELS}


def level_headers(level: str, kind: str = "music", column: str = "name") -> dict[str, str]:
    """Table headers for rows of `level`: `column` (the row's name) and its artist, as `kind` calls them."""
    return {column: level_name(level, kind, plural=False), "artist": level_name("artist", kind, plural=False),
            "label": level_name(level, kind, plural=False)}


def label(name: object, artist: object = None) -> str:
    """'Name — Artist' (or just the name), with (unknown) for what the export left empty."""
    n = UNKNOWN if name is None or (isinstance(name, float) and pd.isna(name)) else str(name)
    if artist is None or (isinstance(artist, float) and pd.isna(artist)) or artist == name:
        return n
    return f"{n} — {artist}"


def with_labels(df: pd.DataFrame, level: str) -> pd.DataFrame:
    """A copy with a `label` column: track and album rows name their artist too."""
    out = df.copy()
    if out.empty:
        out["label"] = pd.Series(dtype="object")
        return out
    if level in ("track", "album"):
        out["label"] = [label(n, a) for n, a in zip(out["name"], out["artist"])]
    else:
        out["label"] = [label(n) for n in out["name"]]
    # two rows may share a label (the same name in two kinds): keep them apart
    dup = out["label"].duplicated(keep=False)
    if dup.any() and "kind" in out.columns:
        out.loc[dup, "label"] = out.loc[dup, "label"] + " (" + out.loc[dup, "kind"].astype(str) + ")"
    return out


def flag(code: object) -> str:
    """A country code with its flag (regional indicator letters); unknown codes as they are."""
    if not isinstance(code, str) or len(code) != 2 or not code.isascii() or not code.isalpha() or code.upper() == "ZZ":
        return UNKNOWN if not isinstance(code, str) or not code else code
    c = code.upper()
    return "".join(chr(0x1F1E6 + ord(ch) - ord("A")) for ch in c) + " " + c


def busiest(df: pd.DataFrame, column: str = "minutes") -> tuple[object, float] | None:
    """(period, value) of the row with the most `column`, or None for no rows."""
    if df.empty:
        return None
    values = pd.to_numeric(df[column], errors="coerce")
    i = values.idxmax()
    return df.at[i, "period"], float(values[i])


def count_text(n: object, noun: str, plural: str | None = None) -> str:
    """'1 play', '2,345 plays': a whole number and its noun, singular for exactly one."""
    value = int(n or 0)
    return f"{value:,} {noun if value == 1 else (plural or noun + 's')}"


def hours_text(minutes: float) -> str:
    minutes = float(minutes or 0)
    if minutes < 120:
        return f"{minutes:,.0f} min"
    return f"{minutes / 60:,.0f} h"


def percent(value: object) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    return "–" if pd.isna(v) else f"{v:.0%}"


def compare_table(df: pd.DataFrame) -> pd.DataFrame:
    """plays_compare's rows with a readable movement column (▲3, ▼2, =, new, dropped)."""
    out = df.copy()

    def move(r) -> str:
        if r.status == "new":
            return "🆕 new"
        if r.status == "dropped":
            return "dropped"
        change = int(r.change)
        return f"▲ {change}" if change > 0 else (f"▼ {-change}" if change < 0 else "=")

    out["movement"] = out.apply(move, axis=1) if len(out) else pd.Series(dtype="object")
    return out


# ---------------------------------------------------------------------------------------------
# Charts


PERIOD_STEP = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1),
               "year": pd.DateOffset(years=1)}


def timeline_chart(df: pd.DataFrame, grain: str, measure: str = "minutes") -> alt.Chart:
    """Minutes (or plays) per day / week / month as bars, each as wide as its period. Expects
    plays_timeline's columns."""
    data = _numeric(df, "minutes", "plays", "streams", "skips")
    data["period"] = pd.to_datetime(data["period"])
    data["period_end"] = data["period"] + PERIOD_STEP.get(grain, PERIOD_STEP["day"])
    fmt = {"day": "%a %d %b %Y", "week": "week of %d %b %Y", "month": "%B %Y"}.get(grain, "%Y-%m-%d")
    title = "Minutes" if measure == "minutes" else "Plays"
    months = (data["period_end"].max().to_period("M") - data["period"].min().to_period("M")).n if len(data) else 1
    return (
        alt.Chart(data)
        .mark_bar(color=SPOTIFY_GREEN, stroke="white", strokeWidth=0.5 if grain != "day" else 0,
                  **MANY_MARKS)
        .encode(
            x=alt.X("period:T", title=GRAINS.get(grain, grain),
                    axis=month_axis(months) if grain == "month" else date_axis(data["period"])),
            x2="period_end:T",
            y=alt.Y(f"{measure}:Q", title=title, axis=count_axis() if measure == "plays" else alt.Axis()),
            y2=alt.datum(0),   # with x and x2 both set, Vega-Lite would otherwise draw a thin tick at y
            tooltip=[alt.Tooltip("period:T", title=GRAINS.get(grain, grain), format=fmt),
                     alt.Tooltip("minutes:Q", title="Minutes", format=",.0f"),
                     alt.Tooltip("plays:Q", title="Plays", format=","),
                     alt.Tooltip("streams:Q", title="Streams", format=","),
                     alt.Tooltip("skips:Q", title="Skips", format=",")],
        )
        .properties(height=260)
    )


def year_months_chart(df: pd.DataFrame, year: int, measure: str = "minutes") -> alt.Chart:
    """Minutes (or plays) in each month of `year`, January to December (zero where nothing played).
    Expects plays_timeline's monthly rows."""
    months = pd.DataFrame({"period": pd.date_range(dt.date(year, 1, 1), periods=12, freq="MS")})
    data = _numeric(df, "minutes", "plays")
    if not data.empty:
        data = data.assign(period=pd.to_datetime(data["period"]))[["period", "minutes", "plays"]]
        months = months.merge(data, on="period", how="left")
    months = months.reindex(columns=["period", "minutes", "plays"]).fillna({"minutes": 0.0, "plays": 0.0})
    months["month"] = months["period"].dt.strftime("%b")
    order = months["month"].tolist()
    return (
        alt.Chart(months)
        .mark_bar(color=SPOTIFY_GREEN)
        .encode(
            x=alt.X("month:O", title=None, sort=order, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{measure}:Q", title="Minutes" if measure == "minutes" else "Plays",
                    axis=count_axis() if measure == "plays" else alt.Axis()),
            tooltip=[alt.Tooltip("period:T", title="Month", format="%B %Y"),
                     alt.Tooltip("minutes:Q", title="Minutes", format=",.0f"),
                     alt.Tooltip("plays:Q", title="Plays", format=",")],
        )
        .properties(height=220)
    )


def full_week_grid(df: pd.DataFrame) -> pd.DataFrame:
    """plays_heatmap's rows completed to every weekday x hour (zeros where nothing played)."""
    grid = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["weekday", "hour"]).to_frame(index=False)
    data = _numeric(df, "minutes", "plays")
    if not data.empty:
        data = data.astype({"weekday": "int64", "hour": "int64"})
    out = grid.merge(data, on=["weekday", "hour"], how="left").fillna({"minutes": 0.0, "plays": 0.0})
    out["day"] = out["weekday"].map(lambda d: WEEKDAYS[d - 1])
    return out


def heatmap_chart(df: pd.DataFrame, measure: str = "minutes") -> alt.Chart:
    """Hour of day (across) by weekday (down, Monday first), colour = minutes or plays."""
    data = full_week_grid(df)
    title = "Minutes" if measure == "minutes" else "Plays"
    return (
        alt.Chart(data)
        .mark_rect(cornerRadius=2, **MANY_MARKS)
        .encode(
            x=alt.X("hour:O", title="Hour of day"),
            y=alt.Y("day:O", title=None, sort=WEEKDAYS),
            color=alt.Color(f"{measure}:Q", title=title, scale=alt.Scale(scheme="greens"),
                            legend=count_legend() if measure == "plays" else alt.Legend()),
            tooltip=[alt.Tooltip("day:O", title="Day"), alt.Tooltip("hour:O", title="Hour"),
                     alt.Tooltip("minutes:Q", title="Minutes", format=",.0f"),
                     alt.Tooltip("plays:Q", title="Plays", format=",")],
        )
        .properties(height=230)
    )


NO_DATA_COLOR = "#e3e3e3"
CALENDAR_NOTE = ("Grey days are outside your data (before your first stream or after your last); a day in it "
                 "without a stream is the palest green.")


def calendar_frame(df: pd.DataFrame, year: int, first: dt.date | None = None,
                   last: dt.date | None = None) -> pd.DataFrame:
    """Every day of `year` with its week column (weeks start on Monday, week 0 holds 1 January),
    weekday and minutes / plays from plays_timeline's daily rows: zero on a day the data covers
    without a stream, empty (NaN) on a day outside first..last (before the first stream or after the
    last: no data, not no listening)."""
    days = pd.date_range(dt.date(year, 1, 1), dt.date(year, 12, 31), freq="D")
    out = pd.DataFrame({"date": days})
    data = _numeric(df, "minutes", "plays")
    if not data.empty:
        data = data.assign(date=pd.to_datetime(data["period"]))[["date", "minutes", "plays"]]
        out = out.merge(data, on="date", how="left")
    else:
        out["minutes"], out["plays"] = 0.0, 0.0
    out = out.fillna({"minutes": 0.0, "plays": 0.0})
    outside = pd.Series(False, index=out.index)
    if first is not None:
        outside |= out["date"] < pd.Timestamp(first)
    if last is not None:
        outside |= out["date"] > pd.Timestamp(last)
    out.loc[outside, ["minutes", "plays"]] = float("nan")
    out["covered"] = ~outside
    out["note"] = outside.map({True: "outside your data", False: "in your data"})
    first_monday_offset = days[0].weekday()
    out["week"] = (out["date"].dt.day_of_year - 1 + first_monday_offset) // 7
    out["day"] = out["date"].dt.day_of_week.map(lambda d: WEEKDAYS[d])
    out["month"] = out["date"].dt.strftime("%b")
    return out


def calendar_chart(df: pd.DataFrame, year: int, measure: str = "minutes", first: dt.date | None = None,
                   last: dt.date | None = None) -> alt.Chart:
    """A year as a calendar heatmap: a column per week, a row per weekday, colour = minutes (or
    plays), white-to-green from 0; days outside the data (calendar_frame) light grey.

    One layer of one square a day, its tooltip one line of text made here: the browser draws the
    chart after the run, evaluating each mark's encodings through Vega's expression interpreter,
    and a grey layer under a coloured one with a three-field formatted tooltip each made it do that
    for every day twice, with a date and two number formats per day."""
    data = calendar_frame(df, year, first, last)
    title = "Minutes" if measure == "minutes" else "Plays"
    when = data["date"].dt.strftime("%a %d %b %Y")
    said = (data["minutes"].round().map(lambda m: f"{m:,.0f} minutes") + ", "
            + data["plays"].map(lambda p: f"{p:,.0f} play" + ("" if p == 1 else "s")))
    data = data.assign(tip=when + ": " + said.where(data["covered"], "outside your data"))
    data[measure] = data[measure].where(data["covered"], 0.0)     # no empty value: the condition greys it
    color = alt.Color(f"{measure}:Q", title=title, scale=alt.Scale(scheme="greens", domainMin=0),
                      legend=(count_legend if measure == "plays" else alt.Legend)(
                          orient="bottom", direction="horizontal", gradientLength=220, titleOrient="left",
                          titleAnchor="start", titleBaseline="middle", offset=8))
    return alt.Chart(data[["week", "day", measure, "covered", "tip"]]).mark_rect(
        cornerRadius=2, stroke="white", strokeWidth=1, **MANY_MARKS).encode(
        x=alt.X("week:O", title=None, axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("day:O", title=None, sort=WEEKDAYS),
        color=alt.condition("datum.covered", color, alt.value(NO_DATA_COLOR)),
        tooltip=alt.Tooltip("tip:N"),
    ).properties(height=170, title=str(year))


def skip_rate_by_hour_chart(df: pd.DataFrame, title: str | None = None) -> alt.Chart:
    """Skip rate per local hour of day. Expects plays_by_hour's columns."""
    data = _numeric(df, "minutes", "streams", "skips", "skip_known", "skip_rate")
    return (
        alt.Chart(data)
        .mark_bar(color="#E4572E")
        .encode(
            x=alt.X("hour:O", title="Hour of day"),
            y=alt.Y("skip_rate:Q", title="Skip rate", axis=alt.Axis(format="%"), scale=alt.Scale(domainMin=0)),
            tooltip=[alt.Tooltip("hour:O", title="Hour"), alt.Tooltip("skip_rate:Q", title="Skip rate", format=".1%"),
                     alt.Tooltip("skips:Q", title="Skips", format=","),
                     alt.Tooltip("skip_known:Q", title="Streams saying", format=",")],
        )
        .properties(height=240, **_title(title))
    )


def platforms_chart(df: pd.DataFrame, measure: str = "plays", title: str | None = None) -> alt.Chart:
    """Plays per platform family, with the skip rate in the tooltip. Expects plays_platforms."""
    data = _numeric(df, "plays", "minutes", "streams", "skips", "skip_known", "skip_rate", "platforms")
    return (
        alt.Chart(data)
        .mark_bar(color=SPOTIFY_GREEN)
        .encode(
            x=alt.X(f"{measure}:Q", title="Plays" if measure == "plays" else "Skip rate",
                    axis=alt.Axis(format="%") if measure == "skip_rate" else count_axis()),
            y=alt.Y("family:N", title=None, sort=alt.EncodingSortField(measure, order="descending"),
                    axis=alt.Axis(labelOverlap=False, labelLimit=220)),
            tooltip=[alt.Tooltip("family:N", title="Platform"), alt.Tooltip("plays:Q", title="Plays", format=","),
                     alt.Tooltip("minutes:Q", title="Minutes", format=",.0f"),
                     alt.Tooltip("skip_rate:Q", title="Skip rate", format=".1%"),
                     alt.Tooltip("most_used:N", title="Most used")],
        )
        .properties(height=max(140, 28 * len(data)), **_title(title))
    )


def _title(title: str | None) -> dict:
    """A chart's title, left-aligned as a bold line of text above it would be (a title drawn by the
    chart rather than a markdown element beside it: one element fewer for the browser to mount)."""
    return {"title": alt.Title(title, anchor="start", fontSize=14)} if title else {}


def countries_chart(df: pd.DataFrame) -> alt.Chart:
    """Plays per country (conn_country). Expects plays_top's columns at the country level."""
    data = _numeric(df, "plays", "minutes")
    data["country"] = [flag(c) for c in data["name"]] if len(data) else pd.Series(dtype="object")
    return (
        alt.Chart(data)
        .mark_bar(color="#509EE3")
        .encode(
            x=alt.X("plays:Q", title="Plays", axis=count_axis()),
            y=alt.Y("country:N", title=None, sort=alt.EncodingSortField("plays", order="descending"),
                    axis=alt.Axis(labelOverlap=False)),
            tooltip=[alt.Tooltip("country:N", title="Country"), alt.Tooltip("plays:Q", title="Plays", format=","),
                     alt.Tooltip("minutes:Q", title="Minutes", format=",.0f")],
        )
        .properties(height=max(140, 24 * len(data)))
    )


def session_lengths_chart(df: pd.DataFrame) -> alt.Chart:
    """Sessions per length band, bands in order. Expects plays_session_lengths."""
    data = _numeric(df, "sessions")
    return (
        alt.Chart(data)
        .mark_bar(color=SPOTIFY_GREEN)
        .encode(
            x=alt.X("label:N", title="Session length", sort=alt.EncodingSortField("band")),
            y=alt.Y("sessions:Q", title="Sessions", axis=count_axis()),
            tooltip=[alt.Tooltip("label:N", title="Length"), alt.Tooltip("sessions:Q", title="Sessions", format=",")],
        )
        .properties(height=240)
    )


def new_artists_chart(df: pd.DataFrame, since: dt.date | None = None, until: dt.date | None = None) -> alt.Chart:
    """New artists per month, over the months of since..until (so one month with new artists is one
    bar among the range's months, not a bar across the plot). Expects plays_new_artists."""
    data = _numeric(df, "new_artists")
    data["month"] = pd.to_datetime(data["month"])
    data["month_end"] = data["month"] + PERIOD_STEP["month"]
    lo = pd.Timestamp(since).to_period("M").to_timestamp() if since else data["month"].min()
    hi = (pd.Timestamp(until).to_period("M") + 1).to_timestamp() if until else data["month_end"].max()
    months = max(1, (hi.to_period("M") - lo.to_period("M")).n) if len(data) or since else 1
    scale = (alt.Scale(domain=[alt.DateTime(year=t.year, month=t.month, date=1) for t in (lo, hi)])
             if pd.notna(lo) and pd.notna(hi) else alt.Scale())
    return (
        alt.Chart(data)
        .mark_bar(color="#9B5DE5", stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("month:T", title="Month", axis=month_axis(months), scale=scale),
            x2="month_end:T",
            y=alt.Y("new_artists:Q", title="New artists", axis=count_axis()),
            y2=alt.datum(0),
            tooltip=[alt.Tooltip("month:T", title="Month", format="%B %Y"),
                     alt.Tooltip("new_artists:Q", title="New artists", format=","),
                     alt.Tooltip("first_ones:N", title="First of them")],
        )
        .properties(height=240)
    )
