-- raw_json explorer over plays (app_pages/explorer.py, source "Plays"; db/sql/explorer.sql). Idempotent.
-- All three tables are filled by the named query refresh_plays_zz_json_path_inventory, which the
-- importer runs after every import inside its transaction (after the plays rollups, which it reads
-- to find the sample). There is deliberately no GIN index on plays.raw_json: it would slow the
-- import of a large export; the explorer's filters on plays scan in ended_at order instead.

-- The plays the inventory was computed from, with a copy of their raw_json, so the value
-- distributions read 5,000 small rows instead of 5,000 random reads in a large table. Every play
-- when there are at most 5,000; else 5,000 spread evenly over the plays in time order (the
-- floor(i * total / 5000)-th play for i = 0..4999). Rebuilt by every refresh.
create table if not exists plays_json_sample (
  ended_at  timestamptz not null,
  ms_played integer not null,
  raw_json  jsonb not null
);

-- Every key path seen in the sampled plays' raw_json, spelled as json_path_inventory spells them
-- (`master_metadata_track_name`, arrays as [*], odd keys JSON-quoted).
create table if not exists plays_json_path_inventory (
  path  text primary key,
  depth integer not null,          -- steps from the root
  types text[] not null,           -- jsonb_typeof values seen at the path, sorted
  plays bigint not null            -- sampled plays having the path at least once
);

-- One row: how many plays were sampled out of how many, the time span of the sample, and when.
create table if not exists plays_json_path_inventory_info (
  singleton   boolean primary key default true check (singleton),
  scanned     bigint not null,
  total       bigint not null,
  first_at    timestamptz,
  last_at     timestamptz,
  computed_at timestamptz not null default now()
);
