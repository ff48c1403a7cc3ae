-- raw_json explorer (app_pages/explorer.py). Key paths are written `album.images[*].url`; the page
-- turns them into SQL/JSON paths (`$.album.images[*].url`, db/jsonpaths.py) and binds them as
-- :path. User JSON and JSONPath arrive as bound text and are cast here, never formatted into SQL.
--
-- Precomputed vs live (the measurements behind these choices are in BENCHMARKS.md, bench.queries):
-- * Key-path inventory: walking every value of every payload costs a fraction of a millisecond per
--   track, far too much for a page view over every track. So it is precomputed by
--   refresh_json_path_inventory after each import: from every track when there are at most 5,000,
--   else from a fixed sample of 5,000 (json_path_sample, the first by md5(track_id)); the page says which.
-- * Value distributions (json_path_values, json_path_histogram) read the same sample live, at most
--   :max_values (page: 50,000) values, so even available_markets[*] stays bounded.
-- * Filters run on the whole table and stop at :limit rows (no ORDER BY, which would make them
--   read every match). Containment, JSONPath equality (@@ `==`) and
--   exists-paths with equality filters use tracks_raw_json_slim_idx (GIN jsonb_path_ops over
--   mtm_track_json_indexed(raw_json): the document without its available_markets arrays, migration
--   0018). Each filter tests raw_json itself and adds the same test on that document, which raw_json's
--   own match implies (containment: both sides without the markets; JSONPath: only when
--   mtm_jsonpath_needs_whole_json is false, a constant the planner folds), so the index answers it.
--   Other predicates (`>`, like_regex) and paths that reach the markets or walk every key cannot use
--   that index: they scan until :limit rows match, a full scan when few tracks match (~90 ms at
--   50,000 tracks), under the page's shorter statement timeout (MTM_EXPLORER_TIMEOUT_MS).
--   Timings of each query: BENCHMARKS.md (bench.queries).
--
-- Plays (source "Plays" on the page): plays.raw_json holds each Spotify export record. There is
-- deliberately no GIN index on it (it would slow the import of a 1,000,000-play export), so:
-- * The inventory is computed by refresh_plays_zz_json_path_inventory after each import from a
--   fixed-size sample copied into plays_json_sample: every play up to 5,000, else 5,000 spread
--   evenly over all plays in time order, found through the hourly rollup (plays_hourly) and the
--   ended_at index, so its cost does not grow with the table.
-- * Value distributions read that sample (5,000 rows), never `plays`.
-- * Filters return the newest matching plays, at most :limit: ORDER BY ended_at DESC LIMIT, which
--   PostgreSQL runs as a backward scan of plays_natural_key (ended_at first) that stops after
--   :limit matches when matches are common, or as a (parallel) sequential scan and top-N sort when
--   it expects few matches; either way bounded by the page's statement timeout. Measured at
--   1,000,000 plays in BENCHMARKS.md (bench.queries).
--
-- The inventory lists, value distributions and histograms of both sources are one SQL function each,
-- mtm_json_path_* in db/migrations/0014_shared_sql.sql, called with 'tracks' or 'plays'; PostgreSQL
-- inlines them, so EXPLAIN shows the plan of the function's SQL with the other source's branch gone.

-- name: refresh_json_path_inventory
-- Recompute json_path_inventory (every key path with its JSON types and how many scanned tracks
-- have it), json_path_sample and json_path_inventory_info; returns one row (scanned, total).
-- One statement, idempotent: paths no longer seen are deleted, the others upserted.
-- The walk runs per track (mtm_json_key_paths, db/migrations/0003_explorer.sql: a recursive CTE, small
-- and in memory). Sample: 5,000 tracks, chosen by md5(track_id).
with total as (
  select count(*) as n from tracks
),
picked as materialized (
  select track_id from tracks order by md5(track_id) limit 5000
),
walked as (
  select t.track_id, w.path, w.depth, w.typ
  from picked p
  join tracks t using (track_id)
  cross join lateral mtm_json_key_paths(t.raw_json) w
),
inventory as (
  select case when left(path, 1) = '.' then substr(path, 2) else path end as path,
         max(depth) as depth,
         array_agg(distinct typ order by typ) as types,
         count(distinct track_id) as tracks
  from walked
  group by path
),
sample_gone as (
  delete from json_path_sample s where not exists (select 1 from picked p where p.track_id = s.track_id)
),
sample_new as (
  insert into json_path_sample (track_id) select track_id from picked on conflict (track_id) do nothing
),
paths_gone as (
  delete from json_path_inventory i where not exists (select 1 from inventory n where n.path = i.path)
),
paths_new as (
  insert into json_path_inventory (path, depth, types, tracks)
  select path, depth, types, tracks from inventory
  on conflict (path) do update set depth = excluded.depth, types = excluded.types, tracks = excluded.tracks
)
insert into json_path_inventory_info (singleton, scanned, total, computed_at)
select true, (select count(*) from picked), (select n from total), now()
on conflict (singleton) do update
  set scanned = excluded.scanned, total = excluded.total, computed_at = excluded.computed_at
returning scanned, total;

-- name: json_path_inventory_info
-- When the inventory was computed and from how many tracks (scanned) out of how many (total);
-- whether any track exists now (has_tracks). No inventory row yet: scanned and total are null.
-- example: {}
select scanned, total, computed_at, sampled, has_rows as has_tracks, paths
from mtm_json_path_inventory_info('tracks');

-- name: json_path_inventory_list
-- Key paths containing :q (case-insensitive, plain text: no wildcards; '' = all), in path order,
-- with their JSON types, how many scanned tracks have them and that as a share of those scanned.
-- example: {"q": "album", "limit": 500}
select path, types, items as tracks, share, depth
from mtm_json_path_inventory_list('tracks', :q, :limit);

-- name: json_path_values
-- Top values at SQL/JSON path :path over the sampled tracks (json_path_sample; when it is empty,
-- 5,000 tracks chosen the same way), reading at most :max_values values: each value as text
-- (strings unquoted, other JSON as JSON text, cut at 300 characters), its JSON type, how often it
-- occurs (count, share of all values read) and in how many tracks; then totals repeated per row.
-- example: {"path": "$.album.album_type", "max_values": 50000, "limit": 20}
select value, type, count, share, items as tracks, total_values, distinct_values, numeric_values,
       items_with_path as tracks_with_path, scanned_items as scanned_tracks, capped
from mtm_json_path_values('tracks', cast(:path as jsonpath), :max_values, :limit);

-- name: json_path_histogram
-- Histogram of the numbers at SQL/JSON path :path over the same sample as json_path_values (at
-- most :max_values numbers): :bins equal-width bins between the smallest and largest number, one
-- row per non-empty bin with its bounds and count (one bin when all numbers are equal).
-- example: {"path": "$.popularity", "max_values": 50000, "bins": 20}
select bin, bin_start, bin_end, count
from mtm_json_path_histogram('tracks', cast(:path as jsonpath), :max_values, :bins);

-- name: jsonpath_check
-- Whether :jsonpath is valid SQL/JSON path text, and PostgreSQL's message (and detail) when not.
-- Runs nothing against the data.
-- example: {"jsonpath": "$.popularity > 80"}
select pg_input_is_valid(:jsonpath, 'jsonpath') as valid,
       e.message, e.detail
from pg_input_error_info(:jsonpath, 'jsonpath') as e;

-- name: explorer_filter_containment
-- Tracks whose raw_json contains the JSON document :doc (raw_json @> doc: an object's pairs, an
-- array's elements, at any depth they are given), at most :limit, in storage order (no sort, so
-- the limit stops the scan). Uses tracks_raw_json_slim_idx (GIN jsonb_path_ops) through the second
-- test, implied by the first: a document naming available_markets asks the index for its other pairs.
-- example: {"doc": "{\"explicit\": true}", "limit": 1001}
select name, artist_name, album_name, track_id
from tracks
where raw_json @> cast(:doc as jsonb)
  and mtm_track_json_indexed(raw_json) @> mtm_track_json_indexed(cast(:doc as jsonb))
limit :limit;

-- name: explorer_filter_jsonpath_match
-- Tracks for which the JSONPath predicate :jsonpath is true (raw_json @@ jsonpath, e.g.
-- `$.popularity > 80`), at most :limit, in storage order. Equality predicates use
-- tracks_raw_json_slim_idx (unless the path reaches available_markets); others scan until :limit rows match.
-- example: {"jsonpath": "$.explicit == true", "limit": 1001}
select name, artist_name, album_name, track_id
from tracks
where raw_json @@ cast(:jsonpath as jsonpath)
  and (mtm_jsonpath_needs_whole_json(cast(:jsonpath as jsonpath))
       or mtm_track_json_indexed(raw_json) @@ cast(:jsonpath as jsonpath))
limit :limit;

-- name: explorer_filter_jsonpath_exists
-- Tracks in which the JSONPath :jsonpath selects at least one item (raw_json @? jsonpath, e.g.
-- `$.album.images[*] ? (@.width > 600)`), at most :limit, in storage order. Paths with equality
-- filters use tracks_raw_json_slim_idx (unless they reach available_markets); others scan until
-- :limit rows match.
-- example: {"jsonpath": "$.album.images[*] ? (@.width == 640)", "limit": 1001}
select name, artist_name, album_name, track_id
from tracks
where raw_json @? cast(:jsonpath as jsonpath)
  and (mtm_jsonpath_needs_whole_json(cast(:jsonpath as jsonpath))
       or mtm_track_json_indexed(raw_json) @? cast(:jsonpath as jsonpath))
limit :limit;

-- name: explorer_track_payload
-- One track's whole raw_json with its name, artist and album; no row for an unknown track_id.
-- example: {"track_id": "1UwqgrzSbOl4LnwEqL4AhO"}
select track_id, name, artist_name, album_name, raw_json
from tracks
where track_id = :track_id;

-- name: explorer_track_lookup
-- Tracks to show the payload of: the track whose id is :q, then tracks whose name, artist or album
-- (accents folded) contain the LIKE pattern :pattern (backslash escapes; db.jsonpaths.like_contains),
-- at most :limit.
-- example: {"q": "love", "pattern": "%love%", "limit": 50}
select track_id, name, artist_name, album_name
from tracks
where track_id = :q
union all
(select track_id, name, artist_name, album_name
 from tracks
 where search_text like mtm_fold(:pattern) escape '\' and track_id <> :q
 limit :limit);


-- name: refresh_plays_zz_json_path_inventory
-- Recompute plays_json_sample, plays_json_path_inventory (every key path in the sampled plays'
-- raw_json with its JSON types and how many sampled plays have it) and plays_json_path_inventory_info;
-- returns one row (scanned, total). Named to sort after the plays rollup refreshes: it reads
-- plays_hourly (refresh_plays_a_full / refresh_plays_rollups) for the number of plays per hour.
-- The sample: k = least(5000, total) plays, the floor(i * total / k)-th play in ended_at order
-- for i = 0..k-1 (every play when total <= 5000). Per hour of plays_hourly, the sample positions
-- falling in it become offsets within the hour, read by one short range scan of plays_natural_key.
-- The walk is mtm_json_key_paths (db/migrations/0003_explorer.sql), as for tracks. The cost is the
-- same at any size above 5,000 plays (BENCHMARKS.md, "inventory refreshes").
with hours as materialized (
  select hour_utc, sum(plays)::bigint as n from plays_hourly group by hour_utc
),
total as (
  select coalesce(sum(n), 0)::bigint as n, least(coalesce(sum(n), 0), 5000)::bigint as k from hours
),
cum as (
  select hour_utc, n, (sum(n) over (order by hour_utc) - n)::bigint as before from hours
),
wanted as (
  -- sample i lies in this hour when before <= floor(i * total / k) < before + n
  select c.hour_utc, array_agg(i * t.n / t.k - c.before) as offsets, max(i * t.n / t.k - c.before) as last_offset
  from cum c
  cross join total t
  cross join lateral generate_series((c.before * t.k + t.n - 1) / t.n, ((c.before + c.n) * t.k + t.n - 1) / t.n - 1) i
  where t.k > 0
  group by c.hour_utc
),
picked as materialized (
  select x.ended_at, x.ms_played, x.raw_json, row_number() over () as play
  from wanted w
  cross join lateral (
    select p.ended_at, p.ms_played, p.raw_json, row_number() over (order by p.ended_at) - 1 as o
    from plays p
    where p.ended_at >= w.hour_utc and p.ended_at < w.hour_utc + interval '1 hour'
    order by p.ended_at
    limit w.last_offset + 1
  ) x
  where x.o = any (w.offsets)
),
walked as (
  select t.play, w.path, w.depth, w.typ
  from picked t
  cross join lateral mtm_json_key_paths(t.raw_json) w
),
inventory as (
  select case when left(path, 1) = '.' then substr(path, 2) else path end as path,
         max(depth) as depth,
         array_agg(distinct typ order by typ) as types,
         count(distinct play) as plays
  from walked
  group by path
),
sample_gone as (
  delete from plays_json_sample
),
sample_new as (
  insert into plays_json_sample (ended_at, ms_played, raw_json) select ended_at, ms_played, raw_json from picked
),
paths_gone as (
  delete from plays_json_path_inventory i where not exists (select 1 from inventory n where n.path = i.path)
),
paths_new as (
  insert into plays_json_path_inventory (path, depth, types, plays)
  select path, depth, types, plays from inventory
  on conflict (path) do update set depth = excluded.depth, types = excluded.types, plays = excluded.plays
)
insert into plays_json_path_inventory_info (singleton, scanned, total, first_at, last_at, computed_at)
select true, (select count(*) from picked), (select n from total),
       (select min(ended_at) from picked), (select max(ended_at) from picked), now()
on conflict (singleton) do update
  set scanned = excluded.scanned, total = excluded.total, first_at = excluded.first_at,
      last_at = excluded.last_at, computed_at = excluded.computed_at
returning scanned, total;

-- name: plays_json_path_inventory_info
-- When the plays inventory was computed, from how many sampled plays (scanned) out of how many
-- (total), and the time span of the sample (first_at, last_at); whether any play exists now
-- (has_plays). No inventory row yet: scanned and total are null.
-- example: {}
select scanned, total, first_at, last_at, computed_at, sampled, has_rows as has_plays, paths
from mtm_json_path_inventory_info('plays');

-- name: plays_json_path_inventory_list
-- Key paths of the plays' raw_json containing :q (case-insensitive, plain text: no wildcards;
-- '' = all), in path order, with their JSON types, how many sampled plays have them and that as a
-- share of the sampled plays. Reads the precomputed inventory only (~25 rows for Spotify's format).
-- example: {"q": "master_metadata", "limit": 500}
select path, types, items as plays, share, depth
from mtm_json_path_inventory_list('plays', :q, :limit);

-- name: plays_json_path_values
-- Top values at SQL/JSON path :path over the sampled plays (plays_json_sample; when it is empty,
-- the newest 5,000 plays), reading at most :max_values values: each value as text (strings
-- unquoted, other JSON as JSON text, cut at 300 characters), its JSON type, how often it occurs
-- (count, share of all values read) and in how many plays; then totals repeated per row. Never
-- reads more than 5,000 plays, whatever the size of `plays`.
-- example: {"path": "$.reason_end", "max_values": 50000, "limit": 20}
select value, type, count, share, items as plays, total_values, distinct_values, numeric_values,
       items_with_path as plays_with_path, scanned_items as scanned_plays, capped
from mtm_json_path_values('plays', cast(:path as jsonpath), :max_values, :limit);

-- name: plays_json_path_histogram
-- Histogram of the numbers at SQL/JSON path :path over the same sampled plays as
-- plays_json_path_values (at most :max_values numbers): :bins equal-width bins between the
-- smallest and largest number, one row per non-empty bin with its bounds and count.
-- example: {"path": "$.ms_played", "max_values": 50000, "bins": 20}
select bin, bin_start, bin_end, count
from mtm_json_path_histogram('plays', cast(:path as jsonpath), :max_values, :bins);

-- name: explorer_plays_filter_containment
-- The newest plays whose raw_json contains the JSON document :doc (raw_json @> doc), at most
-- :limit, newest first, with what identifies each play (ended_at, ms_played, item_key: the
-- plays_natural_key hash, for explorer_play_payload). No index on raw_json: a common match such
-- as {"shuffle": true} reads plays_natural_key backwards and stops after :limit matches; a rare or
-- absent one scans the table (parallel seq scan + top-N sort).
-- example: {"doc": "{\"shuffle\": true}", "limit": 1001}
select ended_at, kind, track, artist, album, ms_played, platform, country,
       mtm_play_natural_hash(uri, artist, track)::text as item_key
from plays
where raw_json @> cast(:doc as jsonb)
order by ended_at desc
limit :limit;

-- name: explorer_plays_filter_jsonpath_match
-- The newest plays for which the JSONPath predicate :jsonpath is true (raw_json @@ jsonpath, e.g.
-- `$.ms_played > 600000`), at most :limit, newest first; scanned as explorer_plays_filter_containment.
-- example: {"jsonpath": "$.reason_end == \"fwdbtn\"", "limit": 1001}
select ended_at, kind, track, artist, album, ms_played, platform, country,
       mtm_play_natural_hash(uri, artist, track)::text as item_key
from plays
where raw_json @@ cast(:jsonpath as jsonpath)
order by ended_at desc
limit :limit;

-- name: explorer_plays_filter_jsonpath_exists
-- The newest plays in which the JSONPath :jsonpath selects at least one item (raw_json @? jsonpath,
-- e.g. `$.listening_context ? (@.type == "playlist")`), at most :limit, newest first; scanned as
-- explorer_plays_filter_containment.
-- example: {"jsonpath": "$.episode_show_name ? (@ != null)", "limit": 1001}
select ended_at, kind, track, artist, album, ms_played, platform, country,
       mtm_play_natural_hash(uri, artist, track)::text as item_key
from plays
where raw_json @? cast(:jsonpath as jsonpath)
order by ended_at desc
limit :limit;

-- name: explorer_plays_newest
-- The newest :limit plays (to pick one whose payload to show when no filter is set), as the filters
-- return them. A backward read of plays_natural_key.
-- example: {"limit": 50}
select ended_at, kind, track, artist, album, ms_played, platform, country,
       mtm_play_natural_hash(uri, artist, track)::text as item_key
from plays
order by ended_at desc
limit :limit;

-- name: explorer_plays_lookup
-- The newest :limit plays of what matches a typed name, newest first, as the filters return them
-- plus `match` ('text' or 'similar'): the play_items (one per distinct kind, uri, artist, album,
-- track) whose track, episode or chapter, artist or show, or album or book matches the tsquery
-- :tsq (db.search builds it: accent-folded, every plain word also a prefix; play_items_search_idx),
-- or, when none does, the 20 items whose text is most similar to :fuzzy (a typo;
-- play_items_search_trgm_idx). From items to plays without touching `plays` beyond the answer:
-- the hours each item was played in (plays_hourly_items), newest first, give the :limit newest
-- (item, hour) rows, which hold at least :limit plays and every play newer than the :limit-th;
-- each is then one short plays_natural_key range (that hour, that item's natural-key hash).
-- Up to 1,000 items: the newest :limit hours of each (plays_hourly_items_item_idx, backwards);
-- more (an artist with thousands of tracks): plays_hourly_items read newest hour first
-- (plays_hourly_items_hour_idx) keeping the rows whose item matches (play_items primary key).
-- `plays` is only read through plays_natural_key (timings: BENCHMARKS.md, bench.queries).
-- example: {"tsq": "'motley':* & 'crue':*", "fuzzy": "motley crue", "limit": 50}
with fts as (
  select i.item_key, i.kind, i.uri, i.artist, i.album, i.track
  from play_items i
  where i.search @@ to_tsquery('simple_unaccent', :tsq)
), fuzzy as (
  select i.item_key, i.kind, i.uri, i.artist, i.album, i.track
  from play_items i
  where not exists (select 1 from fts)
    and :fuzzy <> '' and mtm_fold(:fuzzy) <% i.search_text
  order by word_similarity(mtm_fold(:fuzzy), i.search_text) desc, i.item_key
  limit 20
), matched as materialized (
  select f.*, 'text' as match from fts f
  union all
  select z.*, 'similar' from fuzzy z
), items as (
  select count(*) as n from matched
), few as (
  select h.hour_utc, m.item_key
  from matched m
  cross join lateral (select x.hour_utc from plays_hourly_items x where x.item_key = m.item_key
                      order by x.hour_utc desc limit :limit) h
  where (select n from items) <= 1000
), many as (
  select x.hour_utc
  from plays_hourly_items x
  where (select n from items) > 1000
    and exists (select 1 from play_items i
                where i.item_key = x.item_key and i.search @@ to_tsquery('simple_unaccent', :tsq))
  order by x.hour_utc desc
  limit :limit
), cut as (
  select min(hour_utc) as hour_utc
  from (select hour_utc from few union all select hour_utc from many order by hour_utc desc limit :limit) t
), hours as materialized (
  select f.hour_utc, f.item_key from few f where f.hour_utc >= (select hour_utc from cut)
  union all
  select x.hour_utc, x.item_key from plays_hourly_items x
  where (select n from items) > 1000 and x.hour_utc >= (select hour_utc from cut)
    and exists (select 1 from play_items i
                where i.item_key = x.item_key and i.search @@ to_tsquery('simple_unaccent', :tsq))
), keyed as materialized (
  select h.hour_utc, h.item_key, m.match,
         mtm_play_natural_hash(m.uri, m.artist, m.track) as natural_key
  from hours h
  join matched m using (item_key)
)
select p.ended_at, p.kind, p.track, p.artist, p.album, p.ms_played, p.platform, p.country,
       k.natural_key::text as item_key, k.match
from keyed k
cross join lateral (
  select q.ended_at, q.kind, q.track, q.artist, q.album, q.ms_played, q.platform, q.country
  from plays q
  where q.ended_at >= k.hour_utc and q.ended_at < k.hour_utc + interval '1 hour'
    and mtm_play_natural_hash(q.uri, q.artist, q.track) = k.natural_key
    and mtm_play_item_key(q.kind, q.uri, q.artist, q.album, q.track) = k.item_key
  order by q.ended_at desc
  limit :limit
) p
order by p.ended_at desc, p.ms_played desc, k.natural_key
limit :limit;

-- name: explorer_play_payload
-- One play's whole raw_json with when it ended, what it was and for how long; the play is named by
-- its natural key (:ended_at as ISO text with an offset, :ms_played, :item_key as the filters
-- return them), found through plays_natural_key. No row for an unknown play.
-- example: {"ended_at": "2026-11-15T21:56:46+00:00", "ms_played": 352238, "item_key": "aabf3ad9-0a26-d76d-c2bf-f7843bd658e6"}
select ended_at, kind, track, artist, album, ms_played, platform, country, source, raw_json
from plays
where ended_at = cast(:ended_at as timestamptz)
  and ms_played = :ms_played
  and mtm_play_natural_hash(uri, artist, track) = cast(:item_key as uuid);
