"""What every importer shares: connecting, one import at a time and the import_runs bookkeeping
(the rollup refresh is db.refresh's pipeline).

An import runs in one transaction, serialised against other imports by an advisory lock. Its run is
logged in import_runs as 'running' (committed at once), then 'done' in the import's own transaction;
a run that dies half-way stays 'running' until the next import marks it 'interrupted'.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import orjson
import psycopg2

from db import errors
from db.schema import MIGRATION_LOCK_KEY
from migrate import pgcopy
from migrate.errors import ImportFailed
from migrate.report import Report

# One import at a time per database, and never during a schema migration (the same lock).
IMPORT_LOCK_KEY = MIGRATION_LOCK_KEY


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connect(url: str | None):
    """(psycopg2 connection, url) to the database at `url` (default: configured), schema applied;
    ImportFailed when it cannot be reached."""
    from db import config
    from db.schema import MigrationFailed, ensure_schema

    try:
        url = url or config.database_url()
        ensure_schema(url)
        return psycopg2.connect(url, connect_timeout=10, application_name="mtm-import"), url
    except psycopg2.Error as exc:
        raise ImportFailed(f"cannot reach the database: {config.redact_text(first_line(exc))}") from None
    except MigrationFailed as exc:
        raise ImportFailed(config.redact_text(str(exc))) from None


@contextmanager
def import_run(url: str | None, report: Report, size: int, notice: Callable[[str], None], source) -> Iterator:
    """The frame of every import: connect, wait for the import lock, log the run, and yield a cursor
    inside the import's one transaction. On leaving: the run is finished and committed; on any error
    it is rolled back and logged as failed. `source` (the open input) and the connection (and so the
    lock) are always closed. PostgreSQL errors leave as one-line ImportFailed."""
    from db import config

    try:
        conn, _ = connect(url)
    except ImportFailed:
        source.close()
        raise
    try:
        lock(conn, notice)
        report.run_id = start_run(conn, report, size)
        try:
            with conn.cursor() as cur:
                yield cur
                finish_run(cur, report)
            conn.commit()
        except BaseException as exc:
            errors.rollback(conn)         # the first error is the one to report
            fail_run(conn, report, exc)
            raise
    except psycopg2.Error as exc:
        raise ImportFailed(f"import failed in PostgreSQL: {config.redact_text(first_line(exc))}") from None
    finally:
        source.close()
        try:
            conn.close()  # also releases the advisory lock
        except psycopg2.Error:
            pass


def lock(conn, notice: Callable[[str], None]) -> None:
    """Take the import lock for this session, telling the user when another import holds it."""
    with conn.cursor() as cur:
        cur.execute("select pg_try_advisory_lock(%s)", (IMPORT_LOCK_KEY,))
        if not cur.fetchone()[0]:
            notice("Another import is running on this database; waiting for it to finish...")
            cur.execute("select pg_advisory_lock(%s)", (IMPORT_LOCK_KEY,))
        conn.commit()


def start_run(conn, report: Report, size: int) -> int:
    with conn.cursor() as cur:
        # Any run still 'running' now died without finishing (we hold the import lock).
        cur.execute("update import_runs set status = 'interrupted', finished_at = now() "
                    "where status = 'running'")
        cur.execute("insert into import_runs (kind, source, source_bytes) values (%s, %s, %s) returning run_id",
                    (report.kind, report.source, size))
        run_id = cur.fetchone()[0]
    conn.commit()
    return run_id


def finish_run(cur, report: Report) -> None:
    rows = [(report.run_id, r.table, r.key, r.reason) for r in report.rejects]
    pgcopy.copy_rows(cur, "import_rejects", ("run_id", "table_name", "row_key", "reason"),
                     ("int8", "text", "text", "text"), rows)
    cur.execute("update import_runs set status = 'done', finished_at = now(), summary = %s where run_id = %s",
                (orjson.dumps(report.to_dict()).decode(), report.run_id))
    # The pages' caches follow this (ui/cached.py): visible on their next rerun once committed.
    cur.execute("insert into data_changes (source, run_id) values ('import', %s)", (report.run_id,))


def fail_run(conn, report: Report, exc: BaseException) -> None:
    from db.config import redact_text

    try:
        with conn.cursor() as cur:
            cur.execute("update import_runs set status = 'failed', finished_at = now(), error = %s "
                        "where run_id = %s", (redact_text(first_line(exc))[:500], report.run_id))
        conn.commit()
    except psycopg2.Error:
        pass  # the connection itself is gone; the next import marks the run interrupted
