-- Plays: one row per stream from a Spotify data export, and the rollups the charts read.
-- Filled by migrate/spotify_export.py; every statement is idempotent.

-- One row per stream. The normal columns are what the charts need; raw_json is the whole record as
-- Spotify wrote it (unknown fields included), less the personal network fields (ip_addr*,
-- user_agent*, username) unless the import was asked to keep them.
--   kind      music | podcast | audiobook | unknown (a record whose metadata fields are all null)
--   uri       spotify:track:… / spotify:episode:… / spotify:chapter:… (else spotify:audiobook:…)
--   track     track name | episode name | chapter title
--   artist    album artist | show name | null (audiobooks: the export names no author)
--   album     album name | null | audiobook title
--   track_id  the id in a spotify:track: uri; joins tracks.track_id (no foreign key: plays may
--             arrive before their tracks)
--   source    'extended' (extended streaming history: second precision, URIs) or 'account'
--             (account data: minute precision, names only)
create table if not exists plays (
  ended_at     timestamptz not null,        -- when the stream ended (UTC in the export)
  ms_played    integer not null check (ms_played > 0),
  kind         text not null check (kind in ('music', 'podcast', 'audiobook', 'unknown')),
  source       text not null check (source in ('extended', 'account')),
  track_id     varchar(64),
  uri          text,
  track        text,
  artist       text,
  album        text,
  platform     text,
  country      text,                        -- conn_country
  reason_start text,
  reason_end   text,
  shuffle      boolean,
  skipped      boolean,
  offline      boolean,
  incognito    boolean,                     -- incognito_mode
  run_id       bigint,                      -- import_runs.run_id of the import that added the row
  raw_json     jsonb not null
);

-- The natural key: a stream is (when it ended, how long it played, what it was). What it was is the
-- URI when there is one, else the artist/show and track/episode names (account data, local files).
-- Hashed so that names of any length fit in the index. Re-importing a file, or a newer export that
-- overlaps an older one (whose field names differ), adds only what is new.
create unique index if not exists plays_natural_key on plays
  (ended_at, ms_played, (md5(coalesce(uri, coalesce(artist, '') || E'\x1f' || coalesce(track, '')))::uuid));
create index if not exists plays_track_id_idx on plays (track_id) where track_id is not null;
-- Account-data plays are few (the last year at most) and are looked up by time when extended
-- records that may replace them arrive.
create index if not exists plays_account_idx on plays (ended_at) where source = 'account';

-- Hours (UTC) whose plays changed since the rollups were last refreshed; filled by the importer,
-- emptied by refresh_plays_rollups, or refresh_plays_a_full (db/sql/plays_refresh.sql).
create table if not exists plays_dirty_hours (
  hour_utc timestamptz not null             -- may be listed more than once
);
create index if not exists plays_dirty_hours_idx on plays_dirty_hours (hour_utc);

-- Rollups per UTC hour: a time zone with a whole-hour offset converts them exactly, so the user's
-- zone stays a display setting. Rebuilt hour by hour for the dirty hours after every import; built
-- from all plays at once when they are empty (a first import: refresh_plays_a_full).
-- Totals per hour and kind: timelines, hour-of-day and weekday patterns.
create table if not exists plays_hourly (
  hour_utc  timestamptz not null,
  kind      text not null,
  plays     integer not null,
  ms_played bigint not null,
  skipped   integer not null                -- plays with skipped = true
);
create index if not exists plays_hourly_hour_idx on plays_hourly (hour_utc);

-- What was played: one row per distinct (kind, uri, artist, album, track). item_key is a hash of
-- those, computed by the same expression in the refresh, so rollups need no lookup to find it.
create table if not exists play_items (
  item_key uuid primary key,
  kind     text not null,
  track_id varchar(64),
  uri      text,
  artist   text,
  album    text,
  track    text
);
create index if not exists play_items_track_id_idx on play_items (track_id) where track_id is not null;

-- Plays per hour and item: top tracks / artists / albums / shows for any range, by summing the
-- narrow rows of the range per item_key and joining play_items for the names. Like the Plays
-- page's rollups, a count for each "what counts as a play" threshold, so search results count
-- plays the way the Plays page does.
create table if not exists plays_hourly_items (
  hour_utc  timestamptz not null,
  item_key  uuid not null,
  plays     integer not null,               -- every stream
  ms_played bigint not null,
  plays_10s integer not null,               -- streams of at least 10 s
  plays_30s integer not null,
  plays_60s integer not null
);
create index if not exists plays_hourly_items_hour_idx on plays_hourly_items (hour_utc);

-- The threshold counts for rows stored before they existed: added once, counted from `plays` in one
-- pass. Checked first, so that a normal start takes no lock on the table.
do $$
begin
  if not exists (select 1 from pg_attribute
                 where attrelid = 'plays_hourly_items'::regclass and attname = 'plays_30s' and not attisdropped) then
    alter table plays_hourly_items add column plays_10s integer, add column plays_30s integer,
                                   add column plays_60s integer;
    update plays_hourly_items h
    set plays_10s = c.plays_10s, plays_30s = c.plays_30s, plays_60s = c.plays_60s
    from (select date_bin('1 hour', p.ended_at, timestamptz '2000-01-01 00:00+00') as hour_utc,
                 md5(p.kind || E'\x1f' || coalesce(p.uri, '') || E'\x1f' || coalesce(p.artist, '') || E'\x1f'
                     || coalesce(p.album, '') || E'\x1f' || coalesce(p.track, ''))::uuid as item_key,
                 count(*) filter (where p.ms_played >= 10000) as plays_10s,
                 count(*) filter (where p.ms_played >= 30000) as plays_30s,
                 count(*) filter (where p.ms_played >= 60000) as plays_60s
          from plays p
          group by 1, 2) c
    where h.hour_utc = c.hour_utc and h.item_key = c.item_key;
    update plays_hourly_items set plays_10s = 0, plays_30s = 0, plays_60s = 0 where plays_30s is null;
    alter table plays_hourly_items alter column plays_10s set not null, alter column plays_30s set not null,
                                   alter column plays_60s set not null;
  end if;
end $$;
