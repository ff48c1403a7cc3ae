"""Reading a Spotify data export: which files hold streaming history, and their records as plays.

PATH may be one JSON file, a folder, or the zip as downloaded (files in nested folders). History
files are recognised by name; a JSON file with another name is looked into (its first record) and
taken when it is history; everything else is ignored and named in the report.

  extended   Streaming_History_Audio_*.json, Streaming_History_Video_*.json (video podcasts: same
             records, imported like audio), endsong_*.json / endvideo*.json (the older format);
             what each record is (music, podcast, audiobook) is decided by its fields
  account    StreamingHistory_music_*.json (artistName, trackName), StreamingHistory_podcast_*.json
             (podcastName, episodeName), StreamingHistory_audiobook_*.json (audiobookName,
             chapterName, authorName), and the older StreamingHistory<N>.json (artistName,
             trackName for music and podcasts alike: a podcast there is stored as music, with its
             show as the artist, until an extended export replaces it)

Files are JSON arrays, read incrementally (ijson with its C backend), so a file of any size takes
constant memory. Each record becomes a `Play` or is refused with a `Skip` (reason label + detail);
a file that is not a JSON array, or breaks off, raises UnusableInput naming it. A record nested more
than 64 levels deep, or holding more than 100,000 values, is refused (migrate.jsonlimits); the
incremental reader skips it unbuilt, and stops with UnusableInput at a record taking over 16 MB.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import json
import math
import os
import re
import reprlib
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

import ijson
import orjson

from migrate import jsonlimits
from migrate.errors import UnusableInput

EXTENDED, ACCOUNT = "extended", "account"
# Personal network data: dropped unless the import is asked to keep it.
NETWORK_FIELDS = frozenset({"ip_addr", "ip_addr_decrypted", "user_agent", "user_agent_decrypted", "username"})
NETWORK_PREFIXES = ("ip_addr", "user_agent")
EXTENDED_FIELDS = frozenset({
    "ts", "username", "platform", "ms_played", "conn_country", "ip_addr", "ip_addr_decrypted",
    "user_agent_decrypted", "master_metadata_track_name", "master_metadata_album_artist_name",
    "master_metadata_album_album_name", "spotify_track_uri", "episode_name", "episode_show_name",
    "spotify_episode_uri", "audiobook_title", "audiobook_uri", "audiobook_chapter_uri",
    "audiobook_chapter_title", "reason_start", "reason_end", "shuffle", "skipped", "offline",
    "offline_timestamp", "incognito_mode"})

# Zip limits: a real export is a few hundred MB of JSON that deflates about tenfold.
ZIP_MAX_TOTAL = 16 * 2**30           # uncompressed bytes in all members
ZIP_MAX_RATIO = 200                  # uncompressed / compressed, for members over ZIP_RATIO_FROM
ZIP_RATIO_FROM = 2**20
ZIP_MAX_MEMBERS = 100_000
WHOLE_FILE_BYTES = 32 * 2**20       # history files up to this size are parsed at once,
WHOLE_FILE_VALUES = 2_000_000        # unless they hold more values (commas, arrays, objects) than
                                     # this: Spotify's 12 MB files 390,000; 2,000,000 `[]` parse to 130 MB
SNIFF_BYTES = 256 * 1024             # how much of an unknown JSON file is read to recognise it

INT4_MAX = 2**31 - 1
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
_TRACK_ID = re.compile(r"[0-9A-Za-z]{1,64}")
# 19 digits in a row somewhere: maybe an integer beyond 64 bits (a C-speed check: digits -> '0');
# the same pass marks what starts or separates values (',', '[', '{' -> 0x01), to count them.
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= i <= 0x39 else 0x01 if i in b",[{" else 0x20 for i in range(256))
_LONG_DIGITS = b"0" * 19
_fromiso = dt.datetime.fromisoformat
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# A UTF-16 surrogate written as an escape: ijson's C parser turns a lone one into '?' (or fails on a
# lone low one), so a file holding any is read with the Python parser, which keeps it (and the record
# is refused: text with a lone surrogate cannot be stored).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")

# (pattern on the file's base name, format, variant), first match wins.
_NAMES = (
    (re.compile(r"streaming_history_audio.*\.json", re.IGNORECASE), EXTENDED, "audio"),
    (re.compile(r"streaming_history_video.*\.json", re.IGNORECASE), EXTENDED, "video"),
    (re.compile(r"endsong.*\.json", re.IGNORECASE), EXTENDED, "endsong"),
    (re.compile(r"endvideo.*\.json", re.IGNORECASE), EXTENDED, "video"),
    (re.compile(r"streaminghistory_music.*\.json", re.IGNORECASE), ACCOUNT, "music"),
    (re.compile(r"streaminghistory_podcast.*\.json", re.IGNORECASE), ACCOUNT, "podcast"),
    (re.compile(r"streaminghistory_audiobook.*\.json", re.IGNORECASE), ACCOUNT, "audiobook"),
    (re.compile(r"streaminghistory\d*\.json", re.IGNORECASE), ACCOUNT, "older"),
    (re.compile(r"streaminghistory.*\.json", re.IGNORECASE), ACCOUNT, "other"),
)
_ORDER = {(EXTENDED, "audio"): 0, (EXTENDED, "video"): 1, (EXTENDED, "endsong"): 2,
          (ACCOUNT, "music"): 3, (ACCOUNT, "podcast"): 4, (ACCOUNT, "audiobook"): 5, (ACCOUNT, "older"): 6,
          (ACCOUNT, "other"): 7}
# What a file was read as, in the report.
READ_AS = {(EXTENDED, "audio"): "extended, audio", (EXTENDED, "video"): "extended, video",
           (EXTENDED, "endsong"): "extended, audio (older endsong format)",
           (ACCOUNT, "music"): "account data, music", (ACCOUNT, "podcast"): "account data, podcasts",
           (ACCOUNT, "audiobook"): "account data, audiobooks",
           (ACCOUNT, "older"): "account data, music and podcasts (older format)",
           (ACCOUNT, "other"): "account data (each record's kind by its fields)"}
# Account-data fields that make a record an audiobook play (StreamingHistory_audiobook_*.json).
_AUDIOBOOK_FIELDS = ("audiobookName", "chapterName", "authorName")


class Play(NamedTuple):
    """One stream, as the columns of `plays` (ended_at as a UTC datetime)."""
    ended_at: dt.datetime
    ms_played: int
    kind: str
    source: str
    track_id: str | None
    uri: str | None
    track: str | None
    artist: str | None
    album: str | None
    platform: str | None
    country: str | None
    reason_start: str | None
    reason_end: str | None
    shuffle: bool | None
    skipped: bool | None
    offline: bool | None
    incognito: bool | None
    raw_json: bytes
    dropped_network: bool       # whether network fields were removed from raw_json
    # Tells apart plays with the same end, duration and item (part of plays_natural_key): for an
    # extended record its offline_timestamp in whole seconds (offline_key), for account data which
    # of the identical records in its file this is (0, 1, ...: set by the importer).
    record_key: int = 0


class Skip(Exception):
    """A record that is not imported: `label` groups it in the report, `detail` says why."""

    def __init__(self, label: str, detail: str | None = None):
        super().__init__(detail or label)
        self.label = label
        self.detail = detail or label


ZERO_DURATION = "zero duration"
TOO_DEEP, TOO_LARGE = jsonlimits.TOO_DEEP, jsonlimits.TOO_LARGE


class _Unbuilt:
    """What the incremental reader yields for a record past a limit of jsonlimits (nested too deep,
    too many values): the record is skipped over, never built; to_play refuses it with `detail`."""

    def __init__(self, label: str, detail: str):
        self.label, self.detail = label, detail

    def __repr__(self) -> str:
        return f"<a record {self.detail}>"


TOO_DEEP_RECORD = _Unbuilt(TOO_DEEP, f"the record is {jsonlimits.TOO_DEEP_DETAIL}")
TOO_LARGE_RECORD = _Unbuilt(TOO_LARGE, f"the record holds {jsonlimits.TOO_LARGE_DETAIL}")


@dataclass
class HistoryFile:
    name: str                    # path inside the export, '/'-separated, as shown in the report
    format: str                  # EXTENDED | ACCOUNT
    variant: str                 # audio, video, endsong | music, podcast, audiobook, older, other
    size: int                    # bytes (uncompressed)
    opener: Callable[[], BinaryIO] = field(repr=False)

    @property
    def label(self) -> str:
        return f"{self.format} ({self.variant})"

    @property
    def read_as(self) -> str:
        """What the file was read as, in words: 'account data, audiobooks', 'extended, video', ...;
        '(recognised by its records)' when its name is not one Spotify uses."""
        what = READ_AS.get((self.format, self.variant), self.label)
        return what if classify(self.name) else what + " (recognised by its records)"


@dataclass
class Export:
    source: str                  # what PATH was, for the report
    size: int                    # bytes of PATH (the zip, the file, or the history files of a folder)
    files: list[HistoryFile]
    ignored: list[tuple[str, str]]  # (name, why)
    close: Callable[[], None] = field(repr=False, default=lambda: None)


# ---------------------------------------------------------------------------------------------
# Finding the history files


def classify(name: str) -> tuple[str, str] | None:
    """(format, variant) for a history file's name, else None."""
    base = re.split(r"[/\\]", name)[-1]
    for pattern, fmt, variant in _NAMES:
        if pattern.fullmatch(base):
            return fmt, variant
    return None


def _natural(name: str) -> list:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]


def _sort(files: list[HistoryFile]) -> list[HistoryFile]:
    """Extended audio, video, older extended, then account data; by name (numbers as numbers)."""
    return sorted(files, key=lambda f: (_ORDER.get((f.format, f.variant), 5), _natural(f.name)))


def _junk(name: str) -> bool:
    """macOS archive litter: __MACOSX/ folders and ._ resource forks."""
    parts = name.split("/")
    return "__MACOSX" in parts or parts[-1].startswith("._") or parts[-1] == ".DS_Store"


def open_export(path: str) -> Export:
    """The history files in `path` (a file, folder or zip); UnusableInput when there are none."""
    if not os.path.exists(path):
        raise UnusableInput(f"{path}: no such file or folder")
    if os.path.isdir(path):
        export = _open_folder(path)
    else:
        try:
            with open(path, "rb") as fh:
                head = fh.read(4)
        except OSError as exc:
            raise UnusableInput(f"{path}: cannot be read ({exc.strerror})") from None
        export = _open_zip(path) if head.startswith((b"PK\x03\x04", b"PK\x05\x06")) else _open_file(path)
    if not export.files:
        export.close()
        shown = ", ".join(n for n, _ in export.ignored[:5]) + (" ..." if len(export.ignored) > 5 else "")
        raise UnusableInput(f"{path}: no Spotify streaming history in it"
                            + (f" (found only {shown})" if shown else " (it is empty)"))
    return export


def _open_file(path: str) -> Export:
    name = os.path.basename(path)
    size = os.path.getsize(path)
    opener = functools.partial(open, path, "rb")
    found = classify(name)
    if found is None:
        found, why = sniff(opener)
        if found is None:
            raise UnusableInput(f"{path}: {why}")
    return Export(name, size, [HistoryFile(name, *found, size, opener)], [])


def _open_folder(path: str) -> Export:
    files, ignored = [], []
    for root, dirs, names in os.walk(path):
        dirs.sort()
        for base in sorted(names):
            full = os.path.join(root, base)
            name = os.path.relpath(full, path).replace(os.sep, "/")
            if _junk(name):
                continue
            if not os.path.isfile(full):
                ignored.append((name, "not a regular file"))
                continue
            opener = functools.partial(open, full, "rb")
            found = classify(name)
            if found is None:
                found, why = sniff(opener) if base.lower().endswith(".json") else (None, "not streaming history")
                if found is None:
                    ignored.append((name, why))
                    continue
            files.append(HistoryFile(name, *found, os.path.getsize(full), opener))
    return Export(os.path.basename(os.path.abspath(path)), sum(f.size for f in files), _sort(files), ignored)


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (name.startswith(("/", "\\")) or "\x00" in name or ".." in parts
            or bool(re.match(r"[A-Za-z]:", name)))


def _open_zip(path: str) -> Export:
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnusableInput(f"{path}: not a readable zip ({exc})") from None
    try:
        if len(infos) > ZIP_MAX_MEMBERS:
            raise UnusableInput(f"{path}: refused: {len(infos):,} files in the zip (at most {ZIP_MAX_MEMBERS:,})")
        total = 0
        for info in infos:
            if _unsafe_name(info.filename):
                raise UnusableInput(f"{path}: refused: the zip holds a file named {info.filename!r}, "
                                    "which points outside the archive (path traversal)")
            total += info.file_size
            if (info.file_size > ZIP_RATIO_FROM
                    and info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1)):
                raise UnusableInput(
                    f"{path}: refused: {info.filename!r} would unpack {info.compress_size:,} bytes to "
                    f"{info.file_size:,} (more than {ZIP_MAX_RATIO}x: a zip bomb?)")
        if total > ZIP_MAX_TOTAL:
            raise UnusableInput(f"{path}: refused: the zip would unpack to {total / 2**30:.1f} GiB "
                                f"(at most {ZIP_MAX_TOTAL // 2**30} GiB: a zip bomb?)")
        files, ignored = [], []
        for info in infos:
            name = info.filename
            if info.is_dir() or _junk(name):
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                ignored.append((name, "a symbolic link"))
                continue
            opener = functools.partial(zf.open, info)
            found = classify(name)
            if found is None:
                found, why = sniff(opener) if name.lower().endswith(".json") else (None, "not streaming history")
                if found is None:
                    ignored.append((name, why))
                    continue
            files.append(HistoryFile(name, *found, info.file_size, opener))
    except BaseException:
        zf.close()
        raise
    return Export(os.path.basename(path), os.path.getsize(path), _sort(files), ignored, zf.close)


def sniff(opener: Callable[[], BinaryIO]) -> tuple[tuple[str, str] | None, str]:
    """Recognise a JSON file by its first record: ((format, variant), '') or (None, why not)."""
    try:
        with opener() as fh:
            head = fh.read(SNIFF_BYTES)
    except (OSError, zipfile.BadZipFile, RuntimeError, EOFError) as exc:
        return None, f"cannot be read ({exc})"
    head = head.removeprefix(b"\xef\xbb\xbf")
    if not head.strip():
        return None, "empty file"
    if head.lstrip()[:1] not in (b"[", b"{"):
        return None, "not JSON"
    not_history = "JSON, but not Spotify streaming history"
    # basic_parse, not parse: parse keeps a prefix string per open level, memory growing with the
    # square of the depth (a head of 256 KB of brackets would take tens of GB).
    events = ijson.basic_parse(io.BytesIO(head))
    keys: set[str] = set()
    try:
        if next(events)[0] != "start_array":
            return None, not_history
        event = next(events)[0]
        if event == "end_array":
            return None, "JSON, but no records in it"
        if event != "start_map":
            return None, not_history
        depth = 2                            # inside the array's first record
        for event, value in events:
            if event == "map_key" and depth == 2:
                keys.add(value)
            elif event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
                if depth < 2:
                    break
    except (ijson.JSONError, StopIteration, UnicodeDecodeError):
        if not keys:                        # not JSON, or broken before the first record's fields
            return None, "not valid JSON"
    if {"ts", "ms_played"} <= keys:
        return (EXTENDED, "audio"), ""
    if {"endTime", "msPlayed"} <= keys:
        if "podcastName" in keys or "episodeName" in keys:
            return (ACCOUNT, "podcast"), ""
        return (ACCOUNT, "audiobook" if keys.intersection(_AUDIOBOOK_FIELDS) else "music"), ""
    return None, not_history


# ---------------------------------------------------------------------------------------------
# Reading records


class _SurrogateEscape(Exception):
    """The file holds a \\uD800-\\uDFFF escape: read it again with the Python parser."""


class _RecordTooLarge(Exception):
    """The record being read has taken more than jsonlimits.MAX_RECORD_BYTES of the file."""


class _Counting:
    """Wraps a binary stream: drops a UTF-8 BOM, counts the bytes read (for progress), and with
    `watch_surrogates` raises _SurrogateEscape before handing over a chunk holding a surrogate escape.
    Raises _RecordTooLarge once more than MAX_RECORD_BYTES were read since `record_start` (which
    the reader moves at every record's end)."""

    def __init__(self, fh: BinaryIO, first: bytes, watch_surrogates: bool = False):
        self._fh, self._first = fh, first
        self.read_bytes = 0
        self.record_start = 0
        self._watch = watch_surrogates
        self._tail = b""              # the end of the last chunk: an escape may span two

    def read(self, n: int = -1) -> bytes:
        if n == 0:
            return b""
        if self._first:
            out, self._first = self._first, b""
        else:
            out = self._fh.read(n)
        if self._watch and out:
            if _SURROGATE_ESCAPE.search(self._tail + out):
                raise _SurrogateEscape
            self._tail = out[-3:]
        self.read_bytes += len(out)
        if self.read_bytes - self.record_start > jsonlimits.MAX_RECORD_BYTES:
            raise _RecordTooLarge
        return out


def _json_error(exc: Exception) -> str:
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__


def records(hf: HistoryFile, on_bytes: Callable[[int], None] | None = None) -> Iterator[object]:
    """Every element of the file's top-level array, in order (TOO_DEEP_RECORD / TOO_LARGE_RECORD
    for one past a limit, from the incremental reader). UnusableInput if the file is not a JSON
    array, breaks off or holds a record over MAX_RECORD_BYTES. `on_bytes(n)` is told how many bytes
    have been read so far.

    A file of up to WHOLE_FILE_BYTES (Spotify writes files of about 12 MB) is parsed at once with
    orjson, which is faster; a larger one, or one orjson refuses (nested over 1,024 levels, integers
    beyond 64 bits, lone surrogates, broken), incrementally with ijson (whose error message says
    where the file goes wrong)."""
    if hf.size <= WHOLE_FILE_BYTES:
        items = _parse_whole(hf)
        if items is not None:
            yield from items
            if on_bytes is not None:
                on_bytes(hf.size)
            return
    done = 0
    # The C parser cannot hold integers beyond 64 bits nor lone surrogates: the Python one can.
    for backend in ("yajl2_c", "python"):
        try:
            with hf.opener() as fh:
                first = _first_chunk(hf, fh)
                stream = _Counting(fh, first, watch_surrogates=backend == "yajl2_c")
                events = ijson.get_backend(backend).basic_parse(stream, use_float=True)
                for i, item in enumerate(_bounded_items(events, stream=stream)):
                    if i >= done:
                        done += 1
                        if on_bytes is not None and not done % 1024:
                            on_bytes(stream.read_bytes)
                        yield item
                if on_bytes is not None:
                    on_bytes(hf.size)
            return
        except _SurrogateEscape:
            continue
        except _RecordTooLarge:
            raise UnusableInput(f"{hf.name}: record {done + 1:,} takes more than "
                                f"{jsonlimits.MAX_RECORD_BYTES // 2**20} MB of the file: not Spotify streaming "
                                "history") from None
        except UnicodeDecodeError as exc:    # the C parser on surrogates in UTF-8 (CESU-8)
            if backend == "yajl2_c":
                continue
            raise UnusableInput(f"{hf.name}: not valid UTF-8 after {done:,} records ({exc.reason})") from None
        except ijson.JSONError as exc:
            why = _json_error(exc)
            if backend == "yajl2_c" and "integer overflow" in why:
                continue
            raise UnusableInput(f"{hf.name}: not valid JSON after {done:,} records ({why})") from None
        except (zipfile.BadZipFile, EOFError, RuntimeError, OSError) as exc:
            raise UnusableInput(f"{hf.name}: cannot be read after {done:,} records ({exc})") from None


def _bounded_items(events, max_depth: int = jsonlimits.MAX_DEPTH, max_values: int = jsonlimits.MAX_VALUES,
                   stream: _Counting | None = None) -> Iterator[object]:
    """The elements of the top-level array from ijson basic_parse `events`, built here rather than
    by ijson.items (which keeps a prefix string per open level: memory growing with the square of
    the depth). An element nested more than `max_depth` levels deep, or holding more than
    `max_values` values, is skipped over event by event and comes out as TOO_DEEP_RECORD or
    TOO_LARGE_RECORD: memory stays bounded by the largest element within the limits. At each
    element's end `stream.record_start` moves on (the byte limit per record)."""
    it = iter(events)
    for event, _ in it:
        if event != "start_array":          # _first_chunk checked the '['; the parser agrees
            raise UnusableInput("not a JSON array of records")
        break
    stack: list = []                         # the element's open containers, innermost last
    key = None
    values = 0                               # in the element so far
    for event, value in it:
        if event == "map_key":
            key = value
        elif event == "start_map" or event == "start_array":
            values += 1
            if len(stack) >= max_depth or values > max_values:
                _skip(it, len(stack) + 1)
                if stream is not None:
                    stream.record_start = stream.read_bytes
                yield TOO_DEEP_RECORD if len(stack) >= max_depth else TOO_LARGE_RECORD
                stack, values = [], 0
                continue
            new = {} if event == "start_map" else []
            if stack:
                top = stack[-1]
                if top.__class__ is dict:
                    top[key] = new
                else:
                    top.append(new)
            stack.append(new)
        elif event == "end_map" or event == "end_array":
            if not stack:                    # the end of the top-level array
                break
            done = stack.pop()
            if not stack:
                values = 0
                if stream is not None:
                    stream.record_start = stream.read_bytes
                yield done
        elif stack:
            values += 1
            if values > max_values:
                _skip(it, len(stack))
                if stream is not None:
                    stream.record_start = stream.read_bytes
                yield TOO_LARGE_RECORD
                stack, values = [], 0
                continue
            top = stack[-1]
            if top.__class__ is dict:
                top[key] = value
            else:
                top.append(value)
        else:
            if stream is not None:
                stream.record_start = stream.read_bytes
            yield value
    for _ in it:                             # the parser still checks what follows the array
        pass


def _skip(it, depth: int) -> None:
    """Consume events until `depth` open containers have closed."""
    for event, _ in it:
        if event == "start_map" or event == "start_array":
            depth += 1
        elif event == "end_map" or event == "end_array":
            depth -= 1
            if not depth:
                return


def _first_chunk(hf: HistoryFile, fh: BinaryIO, size: int = 64 * 1024) -> bytes:
    first = fh.read(size).removeprefix(b"\xef\xbb\xbf")
    if first.lstrip()[:1] != b"[":
        what = "empty" if not first.strip() else "not a JSON array of records"
        raise UnusableInput(f"{hf.name}: {what} (expected Spotify streaming history)")
    return first


def _parse_whole(hf: HistoryFile) -> list | None:
    """The file's array parsed at once, or None when orjson refuses it."""
    try:
        with hf.opener() as fh:
            data = _first_chunk(hf, fh) + fh.read()
    except (zipfile.BadZipFile, EOFError, RuntimeError, OSError) as exc:
        raise UnusableInput(f"{hf.name}: cannot be read ({exc})") from None
    scan = data.translate(_DIGITS_AS_ZERO)
    if _LONG_DIGITS in scan:        # orjson would turn integers beyond 64 bits into floats; ijson keeps them
        return None
    if scan.count(b"\x01") > WHOLE_FILE_VALUES:
        return None     # parsed at once, tiny values would take ~20x the file: one record at a time
    del scan
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return items if isinstance(items, list) else None


# ---------------------------------------------------------------------------------------------
# Records to plays


def _text(value) -> str | None:
    if value.__class__ is str:
        return value or None
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None                              # objects, arrays, booleans: only in raw_json


def _flag(value) -> bool | None:
    if value is True or value is False or value is None:
        return value
    if value.__class__ is int and value in (0, 1):
        return bool(value)
    return None


def _ms(value) -> int:
    if value is None:
        raise Skip("no duration", "ms_played / msPlayed is missing")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Skip("unreadable duration", f"duration {_show(value)} is not a number")
    if isinstance(value, float):
        if not value.is_integer():
            raise Skip("unreadable duration", f"duration {value!r} is not a whole number of milliseconds")
        value = int(value)
    if value < 0:
        raise Skip("negative duration", f"duration {value} is negative")
    if value > INT4_MAX:
        raise Skip("duration out of range", f"duration {value} ms is more than 24 days")
    if value == 0:
        raise Skip(ZERO_DURATION)
    return value


def _show(value, limit: int = 40) -> str:
    # reprlib for containers: a few levels and items, never a recursion through deep nesting
    text = reprlib.repr(value) if isinstance(value, (dict, list)) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _when(value, field_name: str) -> dt.datetime:
    if not isinstance(value, str):
        raise Skip("unreadable timestamp", f"{field_name} {_show(value)} is not a timestamp"
                   if value is not None else f"{field_name} is missing")
    text = value.strip()
    if len(text) < 16 or text[10] not in "T ":
        raise Skip("unreadable timestamp", f"{field_name} {_show(value)} is not a timestamp")
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Skip("unreadable timestamp", f"{field_name} {_show(value)} is not a timestamp") from None
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    if not EARLIEST <= when < LATEST:
        raise Skip("implausible timestamp", f"{field_name} {_show(value)} is before 2000 or after 2100")
    return when


_doomed_by_layout: dict[tuple, tuple] = {}


def _network_fields(record: dict) -> tuple:
    """The network fields among the record's keys; worked out once per layout of keys (a file's
    records all have the same fields, in the same order)."""
    layout = tuple(record)
    doomed = _doomed_by_layout.get(layout)
    if doomed is None:
        doomed = tuple(k for k in layout if k in NETWORK_FIELDS
                       or (k not in EXTENDED_FIELDS and k.startswith(NETWORK_PREFIXES)))
        if len(_doomed_by_layout) > 1000:
            _doomed_by_layout.clear()
        _doomed_by_layout[layout] = doomed
    return doomed


def _dumps_slowly(record: dict) -> bytes:
    """orjson refuses integers beyond 64 bits, and nesting past 254 levels (refused here first); the
    standard library keeps big integers exactly."""
    if jsonlimits.value_too_deep(record):
        raise Skip(TOO_DEEP, TOO_DEEP_RECORD.detail)
    try:
        return json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start].encode("unicode_escape").decode()
        raise Skip("invalid text", f"the record holds a lone UTF-16 surrogate ({bad}), which is not text") from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise Skip("invalid text", f"the record cannot be stored as JSON ({exc})") from None


def _raw(record: dict, keep_network: bool) -> tuple[bytes, bool]:
    """The record's JSON for raw_json, less the network fields unless kept."""
    dropped = False
    if not keep_network:
        doomed = _network_fields(record)
        if doomed:
            for k in doomed:
                del record[k]
            dropped = True
    try:
        raw = orjson.dumps(record)
    except orjson.JSONEncodeError:
        raw = _dumps_slowly(record)
    # Spotify's records hold no array or object (memchr-fast finds); a value takes 2 bytes or more
    if (raw.find(b"{", 1) >= 0 or raw.find(b"[") >= 0) and jsonlimits.text_too_deep(raw):
        raise Skip(TOO_DEEP, TOO_DEEP_RECORD.detail)
    if len(raw) >= 2 * jsonlimits.MAX_VALUES and jsonlimits.text_too_large(raw):   # (inlined: hot)
        raise Skip(TOO_LARGE, TOO_LARGE_RECORD.detail)
    if b"\\u0000" in raw and _JSON_NUL.search(raw):
        raise Skip("NUL character", "the record contains a NUL character (\\u0000), which PostgreSQL cannot hold")
    return raw, dropped


def to_play(record, variant: str, keep_network: bool = False) -> Play:
    """The play a record stands for, whichever format it is in (decided by its fields); or Skip."""
    if not isinstance(record, dict):
        if record.__class__ is _Unbuilt:
            raise Skip(record.label, record.detail)
        if isinstance(record, list) and jsonlimits.value_too_deep(record):
            raise Skip(TOO_DEEP, TOO_DEEP_RECORD.detail)
        raise Skip("not a JSON object", f"the record is {_show(record)}, not a JSON object")
    if "ts" in record:
        return _extended(record, keep_network)
    if "endTime" in record:
        return _account(record, variant)
    raise Skip("not a streaming record", "the record has neither ts nor endTime")


def _extended(r: dict, keep_network: bool) -> Play:
    """An extended-history record. What was played: a track URI makes it music; else episode
    fields a podcast, audiobook fields an audiobook, track names music; none of them 'unknown'."""
    g = r.get
    ts = r["ts"]
    if ts.__class__ is str and len(ts) == 20 and ts[19] == "Z":      # the usual 2013-06-29T17:43:45Z
        try:
            ended = _fromiso(ts)
        except ValueError:
            ended = _when(ts, "ts")
        if not EARLIEST <= ended < LATEST:
            ended = _when(ts, "ts")
    else:
        ended = _when(ts, "ts")
    ms = g("ms_played")
    if ms.__class__ is not int or not 0 < ms <= INT4_MAX:
        ms = _ms(ms)
    track_id = None
    uri = _text(g("spotify_track_uri"))
    if uri is not None:
        kind, track = "music", _text(g("master_metadata_track_name"))
        artist, album = _text(g("master_metadata_album_artist_name")), _text(g("master_metadata_album_album_name"))
        if uri.startswith("spotify:track:") and _TRACK_ID.fullmatch(uri, 14):
            track_id = uri[14:]
    elif g("spotify_episode_uri") or g("episode_name") or g("episode_show_name"):
        kind, uri, track, artist, album = ("podcast", _text(g("spotify_episode_uri")), _text(g("episode_name")),
                                           _text(g("episode_show_name")), None)
    elif g("audiobook_chapter_uri") or g("audiobook_uri") or g("audiobook_title") or g("audiobook_chapter_title"):
        kind, uri, track, artist, album = ("audiobook", _text(g("audiobook_chapter_uri")) or _text(g("audiobook_uri")),
                                           _text(g("audiobook_chapter_title")), None, _text(g("audiobook_title")))
    else:
        track = _text(g("master_metadata_track_name"))
        artist, album = _text(g("master_metadata_album_artist_name")), _text(g("master_metadata_album_album_name"))
        kind = "music" if track or artist or album else "unknown"
    offline_ts = g("offline_timestamp")
    raw, dropped = _raw(r, keep_network)
    return Play(ended, ms, kind, EXTENDED, track_id, uri, track, artist, album, _text(g("platform")),
                _text(g("conn_country")), _text(g("reason_start")), _text(g("reason_end")), _flag(g("shuffle")),
                _flag(g("skipped")), _flag(g("offline")), _flag(g("incognito_mode")), raw, dropped,
                offline_key(offline_ts) if offline_ts is not None else 0)


def offline_key(value) -> int:
    """An extended record's offline_timestamp in whole seconds, or 0 when it has none (null, absent,
    not a positive number, beyond year 33658). Spotify writes milliseconds in older exports
    (1532912409173) and seconds in newer ones (1721399403): a value of 10**11 or more is taken as
    milliseconds, so the same play in both gives the same key. The migration that added record_key
    computes the same from raw_json (db/migrations/0010_plays_record_key.sql)."""
    if value.__class__ is int:
        n = value
    elif value.__class__ is float and math.isfinite(value):
        n = math.floor(value)
    else:
        return 0
    if not 0 < value < 10**15:
        return 0
    return n // 1000 if value >= 10**11 else n


def _account(r: dict, variant: str) -> Play:
    """An account-data record: music (artistName, trackName), podcast (podcastName, episodeName) or
    audiobook (audiobookName, chapterName, authorName; stored like an extended audiobook play:
    album = book, track = chapter, and the author as artist), decided by its fields, else by the
    file it is in."""
    ended = _when(r["endTime"], "endTime")
    ms = _ms(r.get("msPlayed"))
    g = r.get
    album = None
    if "podcastName" in r or "episodeName" in r:
        kind, artist, track = "podcast", _text(g("podcastName")), _text(g("episodeName"))
    elif ("audiobookName" in r or "chapterName" in r or "authorName" in r
          or (variant == "audiobook" and "trackName" not in r and "artistName" not in r)):
        kind, artist, track, album = ("audiobook", _text(g("authorName")), _text(g("chapterName")),
                                      _text(g("audiobookName")))
    else:
        kind = "podcast" if variant == "podcast" else "music"
        artist, track = _text(g("artistName")), _text(g("trackName"))
    raw, _ = _raw(r, True)
    return Play(ended, ms, kind, ACCOUNT, None, None, track, artist, album, None, None, None, None,
                None, None, None, None, raw, False)
