-- raw_json explorer support (app_pages/explorer.py, db/sql/explorer.sql). Idempotent.
-- All three tables are filled by the named query refresh_json_path_inventory, which the importer
-- runs after every import inside its transaction.

-- Every key path seen in the scanned tracks' raw_json, written `album.images[*].url` (array
-- elements as [*]; keys that are not plain identifiers JSON-quoted: album."release-date").
create table if not exists json_path_inventory (
  path   text primary key,
  depth  integer not null,          -- steps from the root: album = 1, album.images[*] = 3
  types  text[] not null,           -- jsonb_typeof values seen at the path, sorted
  tracks bigint not null            -- scanned tracks having the path at least once
);

-- The tracks the inventory was computed from: every track up to 5,000, else a deterministic
-- sample of 5,000 (the first by md5(track_id)). Value distributions use the same sample.
create table if not exists json_path_sample (
  track_id varchar(64) primary key
);

-- One row: how many tracks were scanned out of how many, and when.
create table if not exists json_path_inventory_info (
  singleton   boolean primary key default true check (singleton),
  scanned     bigint not null,
  total       bigint not null,
  computed_at timestamptz not null default now()
);

-- Every key path of one JSON document below its root, with its depth and JSON type, one row per
-- place it occurs: '.album', '.album.images[*]', '.album.images[*].url' (keys that are not plain
-- identifiers are quoted: '."odd key"'). An array's scalar element types come from one jsonpath
-- scan of the array instead of one row per element, so a 185-market array costs one step, not 185;
-- its object and array elements are walked further. Paths deeper than 100 levels are not listed
-- (their container at level 100 is). Used by the inventories of tracks and plays (db/sql/explorer.sql).
create or replace function mtm_json_key_paths(doc jsonb) returns table (path text, depth integer, typ text)
language sql immutable parallel safe
as $walk$
  with recursive walk(path, depth, typ, val) as (
    select '', 0, jsonb_typeof(doc),
           case when jsonb_typeof(doc) in ('object', 'array') then doc end
    union all
    select w.path || c.seg, w.depth + 1, c.typ, c.val
    from walk w
    cross join lateral (
      -- members of an object
      select case when e.key ~ '^[A-Za-z_][A-Za-z0-9_]*$' then '.' || e.key
                  else '.' || to_json(e.key)::text end as seg,
             jsonb_typeof(e.value) as typ,
             case when jsonb_typeof(e.value) in ('object', 'array') then e.value end as val
      from jsonb_each(w.val) e
      where w.typ = 'object'
      union all
      -- scalar elements of an array: their distinct types (one scan when all share the first's)
      select '[*]', s.typ, null::jsonb
      from (select case when jsonb_path_exists(w.val, 'strict $[*] ? (@.type() != $t)',
                                               jsonb_build_object('t', jsonb_typeof(w.val -> 0)))
                        then array(select x from unnest(array['string', 'number', 'boolean', 'null']) x
                                   where jsonb_path_exists(w.val, 'strict $[*] ? (@.type() == $t)',
                                                           jsonb_build_object('t', x)))
                        else array[jsonb_typeof(w.val -> 0)] end as typs
            where w.typ = 'array'
            offset 0) f
      cross join unnest(f.typs) as s(typ)
      where s.typ not in ('object', 'array')
      union all
      -- object and array elements of an array: walked further
      select '[*]', jsonb_typeof(a), a
      from jsonb_path_query(w.val, 'strict $[*] ? (@.type() == "object" || @.type() == "array")') a
      where w.typ = 'array'
    ) c
    where w.val is not null and w.depth < 100      -- pathological nesting: stop 100 levels down
  )
  select path, depth, typ from walk where depth > 0
$walk$;
