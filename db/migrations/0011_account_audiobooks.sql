-- Account-data audiobook plays (issue 10). StreamingHistory_audiobook_N.json holds records like
-- {"endTime": "2024-05-02 21:14", "audiobookName": "...", "chapterName": "...", "authorName": "...",
-- "msPlayed": 123456}; the importer read them as music with no artist and no track (so they counted
-- in music totals, and all of them at one minute and duration shared one natural key). It now
-- stores them like extended audiobook plays: kind audiobook, album = book, track = chapter, and the
-- author as artist (migrate/export_formats.py _account). Plays stored before are corrected here from
-- their raw_json; those that are the same stream as a stored extended play (its ts within
-- [endTime - 30 s, endTime + 60 s), the same ms_played and chapter title: the importer's matching
-- rule) are removed, as an import would not have stored them. The hours changed are listed in
-- plays_dirty_hours; db.schema refreshes the rollups for them after the migrations. The next import
-- of the file then adds the plays the old key merged.
with fixed as (
  update plays set
    kind = 'audiobook',
    album = case when jsonb_typeof(raw_json->'audiobookName') in ('string', 'number')
                 then nullif(raw_json->>'audiobookName', '') end,
    track = case when jsonb_typeof(raw_json->'chapterName') in ('string', 'number')
                 then nullif(raw_json->>'chapterName', '') end,
    artist = case when jsonb_typeof(raw_json->'authorName') in ('string', 'number')
                  then nullif(raw_json->>'authorName', '') end
  where source = 'account' and kind <> 'audiobook'
    and not (raw_json ? 'podcastName' or raw_json ? 'episodeName')
    and (raw_json ? 'audiobookName' or raw_json ? 'chapterName' or raw_json ? 'authorName')
  returning ended_at)
insert into plays_dirty_hours (hour_utc)
select distinct date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00') from fixed;

with gone as (
  delete from plays a
  where a.source = 'account' and a.kind = 'audiobook'
    and exists (select 1 from plays p
                where p.source = 'extended' and p.ended_at >= a.ended_at - interval '30 seconds'
                  and p.ended_at < a.ended_at + interval '60 seconds'
                  and p.ms_played = a.ms_played and p.track = a.track)
  returning a.ended_at)
insert into plays_dirty_hours (hour_utc)
select distinct date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00') from gone;

insert into data_changes (source) values ('migration');
