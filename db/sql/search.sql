-- Search page: ranked, accent-insensitive, prefix-aware full-text search over tracks, with a
-- typo-tolerant trigram fallback; and one track's rank history.

-- name: search_has_tracks
-- Whether there is any track at all (the search page shows the empty state when not).
-- example: {}
select exists (select 1 from tracks) as has_tracks;

-- name: search_tracks
-- Tracks matching a search, best first; at most :limit rows. :tsq is a tsquery built by db.search
-- (plain words end in :* so they match as prefixes), :tsq_exact the same without the prefixes (a
-- whole-word match ranks above a prefix match), :q the words looked for as typed (bonus for a track
-- name or artist equal to them, a name starting with them).
-- Full-text matches (match = 'text', tracks_search_idx) rank by ts_rank_cd with name (A) above
-- artist (B) above album (C). A very broad query (a single letter) is ranked among its first 2,000
-- matching tracks only, so it stays fast; `candidates` says how many were ranked (2000 = capped).
-- When there are fewer than 5 full-text matches, the fallback follows as match = 'similar',
-- closest first: tracks whose folded text has a word similar to :fuzzy (pg_trgm word similarity
-- >= 0.6, the default threshold; tracks_search_trgm_idx), or contains :infix anywhere (Chinese,
-- Japanese and Korean names, which have no spaces; tracks_cjk_grams_idx). An empty :fuzzy or
-- :infix turns that part off. Each row: the track, its release year (any date precision), Spotify
-- link, and the raw_json album images (the page picks the smallest).
-- example: {"tsq": "'radiohaed':*", "tsq_exact": "'radiohaed'", "q": "radiohaed", "fuzzy": "radiohaed", "infix": "", "limit": 51}
with matched as (
  select t.track_id, t.name, t.artist_name, t.search
  from tracks t
  where t.search @@ to_tsquery('simple_unaccent', :tsq)
  limit 2000
), ranked as (
  select m.track_id, m.name, m.artist_name, count(*) over () as candidates,
         ts_rank_cd('{0.1, 0.2, 0.5, 1.0}', m.search, to_tsquery('simple_unaccent', :tsq), 1)
         + ts_rank_cd('{0.1, 0.2, 0.5, 1.0}', m.search, to_tsquery('simple_unaccent', :tsq_exact), 1)
           as rank
  from matched m
  order by rank desc
  limit 200
), fts as (
  select r.track_id, r.candidates,
         r.rank
         + case when mtm_fold(r.name) = mtm_fold(:q) then 2
                when starts_with(mtm_fold(r.name), mtm_fold(:q)) then 1
                else 0 end
         + case when mtm_fold(r.artist_name) = mtm_fold(:q) then 1 else 0 end as score
  from ranked r
  order by score desc, r.name, r.track_id
  limit :limit
), fuzzy as (
  select t.track_id, word_similarity(mtm_fold(:fuzzy), t.search_text) as score
  from tracks t
  where (select count(*) from fts) < 5
    and ((:fuzzy <> '' and mtm_fold(:fuzzy) <% t.search_text)
         or (:infix <> ''
             and t.search_text ~ '[ぁ-ヿ㐀-䶿一-鿿豈-﫿가-힯𠀀-𿿽]'
             and mtm_cjk_grams(t.search_text) @> mtm_cjk_grams(mtm_fold(:infix))
             and t.search_text like '%' || replace(replace(replace(
                   mtm_fold(:infix), '\', '\\'), '%', '\%'), '_', '\_') || '%'))
    and t.track_id not in (select track_id from fts)
  order by mtm_fold(:fuzzy) <<-> t.search_text, t.name, t.track_id
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
