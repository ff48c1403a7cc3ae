-- Rollups of plays (db/schema/20_plays.sql), run after every import by the importer framework.
-- How to read them, for the charts:
--   totals over time (any time zone with a whole-hour offset, exactly):
--     select date_trunc('day', hour_utc, :tz) as day, sum(plays), sum(ms_played)
--     from plays_hourly where kind = 'music' and hour_utc >= :since and hour_utc < :until group by 1
--   top tracks / artists / albums / shows in a range: sum plays_hourly_items of the range per
--     item_key, then join play_items (kind, track_id, uri, artist, album, track) and group by what
--     is charted: track_id or (artist, track) for tracks, artist, (artist, album), (kind, artist) for shows.

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
         md5(p.kind || E'\x1f' || coalesce(p.uri, '') || E'\x1f' || coalesce(p.artist, '') || E'\x1f'
             || coalesce(p.album, '') || E'\x1f' || coalesce(p.track, ''))::uuid as item_key
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
  insert into plays_hourly_items (hour_utc, item_key, plays, ms_played)
  select hour_utc, item_key, count(*), sum(ms_played)
  from src
  group by hour_utc, item_key
), new_items as (
  insert into play_items (item_key, kind, track_id, uri, artist, album, track)
  select item_key, any_value(kind), any_value(track_id), any_value(uri), any_value(artist),
         any_value(album), any_value(track)
  from src
  group by item_key
  on conflict (item_key) do nothing
)
select count(distinct hour_utc) as hours_rebuilt from plays_dirty_hours;
