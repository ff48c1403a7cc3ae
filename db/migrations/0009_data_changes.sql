-- What the pages' caches are keyed on (ui/cached.py): every transaction that changes what a page
-- shows (an import from any door: the Admin page, `python -m migrate`, later submitted listens)
-- appends one row here in its own transaction. Appending never waits on another writer (unlike a
-- counter row, which a long import would hold locked), and readers see a change only once it has
-- committed: the key (count, newest id) moves exactly when the data does.
create table data_changes (
  change_id  bigserial primary key,
  source     text not null,                 -- 'import' | 'listen' | 'migration'
  run_id     bigint,                        -- import_runs.run_id for imports
  changed_at timestamptz not null default now()
);
insert into data_changes (source) values ('migration');
