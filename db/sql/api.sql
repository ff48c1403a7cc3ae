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
