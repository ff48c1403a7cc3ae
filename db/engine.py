"""Pooled connections.

Two engines per database URL:
- `reader()`: what pages use. Every transaction is read-only (`default_transaction_read_only`), the
  session runs as the SELECT-only role `mtm_reader` where the server let the schema create it, and
  every statement has a timeout, so a page can neither write nor hang a worker; sequential scans
  start at the table's first page (synchronize_seqscans off: the same search finds the same rows).
- `writer()`: what imports use: read-write, a longer timeout.

Both use a QueuePool with `pool_pre_ping`, so a connection that died with a database restart is
replaced instead of surfacing as an error on the next page view, and a connection that comes back
still inside a transaction is closed instead of pooled (`_close_if_still_in_a_transaction`).
"""
from __future__ import annotations

import threading

import psycopg2.extensions
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from db import config, settings

READ_TIMEOUT_MS = settings.get("MTM_STATEMENT_TIMEOUT_MS")
POOL_SIZE = settings.get("MTM_POOL_SIZE")
POOL_OVERFLOW = settings.get("MTM_POOL_OVERFLOW")
POOL_TIMEOUT_S = settings.get("MTM_POOL_TIMEOUT_S")
CONNECT_TIMEOUT_S = settings.get("MTM_CONNECT_TIMEOUT_S")

_lock = threading.Lock()
_engines: dict[tuple[str, str], Engine] = {}


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached; the message is safe to show (no password)."""


READER_ROLE = "mtm_reader"


def _become_reader(dbapi_conn, _record) -> None:
    """On each new page connection: switch to the SELECT-only role when the schema could create it."""
    with dbapi_conn.cursor() as cur:
        cur.execute("select case when exists (select 1 from pg_roles where rolname = %s) "
                    "then pg_has_role(%s, 'member') else false end", (READER_ROLE, READER_ROLE))
        if cur.fetchone()[0]:
            cur.execute("set role mtm_reader")
    dbapi_conn.commit()


def _close_if_still_in_a_transaction(dbapi_conn, record) -> None:
    """On each return to the pool, after its reset: a connection the server still holds in a
    transaction is closed (the pool opens a new one when next asked), never handed to the next page.

    The case: a COMMIT cancelled by a short transaction-local `statement_timeout` (the explorer's
    limit) before it ran leaves the server in a failed transaction, while psycopg2 marks the
    transaction ended whatever the COMMIT answered, so neither its rollback() nor the pool's reset
    sends a ROLLBACK. libpq's own status is what the server last said, read without a round trip."""
    if dbapi_conn is not None and \
            dbapi_conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
        record.invalidate()


def _make(url: str, *, read_only: bool) -> Engine:
    options = [f"-c statement_timeout={READ_TIMEOUT_MS if read_only else 0}",
               "-c idle_in_transaction_session_timeout=60000"]
    if read_only:
        options.append("-c default_transaction_read_only=on")
        # A sequential scan of a table larger than a quarter of shared_buffers (tracks at 100,000 rows)
        # otherwise starts where another scan of it is: a capped scan (search_tracks ranks the first
        # 1,000 matches) then finds other rows each time, and reads pages outside the buffers instead
        # of the table's first pages, which stay cached.
        options.append("-c synchronize_seqscans=off")
    eng = sa.create_engine(
        url.replace("postgresql://", "postgresql+psycopg2://", 1),
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_S,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": " ".join(options),
            "application_name": "mtm-reader" if read_only else "mtm-writer",
        },
    )
    sa.event.listen(eng, "checkin", _close_if_still_in_a_transaction)
    if read_only:
        sa.event.listen(eng, "connect", _become_reader)
    return eng


def engine(url: str | None = None, *, read_only: bool = True) -> Engine:
    """The shared engine for `url` (default: the configured database)."""
    url = url or config.database_url()
    key = (url, "ro" if read_only else "rw")
    with _lock:
        eng = _engines.get(key)
        if eng is None:
            eng = _engines[key] = _make(url, read_only=read_only)
        return eng


def reader(url: str | None = None) -> Engine:
    return engine(url, read_only=True)


def writer(url: str | None = None) -> Engine:
    return engine(url, read_only=False)


def dispose_all() -> None:
    with _lock:
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()
