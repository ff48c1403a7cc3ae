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
therefore takes ROLLUP_LOCK_KEY (a transaction advisory lock, db.refresh.lock_rollups) first,
and a refresh statement starts after the lock is granted, so it sees every play committed before
it, whoever wrote it. Listens refresh one after another (milliseconds each). A listen never takes
the import lock: during an import's load (tens of seconds for a large export) listens go on as
usual. When the rollup lock is taken by an import's refresh (seconds), or stays taken by anyone
longer than LOCK_TRY, the listen does not wait: its plays and a data_changes row commit at once and its hours go to
listen_pending_hours; the API's background drain (or an import's refresh) moves them into
plays_dirty_hours and rebuilds them. Listens meanwhile add their own plays as deltas: the rebuild
of the pending hours, months and years from the plays is right whatever the rows held. Until then the pages see
the play itself (plays, search of plays, explorer) but not yet in the rollup-based charts.
A listen and an export holding the same stream keep one play (refresh_plays_0_listens_matched
deletes the listen's play; the `listens` row stays, so the listen submitted again adds nothing).
"""
from __future__ import annotations

from dataclasses import dataclass

from api.listens import NowPlaying, Play
from db import errors as db_errors
from db import refresh
from db.refresh import ROLLUP_LOCK_KEY, lock_rollups

STATEMENT_TIMEOUT = "30s"
LOCK_TRY = "200ms"      # how long a listen waits for another writer's refresh before deferring its own
LOCK_WAIT = "10s"       # the longest a listen waits for a row lock (the same listen being submitted)


class Busy(RuntimeError):
    """The database did not answer in time; try again."""


@dataclass(frozen=True)
class Stored:
    listens: int            # listens in the request (distinct by identity)
    new: int                # listens not seen before
    plays: int              # plays added
    deferred: bool = False  # committed with their hours in listen_pending_hours (another refresh ran)


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
  returning ended_at, ms_played, kind, artist, track, album, platform, country, track_id, skipped, reason_end
)
select (select count(*) from new_listens), count(*), array_agg(ended_at), array_agg(ms_played), array_agg(kind),
       array_agg(artist), array_agg(track), array_agg(album), array_agg(platform), array_agg(country),
       array_agg(track_id), array_agg(skipped), array_agg(reason_end)
from new_plays
"""
_ADDED = ("ended_at", "ms_played", "kind", "artist", "track", "album", "platform", "country", "track_id",
          "skipped", "reason_end")

# The month and year rows of plays_z_items (and plays_z_names) for plays that were only added:
# what refresh_plays_z_c_months and refresh_plays_z_d_years would rebuild, as a delta. Those two
# rebuild every row of the changed month and year (a year is some 18,000 rows from 56,000 month
# rows at 1,000,000 plays: about half a second each); a listen changes at most five rows per
# period (one per level). Counts add up; first / last times are least / greatest (which ignore
# nulls). Levels, names and keys are computed by the same functions as in the rebuild
# (plays_z_level_artist, plays_z_level_name, plays_z_key). plays_z_items has no unique key, so the
# rows are updated, and those not found inserted: safe because every writer holds the rollup
# lock. Only for additions: when plays were also deleted (a listen matched an export play) or the
# rollups were built from scratch in this refresh, the rebuild runs instead.
# A rollup row moved by a delta row `d`: counts add up, first times take the earlier, last times
# the later. The month rows, the year rows and the all-time totals all move this way.
_SUMS = ("plays", "plays_10s", "plays_30s", "plays_60s", "ms_played", "skips", "skip_known")
_FIRSTS = ("first_at", "first_10s_at", "first_30s_at", "first_60s_at")
_LASTS = ("last_at", "last_10s_at", "last_30s_at", "last_60s_at")


def _moved_by_delta(row: str) -> str:
    return ", ".join([f"{c} = {row}.{c} + d.{c}" for c in _SUMS] + [f"{c} = least({row}.{c}, d.{c})" for c in _FIRSTS]
                     + [f"{c} = greatest({row}.{c}, d.{c})" for c in _LASTS])


_ADD_ITEMS = """
with src as (
  select *
  from unnest(%(ended_at)s::timestamptz[], %(ms_played)s::integer[], %(kind)s::text[], %(artist)s::text[],
              %(track)s::text[], %(album)s::text[], %(platform)s::text[], %(country)s::text[],
              %(track_id)s::text[], %(skipped)s::boolean[], %(reason_end)s::text[])
       as t (ended_at, ms_played, kind, artist, track, album, platform, country, track_id, skipped, reason_end)
), leveled as (
  select s.*, l.level, l.l_artist, l.l_name, plays_z_key(l.level, s.kind, l.l_artist, l.l_name) as name_key,
         plays_z_is_skip(s.skipped, s.reason_end) as skip, (s.skipped is not null or s.reason_end is not null) as known
  from src s
  cross join (values ('track'), ('album'), ('artist'), ('platform'), ('country')) as lv (level)
  cross join lateral (select lv.level, plays_z_level_artist(lv.level, s.artist) as l_artist,
                             plays_z_level_name(lv.level, s.track, s.album, s.artist, s.platform, s.country) as l_name) l
  where l.level = 'track' or l.l_name is not null
), delta as (
  select p.period, date_trunc(p.period, ended_at, 'UTC') as period_start, level, name_key, kind,
         count(*) as plays, count(*) filter (where ms_played >= 10000) as plays_10s,
         count(*) filter (where ms_played >= 30000) as plays_30s, count(*) filter (where ms_played >= 60000) as plays_60s,
         sum(ms_played) as ms_played, count(*) filter (where skip) as skips, count(*) filter (where known) as skip_known,
         min(ended_at) as first_at, min(ended_at) filter (where ms_played >= 10000) as first_10s_at,
         min(ended_at) filter (where ms_played >= 30000) as first_30s_at,
         min(ended_at) filter (where ms_played >= 60000) as first_60s_at,
         max(ended_at) as last_at, max(ended_at) filter (where ms_played >= 10000) as last_10s_at,
         max(ended_at) filter (where ms_played >= 30000) as last_30s_at,
         max(ended_at) filter (where ms_played >= 60000) as last_60s_at
  from leveled
  cross join (values ('month'), ('year')) as p (period)
  group by 1, 2, 3, 4, 5
), month_rows as materialized (
  -- The month rows of the (level, month) pairs touched, read once each through the month index
  -- (no index has month rows by name; a lookup per delta row would read its whole level-month).
  select i.ctid as row_id, i.level, i.period_start, i.name_key, i.kind
  from (select distinct level, period_start from delta where period = 'month') t
  join plays_z_items i on i.period = 'month' and i.level = t.level and i.period_start = t.period_start
), updated_months as (
  update plays_z_items i
  set @MOVED_I@
  from month_rows m
  join delta d on d.period = 'month' and d.level = m.level and d.period_start = m.period_start
              and d.name_key = m.name_key and d.kind = m.kind
  where i.ctid = m.row_id
  returning i.period, i.period_start, i.level, i.name_key, i.kind
), updated_years as (
  update plays_z_items i
  set @MOVED_I@
  from delta d
  where i.period = 'year' and d.period = 'year' and i.name_key = d.name_key and i.period_start = d.period_start
    and i.level = d.level and i.kind = d.kind
  returning i.period, i.period_start, i.level, i.name_key, i.kind
), updated as (
  select * from updated_months union all select * from updated_years
), inserted as (
  insert into plays_z_items (period, period_start, level, name_key, kind, plays, plays_10s, plays_30s, plays_60s,
                             ms_played, skips, skip_known, first_at, first_10s_at, first_30s_at, first_60s_at,
                             last_at, last_10s_at, last_30s_at, last_60s_at)
  select d.*
  from delta d
  where not exists (select 1 from updated u
                    where (u.period, u.period_start, u.level, u.name_key, u.kind)
                        = (d.period, d.period_start, d.level, d.name_key, d.kind))
), totals_delta as (
  -- The all-time totals per item (plays_z_totals) move by the year rows' delta, once they exist;
  -- while they are empty, refresh_plays_z_d2_totals builds them whole right after.
  select name_key, min(level) as level, min(kind) as kind, sum(plays)::int as plays,
         sum(plays_10s)::int as plays_10s, sum(plays_30s)::int as plays_30s, sum(plays_60s)::int as plays_60s,
         sum(ms_played)::bigint as ms_played, sum(skips)::int as skips, sum(skip_known)::int as skip_known,
         min(first_at) as first_at, min(first_10s_at) as first_10s_at, min(first_30s_at) as first_30s_at,
         min(first_60s_at) as first_60s_at, max(last_at) as last_at, max(last_10s_at) as last_10s_at,
         max(last_30s_at) as last_30s_at, max(last_60s_at) as last_60s_at
  from delta
  where period = 'year' and exists (select 1 from plays_z_totals)
  group by name_key
), updated_totals as (
  update plays_z_totals t
  set @MOVED_T@
  from totals_delta d
  where t.name_key = d.name_key
  returning t.name_key
), inserted_totals as (
  insert into plays_z_totals (name_key, level, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips,
                              skip_known, first_at, first_10s_at, first_30s_at, first_60s_at, last_at, last_10s_at,
                              last_30s_at, last_60s_at)
  select d.* from totals_delta d
  where not exists (select 1 from updated_totals u where u.name_key = d.name_key)
), names as (
  insert into plays_z_names (name_key, level, kind, name, artist, track_id)
  select name_key, any_value(level), any_value(kind), any_value(l_name), any_value(l_artist),
         max(track_id) filter (where level = 'track')
  from leveled
  group by name_key
  on conflict (name_key) do nothing
)
select count(*) from delta
""".replace("@MOVED_I@", _moved_by_delta("i")).replace("@MOVED_T@", _moved_by_delta("t"))


# The refreshes a listen runs, in the importer's order: every refresh_plays_* but the raw_json
# key-path inventories and the Overview's track totals (imports refresh those), with
# the month and year rebuilds (REBUILD_ITEMS) replaced by _ADD_ITEMS when they may be.
# Derived from the one pipeline (db/refresh.py), so a step added there reaches listens too.
REBUILD_ITEMS = ("refresh_plays_z_c_months", "refresh_plays_z_d_years")
NOT_FOR_LISTENS = ("refresh_json_path_inventory", "refresh_overview_totals", "refresh_plays_zz_json_path_inventory")
LISTEN_REFRESH = tuple(
    "ITEMS" if name == REBUILD_ITEMS[0] else name
    for name in refresh.PIPELINE if name not in NOT_FOR_LISTENS and name != REBUILD_ITEMS[1])


_HOURS = """
insert into {table} (hour_utc)
select distinct date_bin('1 hour', t, timestamptz '2000-01-01 00:00+00') from unnest(%s::timestamptz[]) as t"""


def _refresh(cur, added: dict | None) -> None:
    """Bring every plays rollup up to date, the rollup lock held and the changed hours listed in
    plays_dirty_hours. `added`: the new plays' columns (as arrays) when they are all that changed
    since the rollups were last right (the month and year rows then take them as a delta); None to
    rebuild the changed months and years."""
    from db import queries

    def run(name: str) -> int:
        cur.execute(queries.get(name).sql.replace("\\:", ":"))
        row = cur.fetchone()
        return int(row[0] or 0) if row else 0

    # Every statement below reads a few hours of plays (and a few rollup rows) through an index.
    # Left to itself the planner cannot see that: the hours are computed inside each statement
    # from plays_dirty_hours, whose statistics swing between empty and an import's thousands of
    # hours, and at 1,000,000 plays a plan that reads every play costs 0.3 s instead of 1 ms.
    cur.execute("set local enable_seqscan = off")
    deleted = built = 0
    for name in LISTEN_REFRESH:
        if name == "ITEMS":
            if deleted or built or added is None:
                for rebuild in REBUILD_ITEMS:
                    run(rebuild)
            else:
                cur.execute(_ADD_ITEMS, added)
        else:
            n = run(name)
            if name == "refresh_plays_0_listens_matched":
                deleted = n
            elif name == "refresh_plays_z_a1_full_items":
                built = n


def _try_lock(cur) -> bool:
    """Take the rollup lock within LOCK_TRY; False when another writer held it all that time (the
    transaction goes on without it). Pending hours are left to drain(): a listen adds its own
    plays as deltas, which stay right when the drain later rebuilds the pending hours, months and
    years from the plays (a rebuild does not depend on what the rows held)."""
    from psycopg2 import errors

    cur.execute("select pg_try_advisory_xact_lock(%s)", (ROLLUP_LOCK_KEY,))
    if cur.fetchone()[0]:
        return True
    # Held. By an import (its refresh lasts seconds): no use waiting. Else by another listen or
    # the drain (milliseconds, or a rebuild): wait a little.
    cur.execute("select exists (select 1 from import_runs where status = 'running')")
    if cur.fetchone()[0]:
        return False
    cur.execute("savepoint mtm_rollup_lock")
    cur.execute("select set_config('lock_timeout', %s, true)", (LOCK_TRY,))
    try:
        lock_rollups(cur, adopt=False)
    except errors.LockNotAvailable:
        cur.execute("rollback to savepoint mtm_rollup_lock")    # also restores lock_timeout
        cur.execute("release savepoint mtm_rollup_lock")
        return False
    cur.execute("release savepoint mtm_rollup_lock")
    cur.execute("select set_config('lock_timeout', %s, true)", (LOCK_WAIT,))
    return True


def submit(conn, token_id: int | None, plays: list[Play]) -> Stored:
    """Store `plays` (one request's listens) in one transaction on `conn`.

    With the rollup lock (within LOCK_TRY): the plays, their rollups and a data_changes row commit
    together. When another writer (an import's refresh) holds the lock longer, the plays and a
    data_changes row commit at once and their hours wait in listen_pending_hours (`deferred`):
    drain() (which the API runs in the background) or an import's refresh rebuilds them.
    Busy when the database is too slow to answer (statement timeout, a row lock held too long)."""
    from psycopg2 import errors

    unique = list({(p.listened_at, p.identity): p for p in reversed(plays)}.values())[::-1]
    cols = ("listened_at", "identity", "ended_at", "ms_played", "kind", "track_id", "uri", "track", "artist",
            "album", "platform", "raw_json")
    params = {c: [getattr(p, c) for p in unique] for c in cols}
    params["token_id"] = token_id
    deferred = False
    try:
        with conn.cursor() as cur:
            cur.execute("select set_config('statement_timeout', %s, true), set_config('lock_timeout', %s, true)",
                        (STATEMENT_TIMEOUT, LOCK_WAIT))
            cur.execute(_INSERT, params)
            new, added, *columns = cur.fetchone()
            if added:
                ended = columns[0]
                if _try_lock(cur):
                    cur.execute(_HOURS.format(table="plays_dirty_hours"), (ended,))
                    _refresh(cur, dict(zip(_ADDED, columns, strict=True)))
                else:
                    cur.execute(_HOURS.format(table="listen_pending_hours"), (ended,))
                    deferred = True
                cur.execute("insert into data_changes (source) values ('listen')")
        conn.commit()
    except (errors.LockNotAvailable, errors.QueryCanceled):
        conn.rollback()
        raise Busy("the database is busy; try again") from None
    except BaseException:
        db_errors.rollback(conn)         # the first error is the one to report
        raise
    return Stored(listens=len(unique), new=new, plays=added, deferred=deferred)


def drain(conn, wait: str = "5s") -> int | None:
    """Rebuild the rollups of listens stored while another writer held the rollup lock. Returns how
    many hours were rebuilt (0: none pending), or None when the lock stayed taken for `wait`."""
    from psycopg2 import errors

    try:
        with conn.cursor() as cur:
            cur.execute("select set_config('statement_timeout', %s, true)", ("300s",))
            cur.execute("select exists (select 1 from listen_pending_hours)")
            if not cur.fetchone()[0]:
                conn.rollback()
                return 0
            cur.execute("select set_config('lock_timeout', %s, true)", (wait,))
            adopted = lock_rollups(cur)
            if adopted:
                _refresh(cur, None)
                cur.execute("insert into data_changes (source) values ('listen')")
        conn.commit()
        return adopted
    except errors.LockNotAvailable:
        conn.rollback()
        return None
    except BaseException:
        db_errors.rollback(conn)         # the first error is the one to report
        raise


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
