-- The Overview's headline numbers (db/sql/overview.sql, overview_counts) as one row, recomputed by
-- refresh_overview_totals after every import (db/refresh.py) instead of on every page view: the live
-- query groups every track by album and counts the distinct snapshot dates, 160-250 ms at 100,000
-- tracks with cold buffers; reading this row takes well under a millisecond.
create table if not exists overview_totals (
  one            boolean primary key default true check (one),   -- a single row
  tracks         bigint not null,
  artists        bigint not null,
  albums         bigint not null,
  snapshot_dates bigint not null,
  first_snapshot date,
  last_snapshot  date,
  total_hours    numeric not null
);

-- A database upgraded with data gets its row now (the same statement as refresh_overview_totals).
insert into overview_totals (one, tracks, artists, albums, snapshot_dates, first_snapshot, last_snapshot, total_hours)
select true, coalesce(sum(a.tracks), 0), count(distinct a.artist_name),
       count(*) filter (where a.album_name is not null),
       (select count(distinct snapshot_date) from snapshots),
       (select min(snapshot_date) from snapshots), (select max(snapshot_date) from snapshots),
       coalesce(sum(a.ms), 0) / 3600000.0
from (select artist_name, album_name, count(*) as tracks, sum(duration_ms) as ms
      from tracks group by artist_name, album_name) a
on conflict (one) do update set
  tracks = excluded.tracks, artists = excluded.artists, albums = excluded.albums,
  snapshot_dates = excluded.snapshot_dates, first_snapshot = excluded.first_snapshot,
  last_snapshot = excluded.last_snapshot, total_hours = excluded.total_hours;
