-- Plays analysis (app_pages/plays.py): rollups of `plays` (20_plays.sql) the Plays page reads, so that
-- every chart stays quick at 1,000,000 plays. Refreshed by the `refresh_plays_z_*` queries in
-- db/sql/plays.sql (after refresh_plays_rollups); every statement here is idempotent.
--
-- What counts as a play is a setting of the page: every stream, or streams of at least 10, 30 or
-- 60 seconds. Rollups carry a count (and first / last time) for each of those thresholds, so any
-- of them is exact. Minutes always count every stream; skips are counted over every stream.
-- A stream is a skip when Spotify says `skipped` or it ended with the forward button
-- (reason_end 'fwdbtn'); it says whether it was skipped when either field is present (account
-- data has neither).

-- Hours (UTC) whose plays changed since these rollups were refreshed. The importer lists changed
-- hours in plays_dirty_hours; refresh_plays_rollups (or refresh_plays_a_full) empties that list
-- before our refresh runs, so a trigger copies every hour listed there into this table as it is
-- listed. When these rollups are empty (a first import), refresh_plays_z_a1..a3 build them from
-- all plays and empty this list instead.
create table if not exists plays_z_dirty_hours (
  hour_utc timestamptz not null
);

create or replace function plays_z_copy_dirty_hours() returns trigger
language plpgsql as $$
begin
  insert into plays_z_dirty_hours (hour_utc) select distinct hour_utc from listed;
  return null;
end $$;

create or replace trigger plays_z_copy_dirty_hours
  after insert on plays_dirty_hours
  referencing new table as listed
  for each statement execute function plays_z_copy_dirty_hours();

-- The value of the chosen threshold among per-threshold columns; null for another threshold.
create or replace function plays_z_pick(min_seconds integer, every anyelement, s10 anyelement,
                                        s30 anyelement, s60 anyelement) returns anyelement
language sql immutable parallel safe
as $$ select case min_seconds when 0 then every when 10 then s10 when 30 then s30 when 60 then s60 end $$;

create or replace function plays_z_is_skip(skipped boolean, reason_end text) returns boolean
language sql immutable parallel safe
return coalesce(skipped, false) or coalesce(reason_end = 'fwdbtn', false);

-- Where a play stands at each level of the top lists: its artist (track, album and artist levels)
-- and its name at that level; null name = the play has no such thing (no album, no platform).
create or replace function plays_z_level_artist(level text, artist text) returns text
language sql immutable parallel safe
return case when level in ('track', 'album', 'artist') then artist end;

create or replace function plays_z_level_name(level text, track text, album text, artist text,
                                              platform text, country text) returns text
language sql immutable parallel safe
return case level when 'track' then track when 'album' then album when 'artist' then artist
                  when 'platform' then platform when 'country' then country end;

-- The key of a (level, kind, artist, name): a hash, so rollups need no lookup to find it.
create or replace function plays_z_key(level text, kind text, artist text, name text) returns uuid
language sql immutable parallel safe
return md5(level || E'\x1f' || kind || E'\x1f' || coalesce(artist, E'\x1e') || E'\x1f'
           || coalesce(name, E'\x1e'))::uuid;

-- The first instant at or after `ts` that starts a UTC `unit` (month, year).
create or replace function plays_z_ceil(unit text, ts timestamptz) returns timestamptz
language sql immutable parallel safe
return case when date_trunc(unit, ts, 'UTC') = ts then ts
            else date_add(date_trunc(unit, ts, 'UTC'), ('1 ' || unit)::interval, 'UTC') end;

-- Totals per UTC hour and kind: timelines, hour-of-day and weekday patterns, calendars and streaks
-- in any time zone whose offset is a whole number of hours (converted exactly with AT TIME ZONE).
create table if not exists plays_z_hourly (
  hour_utc   timestamptz not null,
  kind       text not null,
  plays      integer not null,             -- every stream
  plays_10s  integer not null,             -- streams of at least 10 s
  plays_30s  integer not null,
  plays_60s  integer not null,
  ms_played  bigint not null,
  skips      integer not null,
  skip_known integer not null              -- streams that say whether they were skipped
);
create index if not exists plays_z_hourly_hour_idx on plays_z_hourly (hour_utc);

-- The same per 15 minutes: exact for zones with a :30 or :45 offset (India, Nepal, parts of
-- Australia, Newfoundland ...), whose local hours and days start on a quarter hour in UTC.
create table if not exists plays_z_quarter (
  quarter_utc timestamptz not null,
  kind        text not null,
  plays       integer not null,
  plays_10s   integer not null,
  plays_30s   integer not null,
  plays_60s   integer not null,
  ms_played   bigint not null,
  skips       integer not null,
  skip_known  integer not null
);
create index if not exists plays_z_quarter_idx on plays_z_quarter (quarter_utc);

-- What was played, per UTC month and per UTC year, at five levels: track (artist + track name, so
-- one song heard through the extended history and the account data is one track), album
-- (artist + album), artist (artist, or the show of a podcast), platform and country. A date range
-- reads whole years and whole months from here and only its partial months from `plays`
-- (plays_z_items_between), which keeps any range exact in any time zone.
create table if not exists plays_z_items (
  period       text not null check (period in ('month', 'year')),
  period_start timestamptz not null,       -- the month or year's first instant, UTC
  level        text not null check (level in ('track', 'album', 'artist', 'platform', 'country')),
  name_key     uuid not null,              -- plays_z_key(level, kind, artist, name)
  kind         text not null,
  plays        integer not null,
  plays_10s    integer not null,
  plays_30s    integer not null,
  plays_60s    integer not null,
  ms_played    bigint not null,
  skips        integer not null,
  skip_known   integer not null,
  first_at     timestamptz not null,       -- first and last stream of the period ...
  first_10s_at timestamptz,                -- ... and of those at least 10 / 30 / 60 s long
  first_30s_at timestamptz,
  first_60s_at timestamptz,
  last_at      timestamptz not null,
  last_10s_at  timestamptz,
  last_30s_at  timestamptz,
  last_60s_at  timestamptz
);
-- By level and period start, one partial index per period (plays_z_items_between reads ranges of
-- either, the all-time lists the year rows of a level); the year rows also by name_key
-- (plays_first_last). Month rows are never looked up by name, so they stay out of that index:
-- a build from scratch sorts a quarter of the keys. (Replaced plays_z_items_period_idx on
-- (level, period, period_start) and plays_z_items_key_idx on (name_key, period).)
drop index if exists plays_z_items_period_idx;
drop index if exists plays_z_items_key_idx;
create index if not exists plays_z_items_month_idx on plays_z_items (level, period_start) where period = 'month';
create index if not exists plays_z_items_year_idx on plays_z_items (level, period_start) where period = 'year';
create index if not exists plays_z_items_year_key_idx on plays_z_items (name_key) where period = 'year';

-- The names behind plays_z_items.name_key.
create table if not exists plays_z_names (
  name_key uuid primary key,
  level    text not null,
  kind     text not null,
  name     text,                           -- track / album / artist / platform / country
  artist   text,                           -- the artist (track, album and artist levels)
  track_id varchar(64)                     -- one Spotify track id of a track, when known
);
create index if not exists plays_z_names_artist_idx on plays_z_names (artist, level);

-- Listening sessions: consecutive streams (ordered by when they ended) where no stream starts more
-- than 30 minutes after the streams before it ended. Per kind, and for every kind together ('all').
-- Streams can overlap (two devices playing at once; a stream starts at ended_at - ms_played), so a
-- session has two durations: its length, last_end - started_at, and the time something was
-- playing, ms_heard: the union of its streams' intervals, overlaps counted once, never more than
-- the length. ms_played is the plain sum of its streams (what "Listened" counts).
create table if not exists plays_z_sessions (
  kind       text not null,                -- music | podcast | audiobook | unknown | all
  started_at timestamptz not null,         -- when its earliest stream started (ended_at - ms_played)
  first_end  timestamptz not null,         -- when its first stream ended
  last_end   timestamptz not null,         -- when its last stream ended: the session's end
  plays      integer not null,             -- every stream
  ms_played  bigint not null,              -- the sum of its streams' ms_played
  ms_heard   bigint not null               -- the union of its streams' intervals
);

-- ms_heard for sessions stored before it existed: added once, and computed from the plays of each
-- session (those of its kind that ended between its first and its last end). Checked first, so
-- that a normal start takes no lock on the table.
do $$
begin
  if not exists (select 1 from pg_attribute
                 where attrelid = 'plays_z_sessions'::regclass and attname = 'ms_heard' and not attisdropped) then
    alter table plays_z_sessions add column ms_heard bigint;
    update plays_z_sessions s
    set ms_heard = coalesce((
      select sum(x.ms_played - least(x.ms_played, greatest(0, (extract(epoch from x.covered - x.started_at) * 1000)::bigint)))
      from (select p.ms_played, p.ended_at - p.ms_played * interval '1 millisecond' as started_at,
                   max(p.ended_at) over (order by p.ended_at - p.ms_played * interval '1 millisecond', p.ended_at
                                         rows between unbounded preceding and 1 preceding) as covered
            from plays p
            where p.ended_at >= s.first_end and p.ended_at <= s.last_end and (s.kind = 'all' or p.kind = s.kind)) x
    ), 0);
    alter table plays_z_sessions alter column ms_heard set not null;
  end if;
end $$;
create index if not exists plays_z_sessions_start_idx on plays_z_sessions (kind, started_at);
create index if not exists plays_z_sessions_first_idx on plays_z_sessions (kind, first_end);
create index if not exists plays_z_sessions_last_idx on plays_z_sessions (kind, last_end);

-- Time buckets of [lo, hi) and one kind ('all' = every kind): UTC hours, or quarter hours when
-- `quarter` (the time zone has a :30 / :45 offset). lo and hi must fall on bucket boundaries,
-- which local midnights do in a zone of that kind. Inlined into the calling query.
create or replace function plays_z_buckets(quarter boolean, lo timestamptz, hi timestamptz, want_kind text)
returns table (bucket_utc timestamptz, kind text, plays integer, plays_10s integer, plays_30s integer,
               plays_60s integer, ms_played bigint, skips integer, skip_known integer)
language sql stable parallel safe
as $$
  select h.hour_utc, h.kind, h.plays, h.plays_10s, h.plays_30s, h.plays_60s, h.ms_played, h.skips, h.skip_known
  from plays_z_hourly h
  where not quarter and h.hour_utc >= lo and h.hour_utc < hi and (want_kind = 'all' or h.kind = want_kind)
  union all
  select q.quarter_utc, q.kind, q.plays, q.plays_10s, q.plays_30s, q.plays_60s, q.ms_played, q.skips, q.skip_known
  from plays_z_quarter q
  where quarter and q.quarter_utc >= lo and q.quarter_utc < hi and (want_kind = 'all' or q.kind = want_kind)
$$;

-- Per item rows of one level and kind ('all' = every kind) for the instants [lo, hi): whole UTC
-- years and months inside the range from plays_z_items, the partial months at its ends straight
-- from `plays` (at most two months of streams, by the ended_at index). The caller sums per
-- name_key. Inlined into the calling query; with constant bounds every boundary below folds to a
-- constant, so the planner sees the real ranges.
--   years  [ceil_year(lo), trunc_year(hi))
--   months [ceil_month(lo), ceil_year(lo)) and [trunc_year(hi), trunc_month(hi)) when there are
--          whole years, else [ceil_month(lo), trunc_month(hi))
--   plays  [lo, ceil_month(lo)) and [trunc_month(hi), hi) when there are whole months, else [lo, hi)
create or replace function plays_z_items_between(lo timestamptz, hi timestamptz, want_level text, want_kind text)
returns table (name_key uuid, kind text, plays integer, plays_10s integer, plays_30s integer, plays_60s integer,
               ms_played bigint, skips integer, skip_known integer,
               first_at timestamptz, first_10s_at timestamptz, first_30s_at timestamptz, first_60s_at timestamptz,
               last_at timestamptz, last_10s_at timestamptz, last_30s_at timestamptz, last_60s_at timestamptz)
language sql stable parallel safe
as $$
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known,
         i.first_at, i.first_10s_at, i.first_30s_at, i.first_60s_at, i.last_at, i.last_10s_at, i.last_30s_at,
         i.last_60s_at
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'year'
    and i.period_start >= plays_z_ceil('year', lo) and i.period_start < date_trunc('year', hi, 'UTC')
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known,
         i.first_at, i.first_10s_at, i.first_30s_at, i.first_60s_at, i.last_at, i.last_10s_at, i.last_30s_at,
         i.last_60s_at
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'month'
    and i.period_start >= plays_z_ceil('month', lo)
    and i.period_start < case when plays_z_ceil('year', lo) < date_trunc('year', hi, 'UTC')
                              then plays_z_ceil('year', lo) else date_trunc('month', hi, 'UTC') end
  union all
  select i.name_key, i.kind, i.plays, i.plays_10s, i.plays_30s, i.plays_60s, i.ms_played, i.skips, i.skip_known,
         i.first_at, i.first_10s_at, i.first_30s_at, i.first_60s_at, i.last_at, i.last_10s_at, i.last_30s_at,
         i.last_60s_at
  from plays_z_items i
  where i.level = want_level and (want_kind = 'all' or i.kind = want_kind)
    and i.period = 'month'
    and plays_z_ceil('year', lo) < date_trunc('year', hi, 'UTC')
    and i.period_start >= date_trunc('year', hi, 'UTC') and i.period_start < date_trunc('month', hi, 'UTC')
  union all
  select k.name_key, p.kind, 1, (p.ms_played >= 10000)::int, (p.ms_played >= 30000)::int,
         (p.ms_played >= 60000)::int, p.ms_played, plays_z_is_skip(p.skipped, p.reason_end)::int,
         (p.skipped is not null or p.reason_end is not null)::int,
         p.ended_at, case when p.ms_played >= 10000 then p.ended_at end,
         case when p.ms_played >= 30000 then p.ended_at end, case when p.ms_played >= 60000 then p.ended_at end,
         p.ended_at, case when p.ms_played >= 10000 then p.ended_at end,
         case when p.ms_played >= 30000 then p.ended_at end, case when p.ms_played >= 60000 then p.ended_at end
  from plays p
  cross join lateral (select plays_z_level_name(want_level, p.track, p.album, p.artist, p.platform, p.country) as name) l
  cross join lateral (select plays_z_key(want_level, p.kind, plays_z_level_artist(want_level, p.artist), l.name)
                             as name_key) k
  where ((p.ended_at >= lo
          and p.ended_at < case when plays_z_ceil('month', lo) < date_trunc('month', hi, 'UTC')
                                then plays_z_ceil('month', lo) else hi end)
         or (plays_z_ceil('month', lo) < date_trunc('month', hi, 'UTC')
             and p.ended_at >= date_trunc('month', hi, 'UTC') and p.ended_at < hi))
    and (want_kind = 'all' or p.kind = want_kind)
    and (want_level = 'track' or l.name is not null)
$$;
