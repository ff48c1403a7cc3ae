"""Which database the app talks to.

`DATABASE_URL` (Railway sets it) wins; `postgres://` is accepted and rewritten to `postgresql://`,
the scheme SQLAlchemy and libpq both understand. Without it the embedded PostgreSQL under `.data/`
is started on first use (see db.embedded).
"""
from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMBEDDED_DATABASE = "mtm"


def normalise_url(url: str) -> str:
    """Return `url` with the scheme libpq and SQLAlchemy expect (`postgresql://`)."""
    url = url.strip()
    if url.startswith("postgres://"):
        return "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql+psycopg2://"):
        return "postgresql://" + url[len("postgresql+psycopg2://"):]
    return url


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable database URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def redact_text(text: str) -> str:
    """Remove anything that looks like a password inside a URL from a message."""
    return re.sub(r"(postgres(?:ql)?(?:\+\w+)?://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)


def configured_url() -> str | None:
    """DATABASE_URL when set and non-empty, normalised; else None (embedded)."""
    from db import settings

    url = settings.get("DATABASE_URL")
    return normalise_url(url) if url else None


def is_embedded() -> bool:
    return configured_url() is None


def database_url() -> str:
    """The URL of the app's database, starting the embedded server when DATABASE_URL is unset."""
    url = configured_url()
    if url:
        return url
    from db import embedded

    return embedded.database_url(EMBEDDED_DATABASE)
