"""python -m migrate.bootstrap: make the database ready for `make run`.

Starts the embedded server when DATABASE_URL is unset, applies the schema, and loads the demo data
(the Music Time Machine file when there are no tracks, a Spotify export when there are no plays), so
a newcomer sees a full dashboard at once. MTM_NO_DEMO=1 (set on Railway) loads nothing.
"""
from __future__ import annotations

import os
import sys
import tempfile

DEMO_PLAYS = 40_000   # about five years of listening (1.5 h on a median day) in the demo export


def _counts(url: str) -> tuple[bool, bool]:
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("select exists (select 1 from tracks), exists (select 1 from plays)")
            return cur.fetchone()
    finally:
        conn.close()


def main() -> int:
    from db import config, settings
    from db.schema import ensure_schema

    try:
        url = ensure_schema(config.database_url())
        has_tracks, has_plays = _counts(url)
    except Exception as exc:  # noqa: BLE001 - one line for the user
        print(f"error: database not ready: {config.redact_text(str(exc).strip().splitlines()[0])}", file=sys.stderr)
        return 1
    from db import embedded

    where = f"embedded PostgreSQL in {embedded.PGDATA}" if config.is_embedded() else config.redact(url)
    if settings.get("MTM_NO_DEMO") or (has_tracks and has_plays):
        print(f"database ready ({where})")
        return 0
    from migrate import demo, demo_export
    from migrate.spotify_export import import_export
    from migrate.sqlite_import import import_sqlite

    loaded = []
    with tempfile.TemporaryDirectory() as tmp:
        if not has_tracks:
            path = os.path.join(tmp, "demo.db")
            demo.generate(path)
            report = import_sqlite(path, url)
            loaded.append(f"{report.tables['tracks'].inserted:,} tracks, "
                          f"{report.tables['snapshots'].inserted:,} snapshots")
        if not has_plays:
            folder = os.path.join(tmp, "export")
            manifest = demo_export.generate(folder, records=DEMO_PLAYS)
            import_export(folder, url)
            loaded.append(f"{manifest['plays']:,} plays")
    print(f"database ready ({where}); loaded demo data: {', '.join(loaded)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
