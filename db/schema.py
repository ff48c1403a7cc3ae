"""Apply the schema idempotently on first use: every `db/schema/*.sql` file, in name order.

Concurrent callers (several Streamlit workers, an import) serialise on an advisory lock, so two
processes starting at once do not race on `create ... if not exists`.
"""
from __future__ import annotations

import glob
import os
import threading

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema")
SCHEMA_LOCK_KEY = 0x6D746D5F736368  # 'mtm_sch'
_applied: set[str] = set()
_lock = threading.Lock()


def schema_files() -> list[str]:
    return sorted(glob.glob(os.path.join(SCHEMA_DIR, "*.sql")))


def schema_sql() -> str:
    return "\n\n".join(open(path, encoding="utf-8").read() for path in schema_files())


def apply(conn) -> None:
    """Apply the schema on a psycopg2 connection (commits)."""
    with conn.cursor() as cur:
        cur.execute("select pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            cur.execute(schema_sql())
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            cur.execute("select pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))
            conn.commit()


def ensure_schema(url: str | None = None) -> str:
    """Apply the schema to `url` (default: the configured database) once per process; return the url."""
    from db import config

    url = url or config.database_url()
    with _lock:
        if url in _applied:
            return url
        import psycopg2

        conn = psycopg2.connect(url, connect_timeout=10)
        try:
            apply(conn)
        finally:
            conn.close()
        _applied.add(url)
    return url
