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
