-- The ListenBrainz-compatible API (api/): tokens, submitted listens, what is playing now.

-- A listen is a play of its own source. (0005 named the check plays_source_check.)
alter table plays drop constraint if exists plays_source_check;
alter table plays add constraint plays_source_check
  check (source in ('extended', 'account', 'listenbrainz'));

-- Listen plays are few and are looked up by time when export plays that may be the same streams
-- arrive (refresh_plays_0_listens_matched, db/sql/plays_refresh.sql).
create index if not exists plays_listen_idx on plays (ended_at) where source = 'listenbrainz';

-- API tokens: `python -m api token create NAME` shows a token once; only its sha256 is kept.
create table if not exists api_tokens (
  token_id     bigserial primary key,
  name         text not null unique check (length(name) between 1 and 100),
  token_sha256 bytea not null unique,
  created_at   timestamptz not null default now(),
  revoked_at   timestamptz,                 -- null while the token is valid
  last_used_at timestamptz                  -- updated at most once a minute per token
);

-- Every listen accepted, by its ListenBrainz identity: when it started (listened_at, seconds) and
-- what it was (artist and track name, case-folded). The same listen submitted twice, or a retried
-- batch, finds its row here and adds nothing, even after a Spotify export replaced its play.
--   ended_at, ms_played  the play it became (plays' natural key with its uri / names)
create table if not exists listens (
  listened_at timestamptz not null,
  identity    uuid not null,                -- md5(lower(artist) \x1f lower(track))
  token_id    bigint references api_tokens (token_id) on delete set null,
  received_at timestamptz not null default now(),
  ended_at    timestamptz not null,
  ms_played   integer not null,
  primary key (listened_at, identity)
);

-- Hours of listens stored while another writer (an import's last step) was rebuilding the rollups:
-- such a listen commits its play at once and leaves its hours here instead of waiting. The next
-- writer that takes the rollup lock (a listen, the API's drain, an import; migrate.runs.lock_rollups)
-- moves them into plays_dirty_hours and rebuilds them.
create table if not exists listen_pending_hours (
  hour_utc timestamptz not null
);

-- What each token's player says is playing now (listen_type playing_now): one row per token,
-- replaced by the next, shown until expires_at. Not a play.
create table if not exists playing_now (
  token_id    bigint primary key references api_tokens (token_id) on delete cascade,
  payload     jsonb not null,               -- the submitted listen (track_metadata)
  artist      text not null,
  track       text not null,
  album       text,
  received_at timestamptz not null default now(),
  expires_at  timestamptz not null
);
