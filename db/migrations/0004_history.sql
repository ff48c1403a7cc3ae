-- Listening history support (app_pages/history.py, db/sql/history.sql). Idempotent.

-- The year of a Spotify album.release_date, or null. release_date comes at year ('1989'), month
-- ('1989-09') or day ('1989-09-01') precision, so its first four characters are the year whatever
-- the precision. Null when missing, when the text does not start with four digits, and for '0000'
-- and other years before 1800 (placeholders in old payloads). Takes the text, not the payload:
-- callers extract it once (payloads are large and every jsonb operator decompresses them anew).
drop function if exists mtm_release_year(jsonb);   -- an earlier signature
create or replace function mtm_release_year(release_date text) returns integer
language sql immutable parallel safe
return case
  when release_date ~ '^[0-9]{4}'
  then case  -- nested, so the cast only ever sees four digits
         when left(release_date, 4)::integer between 1800 and 2999 then left(release_date, 4)::integer
       end
end;

-- The distinct tracks in the snapshots the Listening history filters choose (dates, time range, an
-- artist or null for all): what the raw_json charts of db/sql/history.sql describe. A plain SQL
-- body, so the planner inlines it into each query as if the SELECT were written there.
create or replace function mtm_history_tracks(since date, until date, time_range text, artist text)
returns table (track_id varchar) language sql stable parallel safe
as $$
  select distinct s.track_id
  from snapshots s
  join tracks t using (track_id)
  where s.snapshot_date between since and until
    and s.time_range = mtm_history_tracks.time_range
    and (artist is null or t.artist_name = artist)
$$;
