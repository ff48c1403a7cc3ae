-- Offline replays (issue 10): record_key joins the natural key of plays.
--
-- Spotify logs a play made offline when the device syncs, so two real plays of one song can carry
-- the same ts, ms_played and URI and differ only in offline_timestamp (endsong: Drake, "Fake Love",
-- both ending 2018-07-30T19:37:29Z after 210,937 ms, offline_timestamp 1532912409173 and
-- 1532891138368). The key (ended_at, ms_played, item) merged them; record_key tells them apart:
--   extended history  the record's offline_timestamp in whole seconds; 0 when it has none (null,
--                     absent, not a positive number, from 10^15 on). Older exports write
--                     milliseconds, newer ones seconds: from 10^11 on it is taken as milliseconds,
--                     so the same play in both has the same key (migrate.export_formats.offline_key
--                     computes the same for new records).
--   account data      which of the identical records in its file this is (0, 1, ...): the
--                     importer numbers them; every play stored before is the first, 0.
-- Plays stored before get their key from raw_json here; the next import of an export then adds the
-- replays the older key merged, and nothing else (migrate/spotify_export.py SAME_RECORD).
--
-- Also (no DDL): account-data audiobook plays (StreamingHistory_audiobook_N.json) are stored like
-- extended ones, album = book, track = chapter, with the author as artist (extended history names
-- none: null there).
alter table plays add column if not exists record_key bigint not null default 0;

update plays set record_key = case
    when (raw_json->>'offline_timestamp')::numeric >= 1e15 then 0
    when (raw_json->>'offline_timestamp')::numeric >= 1e11 then floor((raw_json->>'offline_timestamp')::numeric / 1000)
    when (raw_json->>'offline_timestamp')::numeric > 0 then floor((raw_json->>'offline_timestamp')::numeric)
    else 0 end
where source = 'extended' and jsonb_typeof(raw_json->'offline_timestamp') = 'number';

-- The same leading columns as before (db/sql/explorer.sql finds plays by them), record_key last.
drop index if exists plays_natural_key;
create unique index plays_natural_key on plays
  (ended_at, ms_played, (md5(coalesce(uri, coalesce(artist, '') || E'\x1f' || coalesce(track, '')))::uuid),
   record_key);
