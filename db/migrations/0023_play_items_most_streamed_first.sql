-- play_items in the order search_play_items reads its candidates: most streamed first
-- (PLAY_ITEMS_ORDER in db/sql/plays_refresh.sql, which writes new items in that order from now on).
-- Search takes the first 2,000 matching items in the table's order and ranks them; an artist with
-- thousands of played items, or a two-letter prefix, matches more than that, and in the order the
-- items were first written (a build's grouping, then each import's new items) the ones ranked were
-- not the ones played most, so "most played first" held only among an arbitrary 2,000 of them.
-- The rows are kept as they are (every column the importer wrote; the generated ones are computed
-- again from them) and written back into an emptied table, so none is lost, and no deleted row's
-- space is left for a later insert to fill ahead of them (PostgreSQL still puts a small row into an
-- earlier page's leftover space: the order holds page by page). Streams per item are counted from
-- `plays` itself: an earlier migration of the same upgrade may have changed plays whose rollups are
-- rebuilt only after the batch (db/migrations/README.md).
create temporary table mtm_play_items_by_streams on commit drop as
select i.item_key, i.kind, i.track_id, i.uri, i.artist, i.album, i.track, coalesce(s.streams, 0) as streams
from play_items i
left join (select mtm_play_item_key(kind, uri, artist, album, track) as item_key, count(*) as streams
           from plays group by 1) s using (item_key);

truncate play_items;

insert into play_items (item_key, kind, track_id, uri, artist, album, track)
select item_key, kind, track_id, uri, artist, album, track
from mtm_play_items_by_streams
order by streams desc, item_key;

-- The rows went into the GIN indexes' pending lists (fastupdate), which every search would read
-- row by row until a vacuum merged them: merged now.
select gin_clean_pending_list(x.indexrelid::regclass)
from pg_index x
join pg_class c on c.oid = x.indexrelid
join pg_am a on a.oid = c.relam
where x.indrelid = 'play_items'::regclass and a.amname = 'gin';

analyze play_items;

insert into data_changes (source) values ('migration');
