"""The search page's helpers: highlighting, safe links and images, the results list and table, the
rank-history chart and summary; the same for what was played ("In your plays": search_play_items
rows and one item's monthly plays). Plain functions (no Streamlit calls), testable on their own.

Text from the database is never trusted: the results list is HTML built here with every piece of
track text escaped (a track named `<script>` or `**x**` shows literally), links only to spotify.com
and album images only from Spotify's image hosts (ui/text.py).
"""
from __future__ import annotations

import base64
import difflib
import functools
import html
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import altair as alt
import numpy as np
import pandas as pd

from db import search
from ui.charts import TIME_RANGE_LABELS, date_axis, range_label
from ui.plays_view import DEFAULT_THRESHOLD, threshold_text
from ui.text import (
    image_url,
    literal,
    safe_url,  # noqa: F401 - re-exported: the search tests import it from here
    spotify_links,
)

MARK_STYLE = "background: rgba(29, 185, 84, 0.35); color: inherit; border-radius: 2px; padding: 0 1px"
CANDIDATE_CAP = 1000        # the searches rank this many matches in table order, and some by name
# what a capped search ranks, by `what` (CANDIDATES_NOTE in db/sql/search.sql)
CAPPED_TEXT = {"tracks": f"the best of the first {CANDIDATE_CAP:,} and of the names starting with your words",
               "played items": f"the best of the {CANDIDATE_CAP:,} most streamed and of the names starting with your words"}
FUZZY_RATIO = 0.75          # a word this close to a query word is highlighted in a 'similar' result
RANGE_ORDER = list(TIME_RANGE_LABELS.values())


# ---------------------------------------------------------------------------------------------
# Escaping and URLs


escape_markdown = literal     # the one helper of every page (ui/text.py), under this module's old name


def smallest_image(images: object) -> str | None:
    """The URL of the smallest image in a Spotify `album.images` list (any width unknown counts as
    largest), or None when there is no usable one: only https images on Spotify's image hosts count
    (ui.text.image_url), so a viewer's browser never loads an image from a host the data names."""
    if not isinstance(images, list):
        return None
    best: tuple[float, str] | None = None
    for image in images:
        if not isinstance(image, dict):
            continue
        url = image_url(image.get("url"))
        if url is None:
            continue
        width = image.get("width")
        size = float(width) if isinstance(width, (int, float)) and not isinstance(width, bool) else float("inf")
        if best is None or size < best[0]:
            best = (size, url)
    return best[1] if best else None


# ---------------------------------------------------------------------------------------------
# Highlighting


CACHED_WORD_CHARS = 64     # longer words are worked out each time: the caches stay small, whatever the data


def _remembered_when_short(fn):
    """`fn` of strings, memoised while every argument is at most CACHED_WORD_CHARS long: every shown
    name is highlighted again on each keystroke, and the same words (an artist's name on each of its
    tracks) come back. The cache is `.cache` (an lru_cache)."""
    cached = functools.lru_cache(maxsize=8192)(fn)

    @functools.wraps(fn)
    def call(*args: str):
        return (cached if all(len(a) <= CACHED_WORD_CHARS for a in args) else fn)(*args)

    call.cache = cached
    return call


@_remembered_when_short
def _folded_with_index(word: str) -> tuple[str, tuple[int, ...]]:
    """`word` folded, and for each folded character the index of the source character it came from."""
    folded, index = [], []
    for i, c in enumerate(word):
        for f in search.fold_char(c):
            folded.append(f)
            index.append(i)
    return "".join(folded), tuple(index)


@_remembered_when_short
def _close(folded: str, needle: str) -> bool:
    """A word close enough to a query word to mark it in a typo-tolerant result."""
    return difflib.SequenceMatcher(None, folded, needle).ratio() >= FUZZY_RATIO


def highlight_spans(text: object, needles: list[tuple[str, bool]], fuzzy: bool = False) -> list[tuple[str, bool]]:
    """Split `text` into (piece, matched) pieces. `needles` are (folded word, prefix?) pairs from
    SearchQuery.needles(): a word of the text matches when its folded form starts with a prefix
    needle or equals a whole-word needle (Chinese/Japanese/Korean needles also match inside a word).
    With `fuzzy` (a typo-tolerant result), words close to a needle are marked whole."""
    text = "" if text is None else str(text)
    marks = [False] * len(text)
    for m in search.WORD.finditer(text):
        folded, index = _folded_with_index(m.group())
        if not folded:
            continue
        for needle, prefix in needles:
            if not needle:
                continue
            at = -1
            if folded.startswith(needle) and (prefix or len(folded) == len(needle)):
                at = 0
            elif search.unspaced(needle):
                at = folded.find(needle)
            if at >= 0:
                lo, hi = index[at], index[at + len(needle) - 1]
                marks[m.start() + lo:m.start() + hi + 1] = [True] * (hi - lo + 1)
            elif fuzzy and len(needle) >= 4 and _close(folded, needle):
                marks[m.start():m.end()] = [True] * (m.end() - m.start())
    pieces: list[tuple[str, bool]] = []
    start = 0
    for k in range(1, len(text) + 1):
        if k == len(text) or marks[k] != marks[start]:
            pieces.append((text[start:k], marks[start]))
            start = k
    return pieces


def highlight_html(text: object, needles: list[tuple[str, bool]], fuzzy: bool = False) -> str:
    """`text` HTML-escaped, with the matched parts in <mark>."""
    return "".join(f'<mark style="{MARK_STYLE}">{html.escape(piece)}</mark>' if marked else html.escape(piece)
                   for piece, marked in highlight_spans(text, needles, fuzzy))


# ---------------------------------------------------------------------------------------------
# Results


def _objects(values: list, index) -> pd.Series:
    """`values` as an object column: a missing link stays None (pandas would read a list of
    strings and None as a string column holding NaN, which is truthy)."""
    return pd.Series(values, index=index, dtype="object")


def prepare_results(df: pd.DataFrame) -> pd.DataFrame:
    """search_tracks rows with a safe `image` (smallest album image) and `spotify` link, and `year`
    as a nullable integer."""
    out = df.copy()
    out["image"] = _objects([smallest_image(v) for v in out["images"]], out.index)
    out["spotify"] = _objects(spotify_links(out["spotify_url"]), out.index)
    out["year"] = pd.to_numeric(out["year"], errors="coerce").astype("Int64")
    return out.drop(columns=["images"])


def result_label(row) -> str:
    """Plain text naming a result: 'Track — Artist (Album, 1989)'."""
    extra = ", ".join(str(x) for x in (row["album_name"], row["year"]) if x is not None and not pd.isna(x))
    return f"{row['name']} — {row['artist_name']}" + (f" ({extra})" if extra else "")


def album_tile(url: object) -> str:
    """A 48 px album tile: the image as a background over a grey square, so an image that cannot
    load (offline, a removed cover) leaves the grey square instead of a broken-image icon. Only an
    image_url (https, one of Spotify's image hosts, no quotes, spaces or backslashes) reaches the CSS
    url('...'); any other URL leaves the grey square alone."""
    url = image_url(url)
    picture = f" url('{html.escape(url)}') center / cover no-repeat" if url else ""
    return ('<div style="width: 48px; height: 48px; flex: none; border-radius: 4px; '
            f'background: rgba(128, 128, 128, 0.2){picture}"></div>')


PICK_LINK_STYLE = "color: inherit; text-decoration: none"


def pick_link(title_html: str, href: str | None) -> str:
    """The result's title as a link that chooses it (the same page, with ?pick=...), or as it is."""
    if not href:
        return title_html
    return (f'<a class="mtm-pick" href="{html.escape(href)}" style="{PICK_LINK_STYLE}" '
            f'title="Show its history">{title_html}</a>')


def pick_href(params: dict[str, str], key: object) -> str:
    """A relative link to this page with the search's `params` (q, scope, tz, min_s) and ?pick=key."""
    from urllib.parse import urlencode

    return "?" + urlencode({**{k: v for k, v in params.items() if v is not None}, "pick": str(key)})


def results_html(df: pd.DataFrame, needles: list[tuple[str, bool]], link_params: dict | None = None) -> str:
    """The results list: album image, highlighted name (a link choosing the result when `link_params`
    are given: the page's other link parameters), artist and album, year, Spotify link."""
    rows = []
    for r in df.to_dict("records"):
        fuzzy = r.get("match") == "similar"
        image = album_tile(r.get("image"))
        details = [highlight_html(r["artist_name"], needles, fuzzy)]
        if r.get("album_name"):
            details.append(f'<i>{highlight_html(r["album_name"], needles, fuzzy)}</i>')
        if r.get("year") is not None and not pd.isna(r.get("year")):
            details.append(str(int(r["year"])))
        href = pick_href(link_params, r["track_id"]) if link_params is not None else None
        rows.append(_result_row(image, pick_link(highlight_html(r["name"], needles, fuzzy), href), details,
                                r.get("spotify"), fuzzy))
    return '<div class="mtm-search-results">' + "".join(rows) + "</div>"


def _result_row(picture: str, title: str, details: list[str], spotify: str | None, fuzzy: bool,
                footer: str | None = None) -> str:
    """One result of either list: picture, title (HTML), details (HTML) joined by dots and ending
    with the Spotify link and "similar spelling" when they apply, an optional plain-text footer."""
    if spotify:
        details = [*details, f'<a href="{html.escape(spotify)}" target="_blank" '
                             'rel="noopener noreferrer">Spotify ↗</a>']
    if fuzzy:
        details = [*details, '<span style="opacity: 0.7">similar spelling</span>']
    below = f'<div style="opacity: 0.7; font-size: 0.9em">{html.escape(footer)}</div>' if footer else ""
    return ('<div style="display: flex; align-items: center; gap: 0.75rem; padding: 0.3rem 0; '
            'border-bottom: 1px solid rgba(128, 128, 128, 0.2)">'
            f'{picture}<div style="min-width: 0"><div style="font-weight: 600">{title}</div>'
            f'<div style="opacity: 0.85">{" · ".join(details)}</div>{below}</div></div>')


TABLE_COLUMNS = ["image", "name", "artist_name", "album_name", "year", "spotify", "match"]


def table_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The results as a table (prepared rows), with a readable match column."""
    out = df[TABLE_COLUMNS].copy()
    out["match"] = out["match"].map({"text": "words", "similar": "similar spelling"}).fillna(out["match"])
    return out


def table_column_config() -> dict:
    import streamlit as st

    return {
        "image": st.column_config.ImageColumn("", width=40),
        "name": st.column_config.TextColumn("Track"),
        "artist_name": st.column_config.TextColumn("Artist"),
        "album_name": st.column_config.TextColumn("Album"),
        "year": st.column_config.NumberColumn("Year", format="%d", width=60),
        "spotify": st.column_config.LinkColumn("Spotify", display_text="Open ↗", width=80),
        "match": st.column_config.TextColumn("Match", width=110,
                                             help="words: the words you typed; similar spelling: typo-tolerant"),
    }


def default_scope(counts: dict[str, tuple[int, bool]]) -> str:
    """Of "library" and "plays" ({side: (rows, more than the rows)}): the side that found more (a
    capped side counts as more than its rows); the library on a tie."""
    return "plays" if tuple(counts["plays"]) > tuple(counts["library"]) else "library"


def status_text(df: pd.DataFrame, truncated: bool, elapsed_ms: float, noun: str = "result",
                what: str = "tracks") -> str:
    """'12 results in 3.4 ms', saying how many came from the typo-tolerant fallback. `noun` names a
    row ('played item': '12 played items'), `what` the things searched ('very many tracks match')."""
    n = len(df)
    similar = int((df["match"] == "similar").sum())
    text = f"{n:,}{'+' if truncated else ''} {noun}{'s' if n != 1 or truncated else ''}"
    if similar == n:
        text += " by similar spelling (nothing matched exactly)"
    elif similar:
        text += f" ({similar:,} by similar spelling)"
    text += f" in {elapsed_ms:,.1f} ms"
    capped = df["candidates"].dropna()
    if len(capped) and int(capped.max()) >= CANDIDATE_CAP:
        text += f" · very many {what} match: {CAPPED_TEXT[what]} are shown, type more to narrow down"
    elif truncated:
        text += " · the best are shown: type more to narrow down"
    return text


def query_notes(sq: search.SearchQuery) -> list[str]:
    """Notes on what was left out of the search (as markdown)."""
    notes = []
    if sq.cut_chars:
        notes.append(f"Only the first {search.MAX_QUERY_CHARS} characters are searched.")
    if sq.cut_terms:
        notes.append(f"Only the first {search.MAX_TERMS} words are searched.")
    return notes


def no_match_text(sq: search.SearchQuery, subject: str = "No track matches") -> str:
    """A friendly 'no match' message (markdown) with suggestions fitting the query; `subject` says
    what was searched ('Nothing you played matches')."""
    shown = sq.raw if len(sq.raw) <= 60 else sq.raw[:60] + "…"
    tips = []
    if any(t.phrase for c in sq.clauses for t in c):
        tips.append("remove the quotes (they ask for exactly those words, in that order)")
    if any(t.negated for c in sq.clauses for t in c):
        tips.append("drop the -exclusions")
    if len(sq.positive) > 1:
        tips.append("use fewer words, or OR between alternatives")
    tips.append("search for just the artist, or the first few letters of a word")
    return (f"{subject} “{escape_markdown(shown)}”. Try to " + "; ".join(tips) + ".")


EMPTY_QUERY_TEXT = ("Nothing to search for: type a word with letters or digits "
                    "(a search made only of symbols or -exclusions cannot match anything).")


# ---------------------------------------------------------------------------------------------
# Rank history


def rank_history_frame(df: pd.DataFrame) -> pd.DataFrame:
    """track_rank_history rows that have a rank, with a readable `range` and a `segment` number
    that changes wherever the track was out of the list, so the chart breaks its line there."""
    out = df.copy()
    if out.empty:
        return out.assign(range=pd.Series(dtype="object"), segment=pd.Series(dtype="int64"))
    out["snapshot_date"] = pd.to_datetime(out["snapshot_date"])
    out = out.sort_values(["time_range", "snapshot_date"])
    out["segment"] = out["rank"].isna().groupby(out["time_range"]).cumsum().astype("int64")
    out = out[out["rank"].notna()].copy()
    out["rank"] = out["rank"].astype("int64")
    out["range"] = out["time_range"].map(range_label)
    return out.reset_index(drop=True)


def rank_history_chart(df: pd.DataFrame, title: str = "") -> alt.Chart:
    """Rank over time, a line per time range, rank 1 at the top; the line breaks where the track
    was out of that range's list. Expects track_rank_history's columns."""
    data = rank_history_frame(df)
    worst = int(data["rank"].max()) if len(data) else 50
    return (
        alt.Chart(data, title=title or alt.Undefined)
        .mark_line(point=True, strokeWidth=2.5)
        .encode(
            x=alt.X("snapshot_date:T", title="Snapshot", axis=date_axis(data["snapshot_date"]) if len(data) else alt.Axis()),
            y=alt.Y("rank:Q", title="Rank",
                    scale=alt.Scale(reverse=True, domain=[1, max(50, worst)], nice=False, zero=False),
                    axis=alt.Axis(values=[1, *range(10, max(50, worst) + 1, 10)])),
            color=alt.Color("range:N", title="Time range", sort=RANGE_ORDER,
                            scale=alt.Scale(domain=RANGE_ORDER), legend=alt.Legend(orient="bottom")),
            detail="segment:N",
            tooltip=[alt.Tooltip("range:N", title="Time range"),
                     alt.Tooltip("snapshot_date:T", title="Snapshot", format="%Y-%m-%d"),
                     alt.Tooltip("rank:Q", title="Rank")],
        )
        .properties(height=340)
    )


def history_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per time range: best rank, snapshots in the list, first and last of them, latest rank."""
    data = rank_history_frame(df)
    columns = ["Time range", "Best rank", "Snapshots in the list", "First", "Last", "Rank in the last"]
    if data.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for time_range, g in data.groupby("time_range", sort=False):
        g = g.sort_values("snapshot_date")
        rows.append([range_label(time_range), int(g["rank"].min()), len(g),
                     g["snapshot_date"].iloc[0].date(), g["snapshot_date"].iloc[-1].date(), int(g["rank"].iloc[-1])])
    out = pd.DataFrame(rows, columns=columns)
    out["order"] = out["Time range"].map({label: i for i, label in enumerate(RANGE_ORDER)})
    return out.sort_values("order").drop(columns="order").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# In your plays (search_play_items, play_item_history)

KIND_LABELS = {"music": "Track", "podcast": "Podcast episode", "audiobook": "Audiobook", "unknown": "Unknown"}
# Material Icons' music_note, mic, book and help paths as SVG images (a data: URI: st.html strips
# inline <svg>; no emoji font is needed), grey to suit light and dark themes.
_ICON_PATHS = {
    "music": "M12 3v10.55c-.59-.34-1.27-.55-2-.55-2.21 0-4 1.79-4 4s1.79 4 4 4 4-1.79 4-4V7h4V3h-6z",
    "podcast": "M12 14c1.66 0 2.99-1.34 2.99-3L15 5c0-1.66-1.34-3-3-3S9 3.34 9 5v6c0 1.66 1.34 3 3 3zm5.3-3c0 "
               "3-2.54 5.1-5.3 5.1S6.7 14 6.7 11H5c0 3.41 2.72 6.23 6 6.72V21h2v-3.28c3.28-.48 6-3.3 6-6.72h-1.7z",
    "audiobook": "M18 2H6c-1.1 0-2 .9-2 2v16c0 1.1.9 2 2 2h12c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2zM6 4h5v8l-2.5-1.5"
                 "L6 12V4z",
    "unknown": "M11 18h2v-2h-2v2zm1-16C6.48 2 2 6.48 2 12s4.48 10 10 10 10-4.48 10-10S17.52 2 12 2zm0 18c-4.41 "
               "0-8-3.59-8-8s3.59-8 8-8 8 3.59 8 8-3.59 8-8 8zm0-14c-2.21 0-4 1.79-4 4h2c0-1.1.9-2 2-2s2 .9 2 2c0 "
               "2-3 1.75-3 5h2c0-2.25 3-2.5 3-5 0-2.21-1.79-4-4-4z",
}
KIND_ICONS = {k: '<img width="26" height="26" alt="" src="data:image/svg+xml;base64,' + base64.b64encode(
    f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="#8a8a8a"><path d="{d}"/></svg>'.encode()
).decode() + '">' for k, d in _ICON_PATHS.items()}
UNKNOWN_NAME = "(no name)"
PLAYS_NOUN, PLAYS_WHAT = "played item", "played items"
NO_PLAY_MATCH = "Nothing you played matches"


def _present(value: object) -> bool:
    """Whether `value` is there: not None, NaN, NaT or pd.NA."""
    if value is None:
        return False
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):   # a list or array is there
        return True


def in_library(row) -> bool:
    """Whether a search_play_items row's track is in the library (has a rank history)."""
    value = row.get("in_library")
    return isinstance(value, (bool, np.bool_)) and bool(value) and _present(row.get("track_id"))


def kind_label(kind: object) -> str:
    return KIND_LABELS.get(kind, str(kind)) if isinstance(kind, str) else KIND_LABELS["unknown"]


def _utc(values: pd.Series) -> pd.Series:
    """Timestamps as naive UTC (the database may answer in any session time zone); naive values are
    taken as they are (play_item_history's local times)."""
    return pd.to_datetime(values, utc=True, errors="coerce").dt.tz_localize(None)


def shown_zone(zone: object) -> str:
    """`zone` when Python's zone database knows it (the names come from PostgreSQL's), else UTC."""
    try:
        ZoneInfo(str(zone))
        return str(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return "UTC"


def _local(values: pd.Series, zone: str) -> pd.Series:
    """Instants as naive local times in `zone` (see shown_zone)."""
    return pd.to_datetime(values, utc=True, errors="coerce").dt.tz_convert(shown_zone(zone)).dt.tz_localize(None)


def prepare_plays(df: pd.DataFrame, zone: str = "UTC") -> pd.DataFrame:
    """search_play_items rows with a safe `spotify` link, `plays` as a nullable integer, `minutes`
    as a float, first/last played as naive local timestamps in `zone` (null until the plays rollups
    are built)."""
    out = df.copy()
    out["spotify"] = _objects(spotify_links(out["spotify_url"]), out.index)
    out["plays"] = pd.to_numeric(out["plays"], errors="coerce").astype("Int64")
    out["streams"] = pd.to_numeric(out["streams"], errors="coerce").astype("Int64")
    out["minutes"] = pd.to_numeric(out["minutes"], errors="coerce").astype("float64")
    for col in ("first_played", "last_played"):
        out[col] = _local(out[col], zone)
    out["name_key"] = out["name_key"].astype(str)
    return out


def play_label(row) -> str:
    """Plain text naming a played item: 'Track — Artist', with its kind unless it is music."""
    name = row["name"] if _present(row.get("name")) else UNKNOWN_NAME
    text = f"{name} — {row['artist']}" if _present(row.get("artist")) else str(name)
    return text if row.get("kind") == "music" else f"{text} ({kind_label(row.get('kind')).lower()})"


def _day(value: object) -> str | None:
    return pd.Timestamp(value).strftime("%Y-%m-%d") if _present(value) else None


def plays_text(row) -> str:
    """'123 plays (125 streams) · 7 h · 2014-03-02 → 2024-11-01' (plain text): plays as the Plays page
    counts them, every stream when that is more, time listened, first and last play."""
    if not _present(row.get("plays")):
        return "plays not counted yet (run an import again to build the plays rollups)"
    n = int(row["plays"])
    streams = int(row["streams"]) if _present(row.get("streams")) else n
    count = f"{n:,} play{'s' if n != 1 else ''}"
    if streams != n:
        count += f" ({streams:,} stream{'s' if streams != 1 else ''})"
    parts = [count, hours_text(row.get("minutes"))]
    first, last = _day(row.get("first_played")), _day(row.get("last_played"))
    if first:
        parts.append(f"first {first}" if first == last or not last else f"{first} → {last}")
    return " · ".join(parts)


def hours_text(minutes: object) -> str:
    """Minutes as '42 min' or '7.5 h'."""
    try:
        m = float(minutes)
    except (TypeError, ValueError):
        return "0 min"
    if pd.isna(m):
        return "0 min"
    return f"{m:,.0f} min" if m < 120 else f"{m / 60:,.1f} h"


def plays_results_html(df: pd.DataFrame, needles: list[tuple[str, bool]], link_params: dict | None = None) -> str:
    """The played items list: a kind icon, highlighted name, artist (or show) and album, kind,
    whether it is in the library, Spotify link, and its plays, time and first → last day."""
    rows = []
    for r in df.to_dict("records"):
        fuzzy = r.get("match") == "similar"
        icon = ('<div style="width: 48px; height: 48px; flex: none; border-radius: 4px; display: flex; '
                'align-items: center; justify-content: center; '
                f'background: rgba(128, 128, 128, 0.2)" title="{html.escape(kind_label(r.get("kind")))}">'
                f'{KIND_ICONS.get(r.get("kind"), KIND_ICONS["unknown"])}</div>')
        name = r["name"] if _present(r.get("name")) else None
        title = highlight_html(name, needles, fuzzy) if name is not None else html.escape(UNKNOWN_NAME)
        details = []
        if _present(r.get("artist")):
            details.append(highlight_html(r["artist"], needles, fuzzy))
        if _present(r.get("album")):
            details.append(f'<i>{highlight_html(r["album"], needles, fuzzy)}</i>')
        if r.get("kind") != "music":
            details.append(html.escape(kind_label(r.get("kind"))))
        if in_library(r):
            details.append('<span title="In your Music Time Machine top lists: it has a rank history">'
                           "in your library</span>")
        href = pick_href(link_params, r["name_key"]) if link_params is not None else None
        rows.append(_result_row(icon, pick_link(title, href), details, r.get("spotify"), fuzzy, plays_text(r)))
    return '<div class="mtm-play-results">' + "".join(rows) + "</div>"


PLAYS_TABLE_COLUMNS = ["name", "artist", "album", "kind", "plays", "streams", "minutes", "first_played",
                       "last_played", "in_library", "spotify", "match"]


def plays_table_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The played items as a table (prepared rows), with readable kind and match columns."""
    out = df[PLAYS_TABLE_COLUMNS].copy()
    out["kind"] = [kind_label(k) for k in out["kind"]]
    out["match"] = out["match"].map({"text": "words", "similar": "similar spelling"}).fillna(out["match"])
    return out


def plays_table_column_config(zone: str = "UTC", min_seconds: int = DEFAULT_THRESHOLD,
                              frame: pd.DataFrame | None = None) -> dict:
    """The plays results table's columns; `frame` (plays_table_frame) sets the counts' formats as the
    other tables set them (ui.tables.whole_number_format: thousands grouped, whole numbers)."""
    import streamlit as st

    from ui.tables import whole_number_format

    def whole(column: str) -> str:
        return whole_number_format(frame[column]) if frame is not None and column in frame else "%d"

    return {
        "name": st.column_config.TextColumn("Track, episode or book"),
        "artist": st.column_config.TextColumn("Artist or show"),
        "album": st.column_config.TextColumn("Album"),
        "kind": st.column_config.TextColumn("Kind", width=110),
        "plays": st.column_config.NumberColumn("Plays", format=whole("plays"), step=1, width=70,
                                               help=threshold_text(min_seconds).capitalize() + ", as on the Plays page"),
        "streams": st.column_config.NumberColumn("Streams", format=whole("streams"), step=1, width=70,
                                                 help="Every stream, however short"),
        "minutes": st.column_config.NumberColumn("Minutes", format=whole("minutes"), step=1, width=80,
                                                 help="Every stream counts"),
        "first_played": st.column_config.DatetimeColumn("First played", format="YYYY-MM-DD HH:mm",
                                                        help=f"The first play, local time in {zone}"),
        "last_played": st.column_config.DatetimeColumn("Last played", format="YYYY-MM-DD HH:mm",
                                                       help=f"The last play, local time in {zone}"),
        "in_library": st.column_config.CheckboxColumn("In library", width=80,
                                                      help="In your Music Time Machine top lists"),
        "spotify": st.column_config.LinkColumn("Spotify", display_text="Open ↗", width=80),
        "match": st.column_config.TextColumn("Match", width=110,
                                             help="words: the words you typed; similar spelling: typo-tolerant"),
    }


def zone_text(zone: str, source: str | None = None) -> str:
    """'times in Europe/Berlin (your browser)'."""
    return f"times in {zone}" + (f" ({source})" if source else "")


def plays_status_text(df: pd.DataFrame, truncated: bool, elapsed_ms: float, zone: str = "UTC",
                      source: str | None = None, min_seconds: int = DEFAULT_THRESHOLD) -> str:
    """'12 played items in 3.4 ms · a play is a stream of 30 seconds or more, as on the Plays page;
    minutes count every stream; times in Europe/Berlin (your browser)'."""
    return (status_text(df, truncated, elapsed_ms, noun=PLAYS_NOUN, what=PLAYS_WHAT)
            + f" · {threshold_text(min_seconds)}, as on the Plays page; minutes count every stream; "
            + zone_text(zone, source))


def months_note(zone: str, quarter: bool) -> str | None:
    """What to say about play_item_history's months in `zone` (quarter: its offset is not a whole
    number of hours, plays_time_zone's flag): None when they are exact."""
    if not quarter:
        return None
    return (f"Months are local to {zone}, built from hourly counts: this zone's offset is not a whole number "
            "of hours, so a play in the last minutes of a month (or the first) may count in the month next to it.")


def play_history_frame(df: pd.DataFrame) -> pd.DataFrame:
    """play_item_history rows for the chart and the CSV: month as a date, plays and minutes numbers."""
    out = df[["month", "plays", "streams", "minutes"]].copy()
    out["month"] = pd.to_datetime(out["month"]).dt.date if len(out) else pd.Series(dtype="object")
    out["plays"] = pd.to_numeric(out["plays"], errors="coerce").astype("Int64")
    out["streams"] = pd.to_numeric(out["streams"], errors="coerce").astype("Int64")
    out["streams"] = pd.to_numeric(out["streams"], errors="coerce").astype("Int64")
    out["minutes"] = pd.to_numeric(out["minutes"], errors="coerce").astype("float64").round(1)
    return out


def play_summary(history: pd.DataFrame, zone: str = "UTC",
                 min_seconds: int = DEFAULT_THRESHOLD) -> list[tuple[str, str, str | None]]:
    """The chosen item's figures as (label, value, detail) for ui.common.figures: plays (as the Plays
    page counts them, with every stream in the detail), time listened (every stream), first and last
    play (play_item_history's local times in `zone`: the day as the value, the time in the detail)."""
    plays = pd.to_numeric(history["plays"], errors="coerce").sum() if len(history) else 0
    streams = pd.to_numeric(history["streams"], errors="coerce").sum() if len(history) else 0
    minutes = pd.to_numeric(history["minutes"], errors="coerce").sum() if len(history) else 0.0
    first = _utc(history["first_played"]).min() if len(history) else None
    last = _utc(history["last_played"]).max() if len(history) else None
    return [("Plays", f"{int(plays):,}", f"of {int(streams):,} streams"),
            ("Listened", hours_text(minutes), "every stream counts"),
            ("First listen", _day(first) or "–", _minute(first, zone)),
            ("Last listen", _day(last) or "–", _minute(last, zone))]


def _minute(value: object, zone: str = "UTC") -> str | None:
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M ") + zone if _present(value) else None
