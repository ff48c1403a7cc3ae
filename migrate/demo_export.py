"""Demo Spotify data exports in the exact file formats, for tests and benchmarks.

    python -m migrate.demo_export OUT_DIR [--records N] [--zip] [--seed N] [--extended-only]

Writes what a listener who asked Spotify for their data three times would have (`--zip`: the same
tree inside OUT_DIR/my_spotify_data.zip, in nested folders):

  Spotify Extended Streaming History/   the newest extended history: N records in
      Streaming_History_Audio_<years>_<i>.json (pretty-printed, current field names, plus one field
      the importer does not know), a few video-podcast plays in Streaming_History_Video_<years>.json,
      and the ReadMeFirst PDF. The last records of each audio file are repeated at the start of the
      next one (duplicates across files).
  MyData/endsong_<i>.json               an older extended export in the older format (one line per
      file, username / ip_addr_decrypted / user_agent_decrypted, no audiobook fields) holding the
      same plays as the first 40% of the newest one: the newer export overlaps it.
  Spotify Account Data/                 account data: StreamingHistory_music_0.json and
      StreamingHistory_podcast_0.json (endTime with minute precision, no URIs) for the last 12% of
      the timeline, which duplicate extended records, plus two weeks of plays after the extended
      history ends; Userdata.json and Playlist1.json (not streaming history).

Records include nulls (all-null metadata, `skipped: null` in the older format), podcast and
audiobook plays, zero-duration plays, and clusters of plays around the 2024 daylight-saving changes
in Europe and the USA. `generate()` returns a manifest of what an import must find; the CLI prints it
as JSON. `--extended-only` writes just the newest extended history (no duplicates across files),
the shape for a benchmark against a bare COPY of the same rows.
"""
from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import os
import random
import sys
import tempfile
import time
import zipfile

import orjson

from migrate.demo import ARTISTS, _base62, album_title, track_title

DEFAULT_SEED = 2008                    # the year Spotify launched
DEFAULT_RECORDS = 2_000
RECORD_LIMITS = (50, 5_000_000)
END = dt.datetime(2026, 11, 15, 22, 0, tzinfo=dt.UTC)   # last play of the extended history
ACCOUNT_EXTRA_DAYS = 14                # account data was requested later: it runs two weeks further
AUDIOBOOKS_FROM = dt.datetime(2022, 10, 4, tzinfo=dt.UTC)
PER_FILE = 15_000                      # records per Streaming_History_Audio file (Spotify's are ~12 MB)
REPEATED_AT_FILE_START = 3             # records of file i repeated at the start of file i+1
# Sessions forced around daylight-saving changes (UTC): Europe springs forward and falls back at
# 01:00 UTC, the USA (Eastern) at 07:00 and 06:00 UTC.
DST_MOMENTS = (dt.datetime(2024, 3, 10, 6, 40), dt.datetime(2024, 3, 31, 0, 40),
               dt.datetime(2024, 10, 27, 0, 40), dt.datetime(2024, 11, 3, 5, 40))
DST_PLAYS = 6
# How much the demo listener listens (the default 2,000-record demo and the 40,000 of `make run`):
# on a day off nothing; else DAY_MINUTES at the median (log-normal), in one to three sessions
# starting in these UTC hours. About PLAYS_PER_DAY plays on an average calendar day.
DAY_OFF = 0.2
DAY_MINUTES = 90
SESSION_HOURS = ((6, 9), (11, 14), (16, 19), (19, 23))
PLAYS_PER_DAY = 25
MAX_DAYS = 15 * 365
EXTENDED_DIR = "Spotify Extended Streaming History"
OLDER_DIR = "MyData"
ACCOUNT_DIR = "Spotify Account Data"
ZIP_NAME = "my_spotify_data.zip"

PLATFORMS = ("Android OS 13 API 33 (Google, Pixel 7)", "iOS 17.1.2 (iPhone15,2)", "windows",
             "osx", "web_player windows 10;chrome 120.0.0.0;desktop", "Partner sonos_sonos_one;Sonos;One",
             "Android-tablet OS 11 API 30 (samsung, SM-T500)", "linux")
COUNTRIES = ("DE", "DE", "DE", "US", "GB", "FR", "SE", "ES", "JP", "BR")
REASONS_START = ("trackdone", "trackdone", "trackdone", "clickrow", "fwdbtn", "backbtn", "playbtn",
                 "appload", "remote")
SHOWS = ("The Daily Groove", "Zwei Stühle, eine Meinung", "Hörspiel-Kiste", "Science Friday Night",
         "Les Pieds sur terre", "Podcast «Ñandú»", "深夜ラジオ", "Radio Lab \"Live\"")
AUDIOBOOKS = ("Der Zauberberg", "Pride and Prejudice", "Cien años de soledad")


class _Catalogue:
    """Tracks (uri, name, artist, album, duration), podcast episodes and audiobook chapters."""

    def __init__(self, rng: random.Random, n_tracks: int, n_artists: int | None = None):
        self.tracks = []
        roster = _roster(rng, n_artists) if n_artists else None
        for _ in range(n_tracks):
            if roster is None:
                name, language = ARTISTS[min(int(rng.paretovariate(0.9)) - 1, len(ARTISTS) - 1)
                                         if rng.random() < 0.7 else rng.randrange(len(ARTISTS))]
            else:   # a long tail: a few artists with hundreds of tracks, most with one to five
                name, language = roster[min(int(rng.paretovariate(0.6)) - 1, len(roster) - 1)
                                        if rng.random() < 0.6 else rng.randrange(len(roster))]
            self.tracks.append((f"spotify:track:{_base62(rng.getrandbits(128))}", track_title(rng, language),
                                name, album_title(rng, language), rng.randint(90_000, 420_000)))
        weights = [1 / (i + 1) ** 0.8 for i in range(n_tracks)]   # a few favourites, a long tail
        self.cum_weights = list(itertools.accumulate(weights))
        # When in the history (0 = its first day, 1 = its last) the listener finds each artist: 40%
        # (the favourites' among them) from the start, the others at a random moment, so that new
        # artists turn up in every year and not all in the first months.
        favourites = {t[2] for t in self.tracks[:20]}
        self.debut = {t[2]: 0.0 if t[2] in favourites or rng.random() < 0.4 else rng.random() for t in self.tracks}
        self.episodes = [(f"spotify:episode:{_base62(rng.getrandbits(128))}", f"Episode {n}: {track_title(rng)}",
                          show) for show in SHOWS for n in range(1, 13)]
        self.chapters = [(f"spotify:audiobook:{_base62(rng.getrandbits(128))}", book,
                          [(f"spotify:chapter:{_base62(rng.getrandbits(128))}", f"Chapter {c}") for c in range(1, 31)])
                         for book in AUDIOBOOKS]


def _roster(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """`n` artists (name, title language): the demo's ARTISTS first (favourites and every script), then
    invented ones ("The Velvet Harbour", "Quiet Rivers", "Anna Berg & The Foxes") until there are n, in
    a random order of popularity after the first 20."""
    from migrate.demo import _EN_ADJECTIVES, _EN_NOUNS

    names = {a for a, _ in ARTISTS}
    out = list(ARTISTS)
    firsts = ("Anna", "Jonas", "Mara", "Luis", "Yuki", "Ola", "Inès", "Tomás", "Freya", "Kofi", "Lena", "Raúl")
    lasts = ("Berg", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Novak", "Dalton", "Brandt", "Ruiz")
    while len(out) < n:
        shape = rng.random()
        adjective, noun = rng.choice(_EN_ADJECTIVES).title(), rng.choice(_EN_NOUNS).title()
        if shape < 0.35:
            name = f"The {adjective} {noun}s"
        elif shape < 0.6:
            name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        elif shape < 0.8:
            name = f"{adjective} {noun}"
        else:
            name = f"{rng.choice(firsts)} {rng.choice(lasts)} & The {noun}s"
        if name in names:
            name = f"{name} {len(out)}"
        names.add(name)
        out.append((name, "en"))
    head, tail = out[:20], out[20:n]
    rng.shuffle(tail)
    return head + tail


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _play(rng: random.Random, cat: _Catalogue, kind: str, now: float = 1.0) -> dict:
    """One play in the current extended format (fields in Spotify's order), not yet placed in time:
    `_place` sets when it started and ended. Music is by an artist the listener has found by
    `now` (0 = the first day of the history, 1 = the last; see _Catalogue.debut)."""
    track = episode = book = chapter = None
    if kind == "music":
        for _ in range(30):
            track = rng.choices(cat.tracks, cum_weights=cat.cum_weights)[0]
            if cat.debut[track[2]] <= now:
                break
        else:
            track = cat.tracks[0]
        full = rng.random() < 0.6
        ms = track[4] if full else rng.randint(400, track[4])
    elif kind == "podcast":
        episode = rng.choice(cat.episodes)
        full = rng.random() < 0.3
        ms = rng.randint(10_000, 3_600_000)
    elif kind == "audiobook":
        book_uri, book, chapters = rng.choice(cat.chapters)
        chapter = rng.choice(chapters)
        full = rng.random() < 0.5
        ms = rng.randint(60_000, 1_800_000)
    else:                               # Spotify sends some plays with every metadata field null
        full, ms = False, rng.randint(1_000, 200_000)
    if rng.random() < 0.015:
        ms, full = 0, False
    offline = rng.random() < 0.05
    return {
        "ts": None,
        "platform": rng.choice(PLATFORMS),
        "ms_played": ms,
        "conn_country": rng.choice(COUNTRIES),
        "ip_addr": f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "master_metadata_track_name": track and track[1],
        "master_metadata_album_artist_name": track and track[2],
        "master_metadata_album_album_name": track and track[3],
        "spotify_track_uri": track and track[0],
        "episode_name": episode and episode[1],
        "episode_show_name": episode and episode[2],
        "spotify_episode_uri": episode and episode[0],
        "audiobook_title": chapter and book,
        "audiobook_uri": chapter and book_uri,
        "audiobook_chapter_uri": chapter and chapter[0],
        "audiobook_chapter_title": chapter and chapter[1],
        "reason_start": rng.choice(REASONS_START),
        "reason_end": "trackdone" if full else rng.choice(("fwdbtn", "endplay", "logout", "backbtn",
                                                           "unexpected-exit-while-paused")),
        "shuffle": rng.random() < 0.4,
        "skipped": not full and rng.random() < 0.7,
        "offline": offline,
        "offline_timestamp": offline or None,   # set by _place
        "incognito_mode": rng.random() < 0.01,
        # A field the importer does not know (Spotify adds fields over time): kept in raw_json.
        "listening_context": ({"type": "playlist", "uri": f"spotify:playlist:{_base62(rng.getrandbits(128))}"}
                              if rng.random() < 0.2 else None),
    }


def _place(rec: dict, started: dt.datetime) -> dt.datetime:
    """Put a play in time: it starts at `started` and ends ms_played later (Spotify's `ts` is the
    end, to the second); returns the exact end."""
    ended = started + dt.timedelta(milliseconds=rec["ms_played"])
    rec["ts"] = _iso(ended)
    if rec["offline"]:
        rec["offline_timestamp"] = int(started.timestamp() * 1000)
    return ended


def _kind(rng: random.Random, ended: dt.datetime) -> str:
    r = rng.random()
    if r < 0.05:
        return "podcast"
    if r < 0.06 and ended >= AUDIOBOOKS_FROM:
        return "audiobook"
    if r < 0.065:
        return "unknown"
    return "music"


def _dst_plays(rng: random.Random, cat: _Catalogue) -> list[tuple[dt.datetime, str, dict]]:
    """Music every 7 minutes, the last ending 15 minutes after each daylight-saving change: no
    track is longer than 7 minutes, so they never overlap."""
    out = []
    for moment in DST_MOMENTS:
        for k in range(DST_PLAYS):
            ended = moment.replace(tzinfo=dt.UTC) + dt.timedelta(minutes=7 * k)
            rec = _play(rng, cat, "music")
            _place(rec, ended - dt.timedelta(milliseconds=rec["ms_played"]))
            out.append((ended, "music", rec))
    return out


def _day(rng: random.Random, cat: _Catalogue, day: dt.date, scale: float, limit: dt.datetime,
         blocked: list[tuple[dt.datetime, dt.datetime]], now: float = 1.0) -> list[tuple[dt.datetime, str, dict]]:
    """One day's listening, every play ending before `limit` and none inside a `blocked` span:
    nothing on a day off, else a day's minutes (log-normal around DAY_MINUTES, times `scale`) in
    one to three sessions at the usual hours. A play starts a few seconds after the one before it
    ended, now and then after a pause; sessions start at least 35 minutes apart."""
    if rng.random() < DAY_OFF / scale:
        return []
    budget = min(22 * 60, rng.lognormvariate(math.log(DAY_MINUTES * scale), 0.7)) * 60_000
    slots = sorted(rng.sample(SESSION_HOURS, rng.choices((1, 2, 3), weights=(45, 35, 20))[0]))
    shares = [rng.random() + 0.3 for _ in slots]
    out: list[tuple[dt.datetime, str, dict]] = []
    cursor = None
    for (lo, hi), share in zip(slots, shares):
        planned = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(hours=rng.uniform(lo, hi))
        t = planned if cursor is None else max(planned, cursor + dt.timedelta(minutes=35))
        left = budget * share / sum(shares)
        while left > 0:
            kind = _kind(rng, t)
            rec = _play(rng, cat, kind, now)
            ended = t + dt.timedelta(milliseconds=rec["ms_played"])
            if ended >= limit or any(t < b_hi and ended > b_lo for b_lo, b_hi in blocked):
                return out
            _place(rec, t)
            out.append((ended, kind, rec))
            left -= rec["ms_played"]
            cursor = ended
            pause = rng.randint(60, 600) if rng.random() < 0.05 else rng.randint(1, 12)
            t = ended + dt.timedelta(seconds=pause)
    return out


def _listening(rng: random.Random, cat: _Catalogue, n: int) -> list[tuple[dt.datetime, str, dict]]:
    """n plays (end, kind, record), oldest first, that never overlap: a stream starts when the one
    before it has ended. The last four (a podcast, an audiobook chapter, an all-null record and a
    song) end at END, so every kind is there whatever the size; the daylight-saving clusters are
    kept; the rest is laid out day by day backwards from END until there are n. About 1.5 hours
    on an average day (days off included) while that fits in 15 years; bigger demos listen more
    per day."""
    seen: set[tuple] = set()

    def fresh(rec: dict) -> bool:       # a chance repeat of time, duration and track is not a new play
        if _key(rec) in seen:
            return False
        seen.add(_key(rec))
        return True

    fixed = [p for p in _dst_plays(rng, cat) if fresh(p[2])]
    blocked = [(min(e for e, _, _ in fixed if abs(e - m.replace(tzinfo=dt.UTC)) < dt.timedelta(hours=1))
                - dt.timedelta(minutes=8),
                max(e for e, _, _ in fixed if abs(e - m.replace(tzinfo=dt.UTC)) < dt.timedelta(hours=1)))
               for m in DST_MOMENTS]
    tail = []
    limit = END
    for kind in ("music", "unknown", "audiobook", "podcast"):    # placed backwards from END
        rec = _play(rng, cat, kind)
        rec["ms_played"] = rec["ms_played"] or 60_000
        started = limit - dt.timedelta(milliseconds=rec["ms_played"])
        _place(rec, started)
        if fresh(rec):
            tail.append((limit, kind, rec))
        limit = started - dt.timedelta(seconds=rng.randint(2, 10))
    want = n - len(fixed) - len(tail)
    # beyond 15 years of PLAYS_PER_DAY, listen more per day (long days are cut short by the next one)
    scale = max(1.0, 1.4 * want / (PLAYS_PER_DAY * MAX_DAYS))
    # how far into the history a day is (for the artists found over time): about this many days
    expected_days = max(1.0, want / (PLAYS_PER_DAY * 0.85 * scale))
    days: list[list[tuple[dt.datetime, str, dict]]] = []
    got, day = 0, END.date()
    while got < want:
        now = 1 - min(1.0, (END.date() - day).days / expected_days)
        plays = [p for p in _day(rng, cat, day, scale, limit, blocked, now) if fresh(p[2])]
        if plays:
            days.append(plays)
            got += len(plays)
            first = plays[0]
            limit = first[0] - dt.timedelta(milliseconds=first[2]["ms_played"]) - dt.timedelta(seconds=1)
        day -= dt.timedelta(days=1)
    laid = [p for plays in reversed(days) for p in plays]
    laid = laid[len(laid) - want:] if want > 0 else []
    return sorted(fixed + laid + tail[::-1], key=lambda p: p[0])


def _dump_pretty(records: list[dict]) -> bytes:
    return orjson.dumps(records, option=orjson.OPT_INDENT_2)


def _dump_account(records: list[dict]) -> bytes:
    """Account-data files are pretty-printed the way Spotify writes them: `"key" : value`."""
    items = []
    for r in records:
        fields = ",\n".join(f"  {json.dumps(k)} : {json.dumps(v, ensure_ascii=False)}" for k, v in r.items())
        items.append("{\n" + fields + "\n}")
    return ("[ " + ", ".join(items) + " ]" if items else "[ ]").encode()


def _older(record: dict) -> dict:
    """The same play in the older endsong format."""
    out = {"ts": record["ts"], "username": "demo_listener", "platform": record["platform"],
           "ms_played": record["ms_played"], "conn_country": record["conn_country"],
           "ip_addr_decrypted": record["ip_addr"], "user_agent_decrypted": "unknown"}
    for key in ("master_metadata_track_name", "master_metadata_album_artist_name",
                "master_metadata_album_album_name", "spotify_track_uri", "episode_name", "episode_show_name",
                "spotify_episode_uri", "reason_start", "reason_end", "shuffle"):
        out[key] = record[key]
    out["skipped"] = None if record["skipped"] is False else record["skipped"]
    out["offline"] = record["offline"]
    out["offline_timestamp"] = (record["offline_timestamp"] or 0) // 1000
    out["incognito_mode"] = record["incognito_mode"]
    return out


def _account(record: dict, ended: dt.datetime) -> dict | None:
    """The account-data form of a play (minute precision, names only); None for what it leaves out."""
    minute = ended.strftime("%Y-%m-%d %H:%M")
    if record["master_metadata_track_name"]:
        return {"endTime": minute, "artistName": record["master_metadata_album_artist_name"],
                "trackName": record["master_metadata_track_name"], "msPlayed": record["ms_played"]}
    if record["episode_name"]:
        return {"endTime": minute, "podcastName": record["episode_show_name"],
                "episodeName": record["episode_name"], "msPlayed": record["ms_played"]}
    return None


def _key(record: dict) -> tuple:
    uri = record["spotify_track_uri"] or record["spotify_episode_uri"] or record["audiobook_chapter_uri"]
    return record["ts"], record["ms_played"], uri


def generate(out_dir: str | os.PathLike, *, records: int = DEFAULT_RECORDS, seed: int = DEFAULT_SEED,
             zip_: bool = False, extended_only: bool = False, artists: int | None = None,
             tracks: int | None = None) -> dict:
    """Write the demo export under `out_dir` (created if missing); returns the manifest.

    `artists` and `tracks` size the catalogue (default: the demo's 119 artists and records / 20 tracks,
    at most 20,000); a benchmark of a heavy listener asks for thousands of artists with a long tail.

    Manifest: `files` {relative path: records}, `ignored` (files that are not streaming history),
    `plays` (plays an import of everything must hold), `by_kind`, and for each part the counts
    an import reports: `extended` (records, zero_duration, repeated), `older` (records, all already
    present), `account` (records, matched, new, zero_duration).
    """
    if not RECORD_LIMITS[0] <= records <= RECORD_LIMITS[1]:
        raise ValueError(f"records must be between {RECORD_LIMITS[0]} and {RECORD_LIMITS[1]:,} (got {records})")
    rng = random.Random(seed)
    cat = _Catalogue(rng, tracks or max(50, min(20_000, records // 20)), artists)
    main = _listening(rng, cat, records)
    seen = {_key(rec) for _, _, rec in main}
    n_video = 0 if extended_only else max(3, records // 200)
    video = []
    # Video podcasts fill pauses of the last 60 days: nothing else plays while they do.
    gaps = [(a[0], b[0] - dt.timedelta(milliseconds=b[2]["ms_played"])) for a, b in itertools.pairwise(main)
            if a[0] >= END - dt.timedelta(days=60)]
    gaps = [g for g in gaps if g[1] - g[0] >= dt.timedelta(minutes=10)]
    for lo, hi in sorted(rng.sample(gaps, min(n_video, len(gaps)))):
        rec = _play(rng, cat, "podcast")
        room = int((hi - lo).total_seconds() * 1000) - 120_000
        rec["ms_played"] = max(1_000, min(rec["ms_played"], room))
        _place(rec, lo + dt.timedelta(minutes=1))
        if _key(rec) not in seen:
            seen.add(_key(rec))
            video.append(rec)

    files: dict[str, bytes] = {}
    counts: dict[str, int] = {}      # records per history file
    per_file = min(PER_FILE, max(10, math.ceil(len(main) / 3)))
    chunks = [main[i:i + per_file] for i in range(0, len(main), per_file)]
    repeated = 0
    for i, chunk in enumerate(chunks):
        recs = [rec for _, _, rec in chunk]
        if i and not extended_only:
            extra = [rec for _, _, rec in chunks[i - 1][-REPEATED_AT_FILE_START:]]
            repeated += len(extra)
            recs = extra + recs
        years = f"{chunk[0][0].year}-{chunk[-1][0].year}" if chunk[0][0].year != chunk[-1][0].year else str(chunk[0][0].year)
        name = f"{EXTENDED_DIR}/Streaming_History_Audio_{years}_{i}.json"
        files[name], counts[name] = _dump_pretty(recs), len(recs)
    manifest: dict = {"records": records, "seed": seed, "files": counts, "ignored": []}
    zero = sum(1 for _, _, r in main if r["ms_played"] == 0)
    by_kind: dict[str, int] = {}
    for _, kind, r in main:
        if r["ms_played"]:
            by_kind[kind] = by_kind.get(kind, 0) + 1
    manifest["extended"] = {"records": len(main) + repeated + len(video), "zero_duration": zero,
                            "repeated": repeated, "video": len(video)}
    plays = len(main) - zero + len(video)
    by_kind["podcast"] = by_kind.get("podcast", 0) + len(video)
    if not extended_only:
        name = f"{EXTENDED_DIR}/Streaming_History_Video_{END.year - 1}-{END.year}.json"
        files[name], counts[name] = _dump_pretty(video), len(video)
        files[f"{EXTENDED_DIR}/ReadMeFirst_ExtendedStreamingHistory.pdf"] = b"%PDF-1.4\n% demo\n%%EOF\n"
        # The older export: the first 40% of the timeline, no audiobooks (they came later).
        older = [_older(rec) for t, kind, rec in main[:int(len(main) * 0.4)] if kind != "audiobook"]
        for i in range(0, len(older), per_file):
            name = f"{OLDER_DIR}/endsong_{i // per_file}.json"
            files[name], counts[name] = orjson.dumps(older[i:i + per_file]), len(older[i:i + per_file])
        manifest["older"] = {"records": len(older), "zero_duration": sum(1 for r in older if not r["ms_played"])}
        # Account data: the last 12% again (minute precision), then two weeks the extended history lacks.
        music, podcast = [], []
        matched = new = account_zero = 0
        for t, _unused, rec in main[int(len(main) * 0.88):]:
            row = _account(rec, t)
            if row:
                (music if "trackName" in row else podcast).append(row)
                matched += 1 if rec["ms_played"] else 0
                account_zero += 0 if rec["ms_played"] else 1
        t = END
        for i in range(max(5, records // 100)):
            # a minute or more apart: account data says when a play ended to the minute only
            t += dt.timedelta(seconds=rng.randint(60, 86400 * ACCOUNT_EXTRA_DAYS // max(5, records // 100)))
            kind = "podcast" if rng.random() < 0.1 else "music"
            rec = _play(rng, cat, kind)
            # one in five skipped within the minute, so that these weeks have short streams too
            rec["ms_played"] = rng.randint(2_000, 59_000) if i % 5 == 1 else rec["ms_played"] or 30_000
            t = _place(rec, t)
            row = _account(rec, t)
            (music if "trackName" in row else podcast).append(row)
            by_kind[kind] = by_kind.get(kind, 0) + 1
            new += 1
        for name, rows in ((f"{ACCOUNT_DIR}/StreamingHistory_music_0.json", music),
                           (f"{ACCOUNT_DIR}/StreamingHistory_podcast_0.json", podcast)):
            files[name], counts[name] = _dump_account(rows), len(rows)
        files[f"{ACCOUNT_DIR}/Userdata.json"] = orjson.dumps({"username": "demo_listener", "country": "DE",
                                                               "creationTime": "2010-05-01"}, option=orjson.OPT_INDENT_2)
        files[f"{ACCOUNT_DIR}/Playlist1.json"] = orjson.dumps({"playlists": []})
        manifest["account"] = {"records": len(music) + len(podcast), "matched": matched, "new": new,
                               "zero_duration": account_zero}
        plays += new
        manifest["ignored"] = sorted(p for p in files if p not in counts)
    manifest["plays"] = plays
    manifest["by_kind"] = dict(sorted(by_kind.items()))
    manifest["first_ts"], manifest["last_ts"] = main[0][2]["ts"], main[-1][2]["ts"]
    _write(os.fspath(out_dir), files, zip_)
    return manifest


def _write(out_dir: str, files: dict[str, bytes], zip_: bool) -> None:
    os.makedirs(out_dir, exist_ok=True)
    if zip_:
        fd, tmp = tempfile.mkstemp(prefix=".demo-", suffix=".zip", dir=out_dir)
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
                for path, data in files.items():
                    zf.writestr(f"my_spotify_data/{path}", data)
            os.replace(tmp, os.path.join(out_dir, ZIP_NAME))
        except BaseException:
            os.unlink(tmp)
            raise
        return
    for path, data in files.items():
        full = os.path.join(out_dir, *path.split("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as fh:
            fh.write(data)


# ---------------------------------------------------------------------------------------------
# Command line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):       # one line, not argparse's usage block
        self.exit(2, f"error: {message} (see --help)\n")


def _records(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not RECORD_LIMITS[0] <= value <= RECORD_LIMITS[1]:
        raise argparse.ArgumentTypeError(f"must be between {RECORD_LIMITS[0]} and {RECORD_LIMITS[1]:,} (got {value})")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m migrate.demo_export", description=__doc__.splitlines()[0])
    parser.add_argument("out", metavar="OUT_DIR", help="folder to write into (created if missing)")
    parser.add_argument("--records", type=_records, default=DEFAULT_RECORDS,
                        help=f"records in the newest extended history (default {DEFAULT_RECORDS:,})")
    parser.add_argument("--zip", action="store_true", help=f"write OUT_DIR/{ZIP_NAME} instead of loose files")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--artists", type=_records, default=None,
                        help="artists in the catalogue (default: the demo's 119; more are invented)")
    parser.add_argument("--tracks", type=_records, default=None,
                        help="tracks in the catalogue (default: records / 20, at most 20,000)")
    parser.add_argument("--extended-only", action="store_true",
                        help="only the newest extended history, no duplicates (benchmark shape)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code or 0
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        print(f"error: {args.out} exists and is not a folder", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        manifest = generate(args.out, records=args.records, seed=args.seed, zip_=args.zip,
                            extended_only=args.extended_only, artists=args.artists, tracks=args.tracks)
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {manifest['plays']:,} plays in {len(manifest['files'])} history files "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(json.dumps(manifest, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
