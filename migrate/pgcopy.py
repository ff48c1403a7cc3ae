"""Bulk writes with COPY ... FROM STDIN (FORMAT binary).

Binary COPY needs no escaping (JSON full of backslashes and quotes goes in as its bytes) and is the
fastest path PostgreSQL offers. Both importers write through this module: the field encoders below
(`field_*`, `ENCODERS`) are the one place that knows the format, and `copy_bisect()` the one fallback:
when PostgreSQL refuses a batch because of one row we did not foresee (an error in REFUSED), it splits
the batch inside savepoints until the bad row is alone, reports that row with PostgreSQL's reason and
still writes every other row. `copy_rows()` does both for rows of Python values; the Spotify export
importer encodes its rows itself from the field encoders (caching repeated names) and passes bytes.
"""
from __future__ import annotations

import datetime as dt
import io
import struct
from collections.abc import Callable, Iterable, Sequence

import psycopg2

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
NULL = struct.pack(">i", -1)
_PG_EPOCH_DATE = dt.date(2000, 1, 1).toordinal()
_PG_EPOCH_TS = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

# What PostgreSQL refuses a COPY for because of a row's values (bad encoding or JSON, a constraint,
# a value PostgreSQL cannot store): the rows are bisected. Anything else (a lost connection) raises.
REFUSED = (psycopg2.DataError, psycopg2.IntegrityError, psycopg2.InternalError)

_i32 = struct.Struct(">i").pack
_i64 = struct.Struct(">q").pack
_f64 = struct.Struct(">d").pack


def _text(v) -> bytes:
    return v.encode("utf-8") if isinstance(v, str) else v


def _jsonb(v) -> bytes:
    return b"\x01" + (v.encode("utf-8") if isinstance(v, str) else v)


def timestamptz_us(v: dt.datetime) -> int:
    """An aware datetime as PostgreSQL stores a timestamptz: microseconds since 2000-01-01 UTC."""
    delta = v - _PG_EPOCH_TS
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _timestamptz(v: dt.datetime) -> bytes:
    return _i64(timestamptz_us(v))


ENCODERS: dict[str, Callable] = {
    "text": _text,
    "bytea": lambda v: v,
    "jsonb": _jsonb,
    "int4": _i32,
    "int8": _i64,
    "float8": _f64,
    "bool": lambda v: b"\x01" if v else b"\x00",
    "date": lambda v: _i32(v.toordinal() - _PG_EPOCH_DATE),
    "timestamptz": _timestamptz,
}


# Whole fields (length word + value) for callers that build rows themselves (migrate/spotify_export.py).
FIELD_BOOL = {None: NULL, True: _i32(1) + b"\x01", False: _i32(1) + b"\x00"}


def row_start(columns: int) -> bytes:
    return struct.pack(">h", columns)


def field_text(v: str) -> bytes:
    raw = v.encode("utf-8")
    return _i32(len(raw)) + raw


def field_int4(v: int) -> bytes:
    return b"\x00\x00\x00\x04" + _i32(v)


def field_int8(v: int) -> bytes:
    return b"\x00\x00\x00\x08" + _i64(v)


def field_jsonb(raw: bytes) -> bytes:
    """A jsonb field from JSON text already encoded as UTF-8."""
    return _i32(len(raw) + 1) + b"\x01" + raw


def payload(rows: Iterable[bytes]) -> bytes:
    """The binary COPY payload for rows already encoded (row_start + fields each)."""
    return HEADER + b"".join(rows) + TRAILER


def encode(rows: Iterable[Sequence], types: Sequence[str]) -> bytes:
    """The binary COPY payload for `rows` whose columns have the PostgreSQL `types`."""
    encoders = [ENCODERS[t] for t in types]
    count = struct.pack(">h", len(types))
    out = [HEADER]
    append = out.append
    for row in rows:
        append(count)
        for enc, value in zip(encoders, row):
            if value is None:
                append(NULL)
            else:
                data = enc(value)
                append(_i32(len(data)))
                append(data)
    append(TRAILER)
    return b"".join(out)


def copy_rows(cur, table: str, columns: Sequence[str], types: Sequence[str], rows: list,
              on_reject: Callable[[Sequence, str], None] | None = None, *, encoded: bytes | None = None) -> int:
    """COPY `rows` into `table`; returns how many were written. `encoded`: `rows` already encoded
    (`encode(rows, types)`), used for the first attempt.

    Without `on_reject` a refused batch raises. With it, the batch is bisected inside savepoints and
    each row PostgreSQL refuses is passed to `on_reject(row, reason)`; the others are written.
    `table` and `columns` are the code's own identifiers, never user input.
    """
    if not rows:
        return 0
    statement = f"copy {table} ({', '.join(columns)}) from stdin with (format binary)"
    if on_reject is None:
        data = encoded if encoded is not None else encode(rows, types)
        cur.copy_expert(statement, io.BytesIO(data), size=len(data))
        return len(rows)
    first = [encoded]

    def encode_rows(part):
        if first[0] is not None and part is rows:
            data, first[0] = first[0], None
            return data
        return encode(part, types)

    return copy_bisect(cur, statement, rows, encode_rows, on_reject)


def try_copy(cur, statement: str, data: bytes) -> BaseException | None:
    """Run COPY `statement` with `data` inside a savepoint: None when written, else the REFUSED error
    (with nothing written)."""
    cur.execute("savepoint mtm_copy")
    try:
        cur.copy_expert(statement, io.BytesIO(data), size=len(data))
    except REFUSED as exc:
        cur.execute("rollback to savepoint mtm_copy")
        cur.execute("release savepoint mtm_copy")
        return exc
    cur.execute("release savepoint mtm_copy")
    return None


def copy_bisect(cur, statement: str, rows: list, encode_rows: Callable[[list], bytes],
                on_reject: Callable[[object, str], None]) -> int:
    """COPY `rows` (encoded by `encode_rows(part)` into a whole payload); a refused part is split in
    two until the row PostgreSQL refuses is alone, which goes to `on_reject(row, reason)`. Returns how
    many rows were written."""
    if not rows:
        return 0
    exc = try_copy(cur, statement, encode_rows(rows))
    if exc is None:
        return len(rows)
    if len(rows) == 1:
        on_reject(rows[0], pg_reason(exc))
        return 0
    mid = len(rows) // 2
    return (copy_bisect(cur, statement, rows[:mid], encode_rows, on_reject)
            + copy_bisect(cur, statement, rows[mid:], encode_rows, on_reject))


def pg_reason(exc: Exception) -> str:
    """PostgreSQL's one-line reason for refusing a row, without the COPY context lines."""
    diag = getattr(exc, "diag", None)
    msg = getattr(diag, "message_primary", None) or str(exc).splitlines()[0]
    return f"PostgreSQL refused the row: {msg}"
