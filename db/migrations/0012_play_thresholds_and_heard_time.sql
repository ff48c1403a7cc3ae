-- Two figures made exact (issue 10): search counts plays the way the Plays page does, and a
-- session's "Played" never exceeds its length.

-- plays_hourly_items (0005): a count for each "what counts as a play" threshold, so a search result's
-- plays per month follow the page's min_s. Rows stored before are counted from `plays` in one pass.
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

-- One result's plays per month (play_item_history) read from the index alone, thresholds included.
drop index if exists plays_hourly_items_item_idx;
create index plays_hourly_items_item_idx on plays_hourly_items (item_key, hour_utc)
  include (plays, ms_played, plays_10s, plays_30s, plays_60s);

-- plays_z_sessions (0008): ms_heard, the union of a session's stream intervals (two devices playing
-- at once count once), so Played <= Length. Sessions stored before get it from their plays.
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
