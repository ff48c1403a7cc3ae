-- Plays analysis (app_pages/plays.py) over the rollups of db/migrations/0008_plays_analysis.sql.
-- Shared parameters, where a query takes them:
--   tz           an IANA time zone PostgreSQL knows (plays_time_zone validates it); every day, hour,
--                week and month is the user's, converted from UTC with AT TIME ZONE.
--   quarter      true when the zone has a :30 / :45 offset in the data's years (plays_time_zone
--                says): hour buckets would straddle its local hours, so 15-minute buckets are read.
--   fixed_offset the zone's offset in seconds when it had one offset on every day of the data, else
--                null (plays_time_zone says): buckets then get their local day and hour by arithmetic,
--                not by a conversion per row (plays_z_local_day, 0027_plays_local_time.sql).
--   since, until local dates, inclusive.
--   kind         music | podcast | audiobook | unknown | all (every kind).
--   min_seconds  what counts as a play: 0 (every stream), 10, 30 or 60 seconds or more.
--   level        track | album | artist | platform | country.
-- One rule for every figure, the page states it: a play is a stream of at least :min_seconds (plays,
-- days with a play, streaks, first and last play, new artists, ranks); minutes and hours count every
-- stream, however short, and so do `streams`, sessions and skips (a skip is `skipped`, or reason_end
-- 'fwdbtn'; the skip rate's base is the streams that carry either field). A list of items (top lists,
-- distinct counts, on this day, first and last listen, two periods, forgotten gems) holds the items
-- with at least one play, with every stream's minutes of each. The exceptions say so in their names:
-- first_stream / last_stream (any stream) and a session's minutes_played (overlaps counted once).

-- In this file, in order: the refresh queries (run after refresh_plays_rollups, in the order of
-- db/refresh.py's PIPELINE); what there is and the time zone; charts over time (from
-- plays_z_hourly, or plays_z_quarter); what was played (plays_z_items_between: whole months and years
-- from plays_z_items, the partial months at the ends of a range from `plays`; names from
-- plays_z_names); sessions (plays_z_sessions: a session belongs to the local dates it starts in);
-- discovery, first and last listens and forgotten gems (all time, from the year rows); two periods;
-- on this day (straight from `plays`, one index range scan per earlier year).

-- name: refresh_plays_z_a1_full_items
-- When plays_z_hourly is empty (a first import, or plays stored before these rollups existed),
-- builds every month and year row of plays_z_items and the names of plays_z_names from all plays;
-- otherwise touches nothing. Returns how many month rows were built. One pass over the plays with
-- grouping sets, as refresh_plays_z_c_months does for changed months; the year rows are summed from
-- those month rows in memory. The a1..a3 queries all ask whether plays_z_hourly is empty, and a3
-- fills it last, so they agree; a3 then empties plays_z_dirty_hours and b..e have nothing to do.
-- example: {}
with go as (
  select not exists (select 1 from plays_z_hourly) as full_build
), cleared as (
  delete from plays_z_items where (select full_build from go)
), cleared_totals as (   -- refresh_plays_z_d2_totals then builds them whole
  delete from plays_z_totals where (select full_build from go)
), leveled as materialized (
  select * from plays_z_month_items('-infinity', 'infinity') where (select full_build from go)
), new_months as (
  insert into plays_z_items (period, period_start, level, name_key, kind, plays, plays_10s, plays_30s, plays_60s,
                             ms_played, skips, skip_known, first_at, first_10s_at, first_30s_at, first_60s_at,
                             last_at, last_10s_at, last_30s_at, last_60s_at)
  select 'month', month_utc, level, name_key, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips,
         skip_known, first_at, first_10s_at, first_30s_at, first_60s_at, last_at, last_10s_at, last_30s_at,
         last_60s_at
  from leveled
), new_years as (
  insert into plays_z_items (period, period_start, level, name_key, kind, plays, plays_10s, plays_30s, plays_60s,
                             ms_played, skips, skip_known, first_at, first_10s_at, first_30s_at, first_60s_at,
                             last_at, last_10s_at, last_30s_at, last_60s_at)
  select 'year', date_trunc('year', month_utc, 'UTC'), level, name_key, kind, sum(plays), sum(plays_10s),
         sum(plays_30s), sum(plays_60s), sum(ms_played), sum(skips), sum(skip_known),
         min(first_at), min(first_10s_at), min(first_30s_at), min(first_60s_at),
         max(last_at), max(last_10s_at), max(last_30s_at), max(last_60s_at)
  from leveled
  group by 2, level, name_key, kind
), new_names as (
  insert into plays_z_names (name_key, level, kind, name, artist, track_id)
  select name_key, any_value(level), any_value(kind), any_value(l_name), any_value(l_artist),
         max(track_id) filter (where level = 'track')
  from leveled
  group by name_key
  on conflict (name_key) do nothing
)
select count(*) as months_built from leveled;

-- name: refresh_plays_z_a2_full_sessions
-- When plays_z_hourly is empty (see refresh_plays_z_a1_full_items), builds every listening session,
-- per kind and for every kind together, from all plays; otherwise touches nothing. Returns how many
-- sessions were built. The same sessions as refresh_plays_z_e_sessions, from one ordering of the
-- plays by when they ended: a play's previous stream of its own kind is the latest one of that kind
-- in the rows before it, and its session of its kind counts the starts of that kind so far (peers,
-- equal ended_at, included), so no second ordering per kind is needed to find the sessions; their
-- ms_heard (the union of their streams' intervals) orders each session's streams by start.
-- example: {}
with go as (
  select not exists (select 1 from plays_z_hourly) as full_build
), cleared as (
  delete from plays_z_sessions where (select full_build from go)
), ordered as (
  select p.kind, p.ended_at, p.ms_played, p.ended_at - p.ms_played * interval '1 millisecond' as started_at,
         max(p.ended_at) over before as prev_all,
         max(p.ended_at) filter (where p.kind = 'music') over before as prev_music,
         max(p.ended_at) filter (where p.kind = 'podcast') over before as prev_podcast,
         max(p.ended_at) filter (where p.kind = 'audiobook') over before as prev_audiobook,
         max(p.ended_at) filter (where p.kind = 'unknown') over before as prev_unknown
  from plays p
  where (select full_build from go)
  window before as (order by p.ended_at rows between unbounded preceding and 1 preceding)
), marked as (
  select kind, ended_at, ms_played, started_at,
         case when started_at - prev_all <= interval '30 minutes' then 0 else 1 end as starts_all,
         case when started_at - case kind when 'music' then prev_music when 'podcast' then prev_podcast
                                          when 'audiobook' then prev_audiobook else prev_unknown end
                   <= interval '30 minutes' then 0 else 1 end as starts
  from ordered
), numbered as (
  select kind, ended_at, ms_played, started_at, sum(starts_all) over upto as session_all,
         case kind when 'music' then sum(starts) filter (where kind = 'music') over upto
                   when 'podcast' then sum(starts) filter (where kind = 'podcast') over upto
                   when 'audiobook' then sum(starts) filter (where kind = 'audiobook') over upto
                   else sum(starts) filter (where kind = 'unknown') over upto end as session_no
  from marked
  window upto as (order by ended_at)
), covered as (
  -- how far the session's streams that started earlier reach: the part of a stream before that was
  -- already playing, so the session's ms_heard counts it once (in its kind, and among all kinds)
  select *, max(ended_at) over (partition by kind, session_no order by started_at, ended_at
                                rows between unbounded preceding and 1 preceding) as covered_kind,
            max(ended_at) over (partition by session_all order by started_at, ended_at
                                rows between unbounded preceding and 1 preceding) as covered_all
  from numbered
), heard as (
  select *, ms_played - least(ms_played, greatest(0, (extract(epoch from covered_kind - started_at) * 1000)::bigint))
              as heard_kind,
            ms_played - least(ms_played, greatest(0, (extract(epoch from covered_all - started_at) * 1000)::bigint))
              as heard_all
  from covered
), new_sessions as (
  insert into plays_z_sessions (kind, started_at, first_end, last_end, plays, ms_played, ms_heard)
  select case when grouping(kind) = 1 then 'all' else kind end, min(started_at), min(ended_at), max(ended_at),
         count(*), sum(ms_played),
         case when grouping(kind) = 1 then sum(heard_all) else sum(heard_kind) end
  from heard
  group by grouping sets ((kind, session_no), (session_all))
  returning 1
)
select count(*) as sessions_built from new_sessions;

-- name: refresh_plays_z_a3_full_hours
-- When plays_z_hourly is empty (see refresh_plays_z_a1_full_items), builds plays_z_quarter from all
-- plays and plays_z_hourly from those quarter hours, and empties plays_z_dirty_hours: what a1..a3
-- built from scratch needs no rebuild by hour. Otherwise touches nothing. Returns how many quarter
-- hours were built.
-- example: {}
with go as (
  select not exists (select 1 from plays_z_hourly) as full_build
), cleared as (
  delete from plays_z_quarter where (select full_build from go)
), done as (
  delete from plays_z_dirty_hours where (select full_build from go)
), quarters as materialized (
  select date_bin('15 minutes', ended_at, timestamptz '2000-01-01 00:00+00') as quarter_utc, kind,
         count(*) as plays, count(*) filter (where ms_played >= 10000) as plays_10s,
         count(*) filter (where ms_played >= 30000) as plays_30s,
         count(*) filter (where ms_played >= 60000) as plays_60s, sum(ms_played) as ms_played,
         count(*) filter (where plays_z_is_skip(skipped, reason_end)) as skips,
         count(*) filter (where skipped is not null or reason_end is not null) as skip_known
  from plays
  where (select full_build from go)
  group by 1, 2
), new_quarters as (
  insert into plays_z_quarter (quarter_utc, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips, skip_known)
  select quarter_utc, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips, skip_known
  from quarters
), new_hours as (
  insert into plays_z_hourly (hour_utc, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips, skip_known)
  select date_bin('1 hour', quarter_utc, timestamptz '2000-01-01 00:00+00'), kind, sum(plays), sum(plays_10s),
         sum(plays_30s), sum(plays_60s), sum(ms_played), sum(skips), sum(skip_known)
  from quarters
  group by 1, 2
)
select count(*) as quarters_built from quarters;

-- name: refresh_plays_z_b_hours
-- Rebuilds plays_z_hourly and plays_z_quarter for the changed hours; returns how many hours.
-- Changed hours less than a week apart are read as one range of `plays` (few index scans).
-- example: {}
with hours as (
  select distinct hour_utc from plays_z_dirty_hours
), runs as (
  select min(hour_utc) as r_lo, max(hour_utc) + interval '1 hour' as r_hi
  from (select hour_utc,
               count(*) filter (where gap is null or gap >= interval '7 days') over (order by hour_utc) as run
        from (select hour_utc, hour_utc - lag(hour_utc) over (order by hour_utc) as gap from hours) g) r
  group by run
), src as materialized (
  select p.ended_at, p.kind, p.ms_played, plays_z_is_skip(p.skipped, p.reason_end) as skip,
         (p.skipped is not null or p.reason_end is not null) as known
  from runs r
  join plays p on p.ended_at >= r.r_lo and p.ended_at < r.r_hi
  where date_bin('1 hour', p.ended_at, timestamptz '2000-01-01 00:00+00') in (select hour_utc from hours)
), old_hours as (
  delete from plays_z_hourly r using hours h where r.hour_utc = h.hour_utc
), old_quarters as (
  delete from plays_z_quarter r using hours h
  where r.quarter_utc >= h.hour_utc and r.quarter_utc < h.hour_utc + interval '1 hour'
), new_hours as (
  insert into plays_z_hourly (hour_utc, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips, skip_known)
  select date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00'), kind, count(*), count(*) filter (where ms_played >= 10000),
         count(*) filter (where ms_played >= 30000), count(*) filter (where ms_played >= 60000),
         sum(ms_played), count(*) filter (where skip), count(*) filter (where known)
  from src
  group by 1, 2
), new_quarters as (
  insert into plays_z_quarter (quarter_utc, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips, skip_known)
  select date_bin('15 minutes', ended_at, timestamptz '2000-01-01 00:00+00'), kind, count(*),
         count(*) filter (where ms_played >= 10000), count(*) filter (where ms_played >= 30000),
         count(*) filter (where ms_played >= 60000), sum(ms_played), count(*) filter (where skip),
         count(*) filter (where known)
  from src
  group by 1, 2
)
select count(*) as hours_rebuilt from hours;

-- name: refresh_plays_z_c_months
-- Rebuilds the month rows of plays_z_items (every level, in one pass over the plays with grouping
-- sets) for the UTC months holding a changed hour, and adds new names to plays_z_names; returns
-- how many months.
-- example: {}
with months as (
  select distinct date_trunc('month', hour_utc, 'UTC') as month_utc from plays_z_dirty_hours
), runs as (
  select min(month_utc) as r_lo, date_add(max(month_utc), interval '1 month', 'UTC') as r_hi
  from (select month_utc, count(*) filter (where prev is null or month_utc > date_add(prev, interval '1 month', 'UTC'))
                            over (order by month_utc) as run
        from (select month_utc, lag(month_utc) over (order by month_utc) as prev from months) m) r
  group by run
), leveled as materialized (
  select f.* from runs r cross join lateral plays_z_month_items(r.r_lo, r.r_hi) f
), old_rows as (
  delete from plays_z_items i using months m where i.period = 'month' and i.period_start = m.month_utc
), new_rows as (
  insert into plays_z_items (period, period_start, level, name_key, kind, plays, plays_10s, plays_30s, plays_60s,
                             ms_played, skips, skip_known, first_at, first_10s_at, first_30s_at, first_60s_at,
                             last_at, last_10s_at, last_30s_at, last_60s_at)
  select 'month', month_utc, level, name_key, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips,
         skip_known, first_at, first_10s_at, first_30s_at, first_60s_at, last_at, last_10s_at, last_30s_at,
         last_60s_at
  from leveled
), new_names as (
  insert into plays_z_names (name_key, level, kind, name, artist, track_id)
  select name_key, any_value(level), any_value(kind), any_value(l_name), any_value(l_artist),
         max(track_id) filter (where level = 'track')
  from leveled
  group by name_key
  on conflict (name_key) do nothing
)
select count(*) as months_rebuilt from months;

-- name: refresh_plays_z_d_years
-- Rebuilds the year rows of plays_z_items from the month rows for the UTC years holding a changed
-- hour, and moves plays_z_totals (every item's year rows summed; db/migrations/0017_plays_z_totals.sql)
-- by the difference: its sums lose the old rows of those years and gain the new ones; its first and
-- last times stay exact without reading other years when they did not come from the rebuilt years or
-- the new rows reach them (plays added, the usual import); for other items (plays changed or
-- removed) they are summed again from their year rows outside the rebuilt years plus the new ones.
-- An item left without year rows loses its total. Totals not built yet (empty) are left to
-- refresh_plays_z_d2_totals. Returns how many years.
-- example: {}
with years as (
  select distinct date_trunc('year', hour_utc, 'UTC') as year_utc from plays_z_dirty_hours
), old_rows as (
  delete from plays_z_items i using years y where i.period = 'year' and i.period_start = y.year_utc
  returning i.*
), new_rows as (
  insert into plays_z_items (period, period_start, level, name_key, kind, plays, plays_10s, plays_30s, plays_60s,
                             ms_played, skips, skip_known, first_at, first_10s_at, first_30s_at, first_60s_at,
                             last_at, last_10s_at, last_30s_at, last_60s_at)
  select 'year', y.year_utc, i.level, i.name_key, i.kind, sum(i.plays), sum(i.plays_10s), sum(i.plays_30s),
         sum(i.plays_60s), sum(i.ms_played), sum(i.skips), sum(i.skip_known),
         min(i.first_at), min(i.first_10s_at), min(i.first_30s_at), min(i.first_60s_at),
         max(i.last_at), max(i.last_10s_at), max(i.last_30s_at), max(i.last_60s_at)
  from years y
  join plays_z_items i on i.period = 'month' and i.period_start >= y.year_utc
                      and i.period_start < date_add(y.year_utc, interval '1 year', 'UTC')
  group by y.year_utc, i.level, i.name_key, i.kind
  returning *
), kept as (   -- totals are kept here once built
  select exists (select 1 from plays_z_totals) as yes
), o as (
  select name_key, sum(r.plays) as plays, sum(r.plays_10s) as plays_10s, sum(r.plays_30s) as plays_30s, sum(r.plays_60s) as plays_60s, sum(r.ms_played) as ms_played, sum(r.skips) as skips, sum(r.skip_known) as skip_known, min(r.first_at) as first_at, min(r.first_10s_at) as first_10s_at, min(r.first_30s_at) as first_30s_at, min(r.first_60s_at) as first_60s_at, max(r.last_at) as last_at, max(r.last_10s_at) as last_10s_at, max(r.last_30s_at) as last_30s_at, max(r.last_60s_at) as last_60s_at from old_rows r where (select yes from kept) group by name_key
), n as (
  select name_key, min(level) as level, min(kind) as kind, sum(r.plays) as plays, sum(r.plays_10s) as plays_10s, sum(r.plays_30s) as plays_30s, sum(r.plays_60s) as plays_60s, sum(r.ms_played) as ms_played, sum(r.skips) as skips, sum(r.skip_known) as skip_known, min(r.first_at) as first_at, min(r.first_10s_at) as first_10s_at, min(r.first_30s_at) as first_30s_at, min(r.first_60s_at) as first_60s_at, max(r.last_at) as last_at, max(r.last_10s_at) as last_10s_at, max(r.last_30s_at) as last_30s_at, max(r.last_60s_at) as last_60s_at
  from new_rows r where (select yes from kept) group by name_key
), moved as (
  select coalesce(n.name_key, o.name_key) as name_key, coalesce(n.level, t.level) as level,
         coalesce(n.kind, t.kind) as kind, t.name_key is not null as had,
         coalesce(t.name_key is not null
           and (t.first_at is null or o.first_at is null or t.first_at < o.first_at or n.first_at <= t.first_at)
             and (t.first_10s_at is null or o.first_10s_at is null or t.first_10s_at < o.first_10s_at or n.first_10s_at <= t.first_10s_at)
             and (t.first_30s_at is null or o.first_30s_at is null or t.first_30s_at < o.first_30s_at or n.first_30s_at <= t.first_30s_at)
             and (t.first_60s_at is null or o.first_60s_at is null or t.first_60s_at < o.first_60s_at or n.first_60s_at <= t.first_60s_at)
             and (t.last_at is null or o.last_at is null or t.last_at > o.last_at or n.last_at >= t.last_at)
             and (t.last_10s_at is null or o.last_10s_at is null or t.last_10s_at > o.last_10s_at or n.last_10s_at >= t.last_10s_at)
             and (t.last_30s_at is null or o.last_30s_at is null or t.last_30s_at > o.last_30s_at or n.last_30s_at >= t.last_30s_at)
             and (t.last_60s_at is null or o.last_60s_at is null or t.last_60s_at > o.last_60s_at or n.last_60s_at >= t.last_60s_at), false) as simple,
         t.plays - coalesce(o.plays, 0) + coalesce(n.plays, 0) as plays,
         t.plays_10s - coalesce(o.plays_10s, 0) + coalesce(n.plays_10s, 0) as plays_10s,
         t.plays_30s - coalesce(o.plays_30s, 0) + coalesce(n.plays_30s, 0) as plays_30s,
         t.plays_60s - coalesce(o.plays_60s, 0) + coalesce(n.plays_60s, 0) as plays_60s,
         t.ms_played - coalesce(o.ms_played, 0) + coalesce(n.ms_played, 0) as ms_played,
         t.skips - coalesce(o.skips, 0) + coalesce(n.skips, 0) as skips,
         t.skip_known - coalesce(o.skip_known, 0) + coalesce(n.skip_known, 0) as skip_known,
         least(t.first_at, n.first_at) as first_at,
         least(t.first_10s_at, n.first_10s_at) as first_10s_at,
         least(t.first_30s_at, n.first_30s_at) as first_30s_at,
         least(t.first_60s_at, n.first_60s_at) as first_60s_at,
         greatest(t.last_at, n.last_at) as last_at,
         greatest(t.last_10s_at, n.last_10s_at) as last_10s_at,
         greatest(t.last_30s_at, n.last_30s_at) as last_30s_at,
         greatest(t.last_60s_at, n.last_60s_at) as last_60s_at
  from o full join n using (name_key)
  left join plays_z_totals t on t.name_key = coalesce(n.name_key, o.name_key)
), others as (   -- the year rows outside the rebuilt years of the items whose extremes need them
  select i.name_key, sum(i.plays) as plays, sum(i.plays_10s) as plays_10s, sum(i.plays_30s) as plays_30s, sum(i.plays_60s) as plays_60s, sum(i.ms_played) as ms_played, sum(i.skips) as skips, sum(i.skip_known) as skip_known, min(i.first_at) as first_at, min(i.first_10s_at) as first_10s_at, min(i.first_30s_at) as first_30s_at, min(i.first_60s_at) as first_60s_at, max(i.last_at) as last_at, max(i.last_10s_at) as last_10s_at, max(i.last_30s_at) as last_30s_at, max(i.last_60s_at) as last_60s_at
  from plays_z_items i
  where i.period = 'year' and i.period_start not in (select year_utc from years)
    and i.name_key in (select name_key from moved where not simple)
  group by i.name_key
), resummed as (
  select m.name_key, m.level, m.kind,
         coalesce(a.plays, 0) + coalesce(n.plays, 0) as plays,
         coalesce(a.plays_10s, 0) + coalesce(n.plays_10s, 0) as plays_10s,
         coalesce(a.plays_30s, 0) + coalesce(n.plays_30s, 0) as plays_30s,
         coalesce(a.plays_60s, 0) + coalesce(n.plays_60s, 0) as plays_60s,
         coalesce(a.ms_played, 0) + coalesce(n.ms_played, 0) as ms_played,
         coalesce(a.skips, 0) + coalesce(n.skips, 0) as skips,
         coalesce(a.skip_known, 0) + coalesce(n.skip_known, 0) as skip_known,
         least(a.first_at, n.first_at) as first_at,
         least(a.first_10s_at, n.first_10s_at) as first_10s_at,
         least(a.first_30s_at, n.first_30s_at) as first_30s_at,
         least(a.first_60s_at, n.first_60s_at) as first_60s_at,
         greatest(a.last_at, n.last_at) as last_at,
         greatest(a.last_10s_at, n.last_10s_at) as last_10s_at,
         greatest(a.last_30s_at, n.last_30s_at) as last_30s_at,
         greatest(a.last_60s_at, n.last_60s_at) as last_60s_at
  from moved m
  left join others a using (name_key)
  left join n using (name_key)
  where not m.simple
), result as (
  select name_key, level, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips, skip_known, first_at, first_10s_at, first_30s_at, first_60s_at, last_at, last_10s_at, last_30s_at, last_60s_at from moved where simple
  union all
  select name_key, level, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips, skip_known, first_at, first_10s_at, first_30s_at, first_60s_at, last_at, last_10s_at, last_30s_at, last_60s_at from resummed
), gone as (
  delete from plays_z_totals t using result r where t.name_key = r.name_key and coalesce(r.plays, 0) = 0
), written as (
  insert into plays_z_totals (name_key, level, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips, skip_known, first_at, first_10s_at, first_30s_at, first_60s_at, last_at, last_10s_at, last_30s_at, last_60s_at)
  select name_key, level, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips, skip_known, first_at, first_10s_at, first_30s_at, first_60s_at, last_at, last_10s_at, last_30s_at, last_60s_at from result where plays > 0
  on conflict (name_key) do update set
    level = excluded.level,
    kind = excluded.kind,
    plays = excluded.plays,
    plays_10s = excluded.plays_10s,
    plays_30s = excluded.plays_30s,
    plays_60s = excluded.plays_60s,
    ms_played = excluded.ms_played,
    skips = excluded.skips,
    skip_known = excluded.skip_known,
    first_at = excluded.first_at,
    first_10s_at = excluded.first_10s_at,
    first_30s_at = excluded.first_30s_at,
    first_60s_at = excluded.first_60s_at,
    last_at = excluded.last_at,
    last_10s_at = excluded.last_10s_at,
    last_30s_at = excluded.last_30s_at,
    last_60s_at = excluded.last_60s_at
)
select count(*) as years_rebuilt from years;

-- name: refresh_plays_z_d2_totals
-- Builds plays_z_totals (db/migrations/0017_plays_z_totals.sql: every item's year rows summed) whole
-- when it is empty and there are year rows: after a first import (refresh_plays_z_a1_full_items
-- empties it when it builds the rollups from scratch); refresh_plays_z_d_years keeps it after that.
-- Returns how many rows were written.
-- example: {}
with written as (
  insert into plays_z_totals (name_key, level, kind, plays, plays_10s, plays_30s, plays_60s, ms_played, skips,
                              skip_known, first_at, first_10s_at, first_30s_at, first_60s_at, last_at,
                              last_10s_at, last_30s_at, last_60s_at)
  select i.name_key, i.level, i.kind, sum(i.plays), sum(i.plays_10s), sum(i.plays_30s), sum(i.plays_60s),
         sum(i.ms_played), sum(i.skips), sum(i.skip_known), min(i.first_at), min(i.first_10s_at),
         min(i.first_30s_at), min(i.first_60s_at), max(i.last_at), max(i.last_10s_at), max(i.last_30s_at),
         max(i.last_60s_at)
  from plays_z_items i
  where i.period = 'year' and not exists (select 1 from plays_z_totals)
  group by i.name_key, i.level, i.kind
  order by i.level, i.kind
  returning 1
)
select count(*) as totals_written from written;

-- name: refresh_plays_z_e_sessions
-- Rebuilds the listening sessions around the changed hours, per kind and for every kind together:
-- from the start of the session before the first changed hour to the end of the session after the
-- last one (sessions outside that window cannot change). Returns how many kinds were redone.
-- example: {}
with bounds as (
  select min(hour_utc) as lo, max(hour_utc) + interval '1 hour' as hi from plays_z_dirty_hours
), kinds (kind) as (
  values ('music'), ('podcast'), ('audiobook'), ('unknown'), ('all')
), win as (
  -- Without a session of the kind before (after) the changed hours, no stored play of it lies
  -- there either: the window stops at the changed hours (not at -infinity / infinity, which read
  -- every play, and while an import is loading, every row it has not committed yet).
  select k.kind,
         coalesce((select max(s.first_end) from plays_z_sessions s where s.kind = k.kind and s.first_end < b.lo),
                  b.lo) as w_lo,
         coalesce((select min(s.last_end) from plays_z_sessions s where s.kind = k.kind and s.last_end >= b.hi),
                  b.hi) as w_hi
  from kinds k cross join bounds b
  where b.lo is not null
), old_sessions as (
  delete from plays_z_sessions s using win w
  where s.kind = w.kind and s.last_end >= w.w_lo and s.first_end <= w.w_hi
), src as (
  select w.kind, p.ended_at, p.ms_played,
         p.ended_at - p.ms_played * interval '1 millisecond' as started_at
  from win w
  join plays p on p.ended_at >= w.w_lo and p.ended_at <= w.w_hi and (w.kind = 'all' or p.kind = w.kind)
), marked as (
  select kind, ended_at, ms_played, started_at,
         case when started_at - lag(ended_at) over w <= interval '30 minutes' then 0 else 1 end as starts
  from src
  window w as (partition by kind order by ended_at)
), numbered as (
  -- peers (equal ended_at) share a number: a tie never starts a session
  select *, sum(starts) over (partition by kind order by ended_at) as session_no
  from marked
), covered as (
  -- how far the session's streams that started earlier reach (see refresh_plays_z_a2_full_sessions)
  select *, max(ended_at) over (partition by kind, session_no order by started_at, ended_at
                                rows between unbounded preceding and 1 preceding) as covered
  from numbered
), new_sessions as (
  insert into plays_z_sessions (kind, started_at, first_end, last_end, plays, ms_played, ms_heard)
  select kind, min(started_at), min(ended_at), max(ended_at), count(*), sum(ms_played),
         sum(ms_played - least(ms_played, greatest(0, (extract(epoch from covered - started_at) * 1000)::bigint)))
  from covered
  group by kind, session_no
)
select count(*) as kinds_redone from win;

-- name: refresh_plays_z_f_done
-- Empties the list of changed hours once every rollup above is rebuilt; returns how many there were.
-- example: {}
with done as (
  delete from plays_z_dirty_hours returning 1
)
select count(*) as hours_done from done;

-- name: plays_overview
-- One row: the first and last stream (UTC, and as dates in the zone :tz) and the streams stored per
-- kind; every count is 0 when nothing was imported. The page's empty state and date limits.
-- example: {"tz": "Europe/Berlin"}
with span as (
  select (select min(ended_at) from plays) as first_at, (select max(ended_at) from plays) as last_at
)
select s.first_at, s.last_at,
       (s.first_at at time zone :tz)::date as first_day,
       (s.last_at at time zone :tz)::date as last_day,
       coalesce(sum(h.plays), 0)::bigint as streams,
       coalesce(sum(h.plays) filter (where h.kind = 'music'), 0)::bigint as music,
       coalesce(sum(h.plays) filter (where h.kind = 'podcast'), 0)::bigint as podcast,
       coalesce(sum(h.plays) filter (where h.kind = 'audiobook'), 0)::bigint as audiobook,
       coalesce(sum(h.plays) filter (where h.kind = 'unknown'), 0)::bigint as unknown
from span s
left join plays_z_hourly h on true
group by s.first_at, s.last_at;

-- name: plays_time_zones
-- Every time zone name PostgreSQL knows (the posix/ copies left out), with its abbreviation and
-- offset now: the time zone setting's choices.
-- example: {}
select name, abbrev, utc_offset::text as utc_offset
from pg_timezone_names
where left(name, 6) <> 'posix/'
order by name;

-- name: plays_time_zone
-- The zone :tz when PostgreSQL knows it (exact name; no row otherwise), its offset now, `quarter`:
-- whether its offset is not a whole number of hours on some day between the first and the last
-- stream, in which case the timelines read the 15-minute rollup, and `fixed_offset`: its offset in
-- seconds when it was the same on every one of those days, else null (the offset is looked at once a
-- day: no zone changes its offset and back within a day). `first_day`, `last_day`: the local dates of
-- the first and last stream (null without plays; db.zones.reads_outside).
-- example: {"tz": "Asia/Kolkata"}
with z as (
  select name, abbrev, utc_offset, is_dst from pg_timezone_names where name = :tz
), span as (
  select coalesce(min(ended_at), now()) as lo, coalesce(max(ended_at), now()) as hi from plays
), looks as (
  select extract(epoch from (d at time zone z.name) - (d at time zone 'UTC'))::integer as off
  from z, span, generate_series(span.lo, span.hi + interval '1 day', interval '1 day') as d
)
select z.name, z.abbrev, z.utc_offset::text as utc_offset, z.is_dst,
       exists (select 1 from looks where mod(off, 3600) <> 0) as quarter,
       (select case when min(off) = max(off) then min(off) end from looks) as fixed_offset,
       ((select min(ended_at) from plays) at time zone z.name)::date as first_day,
       ((select max(ended_at) from plays) at time zone z.name)::date as last_day
from z;

-- name: plays_totals
-- One row for the local dates since..until: minutes listened, plays (streams of at least
-- :min_seconds), every stream, skips and the streams that say whether they were skipped, days with
-- a play, and the first and last of those days.
-- example: {"tz": "Europe/Berlin", "quarter": false, "fixed_offset": null, "since": "2025-01-01", "until": "2025-12-31", "kind": "music", "min_seconds": 30}
with r as (
  select cast(:since as date)::timestamp at time zone :tz as lo,
         (cast(:until as date) + 1)::timestamp at time zone :tz as hi
), days as (
  select plays_z_local_day(b.bucket_utc, :tz, :fixed_offset) as day, sum(b.ms_played) as ms_played,
         sum(plays_z_pick(:min_seconds, b.plays, b.plays_10s, b.plays_30s, b.plays_60s)) as plays,
         sum(b.plays) as streams, sum(b.skips) as skips, sum(b.skip_known) as skip_known
  from r cross join lateral plays_z_buckets(:quarter, r.lo, r.hi, :kind) b
  group by 1
)
select coalesce(sum(ms_played), 0)::float8 / 60000 as minutes,
       coalesce(sum(plays), 0)::bigint as plays,
       coalesce(sum(streams), 0)::bigint as streams,
       coalesce(sum(skips), 0)::bigint as skips,
       coalesce(sum(skip_known), 0)::bigint as skip_known,
       count(*) filter (where plays > 0) as days,
       min(day) filter (where plays > 0) as first_day,
       max(day) filter (where plays > 0) as last_day
from days;

-- name: plays_timeline
-- Minutes, plays (streams of at least :min_seconds), every stream and skips per local day, ISO week
-- (starting Monday) or month (:grain = day | week | month | year) between since and until;
-- periods without a stream are left out.
-- example: {"tz": "Europe/Berlin", "quarter": false, "fixed_offset": null, "since": "2024-01-01", "until": "2024-12-31", "kind": "music", "min_seconds": 30, "grain": "day", "limit": 10000}
with r as (
  select cast(:since as date)::timestamp at time zone :tz as lo,
         (cast(:until as date) + 1)::timestamp at time zone :tz as hi
), days as (
  select plays_z_local_day(b.bucket_utc, :tz, :fixed_offset) as day, sum(b.ms_played) as ms_played,
         sum(plays_z_pick(:min_seconds, b.plays, b.plays_10s, b.plays_30s, b.plays_60s)) as plays,
         sum(b.plays) as streams, sum(b.skips) as skips
  from r cross join lateral plays_z_buckets(:quarter, r.lo, r.hi, :kind) b
  group by 1
)
select date_trunc(:grain, day::timestamp)::date as period,
       sum(ms_played)::float8 / 60000 as minutes,
       sum(plays)::bigint as plays,
       sum(streams)::bigint as streams,
       sum(skips)::bigint as skips
from days
group by 1
order by 1
limit :limit;

-- name: plays_heatmap
-- Minutes and plays (streams of at least :min_seconds) per local weekday (ISO: 1 = Monday) and hour
-- of day between since and until: at most 7 x 24 rows.
-- example: {"tz": "Europe/Berlin", "quarter": false, "fixed_offset": null, "since": "2024-01-01", "until": "2024-12-31", "kind": "music", "min_seconds": 30}
with r as (
  select cast(:since as date)::timestamp at time zone :tz as lo,
         (cast(:until as date) + 1)::timestamp at time zone :tz as hi
), w as (
  select plays_z_week_hour(b.bucket_utc, :tz, :fixed_offset) as week_hour, sum(b.ms_played) as ms_played,
         sum(plays_z_pick(:min_seconds, b.plays, b.plays_10s, b.plays_30s, b.plays_60s)) as plays
  from r cross join lateral plays_z_buckets(:quarter, r.lo, r.hi, :kind) b
  group by 1
)
select week_hour / 24 + 1 as weekday, week_hour % 24 as hour,
       ms_played::float8 / 60000 as minutes,
       plays::bigint as plays
from w
order by 1, 2;

-- name: plays_by_hour
-- Per local hour of day (0-23) between since and until: minutes, every stream, skips, the streams
-- that say whether they were skipped, and the skip rate (null without such streams).
-- example: {"tz": "Europe/Berlin", "quarter": false, "fixed_offset": null, "since": "2024-01-01", "until": "2024-12-31", "kind": "music"}
with r as (
  select cast(:since as date)::timestamp at time zone :tz as lo,
         (cast(:until as date) + 1)::timestamp at time zone :tz as hi
)
select plays_z_week_hour(b.bucket_utc, :tz, :fixed_offset) % 24 as hour,
       sum(b.ms_played)::float8 / 60000 as minutes,
       sum(b.plays)::bigint as streams,
       sum(b.skips)::bigint as skips,
       sum(b.skip_known)::bigint as skip_known,
       sum(b.skips)::float8 / nullif(sum(b.skip_known), 0) as skip_rate
from r cross join lateral plays_z_buckets(:quarter, r.lo, r.hi, :kind) b
group by 1
order by 1;

-- name: plays_streaks
-- Daily streaks between since and until: runs of consecutive local days with at least one play
-- (a stream of at least :min_seconds), longest first; `latest` marks the run that ends on the
-- range's last day with a play.
-- example: {"tz": "Europe/Berlin", "quarter": false, "fixed_offset": null, "since": "2011-01-01", "until": "2026-12-31", "kind": "music", "min_seconds": 30, "limit": 10}
with r as (
  select cast(:since as date)::timestamp at time zone :tz as lo,
         (cast(:until as date) + 1)::timestamp at time zone :tz as hi
), days as (
  select plays_z_local_day(b.bucket_utc, :tz, :fixed_offset) as day
  from r cross join lateral plays_z_buckets(:quarter, r.lo, r.hi, :kind) b
  group by 1
  having sum(plays_z_pick(:min_seconds, b.plays, b.plays_10s, b.plays_30s, b.plays_60s)) > 0
), runs as (
  select min(day) as first_day, max(day) as last_day, count(*) as days
  from (select day, day - (row_number() over (order by day))::int as run from days) d
  group by run
)
select first_day, last_day, days, last_day = (select max(day) from days) as latest
from runs
order by days desc, last_day desc
limit :limit;

-- name: plays_top
-- The top :limit tracks, albums, artists (shows for podcasts), platforms or countries (:level)
-- between the local dates since and until, by plays (streams of at least :min_seconds) or by
-- minutes (:order_by = plays | minutes; minutes count every stream); only items with a play. With
-- every stream, skips, and the first and last play in the range (local time).
-- The sums come from the rollups' indexes alone (plays_z_totals_between, as plays_counts): first and
-- last times do not add up, and reading them for every item of a long range meant a heap visit per
-- year row (2012-2025 of 999,966 plays: ~226,000). They are looked up for the listed items only:
-- from the item's first (last) year row inside the range (plays_z_items_year_key_idx, by item and
-- year: db/migrations/0029_plays_items_year_key_by_year.sql), and at the range's ends from the year
-- row of lo's (hi's) year when that year's first (last) play falls in the range; when the item was
-- played in that year both before and after lo (hi), from `plays`, reading forward from lo (back
-- from hi) to the item's first such play, within that year.
-- With :outside (the caller's choice, bound as a literal: db.zones.reads_outside), the sums
-- are all time less the rows outside the range (plays_z_range_rows,
-- db/migrations/0030_plays_long_ranges.sql): fewer rows for a range of most of the history, the
-- same figures either way.
-- defaults: {"outside": false}
-- example: {"tz": "Europe/Berlin", "since": "2025-01-01", "until": "2025-12-31", "kind": "music", "level": "artist", "min_seconds": 30, "order_by": "plays", "limit": 50}
with r as not materialized (
  select cast(:since as date)::timestamp at time zone :tz as lo,
         (cast(:until as date) + 1)::timestamp at time zone :tz as hi
), t as (
  select i.name_key,
         sum(plays_z_pick(:min_seconds, i.plays, i.plays_10s, i.plays_30s, i.plays_60s)) as plays,
         sum(i.plays) as streams, sum(i.ms_played)::bigint as ms_played, sum(i.skips) as skips,
         sum(i.skip_known) as skip_known
  from r cross join lateral plays_z_range_rows(r.lo, r.hi, :level, :kind, :outside) i
  group by i.name_key
), ranked as (
  select t.*, rank() over (order by case when :order_by = 'minutes' then t.ms_played else t.plays end desc) as rank
  from t
  where t.plays > 0
  order by rank, t.plays desc, t.ms_played desc
  limit :limit
), spans as (
  -- the first and last play in the range of each listed item (see above)
  select k.name_key, n.name, n.artist, n.kind, n.track_id, f.first_at, l.last_at
  from ranked k
  cross join r
  join plays_z_names n using (name_key)
  left join plays_z_items y0 on y0.name_key = k.name_key and y0.period = 'year'
                            and y0.period_start = date_trunc('year', r.lo, 'UTC')
  left join plays_z_items yn on yn.name_key = k.name_key and yn.period = 'year'
                            and yn.period_start = date_trunc('year', r.hi - interval '1 microsecond', 'UTC')
  cross join lateral (select plays_z_pick(:min_seconds, y0.first_at, y0.first_10s_at, y0.first_30s_at, y0.first_60s_at) as first0,
                             plays_z_pick(:min_seconds, y0.last_at, y0.last_10s_at, y0.last_30s_at, y0.last_60s_at) as last0,
                             plays_z_pick(:min_seconds, yn.first_at, yn.first_10s_at, yn.first_30s_at, yn.first_60s_at) as firstn,
                             plays_z_pick(:min_seconds, yn.last_at, yn.last_10s_at, yn.last_30s_at, yn.last_60s_at) as lastn) e
  cross join lateral (
    select coalesce(
      case when e.first0 >= r.lo then case when e.first0 < r.hi then e.first0 end
           when e.last0 >= r.lo then (
             -- played in lo's year before and after lo: the first such play from lo on
             select p.ended_at from plays p
             where p.ended_at >= r.lo and p.ended_at < least(r.hi, date_add(date_trunc('year', r.lo, 'UTC'), interval '1 year', 'UTC'))
               and p.ms_played >= cast(:min_seconds as int) * 1000 and p.kind = n.kind
               and plays_z_level_name(:level, p.track, p.album, p.artist, p.platform, p.country) is not distinct from n.name
               and plays_z_level_artist(:level, p.artist) is not distinct from n.artist
             order by p.ended_at limit 1)
      end,
      (select plays_z_pick(:min_seconds, y.first_at, y.first_10s_at, y.first_30s_at, y.first_60s_at)
       from plays_z_items y
       where y.name_key = k.name_key and y.period = 'year' and y.period_start > date_trunc('year', r.lo, 'UTC')
         and y.period_start < r.hi
         and plays_z_pick(:min_seconds, y.first_at, y.first_10s_at, y.first_30s_at, y.first_60s_at) < r.hi
       order by y.period_start limit 1)) as first_at
  ) f
  cross join lateral (
    select coalesce(
      case when e.lastn < r.hi then case when e.lastn >= r.lo then e.lastn end
           when e.firstn < r.hi then (
             select p.ended_at from plays p
             where p.ended_at < r.hi and p.ended_at >= greatest(r.lo, date_trunc('year', r.hi - interval '1 microsecond', 'UTC'))
               and p.ms_played >= cast(:min_seconds as int) * 1000 and p.kind = n.kind
               and plays_z_level_name(:level, p.track, p.album, p.artist, p.platform, p.country) is not distinct from n.name
               and plays_z_level_artist(:level, p.artist) is not distinct from n.artist
             order by p.ended_at desc limit 1)
      end,
      (select plays_z_pick(:min_seconds, y.last_at, y.last_10s_at, y.last_30s_at, y.last_60s_at)
       from plays_z_items y
       where y.name_key = k.name_key and y.period = 'year'
         and y.period_start < date_trunc('year', r.hi - interval '1 microsecond', 'UTC')
         and plays_z_pick(:min_seconds, y.last_at, y.last_10s_at, y.last_30s_at, y.last_60s_at) >= r.lo
       order by y.period_start desc limit 1)) as last_at
  ) l
)
select k.rank, s.name, s.artist, s.kind, k.plays::bigint as plays, k.ms_played::float8 / 60000 as minutes,
       k.streams::bigint as streams, k.skips::bigint as skips,
       k.skips::float8 / nullif(k.skip_known, 0) as skip_rate,
       s.first_at at time zone :tz as first_play, s.last_at at time zone :tz as last_play, s.track_id
from ranked k
join spans s using (name_key)
order by k.rank, k.plays desc, k.ms_played desc, s.name, s.artist;

-- name: plays_counts
-- How many distinct tracks and artists had a play (a stream of at least :min_seconds) between the
-- local dates since and until: the Plays page's headline figures and Year in review's. One grouping
-- per level (small hash tables, not one large one that spills to disk under the default work_mem),
-- each read from the indexes alone (plays_z_totals_between). No album count: no page shows one, and
-- over a long range albums were two fifths of the rows read. With :outside, all time less the rows
-- outside the range, as plays_top.
-- defaults: {"outside": false}
-- example: {"tz": "Europe/Berlin", "since": "2025-01-01", "until": "2025-12-31", "kind": "music", "min_seconds": 30}
with r as not materialized (
  -- inlined into each level, so every boundary folds to a constant
  select cast(:since as date)::timestamp at time zone :tz as lo,
         (cast(:until as date) + 1)::timestamp at time zone :tz as hi
)
select (select count(*) from (
          select i.name_key from r cross join lateral plays_z_range_rows(r.lo, r.hi, 'track', :kind, :outside) i
          group by i.name_key
          having sum(plays_z_pick(:min_seconds, i.plays, i.plays_10s, i.plays_30s, i.plays_60s)) > 0) x) as tracks,
       (select count(*) from (
          select i.name_key from r cross join lateral plays_z_range_rows(r.lo, r.hi, 'artist', :kind, :outside) i
          group by i.name_key
          having sum(plays_z_pick(:min_seconds, i.plays, i.plays_10s, i.plays_30s, i.plays_60s)) > 0) x) as artists;

-- name: plays_most_skipped
-- Tracks or artists (:level) skipped most often between the local dates since and until: skip rate
-- over the streams that say whether they were skipped, for items with at least :min_streams such
-- streams; highest rate first, then most skips, then by name: the first :limit of that order, whatever
-- order the rows are read in (the items tied with the last one are kept until they are ordered by name).
-- With :outside, all time less the rows outside the range, as plays_top (an item with no stream
-- in the range sums to 0 and fails the threshold of at least one).
-- defaults: {"outside": false}
-- example: {"tz": "Europe/Berlin", "since": "2025-01-01", "until": "2025-12-31", "kind": "music", "level": "track", "min_streams": 5, "limit": 20}
with r as (
  select cast(:since as date)::timestamp at time zone :tz as lo,
         (cast(:until as date) + 1)::timestamp at time zone :tz as hi
), t as (
  select i.name_key, sum(i.plays) as streams, sum(i.skips) as skips, sum(i.skip_known) as skip_known
  from r cross join lateral plays_z_range_rows(r.lo, r.hi, :level, :kind, :outside) i
  group by i.name_key
  having sum(i.skip_known) >= greatest(cast(:min_streams as int), 1)
  order by sum(i.skips)::float8 / sum(i.skip_known) desc, sum(i.skips) desc
  fetch first (cast(:limit as int)) rows with ties
)
select n.name, n.artist, t.streams::bigint as streams, t.skip_known::bigint as skip_known,
       t.skips::bigint as skips, t.skips::float8 / t.skip_known as skip_rate
from t
join plays_z_names n using (name_key)
order by skip_rate desc, t.skips desc, n.name, n.artist
limit :limit;

-- name: plays_platforms
-- Plays (streams of at least :min_seconds), minutes, every stream and skips per platform family
-- (Android, iOS, Windows, macOS, Linux, web player, speakers and TVs ...) between the local dates
-- since and until, from the `platform` field of the export; with how many distinct platform
-- strings each family has and its most played one.
-- example: {"tz": "Europe/Berlin", "since": "2025-01-01", "until": "2025-12-31", "kind": "music", "min_seconds": 30}
with r as (
  select cast(:since as date)::timestamp at time zone :tz as lo,
         (cast(:until as date) + 1)::timestamp at time zone :tz as hi
), t as (
  select i.name_key,
         sum(plays_z_pick(:min_seconds, i.plays, i.plays_10s, i.plays_30s, i.plays_60s)) as plays,
         sum(i.plays) as streams, sum(i.ms_played) as ms_played, sum(i.skips) as skips,
         sum(i.skip_known) as skip_known
  from r cross join lateral plays_z_items_between(r.lo, r.hi, 'platform', :kind) i
  group by i.name_key
), named as (
  select t.*, n.name as platform,
         case when lower(n.name) like 'web_player%' or lower(n.name) like 'webplayer%' then 'Web player'
              when lower(n.name) like '%android%' then 'Android'
              when lower(n.name) like 'ios%' or lower(n.name) like '%iphone%' or lower(n.name) like '%ipad%' then 'iOS'
              when lower(n.name) like 'windows%' then 'Windows'
              when lower(n.name) like 'osx%' or lower(n.name) like 'os x%' or lower(n.name) like 'mac%' then 'macOS'
              when lower(n.name) like 'linux%' then 'Linux'
              when lower(n.name) like 'partner%' or lower(n.name) like '%sonos%' or lower(n.name) like '%cast%'
                or lower(n.name) like '%tv%' or lower(n.name) like '%speaker%' then 'Speakers, TVs and cars'
              else 'Other' end as family
  from t
  join plays_z_names n using (name_key)
)
select family, sum(plays)::bigint as plays, sum(ms_played)::float8 / 60000 as minutes,
       sum(streams)::bigint as streams, sum(skips)::bigint as skips, sum(skip_known)::bigint as skip_known,
       sum(skips)::float8 / nullif(sum(skip_known), 0) as skip_rate, count(distinct platform) as platforms,
       (array_agg(platform order by streams desc, platform))[1] as most_used
from named
group by family
order by plays desc, streams desc, family;

-- name: plays_sessions_summary
-- One row for sessions starting between the local dates since and until: how many, hours listened
-- (every stream's ms_played, as "Listened" counts), hours heard (the time something was playing:
-- overlapping streams once), average and median length in minutes (from the earliest stream's
-- start to the last stream's end), the longest, average streams.
-- example: {"tz": "Europe/Berlin", "since": "2025-01-01", "until": "2025-12-31", "kind": "music"}
with r as (
  select cast(:since as date)::timestamp at time zone :tz as lo,
         (cast(:until as date) + 1)::timestamp at time zone :tz as hi
), s as (
  select date_part('epoch', s.last_end - s.started_at) / 60 as minutes, s.plays, s.ms_played, s.ms_heard
  from r join plays_z_sessions s on s.kind = :kind and s.started_at >= r.lo and s.started_at < r.hi
)
select count(*) as sessions, coalesce(sum(ms_played), 0)::float8 / 3600000 as hours,
       coalesce(sum(ms_heard), 0)::float8 / 3600000 as hours_heard,
       avg(minutes)::float8 as avg_minutes,
       (percentile_cont(0.5) within group (order by minutes))::float8 as median_minutes,
       max(minutes)::float8 as longest_minutes, avg(plays)::float8 as avg_streams
from s;

-- name: plays_longest_sessions
-- The :limit longest sessions starting between the local dates since and until: start and end
-- (local time), length in minutes (the earliest stream's start to the last stream's end), minutes
-- played (the time something was playing: streams that overlap, say on two devices, count once,
-- so never more than the length), streams.
-- example: {"tz": "Europe/Berlin", "since": "2025-01-01", "until": "2025-12-31", "kind": "music", "limit": 10}
with r as (
  select cast(:since as date)::timestamp at time zone :tz as lo,
         (cast(:until as date) + 1)::timestamp at time zone :tz as hi
)
select s.started_at at time zone :tz as started, s.last_end at time zone :tz as ended,
       extract(epoch from s.last_end - s.started_at)::float8 / 60 as minutes,
       s.ms_heard::float8 / 60000 as minutes_played, s.plays as streams
from r
join plays_z_sessions s on s.kind = :kind and s.started_at >= r.lo and s.started_at < r.hi
order by s.last_end - s.started_at desc, s.started_at
limit :limit;

-- name: plays_session_lengths
-- Sessions starting between the local dates since and until per length band (under 15 minutes,
-- 15-30, 30-60 minutes, 1-2, 2-4 hours, 4 hours and more), every band listed, in order.
-- example: {"tz": "Europe/Berlin", "since": "2025-01-01", "until": "2025-12-31", "kind": "music"}
with r as (
  select cast(:since as date)::timestamp at time zone :tz as lo,
         (cast(:until as date) + 1)::timestamp at time zone :tz as hi
), bands (band, label) as (
  values (1, 'under 15 min'), (2, '15-30 min'), (3, '30-60 min'), (4, '1-2 h'), (5, '2-4 h'), (6, '4 h and more')
), counts as (
  -- the band of each session by one binary search over the lower edges in minutes (each edge belongs
  -- to the band it starts: width_bucket gives 0 under 15, 1 from 15 to under 30 ... 5 from 240 on)
  select width_bucket(date_part('epoch', s.last_end - s.started_at) / 60, array[15, 30, 60, 120, 240]::float8[]) + 1
           as band,
         count(*) as sessions
  from r join plays_z_sessions s on s.kind = :kind and s.started_at >= r.lo and s.started_at < r.hi
  group by 1
)
select b.band, b.label, coalesce(c.sessions, 0) as sessions
from bands b
left join counts c using (band)
order by b.band;

-- name: plays_new_artists
-- Artists (shows, for podcasts) heard for the first time, per local month between since and until:
-- the month of each one's first play ever (a stream of at least :min_seconds), how many, and the
-- first three of them.
-- example: {"tz": "Europe/Berlin", "since": "2011-01-01", "until": "2026-12-31", "kind": "music", "min_seconds": 30}
with r as (
  select cast(:since as date)::timestamp at time zone :tz as lo,
         (cast(:until as date) + 1)::timestamp at time zone :tz as hi
), firsts as (
  select n.name as artist,
         min(plays_z_pick(:min_seconds, i.first_at, i.first_10s_at, i.first_30s_at, i.first_60s_at)) as first_at
  from plays_z_totals i   -- all time: one row per artist and kind (plays_z_totals)
  join plays_z_names n using (name_key)
  where i.level = 'artist' and (:kind = 'all' or i.kind = :kind)
  group by n.name
), in_range as (
  select f.artist, f.first_at, date_trunc('month', f.first_at at time zone :tz)::date as month
  from firsts f, r
  where f.first_at >= r.lo and f.first_at < r.hi
), numbered as (
  select *, row_number() over (partition by month order by first_at, artist) as nth from in_range
)
select month, count(*) as new_artists, string_agg(artist, ', ' order by first_at, artist) filter (where nth <= 3) as first_ones
from numbered
group by month
order by month;

-- name: plays_artists
-- Artists (shows, for podcasts) with a play (a stream of at least :min_seconds) in all time, most
-- plays first: the first-and-last-listen picker's choices.
-- example: {"kind": "music", "min_seconds": 30, "limit": 2000}
select n.name as artist, sum(plays_z_pick(:min_seconds, i.plays, i.plays_10s, i.plays_30s, i.plays_60s))::bigint as plays
from plays_z_totals i   -- all time: one row per artist and kind (plays_z_totals)
join plays_z_names n using (name_key)
where i.level = 'artist' and (:kind = 'all' or i.kind = :kind)
group by n.name
having sum(plays_z_pick(:min_seconds, i.plays, i.plays_10s, i.plays_30s, i.plays_60s)) > 0
order by plays desc, artist
limit :limit;

-- name: plays_artist_match
-- The artist (show, for podcasts) a name typed into the first-and-last-listen picker stands for:
-- the artist with a play (a stream of at least :min_seconds) whose name is :typed ignoring case and
-- accents (mtm_fold), the most played when several are; no row when none is. The picker lists only
-- the most played (plays_artists), so any other artist is reached by name.
-- example: {"typed": "motley crue", "kind": "music", "min_seconds": 30}
select n.name as artist
from plays_z_totals i   -- all time: one row per artist and kind
join plays_z_names n using (name_key)
where i.level = 'artist' and (:kind = 'all' or i.kind = :kind) and mtm_fold(n.name) = mtm_fold(:typed)
group by n.name
having sum(plays_z_pick(:min_seconds, i.plays, i.plays_10s, i.plays_30s, i.plays_60s)) > 0
order by sum(plays_z_pick(:min_seconds, i.plays, i.plays_10s, i.plays_30s, i.plays_60s)) desc, n.name
limit 1;

-- name: plays_first_last
-- For one artist (exact name): the artist, then each of its tracks, with the first and last play
-- ever (a stream of at least :min_seconds; local time), plays, minutes, and the first and last
-- stream of any length. Tracks in order of their first play.
-- example: {"tz": "Europe/Berlin", "artist": "Mötley Crüe", "kind": "music", "min_seconds": 30, "limit": 500}
-- All time, so each item is one row of plays_z_totals (its primary key), not a sum over its year rows
-- of plays_z_items: about a quarter of the buffers (bench.plays, cold at 999,966 plays: 212 -> 26 ms).
select n.level, n.name, n.kind,
       plays_z_pick(:min_seconds, t.plays, t.plays_10s, t.plays_30s, t.plays_60s)::bigint as plays,
       t.ms_played::float8 / 60000 as minutes,
       plays_z_pick(:min_seconds, t.first_at, t.first_10s_at, t.first_30s_at, t.first_60s_at) at time zone :tz as first_play,
       plays_z_pick(:min_seconds, t.last_at, t.last_10s_at, t.last_30s_at, t.last_60s_at) at time zone :tz as last_play,
       t.first_at at time zone :tz as first_stream,
       t.last_at at time zone :tz as last_stream,
       n.track_id
from plays_z_names n
join plays_z_totals t on t.name_key = n.name_key
where n.artist = :artist and n.level in ('artist', 'track') and (:kind = 'all' or n.kind = :kind)
  and plays_z_pick(:min_seconds, t.plays, t.plays_10s, t.plays_30s, t.plays_60s) > 0
order by n.level = 'artist' desc, first_play, n.name
limit :limit;

-- name: plays_forgotten_gems
-- Tracks played at least :min_plays times (streams of at least :min_seconds) that have had no
-- stream at all in the :recent_days days before the newest stream stored; most played first, with
-- the last stream (local time) and how many days before the newest stream it was.
-- example: {"tz": "Europe/Berlin", "kind": "music", "min_seconds": 30, "min_plays": 10, "recent_days": 90, "limit": 50}
with newest as (
  select max(ended_at) as at from plays
), t as (
  select i.name_key,
         sum(plays_z_pick(:min_seconds, i.plays, i.plays_10s, i.plays_30s, i.plays_60s)) as plays,
         sum(i.ms_played) as ms_played,
         min(plays_z_pick(:min_seconds, i.first_at, i.first_10s_at, i.first_30s_at, i.first_60s_at)) as first_at,
         max(i.last_at) as last_at
  from plays_z_totals i   -- all time: one row per track (plays_z_totals)
  where i.level = 'track' and (:kind = 'all' or i.kind = :kind)
  group by i.name_key
), gems as (
  select t.*, extract(day from newest.at - t.last_at)::int as days_ago
  from t, newest
  where t.plays >= greatest(cast(:min_plays as int), 1)
    and t.last_at < newest.at - make_interval(days => cast(:recent_days as int))
  order by t.plays desc, t.last_at desc
  limit :limit
)
select n.name, n.artist, g.plays::bigint as plays, g.ms_played::float8 / 60000 as minutes,
       g.first_at at time zone :tz as first_play, g.last_at at time zone :tz as last_stream, g.days_ago,
       n.track_id
from gems g
join plays_z_names n using (name_key)
order by g.plays desc, g.last_at desc, n.name;

-- name: plays_compare
-- Tracks, albums or artists (:level) in the top :top of either period (A = since_a..until_a,
-- B = since_b..until_b, local dates) by plays (streams of at least :min_seconds): rank and plays in
-- each, places gained from A to B (positive = up), and `status`: new (no play in A), dropped (no
-- play in B) or kept. Ordered by rank in B, then rank in A.
-- example: {"tz": "Europe/Berlin", "since_a": "2024-01-01", "until_a": "2024-12-31", "since_b": "2025-01-01", "until_b": "2025-12-31", "kind": "music", "level": "artist", "min_seconds": 30, "top": 20, "limit": 100}
with r as not materialized (
  -- inlined into both periods, so every boundary folds to a constant
  select cast(:since_a as date)::timestamp at time zone :tz as lo_a,
         (cast(:until_a as date) + 1)::timestamp at time zone :tz as hi_a,
         cast(:since_b as date)::timestamp at time zone :tz as lo_b,
         (cast(:until_b as date) + 1)::timestamp at time zone :tz as hi_b
), s as materialized (
  -- each item's plays in both periods, one read of the rollups (db/migrations/0028_plays_two_periods.sql:
  -- when the periods meet and hold every play, the longer one is all time less the other)
  select i.name_key, sum(i.plays_a) as plays_a, sum(i.plays_b) as plays_b
  from r cross join lateral plays_z_two_periods(r.lo_a, r.hi_a, r.lo_b, r.hi_b, :level, :kind, :min_seconds) i
  group by i.name_key
), va as (
  -- an item's rank in a period among the items played in it: 1 + how many items have more plays
  -- there (rank()), counted per number of plays, so that only the distinct numbers (hundreds) are
  -- sorted, not every item (~41,000 tracks over seven years, sorted twice by rank() over)
  select plays_a as v, count(*) as n from s where plays_a > 0 group by plays_a
), ra as (
  select v, 1 + coalesce(sum(n) over (order by v desc rows between unbounded preceding and 1 preceding), 0) as rank
  from va
), vb as (
  select plays_b as v, count(*) as n from s where plays_b > 0 group by plays_b
), rb as (
  select v, 1 + coalesce(sum(n) over (order by v desc rows between unbounded preceding and 1 preceding), 0) as rank
  from vb
), cut as (
  -- the fewest plays that still rank within :top in each period (null: nothing played there)
  select (select min(v) from ra where rank <= :top) as a, (select min(v) from rb where rank <= :top) as b
), both_ as (
  select s.name_key, ra.rank as rank_a, rb.rank as rank_b, s.plays_a, s.plays_b
  from s
  cross join cut
  left join ra on ra.v = s.plays_a
  left join rb on rb.v = s.plays_b
  where s.plays_a >= cut.a or s.plays_b >= cut.b
)
select x.rank_b, x.rank_a, n.name, n.artist, x.plays_b::bigint as plays_b, x.plays_a::bigint as plays_a,
       x.rank_a - x.rank_b as change,
       case when x.rank_a is null then 'new' when x.rank_b is null then 'dropped' else 'kept' end as status
from both_ x
join plays_z_names n using (name_key)
order by x.rank_b nulls last, x.rank_a, n.name, n.artist
limit :limit;

-- name: plays_compare_changes
-- Artists (or tracks, albums: :level) new in period B (a play in B, none in A) and dropped (a play
-- in A, none in B), each list most played first and cut at :limit rows, with the list's full size.
-- example: {"tz": "Europe/Berlin", "since_a": "2024-01-01", "until_a": "2024-12-31", "since_b": "2025-01-01", "until_b": "2025-12-31", "kind": "music", "level": "artist", "min_seconds": 30, "limit": 50}
with r as not materialized (
  -- inlined into both periods, so every boundary folds to a constant
  select cast(:since_a as date)::timestamp at time zone :tz as lo_a,
         (cast(:until_a as date) + 1)::timestamp at time zone :tz as hi_a,
         cast(:since_b as date)::timestamp at time zone :tz as lo_b,
         (cast(:until_b as date) + 1)::timestamp at time zone :tz as hi_b
), s as (
  -- one read of the rollups for both periods (plays_z_two_periods, as plays_compare)
  select i.name_key, sum(i.plays_a) as plays_a, sum(i.plays_b) as plays_b
  from r cross join lateral plays_z_two_periods(r.lo_a, r.hi_a, r.lo_b, r.hi_b, :level, :kind, :min_seconds) i
  group by i.name_key
), changes as (
  select name_key, case when plays_a = 0 then 'new' else 'dropped' end as status, greatest(plays_a, plays_b) as plays
  from s
  where (plays_a = 0) <> (plays_b = 0)
), numbered as (
  select *, row_number() over (partition by status order by plays desc, name_key) as nth,
         count(*) over (partition by status) as of_total
  from changes
)
select x.status, n.name, n.artist, x.plays::bigint as plays, x.of_total
from numbered x
join plays_z_names n using (name_key)
where x.nth <= :limit
order by x.status desc, x.plays desc, n.name, n.artist;

-- name: plays_on_this_day
-- What was played on the local month and day of :day in each earlier year (since 2000): per year
-- and track with a play that day (a stream of at least :min_seconds), its plays, its minutes (every
-- stream of it that day, however short) and its first play's local time; with each year's plays
-- and minutes that day (every stream of every track, as "Listened" counts). Newest year first,
-- then by first play. A 29 February is only found in leap years.
-- example: {"tz": "Europe/Berlin", "day": "2026-03-31", "kind": "music", "min_seconds": 30, "limit": 500}
with d as (
  select cast(:day as date) as day
), days as (
  select y.y as year, make_date(y.y, extract(month from d.day)::int, 1) + (extract(day from d.day)::int - 1) as day
  from d, generate_series(2000, extract(year from d.day)::int - 1) as y(y)
), windows as (
  select days.year, days.day, days.day::timestamp at time zone :tz as lo,
         (days.day + 1)::timestamp at time zone :tz as hi
  from days, d
  where extract(day from days.day) = extract(day from d.day)
), per_track as (
  select w.year, w.day, x.track, x.artist, x.plays, x.minutes, x.first_at,
         sum(x.plays) over (partition by w.year) as day_plays, sum(x.minutes) over (partition by w.year) as day_minutes
  from windows w
  cross join lateral (
    -- one index range scan of plays per year (grouped inside, so it stays a per-window scan)
    select p.track, p.artist, count(*) filter (where p.ms_played >= cast(:min_seconds as int) * 1000) as plays,
           sum(p.ms_played)::float8 / 60000 as minutes,
           min(p.ended_at) filter (where p.ms_played >= cast(:min_seconds as int) * 1000) as first_at
    from plays p
    where p.ended_at >= w.lo and p.ended_at < w.hi and (:kind = 'all' or p.kind = :kind)
    group by p.track, p.artist
  ) x
)
select year, day, track, artist, plays, minutes, first_at at time zone :tz as first_play,
       day_plays::bigint as day_plays, day_minutes
from per_track
where plays > 0
order by year desc, first_at, track     -- the instant: a day's repeated hour (clocks back) keeps its order
limit :limit;
