"""The HTTP API served next to the pages: ListenBrainz-compatible listen submission under /1
(api/listenbrainz.py) and a read API with its OpenAPI description under /api (api/read.py).

    app = st.App("dashboard.py", routes=api.routes())      # or Starlette(routes=api.routes())

No database work at import time; every request runs its database work in the thread pool.
"""
from __future__ import annotations


def routes(url: str | None = None) -> list:
    """Starlette routes: Mount('/1', ListenBrainz's submit-listens and validate-token) and
    Mount('/api', the read API and /api/openapi.json).
    `url`: the database (default: the configured one, read at each request)."""
    from starlette.routing import Mount

    from api.listenbrainz import ListenBrainzAPI
    from api.read import ReadAPI

    return [Mount("/1", routes=ListenBrainzAPI(url).routes()), Mount("/api", routes=ReadAPI(url).routes())]


def playing_now(url: str | None = None) -> list[dict]:
    """What clients say is playing now (listen_type playing_now), newest first, expired ones left
    out: [{token, artist, track, album, received_at, expires_at}] (named query playing_now)."""
    from db import queries

    return queries.run("playing_now", url=url, cap=20).df.to_dict("records")
