"""Every setting the app reads from its environment, in one table: name, default, parse, help.

Code asks `settings.get("MTM_POOL_SIZE")` instead of reading os.environ itself, so a setting is
parsed one way everywhere, and README's configuration table lists exactly these (a test checks).
A value that does not parse is an error that names the setting, not a traceback deep in a module.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[str], Any]
    help: str


def _flag(text: str) -> bool:
    return text.strip().lower() not in ("", "0", "false", "no", "off")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


def _text(text: str) -> str:
    return text.strip()


SETTINGS = {s.name: s for s in (
    Setting("DATABASE_URL", None, _text,
            "PostgreSQL to use (`postgres://` or `postgresql://`); Railway sets it. Unset: the embedded "
            "PostgreSQL under `.data/`"),
    Setting("PORT", 8501, _positive_int, "port `make run` / `scripts/serve.sh` serve on"),
    Setting("HOST", None, _text, "address `make run` / `scripts/serve.sh` bind (read by serve.sh; default "
            "127.0.0.1, or 0.0.0.0 when DATABASE_URL is set)"),
    Setting("ADMIN_PASSWORD", None, str,
            "password of the Admin page (or `ADMIN_PASSWORD` in `.streamlit/secrets.toml`)"),
    Setting("MTM_NO_DEMO", False, _flag, "do not load the demo data into an empty database"),
    Setting("MTM_DATA_DIR", None, _text, "where the embedded PostgreSQL keeps its data (default `.data/`)"),
    Setting("MTM_STATEMENT_TIMEOUT_MS", 15000, _positive_int, "statement timeout of page reads"),
    Setting("MTM_EXPLORER_TIMEOUT_MS", 5000, _positive_int,
            "statement timeout of the explorer's user-shaped queries"),
    Setting("MTM_MAX_UPLOAD_MB", 1024, _positive_int,
            "largest file the Admin page accepts (keep `server.maxUploadSize` in `.streamlit/config.toml` at "
            "least as large)"),
    Setting("MTM_IMPORT_DIR", None, _text,
            "the only folder the Admin page imports from by server path (default `.data/imports`; off when "
            "other machines can reach the server)"),
    Setting("MTM_TRUSTED_PROXIES", None, _text,
            "addresses or networks of the reverse proxy (comma-separated, or `*`): only from these are "
            "X-Real-IP / X-Forwarded-For taken as the client's address"),
    Setting("MTM_API_RATE_LIMIT", "50/10", _text,
            "API requests per token per window, REQUESTS/SECONDS (ListenBrainz's default); 429 over it"),
    Setting("MTM_API_RATE_LIMIT_ANONYMOUS", "30/10", _text,
            "the same per client address, for API requests without a valid token"),
    Setting("MTM_PUBLIC_READ", False, _flag, "`1`: the read API and GET listens answer without a token"),
    Setting("MTM_POOL_SIZE", 8, _positive_int, "connections the pages' pool keeps"),
    Setting("MTM_POOL_OVERFLOW", 8, int, "connections the pages' pool may open beyond MTM_POOL_SIZE"),
    Setting("MTM_POOL_TIMEOUT_S", 10.0, float, "seconds a page waits for a free connection"),
    Setting("MTM_CONNECT_TIMEOUT_S", 5, _positive_int, "seconds to wait for the database to answer a connect"),
    Setting("TZ", None, _text, "the Plays page's time zone when the browser does not say one (else UTC)"),
    Setting("TEST_DATABASE_URL", None, _text,
            "run the tests on another server (each session creates its own databases)"),
)}


class BadSetting(ValueError):
    """An environment variable holds a value its setting cannot use; the message names it."""


def get(name: str) -> Any:
    """The setting's value from the environment, parsed, or its default when unset or empty."""
    setting = SETTINGS[name]
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return setting.default
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise BadSetting(f"{name}={raw!r} cannot be used: {exc}") from None
