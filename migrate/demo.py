"""Demo data: a deterministic, realistic Music Time Machine SQLite file.

    python -m migrate.demo OUT.db [--seed N] [--tracks N] [--weeks N] [--end YYYY-MM-DD] [--force]

The file has the Music Time Machine's two tables: `tracks` (with the whole Spotify track object in
raw_json, shaped like tests/fixtures/spotify/track_modern.json) and `snapshots` (a weekly top 50 for
each of Spotify's three time ranges). The same seed and sizes always give the same file.

How the charts come about. Every track has a weekly listening intensity: a bump (quick rise, slower
fall) when its album is discovered; for some a second bump months later (gone, then back); a low
steady level for all-time favourites; an early bump before the first snapshot for old favourites.
Each snapshot ranks the 50 tracks with the most listening in a window: the last 4 weeks, the
latest weighted most (short_term), the last 26 weeks (medium_term), or everything with a one-year
half-life (long_term), so short_term churns, medium_term follows, long_term drifts. "Forgotten
gems" are planted: tracks loved for a few weeks 9 to 11 months before the newest snapshot and not
played since. As in a real file, every track in `tracks` is in some chart: a track that never
made one gets a burst of plays, and what still never charts (a catalogue far bigger than the
charts can show) is left out.
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import heapq
import json
import math
import os
import random
import sqlite3
import sys
import time
from typing import NamedTuple

DEFAULT_SEED = 1989                   # the year of Dr. Feelgood
DEFAULT_TRACKS = 600
DEFAULT_WEEKS = 110                   # weekly snapshots: just over two years
DEFAULT_END = dt.date(2026, 11, 16)   # a Monday; fixed so the default file never changes
RANKS = 50
TIME_RANGES = ("short_term", "medium_term", "long_term")
TRACK_LIMITS = (100, 5_000)           # at least two charts' worth, so lists can churn
WEEK_LIMITS = (1, 1_040)              # up to 20 years

SCHEMA = """
CREATE TABLE tracks(track_id TEXT PRIMARY KEY, name TEXT, artist_name TEXT, album_name TEXT,
                    duration_ms INTEGER, spotify_url TEXT, raw_json TEXT);
CREATE TABLE snapshots(track_id TEXT, snapshot_date TEXT, time_range TEXT, rank INTEGER,
                       PRIMARY KEY (track_id, snapshot_date, time_range));
"""

# ---------------------------------------------------------------------------------------------
# Catalogue data: artists (name, language of their titles) and words to invent titles from

ARTISTS = (
    # English titles: well-known names, accents and umlauts among them
    ("Radiohead", "en"), ("Daft Punk", "en"), ("Mötley Crüe", "en"), ("Massive Attack", "en"),
    ("Portishead", "en"), ("The Beatles", "en"), ("David Bowie", "en"), ("Kate Bush", "en"),
    ("Fleetwood Mac", "en"), ("Pink Floyd", "en"), ("Queen", "en"), ("Nirvana", "en"),
    ("Arctic Monkeys", "en"), ("Tame Impala", "en"), ("Bon Iver", "en"), ("LCD Soundsystem", "en"),
    ("The National", "en"), ("Phoebe Bridgers", "en"), ("Taylor Swift", "en"), ("Kendrick Lamar", "en"),
    ("Frank Ocean", "en"), ("SZA", "en"), ("Beyoncé", "en"), ("Rihanna", "en"), ("Billie Eilish", "en"),
    ("Lorde", "en"), ("Lana Del Rey", "en"), ("Florence + The Machine", "en"), ("R.E.M.", "en"),
    ("Talking Heads", "en"), ("Joy Division", "en"), ("The Cure", "en"), ("Depeche Mode", "en"),
    ("Aphex Twin", "en"), ("Boards of Canada", "en"), ("Metallica", "en"), ("Motörhead", "en"),
    ("AC/DC", "en"), ("Guns N' Roses", "en"), ("Bob Dylan", "en"), ("Joni Mitchell", "en"),
    ("Leonard Cohen", "en"), ("Nick Cave & The Bad Seeds", "en"), ("Prince", "en"), ("Nina Simone", "en"),
    ("Miles Davis", "en"), ("Björk", "en"), ("Mø", "en"), ("Robyn", "en"), ("ABBA", "en"), ("Röyksopp", "en"),
    ("a-ha", "en"), ("Blue Öyster Cult", "en"), ("Hüsker Dü", "en"), ("Queensrÿche", "en"),
    ("Sinéad O'Connor", "en"), ("Janelle Monáe", "en"), ("Mitski", "en"), ("Nils Frahm", "en"),
    ("Emilíana Torrini", "en"),
    # Latin script, titles in the artist's language
    ("Sigur Rós", "is"), ("Ólafur Arnalds", "is"), ("Jóhann Jóhannsson", "is"),
    ("Hildur Guðnadóttir", "is"), ("Céline Dion", "fr"), ("Stromae", "fr"),
    ("Christine and the Queens", "fr"), ("Édith Piaf", "fr"), ("Serge Gainsbourg", "fr"),
    ("Françoise Hardy", "fr"), ("Zaz", "fr"), ("Rosalía", "es"), ("Zoé", "es"), ("Café Tacvba", "es"),
    ("Natalia Lafourcade", "es"), ("Bad Bunny", "es"), ("Shakira", "es"), ("Manu Chao", "es"),
    ("Soda Stereo", "es"), ("Héroes del Silencio", "es"), ("Mercedes Sosa", "es"), ("Caetano Veloso", "pt"),
    ("Jorge Ben Jor", "pt"), ("Os Mutantes", "pt"), ("Elis Regina", "pt"), ("João Gilberto", "pt"),
    ("Marisa Monte", "pt"), ("Kraftwerk", "de"), ("Rammstein", "de"), ("Einstürzende Neubauten", "de"),
    ("Die Ärzte", "de"), ("Barış Manço", "tr"), ("Sezen Aksu", "tr"), ("Sơn Tùng M-TP", "vi"),
    # non-Latin scripts
    ("坂本龍一", "ja"), ("宇多田ヒカル", "ja"), ("椎名林檎", "ja"), ("米津玄師", "ja"), ("久石譲", "ja"), ("山下達郎", "ja"),
    ("방탄소년단", "ko"), ("아이유", "ko"), ("잔나비", "ko"), ("검정치마", "ko"), ("周杰倫", "zh"), ("王菲", "zh"), ("鄧麗君", "zh"),
    ("Кино", "ru"), ("Аквариум", "ru"), ("ДДТ", "ru"), ("Земфира", "ru"), ("Мумий Тролль", "ru"),
    ("Μίκης Θεοδωράκης", "el"), ("Μάνος Χατζιδάκις", "el"), ("فيروز", "ar"), ("أم كلثوم", "ar"),
    ("عمرو دياب", "ar"), ("लता मंगेशकर", "hi"), ("עידן רייכל", "he"),
)
ARTIST_LANGUAGE = dict(ARTISTS)
# Spotify's own "Various Artists", the album artist of many compilations.
VARIOUS_ARTISTS = ("Various Artists", "0LyfQWJT6nXafLPZqxe9Of")
# The one real title the demo promises (searching for it is a quick check that an import worked).
KICKSTART = {"artist": "Mötley Crüe", "name": "Kickstart My Heart", "album": "Dr. Feelgood",
             "release_date": "1989-09-01", "total_tracks": 11, "track_number": 5, "duration_ms": 282_760}

_EN_ADJECTIVES = (
    "Blue", "Golden", "Electric", "Silent", "Broken", "Paper", "Neon", "Velvet", "Hollow", "Burning",
    "Frozen", "Wild", "Lonely", "Midnight", "Crystal", "Silver", "Northern", "Endless", "Quiet",
    "Restless", "Distant", "Fading", "Sweet", "Bitter", "Dark", "Bright", "Last", "First", "Little",
    "Strange", "Heavy", "Slow", "Secret", "Open", "Glass", "Holy", "Careless", "Sunday"
)
_EN_NOUNS = (
    "Heart", "Sky", "River", "Light", "Night", "Fire", "Ocean", "Garden", "Mirror", "Dream", "Ghost",
    "Highway", "Machine", "Horizon", "Window", "Shadow", "Summer", "Winter", "Signal", "Echo",
    "Satellite", "Island", "Storm", "Rain", "Harbor", "Engine", "Moon", "Kingdom", "Daylight", "Static",
    "Lantern", "Telephone", "Radio", "City", "Morning", "Avenue", "Wire", "Love", "Skin"
)
_EN_VERBS = (
    "Running", "Falling", "Dancing", "Waiting", "Drifting", "Burning", "Calling", "Breathing",
    "Holding", "Chasing", "Dreaming", "Fading", "Shaking", "Breaking", "Leaving", "Driving", "Sleeping"
)
_EN_TITLES = ("{A} {N}", "{A} {N}", "The {A} {N}", "{N}", "{V}", "{V} Through the {N}", "{N} in the {M}",
              "Into the {N}", "Under the {A} {N}", "{V} Away", "All the {A} Things", "We Were {A}",
              "{N} Song", "Somewhere {A}", "{A} Like the {N}", "Don't Stop {V}", "{N} / {M}")
_EN_ALBUMS = ("{A} {N}", "The {A} {N}", "{N}", "{A}", "Songs from the {N}", "{N} Sessions",
              "Nights at the {N}", "A {A} {N}", "{V}", "Everything Is {A}")
# Other languages: whole titles, combined with a few English ones for albums.
_TITLES = {
    "is": ("Hafið", "Norðurljós", "Vetrarsól", "Draumur", "Ljósið", "Heima", "Fjöllin", "Snjór",
           "Undir stjörnum", "Þögn", "Vindur", "Myrkur", "Sólin rís", "Í kyrrðinni", "Ísjaki"),
    "fr": ("La vie en rêve", "Mélancolie", "Nuit blanche", "Château de sable", "Déjà vu", "Ça ira",
           "Mon cœur", "Les étoiles", "Rêverie", "Au bord de l'eau", "Tout est bleu", "Éclipse",
           "Là-bas", "Pourquoi pas", "Fenêtre sur cour", "L'été à Paris"),
    "es": ("Luz de luna", "Corazón de fuego", "La noche", "Canción del mar", "Ciudad dormida",
           "Días de sol", "Mariposa", "Lágrimas", "Otra vez", "Nunca más", "Sin ti", "Camino al sur",
           "Fuego lento", "Cielo rojo", "Qué será", "Mañana", "Niña bonita"),
    "pt": ("Saudade", "Coração vagabundo", "Manhã de sol", "Noite tropical", "Só você", "Mar aberto",
           "Canção do vento", "Estrela", "Beija-flor", "Sol de inverno", "Lua nova", "Avenida São João",
           "Pão e poesia"),
    "de": ("Morgenrot", "Sehnsucht", "Fernweh", "Straße der Träume", "Nachtzug", "Übermorgen",
           "Weißes Rauschen", "Mädchen aus Stahl", "Glück", "Heimweh", "Größenwahn", "Computerliebe"),
    "tr": ("Gül", "Yağmur", "İstanbul'da sonbahar", "Şarkı söyle", "Gözlerin", "Deniz üstü", "Aşk",
           "Güneş doğarken", "Yalnızlık", "Ilık rüzgâr"),
    "vi": ("Mưa đêm", "Ánh trăng", "Hà Nội mùa thu", "Giấc mơ", "Người ấy", "Nắng ấm", "Chạy ngay đi"),
    "ja": ("夜明けの街", "東京の雨", "月光", "桜の下で", "夢の続き", "光の中へ", "風の歌", "静かな海",
           "さよならの前に", "星空", "青い春", "花火", "雪の日", "ミッドナイト・ドライブ", "真夏の果実"),
    "ko": ("봄날의 꿈", "별빛", "너에게", "밤하늘", "바다의 노래", "하루 끝", "푸른 새벽", "사랑이란",
           "그 여름", "달빛 아래", "첫눈", "안녕"),
    "zh": ("城市的夜", "雨天", "晴天", "遠方", "夢中人", "星光", "一生", "海邊", "時光", "北京的冬天",
           "月亮船"),
    "ru": ("Ночной город", "Белый снег", "Красная звезда", "Последний трамвай", "Осень", "Вечер",
           "Дорога домой", "Солнце встаёт", "Тёмная вода", "Песня о море", "Ветер перемен", "Сны"),
    "el": ("Το τελευταίο καλοκαίρι", "Θάλασσα", "Νύχτα", "Αγάπη μου", "Ο δρόμος", "Φεγγάρι",
           "Άσπρο φως", "Στο λιμάνι", "Ελπίδα", "Μελωδία"),
    "ar": ("يا ليل", "حبيبي", "القمر", "بيروت", "سهر الليالي", "يا قلبي", "على البال", "شمس", "نسمة"),
    "hi": ("चाँद की रात", "प्यार", "सपने", "बारिश", "मेरा गाँव", "सुबह", "तेरे बिना"),
    "he": ("שלום", "לילה", "ים", "אהבה", "בוקר טוב", "הדרך הביתה"),
}
_VERSIONS = (" - Remastered", " - Live", " - Radio Edit", " - Acoustic", " - Demo", " - Mono")

# Spotify's markets in its own order: the 174 of track_modern.json, then 11 more (185 in all).
MARKETS = (
    "AR", "AU", "BE", "BO", "BR", "BG", "CA", "CL", "CO", "CR", "CY", "CZ", "DK", "DO", "EC", "EE",
    "SV", "FI", "FR", "GR", "GT", "HN", "HK", "HU", "IS", "IE", "IT", "LV", "LT", "LU", "MY", "MT",
    "MX", "NL", "NZ", "NI", "NO", "PA", "PY", "PE", "PH", "PL", "PT", "SG", "SK", "ES", "SE", "TW",
    "TR", "UY", "US", "GB", "AD", "LI", "MC", "ID", "JP", "TH", "VN", "RO", "IL", "ZA", "SA", "AE",
    "BH", "QA", "OM", "KW", "EG", "MA", "DZ", "TN", "LB", "JO", "PS", "IN", "BY", "KZ", "MD", "UA",
    "AL", "KR", "BD", "PK", "LK", "GH", "KE", "NG", "TZ", "UG", "AG", "AM", "BS", "BB", "BZ", "BT",
    "BW", "BF", "CV", "CW", "DM", "FJ", "GM", "GE", "GD", "GW", "GY", "HT", "JM", "KI", "LS", "LR",
    "MW", "MV", "ML", "MH", "FM", "NA", "NR", "NE", "PW", "PG", "WS", "SM", "ST", "SN", "SC", "SL",
    "SB", "KN", "LC", "VC", "SR", "TL", "TO", "TT", "TV", "VU", "AZ", "BN", "BI", "KH", "CM", "TD",
    "KM", "GQ", "SZ", "GA", "GN", "KG", "LA", "MO", "MR", "MN", "NP", "RW", "TG", "UZ", "ZW", "BJ",
    "MG", "MU", "MZ", "AO", "CI", "DJ", "ZM", "CD", "CG", "IQ", "LY", "TJ", "VE", "ET", "AT", "CH",
    "DE", "BA", "HR", "ME", "MK", "RS", "SI", "XK", "PR"
)
_MARKET_RING = MARKETS + MARKETS        # slices of this give regional lists that start anywhere
# ISRC country prefix by title language (the country of the label that registered the recording).
_ISRC_COUNTRY = {"en": ("US", "GB", "US", "SE", "IS"), "is": ("IS",), "fr": ("FR",), "es": ("ES", "MX", "AR"),
                 "pt": ("BR",), "de": ("DE",), "tr": ("TR",), "vi": ("VN",), "ja": ("JP",), "ko": ("KR",),
                 "zh": ("TW", "HK"), "ru": ("RU",), "el": ("GR",), "ar": ("LB", "EG"), "hi": ("IN",),
                 "he": ("IL",)}

# ---------------------------------------------------------------------------------------------
# Spotify objects. Keys are in the order of the fixture (alphabetical), as the Web API sends them.

_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_BASE62_PAIRS = tuple(a + b for a in _BASE62 for b in _BASE62)
_ISRC_REGISTRANT = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_IMAGE_SIZES = (("ab67616d0000b273", 640), ("ab67616d00001e02", 300), ("ab67616d00004851", 64))


def _base62(number: int) -> str:
    """22 base62 digits: a Spotify id is a 128-bit number written this way (so it starts with 0-7)."""
    pairs = []
    for _ in range(11):                 # two digits per step: half the big-number divisions
        number, pair = divmod(number, 3844)
        pairs.append(_BASE62_PAIRS[pair])
    return "".join(reversed(pairs))


def spotify_id(rng: random.Random) -> str:
    return _base62(rng.getrandbits(128))


@functools.cache
def _stable_id(name: str) -> str:
    """An artist's id, derived from the name: the same artist has the same id in every file."""
    return _base62(int.from_bytes(hashlib.blake2b(name.encode(), digest_size=16).digest(), "big"))


def _links(kind: str, object_id: str) -> dict:
    return {"external_urls": {"spotify": f"https://open.spotify.com/{kind}/{object_id}"},
            "href": f"https://api.spotify.com/v1/{kind}s/{object_id}"}


def make_artist(name: str, artist_id: str | None = None) -> dict:
    """A simplified artist object, as in a track's and an album's `artists`."""
    artist_id = artist_id or _stable_id(name)
    return {**_links("artist", artist_id), "id": artist_id, "name": name, "type": "artist",
            "uri": f"spotify:artist:{artist_id}"}


@functools.cache
def _catalogue_artist(index: int) -> list[dict]:
    """[artist object] for ARTISTS[index], shared by the tracks make_track invents (read-only)."""
    return [make_artist(ARTISTS[index][0])]


def random_markets(rng: random.Random) -> list[str]:
    """available_markets as real tracks have them: mostly (nearly) everywhere, some regional, a few none.

    The list is shared between every caller that draws the same one (at most a few thousand distinct
    lists exist): treat it as read-only. That keeps 100,000 tracks cheap in time and memory.
    """
    draw = rng.random()
    if draw < 0.55:
        return _markets(0, len(MARKETS))
    if draw < 0.75:
        return _markets(0, rng.randint(170, 184))
    if draw < 0.90:
        return _markets(0, rng.randint(60, 169))
    if draw < 0.98:
        return _markets(rng.randrange(len(MARKETS)), rng.randint(1, 25))
    return _markets(0, 0)               # no longer available anywhere: real data has these too


@functools.cache
def _markets(start: int, length: int) -> list[str]:
    return list(_MARKET_RING[start:start + length])


def random_release(rng: random.Random, latest: dt.date, earliest_year: int = 1960) -> tuple[str, str]:
    """(release_date, release_date_precision) no later than `latest`; older releases are vaguer."""
    year = rng.randint(min(earliest_year, latest.year), latest.year)
    day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
    return _release_text(rng, min(day, latest))


def _release_text(rng: random.Random, day: dt.date) -> tuple[str, str]:
    draw = rng.random()
    if draw < (0.35 if day.year < 1980 else 0.07):
        return str(day.year), "year"
    if draw < (0.45 if day.year < 1980 else 0.12):
        return f"{day.year:04d}-{day.month:02d}", "month"
    return day.isoformat(), "day"


def make_album(rng: random.Random, artists: list[dict], *, name: str | None = None,
               album_type: str | None = None, release: tuple[str, str] | None = None,
               total_tracks: int | None = None, markets: list[str] | None = None) -> dict:
    """A simplified album object; whatever is not given is invented."""
    if album_type is None:
        draw = rng.random()
        album_type = "album" if draw < 0.7 else "single" if draw < 0.92 else "compilation"
    if total_tracks is None:
        total_tracks = _album_size(rng, album_type)
    language = ARTIST_LANGUAGE.get(artists[0]["name"], "en") if artists else "en"
    date_text, precision = release or random_release(rng, DEFAULT_END)
    album_id = spotify_id(rng)
    image = f"{rng.getrandbits(96):024x}"
    return {
        "album_group": album_type,
        "album_type": album_type,
        "artists": artists,
        "available_markets": random_markets(rng) if markets is None else markets,
        **_links("album", album_id),
        "id": album_id,
        "images": [{"height": size, "url": f"https://i.scdn.co/image/{prefix}{image}", "width": size}
                   for prefix, size in _IMAGE_SIZES],
        "name": name or album_title(rng, language),
        "release_date": date_text,
        "release_date_precision": precision,
        "total_tracks": total_tracks,
        "type": "album",
        "uri": f"spotify:album:{album_id}",
    }


def _album_size(rng: random.Random, album_type: str) -> int:
    if album_type == "single":
        return rng.choice((1, 1, 1, 2, 3))
    return rng.randint(14, 40) if album_type == "compilation" else rng.randint(8, 16)


def make_track(rng: random.Random, *, artists: list[dict] | None = None, album: dict | None = None,
               name: str | None = None, track_number: int | None = None, disc_number: int = 1,
               duration_ms: int | None = None, explicit: bool | None = None,
               popularity: int | None = None, isrc: str | None = None) -> dict:
    """One Spotify track object (what raw_json holds); whatever is not given is invented.

    Cheap enough for 100,000 calls in a few seconds: the markets list is the album's (one of a few
    shared slices of MARKETS), and the artist and album objects passed in are shared, not copied.
    """
    if artists is None:
        artists = _catalogue_artist(rng.randrange(len(ARTISTS)))
    if album is None:
        album = make_album(rng, artists)
    language = ARTIST_LANGUAGE.get(artists[0]["name"], "en")
    if track_number is None:
        track_number = rng.randint(1, album["total_tracks"])
    if duration_ms is None:
        duration_ms = (rng.randint(480_000, 1_300_000) if rng.random() < 0.03
                       else max(95_000, min(480_000, int(rng.gauss(220_000, 50_000)))))
    if isrc is None:
        year = album["release_date"][2:4]
        registrant = "".join(rng.choices(_ISRC_REGISTRANT, k=3))
        country = rng.choice(_ISRC_COUNTRY.get(language, ("US",)))
        isrc = f"{country}{registrant}{year}{rng.randrange(100_000):05d}"
    track_id = spotify_id(rng)
    preview = rng.getrandbits(160) if rng.random() < 0.25 else None   # most previews are gone nowadays
    return {
        "album": album,
        "artists": artists,
        "available_markets": album["available_markets"],
        "disc_number": disc_number,
        "duration_ms": duration_ms,
        "explicit": rng.random() < 0.12 if explicit is None else explicit,
        "external_ids": {"isrc": isrc},
        **_links("track", track_id),
        "id": track_id,
        "is_local": False,
        "name": name or track_title(rng, language),
        "popularity": rng.randint(5, 90) if popularity is None else popularity,
        "preview_url": None if preview is None else
        f"https://p.scdn.co/mp3-preview/{preview:040x}?cid=3c5328c75f1f44c086b25e73608c453b",
        "track_number": track_number,
        "type": "track",
        "uri": f"spotify:track:{track_id}",
    }


def track_title(rng: random.Random, language: str = "en") -> str:
    """An invented title in the artist's language, now and then a version of it ("- Live")."""
    if language in _TITLES and rng.random() < 0.85:
        title = rng.choice(_TITLES[language])
    else:
        title = rng.choice(_EN_TITLES).format(A=rng.choice(_EN_ADJECTIVES), N=rng.choice(_EN_NOUNS),
                                              M=rng.choice(_EN_NOUNS), V=rng.choice(_EN_VERBS))
    if rng.random() < 0.08:
        version = rng.choice(_VERSIONS)
        title += version + (f" {rng.randint(1995, 2024)}" if version == " - Remastered" else "")
    return title


def album_title(rng: random.Random, language: str = "en") -> str:
    if language in _TITLES and rng.random() < 0.7:
        return rng.choice(_TITLES[language])
    return rng.choice(_EN_ALBUMS).format(A=rng.choice(_EN_ADJECTIVES), N=rng.choice(_EN_NOUNS),
                                         V=rng.choice(_EN_VERBS))


# ---------------------------------------------------------------------------------------------
# The catalogue: which artist and album each track has, and what kind of listening it gets


class _Album(NamedTuple):
    artist: int                 # index into ARTISTS
    kind: str                   # album_type: album, single or compilation
    total_tracks: int
    discovered: float           # the week the listener found it; its tracks' bumps gather round it
    fixed: dict | None = None   # a real album's name and date (Dr. Feelgood)


def _plan_catalogue(rng: random.Random, n_tracks: int, history: int, total: int) -> tuple[list, list]:
    """(tracks, albums): each track as (artist index, album index, track number), in album order.

    Every artist gets a track (room permitting), the rest go by a Zipf-like taste drawn from the
    seed, so each seed has its own favourite artists. Each artist's tracks are split into albums,
    singles and compilations, discovered at random weeks over the snapshot period.
    """
    order = list(range(len(ARTISTS)))
    rng.shuffle(order)
    taste = [0.0] * len(ARTISTS)
    for place, artist in enumerate(order):
        taste[artist] = 1 / (place + 1) ** 0.9
    if n_tracks >= len(ARTISTS):
        counts = [1] * len(ARTISTS)
        for artist in rng.choices(range(len(ARTISTS)), taste, k=n_tracks - len(ARTISTS)):
            counts[artist] += 1
    else:
        counts = [1 if artist in order[:n_tracks] else 0 for artist in range(len(ARTISTS))]
    kickstart_artist = next(i for i, (name, _) in enumerate(ARTISTS) if name == KICKSTART["artist"])

    tracks, albums = [], []

    def add_album(artist: int, kind: str, size: int, numbers: list[int], fixed: dict | None = None):
        albums.append(_Album(artist, kind, size, rng.uniform(history - 6, total + 3), fixed))
        tracks.extend((artist, len(albums) - 1, number) for number in numbers)

    for artist, left in enumerate(counts):
        if artist == kickstart_artist and left:
            add_album(artist, "album", KICKSTART["total_tracks"], [KICKSTART["track_number"]], KICKSTART)
            left -= 1
        while left:
            kind = rng.choices(("album", "single", "compilation"), (70, 22, 8))[0]
            if kind == "single":
                take = 1
            else:
                take = min(left, rng.randint(1, 3) if kind == "compilation" else rng.randint(2, 7))
            size = max(_album_size(rng, kind), take)
            add_album(artist, kind, size, sorted(rng.sample(range(1, size + 1), take)))
            left -= take
    return tracks, albums


# ---------------------------------------------------------------------------------------------
# Listening over time and the weekly charts it produces

SHORT_WEIGHTS = (1.0, 0.7, 0.45, 0.2)   # the last 4 weeks, the latest counting most
MEDIUM_WEEKS, LONG_HALF_LIFE = 26, 52
NOISE = 0.5                   # week-to-week wobble of each track's plays (log-normal sigma)
HISTORY = 104                 # weeks of listening before the first snapshot, so long_term starts full


class _Listening:
    """Weekly intensity per track over HISTORY + weeks weeks, and the charts it gives.

    A bump is (peak week, height, rise, fall): a Gaussian rise to the peak, an exponential fall
    after it, cut off where it drops under 3% so that a track really goes quiet.
    """

    def __init__(self, rng: random.Random, n_tracks: int, weeks: int):
        self.rng = rng
        self.total = HISTORY + weeks
        self.bumps: list[list[tuple]] = [[] for _ in range(n_tracks)]
        self.staples: list[tuple | None] = [None] * n_tracks
        self.plays: list[list[float]] = []

    def intensity(self, track: int) -> list[float]:
        plays = [0.0] * self.total
        for peak, height, rise, fall in self.bumps[track]:
            start, stop = max(0, math.ceil(peak - 2.5 * rise)), min(self.total, int(peak + 3.5 * fall) + 1)
            for week in range(start, stop):
                x = week - peak
                plays[week] += height * (math.exp(-(x / rise) ** 2) if x < 0 else math.exp(-x / fall))
        if self.staples[track]:
            level, period, phase = self.staples[track]
            for week in range(self.total):
                plays[week] += level * (1 + 0.5 * math.sin(2 * math.pi * week / period + phase))
        wobble = self.rng.lognormvariate
        return [v * wobble(0, NOISE) if v else 0.0 for v in plays]

    def charts(self) -> list[dict[str, list[int]]]:
        """For each snapshot (oldest first), time range -> track indices in rank order."""
        n, first = len(self.plays), HISTORY
        # Prefix sums turn each medium_term window into one subtraction.
        sums = []
        for plays in self.plays:
            running, acc = [0.0], 0.0
            for v in plays:
                acc += v
                running.append(acc)
            sums.append(running)
        decay = 0.5 ** (1 / LONG_HALF_LIFE)
        w0, w1, w2, w3 = SHORT_WEIGHTS
        long = [0.0] * n
        tiebreak = [self.rng.random() for _ in range(n)]   # stable order among tracks never played

        def top(keys: list[tuple]) -> list[int]:
            return heapq.nlargest(RANKS, range(n), key=keys.__getitem__)

        out = []
        for week in range(self.total):
            for i in range(n):
                long[i] = long[i] * decay + self.plays[i][week]
            if week < first:
                continue
            short = [w0 * p[week] + w1 * p[week - 1] + w2 * p[week - 2] + w3 * p[week - 3]
                     for p in self.plays]
            medium = [s[week + 1] - s[max(0, week + 1 - MEDIUM_WEEKS)] for s in sums]
            # Ties (nothing played in the window) fall back on the longer ranges.
            out.append({
                "short_term": top(list(zip(short, medium, long, tiebreak))),
                "medium_term": top(list(zip(medium, long, tiebreak))),
                "long_term": top(list(zip(long, tiebreak))),
            })
        return out


def _plan_listening(rng: random.Random, tracks: list, albums: list[_Album],
                    weeks: int) -> tuple[_Listening, list[int]]:
    """Give every track its bumps; returns the listening and the planted forgotten gems."""
    n = len(tracks)
    listening = _Listening(rng, n, weeks)
    last = listening.total - 1
    for i, (_, album, _) in enumerate(tracks):
        kind = rng.random()
        if albums[album].fixed or kind < 0.05:         # all-time favourite (Kickstart My Heart is one)
            listening.staples[i] = (rng.uniform(0.25, 0.7), rng.uniform(20, 60), rng.uniform(0, 2 * math.pi))
            continue
        if kind < 0.15:                                 # loved long before the first snapshot
            listening.bumps[i].append((rng.uniform(0, HISTORY - 4), min(rng.paretovariate(1.4), 15),
                                       rng.uniform(1, 4), rng.uniform(8, 30)))
            continue
        peak = albums[album].discovered + rng.gauss(0, 3)
        height = min(rng.paretovariate(1.4), 15)
        if kind < 0.30:                                 # played, gone for months, back again
            listening.bumps[i].append((peak, height, rng.uniform(0.8, 3), rng.uniform(1.5, 4)))
            listening.bumps[i].append((peak + rng.uniform(16, 40), height * rng.uniform(0.5, 1.3),
                                       rng.uniform(0.8, 3), rng.uniform(2, 10)))
        else:                                           # the ordinary hit: found, loved, faded
            fall = math.exp(rng.gauss(math.log(5), 0.6))   # mostly 2 to 15 weeks
            listening.bumps[i].append((peak, height, rng.uniform(0.8, 3), fall))
    # Forgotten gems: a few weeks of heavy rotation 39 to 50 weeks before the newest snapshot, then
    # silence: out of every chart (medium_term's 26 weeks included) well before the last 4 snapshots.
    gems = []
    if weeks >= 52:
        plain = [i for i in range(n) if len(listening.bumps[i]) == 1 and not listening.staples[i]
                 and listening.bumps[i][0][0] >= HISTORY]
        gems = sorted(rng.sample(plain, min(len(plain), max(5, n // 30))))
        for i in gems:
            listening.bumps[i] = [(last - rng.uniform(39, 50), rng.uniform(3, 6), 1.0, rng.uniform(1, 2))]
    listening.plays = [listening.intensity(i) for i in range(n)]
    return listening, gems


def _chart_everyone(rng: random.Random, listening: _Listening) -> list[dict[str, list[int]]]:
    """The charts, after trying to make every track reach one at least once.

    A real Music Time Machine file only holds tracks that were in some top 50, so a track that never
    made it gets a short burst of plays somewhere in the snapshot period and the charts are redone,
    for a few rounds while that helps. Tracks still left out (a catalogue bigger than the charts can
    show) are dropped by the caller.
    """
    missing = range(len(listening.plays))
    for round_ in range(1, 9):
        charts = listening.charts()
        seen = {i for chart in charts for ranked in chart.values() for i in ranked}
        still = [i for i in range(len(listening.plays)) if i not in seen]
        stalled = len(still) > 10 and len(still) > 0.95 * len(missing)
        if not still or stalled or round_ == 8:
            break
        missing = still
        for i in missing:                   # louder each round, for the ones drowned out before
            peak, height = rng.uniform(HISTORY, listening.total - 1), rng.uniform(4, 8) * (1 + round_ / 4)
            listening.bumps[i].append((peak, height, 1.0, rng.uniform(1.5, 3)))
            listening.plays[i] = listening.intensity(i)
    return charts


def forgotten_gems(charts: list[dict[str, list[int]]], dates: list[dt.date], recent: int = 4) -> set[int]:
    """Tracks in a chart 90 to 365 days before the newest snapshot and in none of the last `recent`."""
    newest = dates[-1]
    then = {i for chart, day in zip(charts, dates) if 90 <= (newest - day).days <= 365
            for ranked in chart.values() for i in ranked}
    now = {i for chart in charts[-recent:] for ranked in chart.values() for i in ranked}
    return then - now


# ---------------------------------------------------------------------------------------------
# Putting it together


def check_sizes(n_tracks: int, weeks: int) -> None:
    """ValueError with a one-line reason when the sizes are out of range."""
    if not TRACK_LIMITS[0] <= n_tracks <= TRACK_LIMITS[1]:
        raise ValueError(f"tracks must be between {TRACK_LIMITS[0]} and {TRACK_LIMITS[1]:,} (got {n_tracks})")
    if not WEEK_LIMITS[0] <= weeks <= WEEK_LIMITS[1]:
        raise ValueError(f"weeks must be between {WEEK_LIMITS[0]} and {WEEK_LIMITS[1]} (got {weeks})")


def generate(path: str | os.PathLike, *, seed: int = DEFAULT_SEED, n_tracks: int = DEFAULT_TRACKS,
             weeks: int = DEFAULT_WEEKS, end: dt.date = DEFAULT_END, force: bool = False) -> dict:
    """Write a demo Music Time Machine file at `path`; returns what it holds (counts and dates).

    FileExistsError if `path` exists and not `force`; ValueError for sizes out of range. The file
    is built next to `path` and renamed into place, so a failed run leaves nothing half-written.
    """
    check_sizes(n_tracks, weeks)
    path = os.fspath(path)
    if os.path.exists(path) and not force:
        raise FileExistsError(f"{path} exists; pass --force to replace it")
    rng = random.Random(seed)

    plan, albums = _plan_catalogue(rng, n_tracks, HISTORY, HISTORY + weeks)
    listening, _ = _plan_listening(rng, plan, albums, weeks)
    charts = _chart_everyone(rng, listening)
    day_of = [end - dt.timedelta(weeks=listening.total - 1 - week) for week in range(listening.total)]
    dates = day_of[HISTORY:]
    tracks = _spotify_tracks(rng, plan, albums, listening, day_of)
    charted = {i for chart in charts for ranked in chart.values() for i in ranked}

    # raw_json as Python's json.dumps writes it by default (non-ASCII as \u escapes).
    track_rows = [(t["id"], t["name"], t["artists"][0]["name"], t["album"]["name"], t["duration_ms"],
                   t["external_urls"]["spotify"], json.dumps(t))
                  for i, t in enumerate(tracks) if i in charted]
    snapshot_rows = [(tracks[i]["id"], day.isoformat(), time_range, rank)
                     for chart, day in zip(charts, dates) for time_range in TIME_RANGES
                     for rank, i in enumerate(chart[time_range], start=1)]
    _write(path, track_rows, snapshot_rows)
    return {
        "tracks": len(track_rows),
        "left_out": n_tracks - len(track_rows),   # never charted: more tracks than the charts can show
        "artists": len({row[2] for row in track_rows}),
        "albums": len({t["album"]["id"] for i, t in enumerate(tracks) if i in charted}),
        "snapshots": len(snapshot_rows),
        "dates": len(dates),
        "forgotten_gems": len(forgotten_gems(charts, dates)),
        "first_date": dates[0].isoformat(),
        "last_date": dates[-1].isoformat(),
    }


def _spotify_tracks(rng: random.Random, plan: list, albums: list[_Album], listening: _Listening,
                    day_of: list[dt.date]) -> list[dict]:
    """The track objects for the plan, in its order.

    An album's release date is before the first week any of its tracks was played (new releases
    within weeks of it, the rest any time in the artist's career, whose length is drawn per artist).
    """
    last = listening.total - 1
    album_first = [last] * len(albums)
    for i, (_, album, _) in enumerate(plan):
        first = next((week for week, v in enumerate(listening.plays[i]) if v), last)
        album_first[album] = min(album_first[album], first)
    career_start = {}
    for album, week in enumerate(album_first):
        artist, year = albums[album].artist, day_of[week].year - int(rng.expovariate(1 / 12))
        career_start[artist] = max(1955, min(career_start.get(artist, year), year))

    artists = [make_artist(name) for name, _ in ARTISTS]
    various = make_artist(*VARIOUS_ARTISTS)
    album_objects = []
    for album, info in enumerate(albums):
        latest = day_of[album_first[album]]
        if info.fixed:
            release = (info.fixed["release_date"], "day")
        elif rng.random() < 0.25:
            release = _release_text(rng, latest - dt.timedelta(days=rng.randrange(42)))
        else:
            release = random_release(rng, latest, career_start[info.artist])
        owner = [various] if info.kind == "compilation" and rng.random() < 0.4 else [artists[info.artist]]
        name = info.fixed and info.fixed["album"]
        album_objects.append(make_album(rng, owner, name=name, album_type=info.kind, release=release,
                                        total_tracks=info.total_tracks))

    tracks = []
    for artist, album, number in plan:
        info = albums[album]
        by, name = [artists[artist]], info.fixed and info.fixed["name"]
        if not info.fixed and rng.random() < 0.12:      # a featured second artist
            guest = rng.randrange(len(ARTISTS))
            if guest != artist:
                by.append(artists[guest])
                if rng.random() < 0.5:
                    name = f"{track_title(rng, ARTISTS[artist][1])} (feat. {ARTISTS[guest][0]})"
        disc, number_on_disc = (2, number - 20) if info.total_tracks > 24 and number > 20 else (1, number)
        tracks.append(make_track(rng, artists=by, album=album_objects[album], name=name,
                                 track_number=number_on_disc, disc_number=disc,
                                 duration_ms=info.fixed and info.fixed["duration_ms"],
                                 explicit=False if info.fixed else None))
    return tracks


def _write(path: str, track_rows: list[tuple], snapshot_rows: list[tuple]) -> None:
    """Write both tables in one transaction to a temporary file, then rename it to `path`."""
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")   # not mkstemp: keep the umask's mode
    if os.path.exists(tmp):
        os.unlink(tmp)
    try:
        con = sqlite3.connect(tmp)
        try:
            con.executescript(SCHEMA)
            with con:
                con.executemany("INSERT INTO tracks VALUES (?, ?, ?, ?, ?, ?, ?)", track_rows)
                con.executemany("INSERT INTO snapshots VALUES (?, ?, ?, ?)", snapshot_rows)
        finally:
            con.close()
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------------------------
# Command line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):       # one line, not argparse's usage block
        self.exit(2, f"error: {message} (see --help)\n")


def _bounded(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high} (got {value})")
        return value
    return parse


def _day(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-16") from None


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m migrate.demo", description=__doc__.splitlines()[0])
    parser.add_argument("out", metavar="OUT.db", help="SQLite file to write")
    parser.add_argument("--seed", type=_bounded(-2**63, 2**63 - 1), default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--tracks", type=_bounded(*TRACK_LIMITS), default=DEFAULT_TRACKS,
                        help=f"tracks to invent (default {DEFAULT_TRACKS}; uncharted ones are left out)")
    parser.add_argument("--weeks", type=_bounded(*WEEK_LIMITS), default=DEFAULT_WEEKS,
                        help=f"weekly snapshots (default {DEFAULT_WEEKS})")
    parser.add_argument("--end", type=_day, default=DEFAULT_END,
                        help=f"date of the newest snapshot (default {DEFAULT_END})")
    parser.add_argument("--force", action="store_true", help="replace OUT.db if it exists")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:            # --help (0) or a bad argument (2, message already printed)
        return exc.code or 0

    if os.path.isdir(args.out):
        print(f"error: {args.out} is a folder", file=sys.stderr)
        return 2
    if os.path.exists(args.out) and not args.force:
        print(f"error: {args.out} exists; pass --force to replace it", file=sys.stderr)
        return 2
    if not os.path.isdir(os.path.dirname(os.path.abspath(args.out))):
        print(f"error: folder of {args.out} does not exist", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        counts = generate(args.out, seed=args.seed, n_tracks=args.tracks, weeks=args.weeks,
                          end=args.end, force=args.force)
    except (OSError, sqlite3.Error) as exc:
        print(f"error: cannot write {args.out}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {counts['tracks']} tracks by {counts['artists']} artists, "
          f"{counts['dates']} weekly snapshots {counts['first_date']} .. {counts['last_date']} "
          f"({counts['snapshots']} chart rows, {counts['forgotten_gems']} forgotten gems) "
          f"in {time.perf_counter() - started:.1f} s")
    if counts["left_out"]:
        print(f"note: {counts['left_out']} of the {args.tracks} tracks never reached a chart; left out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
