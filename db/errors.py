"""What kind of database problem an exception is: one place for the pages (ui.common.classify) and the
EXPLAIN page (db.explain), which word it each their own way. No streamlit import.

`kind(exc)` is one of the constants below, or None when `exc` is not a database problem (a bug: the
caller re-raises it). SQLAlchemy's wrappers are looked through (`exc.orig`).
"""
from __future__ import annotations

SCHEMA = "schema"            # a migration failed (db.schema.MigrationFailed)
TIMEOUT = "timeout"          # cancelled by the statement timeout
READ_ONLY = "read_only"      # a write on a read-only transaction
PRIVILEGE = "privilege"      # refused by privileges (the pages' SELECT-only role)
UNAVAILABLE = "unavailable"  # the server cannot be reached, the pool is exhausted, the connection broke
REFUSED = "refused"          # PostgreSQL refused the statement or its values (bad input, constraint)


def kind(exc: BaseException) -> str | None:
    import psycopg2
    import sqlalchemy.exc as sa_exc

    from db.engine import DatabaseUnavailable
    from db.schema import MigrationFailed

    if isinstance(exc, MigrationFailed):
        return SCHEMA
    orig = getattr(exc, "orig", exc)
    if isinstance(orig, psycopg2.errors.QueryCanceled):       # an OperationalError: test it first
        return TIMEOUT
    if isinstance(orig, psycopg2.errors.ReadOnlySqlTransaction):
        return READ_ONLY
    if isinstance(orig, psycopg2.errors.InsufficientPrivilege):
        return PRIVILEGE
    if isinstance(exc, (DatabaseUnavailable, psycopg2.OperationalError, sa_exc.OperationalError,
                        sa_exc.TimeoutError, sa_exc.InterfaceError)) or isinstance(orig, psycopg2.OperationalError):
        return UNAVAILABLE
    if isinstance(orig, (psycopg2.DataError, psycopg2.ProgrammingError, psycopg2.IntegrityError,
                         psycopg2.InternalError, psycopg2.NotSupportedError)) or isinstance(exc, ValueError):
        return REFUSED
    return None


def first_line(exc: BaseException) -> str:
    """The first line of the database's message (the wrapped error's), password-free; '' when empty."""
    from db.config import redact_text

    orig = getattr(exc, "orig", exc)
    text = str(orig).strip()
    return redact_text(text.splitlines()[0]) if text else ""


def rollback(conn) -> None:
    """Roll back the psycopg2 connection `conn` after an error, keeping that error the one reported.
    When the error ended the connection (PostgreSQL stopping on a full disk, a terminated backend),
    the rollback fails too ("connection already closed"), and raised from an except block it would
    take the first error's place: the one that says why."""
    import psycopg2

    try:
        conn.rollback()
    except psycopg2.Error:
        pass
