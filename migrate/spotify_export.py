"""Import a Spotify data export (extended streaming history and/or account data) into `plays`.

    python -m migrate PATH [--json] [--keep-network-data]     (PATH: a JSON file, a folder, a zip)

What lands: one row per stream in `plays` (db/schema/20_plays.sql), with the chart columns and the
whole record as raw_json. Personal network data (ip_addr*, user_agent*, username) is left out of
raw_json unless `keep_network_data=True`; it is not added to plays that are already there.

Idempotent. A play's natural key is (ended_at, ms_played, what was played: the URI, else the
artist/show and track/episode names). Re-importing files, or a newer export that overlaps an older
one (whose records use older field names), adds only what is new: `insert ... on conflict do
nothing` on that key.

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
listed in plays_dirty_hours, and the `refresh_*` queries (db/sql/plays_refresh.sql, plays.sql) rebuild
the rollups for just those hours, in the same transaction; on a first import they build every
rollup from all plays at once, with the rollups' secondary indexes dropped until they are filled.

The report has a line per file: records read, inserted, replaced, already present, matched,
skipped by reason (zero duration is a skip, not an error; a bad record is also a reject, counted by
reason, the first 1,000 kept with their file and record number: migrate.report). A record nested
more than 64 levels deep is a reject; a file whose every record is (nothing but nesting) is
unusable (exit 2).
"""
from __future__ import annotations

import datetime as dt
import io
import queue
import struct
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import psycopg2

from migrate import export_formats as fmt
from migrate import pgcopy, runs
from migrate.errors import UnusableInput
from migrate.jsonlimits import MAX_DEPTH
from migrate.report import Report

BATCH = 10_000                 # records per COPY batch (about 10 MB)
BATCH_BYTES = 32 * 2**20       # or fewer, when their rows take this much (records of unusual size)
QUEUE_BATCHES = 3              # batches parsed ahead of PostgreSQL
COLUMNS = ("ended_at", "ms_played", "kind", "source", "track_id", "uri", "track", "artist", "album",
           "platform", "country", "reason_start", "reason_end", "shuffle", "skipped", "offline",
           "incognito", "run_id", "raw_json")
_COLS = ", ".join(COLUMNS)
# Account data said one minute; the extended ts may be up to 30 s before (rounded) or 60 s after
# (truncated) it.
MATCH_BEFORE, MATCH_AFTER = "30 seconds", "60 seconds"

_I32 = struct.Struct(">i").pack
_I64 = struct.Struct(">q").pack
_NULL = _I32(-1)
_BOOL = {None: _NULL, True: _I32(1) + b"\x01", False: _I32(1) + b"\x00"}
_FIELDS = struct.pack(">h", len(COLUMNS))
_TS_LEN, _INT_LEN = _I32(8), _I32(4)
_PG_EPOCH = 946_684_800        # 2000-01-01 in Unix seconds
_PG_EPOCH_DT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass
class FileStats:
    """One history file's line in the report. records = inserted + replaced + already_present
    + matched + sum(skipped); rejected counts the skipped records that were bad (not zero duration)."""
    file: str
    format: str
    records: int = 0
    inserted: int = 0           # new plays
    replaced: int = 0           # account-data plays replaced by this file's extended record
    already_present: int = 0    # in the database already (or earlier in this import)
    matched: int = 0            # account-data records whose extended play is already stored
    skipped: Counter = field(default_factory=Counter)
    rejected: int = 0

    def to_dict(self) -> dict:
        return {"file": self.file, "format": self.format, "records": self.records, "inserted": self.inserted,
                "replaced": self.replaced, "already_present": self.already_present, "matched": self.matched,
                "skipped": dict(sorted(self.skipped.items())), "rejected": self.rejected}


@dataclass
class _Batch:
    file_no: int
    rows: list              # encoded COPY rows (bytes)
    record_nos: list        # the record number (1-based) of each row, for rejects
    first_us: int = 0       # ended_at range of the rows, microseconds since 2000-01-01
    last_us: int = 0
    records: int = 0        # records this batch accounts for (rows + skipped)
    skipped: Counter = field(default_factory=Counter)
    rejects: list = field(default_factory=list)   # (record no, label, reason)
    dropped_network: int = 0
    hours: set = field(default_factory=set)        # hours since 2000-01-01 UTC of the rows
    extended: bool = False  # holds extended-history plays
    account: bool = False   # holds account-data plays
    bytes_read: int = 0     # of all files so far, for progress
    nbytes: int = 0         # of the rows


class _Encoder:
    """Play -> one binary COPY row; repeated strings (names, platforms) are encoded once."""

    def __init__(self, run_id: int):
        self._cache: dict = {None: _NULL}
        self._run = _I32(8) + _I64(run_id)

    def text(self, s: str) -> bytes:
        raw = s.encode("utf-8")
        out = _I32(len(raw)) + raw
        if len(raw) <= 200 and len(self._cache) < 200_000:
            self._cache[s] = out
        return out

    def row(self, p: fmt.Play) -> tuple[bytes, int]:
        """(row bytes, ended_at in microseconds since 2000-01-01)."""
        (ended, ms, kind, source, track_id, uri, track, artist, album, platform, country, reason_start,
         reason_end, shuffle, skipped, offline, incognito, raw, _) = p
        c, t, b = self._cache.get, self.text, _BOOL
        us = (int(ended.timestamp()) - _PG_EPOCH) * 1_000_000 + ended.microsecond
        return b"".join((
            _FIELDS, _TS_LEN, _I64(us), _INT_LEN, _I32(ms), c(kind) or t(kind), c(source) or t(source),
            c(track_id) or t(track_id), c(uri) or t(uri), c(track) or t(track), c(artist) or t(artist),
            c(album) or t(album), c(platform) or t(platform), c(country) or t(country),
            c(reason_start) or t(reason_start), c(reason_end) or t(reason_end),
            b[shuffle], b[skipped], b[offline], b[incognito],
            self._run, _I32(len(raw) + 1), b"\x01", raw)), us


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
        self.files = [FileStats(hf.name, hf.label) for hf in export.files]
        self.dropped_network = 0      # records whose network fields were left out
        cur.execute("create temp table plays_stage (like plays) on commit drop")
        # The time range of stored account-data plays: extended batches outside it cannot replace any.
        cur.execute("select extract(epoch from min(ended_at)), extract(epoch from max(ended_at)) "
                    "from plays where source = 'account'")
        low, high = cur.fetchone()
        self.account_range = None if low is None else (
            (int(low) - _PG_EPOCH - 60) * 1_000_000, (int(high) - _PG_EPOCH + 60) * 1_000_000)

    def load(self, batch: _Batch) -> None:
        stats = self.files[batch.file_no]
        hf = self.export.files[batch.file_no]
        stats.records += batch.records
        stats.skipped.update(batch.skipped)
        stats.rejected += len(batch.rejects)
        for record_no, label, reason in batch.rejects:
            self.report.reject("plays", f"{hf.name}#{record_no}", reason, label)
        if batch.dropped_network:
            self.dropped_network += batch.dropped_network
        if not batch.rows:
            return
        may_replace = bool(batch.extended and self.account_range and batch.first_us <= self.account_range[1]
                           and batch.last_us >= self.account_range[0])
        if not batch.account and not may_replace and self._copy_direct(batch):
            stats.inserted += len(batch.rows)
            return
        n = self._copy(batch, hf.name)
        cur = self.cur
        window = {"before": MATCH_BEFORE, "after": MATCH_AFTER}
        inserted = matched = 0
        if batch.extended:
            inserted += self._insert_staged("extended")
        if batch.account:    # after the batch's own extended plays, which it may match
            cur.execute("""
                with m as (
                  delete from plays_stage s
                  where s.source = 'account'
                    and exists (select 1 from plays p
                                where p.ended_at >= s.ended_at - %(before)s::interval
                                  and p.ended_at < s.ended_at + %(after)s::interval
                                  and p.source = 'extended' and p.ms_played = s.ms_played and p.track = s.track)
                  returning 1)
                select count(*) from m""", window)
            matched = cur.fetchone()[0]
            inserted += self._insert_staged("account")
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
                  insert into plays_dirty_hours (hour_utc)
                  select distinct date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00') from gone)
                select count(*) from gone""", window)
            replaced = cur.fetchone()[0]
        cur.execute("truncate plays_stage")
        stats.matched += matched
        stats.replaced += replaced
        stats.inserted += inserted - replaced
        stats.already_present += n - matched - inserted

    def _insert_staged(self, source: str) -> int:
        """Move the staged plays of `source` into plays, but for those already there; returns how
        many were new. Their hours are marked for the rollup refresh."""
        self.cur.execute(f"""
            with ins as (
              insert into plays ({_COLS}) select {_COLS} from plays_stage where source = %s
              on conflict do nothing
              returning ended_at),
            dirty as (
              insert into plays_dirty_hours (hour_utc)
              select distinct date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00') from ins)
            select count(*) from ins""", (source,))
        return self.cur.fetchone()[0]

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
        payload = pgcopy.HEADER + b"".join(batch.rows) + pgcopy.TRAILER
        cur.execute("savepoint mtm_direct")
        try:
            cur.copy_expert(f"copy plays ({_COLS}) from stdin with (format binary)", io.BytesIO(payload),
                            size=len(payload))
        except (psycopg2.DataError, psycopg2.IntegrityError, psycopg2.InternalError):
            cur.execute("rollback to savepoint mtm_direct")
            cur.execute("release savepoint mtm_direct")
            return False
        cur.execute("release savepoint mtm_direct")
        cur.execute("insert into plays_dirty_hours (hour_utc) "
                    "select timestamptz '2000-01-01 00:00+00' + make_interval(hours => h) from unnest(%s::int[]) h",
                    (sorted(batch.hours),))
        return True

    def _copy(self, batch: _Batch, name: str) -> int:
        """COPY the batch into plays_stage; returns the rows written. A row PostgreSQL refuses is
        found by bisection inside savepoints, reported, and left out."""
        rows = list(zip(batch.rows, batch.record_nos))
        written = self._copy_rows(rows, name)
        refused = len(rows) - written
        if refused:
            self.files[batch.file_no].skipped["refused by PostgreSQL"] += refused
            self.files[batch.file_no].rejected += refused
        return written

    def _copy_rows(self, rows: list, name: str) -> int:
        statement = f"copy plays_stage ({_COLS}) from stdin with (format binary)"
        payload = pgcopy.HEADER + b"".join(r for r, _ in rows) + pgcopy.TRAILER
        self.cur.execute("savepoint mtm_stage")
        try:
            self.cur.copy_expert(statement, io.BytesIO(payload), size=len(payload))
        except (psycopg2.DataError, psycopg2.IntegrityError, psycopg2.InternalError) as exc:
            self.cur.execute("rollback to savepoint mtm_stage")
            self.cur.execute("release savepoint mtm_stage")
            if len(rows) == 1:
                self.report.reject("plays", f"{name}#{rows[0][1]}", pgcopy.pg_reason(exc), "refused by PostgreSQL")
                return 0
            mid = len(rows) // 2
            return self._copy_rows(rows[:mid], name) + self._copy_rows(rows[mid:], name)
        self.cur.execute("release savepoint mtm_stage")
        return len(rows)


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
        cur.execute("select count(*) from plays")
        before = cur.fetchone()[0]
        loader = _load(cur, report, export, keep_network_data, progress)
        progress("rollups", 0, 1)
        _refresh(cur)
        progress("rollups", 1, 1)
        _summarise(report, loader, export, keep_network_data)
        _verify(cur, report, loader, before)
        report.seconds = time.perf_counter() - started
    return report


def _refresh(cur) -> None:
    """Refresh the rollups (every `refresh_*` query, migrate.runs) in the import's transaction.

    Built from scratch (a first import: the refresh_plays_*full* queries), a rollup is filled
    without its secondary indexes, which are created again afterwards: one index build from sorted
    keys instead of an index insertion per row (1,000,000 plays: about 3 s less).
    """
    cur.execute("set local work_mem = '256MB'")               # the refresh groups and sorts in memory,
    cur.execute("set local hash_mem_multiplier = 8")          # hash tables up to 2 GB (1M plays: 0.5 GB)
    cur.execute("set local maintenance_work_mem = '256MB'")   # and the index builds sort in memory
    rebuild = _drop_rollup_indexes(cur)
    runs.refresh_rollups(cur)
    for _, _, definition in rebuild:
        cur.execute(definition)   # pg_get_indexdef's own CREATE INDEX statement


def _drop_rollup_indexes(cur) -> list[tuple[str, str, str]]:
    """Drop the secondary indexes of the rollups the refresh is about to build from scratch (named
    query plays_rollup_indexes_to_rebuild; none on a later import) and return them (schema, name,
    CREATE INDEX statement). Until the import commits, pages reading those rollups wait for it (they
    were empty until now). The drop waits for pages reading them at that moment; when that takes
    over 2 s, or would deadlock with one, the indexes stay and the build is only slower.
    """
    from psycopg2 import errors, sql

    from db import queries

    cur.execute(queries.get("plays_rollup_indexes_to_rebuild").sql)
    rebuild = cur.fetchall()
    if not rebuild:
        return []
    cur.execute("select current_setting('lock_timeout')")
    lock_timeout = cur.fetchone()[0]
    cur.execute("savepoint mtm_rollup_indexes")
    cur.execute("set local lock_timeout = '2s'")
    try:
        for schema, name, _ in rebuild:
            cur.execute(sql.SQL("drop index {}").format(sql.Identifier(schema, name)))
    except (errors.LockNotAvailable, errors.DeadlockDetected):
        cur.execute("rollback to savepoint mtm_rollup_indexes")   # also restores lock_timeout
        rebuild = []
    cur.execute("release savepoint mtm_rollup_indexes")
    cur.execute("select set_config('lock_timeout', %s, true)", (lock_timeout,))
    return rebuild


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


def _summarise(report: Report, loader: _Loader, export: fmt.Export, keep_network: bool) -> None:
    counts = report.table("plays")
    for s in loader.files:
        counts.read += s.records
        counts.inserted += s.inserted
        counts.updated += s.replaced
        counts.unchanged += s.already_present
        counts.duplicates += s.matched
        report.add_file(s.to_dict())
    counts.written = counts.inserted + counts.updated
    for name, why in export.ignored:
        report.add_file({"file": name, "format": "ignored", "reason": why})
    zero = sum(s.skipped[fmt.ZERO_DURATION] for s in loader.files)
    if zero:
        report.notes.append(f"{zero:,} records with ms_played 0 were skipped (Spotify logs them; they are not plays).")
    if loader.dropped_network and not keep_network:
        report.notes.append(f"Network data (ip_addr, user_agent, username) was left out of {loader.dropped_network:,} "
                            "records; --keep-network-data keeps it.")
    elif keep_network:
        report.notes.append("Network data (ip_addr, user_agent, username) was kept, as asked.")
    matched = counts.duplicates + counts.updated
    if matched:
        report.notes.append(f"{matched:,} account-data plays were the same streams as extended-history records "
                            "and are stored once (matched on time within a minute, ms_played and track name).")


def _verify(cur, report: Report, loader: _Loader, before: int) -> None:
    counts = report.tables["plays"]
    cur.execute("select count(*) from plays")
    after = cur.fetchone()[0]
    report.check("plays count", after == before + counts.inserted,
                 f"before {before:,} + inserted {counts.inserted:,} = {before + counts.inserted:,}; "
                 f"in PostgreSQL {after:,}")
    bad = [s.file for s in loader.files
           if s.records != s.inserted + s.replaced + s.already_present + s.matched + sum(s.skipped.values())]
    report.check("every record accounted for", not bad,
                 "records = inserted + replaced + already present + matched + skipped, for every file"
                 + (f"; not for {', '.join(bad)}" if bad else ""))
    cur.execute("select coalesce(sum(plays), 0) from plays_hourly")
    rolled = cur.fetchone()[0]
    report.check("rollups", rolled == after, f"plays_hourly counts {rolled:,} plays; plays holds {after:,}")
    report.verified = all(c["ok"] for c in report.checks)
