-- The indexes of tracks, chosen for the queries the pages run (measured: BENCHMARKS.md,
-- bench.import_sqlite; the import builds every one of them, so each costs every import).
--
-- 1. The raw_json explorer's filter index (db/sql/explorer.sql, explorer_filter_*) no longer holds
--    the two available_markets arrays. A Spotify track lists ~155-185 markets twice (the track's and
--    its album's): 90% of the values of a payload, each one a GIN entry, in every track. The index
--    over the whole document was 66-71 MB at 50,000 tracks and took 7.4 s to build; without the
--    markets it is 42 MB and 2.3 s, and every filter on the other paths still reads it. The filters
--    keep their meaning: they test raw_json itself, and add the same test on the document without
--    the markets (implied by it, so no match is lost) for the index to answer; a filter that reaches
--    the markets (or any key through a wildcard) is answered by the bounded scan, as `>` and
--    like_regex filters already were.
-- 2. tracks_artist_trgm_idx (trigrams of the folded artist name) is dropped: no query reads it (the
--    search's trigram fallback reads search_text, which holds the artist, through
--    tracks_search_trgm_idx).

-- raw_json without available_markets and album.available_markets (other values as they are).
create or replace function mtm_track_json_indexed(j jsonb) returns jsonb
language sql immutable parallel safe strict
return case
  when jsonb_typeof(j) <> 'object' then j
  when jsonb_typeof(j -> 'album') = 'object' then (j - 'available_markets') #- '{album,available_markets}'
  else j - 'available_markets'
end;

-- Whether JSONPath `p` may select what mtm_track_json_indexed() leaves out: it names
-- available_markets, walks any key (`.*`, `.**`, keyvalue()) or holds an escape; when true, the
-- explorer's JSONPath filters test raw_json alone (a scan) instead of asking the index.
create or replace function mtm_jsonpath_needs_whole_json(p jsonpath) returns boolean
language sql immutable parallel safe strict
return p::text ~* '\.\*|available_markets|keyvalue|\\';

set local maintenance_work_mem = '256MB';
drop index if exists tracks_raw_json_idx;
create index if not exists tracks_raw_json_slim_idx on tracks using gin (mtm_track_json_indexed(raw_json) jsonb_path_ops);
drop index if exists tracks_artist_trgm_idx;
