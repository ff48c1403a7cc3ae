-- All-time totals per item: the coarsest rollup of plays_z_items (0008_plays_analysis.sql), one row per
-- name_key (track, album, artist, platform, country of one kind) summed over all its year rows: built
-- whole by refresh_plays_z_d2_totals after a first import, then moved by refresh_plays_z_d_years by the
-- difference of the years it rebuilds (db/sql/plays.sql). A date range that holds every play
-- (the Plays page's whole history: its dates are clamped to the first and last day with a play) reads
-- these rows instead of every year row (at 1,000,000 plays: ~110,000 rows instead of ~510,000 year rows
-- plus the partial months at both ends), and a search result's plays are one row here
-- (search_play_items) instead of one per year. No index but the key: the rows are few (a page reads a
-- level whole), and a first import builds them in level order.
create table if not exists plays_z_totals (
  name_key     uuid primary key,             -- plays_z_key(level, kind, artist, name)
  level        text not null,
  kind         text not null,
  plays        integer not null,
  plays_10s    integer not null,
  plays_30s    integer not null,
  plays_60s    integer not null,
  ms_played    bigint not null,
  skips        integer not null,
  skip_known   integer not null,
  first_at     timestamptz not null,
  first_10s_at timestamptz,
  first_30s_at timestamptz,
  first_60s_at timestamptz,
  last_at      timestamptz not null,
  last_10s_at  timestamptz,
  last_30s_at  timestamptz,
  last_60s_at  timestamptz
);

-- A database that holds plays gets its totals now (refresh_plays_z_d_years keeps them after this).
insert into plays_z_totals (name_key, level, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips,
                            skip_known, first_at, first_10s_at, first_30s_at, first_60s_at, last_at, last_10s_at,
                            last_30s_at, last_60s_at)
select i.name_key, i.level, i.kind, sum(i.plays), sum(i.plays_10s), sum(i.plays_30s), sum(i.plays_60s),
       sum(i.ms_played), sum(i.skips), sum(i.skip_known), min(i.first_at), min(i.first_10s_at),
       min(i.first_30s_at), min(i.first_60s_at), max(i.last_at), max(i.last_10s_at), max(i.last_30s_at),
       max(i.last_60s_at)
from plays_z_items i
where i.period = 'year'
group by i.name_key, i.level, i.kind
order by i.level, i.kind
on conflict (name_key) do nothing;

-- Both readers of plays_z_items by date range (0008_plays_analysis.sql, 0016_plays_items_index_only.sql)
-- read plays_z_totals when the range [lo, hi) holds every play, and the year, month and play rows
-- otherwise: the same rows either way, so the same sums. The test is one lookup at each end of
-- plays_natural_key (ended_at first); the planner runs it once and skips the branches it rules out.
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
    and i.period_start >= plays_z_ceil('year', lo) and i.period_start < date_trunc('year', hi, 'UTC')
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
    and i.period_start >= plays_z_ceil('year', lo) and i.period_start < date_trunc('year', hi, 'UTC')
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'month'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
    and i.period_start >= plays_z_ceil('month', lo)
    and i.period_start < case when plays_z_ceil('year', lo) < date_trunc('year', hi, 'UTC')
                              then plays_z_ceil('year', lo) else date_trunc('month', hi, 'UTC') end
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'month'
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
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
    and not (lo <= (select min(ended_at) from plays) and hi > (select max(ended_at) from plays))
$$;
