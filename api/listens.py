"""What a ListenBrainz client sends, checked, and what a listen becomes as a play. No I/O here.

The rules and messages follow ListenBrainz's submit-listens API (its API docs and server):
a JSON object {"listen_type": "single" | "import" | "playing_now", "payload": [listen, ...]};
at most MAX_LISTENS_PER_REQUEST listens, the document at most MAX_LISTEN_SIZE bytes per listen;
`single` and `playing_now` carry exactly one; a listen is {"listened_at": int, "track_metadata":
{...}} (`playing_now`: track_metadata only); track_name and artist_name are required non-empty
strings; listened_at lies between 2002-10-01 and an hour from now; additional_info's duration /
duration_ms are positive integers up to 24 days (not both), MBIDs are UUIDs, at most 50 tags of 64
characters; no string holds a NUL. Where ListenBrainz would fail with a server error on a value of
the wrong type (additional_info or tags not what they should be) we answer 400 too. Each listen is
also held to MAX_LISTEN_SIZE bytes on its own.

A listen as a play (the `plays` row, source 'listenbrainz'):
  ListenBrainz's listened_at is when the listen STARTED (seconds); plays record when a stream
  ended and how long it played. ms_played = the track's length from additional_info (duration_ms,
  or duration in seconds), else DEFAULT_MS_PLAYED: clients submit a listen once half the track or
  4 minutes were played and say nothing more, so the track's length is the best guess of what was
  heard, and a listen without one counts as a typical 3-minute song. Either way it is >= 1 ms
  (plays' check) and, but for a track under 10 s, a play under every "what counts as a play"
  threshold of the Plays page (10, 30, 60 s) unless its length says otherwise.
  ended_at = listened_at + ms_played.
  kind 'music' ('podcast' when additional_info.spotify_id is a Spotify episode link); track_id /
  uri from a Spotify track link; platform = additional_info.media_player, else submission_client.
  raw_json = the listen exactly as submitted.
The listen's own identity (the `listens` table: one row per listen ever accepted) is
(listened_at, md5(lower(artist) \\x1f lower(track))): the same listen submitted twice is one.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
import uuid
from dataclasses import dataclass

import orjson

MAX_LISTEN_SIZE = 10_240                       # bytes per listen
MAX_LISTENS_PER_REQUEST = 1_000
MAX_LISTEN_PAYLOAD_SIZE = MAX_LISTEN_SIZE * MAX_LISTENS_PER_REQUEST
MAX_TAGS_PER_LISTEN = 50
MAX_TAG_SIZE = 64
MAX_DURATION_S = 24 * 24 * 60 * 60             # 24 days
MAX_DURATION_MS = MAX_DURATION_S * 1000
LISTEN_MINIMUM_TS = int(dt.datetime(2002, 10, 1, tzinfo=dt.UTC).timestamp())
LISTENED_AT_ALLOWED_SKEW_S = 60 * 60           # clocks an hour fast are accepted
DEFAULT_MS_PLAYED = 180_000
PLAYING_NOW_MAX_DURATION_S = 10 * 60           # a playing_now without a length expires after this
LISTEN_TYPES = ("single", "import", "playing_now")
_SINGLE_MBIDS = ("release_mbid", "recording_mbid", "release_group_mbid", "track_mbid")
_MULTI_MBIDS = ("artist_mbids", "work_mbids")
_SPOTIFY = re.compile(r"^https?://open\.spotify\.com/(?:intl-[a-z-]+/)?(track|episode)/([A-Za-z0-9]{1,64})")
_TEXT_MAX = 1_000                              # characters kept of a name in the plays columns


class BadRequest(Exception):
    """A 400 in ListenBrainz's shape: {"code": 400, "error": message, ...the listen's fields}."""

    def __init__(self, message: str, listen: dict | None = None):
        super().__init__(message)
        self.message = message
        self.listen = listen if isinstance(listen, dict) else None

    def to_dict(self) -> dict:
        body = dict(self.listen or {})
        body["code"] = 400
        body["error"] = self.message
        return body


@dataclass(frozen=True)
class Play:
    """A validated listen as it is stored."""
    listened_at: dt.datetime
    identity: str                  # uuid text
    ended_at: dt.datetime
    ms_played: int
    kind: str
    track_id: str | None
    uri: str | None
    track: str
    artist: str
    album: str | None
    platform: str | None
    raw_json: str                  # the listen as submitted, JSON text


@dataclass(frozen=True)
class NowPlaying:
    artist: str
    track: str
    album: str | None
    expires_in_s: int
    raw_json: str


def parse(raw: bytes) -> tuple[str, list[dict]]:
    """(listen_type, listens) of a submit-listens body, checked as a whole; BadRequest otherwise."""
    if len(raw) > MAX_LISTEN_PAYLOAD_SIZE:
        raise BadRequest(f"Payload too large. Payload cannot exceed {MAX_LISTEN_PAYLOAD_SIZE} bytes")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Cannot parse JSON document: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("Invalid JSON document submitted. Top level of JSON document should be a json object.")
    if "payload" not in data or "listen_type" not in data:
        raise BadRequest("Invalid JSON document submitted.")
    payload = data["payload"]
    if not isinstance(payload, list):
        raise BadRequest("The payload in the JSON document should be a list of listens.")
    if not payload:
        raise BadRequest("JSON document does not contain any listens")
    if len(payload) > MAX_LISTENS_PER_REQUEST:
        raise BadRequest(f"Too many listens. You may not submit more than {MAX_LISTENS_PER_REQUEST} listens at once.")
    if len(raw) > len(payload) * MAX_LISTEN_SIZE:
        raise BadRequest(f"JSON document is too large. Each listens may not be larger than {MAX_LISTEN_SIZE} bytes.")
    listen_type = data["listen_type"]
    if not isinstance(listen_type, str) or listen_type not in LISTEN_TYPES:
        raise BadRequest("JSON document requires a valid listen_type key.")
    if listen_type != "import" and len(payload) > 1:
        raise BadRequest("JSON document contains more than listen for a single/playing_now. It should contain only one.")
    return listen_type, payload


def _no_nul(value, listen: dict) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise BadRequest(f"{value} contains a unicode null", listen)
    elif isinstance(value, dict):
        for k, v in value.items():
            _no_nul(k, listen)
            _no_nul(v, listen)
    elif isinstance(value, list):
        for v in value:
            _no_nul(v, listen)


def _name(meta: dict, key: str, listen: dict, required: bool = True) -> str | None:
    if key not in meta:
        if required:
            raise BadRequest(f"JSON document does not contain required field track_metadata.{key}.", listen)
        return None
    value = meta[key]
    if not isinstance(value, str):
        raise BadRequest(f"track_metadata.{key} must be a single string.", listen)
    value = value.strip()
    if not value and required:
        raise BadRequest(f"field track_metadata.{key} is empty.", listen)
    return value or None


def _duration(info: dict, key: str, limit: int, listen: dict) -> int | None:
    if key not in info:
        return None
    value = info[key]
    try:
        if isinstance(value, bool):
            raise TypeError
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        raise BadRequest(f"Value for {key} is invalid, should be a positive integer.", listen) from None
    if number <= 0:
        raise BadRequest(f"Value for {key} is invalid, should be a positive integer.", listen)
    if number > limit:
        raise BadRequest(f"Value for {key} is too large, max permitted value is {limit}", listen)
    return number


def _is_uuid(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _check_info(info, listen: dict) -> tuple[int | None, dict]:
    """additional_info checked; (length in ms or None, the dict)."""
    if not isinstance(info, dict):
        raise BadRequest("track_metadata.additional_info must be a JSON object.", listen)
    if "tags" in info:
        tags = info["tags"]
        if tags is not None:
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise BadRequest("track_metadata.additional_info.tags must be a list of strings.", listen)
            if len(tags) > MAX_TAGS_PER_LISTEN:
                raise BadRequest(f"JSON document may not contain more than {MAX_TAGS_PER_LISTEN} items in "
                                 "track_metadata.additional_info.tags.", listen)
            if any(len(t) > MAX_TAG_SIZE for t in tags):
                raise BadRequest("JSON document may not contain track_metadata.additional_info.tags longer "
                                 f"than {MAX_TAG_SIZE} characters.", listen)
    if "duration" in info and "duration_ms" in info:
        raise BadRequest("JSON document should not contain both duration and duration_ms.", listen)
    seconds = _duration(info, "duration", MAX_DURATION_S, listen)
    ms = _duration(info, "duration_ms", MAX_DURATION_MS, listen)
    for key in _SINGLE_MBIDS:
        value = info.get(key)
        if value and not _is_uuid(value):
            raise BadRequest(f"{key} MBID format invalid.", listen)
    for key in _MULTI_MBIDS:
        values = info.get(key)
        if values:
            if not isinstance(values, list) or not all(_is_uuid(v) for v in values if v):
                raise BadRequest(f"{key} MBID format invalid.", listen)
    return (ms if ms is not None else seconds * 1000 if seconds is not None else None), info


def _listened_at(listen: dict) -> int:
    if "listened_at" not in listen:
        raise BadRequest("JSON document must contain the key listened_at at the top level.", listen)
    value = listen["listened_at"]
    try:
        if isinstance(value, bool) or isinstance(value, float) and value != value:
            raise TypeError
        ts = int(value)
    except (TypeError, ValueError, OverflowError):
        raise BadRequest("JSON document must contain an int value for listened_at.", listen) from None
    if ts >= int(time.time()) + LISTENED_AT_ALLOWED_SKEW_S:
        raise BadRequest("Value for key listened_at is too high.", listen)
    if ts < LISTEN_MINIMUM_TS:
        raise BadRequest("Value for key listened_at is too low. listened_at timestamp should be greater than "
                         "1033410600 (2002-10-01 00:00:00 UTC).", listen)
    return ts


def _common(listen) -> tuple[dict, str, str, str | None, int | None, dict]:
    if not isinstance(listen, dict):
        raise BadRequest("Listen is empty and cannot be validated." if listen is None
                         else "Each listen must be a JSON object.")
    if len(orjson.dumps(listen)) > MAX_LISTEN_SIZE:
        raise BadRequest(f"JSON document is too large. Each listens may not be larger than {MAX_LISTEN_SIZE} bytes.")
    if "track_metadata" not in listen:
        raise BadRequest("JSON document must contain the key track_metadata at the top level.", listen)
    meta = listen["track_metadata"]
    if meta is None:
        raise BadRequest("JSON document may not have track_metadata with null value.", listen)
    if not isinstance(meta, dict):
        raise BadRequest("track_metadata must be a JSON object.", listen)
    track = _name(meta, "track_name", listen)
    artist = _name(meta, "artist_name", listen)
    album = _name(meta, "release_name", listen, required=False)
    length_ms, info = _check_info(meta.get("additional_info") or {}, listen)
    _no_nul(listen, listen)
    return meta, track, artist, album, length_ms, info


def identity(artist: str, track: str) -> str:
    return str(uuid.UUID(hashlib.md5(f"{artist.lower()}\x1f{track.lower()}".encode()).hexdigest()))


def to_play(listen) -> Play:
    """A `single` or `import` listen checked and mapped to its play; BadRequest otherwise."""
    if not isinstance(listen, dict):
        _common(listen)          # raises the message for a listen that is not an object
    ts = _listened_at(listen)
    if "track_metadata" in listen and len(listen) > 2:
        raise BadRequest("JSON document may only contain listened_at and track_metadata top level keys", listen)
    _, track, artist, album, length_ms, info = _common(listen)
    ms_played = length_ms or DEFAULT_MS_PLAYED
    started = dt.datetime.fromtimestamp(ts, dt.UTC)
    kind, track_id, uri = "music", None, None
    link = info.get("spotify_id")
    m = _SPOTIFY.match(link) if isinstance(link, str) else None
    if m:
        uri = f"spotify:{m.group(1)}:{m.group(2)}"
        if m.group(1) == "track":
            track_id = m.group(2)
        else:
            kind = "podcast"
    platform = info.get("media_player") or info.get("submission_client")
    platform = platform.strip()[:200] or None if isinstance(platform, str) else None
    return Play(listened_at=started, identity=identity(artist, track),
                ended_at=started + dt.timedelta(milliseconds=ms_played), ms_played=ms_played, kind=kind,
                track_id=track_id, uri=uri, track=track[:_TEXT_MAX], artist=artist[:_TEXT_MAX],
                album=album[:_TEXT_MAX] if album else None, platform=platform,
                raw_json=orjson.dumps(listen).decode())


def to_now_playing(listen) -> NowPlaying:
    """A `playing_now` listen checked; BadRequest otherwise."""
    if isinstance(listen, dict):
        if "listened_at" in listen:
            raise BadRequest("JSON document must not contain listened_at while submitting playing_now.", listen)
        if "track_metadata" in listen and len(listen) > 1:
            raise BadRequest("JSON document may only contain track_metadata as top level key when submitting "
                             "playing_now.", listen)
    _, track, artist, album, length_ms, _ = _common(listen)
    expires = length_ms // 1000 if length_ms else PLAYING_NOW_MAX_DURATION_S
    return NowPlaying(artist=artist[:_TEXT_MAX], track=track[:_TEXT_MAX], album=album[:_TEXT_MAX] if album else None,
                      expires_in_s=max(1, expires), raw_json=orjson.dumps(listen).decode())
