-- Long date ranges on the Plays page read as all time less the rest. A range of most of the history
-- (all but its first and last years, say) read every year row inside it: at 999,966 plays,
-- `plays_top` over 2012-2025 summed ~226,000 rollup rows and `plays_counts` as many per level, the
-- two queries bench.plays had over or near their 150 ms aim cold. The same sums are the all-time
-- totals per item (plays_z_totals, 0017_plays_z_totals.sql) less the rows before the range and the
-- rows from its end on (~80,000 track rows in all for that range).
--
-- plays_z_outside_between returns those rows: the totals, and the rows of [-infinity, lo) and
-- [hi, infinity) with negative counts (plays_z_totals_between, 0021_plays_partial_years.sql), so
-- that an item's sums over its rows are its sums in [lo, hi). plays_z_range_rows chooses between
-- it and plays_z_totals_between by its `outside` argument, which the callers (plays_top and
-- plays_counts in db/sql/plays.sql) bind as a literal (`:outside`: the page passes it,
-- db.zones.reads_outside), so the planner drops the branch not taken and a short range plans as
-- before; NULL reads the range's own rows. Callers sum the rows per name_key and keep the items
-- whose sums pass a threshold above zero. Either choice gives the same figures
-- (tests/test_plays_long_ranges.py checks both against pandas).
--
-- PARALLEL UNSAFE for the reason 0028_plays_two_periods.sql gives: the planner sizes the plan for
-- reading all its branches, and a parallel aggregate over them was slower than the serial plan
-- (interleaved probes on the bench database).
create or replace function plays_z_outside_between(lo timestamptz, hi timestamptz, want_level text, want_kind text)
returns table (name_key uuid, kind text, plays integer, plays_10s integer, plays_30s integer, plays_60s integer,
               ms_played bigint, skips integer, skip_known integer)
language sql stable parallel unsafe
as $$
  select t.name_key, t.kind, t.plays, t.plays_10s, t.plays_30s, t.plays_60s, t.ms_played, t.skips, t.skip_known
  from plays_z_totals t
  where t.level = want_level and (want_kind = 'all' or t.kind = want_kind)
  union all
  select b.name_key, b.kind, -b.plays, -b.plays_10s, -b.plays_30s, -b.plays_60s, -b.ms_played, -b.skips, -b.skip_known
  from plays_z_totals_between('-infinity', lo, want_level, want_kind) b
  union all
  select b.name_key, b.kind, -b.plays, -b.plays_10s, -b.plays_30s, -b.plays_60s, -b.ms_played, -b.skips, -b.skip_known
  from plays_z_totals_between(hi, 'infinity', want_level, want_kind) b
$$;

create or replace function plays_z_range_rows(lo timestamptz, hi timestamptz, want_level text, want_kind text,
                                              outside boolean)
returns table (name_key uuid, kind text, plays integer, plays_10s integer, plays_30s integer, plays_60s integer,
               ms_played bigint, skips integer, skip_known integer)
language sql stable parallel unsafe
as $$
  select i.* from plays_z_totals_between(lo, hi, want_level, want_kind) i where outside is not true
  union all
  select o.* from plays_z_outside_between(lo, hi, want_level, want_kind) o where outside is true
$$;
