-- The year rows of plays_z_items by item and year (was by item only: 0008_plays_analysis.sql), so a
-- lookup of one item's first or last year in a range reads that year's row and stops
-- (plays_top's first and last plays of the listed items, db/sql/plays.sql), where it read every year
-- row of the item, each on its own heap page: cold, at 999,966 plays, 50 items meant ~800 pages
-- from the disk. Lookups by item alone (plays_first_last) use the index as before. The index keeps
-- its name; a full rollup build drops and re-creates it from pg_get_indexdef (db/refresh.py).
drop index if exists plays_z_items_year_key_idx;
create index plays_z_items_year_key_idx on plays_z_items (name_key, period_start) where period = 'year';
