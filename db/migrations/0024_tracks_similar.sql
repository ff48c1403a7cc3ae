-- The typo fallback of search_tracks as a function planned without sequential or plain index scans,
-- so it reads the trigram (and CJK grams) index: what 0022 did for search_play_items. Written into
-- the query, under its LIMIT 500, the planner expected many tracks to be similar to a short typed
-- word and read `tracks` in order, computing word_similarity row by row. For 'radioha' (a keystroke
-- of "radiohaed") at 100,600 tracks (bench.search's library) EXPLAIN showed 4,345 rows read to find
-- the 500: 31 ms, where the trigram index gives the same 500 rows reading only their pages. A bitmap
-- scan visits the table in its order, as the sequential scan does from its first page
-- (synchronize_seqscans is off for the pages), so the tracks found are the same. The settings cover
-- this function alone: the query's full-text part keeps its own plans. A function with SET is never
-- inlined, so they hold when it runs.
--
-- The first `lim` tracks (table order) whose search_text is word-similar to `fuzzy` (pg_trgm <%), or
-- which contain `infix` and are Chinese, Japanese or Korean text (mtm_cjk_grams); the tracks in
-- `excluded` (already found by full text) are skipped. `fuzzy` and `infix` as typed: they are folded
-- here (mtm_fold).
create or replace function tracks_similar(fuzzy text, infix text, excluded text[], lim integer)
returns table (track_id text, name text, search_text text)
language plpgsql stable parallel safe
set enable_seqscan = off
set enable_indexscan = off
as $fn$
begin
  -- EXECUTE plans each call with the values (a SQL function's body is planned with its arguments
  -- unknown): the condition not asked for folds away and mtm_fold runs once.
  return query execute $q$
    select t.track_id::text, t.name, t.search_text
    from tracks t
    where (($1 <> '' and mtm_fold($1) <% t.search_text)
           or ($2 <> ''
               and t.search_text ~ '[ぁ-ヿ㐀-䶿一-鿿豈-﫿가-힯𠀀-𿿽]'
               and mtm_cjk_grams(t.search_text) @> mtm_cjk_grams(mtm_fold($2))
               and t.search_text like '%' || replace(replace(replace(
                     mtm_fold($2), '\', '\\'), '%', '\%'), '_', '\_') || '%'))
      and not (t.track_id = any(coalesce($3, '{}')))
    limit $4 $q$
  using fuzzy, infix, excluded, lim;
end
$fn$;
