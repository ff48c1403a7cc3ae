-- Quicker long ranges on the Plays page (app_pages/plays.py; db/sql/plays.sql): the queries that only
-- sum counts per item (plays_counts, plays_compare, plays_compare_changes, plays_most_skipped) read
-- plays_z_items through plays_z_totals_between, which returns only the count columns, and the year and
-- month rows' indexes carry those columns, so the planner reads the rows from the index alone (an index
-- only scan of the range, in key order) instead of visiting their heap pages, scattered over the whole
-- table (all time at 1,000,000 plays: the year rows of three levels sit on ~32,000 of its 37,000 pages,
-- more than PostgreSQL's default 128 MB of shared_buffers). The indexes keep their names; a full
-- rollup build drops and re-creates them from pg_get_indexdef (include columns kept).
drop index if exists plays_z_items_year_idx;
create index plays_z_items_year_idx on plays_z_items (level, period_start)
  include (name_key, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips, skip_known)
  where period = 'year';
drop index if exists plays_z_items_month_idx;
create index plays_z_items_month_idx on plays_z_items (level, period_start)
  include (name_key, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips, skip_known)
  where period = 'month';

-- plays_z_items_between (0008_plays_analysis.sql) without the first / last columns: the same rows, so
-- the same sums. Inlined into the calling query like that one.
create or replace function plays_z_totals_between(lo timestamptz, hi timestamptz, want_level text, want_kind text)
returns table (name_key uuid, kind text, plays integer, plays_10s integer, plays_30s integer, plays_60s integer,
               ms_played bigint, skips integer, skip_known integer)
language sql stable parallel safe
as $$
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'year'
    and i.period_start >= plays_z_ceil('year', lo) and i.period_start < date_trunc('year', hi, 'UTC')
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'month'
    and i.period_start >= plays_z_ceil('month', lo)
    and i.period_start < case when plays_z_ceil('year', lo) < date_trunc('year', hi, 'UTC')
                              then plays_z_ceil('year', lo) else date_trunc('month', hi, 'UTC') end
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'month'
    and plays_z_ceil('year', lo) < date_trunc('year', hi, 'UTC')
    and i.period_start >= date_trunc('year', hi, 'UTC') and i.period_start < date_trunc('month', hi, 'UTC')
  union all
  select k.name_key, p.kind, 1, (p.ms_played >= 10000)::int, (p.ms_played >= 30000)::int,
         (p.ms_played >= 60000)::int, p.ms_played, plays_z_is_skip(p.skipped, p.reason_end)::int,
         (p.skipped is not null or p.reason_end is not null)::int
  from plays p
  cross join lateral (select plays_z_level_name(want_level, p.track, p.album, p.artist, p.platform, p.country) as name) l
  cross join lateral (select plays_z_key(want_level, p.kind, plays_z_level_artist(want_level, p.artist), l.name)
                             as name_key) k
  where ((p.ended_at >= lo
          and p.ended_at < case when plays_z_ceil('month', lo) < date_trunc('month', hi, 'UTC')
                                then plays_z_ceil('month', lo) else hi end)
         or (plays_z_ceil('month', lo) < date_trunc('month', hi, 'UTC')
             and p.ended_at >= date_trunc('month', hi, 'UTC') and p.ended_at < hi))
    and (want_kind = 'all' or p.kind = want_kind)
    and (want_level = 'track' or l.name is not null)
$$;
