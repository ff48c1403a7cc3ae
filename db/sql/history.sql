-- Listening history (app_pages/history.py). Shared filters, where a query takes them:
--   since, until  snapshot dates, inclusive;
--   time_range    'short_term' | 'medium_term' | 'long_term' (null = every range, where allowed);
--   artist        exact artist_name, or null for every artist.
-- Weights: a placement at rank r scores greatest(51 - r, 1), so #1 counts 50 and #50 (or lower) 1.

-- name: history_bounds
-- First and last snapshot date and how many snapshot dates there are (the date filter's limits).
-- example: {}
select min(snapshot_date)            as first_snapshot,
       max(snapshot_date)            as last_snapshot,
       count(distinct snapshot_date) as snapshot_dates
from snapshots;

-- name: history_artists
-- Artists that appear in any snapshot, most appearances (track x snapshot x range) first: the
-- artist filter's choices.
-- example: {"limit": 2000}
select t.artist_name, count(*) as appearances
from snapshots s
join tracks t using (track_id)
group by t.artist_name
order by appearances desc, t.artist_name
limit :limit;

-- name: history_artist_appearances
-- How many snapshot rows one artist (exact name) has; 0 for an unknown artist. Validates the
-- artist given in a shared link when it is not among history_artists' first rows.
-- example: {"artist": "Mötley Crüe"}
select count(*) as appearances
from snapshots s
join tracks t using (track_id)
where t.artist_name = :artist;

-- name: history_top_tracks
-- Tracks ranked in the filtered snapshots, strongest first (score = sum of rank weights), with
-- appearances, best and average rank: the bump chart's choices, its first rows the default.
-- example: {"since": "2024-01-01", "until": "2026-12-31", "time_range": "short_term", "artist": null, "limit": 200}
select t.track_id, t.name, t.artist_name,
       sum(greatest(51 - s.rank, 1)) as score,
       count(*)                      as appearances,
       min(s.rank)                   as best_rank,
       round(avg(s.rank), 1)::float8 as avg_rank
from snapshots s
join tracks t using (track_id)
where s.snapshot_date between cast(:since as date) and cast(:until as date)
  and s.time_range = :time_range
  and (cast(:artist as text) is null or t.artist_name = cast(:artist as text))
group by t.track_id, t.name, t.artist_name
order by score desc, best_rank, t.name, t.track_id
limit :limit;

-- name: history_top_artists
-- Artists ranked in the filtered snapshots, strongest first (score = sum of rank weights of their
-- tracks), with appearances and best rank: the artist bump chart's choices.
-- example: {"since": "2024-01-01", "until": "2026-12-31", "time_range": "short_term", "limit": 200}
select t.artist_name,
       sum(greatest(51 - s.rank, 1)) as score,
       count(*)                      as appearances,
       min(s.rank)                   as best_rank
from snapshots s
join tracks t using (track_id)
where s.snapshot_date between cast(:since as date) and cast(:until as date)
  and s.time_range = :time_range
group by t.artist_name
order by score desc, best_rank, t.artist_name
limit :limit;

-- name: track_rank_over_time
-- Rank of each chosen track (track_ids = a JSON array of ids) in every snapshot of one time range
-- between since and until: one row per track and snapshot date it was ranked on.
-- example: {"track_ids": "[\"7HciLg0KWdfMXCYIkwCg6b\"]", "since": "2024-01-01", "until": "2026-12-31", "time_range": "short_term", "limit": 5000}
select s.snapshot_date, s.rank, s.track_id, t.name, t.artist_name
from snapshots s
join tracks t using (track_id)
where s.track_id in (select jsonb_array_elements_text(cast(:track_ids as jsonb)))
  and s.time_range = :time_range
  and s.snapshot_date between cast(:since as date) and cast(:until as date)
order by s.track_id, s.snapshot_date
limit :limit;

-- name: artist_rank_over_time
-- Rank of each chosen artist (artists = a JSON array of names) in every snapshot of one time range
-- between since and until. An artist's rank in a snapshot is its place among the artists of that
-- snapshot ordered by each one's best-placed track (the artist of #1 is 1st, the next artist down
-- the list 2nd, ...); best_rank is that track's rank, tracks how many of its tracks were ranked.
-- example: {"artists": "[\"Mötley Crüe\", \"Radiohead\"]", "since": "2024-01-01", "until": "2026-12-31", "time_range": "short_term", "limit": 5000}
with best as (
  select s.snapshot_date, t.artist_name, min(s.rank) as best_rank, count(*) as tracks
  from snapshots s
  join tracks t using (track_id)
  where s.time_range = :time_range
    and s.snapshot_date between cast(:since as date) and cast(:until as date)
  group by s.snapshot_date, t.artist_name
), ranked as (
  select snapshot_date, artist_name, best_rank, tracks,
         row_number() over (partition by snapshot_date order by best_rank) as rank
  from best
)
select snapshot_date, rank, artist_name, best_rank, tracks
from ranked
where artist_name in (select jsonb_array_elements_text(cast(:artists as jsonb)))
order by artist_name, snapshot_date
limit :limit;

-- name: forgotten_gems
-- Tracks you loved and dropped. Precisely:
--   scope  = snapshots of :time_range, or of every range when it is null, dated on or before :until;
--   newest = the newest snapshot date in scope;
--   window = snapshot dates from newest - window_end_days to newest - window_start_days, inclusive
--            (365 and 90: "90 to 365 days before the newest snapshot");
--   recent = the last recent_snapshots snapshot dates in scope (4 = the last 4 weeks of weekly snapshots).
-- A gem ranked in the window (in any snapshot in scope there) and is in no recent snapshot in scope.
-- Returns its best rank and number of placements (snapshot x range) in the window, the last date it
-- was ranked at all and how many days before the newest snapshot that was; best first. The artist
-- filter narrows the list; since is not used (the window is relative to the newest snapshot).
-- example: {"time_range": null, "until": "2026-12-31", "recent_snapshots": 4, "window_start_days": 90, "window_end_days": 365, "artist": null, "limit": 500}
with dates as (
  select distinct snapshot_date
  from snapshots
  where (cast(:time_range as text) is null or time_range = cast(:time_range as text))
    and snapshot_date <= cast(:until as date)
), bounds as (
  select max(snapshot_date) as newest,
         max(snapshot_date) - cast(:window_end_days as integer)   as window_from,
         max(snapshot_date) - cast(:window_start_days as integer) as window_to,
         (select min(snapshot_date)
            from (select snapshot_date from dates order by snapshot_date desc limit :recent_snapshots) r
         ) as recent_from
  from dates
), per_track as (
  -- every placement from the window's start to the newest snapshot, one row per track
  select s.track_id,
         min(s.rank)          filter (where s.snapshot_date <= b.window_to) as best_rank,
         count(*)             filter (where s.snapshot_date <= b.window_to) as placements,
         min(s.snapshot_date) filter (where s.snapshot_date <= b.window_to) as first_in_window,
         max(s.snapshot_date) filter (where s.snapshot_date <= b.window_to) as last_in_window,
         max(s.snapshot_date) as last_ranked
  from snapshots s
  cross join bounds b
  where (cast(:time_range as text) is null or s.time_range = cast(:time_range as text))
    and s.snapshot_date between b.window_from and b.newest
  group by s.track_id
)
select t.track_id, t.name, t.artist_name, p.best_rank, p.placements,
       p.first_in_window, p.last_in_window, p.last_ranked,
       b.newest - p.last_ranked as days_since,
       t.spotify_url
from per_track p
cross join bounds b
join tracks t using (track_id)
where p.placements > 0
  and p.last_ranked < coalesce(b.recent_from, b.newest + 1)
  and (cast(:artist as text) is null or t.artist_name = cast(:artist as text))
order by p.best_rank, p.placements desc, t.name, t.track_id
limit :limit;

-- name: snapshot_turnover
-- Turnover between consecutive snapshots of each time range (or just :time_range): for snapshot k,
-- the share of its tracks that were not in snapshot k-1 of the same range (new_tracks / tracks).
-- One row per snapshot dated between since and until that has a previous snapshot (which may be
-- older than since); the first snapshot of a range has none and is left out. A track is new in k
-- when its own previous placement in that range is not in snapshot k-1 (or it has none).
-- example: {"time_range": null, "since": "2024-01-01", "until": "2026-12-31"}
with numbered as (
  select time_range, snapshot_date, track_id,
         dense_rank() over (partition by time_range order by snapshot_date) as k
  from snapshots
  where (cast(:time_range as text) is null or time_range = cast(:time_range as text))
    and snapshot_date <= cast(:until as date)
), flagged as (
  select time_range, snapshot_date, k,
         (lag(k) over (partition by time_range, track_id order by k)) is distinct from k - 1 as is_new
  from numbered
), per_snapshot as (
  select time_range, snapshot_date, k,
         count(*) as tracks, count(*) filter (where is_new) as new_tracks
  from flagged
  group by time_range, snapshot_date, k
), with_previous as (
  select *, lag(snapshot_date) over (partition by time_range order by k) as previous_date
  from per_snapshot
)
select time_range, snapshot_date, previous_date, tracks, new_tracks,
       round(new_tracks::numeric / tracks, 4)::float8 as turnover
from with_previous
where k > 1
  and snapshot_date >= cast(:since as date)
order by time_range, snapshot_date;

-- name: top_artists_by_month
-- The per_month strongest artists of each calendar month in the filtered snapshots. Strength is
-- the sum of rank weights over the month's placements (track x snapshot), so a month with more
-- snapshots weighs no differently between its artists; also the plain placement count and how
-- many distinct tracks. position 1 = the month's top artist.
-- example: {"since": "2024-01-01", "until": "2026-12-31", "time_range": "short_term", "artist": null, "per_month": 5, "limit": 2000}
with monthly as (
  select date_trunc('month', s.snapshot_date)::date as month, t.artist_name,
         sum(greatest(51 - s.rank, 1)) as score,
         count(*)                      as placements,
         count(distinct s.track_id)    as tracks
  from snapshots s
  join tracks t using (track_id)
  where s.snapshot_date between cast(:since as date) and cast(:until as date)
    and s.time_range = :time_range
    and (cast(:artist as text) is null or t.artist_name = cast(:artist as text))
  group by 1, 2
), ranked as (
  select *, row_number() over (partition by month order by score desc, artist_name) as position
  from monthly
)
select month, position, artist_name, score, placements, tracks
from ranked
where position <= :per_month
order by month, position
limit :limit;

-- name: taste_shift
-- Taste shift per calendar month in the filtered snapshots (one time range), two measures:
--   artist_shift = Jaccard distance between this month's artist set and the previous month's
--                  (the previous month that has snapshots here): 1 - shared / in either month;
--                  0 = the same artists, 1 = all different; null for the first month;
--   avg_release_year = mean release year (album.release_date) of the month's distinct tracks,
--                  over those whose payload has one (dated_tracks of tracks).
-- We have rankings, not plays, so both are about what was in the top lists, not listening time.
-- example: {"since": "2024-01-01", "until": "2026-12-31", "time_range": "short_term"}
with placed as (
  select date_trunc('month', s.snapshot_date)::date as month, s.track_id, t.artist_name
  from snapshots s
  join tracks t using (track_id)
  where s.snapshot_date between cast(:since as date) and cast(:until as date)
    and s.time_range = :time_range
), artists as (
  select distinct month, artist_name from placed
), months as (
  select month, lag(month) over (order by month) as previous_month,
         count(*) as artists
  from artists
  group by month
), shared as (
  select m.month, count(*) as shared
  from months m
  join artists a on a.month = m.month
  join artists b on b.month = m.previous_month and b.artist_name = a.artist_name
  group by m.month
), track_years as materialized (
  -- one raw_json read per distinct track, not per placement
  select d.track_id, mtm_release_year(p.album ->> 'release_date') as release_year
  from (select distinct track_id from placed) d
  join tracks t using (track_id)
  cross join lateral jsonb_to_record(t.raw_json) as p(album jsonb)
), years as (
  select p.month, count(*) as tracks, count(y.release_year) as dated_tracks,
         round(avg(y.release_year), 1)::float8 as avg_release_year
  from (select distinct month, track_id from placed) p
  join track_years y using (track_id)
  group by p.month
)
select m.month, m.artists,
       coalesce(sh.shared, 0) as shared_artists,
       case when m.previous_month is not null then
         round(1 - coalesce(sh.shared, 0)::numeric / (m.artists + p.artists - coalesce(sh.shared, 0)), 4)::float8
       end as artist_shift,
       y.avg_release_year, y.dated_tracks, y.tracks
from months m
left join months p on p.month = m.previous_month
left join shared sh on sh.month = m.month
join years y on y.month = m.month
order by m.month;

-- name: release_years
-- Release years of the distinct tracks in the filtered snapshots (from raw_json album.release_date
-- at any precision; see mtm_release_year in db/migrations/0004_history.sql): one row per year with how many tracks.
-- example: {"since": "2024-01-01", "until": "2026-12-31", "time_range": "short_term", "artist": null}
with chosen as (
  select track_id from mtm_history_tracks(cast(:since as date), cast(:until as date), :time_range,
                                          cast(:artist as text))
)
select mtm_release_year(p.album ->> 'release_date') as year, count(*) as tracks
from chosen
join tracks t using (track_id)
cross join lateral jsonb_to_record(t.raw_json) as p(album jsonb)   -- one read of the payload
where mtm_release_year(p.album ->> 'release_date') is not null
group by 1
order by 1;

-- name: track_traits
-- What raw_json says about the distinct tracks in the filtered snapshots, one row: how many tracks,
-- how many have a release year, explicit / clean / unknown (no boolean 'explicit'), how many have
-- a numeric popularity, and the median popularity and duration (minutes).
-- example: {"since": "2024-01-01", "until": "2026-12-31", "time_range": "short_term", "artist": null}
with chosen as (
  select track_id from mtm_history_tracks(cast(:since as date), cast(:until as date), :time_range,
                                          cast(:artist as text))
), traits as (
  select mtm_release_year(p.album ->> 'release_date') as release_year,
         case when jsonb_typeof(p.explicit) = 'boolean' then (p.explicit #>> '{}')::boolean end as explicit,
         case when jsonb_typeof(p.popularity) = 'number' then (p.popularity #>> '{}')::numeric end as popularity,
         coalesce(t.duration_ms,
                  case when jsonb_typeof(p.duration_ms) = 'number' then (p.duration_ms #>> '{}')::numeric end
         ) as duration_ms
  from chosen
  join tracks t using (track_id)
  cross join lateral jsonb_to_record(t.raw_json)
                     as p(album jsonb, explicit jsonb, popularity jsonb, duration_ms jsonb)
)
select count(*)                                  as tracks,
       count(release_year)                       as with_release_year,
       count(*) filter (where explicit)          as explicit,
       count(*) filter (where not explicit)      as clean,
       count(*) filter (where explicit is null)  as explicit_unknown,
       count(popularity)                         as with_popularity,
       percentile_cont(0.5) within group (order by popularity)            as median_popularity,
       round((percentile_cont(0.5) within group (order by duration_ms) / 60000)::numeric, 2)::float8 as median_minutes
from traits;

-- name: explicit_share
-- Explicit vs clean among the distinct tracks in the filtered snapshots (raw_json 'explicit';
-- 'unknown' when the payload has no boolean there): content, tracks, share of all.
-- example: {"since": "2024-01-01", "until": "2026-12-31", "time_range": "short_term", "artist": null}
with chosen as (
  select track_id from mtm_history_tracks(cast(:since as date), cast(:until as date), :time_range,
                                          cast(:artist as text))
)
select case jsonb_typeof(p.explicit)
         when 'boolean' then case when (p.explicit #>> '{}')::boolean then 'explicit' else 'clean' end
         else 'unknown'
       end as content,
       count(*) as tracks,
       round(count(*)::numeric / sum(count(*)) over (), 4)::float8 as share
from chosen
join tracks t using (track_id)
cross join lateral jsonb_to_record(t.raw_json) as p(explicit jsonb)
group by 1
order by 1;

-- name: popularity_histogram
-- Spotify popularity (0-100, raw_json 'popularity', tracks without a numeric one left out) of the
-- distinct tracks in the filtered snapshots, in bins of 10 (90-100 in the last): bin_start, bin_end, tracks.
-- example: {"since": "2024-01-01", "until": "2026-12-31", "time_range": "short_term", "artist": null}
with chosen as (
  select track_id from mtm_history_tracks(cast(:since as date), cast(:until as date), :time_range,
                                          cast(:artist as text))
), pops as (
  select (p.popularity #>> '{}')::numeric as popularity
  from chosen
  join tracks t using (track_id)
  cross join lateral jsonb_to_record(t.raw_json) as p(popularity jsonb)
  where jsonb_typeof(p.popularity) = 'number'
), bins as (
  select least(greatest(floor(popularity / 10), 0), 9) * 10 as bin_start from pops
)
select bin_start::integer as bin_start, (bin_start + 10)::integer as bin_end, count(*) as tracks
from bins
group by bin_start
order by bin_start;

-- name: duration_histogram
-- Durations of the distinct tracks in the filtered snapshots (duration_ms, else raw_json's) in
-- half-minute bins: bin_start and bin_end in minutes, tracks; 20 minutes and longer share the last bin.
-- example: {"since": "2024-01-01", "until": "2026-12-31", "time_range": "short_term", "artist": null}
with chosen as (
  select track_id from mtm_history_tracks(cast(:since as date), cast(:until as date), :time_range,
                                          cast(:artist as text))
), durations as (
  select coalesce(t.duration_ms,
                  case when jsonb_typeof(p.duration_ms) = 'number' then (p.duration_ms #>> '{}')::numeric end
         ) as ms
  from chosen
  join tracks t using (track_id)
  cross join lateral jsonb_to_record(t.raw_json) as p(duration_ms jsonb)
), bins as (
  select least(floor(ms / 30000), 40) / 2.0 as bin_start from durations where ms is not null and ms >= 0
)
select bin_start::float8 as bin_start, (bin_start + 0.5)::float8 as bin_end, count(*) as tracks
from bins
group by bin_start
order by bin_start;
