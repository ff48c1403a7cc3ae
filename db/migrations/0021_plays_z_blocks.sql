-- Blocks of four years: a coarser rollup in plays_z_items (0008_plays_analysis.sql) for long date ranges.
-- A block row sums an item's year rows over four UTC years from one divisible by four (2012-2015,
-- 2016-2019, ...), like a year row sums its months. The readers by date range (plays_z_items_between,
-- plays_z_totals_between: top lists, distinct counts, two periods, skips) read the whole blocks inside
-- a range and the years, months and plays around them: the same plays, so the same sums, first and
-- last times, in fewer rows. In the bench database (999,966 plays over 15 years) a block holds
-- 20,000-33,000 track rows where its four years hold 50,000-72,000 (bench.plays: plays_compare over
-- two halves of all time, cold, is the query that needed it).
-- Written by every writer of the year rows: the build from scratch (refresh_plays_z_a1_full_items),
-- the rebuild of changed blocks from their years (refresh_plays_z_d1_blocks, after the years) and a
-- listen's delta (api/store.py). A database that holds plays gets its blocks here, from its years.

alter table plays_z_items drop constraint if exists plays_z_items_period_check;
alter table plays_z_items add constraint plays_z_items_period_check check (period in ('month', 'year', 'block'));

-- The start of the block holding the UTC instant ts (infinite instants stay as they are).
create or replace function plays_z_block(ts timestamptz) returns timestamptz
language sql immutable parallel safe
return case when isfinite(ts)
            then date_add(date_trunc('year', ts, 'UTC'),
                          make_interval(years => -mod(extract(year from ts at time zone 'UTC')::int, 4)), 'UTC')
            else ts end;

-- The whole blocks of a range [lo, hi) are those in [plays_z_block_from(lo), plays_z_block_until(hi)),
-- when that is not empty: from the first block start at or after lo's first whole year, to the start
-- of the block holding hi's year (the blocks before it end by hi's year at the latest).
create or replace function plays_z_block_from(lo timestamptz) returns timestamptz
language sql immutable parallel safe
return case when plays_z_block(plays_z_ceil('year', lo)) = plays_z_ceil('year', lo) then plays_z_ceil('year', lo)
            else date_add(plays_z_block(plays_z_ceil('year', lo)), interval '4 years', 'UTC') end;

create or replace function plays_z_block_until(hi timestamptz) returns timestamptz
language sql immutable parallel safe
return plays_z_block(date_trunc('year', hi, 'UTC'));

-- Whether plays_z_totals_between reads the months of a range [lo, hi) before its first whole year as
-- lo's year row less that year's months before the range (the range holds nine months of that year
-- or more, and a whole year after them), and the months of hi's year before hi's month as that
-- year's row less its months from hi's month on (nine months or more).
create or replace function plays_z_head_as_year(lo timestamptz, hi timestamptz) returns boolean
language sql immutable parallel safe
return plays_z_ceil('year', lo) < date_trunc('year', hi, 'UTC')
       and plays_z_ceil('month', lo) < plays_z_ceil('year', lo)
       and plays_z_ceil('month', lo) <= date_add(date_trunc('year', lo, 'UTC'), interval '3 months', 'UTC');

create or replace function plays_z_tail_as_year(lo timestamptz, hi timestamptz) returns boolean
language sql immutable parallel safe
return plays_z_ceil('year', lo) < date_trunc('year', hi, 'UTC')
       and date_trunc('month', hi, 'UTC') >= date_add(date_trunc('year', hi, 'UTC'), interval '9 months', 'UTC');

-- Read like the year rows (0016_plays_items_index_only.sql: index-only scans of a range), and found
-- by item when a listen moves them (api/store.py).
create index if not exists plays_z_items_block_idx on plays_z_items (level, period_start)
  include (name_key, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips, skip_known)
  where period = 'block';
create index if not exists plays_z_items_block_key_idx on plays_z_items (name_key) where period = 'block';

insert into plays_z_items (period, period_start, level, name_key, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips,
                           skip_known, first_at, first_10s_at, first_30s_at, first_60s_at, last_at, last_10s_at,
                           last_30s_at, last_60s_at)
select 'block', plays_z_block(i.period_start), i.level, i.name_key, i.kind, sum(i.plays), sum(i.plays_10s),
       sum(i.plays_30s), sum(i.plays_60s), sum(i.ms_played), sum(i.skips), sum(i.skip_known), min(i.first_at),
       min(i.first_10s_at), min(i.first_30s_at), min(i.first_60s_at), max(i.last_at), max(i.last_10s_at),
       max(i.last_30s_at), max(i.last_60s_at)
from plays_z_items i
where i.period = 'year' and not exists (select 1 from plays_z_items b where b.period = 'block')
group by 2, i.level, i.name_key, i.kind
order by i.level, 2;

-- Both readers by date range (as in 0017_plays_z_totals.sql), the whole years of a range now read as
-- the years before its first whole block, its whole blocks, and the years after them.
-- plays_z_totals_between (sums only) also reads a partial year at either end of a range that holds
-- nine of its months or more as the year's row less the months outside the range, returned as rows
-- with negative counts (a year row holds about as many rows as five of its month rows). Its callers
-- sum the rows per name_key and keep the items whose sums pass a threshold above zero
-- (plays_counts, plays_compare, plays_compare_changes, plays_most_skipped in db/sql/plays.sql).
create or replace function plays_z_items_between(lo timestamptz, hi timestamptz, want_level text, want_kind text)
returns table (name_key uuid, kind text, plays integer, plays_10s integer, plays_30s integer, plays_60s integer,
               ms_played bigint, skips integer, skip_known integer,
               first_at timestamptz, first_10s_at timestamptz, first_30s_at timestamptz, first_60s_at timestamptz,
               last_at timestamptz, last_10s_at timestamptz, last_30s_at timestamptz, last_60s_at timestamptz)
language sql stable parallel safe
as $$
  select t.name_key, t.kind, t.plays, t.plays_10s, t.plays_30s, t.plays_60s, t.ms_played, t.skips, t.skip_known,
         t.first_at, t.first_10s_at, t.first_30s_at, t.first_60s_at, t.last_at, t.last_10s_at, t.last_30s_at,
         t.last_60s_at
  from plays_z_totals t
  where t.level = want_level and (want_kind = 'all' or t.kind = want_kind)
    and lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays)
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known,
         i.first_at, i.first_10s_at, i.first_30s_at, i.first_60s_at, i.last_at, i.last_10s_at, i.last_30s_at,
         i.last_60s_at
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'year'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and i.period_start >= plays_z_ceil('year', lo)
    and i.period_start < case when plays_z_block_from(lo) < plays_z_block_until(hi)
                              then plays_z_block_from(lo) else date_trunc('year', hi, 'UTC') end
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known,
         i.first_at, i.first_10s_at, i.first_30s_at, i.first_60s_at, i.last_at, i.last_10s_at, i.last_30s_at,
         i.last_60s_at
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'block'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and i.period_start >= plays_z_block_from(lo) and i.period_start < plays_z_block_until(hi)
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known,
         i.first_at, i.first_10s_at, i.first_30s_at, i.first_60s_at, i.last_at, i.last_10s_at, i.last_30s_at,
         i.last_60s_at
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'year'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and plays_z_block_from(lo) < plays_z_block_until(hi)
    and i.period_start >= plays_z_block_until(hi) and i.period_start < date_trunc('year', hi, 'UTC')
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known,
         i.first_at, i.first_10s_at, i.first_30s_at, i.first_60s_at, i.last_at, i.last_10s_at, i.last_30s_at,
         i.last_60s_at
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'month'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and i.period_start >= plays_z_ceil('month', lo)
    and i.period_start < case when plays_z_ceil('year', lo) < date_trunc('year', hi, 'UTC')
                              then plays_z_ceil('year', lo) else date_trunc('month', hi, 'UTC') end
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known,
         i.first_at, i.first_10s_at, i.first_30s_at, i.first_60s_at, i.last_at, i.last_10s_at, i.last_30s_at,
         i.last_60s_at
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'month'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and plays_z_ceil('year', lo) < date_trunc('year', hi, 'UTC')
    and i.period_start >= date_trunc('year', hi, 'UTC') and i.period_start < date_trunc('month', hi, 'UTC')
  union all
  select k.name_key, p.kind, 1, (p.ms_played >= 10000)::int, (p.ms_played >= 30000)::int,
         (p.ms_played >= 60000)::int, p.ms_played, plays_z_is_skip(p.skipped, p.reason_end)::int,
         (p.skipped is not null or p.reason_end is not null)::int,
         p.ended_at, case when p.ms_played >= 10000 then p.ended_at end,
         case when p.ms_played >= 30000 then p.ended_at end, case when p.ms_played >= 60000 then p.ended_at end,
         p.ended_at, case when p.ms_played >= 10000 then p.ended_at end,
         case when p.ms_played >= 30000 then p.ended_at end, case when p.ms_played >= 60000 then p.ended_at end
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
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
$$;

create or replace function plays_z_totals_between(lo timestamptz, hi timestamptz, want_level text, want_kind text)
returns table (name_key uuid, kind text, plays integer, plays_10s integer, plays_30s integer, plays_60s integer,
               ms_played bigint, skips integer, skip_known integer)
language sql stable parallel safe
as $$
  select t.name_key, t.kind, t.plays, t.plays_10s, t.plays_30s, t.plays_60s, t.ms_played, t.skips, t.skip_known
  from plays_z_totals t
  where t.level = want_level and (want_kind = 'all' or t.kind = want_kind)
    and lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays)
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'year'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and i.period_start >= plays_z_ceil('year', lo)
    and i.period_start < case when plays_z_block_from(lo) < plays_z_block_until(hi)
                              then plays_z_block_from(lo) else date_trunc('year', hi, 'UTC') end
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'block'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and i.period_start >= plays_z_block_from(lo) and i.period_start < plays_z_block_until(hi)
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'year'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and plays_z_block_from(lo) < plays_z_block_until(hi)
    and i.period_start >= plays_z_block_until(hi) and i.period_start < date_trunc('year', hi, 'UTC')
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'month'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and not plays_z_head_as_year(lo, hi)
    and i.period_start >= plays_z_ceil('month', lo)
    and i.period_start < case when plays_z_ceil('year', lo) < date_trunc('year', hi, 'UTC')
                              then plays_z_ceil('year', lo) else date_trunc('month', hi, 'UTC') end
  union all
  -- nine months or more of lo's year: that year's row less its months before the range
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'year'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and plays_z_head_as_year(lo, hi)
    and i.period_start >= date_trunc('year', lo, 'UTC') and i.period_start < plays_z_ceil('year', lo)
  union all
  select i.name_key, i.kind, -i.plays, -i.plays_10s, -i.plays_30s, -i.plays_60s, -i.ms_played, -i.skips, -i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'month'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and plays_z_head_as_year(lo, hi)
    and i.period_start >= date_trunc('year', lo, 'UTC') and i.period_start < plays_z_ceil('month', lo)
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'month'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and plays_z_ceil('year', lo) < date_trunc('year', hi, 'UTC')
    and not plays_z_tail_as_year(lo, hi)
    and i.period_start >= date_trunc('year', hi, 'UTC') and i.period_start < date_trunc('month', hi, 'UTC')
  union all
  -- nine months or more of hi's year: that year's row less its months from hi's month on
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'year'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and plays_z_tail_as_year(lo, hi)
    and i.period_start >= date_trunc('year', hi, 'UTC')
    and i.period_start < date_add(date_trunc('year', hi, 'UTC'), interval '1 year', 'UTC')
  union all
  select i.name_key, i.kind, -i.plays, -i.plays_10s, -i.plays_30s, -i.plays_60s, -i.ms_played, -i.skips, -i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'month'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and plays_z_tail_as_year(lo, hi)
    and i.period_start >= date_trunc('month', hi, 'UTC')
    and i.period_start < date_add(date_trunc('year', hi, 'UTC'), interval '1 year', 'UTC')
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
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
$$;
