-- Quicker long ranges on the Plays page (two periods, distinct counts, skips: the readers of
-- plays_z_totals_between, 0016_plays_items_index_only.sql and 0017_plays_z_totals.sql). A range reads
-- its whole years from the year rows of plays_z_items, the whole months around them from the month
-- rows and the partial months at its ends from `plays`. A year row holds about as many rows as five
-- of that year's month rows (at 1,000,000 plays: ~16,000 track rows a year, ~2,700 a month), so
-- a range that starts in February reads eleven months of rows where one year row less one month row
-- gives the same sums. Now an end of a range that holds nine months or more of its year is read as
-- that year's row less the year's months outside the range, returned as rows with negative counts.
-- The callers sum the rows per name_key and keep the items whose sums pass a threshold above zero
-- (plays_counts, plays_compare, plays_compare_changes, plays_most_skipped in db/sql/plays.sql), so
-- their figures are the same; plays_z_items_between (first and last times, which do not subtract)
-- reads as before. Measured by bench.plays (plays_compare over two halves of all time, cold: the
-- query over the 150 ms aim).

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
