"""Import a Music Time Machine SQLite file into PostgreSQL.

Order: tracks first, snapshots second (snapshots reference tracks). The whole import is one
transaction, serialised against other imports by an advisory lock: a run that dies half-way leaves
nothing behind but its 'running' entry in import_runs, which the next import marks 'interrupted'.

Idempotent and fast on reruns: each track's source row is hashed; a track already in PostgreSQL with
the same hash is skipped (without validating it again when its bytes are the stored ones), a changed
one is updated, a new one goes in by binary COPY. Snapshots are compared on their rank. A first import
(tracks empty or nearly) drops the secondary indexes of tracks and builds them after the COPY, in the
same transaction: a failed import leaves them as they were. Rows PostgreSQL cannot hold as they are are rejected with a reason, never
altered; every other row still lands. raw_json nested more than 64 levels deep, or holding more than
100,000 values, is rejected before it is parsed (migrate.jsonlimits); a file whose pages turn out
damaged while reading is unusable (exit 2).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import orjson

from db import queries, refresh
from migrate import jsonlimits, pgcopy, runs
from migrate.errors import UnusableInput
from migrate.report import Report

Progress = Callable[[str, int, int], None]   # (stage, done, total)
Notice = Callable[[str], None]

CHUNK = 5_000
TIME_RANGES = ("short_term", "medium_term", "long_term")
INT4_MAX = 2**31 - 1
MAX_REJECTED_KEYS = 100_000   # rejected track ids remembered, to tell a snapshot why its track is missing
# A first import (the source has at least this many tracks and tracks holds at most a third as many)
# drops the secondary indexes of tracks before its COPY and builds them after it: a GIN index built
# from sorted keys costs a fraction of inserting every row into it (BENCHMARKS.md, bench.import_sqlite).
# The cost: from the drop to the commit, pages reading tracks wait for the import (they would have
# seen an empty or almost empty table); the drop itself waits at most 2 s for pages reading tracks at
# that moment, else the indexes stay and the import only goes slower (db.refresh.drop_indexes).
REBUILD_INDEXES_FROM = 10_000
ANALYZE_FROM = 1_000

TRACK_COLUMNS = ("track_id", "name", "artist_name", "album_name", "duration_ms", "spotify_url", "raw_json")
SNAPSHOT_COLUMNS = ("track_id", "snapshot_date", "time_range", "rank")
TRACK_COPY_COLUMNS = TRACK_COLUMNS + ("source_hash",)
TRACK_COPY_TYPES = ("text", "text", "text", "text", "int4", "text", "jsonb", "bytea")
SNAPSHOT_COPY_TYPES = ("text", "date", "text", "int4")

SQLITE_MAGIC = b"SQLite format 3\x00"
# A JSON escape for NUL preceded by an even number of backslashes: PostgreSQL's jsonb cannot hold it.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Rejected(Exception):
    """A source row that PostgreSQL cannot hold as it is; the message is the reason."""


# ---------------------------------------------------------------------------------------------
# Opening the source


def open_source(path: str) -> sqlite3.Connection:
    """Open `path` read-only and check it is a Music Time Machine file; else UnusableInput."""
    if not os.path.exists(path):
        raise UnusableInput(f"{path}: no such file")
    if os.path.isdir(path):
        raise UnusableInput(f"{path}: is a folder, not a SQLite file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise UnusableInput(f"{path}: cannot be read ({exc.strerror})") from None
    if head != SQLITE_MAGIC:
        raise UnusableInput(f"{path}: not a SQLite database")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        con.text_factory = bytes  # decode ourselves, so invalid UTF-8 is a reported reject, not a crash
        tables = {r[0].decode() for r in con.execute("select name from sqlite_master where type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise UnusableInput(f"{path}: not a usable SQLite database ({exc})") from None
    missing_tables = [t for t in ("tracks", "snapshots") if t not in tables]
    if missing_tables:
        con.close()
        names = " and ".join(f"'{t}'" for t in missing_tables)
        raise UnusableInput(f"{path}: table {names} {'is' if len(missing_tables) == 1 else 'are'} missing")
    for table, needed in (("tracks", TRACK_COLUMNS), ("snapshots", SNAPSHOT_COLUMNS)):
        try:
            have = {r[1].decode() for r in con.execute(f"pragma table_info({table})")}
        except sqlite3.DatabaseError as exc:
            con.close()
            raise UnusableInput(f"{path}: not a usable SQLite database ({exc})") from None
        missing = [c for c in needed if c not in have]
        if missing:
            con.close()
            raise UnusableInput(f"{path}: table '{table}' lacks column(s) {', '.join(missing)}")
    return con


def _has_rowid(con: sqlite3.Connection, table: str) -> bool:
    try:
        con.execute(f"select rowid from {table} limit 1")
        return True
    except sqlite3.OperationalError:
        return False


# ---------------------------------------------------------------------------------------------
# Validation: pure functions from a source row to PostgreSQL values, or Rejected(reason)


def _text(value, column: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise Rejected(f"{column} is missing (NULL)")
        return None
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected(f"{column} is not valid UTF-8 text") from None
    elif isinstance(value, (int, float)):
        raise Rejected(f"{column} is a number ({value!r}), not text")
    if "\x00" in value:
        raise Rejected(f"{column} contains a NUL byte, which PostgreSQL text cannot hold")
    return value


def _integer(value, column: str, *, required: bool = False, minimum: int | None = None) -> int | None:
    if value is None:
        if required:
            raise Rejected(f"{column} is missing (NULL)")
        return None
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace").strip()
        if not re.fullmatch(r"[+-]?\d{1,12}", text):
            raise Rejected(f"{column} {_show(text)} is not an integer")
        value = int(text)
    elif isinstance(value, float):
        raise Rejected(f"{column} {value!r} is not an integer")
    if not -INT4_MAX - 1 <= value <= INT4_MAX:
        raise Rejected(f"{column} {value} is out of the integer range")
    if minimum is not None and value < minimum:
        raise Rejected(f"{column} {value} must be {'positive' if minimum == 1 else f'>= {minimum}'}")
    return value


def _key(value, column: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value).encode()
    text = _text(value, column, required=True)
    if not text.strip():
        raise Rejected(f"{column} is empty")
    if len(text) > 64:
        raise Rejected(f"{column} is {len(text)} characters long (at most 64)")
    return text


def parse_raw_json(value) -> bytes | None:
    """The JSON object text to store for a raw_json value; unwraps a double-encoded object."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogatepass")
    if not isinstance(value, bytes):
        raise Rejected(f"raw_json is a {type(value).__name__}, not JSON text")
    _refuse_outsized(value)
    parsed = _loads(value)
    if isinstance(parsed, str):  # double-encoded: a JSON string holding the object's JSON
        inner = parsed.encode("utf-8", "surrogatepass")
        _refuse_outsized(inner)
        try:
            parsed = _loads(inner)
        except Rejected:
            raise Rejected("raw_json is a JSON string, not an object") from None
        if not isinstance(parsed, dict):
            raise Rejected(f"raw_json is a double-encoded JSON {_json_type(parsed)}, not an object")
        value = inner
    elif not isinstance(parsed, dict):
        raise Rejected(f"raw_json is a JSON {_json_type(parsed)}, not an object")
    if b"\\u0000" in value and _JSON_NUL.search(value):
        raise Rejected("raw_json contains a NUL character (\\u0000), which PostgreSQL jsonb cannot hold")
    return value


def _refuse_outsized(data: bytes) -> None:
    """Before any parser recurses into it (the standard one fails at about 1,000 levels) or builds
    millions of values from it."""
    if jsonlimits.text_too_deep(data):
        raise Rejected(f"raw_json is {jsonlimits.TOO_DEEP_DETAIL}")
    if jsonlimits.text_too_large(data):
        raise Rejected(f"raw_json holds {jsonlimits.TOO_LARGE_DETAIL}")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _loads(data: bytes):
    """Parse JSON text. orjson first (fast); where it refuses what PostgreSQL may accept (numbers
    beyond a double such as 1e400), the standard parser decides, and PostgreSQL has the last word
    through the COPY's per-row fallback."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        first = str(exc).split(":")[0]
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError):
        raise Rejected(f"raw_json is not valid JSON ({first})") from None


def _json_type(v) -> str:
    return {list: "array", bool: "boolean", int: "number", float: "number", type(None): "null"}.get(type(v), "string")


def _show(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def clean_track(row) -> tuple:
    """(track_id, name, artist_name, album_name, duration_ms, spotify_url, raw_json bytes)."""
    track_id, name, artist, album, duration, url, raw = row
    return (
        _key(track_id, "track_id"),
        _text(name, "name", required=True),
        _text(artist, "artist_name", required=True),
        _text(album, "album_name"),
        _integer(duration, "duration_ms", minimum=0),
        _text(url, "spotify_url"),
        parse_raw_json(raw),
    )


def parse_date(value) -> dt.date:
    text = _text(value, "snapshot_date", required=True).strip()
    if not text:
        raise Rejected("snapshot_date is empty")
    if not _DATE.fullmatch(text):
        raise Rejected(f"snapshot_date {_show(text)} is not a date (YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Rejected(f"snapshot_date {_show(text)} is not a possible date") from None
    if day.year < 1900:
        raise Rejected(f"snapshot_date {_show(text)} is not a possible date")
    return day


def clean_snapshot(row) -> tuple:
    """(track_id, snapshot_date, time_range, rank)."""
    track_id, day, time_range, rank = row
    tid = _key(track_id, "track_id")
    date = parse_date(day)
    tr = _text(time_range, "time_range", required=True)
    if tr not in TIME_RANGES:
        raise Rejected(f"time_range {_show(tr)} is not short_term, medium_term or long_term")
    return tid, date, tr, _integer(rank, "rank", required=True, minimum=1)


def _row_key(values) -> str:
    """A printable key for a source row (raw values; used in reports)."""
    parts = []
    for v in values:
        if isinstance(v, bytes):
            v = v.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
        s = "NULL" if v is None else str(v)
        parts.append(s if len(s) <= 80 else s[:80] + "…")
    return "|".join(parts)


def _hash(values: tuple) -> bytes:
    """16-byte BLAKE2b of the values (None, bytes, or text as UTF-8, each after its length): the
    source_hash of a track. Text and its UTF-8 bytes hash alike, so a source row read as bytes hashes
    as its cleaned values do when cleaning changed nothing (`_unchanged_raw`)."""
    parts = []
    append = parts.append
    for v in values:
        if v is None:
            append(b"\x00N")
        else:
            b = v if isinstance(v, bytes) else str(v).encode("utf-8")
            append(len(b).to_bytes(8, "little"))
            append(b)
    return hashlib.blake2b(b"".join(parts), digest_size=16).digest()


def _unchanged_raw(raw, existing: dict[str, bytes | None]) -> str | None:
    """The track id when source row `raw` is, byte for byte, the row stored with its hash in
    `existing` (an unchanged track on a rerun: no need to validate it again), else None. Only rows of
    the types cleaning leaves as they are (text as bytes, an integer duration) are compared."""
    tid, name, artist, album, duration, url, payload = raw
    if not (type(tid) is bytes and type(name) is bytes and type(artist) is bytes
            and (album is None or type(album) is bytes) and (duration is None or type(duration) is int)
            and (url is None or type(url) is bytes) and (payload is None or type(payload) is bytes)):
        return None
    try:
        key = tid.decode("utf-8")
    except UnicodeDecodeError:
        return None
    stored = existing.get(key)
    return key if stored is not None and stored == _hash(raw) else None


# ---------------------------------------------------------------------------------------------
# Reading the source


def _source_rows(con: sqlite3.Connection, table: str, columns: tuple[str, ...],
                 key_columns: tuple[str, ...], report: Report) -> Iterator[list]:
    """Yield chunks of source rows, keeping only the last copy (by rowid) of a duplicated key."""
    cols = ", ".join(columns)
    keys = ", ".join(key_columns)
    keep_rowids: set[int] = set()
    dup_keys: set[tuple] = set()
    rowid = _has_rowid(con, table)
    if rowid:
        for row in con.execute(
                f"select {keys}, max(rowid), count(*) from {table} group by {keys} having count(*) > 1"):
            dup_keys.add(tuple(row[:len(key_columns)]))
            keep_rowids.add(row[len(key_columns)])
            report.table(table).duplicates += row[-1] - 1
    select = f"select {'rowid' if rowid else 'null'}, {cols} from {table}"
    cur = con.execute(select)
    key_idx = [columns.index(k) for k in key_columns]
    while True:
        rows = cur.fetchmany(CHUNK)
        if not rows:
            return
        out = []
        for r in rows:
            values = r[1:]
            if dup_keys and r[0] not in keep_rowids and tuple(values[i] for i in key_idx) in dup_keys:
                continue
            out.append(values)
        yield out, len(rows)


# ---------------------------------------------------------------------------------------------
# The import


def import_sqlite(path: str, url: str | None = None, *, progress: Progress | None = None,
                  notice: Notice | None = None) -> Report:
    """Import `path` into the database at `url` (default: configured). Returns the report.

    Raises UnusableInput (nothing written) or ImportFailed.
    """

    started = time.perf_counter()
    progress = progress or (lambda stage, done, total: None)
    notice = notice or (lambda msg: None)
    source = open_source(path)   # before touching PostgreSQL: a bad file writes nothing
    report = Report(source=os.path.basename(path), kind="sqlite")
    with runs.import_run(url, report, os.path.getsize(path), notice, source) as cur:
        try:
            track_keys, written_tracks, rejected_tracks, track_ids = _import_tracks(cur, source, report, progress)
            _analyze_if_grown(cur, "tracks", report.tables["tracks"].inserted, len(track_ids))
            snapshot_keys = _import_snapshots(cur, source, report, progress, rejected_tracks, track_ids)
            _analyze_if_grown(cur, "snapshots", report.tables["snapshots"].inserted,
                              report.tables["snapshots"].inserted + report.tables["snapshots"].unchanged)
        except sqlite3.DatabaseError as exc:   # corrupt pages show up only when they are read
            raise UnusableInput(f"{path}: the SQLite file is damaged, reading it failed ({exc}); "
                                "nothing was imported") from None
        progress("verify", 0, 1)
        _verify(cur, report, track_keys, written_tracks, snapshot_keys)
        if any(t.written for t in report.tables.values()):
            refresh.run(cur)
        else:   # nothing written: every rollup already describes these rows (an unchanged rerun)
            refresh.run_if_dirty(cur)
        report.seconds = time.perf_counter() - started
    progress("verify", 1, 1)
    return report


def _analyze_if_grown(cur, table: str, inserted: int, rows_now: int) -> None:
    """ANALYZE `table` (its key column: what matters is the row count) when this import wrote at
    least half its rows (and at least ANALYZE_FROM): the verify and refresh queries that follow in
    this transaction are planned from these statistics, and a table last analysed empty is planned
    as one row (the inventory's join then read every track once per sampled track: 84 s instead of
    1 s at 50,000 tracks). Autovacuum would get there only after the commit."""
    if inserted >= ANALYZE_FROM and inserted * 2 >= rows_now:
        cur.execute(f"analyze {table} (track_id)")   # the code's own table names


def _count(con: sqlite3.Connection, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchone()[0]


class Prepared(NamedTuple):
    """What to do with one chunk of source tracks (`_prepare_tracks`)."""
    unchanged: list[str]             # track ids stored with the same hash
    rejects: list[tuple[str, str]]   # (row key, reason)
    changed: list[tuple]             # cleaned values + hash, of stored tracks that changed
    new: list[tuple]                 # cleaned values + hash, of tracks not stored yet
    encoded: bytes | None            # `new` as a binary COPY payload


def _prepare_tracks(rows: list, existing: dict[str, bytes | None]) -> Prepared:
    """Validate, hash and sort one chunk of source rows against the stored hashes, and encode the new
    ones for COPY. Pure (reads `existing` only): runs in the import's helper thread."""
    unchanged, rejects, changed, new = [], [], [], []
    for raw in rows:
        if existing:
            tid = _unchanged_raw(raw, existing)
            if tid is not None:
                unchanged.append(tid)
                continue
        try:
            values = clean_track(raw)
        except Rejected as why:
            rejects.append((_row_key(raw[:1]), str(why)))
            continue
        digest = _hash(values)
        tid = values[0]
        if tid in existing:
            if existing[tid] == digest:
                unchanged.append(tid)
            else:
                changed.append(values + (digest,))
        else:
            new.append(values + (digest,))
    return Prepared(unchanged, rejects, changed, new, pgcopy.encode(new, TRACK_COPY_TYPES) if new else None)


def _import_tracks(cur, source: sqlite3.Connection, report: Report,
                   progress: Progress) -> tuple[set[str], set[str], set[str], set[str]]:
    """(accepted track ids, the ids of those this run wrote (new or changed), rejected track keys:
    the first MAX_REJECTED_KEYS, every track id in PostgreSQL now)."""
    counts = report.table("tracks")
    total = _count(source, "tracks")
    counts.read = total
    cur.execute("select track_id, source_hash from tracks")
    existing: dict[str, bytes | None] = {tid: (bytes(h) if h is not None else None) for tid, h in cur}
    rebuild = []
    if total >= REBUILD_INDEXES_FROM and len(existing) * 3 <= total:
        cur.execute(queries.get("tracks_indexes_to_rebuild").sql)
        rebuild = refresh.drop_indexes(cur, cur.fetchall())
    accepted: set[str] = set()
    written: set[str] = set()
    rejected: set[str] = set()
    changed: list[tuple] = []
    done = 0
    progress("tracks", 0, total)

    def reject(key: str, reason: str, label: str | None = None) -> None:
        report.reject("tracks", key, reason, label)
        if len(rejected) < MAX_REJECTED_KEYS:
            rejected.add(key)

    def on_reject(row, reason):
        counts.inserted -= 1
        accepted.discard(row[0])
        written.discard(row[0])
        reject(row[0], reason, "refused by PostgreSQL")

    # Pipelined: a helper thread validates, hashes and encodes the next chunk (pure work over
    # `existing`, which nobody writes meanwhile) while this thread COPYs the current one, so Python's
    # work overlaps PostgreSQL's. Every count, reject and set is kept here, in chunk order.
    def apply(chunk: Prepared) -> None:
        for key, reason in chunk.rejects:
            reject(key, reason)
        counts.unchanged += len(chunk.unchanged)
        accepted.update(chunk.unchanged)
        written.update(v[0] for v in chunk.changed)
        written.update(v[0] for v in chunk.new)
        accepted.update(v[0] for v in chunk.changed)
        accepted.update(v[0] for v in chunk.new)
        changed.extend(chunk.changed)
        counts.inserted += len(chunk.new)
        pgcopy.copy_rows(cur, "tracks", TRACK_COPY_COLUMNS, TRACK_COPY_TYPES, chunk.new, on_reject,
                         encoded=chunk.encoded)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mtm-import") as pool:
        pending = None   # (future of the chunk being prepared, rows read)
        for rows, nread in _source_rows(source, "tracks", TRACK_COLUMNS, ("track_id",), report):
            ahead = (pool.submit(_prepare_tracks, rows, existing), nread)
            if pending is not None:
                apply(pending[0].result())
                done += pending[1]
                progress("tracks", done, total)
            pending = ahead
        if pending is not None:
            apply(pending[0].result())
            done += pending[1]
            progress("tracks", done, total)
    if changed:
        cur.execute("create temp table stage_tracks (like tracks including defaults) on commit drop")
        counts.updated = len(changed)

        def on_reject_changed(row, reason):
            counts.updated -= 1
            accepted.discard(row[0])
            written.discard(row[0])
            reject(row[0], reason, "refused by PostgreSQL")

        for i in range(0, len(changed), CHUNK):
            pgcopy.copy_rows(cur, "stage_tracks", TRACK_COPY_COLUMNS, TRACK_COPY_TYPES,
                             changed[i:i + CHUNK], on_reject_changed)
        cur.execute("""
            update tracks t set name = s.name, artist_name = s.artist_name, album_name = s.album_name,
                   duration_ms = s.duration_ms, spotify_url = s.spotify_url, raw_json = s.raw_json,
                   source_hash = s.source_hash, imported_at = now()
            from stage_tracks s where t.track_id = s.track_id""")
    refresh.create_indexes(cur, rebuild)
    counts.written = counts.inserted + counts.updated
    return accepted, written, rejected, accepted.union(existing)


def _import_snapshots(cur, source: sqlite3.Connection, report: Report, progress: Progress,
                      rejected_tracks: set[str], track_ids: set[str]) -> set[tuple]:
    """`track_ids`: every track id in PostgreSQL after the tracks were imported."""
    counts = report.table("snapshots")
    total = _count(source, "snapshots")
    counts.read = total
    known_tracks = track_ids   # every track in PostgreSQL now
    cur.execute("select track_id, snapshot_date, time_range, rank from snapshots")
    existing = {(t, d, r): rank for t, d, r, rank in cur}
    # The stored keys as a source row spells them (text as bytes, ISO dates): a row that matches one
    # needs no validation (a rerun); it is counted as if parsed.
    stored_raw = {(t.encode(), d.isoformat().encode(), r.encode()): (t, d, r) for t, d, r in existing}
    maybe = len(rejected_tracks) >= MAX_REJECTED_KEYS   # not every rejected key was kept
    # Dedupe on the parsed key (last row wins), so '2024-01-05' typed twice collapses.
    latest: dict[tuple, tuple] = {}
    done = 0
    progress("snapshots", 0, total)
    for rows, nread in _source_rows(source, "snapshots", SNAPSHOT_COLUMNS,
                                    ("track_id", "snapshot_date", "time_range"), report):
        for raw in rows:
            parsed = stored_raw.get(raw[:3]) if type(raw[3]) is int and raw[3] >= 1 else None
            if parsed is not None:
                key = parsed
                if key in latest:
                    counts.duplicates += 1
                latest[key] = parsed + (raw[3],)
                continue
            try:
                values = clean_snapshot(raw)
            except Rejected as why:
                report.reject("snapshots", _row_key(raw[:3]), str(why))
                continue
            if values[0] not in known_tracks:
                why = ("its track was rejected" if values[0] in rejected_tracks
                       else "its track is not in tracks or was rejected" if maybe
                       else "its track is not in tracks")
                report.reject("snapshots", _row_key(raw[:3]), f"track_id {_show(values[0])}: {why}", why)
                continue
            key = values[:3]
            if key in latest:
                counts.duplicates += 1
            latest[key] = values
        done += nread
        progress("snapshots", done, total)
    new, changed = [], []
    for key, values in latest.items():
        old = existing.get(key)
        if old is None:
            new.append(values)
        elif old != values[3]:
            changed.append(values)
        else:
            counts.unchanged += 1
    accepted = set(latest)

    def on_reject(row, reason):
        accepted.discard(tuple(row[:3]))
        report.reject("snapshots", _row_key(row[:3]), reason, "refused by PostgreSQL")

    for i in range(0, len(new), CHUNK * 4):
        counts.inserted += pgcopy.copy_rows(cur, "snapshots", SNAPSHOT_COLUMNS, SNAPSHOT_COPY_TYPES,
                                            new[i:i + CHUNK * 4], on_reject)
    if changed:
        cur.execute("create temp table stage_snapshots (like snapshots) on commit drop")
        pgcopy.copy_rows(cur, "stage_snapshots", SNAPSHOT_COLUMNS, SNAPSHOT_COPY_TYPES, changed)
        cur.execute("""update snapshots t set rank = s.rank from stage_snapshots s
                       where (t.track_id, t.snapshot_date, t.time_range) = (s.track_id, s.snapshot_date, s.time_range)""")
        counts.updated = cur.rowcount
    counts.written = counts.inserted + counts.updated
    return accepted


def _verify(cur, report: Report, track_keys: set[str], written: set[str], snapshot_keys: set[tuple]) -> None:
    """Counts, JSON shape, foreign keys and a nested field, checked in PostgreSQL itself: the counts
    and keys over every row the source holds, the payloads over those this run wrote (`written`;
    VERIFY_NOTE)."""
    tracks = report.tables["tracks"]
    expected = tracks.read - tracks.duplicates - tracks.rejected
    # VERIFY_NOTE: one pass over the imported tracks: the count of them all, and the shape and the
    # nested field of the payloads this run wrote. A payload this run did not write was checked by
    # the run that wrote it; reading every payload again (each one decompressed, two thirds of an
    # unchanged rerun's checks at 50,000 tracks) would check the same bytes again.
    cur.execute("""select count(*), count(raw_json) filter (where w), count(raw_json->'album'->>'release_date') filter (where w),
                          count(*) filter (where w and jsonb_typeof(raw_json) <> 'object')
                   from (select raw_json, track_id = any(%s) as w from tracks where track_id = any(%s)) t""",
                (list(written), list(track_keys)))
    found, with_json, with_date, bad = cur.fetchone()
    report.check("tracks count", found == expected,
                 f"source {tracks.read:,} - duplicates {tracks.duplicates:,} - rejected {tracks.rejected:,} "
                 f"= {expected:,}; in PostgreSQL {found:,}")
    snaps = report.tables["snapshots"]
    expected = snaps.read - snaps.duplicates - snaps.rejected
    # Each key as one text (unambiguous: the date and the time range have fixed shapes without
    # tabs), matched against a hashed array: a third of the time of joining three arrays.
    cur.execute("""select count(*) from snapshots
                   where concat_ws(E'\t', track_id, to_char(snapshot_date, 'YYYY-MM-DD'), time_range) = any(%s)""",
                ([f"{t}\t{d.isoformat()}\t{r}" for t, d, r in snapshot_keys],))
    found = cur.fetchone()[0]
    report.check("snapshots count", found == expected,
                 f"source {snaps.read:,} - duplicates {snaps.duplicates:,} - rejected {snaps.rejected:,} "
                 f"= {expected:,}; in PostgreSQL {found:,}")
    report.check("raw_json objects", bad == 0, f"{bad:,} payloads written are not JSON objects")
    cur.execute("select count(*) from snapshots s where not exists "
                "(select 1 from tracks t where t.track_id = s.track_id)")
    orphans = cur.fetchone()[0]
    report.check("foreign keys", orphans == 0, f"{orphans:,} snapshots without their track")
    report.check("nested field album.release_date", True,
                 f"extractable from {with_date:,} of the {with_json:,} payloads written"
                 if written else "no payload written in this run")
    report.verified = all(c["ok"] for c in report.checks)
