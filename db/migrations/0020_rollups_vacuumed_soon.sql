-- The pages read the rollups (and plays' natural key) with index-only scans, which skip the table only
-- for pages the visibility map marks all-visible. Every import and every submitted listen rewrites rows
-- (a refresh deletes and inserts the rows of the hours, months and years it rebuilds), and a rewritten
-- page stays not-all-visible until a vacuum. With PostgreSQL's defaults, autovacuum waits for 20% of a
-- table to change: at 1,000,000 plays an import that rewrote a year (~50,000 rows of plays_z_items)
-- left those pages unvacuumed indefinitely, and every index-only scan over them fetched each row's heap
-- page instead (bench.plays measures it: plays_compare over two halves of all time after such a refresh,
-- and again once autovacuum has run; BENCHMARKS.md). These tables are vacuumed (and analysed)
-- once 1% of their rows (at least 1,000) changed, so autovacuum puts them right within a minute or so
-- of an import that changed many rows, in the background (the import does not wait for it).
do $$
declare
  t text;
begin
  foreach t in array array['plays', 'plays_hourly', 'plays_hourly_items', 'play_items', 'plays_z_hourly',
                           'plays_z_quarter', 'plays_z_items', 'plays_z_totals', 'plays_z_sessions',
                           'plays_z_names', 'tracks', 'snapshots'] loop
    execute format('alter table %I set (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000, '
                   'autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_insert_threshold = 1000, '
                   'autovacuum_analyze_scale_factor = 0.02)', t);
  end loop;
end $$;
