-- The typo fallback of search_play_items as a function planned without sequential or plain index
-- scans, so it reads the trigram (and CJK grams) index. Written into the query, under its LIMIT 500,
-- the planner expected a few percent of items to be similar and read play_items in order, computing
-- word_similarity row by row: for 'radiohaed' at 55,499 items (bench.plays' export) EXPLAIN showed
-- 2,424 rows read to find the 500, where the trigram index gives the same first 500 reading only
-- their pages (a bitmap scan visits the table in its order too, as the sequential scan does from its
-- first page: synchronize_seqscans is off for the pages). The settings cover this function alone: the
-- query's full-text part keeps its own plans (a sequential scan is right for a short prefix that
-- matches thousands of items). A function with SET is never inlined, so they hold when it runs.
--
-- The first `lim` items (table order) whose search_text is word-similar to `fuzzy` (pg_trgm <%), or
-- which contain `infix` and are Chinese, Japanese or Korean text (mtm_cjk_grams); items of the
-- groups in `excluded` (already found by full text) are skipped. `fuzzy` and `infix` as typed: they
-- are folded here (mtm_fold), as search_tracks folds them.
create or replace function play_items_similar(fuzzy text, infix text, excluded uuid[], lim integer)
returns table (item_key uuid, group_key uuid, linked boolean, search_text text)
language plpgsql stable parallel safe
set enable_seqscan = off
set enable_indexscan = off
as $fn$
begin
  -- EXECUTE plans each call with the values (PostgreSQL 16 and 17 plan a SQL function's body with
  -- its arguments unknown): the condition not asked for folds away and mtm_fold runs once, where a
  -- generic plan called mtm_fold for every candidate row and scanned both indexes.
  return query execute $q$
    select i.item_key, i.group_key, i.uri is not null, i.search_text
    from play_items i
    where (($1 <> '' and mtm_fold($1) <% i.search_text)
           or ($2 <> ''
               and i.search_text ~ '[ぁ-ヿ㐀-䶿一-鿿豈-﫿가-힯𠀀-𿿽]'
               and mtm_cjk_grams(i.search_text) @> mtm_cjk_grams(mtm_fold($2))
               and i.search_text like '%' || replace(replace(replace(
                     mtm_fold($2), '\', '\\'), '%', '\%'), '_', '\_') || '%'))
      and not (i.group_key = any(coalesce($3, '{}')))
    limit $4 $q$
  using fuzzy, infix, excluded, lim;
end
$fn$;
