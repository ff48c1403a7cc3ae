"""Bulk writes with COPY ... FROM STDIN (FORMAT binary).

Binary COPY needs no escaping (JSON full of backslashes and quotes goes in as its bytes) and is the
fastest path PostgreSQL offers. `copy_rows()` writes one batch; when PostgreSQL refuses the batch
because of one row we did not foresee, it splits the batch inside savepoints until the bad row is
alone, reports that row with PostgreSQL's reason and still writes every other row.
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

_i32 = struct.Struct(">i").pack
_i64 = struct.Struct(">q").pack
_f64 = struct.Struct(">d").pack


def _text(v) -> bytes:
    return v.encode("utf-8") if isinstance(v, str) else v


def _jsonb(v) -> bytes:
    return b"\x01" + (v.encode("utf-8") if isinstance(v, str) else v)


def _timestamptz(v: dt.datetime) -> bytes:
    delta = v - _PG_EPOCH_TS
    return _i64((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds)


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
              on_reject: Callable[[Sequence, str], None] | None = None) -> int:
    """COPY `rows` into `table`; returns how many were written.

    Without `on_reject` a refused batch raises. With it, the batch is bisected inside savepoints and
    each row PostgreSQL refuses is passed to `on_reject(row, reason)`; the others are written.
    `table` and `columns` are the code's own identifiers, never user input.
    """
    if not rows:
        return 0
    statement = f"copy {table} ({', '.join(columns)}) from stdin with (format binary)"
    if on_reject is None:
        cur.copy_expert(statement, io.BytesIO(encode(rows, types)))
        return len(rows)
    return _copy_bisect(cur, statement, types, rows, on_reject)


def _copy_bisect(cur, statement, types, rows, on_reject) -> int:
    cur.execute("savepoint mtm_copy")
    try:
        cur.copy_expert(statement, io.BytesIO(encode(rows, types)))
    except psycopg2.DataError as exc:  # includes check/unique/FK violations via IntegrityError below
        return _split(cur, statement, types, rows, on_reject, exc)
    except psycopg2.IntegrityError as exc:
        return _split(cur, statement, types, rows, on_reject, exc)
    cur.execute("release savepoint mtm_copy")
    return len(rows)


def _split(cur, statement, types, rows, on_reject, exc) -> int:
    cur.execute("rollback to savepoint mtm_copy")
    cur.execute("release savepoint mtm_copy")
    if len(rows) == 1:
        on_reject(rows[0], pg_reason(exc))
        return 0
    mid = len(rows) // 2
    return (_copy_bisect(cur, statement, types, rows[:mid], on_reject)
            + _copy_bisect(cur, statement, types, rows[mid:], on_reject))


def pg_reason(exc: Exception) -> str:
    """PostgreSQL's one-line reason for refusing a row, without the COPY context lines."""
    diag = getattr(exc, "diag", None)
    msg = getattr(diag, "message_primary", None) or str(exc).splitlines()[0]
    return f"PostgreSQL refused the row: {msg}"
