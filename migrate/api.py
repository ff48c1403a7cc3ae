"""The one entry point the Admin page and the CLI share: run an import of whatever `path` is."""
from __future__ import annotations

import os

from migrate.errors import ImportFailed, UnusableInput
from migrate.report import Report


def detect_kind(path: str) -> str:
    """'sqlite' for a SQLite file, 'spotify_export' for JSON / zip / folder; else UnusableInput."""
    if not os.path.exists(path):
        raise UnusableInput(f"{path}: no such file or folder")
    if os.path.isdir(path):
        return "spotify_export"
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise UnusableInput(f"{path}: cannot be read ({exc.strerror})") from None
    if head.startswith(b"SQLite format 3"):
        return "sqlite"
    if head.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark before JSON
        head = head[3:]
    if head.startswith(b"PK\x03\x04") or head.lstrip()[:1] in (b"[", b"{"):
        return "spotify_export"
    if not head:
        raise UnusableInput(f"{path}: the file is empty")
    raise UnusableInput(f"{path}: neither a Music Time Machine SQLite file nor a Spotify data export")


def run_import(path: str, url: str | None = None, *, progress=None, notice=None, **options) -> Report:
    kind = detect_kind(path)
    if kind == "sqlite":
        from migrate.sqlite_import import import_sqlite

        return import_sqlite(path, url, progress=progress, notice=notice)
    try:
        from migrate.spotify_export import import_export
    except ImportError as exc:
        # A broken install (a dependency missing from the venv), not a property of the file.
        missing = getattr(exc, "name", None) or str(exc)
        raise ImportFailed(f"the Spotify export importer cannot load: module {missing!r} is missing; "
                           "reinstall the dependencies (pip install -r requirements.txt)") from None
    return import_export(path, url, progress=progress, notice=notice, **options)
