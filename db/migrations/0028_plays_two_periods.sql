-- Two periods that meet and hold every play between them (the Plays page's Two periods section with
-- "the period before" reaching back to the first play, as when B is the second half of all time):
-- the longer period is all time (plays_z_totals, 0017_plays_z_totals.sql) less the shorter one,
-- instead of its own year, month and play rows. Over the two halves of 999,966 plays the rollup
-- rows read go from ~263,000 (both halves) to ~160,000 (one half and the totals); bench.plays
-- measures it (`plays_compare` over two halves of all time, the query that was over its 150 ms
-- aim cold). Any other pair of periods reads both, as before.
--
-- plays_z_two_periods returns rows per item, not sums: an item's plays in A are the sum of its
-- plays_a over the rows (rows of the other period carry 0 there; a derived period's rows count the
-- totals and subtract the other period's), so the callers (plays_compare, plays_compare_changes in
-- db/sql/plays.sql) sum one aggregate for both periods. Plays are streams of at least min_seconds
-- (plays_z_pick). The sums are exact: A and B are disjoint and every play is in one of them, so the
-- totals less one period's plays are the other's.
--
-- PARALLEL UNSAFE on purpose: the planner cannot know which side is derived (the test reads the
-- first and last play when the query runs), so it sizes the plan for reading both, and then picks
-- a parallel aggregate (two workers merging ~40,000 groups) that was slower than the serial plan
-- over the two halves of the bench database in interleaved probes. The function is
-- inlined like plays_z_totals_between, and a parallel-unsafe function in a query keeps the whole
-- query serial.
create or replace function plays_z_two_periods(lo_a timestamptz, hi_a timestamptz, lo_b timestamptz,
                                               hi_b timestamptz, want_level text, want_kind text,
                                               min_seconds integer)
returns table (name_key uuid, plays_a integer, plays_b integer)
language sql stable parallel unsafe
as $$
  with c as not materialized (
    -- which period, if either, is all time less the other: the longer one (B on a tie)
    select cover and hi_b - lo_b >= hi_a - lo_a as derive_b, cover and hi_b - lo_b < hi_a - lo_a as derive_a
    from (select (hi_a = lo_b and lo_a <= (select min(ended_at) from plays) and hi_b > (select max(ended_at) from plays))
                 or (hi_b = lo_a and lo_b <= (select min(ended_at) from plays) and hi_a > (select max(ended_at) from plays))
                 as cover) v
  )
  select i.name_key, plays_z_pick(min_seconds, i.plays, i.plays_10s, i.plays_30s, i.plays_60s),
         case when c.derive_b then -plays_z_pick(min_seconds, i.plays, i.plays_10s, i.plays_30s, i.plays_60s) else 0 end
  from c cross join lateral plays_z_totals_between(lo_a, hi_a, want_level, want_kind) i
  where not c.derive_a
  union all
  select i.name_key,
         case when c.derive_a then -plays_z_pick(min_seconds, i.plays, i.plays_10s, i.plays_30s, i.plays_60s) else 0 end,
         plays_z_pick(min_seconds, i.plays, i.plays_10s, i.plays_30s, i.plays_60s)
  from c cross join lateral plays_z_totals_between(lo_b, hi_b, want_level, want_kind) i
  where not c.derive_b
  union all
  select t.name_key,
         case when c.derive_a then plays_z_pick(min_seconds, t.plays, t.plays_10s, t.plays_30s, t.plays_60s) else 0 end,
         case when c.derive_b then plays_z_pick(min_seconds, t.plays, t.plays_10s, t.plays_30s, t.plays_60s) else 0 end
  from c cross join plays_z_totals t
  where (c.derive_a or c.derive_b) and t.level = want_level and (want_kind = 'all' or t.kind = want_kind)
$$;
