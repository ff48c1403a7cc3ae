"""The raw_json explorer's tables, captions and charts: plain functions, testable without Streamlit."""
from __future__ import annotations

import json
import math
import re
from decimal import Decimal

import altair as alt
import pandas as pd

from db import queries

LABEL_CHARS = 60
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")

INVENTORY_COLUMNS = {"path": "Key path", "types": "JSON types", "tracks": "Tracks", "share": "Share of tracks"}
VALUES_COLUMNS = {"value": "Value", "type": "JSON type", "count": "Count", "share": "Share of values",
                  "tracks": "Tracks"}
MATCH_COLUMNS = {"name": "Track", "artist_name": "Artist", "album_name": "Album", "track_id": "Track ID"}


def as_int(value, default: int = 0) -> int:
    try:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return default
        return int(value)
    except (TypeError, ValueError):
        return default


def as_float(value) -> float | None:
    """A finite float, or None (Decimal('1e400') and NaN have no place on a chart axis)."""
    try:
        out = float(value) if isinstance(value, (Decimal, int, float, str)) else None
    except (ValueError, OverflowError):
        return None
    return out if out is not None and math.isfinite(out) else None


def md(text) -> str:
    """`text` shown literally by st.markdown / st.caption / st.error: Markdown, LaTeX ($), emoji
    shortcodes (:x:) and HTML entities escaped, line breaks flattened (track names, user input)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", str(text)))


# ---------------------------------------------------------------------------------------------
# Inventory


def inventory_caption(info: dict) -> str:
    """Where the key-path inventory comes from: all tracks, or a sample of N of M (and when)."""
    scanned, total = info.get("scanned"), info.get("total")
    if scanned is None or total is None or (isinstance(scanned, float) and math.isnan(scanned)):
        return "The key-path inventory has not been computed yet."
    scanned, total = as_int(scanned), as_int(total)
    when = info.get("computed_at")
    when_text = f" on {pd.Timestamp(when):%Y-%m-%d %H:%M}" if when is not None and not pd.isna(when) else ""
    if scanned < total:
        return (f"Precomputed at import{when_text} from a sample of {scanned:,} of {total:,} tracks (a fixed "
                f"sample, the first {scanned:,} by md5 of the track ID): track counts are within the sample, and "
                "a key path that only a few unsampled tracks have may be missing.")
    return f"Precomputed at import{when_text} from all {total:,} tracks."


def inventory_table(df: pd.DataFrame) -> pd.DataFrame:
    """path, types ('string, null'), tracks, share (0..1) for display."""
    out = pd.DataFrame({
        "path": list(df.get("path", [])),
        "types": [", ".join(t) if isinstance(t, (list, tuple)) else str(t) for t in df.get("types", [])],
        "tracks": [as_int(v) for v in df.get("tracks", [])],
        "share": [as_float(v) for v in df.get("share", [])],
    })
    return out


def default_path(paths: list[str], preferred: tuple[str, ...] = ("popularity", "album.release_date_precision",
                                                                   "album.album_type")) -> str | None:
    """A path worth showing first: a well-known Spotify field when present, else the first path."""
    for p in preferred:
        if p in paths:
            return p
    return paths[0] if paths else None


# ---------------------------------------------------------------------------------------------
# Value distribution


def values_summary(df: pd.DataFrame) -> dict:
    """Totals repeated on every json_path_values row, as plain ints (zeros when there are no rows)."""
    if df.empty:
        return {"tracks_with_path": 0, "scanned_tracks": 0, "total_values": 0, "distinct_values": 0,
                "numeric_values": 0, "capped": False}
    row = df.iloc[0]
    return {"tracks_with_path": as_int(row["tracks_with_path"]), "scanned_tracks": as_int(row["scanned_tracks"]),
            "total_values": as_int(row["total_values"]), "distinct_values": as_int(row["distinct_values"]),
            "numeric_values": as_int(row["numeric_values"]), "capped": bool(row["capped"])}


def values_caption(summary: dict, info: dict, max_values: int) -> str:
    scanned, total = summary["scanned_tracks"], as_int(info.get("total"), summary["scanned_tracks"])
    source = (f"a sample of {scanned:,} of {total:,} tracks (the inventory's sample)" if scanned < total
              else f"all {scanned:,} tracks")
    text = f"Computed live from {source}."
    if summary["capped"]:
        text += f" Only the first {max_values:,} values were read (this path has many values per track)."
    return text


def values_table(df: pd.DataFrame) -> pd.DataFrame:
    cols = ["value", "type", "count", "share", "tracks"]
    out = df[cols].copy() if not df.empty else pd.DataFrame(columns=cols)
    out["count"] = [as_int(v) for v in out["count"]]
    out["tracks"] = [as_int(v) for v in out["tracks"]]
    out["share"] = [as_float(v) for v in out["share"]]
    return out


def _labels(values: list[str]) -> list[str]:
    """Axis labels: values cut to LABEL_CHARS, made unique (two long values may share a prefix)."""
    out, seen = [], set()
    for i, v in enumerate(values, start=1):
        text = "(empty string)" if v == "" else str(v)
        label = text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"
        if label in seen:
            label = f"{label} #{i}"
        seen.add(label)
        out.append(label)
    return out


def top_values_chart(df: pd.DataFrame, title: str = "Top values") -> alt.Chart:
    """Horizontal bars: the most frequent values at a path, most frequent on top."""
    data = values_table(df)
    data["label"] = _labels(data["value"].tolist())
    return alt.Chart(data, title=title).mark_bar().encode(
        x=alt.X("count:Q", title="Values"),
        y=alt.Y("label:N", sort=data["label"].tolist(), title=None,
                axis=alt.Axis(labelLimit=360, labelOverlap=False)),
        tooltip=[alt.Tooltip("value:N", title="Value"), alt.Tooltip("type:N", title="JSON type"),
                 alt.Tooltip("count:Q", title="Count", format=","),
                 alt.Tooltip("share:Q", title="Share of values", format=".1%"),
                 alt.Tooltip("tracks:Q", title="Tracks", format=",")],
    ).properties(height=alt.Step(20))


def histogram_frame(df: pd.DataFrame) -> pd.DataFrame:
    """json_path_histogram rows with float bounds; bins whose bounds are not finite floats are dropped."""
    cols = ["bin_start", "bin_end", "count"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame({"bin_start": [as_float(v) for v in df["bin_start"]],
                        "bin_end": [as_float(v) for v in df["bin_end"]],
                        "count": [as_int(v) for v in df["count"]]})
    return out.dropna(subset=["bin_start", "bin_end"]).reset_index(drop=True)


def histogram_chart(df: pd.DataFrame, title: str = "Numbers at this path") -> alt.Chart:
    data = histogram_frame(df)
    return alt.Chart(data, title=title).mark_bar().encode(
        x=alt.X("bin_start:Q", title="Value", bin="binned"),
        x2="bin_end:Q",
        y=alt.Y("count:Q", title="Values"),
        tooltip=[alt.Tooltip("bin_start:Q", title="From", format=",.4~g"),
                 alt.Tooltip("bin_end:Q", title="To", format=",.4~g"),
                 alt.Tooltip("count:Q", title="Values", format=",")],
    )


# ---------------------------------------------------------------------------------------------
# Filters and payloads


def generated_sql(name: str) -> str:
    """The named query's SQL exactly as it runs (values are bound separately, never in this text)."""
    q = queries.get(name)
    return f"-- name: {name}\n-- {q.doc}\n{q.sql.replace(chr(92) + ':', ':')};"


def bound_values(params: dict) -> str:
    """The bound parameter values, as JSON, for showing beside the SQL."""
    return json.dumps(params, ensure_ascii=False, indent=2, default=str)


def match_caption(rows: int, truncated: bool) -> str:
    if rows == 0:
        return "No track matches."
    if truncated:
        return f"The first {rows:,} matching tracks (more match; the query stops at the row cap)."
    return f"{rows:,} matching track{'s' if rows != 1 else ''}."


def track_label(row) -> str:
    artist = row.get("artist_name") if hasattr(row, "get") else None
    return f"{row['name']} — {artist} ({row['track_id']})" if artist else f"{row['name']} ({row['track_id']})"


def track_labels(df: pd.DataFrame) -> dict[str, str]:
    """track_id -> 'Name — Artist (id)' for a selectbox, in the frame's order."""
    if df.empty:
        return {}
    return {str(r["track_id"]): track_label(r) for _, r in df.iterrows()}


def payload_body(raw) -> object:
    """raw_json as st.json takes it: parsed JSON (psycopg2 returns jsonb parsed already)."""
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode("utf-8", "replace")
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw
