-- raw_json explorer support (pages/explorer.py, db/sql/explorer.sql). Idempotent.
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
