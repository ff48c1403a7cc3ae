"""Schema migrations: every database reaches the current schema, each change applied once, in order.

`db/migrations/NNNN_name.sql` are the migrations, applied in number order. Each runs in its own
transaction together with its row in `schema_migrations` (version, name, checksum, applied_at), so
a migration is either applied and recorded or not at all, and never applied twice. Never edit a
migration that has been released: add the next number instead (db/migrations/README.md).

0001-0008 are the schema as the releases before migrations applied it on every start: idempotent
(`create ... if not exists`, `create or replace`), so a database built by an earlier release takes
them as they are and keeps every row. Later migrations may change what exists (an index expression,
a column) and run exactly once.

`reader_role.sql` is not a migration: it grants the SELECT-only page role access to every table and
runs after any batch that applied a migration (new tables get their grant).

Who applies them: `ensure_schema()` on first use in a process (the app's start, every import,
`python -m migrate`, `python -m db.schema`). Checking costs one query; only when something is
pending does it take the import lock (MIGRATION_LOCK_KEY), so a migration never runs in the middle
of an import, and two processes starting at once apply each migration once.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass

from db import errors

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")
READER_ROLE_SQL = os.path.join(MIGRATIONS_DIR, "reader_role.sql")
# The import lock (migrate/runs.py takes the same key): migrations wait for a running import and an
# import waits for migrations.
MIGRATION_LOCK_KEY = 0x6D746D5F696D70  # 'mtm_imp'
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

log = logging.getLogger(__name__)
_applied: set[str] = set()
_lock = threading.Lock()


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: str

    @property
    def sql(self) -> str:
        with open(self.path, encoding="utf-8") as f:
            return f.read()

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def migrations() -> list[Migration]:
    """Every migration file, in version order (a gap or a repeated number is a developer error)."""
    found = []
    for entry in sorted(os.listdir(MIGRATIONS_DIR)):
        m = _NAME.match(entry)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), os.path.join(MIGRATIONS_DIR, entry)))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"db/migrations must be numbered 0001, 0002, ... without gaps: {versions}")
    return found


TABLE_SQL = """
create table if not exists schema_migrations (
  version    integer primary key,
  name       text not null,
  checksum   text not null,         -- sha256 of the file as applied
  applied_at timestamptz not null default now()
)"""


def applied_versions(cur) -> dict[int, str]:
    """{version: checksum} of the migrations this database has (empty before the first)."""
    cur.execute("select to_regclass('public.schema_migrations') is not null")
    if not cur.fetchone()[0]:
        return {}
    cur.execute("select version, checksum from schema_migrations")
    return dict(cur.fetchall())


# EARLIER_TEXTS_NOTE: checksums of earlier released texts of a migration that differ from its file
# in comments only, so a database that applied one of them is not told the migration was edited.
# 0028's comment lost its probe figures in 6caed87 after 0028 was released with c01f9e9: databases
# hold either text. Never change a migration's SQL after its release; the released checksums
# are in db/migrations/released.sha256 (tests/test_upgrade.py checks the files against them).
EARLIER_TEXTS: dict[int, frozenset[str]] = {
    28: frozenset({"8b519049bed5ad9da4c935a5d7a242583414d253f23d4e3d1348cbd904519dea"}),
}


def edited_after_applied(done: dict[int, str]) -> list[Migration]:
    """The migrations whose applied checksum (`done`: applied_versions) is neither their file's nor an
    earlier released text of it (EARLIER_TEXTS_NOTE)."""
    return [m for m in migrations() if m.version in done and done[m.version] != m.checksum
            and done[m.version] not in EARLIER_TEXTS.get(m.version, ())]


def pending(conn) -> list[Migration]:
    with conn.cursor() as cur:
        done = applied_versions(cur)
    conn.commit()
    for m in edited_after_applied(done):
        log.warning("migration %04d_%s was edited after it was applied; the database keeps the "
                    "applied version (add a new migration instead)", m.version, m.name)
    return [m for m in migrations() if m.version not in done]


def upgrade(conn, notice=None) -> list[Migration]:
    """Apply every pending migration on a psycopg2 connection; return those applied (in order).

    Raises MigrationFailed (one line, which migration) when one fails: that one is rolled back,
    those before it stay applied, the database is never left half-way through a migration."""
    if not pending(conn):
        return []
    with conn.cursor() as cur:
        cur.execute("select pg_try_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        if not cur.fetchone()[0]:
            if notice:
                notice("An import is running; the schema upgrade waits for it to finish...")
            cur.execute("select pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    conn.commit()
    done: list[Migration] = []
    try:
        with conn.cursor() as cur:
            cur.execute(TABLE_SQL)
        conn.commit()
        for m in pending(conn):       # read again under the lock: another process may have applied some
            try:
                with conn.cursor() as cur:
                    cur.execute(m.sql)
                    cur.execute("insert into schema_migrations (version, name, checksum) values (%s, %s, %s)",
                                (m.version, m.name, m.checksum))
                conn.commit()
            except Exception as exc:
                errors.rollback(conn)     # the migration's error is the one to report
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise MigrationFailed(f"schema migration {m.version:04d}_{m.name} failed: {first}") from exc
            log.info("applied schema migration %04d_%s", m.version, m.name)
            done.append(m)
        if done:
            refresh_rollups_if_dirty(conn)
        with conn.cursor() as cur:
            with open(READER_ROLE_SQL, encoding="utf-8") as f:
                cur.execute(f.read())
        conn.commit()
    finally:
        if not conn.closed:      # a connection that died took its session's lock with it
            with conn.cursor() as cur:
                cur.execute("select pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
            conn.commit()
    return done


def refresh_rollups_if_dirty(conn) -> None:
    """A migration that changes plays lists the hours it changed in plays_dirty_hours (as an import
    does); after the batch, when every rollup table exists, the refresh pipeline (db.refresh) rebuilds
    them in one transaction. Were it interrupted, the next import refreshes the hours still listed."""
    from db import refresh

    with conn.cursor() as cur:
        if refresh.run_if_dirty(cur):
            log.info("rollups refreshed for the plays the migrations changed")
    conn.commit()


class MigrationFailed(RuntimeError):
    """A migration failed; the message names it and is safe to show."""


def ensure_schema(url: str | None = None) -> str:
    """Bring `url` (default: the configured database) to the current schema, once per process;
    return the url."""
    from db import config

    url = url or config.database_url()
    with _lock:
        if url in _applied:
            return url
        import psycopg2

        conn = psycopg2.connect(url, connect_timeout=10, application_name="mtm-schema")
        try:
            upgrade(conn)
        finally:
            conn.close()
        _applied.add(url)
    return url


def forget(url: str) -> None:
    """Check `url` again on its next use (a database dropped and created anew under the same name)."""
    with _lock:
        _applied.discard(url)


def main() -> int:
    """python -m db.schema: upgrade the configured database and list its migrations."""
    import sys

    import psycopg2

    from db import config

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        url = config.database_url()
        conn = psycopg2.connect(url, connect_timeout=10, application_name="mtm-schema")
    except Exception as exc:  # noqa: BLE001 - one line for the user
        print(f"error: cannot reach the database: {config.redact_text(str(exc).strip().splitlines()[0])}",
              file=sys.stderr)
        return 1
    try:
        applied = upgrade(conn, notice=lambda text: print(text, file=sys.stderr))
        with conn.cursor() as cur:
            cur.execute("select version, name, applied_at from schema_migrations order by version")
            rows = cur.fetchall()
    except MigrationFailed as exc:
        print(f"error: {config.redact_text(str(exc))}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    for version, name, at in rows:
        print(f"{version:04d}_{name}  applied {at:%Y-%m-%d %H:%M:%S %Z}")
    print(f"{len(applied)} migration(s) applied now; schema at version {rows[-1][0] if rows else 0}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
