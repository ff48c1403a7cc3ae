"""Import a Spotify data export (extended streaming history and/or account data) into `plays`.

    python -m migrate PATH [--json] [--keep-network-data]     (PATH: a JSON file, a folder, a zip)

What lands: one row per stream in `plays` (db/migrations/0005_plays.sql), with the chart columns and the
whole record as raw_json. Personal network data (ip_addr*, user_agent*, username) is left out of
raw_json unless `keep_network_data=True`; it is not added to plays that are already there.

Idempotent: two records are one play only when they are the same record (the same play in two
files or two exports). A play's natural key is (ended_at, ms_played, what was played: the URI, else
the artist/show and track/episode names, record_key). record_key tells apart plays that agree on the
rest: for extended history the record's offline_timestamp in whole seconds (Spotify logs a play made
offline when the device syncs, so two real plays of one song can share ts, ms_played and URI and
differ only there; older exports write it in milliseconds, newer ones in seconds), for account data
which of the identical records in its file this is (0, 1, ...). An extended record is taken as a
play already stored when the stored play has the same ended_at, ms_played and item and an
offline_timestamp within a second of its own, or either has none (an export that lacks the field
cannot split plays). Re-importing files, or a newer export that overlaps an older one (whose records
use older field names), adds only what is new.

Account data and extended history. Account data (StreamingHistory*.json) repeats the plays of the
last year with minute precision and no URIs. Its record is the same play as an extended record when
the extended `ts` lies within [endTime - 30 s, endTime + 60 s) (Spotify's minute is the truncated or
the rounded one), ms_played is equal and the track (episode) name is equal. The artist is not
compared: the account data names the track's artist where the extended history names the album
artist ("Various Artists" on compilations). An exact ms_played makes a chance match practically
impossible. Matched account records are not inserted ('matched' in the report); account plays
already stored are replaced by the extended record when it arrives later ('replaced'). Extended
files are read before account files, so one import of everything stores each play once.

How: a worker thread parses the files (orjson for files of Spotify's usual size, ijson's C backend
incrementally for larger ones) and turns records into binary COPY rows, in batches of 10,000; the
main thread loads each batch while the next is parsed. A batch whose time range holds no stored
play (a first import) is COPYed straight into `plays`; any other goes through a temporary staging
table and `insert ... select ... on conflict do nothing`, which also counts what was already there.
Everything is one transaction under the import lock (migrate.runs): a file that turns out unusable
half-way (not JSON, cut short) rolls the whole import back with exit code 2. The hours touched are
listed in plays_dirty_hours (kept in a temporary table until the refresh), and the `refresh_*` queries (db/sql/plays_refresh.sql, plays.sql) rebuild
the rollups for just those hours, in the same transaction; on a first import they build every
rollup from all plays at once, with the rollups' secondary indexes dropped until they are filled.

The report has a line per file, saying what the file was read as ('extended, audio', 'account
data, audiobooks', ...) and what became of each record: inserted (new), replaced (an account-data
play this extended record replaces), duplicate (the same record read earlier in this import: the
same play in two files), already present (stored by an earlier import), matched (an account-data
record whose extended play is stored), skipped by reason (zero duration is a skip, not an error; a
bad record is also a reject, counted by reason, the first 1,000 kept with their file and record
number: migrate.report). A file's rejects are written to import_rejects once: when a file of the
same content (sha256) was imported before, its rejects are counted but not recorded again. Files
that are not streaming history are listed apart, as ignored. A record nested more than 64 levels
deep is a reject; a file whose every record is (nothing but nesting) is unusable (exit 2).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import queue
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from db import refresh
from migrate import export_formats as fmt
from migrate import pgcopy, runs
from migrate.errors import UnusableInput
from migrate.jsonlimits import MAX_DEPTH
from migrate.report import MAX_FILES_IN_REPORT, MAX_REJECTS_KEPT, Report

BATCH = 10_000                 # records per COPY batch (about 10 MB)
BATCH_BYTES = 32 * 2**20       # or fewer, when their rows take this much (records of unusual size)
QUEUE_BATCHES = 3              # batches parsed ahead of PostgreSQL
COLUMNS = ("ended_at", "ms_played", "kind", "source", "track_id", "uri", "track", "artist", "album",
           "platform", "country", "reason_start", "reason_end", "shuffle", "skipped", "offline",
           "incognito", "run_id", "raw_json", "record_key")
_COLS = ", ".join(COLUMNS)
# Account data said one minute; the extended ts may be up to 30 s before (rounded) or 60 s after
# (truncated) it.
MATCH_BEFORE, MATCH_AFTER = "30 seconds", "60 seconds"
ACCOUNT_SEEN_MAX = 100_000     # identical account records remembered per file (they are adjacent: by time)
# A staged play `s` is the same record as a stored play `p` (see the module's docstring). The first
# three conditions are plays_natural_key's leading columns, so this is one index range per play.
SAME_RECORD = r"""p.ended_at = s.ended_at and p.ms_played = s.ms_played
  and mtm_play_natural_hash(p.uri, p.artist, p.track) = mtm_play_natural_hash(s.uri, s.artist, s.track)
  and (p.record_key = s.record_key
       or (p.source = 'extended' and s.source = 'extended'
           and (p.record_key = 0 or s.record_key = 0 or abs(p.record_key - s.record_key) <= 1)))"""

_ROW = pgcopy.row_start(len(COLUMNS))
_KEY0 = pgcopy.field_int8(0)
_PG_EPOCH = 946_684_800        # 2000-01-01 in Unix seconds
_PG_EPOCH_DT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass
class FileStats:
    """One history file's line in the report. records = inserted + replaced + duplicates
    + already_present + matched + sum(skipped); rejected counts the skipped records that were bad
    (not zero duration)."""
    file: str
    format: str                 # 'extended (audio)', 'account (audiobook)', ...: format (variant)
    read_as: str = ""           # the same in words: 'extended, audio', 'account data, audiobooks', ...
    records: int = 0
    inserted: int = 0           # new plays
    replaced: int = 0           # account-data plays replaced by this file's extended record
    duplicates: int = 0         # the same record read earlier in this import (another file, or this one)
    already_present: int = 0    # stored by an earlier import
    matched: int = 0            # account-data records whose extended play is stored
    matched_earlier: int = 0    # of which that play was stored by an earlier import (not in the file's line)
    skipped: Counter = field(default_factory=Counter)
    rejected: int = 0
    kinds: Counter = field(default_factory=Counter)   # the records read as plays, by kind
    sha256: str | None = None   # of the file's bytes; worked out only for a file with rejects
    rejects_recorded_in_run: int | None = None   # its rejects were recorded by that run already

    def to_dict(self) -> dict:
        out = {"file": self.file, "format": self.format, "read_as": self.read_as, "records": self.records,
               "inserted": self.inserted, "replaced": self.replaced, "duplicates": self.duplicates,
               "already_present": self.already_present, "matched": self.matched,
               "skipped": dict(sorted(self.skipped.items())), "rejected": self.rejected,
               "kinds": dict(sorted(self.kinds.items()))}
        if self.sha256:
            out["sha256"] = self.sha256
        if self.rejects_recorded_in_run is not None:
            out["rejects_recorded_in_run"] = self.rejects_recorded_in_run
        return out


@dataclass
class _Batch:
    file_no: int
    rows: list              # encoded COPY rows (bytes)
    record_nos: list        # the record number (1-based) of each row, for rejects
    first_us: int = 0       # ended_at range of the rows, microseconds since 2000-01-01
    last_us: int = 0
    records: int = 0        # records this batch accounts for (rows + skipped)
    skipped: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)   # plays by kind
    rejects: list = field(default_factory=list)   # (record no, label, reason)
    dropped_network: int = 0
    hours: set = field(default_factory=set)        # hours since 2000-01-01 UTC of the rows
    extended: bool = False  # holds extended-history plays
    account: bool = False   # holds account-data plays
    bytes_read: int = 0     # of all files so far, for progress
    nbytes: int = 0         # of the rows


class _Encoder:
    """Play -> one binary COPY row from pgcopy's field encoders; repeated strings (names, platforms)
    are encoded once."""

    def __init__(self, run_id: int):
        self._cache: dict = {None: pgcopy.NULL}
        self._run = pgcopy.field_int8(run_id)

    def text(self, s: str) -> bytes:
        out = pgcopy.field_text(s)
        if len(out) <= 204 and len(self._cache) < 200_000:
            self._cache[s] = out
        return out

    def row(self, p: fmt.Play) -> tuple[bytes, int]:
        """(row bytes, ended_at in microseconds since 2000-01-01)."""
        (ended, ms, kind, source, track_id, uri, track, artist, album, platform, country, reason_start,
         reason_end, shuffle, skipped, offline, incognito, raw, _, record_key) = p
        c, t, b = self._cache.get, self.text, pgcopy.FIELD_BOOL
        us = pgcopy.timestamptz_us(ended)
        return b"".join((
            _ROW, pgcopy.field_int8(us), pgcopy.field_int4(ms), c(kind) or t(kind), c(source) or t(source),
            c(track_id) or t(track_id), c(uri) or t(uri), c(track) or t(track), c(artist) or t(artist),
            c(album) or t(album), c(platform) or t(platform), c(country) or t(country),
            c(reason_start) or t(reason_start), c(reason_end) or t(reason_end),
            b[shuffle], b[skipped], b[offline], b[incognito],
            self._run, pgcopy.field_jsonb(raw), _KEY0 if not record_key else pgcopy.field_int8(record_key))), us


def _records(n: int) -> str:
    return "its only record is" if n == 1 else f"all its {n:,} records are"


def _timestamp(us: int) -> dt.datetime:
    return _PG_EPOCH_DT + dt.timedelta(microseconds=us)


# ---------------------------------------------------------------------------------------------
# The worker thread: files -> batches of COPY rows


class _Stop(Exception):
    pass


def _produce(export: fmt.Export, encoder: _Encoder, keep_network: bool, out: queue.Queue,
             stop: threading.Event) -> None:
    """Parse every history file into batches on `out`; then None. An exception goes on `out` too."""
    def put(item) -> None:
        while True:
            if stop.is_set():
                raise _Stop
            try:
                out.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    try:
        bytes_before = 0
        for file_no, hf in enumerate(export.files):
            batch = _Batch(file_no, [], [])
            position = [0]
            account_seen: dict = {}     # identical account records so far: (ended, ms, artist, track) -> n

            def on_bytes(n: int, position=position) -> None:
                position[0] = n

            record_no = too_deep = 0
            for record_no, record in enumerate(fmt.records(hf, on_bytes), start=1):
                batch.records += 1
                try:
                    play = fmt.to_play(record, hf.variant, keep_network)
                except fmt.Skip as why:
                    batch.skipped[why.label] += 1
                    if why.label != fmt.ZERO_DURATION:
                        batch.rejects.append((record_no, why.label, why.detail))
                        too_deep += why.label == fmt.TOO_DEEP
                        if len(batch.rejects) >= BATCH:     # a file of rejects: bounded batches too
                            batch.bytes_read = bytes_before + position[0]
                            put(batch)
                            batch = _Batch(file_no, [], [])
                    continue
                if play.source == fmt.ACCOUNT:
                    key = (play.ended_at, play.ms_played, play.artist, play.track)
                    n = account_seen.get(key, 0)
                    if n:
                        play = play._replace(record_key=n)
                    elif len(account_seen) >= ACCOUNT_SEEN_MAX:
                        account_seen.clear()
                    account_seen[key] = n + 1
                batch.kinds[play.kind] += 1
                row, us = encoder.row(play)
                if not batch.rows or us < batch.first_us:
                    batch.first_us = us
                if not batch.rows or us > batch.last_us:
                    batch.last_us = us
                batch.rows.append(row)
                batch.nbytes += len(row)
                batch.record_nos.append(record_no)
                batch.hours.add(us // 3_600_000_000)
                if play.source == fmt.ACCOUNT:
                    batch.account = True
                else:
                    batch.extended = True
                    batch.dropped_network += play.dropped_network
                if len(batch.rows) >= BATCH or batch.nbytes >= BATCH_BYTES:
                    batch.bytes_read = bytes_before + position[0]
                    put(batch)
                    batch = _Batch(file_no, [], [])
            if record_no and too_deep == record_no:
                raise UnusableInput(f"{hf.name}: nothing but nesting: {_records(record_no)} nested more than "
                                    f"{MAX_DEPTH} levels deep, no Spotify streaming history")
            bytes_before += hf.size
            batch.bytes_read = bytes_before
            put(batch)
        put(None)
    except _Stop:
        return
    except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which raises it
        try:
            put(exc)
        except _Stop:
            return


# ---------------------------------------------------------------------------------------------
# The main thread: batches -> plays


class _Loader:
    def __init__(self, cur, report: Report, export: fmt.Export):
        self.cur = cur
        self.report = report
        self.export = export
        self.files = [FileStats(hf.name, hf.label, hf.read_as) for hf in export.files]
        # Per file: the first MAX_REJECTS_KEPT rejects (key, reason, label), and the rest counted by label;
        # recorded at the end (_record_rejects), once per file content.
        self.rejects: list[list] = [[] for _ in export.files]
        self.rejects_over: list[Counter] = [Counter() for _ in export.files]
        self.dropped_network = 0      # records whose network fields were left out
        cur.execute("create temp table plays_stage (like plays) on commit drop")
        # The hours this import changes, listed in plays_dirty_hours only at the refresh (under the
        # rollup lock): until then every submitted listen's refresh reads plays_dirty_hours, and
        # would wade through this import's uncommitted rows there (1,000,000 plays: 0.2 s a listen).
        cur.execute("create temp table import_dirty_hours (hour_utc timestamptz not null) on commit drop")
        # The time range of stored account-data plays: extended batches outside it cannot replace any.
        cur.execute("select extract(epoch from min(ended_at)), extract(epoch from max(ended_at)) "
                    "from plays where source = 'account'")
        low, high = cur.fetchone()
        self.account_range = None if low is None else (
            (int(low) - _PG_EPOCH - 60) * 1_000_000, (int(high) - _PG_EPOCH + 60) * 1_000_000)

    def _reject(self, file_no: int, key: str, reason: str, label: str) -> None:
        kept = self.rejects[file_no]
        if len(kept) < MAX_REJECTS_KEPT:
            kept.append((key, reason, label))
        else:
            self.rejects_over[file_no][label] += 1

    def load(self, batch: _Batch) -> None:
        stats = self.files[batch.file_no]
        hf = self.export.files[batch.file_no]
        stats.records += batch.records
        stats.skipped.update(batch.skipped)
        stats.kinds.update(batch.kinds)
        stats.rejected += len(batch.rejects)
        for record_no, label, reason in batch.rejects:
            self._reject(batch.file_no, f"{hf.name}#{record_no}", reason, label)
        if batch.dropped_network:
            self.dropped_network += batch.dropped_network
        if not batch.rows:
            return
        may_replace = bool(batch.extended and self.account_range and batch.first_us <= self.account_range[1]
                           and batch.last_us >= self.account_range[0])
        if not batch.account and not may_replace and self._copy_direct(batch):
            stats.inserted += len(batch.rows)
            return
        n = self._copy(batch)
        cur = self.cur
        window = {"before": MATCH_BEFORE, "after": MATCH_AFTER}
        inserted = matched = matched_earlier = earlier = 0
        if batch.extended:
            new, present = self._insert_staged("extended")
            inserted, earlier = inserted + new, earlier + present
        if batch.account:    # after the batch's own extended plays, which it may match
            cur.execute("""
                with m as (
                  delete from plays_stage s
                  where s.source = 'account'
                    and exists (select 1 from plays p
                                where p.ended_at >= s.ended_at - %(before)s::interval
                                  and p.ended_at < s.ended_at + %(after)s::interval
                                  and p.source = 'extended' and p.ms_played = s.ms_played and p.track = s.track)
                  returning s.ended_at, s.ms_played, s.track)
                select count(*),
                       count(*) filter (where not exists (   -- matched to a play of this import
                         select 1 from plays p
                         where p.ended_at >= m.ended_at - %(before)s::interval
                           and p.ended_at < m.ended_at + %(after)s::interval and p.source = 'extended'
                           and p.ms_played = m.ms_played and p.track = m.track and p.run_id = %(run)s))
                from m""", {**window, "run": self.report.run_id})
            matched, matched_earlier = cur.fetchone()
            new, present = self._insert_staged("account")
            inserted, earlier = inserted + new, earlier + present
            low, high = batch.first_us - 60_000_000, batch.last_us + 60_000_000
            self.account_range = (min(low, self.account_range[0]), max(high, self.account_range[1])) \
                if self.account_range else (low, high)
        replaced = 0
        if may_replace:
            cur.execute("""
                with gone as (
                  delete from plays a using plays_stage s
                  where a.source = 'account' and s.source = 'extended'
                    and a.ended_at > s.ended_at - %(after)s::interval
                    and a.ended_at <= s.ended_at + %(before)s::interval
                    and a.ms_played = s.ms_played and a.track = s.track
                  returning a.ended_at),
                dirty as (
                  insert into import_dirty_hours (hour_utc)
                  select distinct date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00') from gone)
                select count(*) from gone""", window)
            replaced = cur.fetchone()[0]
        cur.execute("truncate plays_stage")
        stats.matched += matched
        stats.matched_earlier += matched_earlier
        stats.replaced += replaced
        stats.inserted += inserted - replaced
        stats.already_present += earlier
        stats.duplicates += n - matched - inserted - earlier

    def _insert_staged(self, source: str) -> tuple[int, int]:
        """Move the staged plays of `source` into plays, but for the records already there (SAME_RECORD);
        returns (how many were new, how many were stored by an earlier import). The rest were read
        earlier in this import (a play stored by this run, or twice in the batch). The new plays'
        hours are marked for the rollup refresh."""
        self.cur.execute(f"""
            with staged as materialized (
              select s.*, (select bool_or(p.run_id is distinct from %(run)s) from plays p
                           where {SAME_RECORD}) as earlier
              from plays_stage s where s.source = %(source)s),
            ins as (
              insert into plays ({_COLS}) select {_COLS} from staged where earlier is null
              on conflict do nothing
              returning ended_at),
            dirty as (
              insert into import_dirty_hours (hour_utc)
              select distinct date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00') from ins)
            select (select count(*) from ins), (select count(*) from staged where earlier)""",
                         {"run": self.report.run_id, "source": source})
        new, earlier = self.cur.fetchone()
        return new, earlier

    def _copy_direct(self, batch: _Batch) -> bool:
        """COPY an extended batch straight into plays when no stored play lies in its time range
        (the usual case on a first import): half the work of staging. False, with nothing written,
        when there is one, or when the batch holds the same play twice; the staged path then
        sorts out what is new."""
        cur = self.cur
        cur.execute("select exists (select 1 from plays where ended_at >= %s and ended_at <= %s)",
                    (_timestamp(batch.first_us), _timestamp(batch.last_us)))
        if cur.fetchone()[0]:
            return False
        if pgcopy.try_copy(cur, f"copy plays ({_COLS}) from stdin with (format binary)",
                           pgcopy.payload(batch.rows)) is not None:
            return False
        cur.execute("insert into import_dirty_hours (hour_utc) "
                    "select timestamptz '2000-01-01 00:00+00' + make_interval(hours => h) from unnest(%s::int[]) h",
                    (sorted(batch.hours),))
        return True

    def _copy(self, batch: _Batch) -> int:
        """COPY the batch into plays_stage; returns the rows written. A row PostgreSQL refuses is
        found by bisection inside savepoints, reported, and left out."""
        rows = list(zip(batch.rows, batch.record_nos))
        written = self._copy_rows(rows, batch.file_no)
        refused = len(rows) - written
        if refused:
            self.files[batch.file_no].skipped["refused by PostgreSQL"] += refused
            self.files[batch.file_no].rejected += refused
        return written

    def _copy_rows(self, rows: list, file_no: int) -> int:
        """COPY (row bytes, record number) pairs into plays_stage; a refused row is rejected by name."""
        name = self.export.files[file_no].name

        def reject(row, reason: str) -> None:
            self._reject(file_no, f"{name}#{row[1]}", reason, "refused by PostgreSQL")

        return pgcopy.copy_bisect(self.cur, f"copy plays_stage ({_COLS}) from stdin with (format binary)", rows,
                                  lambda part: pgcopy.payload(r for r, _ in part), reject)


# ---------------------------------------------------------------------------------------------
# The import


def import_export(path: str, url: str | None = None, *, progress=None, notice=None,
                  keep_network_data: bool = False) -> Report:
    """Import the Spotify export at `path` (file, folder or zip) into the database at `url`
    (default: configured). Returns the report. Raises UnusableInput (nothing written) or ImportFailed.
    """
    started = time.perf_counter()
    progress = progress or (lambda stage, done, total: None)
    notice = notice or (lambda msg: None)
    export = fmt.open_export(path)   # before touching PostgreSQL: a bad input writes nothing
    report = Report(source=export.source, kind="spotify_export")
    with runs.import_run(url, report, export.size, notice, export) as cur:
        cur.execute("set temp_buffers = '64MB'")    # a staged batch (about 10 MB) stays in memory
        cur.execute(_COUNT_IMPORTED)
        before = cur.fetchone()[0]
        loader = _load(cur, report, export, keep_network_data, progress)
        progress("rollups", 0, 1)
        refresh.lock_rollups(cur)     # first: listens (api/) refresh the same rollups
        cur.execute("insert into plays_dirty_hours (hour_utc) select distinct hour_utc from import_dirty_hours")
        refresh.run(cur)
        progress("rollups", 1, 1)
        _record_rejects(cur, report, loader, export)
        _summarise(report, loader, export, keep_network_data)
        _verify(cur, report, loader, before)
        report.seconds = time.perf_counter() - started
    return report


def _load(cur, report: Report, export: fmt.Export, keep_network: bool, progress) -> _Loader:
    loader = _Loader(cur, report, export)
    total = sum(hf.size for hf in export.files)
    batches: queue.Queue = queue.Queue(maxsize=QUEUE_BATCHES)
    stop = threading.Event()
    worker = threading.Thread(target=_produce, name="mtm-export-parser", daemon=True,
                              args=(export, _Encoder(report.run_id), keep_network, batches, stop))
    progress("reading", 0, total)
    # The parser thread is CPU-bound; every time this thread comes back from PostgreSQL it waits for
    # the GIL, by default up to 5 ms, while PostgreSQL idles. A shorter switch interval for the
    # length of the load keeps PostgreSQL busy (1,000,000 records: 27 s -> 19 s on 2 cores).
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.0005))
    worker.start()
    try:
        while True:
            item = batches.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            loader.load(item)
            progress("reading", min(item.bytes_read, total), total)
    finally:
        stop.set()
        worker.join(timeout=10)
        sys.setswitchinterval(interval)
    progress("reading", total, total)
    return loader


def _sha256(hf: fmt.HistoryFile) -> str | None:
    try:
        digest = hashlib.sha256()
        with hf.opener() as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except (OSError, EOFError, RuntimeError, ValueError):
        return None


def _record_rejects(cur, report: Report, loader: _Loader, export: fmt.Export) -> None:
    """Put each file's rejects in the report (and so in import_rejects), once: a file whose bytes
    (sha256) an earlier import, or an earlier file of this one, read already is counted with its
    rejects but they are not recorded again. Only files with rejects are hashed (read once more)."""
    seen: dict[str, int] = {}
    for hf, stats, rejects, over in zip(export.files, loader.files, loader.rejects, loader.rejects_over):
        if not rejects:
            continue
        stats.sha256 = _sha256(hf)
        earlier = seen.get(stats.sha256) if stats.sha256 else None
        if stats.sha256 and earlier is None:
            cur.execute("""
                select r.run_id from import_runs r
                cross join lateral jsonb_array_elements(case when jsonb_typeof(r.summary->'files') = 'array'
                                                             then r.summary->'files' else '[]' end) f
                where r.status = 'done' and r.kind = 'spotify_export' and f->>'sha256' = %s
                order by r.run_id limit 1""", (stats.sha256,))
            row = cur.fetchone()
            earlier = row[0] if row else None
        if earlier is not None:
            stats.rejects_recorded_in_run = earlier
            report.table("plays").rejected += len(rejects) + sum(over.values())
            continue
        if stats.sha256:
            seen[stats.sha256] = report.run_id
        for key, reason, label in rejects:
            report.reject("plays", key, reason, label)
        for label, rows in over.items():
            report.reject_many("plays", label, rows)


def _summarise(report: Report, loader: _Loader, export: fmt.Export, keep_network: bool) -> None:
    counts = report.table("plays")
    for s in loader.files:
        counts.read += s.records
        counts.inserted += s.inserted
        counts.updated += s.replaced
        counts.unchanged += s.already_present + s.matched_earlier     # there before this import
        counts.duplicates += s.duplicates + s.matched - s.matched_earlier   # read twice in this import
        report.add_file(s.to_dict())
    counts.written = counts.inserted + counts.updated
    for name, why in export.ignored[:MAX_FILES_IN_REPORT]:
        report.ignored.append({"file": name, "reason": why})
    if len(export.ignored) > MAX_FILES_IN_REPORT:
        report.notes.append(f"{len(export.ignored) - MAX_FILES_IN_REPORT:,} more ignored files are not listed.")
    again = [s for s in loader.files if s.rejects_recorded_in_run is not None]
    if again:
        report.notes.append(
            f"{sum(s.rejected for s in again):,} rejected records of {len(again):,} file(s) read before "
            f"(the same bytes) were not recorded again; see run {min(s.rejects_recorded_in_run for s in again)}.")
    zero = sum(s.skipped[fmt.ZERO_DURATION] for s in loader.files)
    if zero:
        report.notes.append(f"{zero:,} records with ms_played 0 were skipped (Spotify logs them; they are not plays).")
    if loader.dropped_network and not keep_network:
        report.notes.append(f"Network data (ip_addr, user_agent, username) was left out of {loader.dropped_network:,} "
                            "records; --keep-network-data keeps it.")
    elif keep_network:
        report.notes.append("Network data (ip_addr, user_agent, username) was kept, as asked.")
    older = [s for hf, s in zip(export.files, loader.files) if (hf.format, hf.variant) == (fmt.ACCOUNT, "older")]
    if older:
        report.notes.append(
            f"The older account data ({', '.join(s.file for s in older[:3])}{' ...' if len(older) > 3 else ''}) "
            "does not tell podcasts from music (a show is written as the artist): its "
            f"{sum(s.inserted for s in older):,} new plays are stored as music, until an extended-history export "
            "replaces them with their kind.")
    matched = sum(s.matched for s in loader.files) + counts.updated
    if matched:
        report.notes.append(f"{matched:,} account-data plays were the same streams as extended-history records "
                            "and are stored once (matched on time within a minute, ms_played and track name).")


# Plays of the imports' sources: listens (api/) are submitted by other transactions during an import.
_COUNT_IMPORTED = "select count(*) from plays where source <> 'listenbrainz'"


def _verify(cur, report: Report, loader: _Loader, before: int) -> None:
    counts = report.tables["plays"]
    cur.execute(_COUNT_IMPORTED)
    after = cur.fetchone()[0]
    report.check("plays count", after == before + counts.inserted,
                 f"before {before:,} + inserted {counts.inserted:,} = {before + counts.inserted:,}; "
                 f"in PostgreSQL {after:,}")
    bad = [s.file for s in loader.files
           if s.records != s.inserted + s.replaced + s.duplicates + s.already_present + s.matched
           + sum(s.skipped.values())]
    report.check("every record accounted for", not bad,
                 "records = inserted + replaced + duplicates + already present + matched + skipped, for every file"
                 + (f"; not for {', '.join(bad)}" if bad else ""))
    # Under the rollup lock (taken by the refresh) listens may still commit plays, but their hours
    # wait in listen_pending_hours for the next refresh: those hours are left out of the comparison.
    cur.execute("""
        select (select coalesce(sum(plays), 0) from plays_hourly h
                where not exists (select 1 from listen_pending_hours w where w.hour_utc = h.hour_utc)),
               (select count(*) from plays p
                where not exists (select 1 from listen_pending_hours w
                                  where w.hour_utc = date_bin('1 hour', p.ended_at, timestamptz '2000-01-01 00:00+00')))""")
    rolled, stored = cur.fetchone()
    report.check("rollups", rolled == stored, f"plays_hourly counts {rolled:,} plays; plays holds {stored:,}")
    report.verified = all(c["ok"] for c in report.checks)
