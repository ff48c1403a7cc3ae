"""The raw_json explorer's tables, captions and charts: plain functions, testable without Streamlit."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal

import altair as alt
import pandas as pd

from db import queries, search
from ui.charts import count_axis
from ui.text import literal

LABEL_CHARS = 60

INVENTORY_COLUMNS = {"path": "Key path", "types": "JSON types", "tracks": "Tracks", "share": "Share of tracks"}
VALUES_COLUMNS = {"value": "Value", "type": "JSON type", "count": "Count", "share": "Share of values",
                  "tracks": "Tracks"}
MATCH_COLUMNS = {"name": "Track", "artist_name": "Artist", "album_name": "Album", "track_id": "Track ID"}
PLAY_MATCH_COLUMNS = {"ended_at": "Ended (UTC)", "kind": "Kind", "track": "Track / episode", "artist": "Artist / show",
                      "album": "Album", "ms_played": "Played (ms)", "platform": "Platform", "country": "Country"}


@dataclass(frozen=True)
class Source:
    """What the explorer explores: tracks.raw_json (Spotify track objects) or plays.raw_json (export
    records). The page runs the same sections over either; this says which named queries, widget
    keys and words each uses."""
    name: str                  # the URL's `source` value
    label: str                 # the source choice's label
    noun: str                  # "track"
    nouns: str                 # "tracks"; also the count column of the inventory and values queries
    prefix: str                # widget keys: prefix + "containment", ... ("" for tracks: the keys of old links)
    info: str
    inventory_list: str
    values: str
    histogram: str
    filters: dict              # "containment" | "@@" | "@?" -> named query
    preferred_paths: tuple[str, ...]
    containment_example: str
    containment_help: str
    jsonpath_example: str
    jsonpath_help: str
    path_examples: tuple[str, ...] = ()   # key paths offered as the typed path's placeholder (each finds values in the demo)

    def key(self, name: str) -> str:
        return self.prefix + name


TRACKS = Source(
    name="tracks", label="Tracks", noun="track", nouns="tracks", prefix="",
    info="json_path_inventory_info", inventory_list="json_path_inventory_list", values="json_path_values",
    histogram="json_path_histogram",
    filters={"containment": "explorer_filter_containment", "@@": "explorer_filter_jsonpath_match",
             "@?": "explorer_filter_jsonpath_exists"},
    preferred_paths=("popularity", "album.release_date_precision", "album.album_type"),
    containment_example='{"explicit": true}',
    containment_help='An object or array: {"explicit": true}, {"album": {"album_type": "single"}}, '
                     '{"artists": [{"name": "Björk"}]}. Uses the raw_json GIN index.',
    jsonpath_example="$.popularity > 80",
    jsonpath_help='A predicate such as $.popularity > 80 or $.album.release_date like_regex "^199" (@@), or a '
                  "path such as $.album.images[*] ? (@.width > 600) (@?: matches when it selects anything). "
                  "Equality tests use the GIN index.",
    path_examples=("album.images[*].url", "artists[0].name"))

PLAYS = Source(
    name="plays", label="Plays", noun="play", nouns="plays", prefix="plays_",
    info="plays_json_path_inventory_info", inventory_list="plays_json_path_inventory_list",
    values="plays_json_path_values", histogram="plays_json_path_histogram",
    filters={"containment": "explorer_plays_filter_containment", "@@": "explorer_plays_filter_jsonpath_match",
             "@?": "explorer_plays_filter_jsonpath_exists"},
    preferred_paths=("reason_end", "platform", "conn_country"),
    containment_example='{"shuffle": true}',
    containment_help='An object or array: {"shuffle": true}, {"reason_end": "fwdbtn", "skipped": true}, '
                     '{"conn_country": "DE"}. Plays have no index on raw_json: the newest plays are read until '
                     "enough match.",
    jsonpath_example="$.ms_played > 600000",
    jsonpath_help='A predicate such as $.ms_played > 600000 or $.ts like_regex "^2024-12" (@@), or a path such as '
                  '$.listening_context ? (@.type == "playlist") (@?: matches when it selects anything). Plays '
                  "have no index on raw_json: the newest plays are read until enough match.",
    path_examples=("listening_context.type", "master_metadata_track_name"))

SOURCES = {s.name: s for s in (TRACKS, PLAYS)}


def parse_source(text: str | None, has_tracks: bool, has_plays: bool) -> tuple[Source, str | None]:
    """The source a link asks for (`?source=plays`), or the default and a short reason: Tracks, or Plays
    when there are plays and no tracks. Plays only when there are plays."""
    default = PLAYS if has_plays and not has_tracks else TRACKS
    if text is None or text == "":
        return default, None
    wanted = SOURCES.get(text.strip().lower()) if isinstance(text, str) else None
    if wanted is None:
        return default, "unknown source"
    if wanted is PLAYS and not has_plays:
        return default, "there are no plays"
    return wanted, None


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


md = literal   # the one helper of every page (ui/text.py), under this module's short name


# ---------------------------------------------------------------------------------------------
# Inventory


def _when(value) -> str:
    return f" on {pd.Timestamp(value):%Y-%m-%d %H:%M}" if value is not None and not pd.isna(value) else ""


def _day(value) -> str | None:
    return f"{pd.Timestamp(value):%Y-%m-%d}" if value is not None and not pd.isna(value) else None


def has_inventory(info: dict) -> bool:
    scanned, total = info.get("scanned"), info.get("total")
    return not (scanned is None or total is None or (isinstance(scanned, float) and math.isnan(scanned)))


def inventory_caption(info: dict, source: Source = TRACKS) -> str:
    """Where the key-path inventory comes from: all tracks / plays, or a sample of N of M (and when)."""
    if not has_inventory(info):
        return "The key-path inventory has not been computed yet."
    scanned, total = as_int(info.get("scanned")), as_int(info.get("total"))
    when_text = _when(info.get("computed_at"))
    if source is PLAYS:
        first, last = _day(info.get("first_at")), _day(info.get("last_at"))
        span = f", {first} to {last}" if first and last else ""
        if scanned < total:
            step = total / scanned if scanned else 0
            return (f"Precomputed at import{when_text} from a sample of {scanned:,} of {total:,} plays, spread "
                    f"evenly over time (about one in every {step:,.0f} plays in time order{span}): play counts are "
                    "within the sample, and a key path that only a few unsampled plays have may be missing.")
        return f"Precomputed at import{when_text} from all {total:,} plays{span}."
    if scanned < total:
        return (f"Precomputed at import{when_text} from a sample of {scanned:,} of {total:,} tracks (a fixed "
                f"sample, the first {scanned:,} by md5 of the track ID): track counts are within the sample, and "
                "a key path that only a few unsampled tracks have may be missing.")
    return f"Precomputed at import{when_text} from all {total:,} tracks."


def inventory_table(df: pd.DataFrame, unit: str = "tracks") -> pd.DataFrame:
    """path, types ('string, null'), `unit` (tracks or plays having it), share (0..1) for display."""
    out = pd.DataFrame({
        "path": list(df.get("path", [])),
        "types": [", ".join(t) if isinstance(t, (list, tuple)) else str(t) for t in df.get("types", [])],
        unit: [as_int(v) for v in df.get(unit, [])],
        "share": [as_float(v) for v in df.get("share", [])],
    })
    return out


def default_path(paths: list[str], preferred: tuple[str, ...] = TRACKS.preferred_paths) -> str | None:
    """A path worth showing first: a well-known Spotify field when present, else the first path."""
    for p in preferred:
        if p in paths:
            return p
    return paths[0] if paths else None


# ---------------------------------------------------------------------------------------------
# Value distribution


def values_summary(df: pd.DataFrame, unit: str = "tracks") -> dict:
    """Totals repeated on every json_path_values / plays_json_path_values row, as plain ints (zeros
    when there are no rows). Keys: with_path, scanned (tracks or plays), total_values, ..."""
    if df.empty:
        return {"with_path": 0, "scanned": 0, "total_values": 0, "distinct_values": 0,
                "numeric_values": 0, "capped": False}
    row = df.iloc[0]
    return {"with_path": as_int(row[f"{unit}_with_path"]), "scanned": as_int(row[f"scanned_{unit}"]),
            "total_values": as_int(row["total_values"]), "distinct_values": as_int(row["distinct_values"]),
            "numeric_values": as_int(row["numeric_values"]), "capped": bool(row["capped"])}


def values_caption(summary: dict, info: dict, max_values: int, source: Source = TRACKS) -> str:
    scanned = summary["scanned"]
    total = as_int(info.get("total"), scanned)
    if source is PLAYS and not has_inventory(info):
        origin = f"the newest {scanned:,} plays (no sample has been computed yet: it is, at the next import)"
    elif source is PLAYS:
        origin = (f"the inventory's sample of {scanned:,} of {total:,} plays, spread over time; never more than "
                  "5,000 plays are read, however many there are" if scanned < total else f"all {scanned:,} plays")
    else:
        origin = (f"a sample of {scanned:,} of {total:,} tracks (the inventory's sample)" if scanned < total
                  else f"all {scanned:,} tracks")
    text = f"Computed live from {origin}."
    if summary["capped"]:
        text += f" Only the first {max_values:,} values were read (this path has many values per {source.noun})."
    return text


def values_table(df: pd.DataFrame, unit: str = "tracks") -> pd.DataFrame:
    cols = ["value", "type", "count", "share", unit]
    out = df[cols].copy() if not df.empty else pd.DataFrame(columns=cols)
    out["count"] = [as_int(v) for v in out["count"]]
    out[unit] = [as_int(v) for v in out[unit]]
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


def top_values_chart(df: pd.DataFrame, title: str = "Top values", unit: str = "tracks") -> alt.Chart:
    """Horizontal bars: the most frequent values at a path, most frequent on top."""
    data = values_table(df, unit)
    data["label"] = _labels(data["value"].tolist())
    return alt.Chart(data, title=title).mark_bar().encode(
        x=alt.X("count:Q", title="Times found", axis=count_axis()),
        y=alt.Y("label:N", sort=data["label"].tolist(), title=None,
                axis=alt.Axis(labelLimit=360, labelOverlap=False)),
        tooltip=[alt.Tooltip("value:N", title="Value"), alt.Tooltip("type:N", title="JSON type"),
                 alt.Tooltip("count:Q", title="Count", format=","),
                 alt.Tooltip("share:Q", title="Share of values", format=".1%"),
                 alt.Tooltip(f"{unit}:Q", title=unit.capitalize(), format=",")],
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
        y=alt.Y("count:Q", title="Values", axis=count_axis()),
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


def match_caption(rows: int, truncated: bool, source: Source = TRACKS) -> str:
    noun = source.noun
    if rows == 0:
        return f"No {noun} matches."
    if source is PLAYS:
        if truncated:
            return f"The newest {rows:,} matching plays (more match; the query stops at the row cap)."
        return f"{rows:,} matching play{'s' if rows != 1 else ''}, newest first."
    if truncated:
        return f"The first {rows:,} matching tracks (more match; the query stops at the row cap)."
    return f"{rows:,} matching track{'s' if rows != 1 else ''}."


PLAYS_SCAN_NOTE = ("Plays have no index on raw_json (one would slow the import of a large export), so these filters "
                   "scan: the newest plays are read in ended_at order until {limit:,} match, or the whole table when "
                   "few or none match, within the explorer's time limit of {seconds:g} s.")


def plays_scan_note(limit: int, timeout_ms: int) -> str:
    return PLAYS_SCAN_NOTE.format(limit=limit, seconds=timeout_ms / 1000)


def play_id(row) -> str:
    """A play's natural key as one string (ended_at ISO with offset | ms_played | item_key), for a selectbox."""
    return f"{pd.Timestamp(row['ended_at']).isoformat()}|{as_int(row['ms_played'])}|{row['item_key']}"


def parse_play_id(text: str) -> dict | None:
    """explorer_play_payload's parameters from play_id()'s string; None when it is not one."""
    parts = text.split("|") if isinstance(text, str) else []
    if len(parts) != 3 or not re.fullmatch(r"\d{1,10}", parts[1]):
        return None
    return {"ended_at": parts[0], "ms_played": int(parts[1]), "item_key": parts[2]}


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def play_label(row) -> str:
    """'2024-05-01 12:00:00 UTC · Track — Artist' (or the kind when the record names nothing)."""
    when = f"{pd.Timestamp(row['ended_at']).tz_convert('UTC'):%Y-%m-%d %H:%M:%S} UTC"
    track, artist = row.get("track"), row.get("artist")
    what = " — ".join(str(v) for v in (track, artist) if not _blank(v)) or f"({row.get('kind') or 'unknown'})"
    return f"{when} · {what}"


def play_labels(df: pd.DataFrame) -> dict[str, str]:
    """play_id -> label for a selectbox, in the frame's order."""
    if df is None or df.empty:
        return {}
    return {play_id(r): play_label(r) for _, r in df.iterrows()}


def play_matches_table(df: pd.DataFrame) -> pd.DataFrame:
    """The filter results for display: ended_at in UTC, without the item_key hash."""
    out = df[[c for c in PLAY_MATCH_COLUMNS if c in df.columns]].copy()
    if "ended_at" in out.columns and not out.empty:
        out["ended_at"] = pd.to_datetime(out["ended_at"], utc=True).dt.tz_localize(None)
    return out


def play_heading(row) -> str:
    """The line above a play's payload: when it ended (UTC), track, artist (shown literally)."""
    when = f"{pd.Timestamp(row['ended_at']).tz_convert('UTC'):%Y-%m-%d %H:%M:%S} UTC"
    parts = [f"**{md(when)}**"]
    for v in (row.get("track"), row.get("artist"), row.get("album")):
        parts.append(md(v) if not _blank(v) else "—")
    parts.append(md(f"{as_int(row.get('ms_played')):,} ms · {row.get('kind')} · {row.get('source')}"))
    return " · ".join(parts)


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


# ---------------------------------------------------------------------------------------------
# Finding a play by name (explorer_plays_lookup)


def play_lookup_params(text, limit: int) -> dict | None:
    """explorer_plays_lookup's parameters for what the user typed (any text: db.search cleans it, cuts
    it at 200 characters and builds a tsquery no input can break), or None when it holds nothing to
    look for (blank, only symbols, only -exclusions)."""
    q = search.parse(text)
    if q.empty:
        return None
    params = q.params(limit)
    return {"tsq": params["tsq"], "fuzzy": params["fuzzy"], "limit": int(limit)}


def play_lookup_label(row) -> str:
    """'2024-05-01 12:00:00 UTC · Track — Artist · Album (music)': a found play, for a selectbox."""
    album, kind = row.get("album"), row.get("kind")
    text = play_label(row)
    if not _blank(album):
        text += f" · {album}"
    return f"{text} ({kind})" if not _blank(kind) else text


def play_lookup_labels(df: pd.DataFrame) -> dict[str, str]:
    """play_id -> play_lookup_label, in the frame's order (newest first)."""
    if df is None or df.empty:
        return {}
    return {play_id(r): play_lookup_label(r) for _, r in df.iterrows()}


def play_lookup_caption(rows: int, limit: int, similar: bool, typed: str) -> str:
    """What the lookup found, as a caption (shown literally: pass it through md())."""
    text = search.clean(typed)[0]
    shown = text if len(text) <= 60 else text[:59] + "…"
    if rows == 0:
        return f"No track, artist, album, show or episode you played matches {shown!r}."
    what = "similar names (nothing matched exactly)" if similar else "the matching tracks, artists, shows or episodes"
    if rows >= limit:
        return f"The newest {rows:,} plays of {what}."
    return f"All {rows:,} play{'s' if rows != 1 else ''} of {what}, newest first."
