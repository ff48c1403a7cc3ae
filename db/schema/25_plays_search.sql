-- Search over what was played (app_pages/search.py, "In your plays"; db/sql/search.sql,
-- search_play_items and play_item_history): play_items (20_plays.sql) searchable the way tracks are
-- (00_core.sql, 05_search.sql), and the lookups that give a search result its plays.
-- Every statement is idempotent. The secondary indexes below are rollup indexes: a first import
-- drops them and builds them again after filling the rollups (plays_rollup_indexes_to_rebuild).

-- What a search result is: a played track as the Plays page counts it (kind, artist and name: one
-- song heard on an album and on a compilation, or through the account data, is one result), a
-- podcast episode (kind, show, episode), and for audiobooks the book (kind, title), whose chapter
-- names ("Chapter 1") repeat from book to book. The key is the plays_z_items name_key of that
-- level, so a result's plays, minutes and first and last stream are its year rows there:
--   plays_z_key('track', kind, artist, track), or for an audiobook with a title
--   plays_z_key('album', kind, artist, album)                   (db/schema/30_plays_analysis.sql)
-- Written out here because this file runs before 30_plays_analysis.sql defines plays_z_key; a test
-- (tests/test_search_plays.py) checks that both give the same key for every item.
create or replace function mtm_play_group_key(kind text, artist text, album text, track text) returns uuid
language sql immutable parallel safe
return case when kind = 'audiobook' and album is not null
            then md5('album' || E'\x1f' || kind || E'\x1f' || coalesce(artist, E'\x1e') || E'\x1f' || album)::uuid
            else md5('track' || E'\x1f' || kind || E'\x1f' || coalesce(artist, E'\x1e') || E'\x1f'
                     || coalesce(track, E'\x1e'))::uuid end;

-- The generated columns: the same configuration, weights and folding as tracks.search and
-- tracks.search_text (track or episode or chapter A, artist or show B, album or book C), and the
-- result key. Added only when missing: ALTER TABLE would take an exclusive lock on play_items on
-- every start, queueing page reads behind a running import.
do $$
begin
  if not exists (select 1 from pg_attribute
                 where attrelid = 'play_items'::regclass and attname = 'search' and not attisdropped) then
    alter table play_items add column if not exists search tsvector generated always as (
      setweight(to_tsvector('simple_unaccent', coalesce(track, '')), 'A') ||
      setweight(to_tsvector('simple_unaccent', coalesce(artist, '')), 'B') ||
      setweight(to_tsvector('simple_unaccent', coalesce(album, '')), 'C')) stored;
  end if;
  if not exists (select 1 from pg_attribute
                 where attrelid = 'play_items'::regclass and attname = 'search_text' and not attisdropped) then
    alter table play_items add column if not exists search_text text generated always as (
      mtm_fold(coalesce(track, '') || ' ' || coalesce(artist, '') || ' ' || coalesce(album, ''))) stored;
  end if;
  if not exists (select 1 from pg_attribute
                 where attrelid = 'play_items'::regclass and attname = 'group_key' and not attisdropped) then
    alter table play_items add column if not exists group_key uuid generated always as (
      mtm_play_group_key(kind, artist, album, track)) stored;
  end if;
end $$;

create index if not exists play_items_search_idx on play_items using gin (search);
create index if not exists play_items_search_trgm_idx on play_items using gin (search_text gin_trgm_ops);
create index if not exists play_items_cjk_grams_idx on play_items using gin (mtm_cjk_grams(search_text))
  where search_text ~ '[ぁ-ヿ㐀-䶿一-鿿豈-﫿가-힯𠀀-𿿽]';
create index if not exists play_items_group_key_idx on play_items (group_key);

-- One result's plays per month (play_item_history): the hourly rows of its items, read from the
-- index alone. 1,000,000 plays: about 1,000,000 rows, one index build on a first import. Built
-- again once where it lacks the per-threshold counts (it held only plays and ms_played before).
do $$
begin
  if exists (select 1 from pg_indexes where schemaname = current_schema() and indexname = 'plays_hourly_items_item_idx'
                                        and indexdef not like '%plays_30s%') then
    drop index plays_hourly_items_item_idx;
  end if;
end $$;
create index if not exists plays_hourly_items_item_idx on plays_hourly_items (item_key, hour_utc)
  include (plays, ms_played, plays_10s, plays_30s, plays_60s);
