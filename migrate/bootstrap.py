"""python -m migrate.bootstrap: make the database ready for `make run`.

Starts the embedded server when DATABASE_URL is unset, applies the schema, and loads the demo data
when the database holds no tracks, so a newcomer sees a full dashboard at once.
"""
from __future__ import annotations

import os
import sys
import tempfile


def main() -> int:
    from db import config
    from db.schema import ensure_schema

    try:
        url = ensure_schema(config.database_url())
        import psycopg2

        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("select exists (select 1 from tracks)")
            has_tracks = cur.fetchone()[0]
        conn.close()
    except Exception as exc:  # noqa: BLE001 - one line for the user
        print(f"error: database not ready: {config.redact_text(str(exc).strip().splitlines()[0])}", file=sys.stderr)
        return 1
    where = "embedded PostgreSQL in .data/" if config.is_embedded() else config.redact(url)
    if has_tracks or os.environ.get("MTM_NO_DEMO"):
        print(f"database ready ({where})")
        return 0
    from migrate import demo
    from migrate.sqlite_import import import_sqlite

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "demo.db")
        demo.generate(path)
        report = import_sqlite(path, url)
    print(f"database ready ({where}); loaded demo data: "
          f"{report.tables['tracks'].inserted:,} tracks, {report.tables['snapshots'].inserted:,} snapshots")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
