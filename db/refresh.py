"""The refresh pipeline: what is recomputed after the data changed, in this order, in the writer's
own transaction (so pages never see data without its rollups). Both importers, the schema upgrade
(a migration that changed plays) and submitted listens call `run()`; nothing else runs the
`refresh_*` queries.

The order is explicit, not the alphabetical order of query names: a new refresh query is placed
here (tests/test_refresh.py fails while one is missing).

Every run takes the rollup lock first (lock_rollups: a transaction advisory lock), which submitted
listens (api/store.py) take too: a refresh statement then sees every play committed before it,
whoever wrote it, and two writers never rebuild the same hour from different plays at once.

1. The raw_json explorer's key-path inventory of tracks (db/sql/explorer.sql), and the Overview's
   headline numbers (overview_totals, db/sql/overview.sql).
   Then submitted listens that an export holds too lose their play (refresh_plays_0_listens_matched).
2. Plays rollups per UTC hour (db/sql/plays_refresh.sql): built whole when empty (a first import),
   else rebuilt for the hours listed in plays_dirty_hours. Inserting into plays_dirty_hours also
   lists the hour in plays_z_dirty_hours (a trigger, migration 0008) for step 3, which runs later.
3. The Plays page's zone-aware rollups (db/sql/plays.sql): a1..a3 build everything when empty;
   otherwise b..e rebuild the changed hours, months, years (moving the all-time totals per item by
   the difference) and sessions, d2 builds those totals whole when empty; f empties their list.
4. The explorer's sampled key-path inventory of plays.

Rollups built from scratch are filled without their secondary indexes, which are created again
afterwards: one index build from sorted keys instead of an index insertion per row (the saving is
measured by bench.plays, BENCHMARKS.md).
"""
from __future__ import annotations

# One rollup refresh at a time (a transaction lock, held until commit): importers, the schema
# upgrade, and submitted listens, which never take the import lock.
ROLLUP_LOCK_KEY = 0x6D746D5F726F6C  # 'mtm_rol'

PIPELINE: tuple[str, ...] = (
    "refresh_json_path_inventory",
    "refresh_overview_totals",
    "refresh_plays_0_listens_matched",
    "refresh_plays_a_full",
    "refresh_plays_rollups",
    "refresh_plays_z_a1_full_items",
    "refresh_plays_z_a2_full_sessions",
    "refresh_plays_z_a3_full_hours",
    "refresh_plays_z_b_hours",
    "refresh_plays_z_c_months",
    "refresh_plays_z_d_years",
    "refresh_plays_z_d2_totals",
    "refresh_plays_z_e_sessions",
    "refresh_plays_z_f_done",
    "refresh_plays_zz_json_path_inventory",
)


def run(cur, steps: tuple[str, ...] = PIPELINE) -> None:
    """Run the pipeline (or `steps` of it, in pipeline order) on a psycopg2 cursor, inside the
    caller's transaction, with the memory settings a from-scratch build wants."""
    from db import queries

    lock_rollups(cur)
    cur.execute("set local work_mem = '256MB'")               # the refresh groups and sorts in memory,
    cur.execute("set local hash_mem_multiplier = 8")          # hash tables up to 2 GB (1M plays: 0.5 GB)
    cur.execute("set local maintenance_work_mem = '256MB'")   # and the index builds sort in memory
    rebuild = drop_rollup_indexes(cur)
    for name in (n for n in PIPELINE if n in steps):
        cur.execute(queries.get(name).sql.replace("\\:", ":"))
    create_indexes(cur, rebuild)


def lock_rollups(cur, adopt: bool = True) -> int:
    """Wait for the rollup lock, held until this transaction ends, and (`adopt`) take on the hours
    of listens that were stored while another writer held it (listen_pending_hours ->
    plays_dirty_hours, api/store.py). Returns how many such hours."""
    cur.execute("select pg_advisory_xact_lock(%s)", (ROLLUP_LOCK_KEY,))
    if not adopt:
        return 0
    cur.execute("select to_regclass('public.listen_pending_hours') is not null")
    if not cur.fetchone()[0]:          # a schema upgrade refreshing before the API's migration
        return 0
    cur.execute("""
        with moved as (delete from listen_pending_hours returning hour_utc),
        listed as (insert into plays_dirty_hours (hour_utc) select distinct hour_utc from moved returning 1)
        select count(*) from listed""")
    return cur.fetchone()[0]


def run_if_dirty(cur) -> bool:
    """Run the pipeline when plays_dirty_hours lists changed hours (after a migration changed plays);
    return whether it ran."""
    cur.execute("select to_regclass('public.plays_dirty_hours') is not null")
    if not cur.fetchone()[0]:
        return False
    cur.execute("select exists (select 1 from plays_dirty_hours)")
    if not cur.fetchone()[0]:
        return False
    run(cur)
    return True


def drop_rollup_indexes(cur) -> list[tuple[str, str, str]]:
    """Drop the secondary indexes of the rollups the refresh is about to build from scratch (named
    query plays_rollup_indexes_to_rebuild; none on a later import) and return them (schema, name,
    CREATE INDEX statement). Until the transaction commits, pages reading those rollups wait for it
    (they were empty until now). The drop waits for pages reading them at that moment; when that
    takes over 2 s, or would deadlock with one, the indexes stay and the build is only slower.
    """
    from db import queries

    cur.execute(queries.get("plays_rollup_indexes_to_rebuild").sql)
    return drop_indexes(cur, cur.fetchall())


def drop_indexes(cur, rebuild: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Drop the indexes `rebuild` (schema, name, CREATE INDEX statement) in this transaction and
    return them, or none (and return []) when the drop would wait over 2 s for readers of their
    table or deadlock with one: then the writes only go slower. `create_indexes()` builds them again."""
    from psycopg2 import errors, sql

    if not rebuild:
        return []
    cur.execute("select current_setting('lock_timeout')")
    lock_timeout = cur.fetchone()[0]
    cur.execute("savepoint mtm_drop_indexes")
    cur.execute("set local lock_timeout = '2s'")
    try:
        for schema, name, _ in rebuild:
            cur.execute(sql.SQL("drop index {}").format(sql.Identifier(schema, name)))
    except (errors.LockNotAvailable, errors.DeadlockDetected):
        cur.execute("rollback to savepoint mtm_drop_indexes")   # also restores lock_timeout
        rebuild = []
    cur.execute("release savepoint mtm_drop_indexes")
    cur.execute("select set_config('lock_timeout', %s, true)", (lock_timeout,))
    return rebuild


def create_indexes(cur, rebuild: list[tuple[str, str, str]]) -> None:
    """Build the indexes `drop_indexes()` dropped, sorting in memory (maintenance_work_mem for the rest
    of the transaction)."""
    if rebuild:
        cur.execute("set local maintenance_work_mem = '256MB'")
    for _, _, definition in rebuild:
        cur.execute(definition)   # pg_get_indexdef's own CREATE INDEX statement
