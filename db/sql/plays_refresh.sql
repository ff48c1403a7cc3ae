-- Rollups of plays (db/migrations/0005_plays.sql), run after every import by the importer framework.
-- How to read them, for the charts:
--   totals over time (any time zone with a whole-hour offset, exactly):
--     select date_trunc('day', hour_utc, :tz) as day, sum(plays), sum(ms_played)
--     from plays_hourly where kind = 'music' and hour_utc >= :since and hour_utc < :until group by 1
--   top tracks / artists / albums / shows in a range: sum plays_hourly_items of the range per
--     item_key (plays: every stream; plays_10s / _30s / _60s: streams of at least that long), then join play_items (kind, track_id, uri, artist, album, track) and group by what
--     is charted: track_id or (artist, track) for tracks, artist, (artist, album), (kind, artist) for shows.
-- PLAY_ITEMS_ORDER: play_items are written most streamed first (a build from scratch writes them all
-- in that order; a later import adds its new items, most streamed first, after them; migration 0023
-- put an existing table in that order). PostgreSQL may put a row into an earlier page's leftover
-- space, so the order holds page by page: each page's most streamed item is streamed at least as often
-- as any item of a later page's. search_play_items takes its candidates in the table's order (a
-- capped scan, db/sql/search.sql), so when thousands of items match (an artist with thousands of
-- played items, a two-letter prefix) the ones ranked are those played most.

-- name: plays_rollup_indexes_to_rebuild
-- The secondary indexes of the rollups that the next refresh builds from scratch, which the importer
-- drops before the refresh and creates again after it (one index build from sorted keys instead of
-- an index insertion per row): those of plays_hourly, plays_hourly_items and play_items when
-- plays_hourly is empty, those of the plays_z_* rollups when plays_z_hourly is empty, none without
-- plays. Unique indexes stay (ON CONFLICT needs them). Schema, name and the CREATE INDEX statement.
-- example: {}
select n.nspname as schema_name, i.relname as index_name, pg_get_indexdef(x.indexrelid) as definition
from pg_index x
join pg_class i on i.oid = x.indexrelid
join pg_namespace n on n.oid = i.relnamespace
where not x.indisunique
  and exists (select 1 from plays)
  and ((x.indrelid = any (array['plays_hourly', 'plays_hourly_items', 'play_items']::regclass[])
        and not exists (select 1 from plays_hourly))
       or (x.indrelid = any (array['plays_z_hourly', 'plays_z_quarter', 'plays_z_items', 'plays_z_names',
                                   'plays_z_sessions']::regclass[])
           and not exists (select 1 from plays_z_hourly)))
order by 1, 2;

-- name: refresh_plays_0_listens_matched
-- Submitted listens (source 'listenbrainz', api/) that a Spotify export holds too are counted once:
-- deletes the listen's play when a play of another source started within 90 s of the listen's start
-- (listened_at = ended_at - ms_played) and has the same track name (case-folded) or Spotify track
-- id, and marks its hour dirty; returns how many. Run first, by both writers. Pairs are looked for
-- from both sides of what changed: listens in a dirty hour probe the plays near their start, and
-- other plays in a dirty hour (only within the time span of the listens) probe the listens near
-- theirs, through plays_natural_key and plays_listen_idx (ended_at). Streams up to 6 hours long.
-- example: {}
with hours as (
  select distinct hour_utc from plays_dirty_hours
), bounds as materialized (
  -- read as scalar subqueries below: values known before the scans, so the indexes bound them
  select min(hour_utc) as lo, max(hour_utc) + interval '1 hour' as hi from hours
), span as materialized (
  select (select ended_at from plays where source = 'listenbrainz' order by ended_at limit 1)
           - interval '6 hours 90 seconds' as lo,
         (select ended_at from plays where source = 'listenbrainz' order by ended_at desc limit 1)
           + interval '6 hours 90 seconds' as hi
), listen_side as (
  select l.ctid as row_id
  from plays l
  where l.source = 'listenbrainz' and l.ended_at >= (select lo from bounds) and l.ended_at < (select hi from bounds)
    and date_bin('1 hour', l.ended_at, timestamptz '2000-01-01 00:00+00') in (select hour_utc from hours)
    and exists (
      select 1 from plays e
      where e.source <> 'listenbrainz'
        and e.ended_at >= l.ended_at - l.ms_played * interval '1 millisecond' - interval '90 seconds'
        and e.ended_at < l.ended_at - l.ms_played * interval '1 millisecond' + interval '6 hours 90 seconds'
        and abs(extract(epoch from (e.ended_at - e.ms_played * interval '1 millisecond')
                                   - (l.ended_at - l.ms_played * interval '1 millisecond'))) <= 90
        and (lower(e.track) = lower(l.track) or e.track_id = l.track_id))
), others as materialized (
  select e.ended_at - e.ms_played * interval '1 millisecond' as started_at, e.track, e.track_id
  from plays e
  where e.source <> 'listenbrainz'
    and (select lo from span) is not null           -- no listens: nothing to look for (greatest skips nulls)
    and e.ended_at >= greatest((select lo from bounds), (select lo from span))
    and e.ended_at < least((select hi from bounds), (select hi from span))
    and date_bin('1 hour', e.ended_at, timestamptz '2000-01-01 00:00+00') in (select hour_utc from hours)
), export_side as (
  select l.row_id
  from others e
  cross join lateral (
    select l.ctid as row_id
    from plays l
    where l.source = 'listenbrainz'
      and l.ended_at >= e.started_at - interval '90 seconds'
      and l.ended_at < e.started_at + interval '6 hours 90 seconds'
      and abs(extract(epoch from e.started_at - (l.ended_at - l.ms_played * interval '1 millisecond'))) <= 90
      and (lower(e.track) = lower(l.track) or e.track_id = l.track_id)
    offset 0) l    -- kept as a subquery: one index range per play of `others`, never all listens per play
), gone as (
  delete from plays p
  where p.ctid in (select row_id from listen_side union select row_id from export_side)
  returning p.ended_at
), dirty as (
  insert into plays_dirty_hours (hour_utc)
  select distinct date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00') from gone
)
select count(*) as listens_matched from gone;

-- name: refresh_plays_a_full
-- When plays_hourly is empty (a first import, or plays stored before these rollups existed), builds
-- plays_hourly, plays_hourly_items and play_items from every play and empties plays_dirty_hours, so
-- that refresh_plays_rollups (next by name) has nothing left to do; otherwise touches nothing.
-- Returns how many hours were built. A build from scratch needs no dirty-hour lookups and no
-- per-hour deletes: one scan of `plays` per rollup, grouped in memory (the importer raises work_mem).
-- example: {}
with go as (
  select not exists (select 1 from plays_hourly) as full_build
), emptied as (
  delete from plays_dirty_hours where (select full_build from go)
), old_items as (
  delete from plays_hourly_items where (select full_build from go)
), new_totals as (
  insert into plays_hourly (hour_utc, kind, plays, ms_played, skipped)
  select date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00'), kind, count(*), sum(ms_played),
         count(*) filter (where skipped)
  from plays
  where (select full_build from go)
  group by 1, 2
  returning hour_utc
), new_hour_items as (
  insert into plays_hourly_items (hour_utc, item_key, plays, ms_played, plays_10s, plays_30s, plays_60s)
  select date_bin('1 hour', p.ended_at, timestamptz '2000-01-01 00:00+00'),
         mtm_play_item_key(p.kind, p.uri, p.artist, p.album, p.track), count(*), sum(p.ms_played),
         count(*) filter (where p.ms_played >= 10000), count(*) filter (where p.ms_played >= 30000),
         count(*) filter (where p.ms_played >= 60000)
  from plays p
  where (select full_build from go)
  group by 1, 2
), new_items as (
  insert into play_items (item_key, kind, track_id, uri, artist, album, track)
  select mtm_play_item_key(kind, coalesce(uri, ''), coalesce(artist, ''), coalesce(album, ''),
                           coalesce(track, '')),
         kind, any_value(track_id), any_value(uri), any_value(artist), any_value(album), any_value(track)
  from plays
  where (select full_build from go)
  group by kind, coalesce(uri, ''), coalesce(artist, ''), coalesce(album, ''), coalesce(track, '')
  order by count(*) desc, 1     -- most streamed first: PLAY_ITEMS_ORDER
  on conflict (item_key) do nothing
)
select count(distinct hour_utc) as hours_built from new_totals;

-- name: refresh_plays_rollups
-- Rebuilds plays_hourly, plays_hourly_items and the new play_items for the hours (UTC) listed in
-- plays_dirty_hours, and empties that list; returns how many hours were rebuilt. With no dirty hour
-- (an import that added no play, or none yet) it touches nothing.
-- example: {}
-- The dirty list is read as a table (the CTE that empties it does not change what the rest of the
-- statement sees: one snapshot), so every lookup in it goes through its index and no plan can
-- degrade into comparing each play with each dirty hour.
with emptied as (
  delete from plays_dirty_hours returning 1
), bounds as (
  select min(hour_utc) as lo, max(hour_utc) + interval '1 hour' as hi from plays_dirty_hours
), src as materialized (
  select date_bin('1 hour', p.ended_at, timestamptz '2000-01-01 00:00+00') as hour_utc, p.kind, p.ms_played,
         p.skipped, p.track_id, p.uri, p.artist, p.album, p.track,
         mtm_play_item_key(p.kind, p.uri, p.artist, p.album, p.track) as item_key
  from plays p
  cross join bounds b
  where p.ended_at >= b.lo and p.ended_at < b.hi
    and exists (select 1 from plays_dirty_hours d
                where d.hour_utc = date_bin('1 hour', p.ended_at, timestamptz '2000-01-01 00:00+00'))
), old_totals as (
  delete from plays_hourly r where exists (select 1 from plays_dirty_hours d where d.hour_utc = r.hour_utc)
), old_items as (
  delete from plays_hourly_items r where exists (select 1 from plays_dirty_hours d where d.hour_utc = r.hour_utc)
), new_totals as (
  insert into plays_hourly (hour_utc, kind, plays, ms_played, skipped)
  select hour_utc, kind, count(*), sum(ms_played), count(*) filter (where skipped)
  from src
  group by hour_utc, kind
), new_hour_items as (
  insert into plays_hourly_items (hour_utc, item_key, plays, ms_played, plays_10s, plays_30s, plays_60s)
  select hour_utc, item_key, count(*), sum(ms_played), count(*) filter (where ms_played >= 10000),
         count(*) filter (where ms_played >= 30000), count(*) filter (where ms_played >= 60000)
  from src
  group by hour_utc, item_key
), new_items as (
  insert into play_items (item_key, kind, track_id, uri, artist, album, track)
  select item_key, any_value(kind), any_value(track_id), any_value(uri), any_value(artist),
         any_value(album), any_value(track)
  from src
  group by item_key
  order by count(*) desc, item_key     -- PLAY_ITEMS_ORDER
  on conflict (item_key) do nothing
)
select count(distinct hour_utc) as hours_rebuilt from plays_dirty_hours;
