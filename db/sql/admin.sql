-- name: import_runs_recent
-- The latest import runs, newest first: run id, when it started and finished, status
-- (running/done/failed/interrupted), kind and source file with its size, seconds the import took, and from the
-- stored summary the rows read / inserted / updated / unchanged / rejected over all tables, whether
-- verification passed, and the error of a failed run.
-- example: {"limit": 20}
select r.run_id, r.started_at, r.finished_at, r.status, r.kind, r.source, r.source_bytes,
       round(coalesce((r.summary ->> 'seconds')::numeric,
                      extract(epoch from (r.finished_at - r.started_at))::numeric), 1) as seconds,
       t.rows_read, t.inserted, t.updated, t.unchanged,
       (r.summary ->> 'rejects_total')::bigint as rejected,
       (r.summary ->> 'verified')::boolean      as verified,
       r.error
from import_runs r
left join lateral (
  select sum((v ->> 'read')::bigint)      as rows_read,
         sum((v ->> 'inserted')::bigint)  as inserted,
         sum((v ->> 'updated')::bigint)   as updated,
         sum((v ->> 'unchanged')::bigint) as unchanged
  from jsonb_each(case when jsonb_typeof(r.summary) = 'object' then r.summary else '{}'::jsonb end) as e(k, v)
  where jsonb_typeof(v) = 'object' and jsonb_typeof(v -> 'inserted') = 'number'
) t on true
order by r.started_at desc, r.run_id desc
limit :limit;

-- name: import_run_rejects
-- The rows one import run rejected: table, the row's key and the reason, by table then key.
-- example: {"run_id": 1, "limit": 100}
select table_name, row_key, reason
from import_rejects
where run_id = :run_id
order by table_name, row_key
limit :limit;

-- name: data_version
-- The data's version for the pages' caches (ui/cached.py): how many committed changes
-- (imports, submitted listens) data_changes holds and the newest one's id. Moves exactly when a
-- writing transaction commits.
-- example: {}
select count(*) as changes, coalesce(max(change_id), 0) as newest
from data_changes;

-- name: tracks_indexes_to_rebuild
-- The secondary indexes of tracks (all but the primary key and other unique indexes), which an import
-- into an empty or almost empty tracks table drops before its COPY and creates again after it, in its
-- own transaction (migrate/sqlite_import.py): one index build from sorted keys instead of an index
-- insertion per row, the GIN ones above all. Schema, name and the CREATE INDEX statement.
-- example: {}
select n.nspname as schema_name, i.relname as index_name, pg_get_indexdef(x.indexrelid) as definition
from pg_index x
join pg_class i on i.oid = x.indexrelid
join pg_namespace n on n.oid = i.relnamespace
where x.indrelid = 'tracks'::regclass and not x.indisunique
order by 1, 2;
