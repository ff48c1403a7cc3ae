"""API tokens: created with a name, shown once, stored as their sha256, revoked by name.

A token is 32 random bytes, URL-safe base64 (43 characters). Clients send it as
`Authorization: Token <token>` (ListenBrainz's header). Only sha256(token) is stored: a copy of the
database cannot be used to submit listens.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

LAST_USED_EVERY_S = 60          # last_used_at is written at most this often per token

_last_used: dict[int, float] = {}
_last_used_lock = threading.Lock()


class TokenError(ValueError):
    """A token command that cannot be done (unknown name, name taken); the message is for the user."""


@dataclass(frozen=True)
class Token:
    token_id: int
    name: str


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def create(conn, name: str) -> str:
    """Create a token called `name` and return it (the only time it is seen). A revoked token's name
    can be reused; a valid one's cannot."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise TokenError("a token name has 1 to 100 characters")
    token = secrets.token_urlsafe(32)
    with conn.cursor() as cur:
        cur.execute("""
            insert into api_tokens (name, token_sha256) values (%s, %s)
            on conflict (name) do update
              set token_sha256 = excluded.token_sha256, created_at = now(), revoked_at = null,
                  last_used_at = null
              where api_tokens.revoked_at is not null
            returning token_id""", (name, digest(token)))
        created = cur.fetchone()
    if created is None:
        conn.rollback()
        raise TokenError(f"a valid token called {name!r} exists; revoke it first")
    conn.commit()
    return token


def revoke(conn, name: str) -> None:
    with conn.cursor() as cur:
        cur.execute("update api_tokens set revoked_at = now() where name = %s and revoked_at is null "
                    "returning token_id", (name.strip(),))
        gone = cur.fetchone()
        if gone:
            cur.execute("delete from playing_now where token_id = %s", (gone[0],))
    conn.commit()
    if gone is None:
        raise TokenError(f"no valid token called {name!r}")


def listing(conn) -> list[tuple]:
    """(name, created_at, last_used_at, revoked_at) of every token, oldest first."""
    with conn.cursor() as cur:
        cur.execute("select name, created_at, last_used_at, revoked_at from api_tokens order by token_id")
        rows = cur.fetchall()
    conn.commit()
    return rows


def verify(conn, token: str) -> Token | None:
    """The valid token `token` is, or None. Notes its use (at most once a minute)."""
    if not token or len(token) > 200:
        return None
    with conn.cursor() as cur:
        cur.execute("select token_id, name from api_tokens where token_sha256 = %s and revoked_at is null",
                    (digest(token),))
        row = cur.fetchone()
        if row is not None and _due(row[0]):
            cur.execute("update api_tokens set last_used_at = now() where token_id = %s", (row[0],))
    conn.commit()
    return Token(*row) if row else None


def _due(token_id: int) -> bool:
    now = time.monotonic()
    with _last_used_lock:
        if now - _last_used.get(token_id, -LAST_USED_EVERY_S) < LAST_USED_EVERY_S:
            return False
        _last_used[token_id] = now
        return True


def _with_connection(fn, *args, url: str | None = None):
    from api.store import connection

    conn = connection(url)
    try:
        return fn(conn, *args)
    finally:
        conn.close()


def create_named(name: str, url: str | None = None) -> str:
    """create() on a connection of its own (the Admin page): the new token."""
    return _with_connection(create, name, url=url)


def revoke_named(name: str, url: str | None = None) -> None:
    """revoke() on a connection of its own (the Admin page)."""
    _with_connection(revoke, name, url=url)
