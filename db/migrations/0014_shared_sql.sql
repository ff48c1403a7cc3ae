-- SQL that was written twice or more, written once (issue 11). Functions only: no table or row changes.
-- Every function here is LANGUAGE sql and not volatile, so the planner inlines it into the query that
-- calls it: the plans (and index use) are those of the SQL it replaces.

-- A play's natural-key hash, the third column of plays_natural_key (0005, 0010): the same track or
-- episode, by URI, or by artist and track name where there is no URI. The index keeps its expression
-- (rebuilding it would cost a full index build on upgrade); the planner inlines this function, so a
-- query calling it matches the index, and tests/test_shared_sql.py checks the two stay equal.
create or replace function mtm_play_natural_hash(uri text, artist text, track text) returns uuid
language sql immutable parallel safe
return md5(coalesce(uri, coalesce(artist, '') || E'\x1f' || coalesce(track, '')))::uuid;

-- What a play was (play_items.item_key, 0005): kind, URI, artist, album and track, null as ''.
create or replace function mtm_play_item_key(kind text, uri text, artist text, album text, track text)
returns uuid
language sql immutable parallel safe
return md5(kind || E'\x1f' || coalesce(uri, '') || E'\x1f' || coalesce(artist, '') || E'\x1f'
           || coalesce(album, '') || E'\x1f' || coalesce(track, ''))::uuid;

-- The raw_json explorer (db/sql/explorer.sql) over either source, src = 'tracks' or 'plays'. Callers
-- pass src as a literal: the branches of the other source fold to nothing when the query is planned.

-- The documents value distributions read: the sample the last inventory refresh kept
-- (json_path_sample, plays_json_sample) or, while it is empty, 5,000 chosen as that refresh chooses
-- them (tracks: the first by md5(track_id); plays: the newest). A sampled track is read by its primary
-- key, in the sample's order; one no longer stored counts as scanned and gives no value.
create or replace function mtm_explorer_sample(src text) returns table (doc jsonb)
language sql stable parallel safe as $$
  select (select t.raw_json from tracks t where t.track_id = s.track_id) from json_path_sample s
  where src = 'tracks'
  union all
  (select raw_json from tracks
   where src = 'tracks' and not exists (select 1 from json_path_sample)
   order by md5(track_id) limit 5000)
  union all
  select raw_json from plays_json_sample where src = 'plays'
  union all
  (select raw_json from plays
   where src = 'plays' and not exists (select 1 from plays_json_sample)
   order by ended_at desc limit 5000)
$$;

-- One row: the inventory's bookkeeping (first_at and last_at: plays only), whether the source has any
-- row now, and how many key paths the inventory holds.
create or replace function mtm_json_path_inventory_info(src text)
returns table (scanned bigint, total bigint, first_at timestamptz, last_at timestamptz,
               computed_at timestamptz, sampled boolean, has_rows boolean, paths bigint)
language sql stable parallel safe as $$
  select i.scanned, i.total, i.first_at, i.last_at, i.computed_at, (i.scanned < i.total),
         case src when 'tracks' then exists (select 1 from tracks) else exists (select 1 from plays) end,
         case src when 'tracks' then (select count(*) from json_path_inventory)
                  else (select count(*) from plays_json_path_inventory) end
  from (select 1) as one
  left join (select scanned, total, null::timestamptz as first_at, null::timestamptz as last_at, computed_at
             from json_path_inventory_info where src = 'tracks'
             union all
             select scanned, total, first_at, last_at, computed_at
             from plays_json_path_inventory_info where src = 'plays') i on true
$$;

-- Key paths containing q (case-insensitive, plain text; '' = all), in path order, at most lim: JSON
-- types, how many scanned rows (items) have the path and that as a share of those scanned.
create or replace function mtm_json_path_inventory_list(src text, q text, lim bigint)
returns table (path text, types text[], items bigint, share numeric, depth integer)
language sql stable parallel safe as $$
  select p.path, p.types, p.items, round(p.items::numeric / nullif(i.scanned, 0), 4), p.depth
  from (select j.path, j.types, j.tracks as items, j.depth from json_path_inventory j where src = 'tracks'
        union all
        select j.path, j.types, j.plays, j.depth from plays_json_path_inventory j where src = 'plays') p
  left join (select scanned from json_path_inventory_info where src = 'tracks'
             union all
             select scanned from plays_json_path_inventory_info where src = 'plays') i on true
  where strpos(lower(p.path), lower(q)) > 0
  order by p.path
  limit lim
$$;

-- Top values at jpath over the sample, reading at most max_values values, at most lim rows: each value
-- as text (strings unquoted, other JSON as JSON text, cut at 300 characters), its JSON type, how often
-- it occurs (count, share of all values read) and in how many sampled rows (items); then totals
-- repeated per row.
create or replace function mtm_json_path_values(src text, jpath jsonpath, max_values bigint, lim bigint)
returns table (value text, type text, count numeric, share numeric, items bigint, total_values numeric,
               distinct_values bigint, numeric_values numeric, items_with_path bigint, scanned_items bigint,
               capped boolean)
language sql stable parallel safe as $$
  with vals as (
    select s.item, v.value, v.ord
    from (select row_number() over () as item, doc from mtm_explorer_sample(src)) s
    cross join lateral jsonb_path_query(s.doc, jpath) with ordinality as v(value, ord)
    limit max_values
  ),
  per_item as (
    select value, item, count(*) as n from vals group by value, item
  ),
  grouped as (
    select value, sum(n) as n, count(*) as items from per_item group by value
  )
  select left(case when jsonb_typeof(value) = 'string' then value #>> '{}' else value::text end, 300) as value,
         jsonb_typeof(value),
         n,
         round(n::numeric / sum(n) over (), 4),
         items,
         sum(n) over (),
         count(*) over (),
         coalesce(sum(n) filter (where jsonb_typeof(value) = 'number') over (), 0),
         (select count(*) from vals where ord = 1),
         (select count(*) from mtm_explorer_sample(src)),
         sum(n) over () >= max_values
  from grouped
  order by n desc, value
  limit lim
$$;

-- Histogram of the numbers at jpath over the sample (at most max_values numbers): bins equal-width
-- bins between the smallest and largest number, one row per non-empty bin with its bounds and count
-- (one bin when all numbers are equal).
create or replace function mtm_json_path_histogram(src text, jpath jsonpath, max_values bigint, bins integer)
returns table (bin integer, bin_start numeric, bin_end numeric, count bigint)
language sql stable parallel safe as $$
  with nums as (
    select v.value::numeric as x
    from mtm_explorer_sample(src) s
    cross join lateral jsonb_path_query(s.doc, jpath) as v(value)
    where jsonb_typeof(v.value) = 'number'
    limit max_values
  ),
  bounds as (
    select min(x) as lo, max(x) as hi from nums
  ),
  binned as (
    select case when b.hi > b.lo then least(width_bucket(n.x, b.lo, b.hi, bins), bins) else 1 end as bin,
           count(*) as n
    from nums n cross join bounds b
    group by 1
  )
  select k.bin,
         b.lo + (k.bin - 1) * (b.hi - b.lo) / bins,
         case when b.hi > b.lo then b.lo + k.bin * (b.hi - b.lo) / bins else b.hi end,
         k.n
  from binned k cross join bounds b
  order by k.bin
$$;

-- The month rows of plays_z_items (0008) for the plays that ended in [lo, hi), lo and hi month starts
-- (UTC): one pass over those plays with grouping sets, a row per (month, level, name) with the name's
-- key, artist and name at that level (l_artist, l_name) and, for tracks, a track_id. The build from
-- scratch (db/sql/plays.sql refresh_plays_z_a1_full_items) calls it with -infinity..infinity, the
-- rebuild of changed months (refresh_plays_z_c_months) once per run of consecutive changed months.
create or replace function plays_z_month_items(lo timestamptz, hi timestamptz)
returns table (level text, month_utc timestamptz, name_key uuid, kind text, plays integer, plays_10s integer,
               plays_30s integer, plays_60s integer, ms_played bigint, skips integer, skip_known integer,
               first_at timestamptz, first_10s_at timestamptz, first_30s_at timestamptz,
               first_60s_at timestamptz, last_at timestamptz, last_10s_at timestamptz, last_30s_at timestamptz,
               last_60s_at timestamptz, l_artist text, l_name text, track_id text)
language sql stable parallel safe as $$
  with grouped as (
    select date_trunc('month', p.ended_at, 'UTC') as month_utc, p.kind, p.artist, p.track, p.album, p.platform,
           p.country, grouping(p.artist, p.track, p.album, p.platform, p.country) as unused,
           -- integers, as stored: the year sums of the build from scratch then add up integers
           count(*)::int as plays, (count(*) filter (where p.ms_played >= 10000))::int as plays_10s,
           (count(*) filter (where p.ms_played >= 30000))::int as plays_30s,
           (count(*) filter (where p.ms_played >= 60000))::int as plays_60s, sum(p.ms_played) as ms_played,
           (count(*) filter (where plays_z_is_skip(p.skipped, p.reason_end)))::int as skips,
           (count(*) filter (where p.skipped is not null or p.reason_end is not null))::int as skip_known,
           min(p.ended_at) as first_at, min(p.ended_at) filter (where p.ms_played >= 10000) as first_10s_at,
           min(p.ended_at) filter (where p.ms_played >= 30000) as first_30s_at,
           min(p.ended_at) filter (where p.ms_played >= 60000) as first_60s_at,
           max(p.ended_at) as last_at, max(p.ended_at) filter (where p.ms_played >= 10000) as last_10s_at,
           max(p.ended_at) filter (where p.ms_played >= 30000) as last_30s_at,
           max(p.ended_at) filter (where p.ms_played >= 60000) as last_60s_at,
           max(p.track_id)::text as track_id
    from plays p
    where p.ended_at >= lo and p.ended_at < hi
    group by grouping sets ((1, p.kind, p.artist, p.track), (1, p.kind, p.artist, p.album), (1, p.kind, p.artist),
                            (1, p.kind, p.platform), (1, p.kind, p.country))
  )
  -- grouping() has a bit set for each column a set leaves out: artist, track, album, platform, country
  select l.level, g.month_utc, plays_z_key(l.level, g.kind, l.l_artist, l.l_name), g.kind,
         g.plays, g.plays_10s, g.plays_30s, g.plays_60s, g.ms_played, g.skips, g.skip_known,
         g.first_at, g.first_10s_at, g.first_30s_at, g.first_60s_at, g.last_at, g.last_10s_at, g.last_30s_at,
         g.last_60s_at, l.l_artist, l.l_name, g.track_id
  from grouped g
  cross join lateral (select case g.unused when 7 then 'track' when 11 then 'album' when 15 then 'artist'
                                           when 29 then 'platform' else 'country' end as level) lv
  cross join lateral (select lv.level, plays_z_level_artist(lv.level, g.artist) as l_artist,
                             plays_z_level_name(lv.level, g.track, g.album, g.artist, g.platform, g.country) as l_name) l
  where l.level = 'track' or l.l_name is not null
$$;
