-- Search: finding part of a name written without spaces (Chinese, Japanese, Korean), such as "龍一"
-- in "坂本龍一". The text parser sees such a name as one long word, so full-text search finds it only
-- by its beginning, and pg_trgm's index cannot help with fewer than three characters. This index
-- holds, for texts with such characters only, every character of those runs and every pair of
-- neighbouring characters; the search fallback (db/sql/search.sql, search_tracks) asks for all the
-- pairs of the query, then checks the whole query with LIKE.

-- The characters: kana, CJK ideographs (with extension A, compatibility, extensions B and later),
-- Hangul syllables. db.search.unspaced() uses the same ranges.
create or replace function mtm_cjk_grams(t text) returns text[]
language sql immutable parallel safe strict
return array(
  select distinct substr(m[1], i, n)
  from regexp_matches(t, '[ぁ-ヿ㐀-䶿一-鿿豈-﫿가-힯𠀀-𿿽]+', 'g') as m,
       generate_series(1, char_length(m[1])) as i,
       (values (1), (2)) as v(n)
  where i + n - 1 <= char_length(m[1]));

-- Partial: only tracks whose folded text has such characters (the predicate is cheap to evaluate
-- on import; the grams are computed for those rows only).
create index if not exists tracks_cjk_grams_idx on tracks using gin (mtm_cjk_grams(search_text))
  where search_text ~ '[ぁ-ヿ㐀-䶿一-鿿豈-﫿가-힯𠀀-𿿽]';
