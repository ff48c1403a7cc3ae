-- Search page: ranked, accent-insensitive, prefix-aware full-text search over tracks, with a
-- typo-tolerant trigram fallback; and one track's rank history.
--
-- EXACT_RANK_NOTE: a match's rank adds the whole-word ts_rank_cd (:tsq_exact) to the prefix one. It
-- is computed only for rows that contain the whole words: for the others ts_rank_cd is 0 anyway (no
-- cover satisfies the query; tests/test_search_queries.py checks it), and a `@@` test costs far less
-- than a ts_rank_cd. While a word is being typed no row has it whole, which made that second
-- ts_rank_cd a third of a broad multi-word keystroke's time.
--
-- CANDIDATES_NOTE: a broad keystroke matches thousands of rows, and ranking them (two ts_rank_cd a
-- row) is most of its time, so both searches rank two capped sets of candidates:
--   - `matched`: the first 1,000 matching rows in table order (the library's import order; the
--     plays' most streamed first, PLAY_ITEMS_ORDER in db/sql/plays_refresh.sql);
--   - `named`: the first 300 matching rows whose folded name starts with the words typed, in name
--     order by byte, so the names equal to the words come first (tracks_name_fold_idx, migration
--     0025; play_items_name_fold_idx over an item's name as shown, mtm_play_item_name(), 0026).
-- The name candidates are what the name bonus lifts to the top: without them a track or played
-- item named exactly what was typed was ranked only when it happened to be in `matched`. When the
-- 200 best ranks are kept, they count 1 more (the least name bonus they will get), as their final
-- score does. When fewer than 1,000 rows match, every match is in `matched`, so `candidates` (how
-- many were ranked) reaches 1,000 exactly when the search was capped.
-- The split was chosen with bench.search_quality (BENCHMARKS.md), on the keystrokes of bench.search
-- that match more than 2,000 rows: the share of the top 10's positions as good as a ranking of every
-- match, library / plays, for (table order + by name) candidates:
--   - 2,000 + 0: 53% / 73%;  2,000 + 100: 62% / 75%;  2,000 + 300: 76% / 90%;
--   - 1,000 + 300: 74% / 88%;  1,000 + 500: 79% / 91%;  1,000 + 800: 82% / 94%;  1,500 + 500: 80% / 92%.
-- The first result was as good at 58% / 89% of the keystrokes for 2,000 + 0, 72% / 89% for 2,000 +
-- 100 and 84% / 89% for 1,000 + 300. Name candidates are read in name order, each from its own heap
-- page, with no read-ahead: cold from the disk, 28 keystrokes of bench.search's queries took the
-- library 529 ms at 2,000 + 100, 501 ms at 1,000 + 300 and 576 ms at 1,000 + 500 (a probe, median of
-- 3, the OS page cache dropped each time). 1,000 + 300 was taken: better than 2,000 + 100 in
-- quality, and faster warm (interleaved runs of every keystroke, a probe: p95 search_tracks 21.1 ->
-- 16.1 ms, search_play_items 18.9 -> 15.3 ms) and cold.

-- name: search_has_tracks
-- Whether there is any track at all (the search page shows the empty state when not).
-- example: {}
select exists (select 1 from tracks) as has_tracks;

-- name: search_tracks
-- Tracks matching a search, best first; at most :limit rows. :tsq is a tsquery built by db.search
-- (plain words end in :* so they match as prefixes), :tsq_rank the same without its -exclusions (what
-- a match is ranked by: a row found contains no excluded word, and ts_rank_cd takes several times
-- as long with them), :tsq_exact that without the prefixes (a whole-word match ranks above a prefix
-- match), :q the words looked for as typed (bonus for a track name or artist equal to them, a name
-- starting with them).
-- Full-text matches (match = 'text', tracks_search_idx) rank by ts_rank_cd with name (A) above
-- artist (B) above album (C). A broad query is ranked among its first 1,000 matching tracks and the
-- first 300 whose name starts with the words only (CANDIDATES_NOTE), so it stays fast; `candidates`
-- says how many were ranked (1,000 or more = capped).
-- When there are fewer than 5 full-text matches, the fallback follows as match = 'similar',
-- closest first among the first 500 such tracks (so that a typo of an artist with thousands of
-- tracks stays fast): tracks whose folded text has a word similar to :fuzzy (pg_trgm word similarity
-- >= 0.6, the default threshold; tracks_search_trgm_idx), or contains :infix anywhere (Chinese,
-- Japanese and Korean names, which have no spaces; tracks_cjk_grams_idx). An empty :fuzzy or
-- :infix turns that part off. Each row: the track, its release year (any date precision), Spotify
-- link, and the raw_json album images (the page picks the smallest).
-- example: {"tsq": "'radiohaed':*", "tsq_rank": "'radiohaed':*", "tsq_exact": "'radiohaed'", "q": "radiohaed", "fuzzy": "radiohaed", "infix": "", "min_seconds": 30, "limit": 51}
with named as (
  -- the matches whose name starts with the words, first by name (CANDIDATES_NOTE)
  select t.track_id, t.name, t.artist_name, t.search
  from tracks t
  where mtm_fold(t.name) collate "C" >= mtm_fold(:q) collate "C"
    and mtm_fold(t.name) collate "C" < (mtm_fold(:q) || chr(1114111)) collate "C"
    and starts_with(mtm_fold(t.name), mtm_fold(:q))
    and t.search @@ to_tsquery('simple_unaccent', :tsq)
  order by mtm_fold(t.name) collate "C"
  limit 300
), matched as (
  select t.track_id, t.name, t.artist_name, t.search
  from tracks t
  where t.search @@ to_tsquery('simple_unaccent', :tsq)
  limit 1000
), candidates as (
  select m.*, 0 as named from matched m where m.track_id not in (select track_id from named)
  union all
  select n.*, 1 from named n
), ranked as (
  select r.*
  from (select m.track_id, m.name, m.artist_name, count(*) over () as candidates, m.named,
               ts_rank_cd('{0.1, 0.2, 0.5, 1.0}', m.search, to_tsquery('simple_unaccent', :tsq_rank), 1)
               + case when m.search @@ to_tsquery('simple_unaccent', :tsq_exact)   -- else 0 (EXACT_RANK_NOTE)
                      then ts_rank_cd('{0.1, 0.2, 0.5, 1.0}', m.search, to_tsquery('simple_unaccent', :tsq_exact), 1)
                      else 0 end
                 as rank
        from candidates m) r
  order by r.rank + r.named desc
  limit 200
), fts as (
  select r.track_id, r.candidates,
         r.rank
         + case when f.name = mtm_fold(:q) then 2
                when starts_with(f.name, mtm_fold(:q)) then 1
                else 0 end
         + case when mtm_fold(r.artist_name) = mtm_fold(:q) then 1 else 0 end as score
  from ranked r
  cross join lateral (select mtm_fold(r.name) as name offset 0) f   -- folded once (unaccent is not cheap)
  order by score desc, r.name, r.track_id
  limit :limit
), fuzzy_matched as (
  -- the first 500 similar tracks: a typo of an artist with thousands of tracks in the library
  -- would otherwise rank every one of them (word distance costs ~15 us a row, its heap page more);
  -- its own plan, which reads the trigram index (db/migrations/0024_tracks_similar.sql)
  select s.track_id, s.name, s.search_text
  from tracks_similar(:fuzzy, :infix, (select array_agg(track_id) from fts), 500) s
  where (select count(*) from fts) < 5
), fuzzy as (
  -- closest first: word similarity computed once per candidate (ordering by it descending is ordering
  -- by the <<-> distance, 1 - similarity)
  select f.track_id, f.score
  from (select m.track_id, m.name, word_similarity(mtm_fold(:fuzzy), m.search_text) as score
        from fuzzy_matched m) f
  order by f.score desc, f.name, f.track_id
  limit :limit
), hits as (
  select track_id, 'text' as match, score::float8 as score, 1 as tier, candidates from fts
  union all
  select track_id, 'similar', score::float8, 2, null from fuzzy
)
select t.track_id, t.name, t.artist_name, t.album_name,
       nullif(substring(t.raw_json #>> '{album,release_date}' from '^\d{4}'), '0000')::int as year,
       coalesce(t.spotify_url, t.raw_json #>> '{external_urls,spotify}') as spotify_url,
       jsonb_path_query_array(t.raw_json, 'lax $.album.images[*]') as images,
       h.match, round(h.score::numeric, 4) as score, h.candidates
from hits h
join tracks t using (track_id)
order by h.tier, h.score desc, t.name, t.track_id
limit :limit;

-- name: track_rank_history
-- One track's rank in every snapshot of each time range it ever charted in, from its first to its
-- last snapshot: rank is null on snapshot dates when it was not in that range's list (so a chart
-- can break the line there). Naturally small: at most 3 rows per snapshot date.
-- example: {"track_id": "7HciLg0KWdfMXCYIkwCg6b"}
with mine as (
  select snapshot_date, time_range, rank from snapshots where track_id = :track_id
), span as (
  select min(snapshot_date) as first_date, max(snapshot_date) as last_date from mine
), dates as (
  select distinct s.snapshot_date
  from snapshots s, span
  where s.snapshot_date between span.first_date and span.last_date
), ranges as (
  select distinct time_range from mine
)
select d.snapshot_date, r.time_range, m.rank
from dates d
cross join ranges r
left join mine m on m.snapshot_date = d.snapshot_date and m.time_range = r.time_range
order by r.time_range, d.snapshot_date;

-- name: search_has_plays
-- Whether anything was played (a Spotify export imported): the search page adds its "In your
-- plays" section only then.
-- example: {}
select exists (select 1 from play_items) as has_plays;

-- name: search_play_items
-- What was played matching a search, best first; at most :limit rows. The same parameters, matching
-- and ranking as search_tracks, over play_items (one row per distinct played item: tracks, podcast
-- episodes, audiobook chapters; db/migrations/0006_plays_search.sql): full-text matches (match = 'text',
-- play_items_search_idx; track, episode or chapter name A, artist or show B, album or book C),
-- ranked among the first 1,000 matching items in the table's order, which is most streamed first,
-- and the first 300 whose name starts with the words (CANDIDATES_NOTE; `candidates`, 1,000 or more
-- = capped), and when under 5 results match, the
-- typo-tolerant and Chinese/Japanese/Korean fallback (match = 'similar', play_items_search_trgm_idx,
-- play_items_cjk_grams_idx; the closest among the first 500 similar items, so that a typo of a
-- much-played artist's name stays fast).
-- A row is a played track as the Plays page counts it (kind, artist and name: the same song on two
-- albums is one row), a podcast episode, or an audiobook (its chapters together); `name_key` is
-- its key (play_items.group_key = plays_z_items.name_key), which play_item_history takes. Each
-- row: kind, name (track, episode or audiobook title), track (the best-matching item's track,
-- episode or chapter name), artist (or show), album (music: the best-matching item's album),
-- track_id (one of its Spotify track ids, one in `tracks` when there is one), spotify_url (that
-- track's, else from the item's URI; a chapter opens as an episode, as Spotify links it),
-- in_library (that track is in `tracks`, so it has a rank history), plays (as the Plays page counts
-- them: streams of at least :min_seconds, 0, 10, 30 or 60), streams (every stream), minutes (every
-- stream), first_played and last_played (its first and last play; timestamptz, the page shows them
-- in the user's time zone), from its all-time row of plays_z_totals (its primary key; null
-- until the plays rollups are built). Unlike search_tracks, ranks are not normalised by length, so equal matches (every track
-- of an artist) tie and the most played comes first: when more than 1,000 items match, the ones
-- ranked are the 1,000 most streamed and up to 300 by name, and of equal ranks the 200 kept are the
-- most streamed.
-- example: {"tsq": "'radiohaed':*", "tsq_rank": "'radiohaed':*", "tsq_exact": "'radiohaed'", "q": "radiohaed", "fuzzy": "radiohaed", "infix": "", "min_seconds": 30, "limit": 51}
with named as (
  -- the items whose name starts with the words, first by name (CANDIDATES_NOTE)
  select i.item_key, i.group_key, i.kind, i.track, i.artist, i.album, i.uri, i.search, i.ctid as pos
  from play_items i
  where mtm_fold(mtm_play_item_name(i.kind, i.track, i.album)) collate "C" >= mtm_fold(:q) collate "C"
    and mtm_fold(mtm_play_item_name(i.kind, i.track, i.album)) collate "C" < (mtm_fold(:q) || chr(1114111)) collate "C"
    and starts_with(mtm_fold(mtm_play_item_name(i.kind, i.track, i.album)), mtm_fold(:q))
    and i.search @@ to_tsquery('simple_unaccent', :tsq)
  order by mtm_fold(mtm_play_item_name(i.kind, i.track, i.album)) collate "C"
  limit 300
), matched as (
  -- the first 1,000 in the table's order, most streamed first (PLAY_ITEMS_ORDER in
  -- db/sql/plays_refresh.sql); of equal ranks below, the first in that order (ctid) are kept
  select i.item_key, i.group_key, i.kind, i.track, i.artist, i.album, i.uri, i.search, i.ctid as pos
  from play_items i
  where i.search @@ to_tsquery('simple_unaccent', :tsq)
  limit 1000
), candidates as (
  select m.*, 0 as named from matched m where m.item_key not in (select item_key from named)
  union all
  select n.*, 1 from named n
), ranked as (
  select r.*
  from (select m.item_key, m.group_key, m.kind, m.track, m.artist, m.album, m.uri, m.pos, m.named,
               count(*) over () as candidates,
               ts_rank_cd('{0.1, 0.2, 0.5, 1.0}', m.search, to_tsquery('simple_unaccent', :tsq_rank), 0)
               + case when m.search @@ to_tsquery('simple_unaccent', :tsq_exact)   -- else 0 (EXACT_RANK_NOTE)
                      then ts_rank_cd('{0.1, 0.2, 0.5, 1.0}', m.search, to_tsquery('simple_unaccent', :tsq_exact), 0)
                      else 0 end
                 as rank
        from candidates m) r
  order by r.rank + r.named desc, r.pos
  limit 200
), fts_items as (
  select r.item_key, r.group_key, r.candidates, r.uri is not null as linked,
         r.rank
         + case when n.name = mtm_fold(:q) then 2
                when starts_with(n.name, mtm_fold(:q)) then 1
                else 0 end
         + case when mtm_fold(coalesce(r.artist, '')) = mtm_fold(:q) then 1 else 0 end as score
  from ranked r
  cross join lateral (select mtm_fold(mtm_play_item_name(r.kind, r.track, r.album)) as name offset 0) n   -- folded once
), fts as (
  select group_key, max(score) as score, max(candidates) as candidates,
         (array_agg(item_key order by score desc, linked desc, item_key))[1] as best
  from fts_items
  group by group_key
), fuzzy_matched as (
  -- the typo and CJK fallback, its own plan (db/migrations/0022_play_items_similar.sql)
  select s.item_key, s.group_key, s.linked, s.search_text
  from play_items_similar(:fuzzy, :infix, (select array_agg(group_key) from fts), 500) s
  where (select count(*) from fts) < 5
), fuzzy_items as (
  select f.item_key, f.group_key, f.linked, word_similarity(mtm_fold(:fuzzy), f.search_text) as score
  from fuzzy_matched f
  order by score desc, f.item_key
  limit 200
), fuzzy as (
  select group_key, max(score) as score, (array_agg(item_key order by score desc, linked desc, item_key))[1] as best
  from fuzzy_items
  group by group_key
), hits as (
  select group_key, best, 'text' as match, score::float8 as score, 1 as tier, candidates from fts
  union all
  select group_key, best, 'similar', score::float8, 2, null from fuzzy
), counted as (
  select h.*, z.plays, z.streams, z.ms_played, z.first_at, z.last_at
  from hits h
  cross join lateral (
    select sum(plays_z_pick(:min_seconds, y.plays, y.plays_10s, y.plays_30s, y.plays_60s))::bigint as plays,
           sum(y.plays)::bigint as streams, sum(y.ms_played)::bigint as ms_played,
           min(plays_z_pick(:min_seconds, y.first_at, y.first_10s_at, y.first_30s_at, y.first_60s_at)) as first_at,
           max(plays_z_pick(:min_seconds, y.last_at, y.last_10s_at, y.last_30s_at, y.last_60s_at)) as last_at
    from plays_z_totals y
    where y.name_key = h.group_key) z
  order by h.tier, h.score desc, z.plays desc nulls last, h.group_key
  limit :limit
)
select c.group_key::text as name_key, b.kind,
       case when b.kind = 'audiobook' and b.album is not null then b.album else b.track end as name,
       b.track, b.artist, case when b.kind = 'music' then b.album end as album,
       coalesce(l.track_id, b.track_id) as track_id,
       case when coalesce(l.track_id, b.track_id) ~ '^[0-9A-Za-z]{1,64}$'
            then 'https://open.spotify.com/track/' || coalesce(l.track_id, b.track_id)
            when b.uri ~ '^spotify:(track|episode|chapter|show|album|artist):[0-9A-Za-z]{1,64}$'
            then 'https://open.spotify.com/'
                 || case split_part(b.uri, ':', 2) when 'chapter' then 'episode' else split_part(b.uri, ':', 2) end
                 || '/' || split_part(b.uri, ':', 3) end as spotify_url,
       coalesce(l.in_library, false) as in_library,
       c.plays, c.streams, c.ms_played::float8 / 60000 as minutes, c.first_at as first_played,
       c.last_at as last_played,
       c.match, round(c.score::numeric, 4) as score, c.candidates
from counted c
join play_items b on b.item_key = c.best
left join lateral (
  select i.track_id, exists (select 1 from tracks t where t.track_id = i.track_id) as in_library
  from play_items i
  where i.group_key = c.group_key and i.track_id is not null
  order by 2 desc, i.item_key = c.best desc, i.track_id
  limit 1) l on true
order by c.tier, c.score desc, c.plays desc nulls last, name, c.group_key;

-- name: play_item_history
-- One search_play_items row's plays per month in the time zone :tz (:name_key, its name_key; :tz a
-- zone name PostgreSQL knows, as the Plays page checks it): plays as the Plays page counts them
-- (streams of at least :min_seconds), every stream and minutes (every stream), from the hourly
-- rollup of its items (play_items_group_key_idx, then plays_hourly_items_item_idx: an index-only
-- range per item); each row also carries the first and last play ever as local times in :tz (its
-- plays_z_items year rows). Months are made of whole UTC hours: exact for a zone whose offset is a
-- whole number of hours; in a :30 / :45 zone an hour straddling local midnight at a month's end
-- counts in the month it starts in. Naturally small: one row per month with a stream. The example
-- is the demo export's audiobook "Pride and Prejudice".
-- example: {"name_key": "35973aaf-76b5-b6a5-0499-c50398bb1bbb", "tz": "America/Los_Angeles", "min_seconds": 30}
with items as (
  select item_key from play_items where group_key = cast(:name_key as uuid)
), months as (
  select date_trunc('month', h.hour_utc, :tz) as month_start,
         plays_z_pick(:min_seconds, sum(h.plays), sum(h.plays_10s), sum(h.plays_30s), sum(h.plays_60s))::bigint
           as plays,
         sum(h.plays)::bigint as streams, sum(h.ms_played)::float8 / 60000 as minutes
  from items i
  join plays_hourly_items h on h.item_key = i.item_key
  group by 1
), ever as (
  select min(plays_z_pick(:min_seconds, y.first_at, y.first_10s_at, y.first_30s_at, y.first_60s_at)) as first_played,
         max(plays_z_pick(:min_seconds, y.last_at, y.last_10s_at, y.last_30s_at, y.last_60s_at)) as last_played
  from plays_z_items y
  where y.period = 'year' and y.name_key = cast(:name_key as uuid)
)
select (m.month_start at time zone :tz)::date as month, m.plays, m.streams, m.minutes,
       e.first_played at time zone :tz as first_played, e.last_played at time zone :tz as last_played
from months m
cross join ever e
order by m.month_start;
