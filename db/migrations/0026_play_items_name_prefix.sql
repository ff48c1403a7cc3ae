-- The plays search's candidates by name (db/sql/search.sql, CANDIDATES_NOTE), as 0025 gave the
-- library's: the played items whose folded name starts with what was typed, in name order. A broad
-- keystroke ranks only its most streamed matches (until this release the 2,000 most streamed); an
-- item named exactly what was typed but played less than those was not ranked at all, though its
-- name would put it first.
--
-- An item's name as the search shows and scores it: an audiobook's title (its album), else the
-- track or episode name.
create or replace function mtm_play_item_name(kind text, track text, album text) returns text
language sql immutable parallel safe
return case when kind = 'audiobook' and album is not null then album else coalesce(track, '') end;

-- Byte order ("C"): a prefix is one range of the index whatever the database's collation. A first
-- import drops and builds it with play_items' other secondary indexes (plays_rollup_indexes_to_rebuild).
create index if not exists play_items_name_fold_idx on play_items ((mtm_fold(mtm_play_item_name(kind, track, album))) collate "C");
