-- name: overview_counts
-- Headline numbers for the overview: tracks, artists, albums, snapshot dates, first/last snapshot,
-- total duration of all tracks in hours.
-- example: {}
with albums as (  -- one pass over tracks, grouped by album, serves four figures
  select artist_name, album_name, count(*) as tracks, sum(duration_ms) as ms
  from tracks
  group by artist_name, album_name
)
select coalesce(sum(tracks), 0)                                as tracks,
       count(distinct artist_name)                             as artists,
       count(*) filter (where album_name is not null)          as albums,
       (select count(distinct snapshot_date) from snapshots)   as snapshot_dates,
       (select min(snapshot_date) from snapshots)              as first_snapshot,
       (select max(snapshot_date) from snapshots)              as last_snapshot,
       coalesce(sum(ms), 0) / 3600000.0                        as total_hours
from albums;

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
