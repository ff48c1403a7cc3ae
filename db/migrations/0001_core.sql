-- Core schema: the Music Time Machine's tables, search support and the import-run log.
-- Applied by db.schema.ensure_schema() on first use; every statement is idempotent.

create extension if not exists pg_trgm;
create extension if not exists unaccent;

-- lower(unaccent(x)), declared immutable so generated columns and indexes can use it. The dictionary
-- is named with its schema so the result does not depend on search_path.
create or replace function mtm_fold(t text) returns text
language sql immutable parallel safe strict
return lower(public.unaccent('public.unaccent'::regdictionary, t));

-- Full-text configuration: the 'simple' parser and dictionary (no stemming, works for any script)
-- with accents folded first, so 'beyonce' matches 'Beyoncé' and 'sigur ros' matches 'Sigur Rós'.
do $$
begin
  if not exists (select 1 from pg_ts_config where cfgname = 'simple_unaccent') then
    create text search configuration simple_unaccent (copy = simple);
    alter text search configuration simple_unaccent
      alter mapping for hword, hword_part, word, asciiword, asciihword, hword_asciipart
      with unaccent, simple;
  end if;
end $$;

create table if not exists tracks (
  track_id    varchar(64) primary key,
  name        text not null,
  artist_name text not null,
  album_name  text,
  duration_ms integer,
  spotify_url text,
  raw_json    jsonb,
  -- Ranked search: name weighs most, then artist, then album.
  search      tsvector generated always as (
                setweight(to_tsvector('simple_unaccent', name), 'A') ||
                setweight(to_tsvector('simple_unaccent', artist_name), 'B') ||
                setweight(to_tsvector('simple_unaccent', coalesce(album_name, '')), 'C')) stored,
  -- Folded text for the typo-tolerant trigram fallback.
  search_text text generated always as (
                mtm_fold(name || ' ' || artist_name || ' ' || coalesce(album_name, ''))) stored,
  -- Hash of the source row as last imported: an unchanged row is skipped on the next import.
  source_hash bytea,
  imported_at timestamptz not null default now()
);
create index if not exists tracks_search_idx on tracks using gin (search);
create index if not exists tracks_search_trgm_idx on tracks using gin (search_text gin_trgm_ops);
create index if not exists tracks_artist_trgm_idx on tracks using gin (mtm_fold(artist_name) gin_trgm_ops);
create index if not exists tracks_artist_idx on tracks (artist_name);
create index if not exists tracks_raw_json_idx on tracks using gin (raw_json jsonb_path_ops);

create table if not exists snapshots (
  track_id      varchar(64) not null references tracks (track_id),
  snapshot_date date not null,
  time_range    varchar(32) not null
                check (time_range in ('short_term', 'medium_term', 'long_term')),
  rank          integer not null check (rank > 0),
  primary key (track_id, snapshot_date, time_range)
);
create index if not exists snapshots_date_range_rank_idx on snapshots (snapshot_date, time_range, rank);

-- One row per import; status 'running' until the import's own transaction commits it as 'done'.
-- A run killed half-way stays 'running' and is marked 'interrupted' by the next import.
create table if not exists import_runs (
  run_id       bigserial primary key,
  kind         text not null,              -- 'sqlite' or 'spotify_export'
  source       text not null,              -- file name as given
  source_bytes bigint,
  started_at   timestamptz not null default now(),
  finished_at  timestamptz,
  status       text not null default 'running'
               check (status in ('running', 'done', 'failed', 'interrupted')),
  error        text,
  summary      jsonb
);
create index if not exists import_runs_started_idx on import_runs (started_at desc);

create table if not exists import_rejects (
  run_id     bigint not null references import_runs (run_id) on delete cascade,
  table_name text not null,
  row_key    text not null,
  reason     text not null
);
create index if not exists import_rejects_run_idx on import_rejects (run_id);
