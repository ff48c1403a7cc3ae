"""Submitted listens into PostgreSQL: plays, their rollups and the pages' data version, in one
short transaction per request.

A request's listens are one transaction: every listen new by its identity (table `listens`,
listened_at + artist/track) becomes a play (source 'listenbrainz'); its hours are marked dirty; the
plays rollups are rebuilt for those hours (the `refresh_plays_*` queries the importer runs, but the
raw_json key-path inventory, a sample refreshed by imports); a `data_changes` row tells the pages'
caches. A listen seen before adds nothing, so a retried batch adds nothing.

Concurrency with imports. An import holds the import lock (a session advisory lock) and one
transaction for its whole run, but it touches the rollups only in its last step (the refresh).
The rollup refresh deletes and rebuilds whole hours, months, years and sessions, so two refreshes
of the same period at once could both miss each other's plays or add theirs twice. Every refresh
therefore takes ROLLUP_LOCK_KEY (a transaction advisory lock, migrate.runs.lock_rollups) first:
listens refresh one after another, and during an import's load (tens of seconds for a large
export) they go on as usual; only during the import's own refresh and commit do they wait
(LOCK_WAIT, then 503 and the client retries). A listen never takes the import lock. A refresh
statement starts after the lock is granted, so it sees every play committed before it, whoever
wrote it: each play is counted once, and a listen plus an import that hold the same stream keep
one (refresh_plays_0_listens_matched deletes the listen's play; the `listens` row stays, so the
listen submitted again still adds nothing).
"""
from __future__ import annotations

from dataclasses import dataclass

from api.listens import NowPlaying, Play

STATEMENT_TIMEOUT = "30s"
LOCK_WAIT = "20s"       # the longest a listen waits for another refresh (an import's) before a 503


class Busy(RuntimeError):
    """The rollups stayed locked by another writer for LOCK_WAIT; try again."""


@dataclass(frozen=True)
class Stored:
    listens: int            # listens in the request (distinct by identity)
    new: int                # listens not seen before
    plays: int              # plays added


def connection(url: str | None = None):
    """A pooled read-write DBAPI connection (close() gives it back)."""
    from db import engine
    from db.schema import ensure_schema

    return engine.writer(ensure_schema(url)).raw_connection()


_INSERT = """
with input as (
  select *
  from unnest(%(listened_at)s::timestamptz[], %(identity)s::uuid[], %(ended_at)s::timestamptz[],
              %(ms_played)s::integer[], %(kind)s::text[], %(track_id)s::text[], %(uri)s::text[],
              %(track)s::text[], %(artist)s::text[], %(album)s::text[], %(platform)s::text[],
              %(raw_json)s::jsonb[])
       as t (listened_at, identity, ended_at, ms_played, kind, track_id, uri, track, artist, album,
             platform, raw_json)
), new_listens as (
  insert into listens (listened_at, identity, token_id, ended_at, ms_played)
  select listened_at, identity, %(token_id)s, ended_at, ms_played from input
  on conflict do nothing
  returning listened_at, identity
), new_plays as (
  insert into plays (ended_at, ms_played, kind, source, track_id, uri, track, artist, album, platform, raw_json)
  select i.ended_at, i.ms_played, i.kind, 'listenbrainz', i.track_id, i.uri, i.track, i.artist, i.album,
         i.platform, i.raw_json
  from input i
  join new_listens n using (listened_at, identity)
  on conflict do nothing
  returning ended_at
), dirty as (
  insert into plays_dirty_hours (hour_utc)
  select distinct date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00') from new_plays
)
select (select count(*) from new_listens), (select count(*) from new_plays)
"""


def refresh_queries() -> list[str]:
    """The rollup refreshes a listen runs, in the importer's order: every refresh_plays_* but the
    raw_json key-path inventory (a 5,000-play sample, 0.35 s at 1,000,000 plays; imports refresh it)."""
    from db import queries

    return [n for n in sorted(queries.all_queries())
            if n.startswith("refresh_plays_") and "json_path" not in n]


def submit(conn, token_id: int, plays: list[Play]) -> Stored:
    """Store `plays` (one request's listens) in one transaction on `conn`; Busy if the rollups stay
    locked by an import's refresh for LOCK_WAIT (nothing is written then)."""
    from psycopg2 import errors

    from db import queries
    from migrate.runs import lock_rollups

    unique = list({(p.listened_at, p.identity): p for p in reversed(plays)}.values())[::-1]
    cols = ("listened_at", "identity", "ended_at", "ms_played", "kind", "track_id", "uri", "track", "artist",
            "album", "platform", "raw_json")
    params = {c: [getattr(p, c) for p in unique] for c in cols}
    params["token_id"] = token_id
    try:
        with conn.cursor() as cur:
            cur.execute("select set_config('statement_timeout', %s, true), set_config('lock_timeout', %s, true)",
                        (STATEMENT_TIMEOUT, LOCK_WAIT))
            cur.execute(_INSERT, params)
            new, added = cur.fetchone()
            if added:
                lock_rollups(cur)
                for name in refresh_queries():
                    cur.execute(queries.get(name).sql.replace("\\:", ":"))
                cur.execute("insert into data_changes (source) values ('listen')")
        conn.commit()
    except (errors.LockNotAvailable, errors.QueryCanceled):
        conn.rollback()
        raise Busy("the rollups are being rebuilt by an import; try again") from None
    except BaseException:
        conn.rollback()
        raise
    return Stored(listens=len(unique), new=new, plays=added)


def playing_now(conn, token_id: int, now: NowPlaying) -> None:
    """What the token's player is playing: replaces the token's previous one."""
    with conn.cursor() as cur:
        cur.execute("""
            insert into playing_now (token_id, payload, artist, track, album, expires_at)
            values (%s, %s, %s, %s, %s, now() + make_interval(secs => %s))
            on conflict (token_id) do update
              set payload = excluded.payload, artist = excluded.artist, track = excluded.track,
                  album = excluded.album, received_at = now(), expires_at = excluded.expires_at""",
                    (token_id, now.raw_json, now.artist, now.track, now.album, now.expires_in_s))
    conn.commit()
