-- name: overview_counts
-- Headline numbers for the overview: tracks, artists, albums, snapshot dates, first/last snapshot,
-- total duration of all tracks in hours. Read from overview_totals (one row, kept by
-- refresh_overview_totals after every import; db/migrations/0015_overview_totals.sql); zeros when
-- nothing was imported yet.
-- example: {}
select coalesce(o.tracks, 0)         as tracks,
       coalesce(o.artists, 0)        as artists,
       coalesce(o.albums, 0)         as albums,
       coalesce(o.snapshot_dates, 0) as snapshot_dates,
       o.first_snapshot,
       o.last_snapshot,
       coalesce(o.total_hours, 0)    as total_hours
from (values (true)) as v(one)
left join overview_totals o using (one);

-- name: refresh_overview_totals
-- Recompute overview_totals from tracks and snapshots (db/refresh.py runs it after every import):
-- one pass over tracks grouped by album serves four figures.
with albums as (
  select artist_name, album_name, count(*) as tracks, sum(duration_ms) as ms
  from tracks
  group by artist_name, album_name
)
insert into overview_totals (one, tracks, artists, albums, snapshot_dates, first_snapshot, last_snapshot,
                             total_hours)
select true, coalesce(sum(tracks), 0), count(distinct artist_name),
       count(*) filter (where album_name is not null),
       (select count(distinct snapshot_date) from snapshots),
       (select min(snapshot_date) from snapshots),
       (select max(snapshot_date) from snapshots),
       coalesce(sum(ms), 0) / 3600000.0
from albums
on conflict (one) do update set
  tracks = excluded.tracks, artists = excluded.artists, albums = excluded.albums,
  snapshot_dates = excluded.snapshot_dates, first_snapshot = excluded.first_snapshot,
  last_snapshot = excluded.last_snapshot, total_hours = excluded.total_hours;

-- name: currently_obsessed
-- The newest snapshot's top tracks for one time range, with whether each is new since the previous
-- snapshot of that range and its rank there.
-- example: {"time_range": "short_term", "limit": 10}
with dates as (
  select distinct snapshot_date from snapshots
  where time_range = :time_range order by snapshot_date desc limit 2
), latest as (select max(snapshot_date) as d from dates),
   previous as (select min(snapshot_date) as d from dates having count(*) = 2)
select s.rank, t.name, t.artist_name, t.album_name, s.snapshot_date,
       p.rank as previous_rank, (p.rank is null) as is_new, t.track_id, t.spotify_url
from snapshots s
join latest on s.snapshot_date = latest.d
join tracks t using (track_id)
left join snapshots p on p.track_id = s.track_id and p.time_range = s.time_range
                      and p.snapshot_date = (select d from previous)
where s.time_range = :time_range
order by s.rank
limit :limit;
