"""Names made of markdown, LaTeX, links, images, HTML and spreadsheet formulas, as a Music Time Machine
SQLite file (tracks, snapshots, raw_json with album images on foreign hosts and javascript:/data:
links) and a Spotify export (plays, a podcast episode, a platform string): the data of
tests/test_safe_rendering.py and the browser test, where every page must show these names literally
and no browser may fetch anything from a host the data names.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os

from migrate.demo_export import EXTENDED_DIR
from tests.helpers import make_sqlite

FOREIGN = "attacker.example"
# Each name is one attack: markdown emphasis, LaTeX, a colour directive and a remote image; a
# javascript: link, raw HTML and shortcodes; block markdown, a bare URL, the logo shortcode and an
# arrow Streamlit would rewrite; spreadsheet formulas.
BOLD = f"**bold** $x^2$ :red[red] ![i](http://{FOREIGN}/x.png)"
LINK = f"[click](javascript:alert(1)) <img src=http://{FOREIGN}/y.png> :material/delete_forever: :smile:"
BLOCK = f"# Heading _it_ ~~s~~ `code` &amp; www.{FOREIGN} | a | b :streamlit: x <-> y"
FORMULA = f'=HYPERLINK("http://{FOREIGN}","y")'
COMMAND = "=cmd|' /C calc'!A0"
NAMES = [BOLD, LINK, BLOCK, FORMULA, COMMAND]
# Fragments that only come out of these names: none may reach a markdown context unescaped.
RAW_FRAGMENTS = ["**bold**", "$x^2$", ":red[red]", "![i]", "[click](", "javascript:", "<img", "~~s~~", "`code`",
                 ":material/delete_forever:", ":smile:", "# Heading _it_", ":streamlit:", "x <-> y"]
BAD_LINKS = ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", f"http://{FOREIGN}/track"]
BAD_IMAGES = [{"url": f"http://{FOREIGN}/a.png", "width": 64}, {"url": f"https://{FOREIGN}/b.png", "width": 32},
              {"url": "javascript:alert(1)", "width": 16}, {"url": "data:image/png;base64,AAAA", "width": 8},
              {"url": f"https://i.scdn.co.{FOREIGN}/c.png", "width": 4}]

# (track_id, name, artist, album): every track, artist and album name is hostile.
TRACKS = [("h_bold", BOLD, LINK, BLOCK), ("h_link", LINK, BOLD, FORMULA), ("h_block", BLOCK, COMMAND, BOLD),
          ("h_formula", FORMULA, BLOCK, LINK), ("h_command", COMMAND, FORMULA, COMMAND)]
GEM = "h_command"                 # ranked only in the first weeks: a forgotten gem by the newest snapshot
FIRST_SNAPSHOT = dt.date(2025, 1, 1)
WEEKS = 52


def _raw(tid: str, name: str, artist: str, album: str, n: int) -> str:
    return json.dumps({
        "id": tid, "name": name, "popularity": 40 + n, "explicit": n % 2 == 0, "duration_ms": 200_000 + n,
        "artists": [{"name": artist}], "external_urls": {"spotify": BAD_LINKS[n % len(BAD_LINKS)]},
        "album": {"name": album, "release_date": f"{2000 + n}-01-01", "release_date_precision": "day",
                  "images": BAD_IMAGES},
        "hostile": {"key **x**": BOLD, "link": LINK},
    })


def build_sqlite(path) -> str:
    """The hostile library: five tracks, weekly snapshots of 2025 in every time range."""
    tracks = [(tid, name, artist, album, 200_000 + n, BAD_LINKS[n % len(BAD_LINKS)], _raw(tid, name, artist, album, n))
              for n, (tid, name, artist, album) in enumerate(TRACKS)]
    snapshots = []
    for week in range(WEEKS):
        day = (FIRST_SNAPSHOT + dt.timedelta(weeks=week)).isoformat()
        ranked = [t[0] for t in TRACKS if t[0] != GEM or week < 20]
        ranked = ranked[week % len(ranked):] + ranked[:week % len(ranked)]
        for time_range in ("short_term", "medium_term", "long_term"):
            snapshots += [(tid, day, time_range, rank) for rank, tid in enumerate(ranked, 1)]
    return make_sqlite(path, tracks, snapshots)


def _record(ts: dt.datetime, n: int, *, episode: bool = False) -> dict:
    _, name, artist, album = TRACKS[n % len(TRACKS)]
    uri = "spotify:track:" + hashlib.md5(f"{artist}\x1f{name}".encode()).hexdigest()[:22]
    return {"ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "platform": BOLD if n % 2 else LINK, "ms_played": 180_000,
            "conn_country": "DE", "ip_addr": "10.0.0.1",
            "master_metadata_track_name": None if episode else name,
            "master_metadata_album_artist_name": None if episode else artist,
            "master_metadata_album_album_name": None if episode else album,
            "spotify_track_uri": None if episode else uri,
            "episode_name": BOLD if episode else None, "episode_show_name": LINK if episode else None,
            "spotify_episode_uri": "spotify:episode:0123456789abcdefghijkl" if episode else None,
            "audiobook_title": None, "audiobook_uri": None, "audiobook_chapter_uri": None,
            "audiobook_chapter_title": None, "reason_start": "clickrow", "reason_end": "trackdone",
            "shuffle": False, "skipped": n % 3 == 0, "offline": False, "offline_timestamp": None,
            "incognito_mode": False}


def export_records(today: dt.date | None = None) -> list[dict]:
    """Plays of the hostile tracks over 2025 (a dozen of the gem in January only), a podcast episode
    with hostile names, and plays on today's day and month of last year (the On this day section)."""
    today = today or dt.date.today()
    records = []
    start = dt.datetime(2025, 1, 2, 12, 0, tzinfo=dt.UTC)
    for i in range(12):                                  # the gem: played in January only
        records.append(_record(start + dt.timedelta(hours=i * 7), len(TRACKS) - 1))
    for day in range(0, 330, 3):
        for n in range(len(TRACKS) - 1):
            records.append(_record(start + dt.timedelta(days=day, minutes=5 * n), n))
    last_year = dt.datetime(today.year - 1, today.month, min(today.day, 28), 18, 0, tzinfo=dt.UTC)
    records += [_record(last_year + dt.timedelta(minutes=4 * n), n) for n in range(len(TRACKS) - 1)]
    records.append(_record(start + dt.timedelta(days=100, hours=3), 0, episode=True))
    return records


def build_export(folder: str) -> str:
    path = os.path.join(folder, EXTENDED_DIR, "Streaming_History_Audio_2025_hostile.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(export_records(), fh, ensure_ascii=False)
    return folder
