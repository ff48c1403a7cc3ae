-- The API (api/): what submitted listens leave for the pages.

-- name: playing_now
-- What ListenBrainz clients say is playing now (listen_type playing_now, api/), one row per token,
-- newest first, those past their expiry (the track's length, else 10 minutes) left out.
-- example: {}
select t.name as token, p.artist, p.track, p.album, p.received_at, p.expires_at
from playing_now p
join api_tokens t using (token_id)
where p.expires_at > now() and t.revoked_at is null
order by p.received_at desc
limit 20;

-- name: api_tokens_list
-- The API's tokens for the Admin page, oldest first: name, created, last used (at most a minute
-- behind), revoked (null while valid), and the listens each submitted. Never the token itself
-- (only its sha256 is stored).
-- example: {}
select t.name, t.created_at, t.last_used_at, t.revoked_at,
       (select count(*) from listens l where l.token_id = t.token_id) as listens
from api_tokens t
order by t.token_id;

-- name: listenbrainz_listens
-- Submitted listens as ListenBrainz's GET /1/user/<name>/listens returns them: the newest :count
-- plays of source 'listenbrainz' whose listened_at (their start, ended_at - ms_played, in Unix
-- seconds) lies strictly after :min_ts and before :max_ts (either may be null), newest first, with
-- the submitted track_metadata. A listen whose play an export replaced is not among them.
-- example: {"min_ts": null, "max_ts": null, "count": 25}
select extract(epoch from p.ended_at - p.ms_played * interval '1 millisecond')::bigint as listened_at,
       p.raw_json -> 'track_metadata' as track_metadata
from plays p
where p.source = 'listenbrainz'
  and (cast(:max_ts as bigint) is null
       or p.ended_at - p.ms_played * interval '1 millisecond' < to_timestamp(cast(:max_ts as bigint)))
  and (cast(:min_ts as bigint) is null
       or p.ended_at - p.ms_played * interval '1 millisecond' > to_timestamp(cast(:min_ts as bigint)))
order by p.ended_at desc
limit :count;

-- name: listenbrainz_listen_span
-- The first and last listened_at (Unix seconds) of the submitted listens still stored as plays;
-- nulls without any. ListenBrainz's oldest_listen_ts and latest_listen_ts.
-- example: {}
select extract(epoch from min(ended_at - ms_played * interval '1 millisecond'))::bigint as oldest,
       extract(epoch from max(ended_at - ms_played * interval '1 millisecond'))::bigint as latest
from plays
where source = 'listenbrainz';
