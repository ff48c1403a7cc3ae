"""The ListenBrainz endpoints: POST /1/submit-listens and GET /1/validate-token.

Requests and answers as ListenBrainz documents them, so a ListenBrainz client pointed at our base
URL works unchanged: `Authorization: Token <token>`, answers {"status": "ok"}, errors
{"code": 4xx, "error": "..."} (a listen's 400 also echoes the listen's fields, as ListenBrainz
does), rate-limit headers on every answer. The token is checked before the body is read: a request
without a valid token is refused having read none of it, and a body over ListenBrainz's limit
(MAX_LISTEN_PAYLOAD_SIZE) is refused as soon as it is known to be too large. Database work runs in
the thread pool (psycopg2 is blocking), never on the event loop.
"""
from __future__ import annotations

import logging
import threading
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api import listens as lb
from api import store, tokens
from api.ratelimit import DEFAULT, DEFAULT_ANONYMOUS, RateLimiter
from db import settings

log = logging.getLogger(__name__)
DRAIN_EVERY_S = 1.0     # how often the background drain tries the rollup lock while listens wait
DRAIN_BACKOFF_MAX_S = 60.0   # while the database fails, the drain waits twice as long each time, up to this


class Refused(Exception):
    def __init__(self, status: int, message: str, body: dict | None = None):
        super().__init__(message)
        self.status = status
        self.body = body or {"code": status, "error": message}


def _token_of(request: Request, *, query_too: bool = False) -> str | None:
    """The token of `Authorization: Token <token>` (ListenBrainz reads the word after the first
    space); None without the header. validate-token also reads ?token= (ListenBrainz does)."""
    header = request.headers.get("authorization")
    if query_too:
        if header and header.lower().startswith("token "):
            return header.split(" ")[1]
        return request.query_params.get("token") or None
    if not header:
        return None
    parts = header.split(" ")
    if len(parts) < 2:
        raise Refused(401, "Provided Authorization header is invalid.")
    return parts[1]


async def _body(request: Request) -> bytes:
    """The body, refused as soon as it is longer than ListenBrainz's limit (by Content-Length when
    the client sends one, else while reading)."""
    limit = lb.MAX_LISTEN_PAYLOAD_SIZE
    too_large = f"Payload too large. Payload cannot exceed {limit} bytes"
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise Refused(400, too_large)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Refused(400, too_large)
            chunks.append(chunk)
    except ClientDisconnect:
        raise Refused(400, "The request body was cut short.") from None
    return b"".join(chunks)


class ListenBrainzAPI:
    def __init__(self, url: str | None = None, limiter: RateLimiter | None = None,
                 anonymous: RateLimiter | None = None):
        self.url = url
        self.limiter = limiter or RateLimiter.from_env("MTM_API_RATE_LIMIT", DEFAULT)
        self.anonymous = anonymous or RateLimiter.from_env("MTM_API_RATE_LIMIT_ANONYMOUS", DEFAULT_ANONYMOUS)
        self._drain_lock = threading.Lock()
        self._draining = False
        self._drain_wanted = False

    def routes(self) -> list[Route]:
        return [Route("/submit-listens", self.submit_listens, methods=["POST"]),
                Route("/validate-token", self.validate_token, methods=["GET"]),
                Route("/user/{user_name}/listens", self.get_listens, methods=["GET"]),
                Route("/user/{user_name}/playing-now", self.get_playing_now, methods=["GET"])]

    def _db(self, fn, *args):
        conn = store.connection(self.url)
        try:
            return fn(conn, *args)
        finally:
            conn.close()

    async def _identify(self, request: Request, text: str | None) -> tuple[tokens.Token | None, dict]:
        """(the valid token or None, rate-limit headers); Refused(429) over the limit. Requests
        without a valid token count against their address, whose limit is checked before the
        database is asked."""
        address = "ip:" + (request.client.host if request.client else "?")
        token = None
        if text:
            spent = self.anonymous.spent(address)
            if spent is not None:     # this address sent too many bad tokens: no database lookup
                raise _with_headers(Refused(429, "Too many requests. Please wait and try again."), spent.headers)
            token = await run_in_threadpool(self._db, tokens.verify, text)
        verdict = self.limiter.hit(f"token:{token.token_id}") if token else self.anonymous.hit(address)
        if not verdict.allowed:
            raise _with_headers(Refused(429, "Too many requests. Please wait and try again."), verdict.headers)
        return token, verdict.headers

    async def submit_listens(self, request: Request) -> JSONResponse:
        headers: dict = {}
        try:
            token, headers = await self._identify(request, _token_of(request))
            if token is None:
                if not request.headers.get("authorization"):
                    raise Refused(401, "You need to provide an Authorization header.")
                raise Refused(401, "Invalid authorization token.")
            raw = await _body(request)
            listen_type, payload = lb.parse(raw)
            if listen_type == "playing_now":
                await run_in_threadpool(self._db, store.playing_now, token.token_id, lb.to_now_playing(payload[0]))
            else:
                plays = [lb.to_play(listen) for listen in payload]
                stored = await run_in_threadpool(self._db, store.submit, token.token_id, plays)
                if stored.deferred:
                    self.schedule_drain()
            return JSONResponse({"status": "ok"}, headers=headers)
        except lb.BadRequest as exc:
            return JSONResponse(exc.to_dict(), status_code=400, headers=headers)
        except Refused as exc:
            return JSONResponse(exc.body, status_code=exc.status, headers={**headers, **getattr(exc, "headers", {})})
        except store.Busy:
            return JSONResponse({"code": 503, "error": "Cannot submit listens at this time, please try again later."},
                                status_code=503, headers={**headers, "Retry-After": "5"})
        except Exception:   # noqa: BLE001 - the client gets ListenBrainz's shape, the log the traceback
            log.exception("submit-listens failed")
            return JSONResponse({"code": 503, "error": "Cannot submit listens at this time, please try again later."},
                                status_code=503, headers=headers)

    async def _reader(self, request: Request) -> tuple[dict, str]:
        """(rate-limit headers, user name) for the GET endpoints: a valid token is required (the
        data is one person's), unless MTM_PUBLIC_READ=1; the user name must be a valid token's
        (ListenBrainz's 404 otherwise)."""

        text = request.headers.get("authorization")
        token, headers = await self._identify(request, _token_of(request) if text else None)
        if token is None and not settings.get("MTM_PUBLIC_READ"):
            raise _with_headers(Refused(401, "You need to provide an Authorization header." if not text
                                        else "Invalid authorization token."), headers)
        user = request.path_params["user_name"]
        if not await run_in_threadpool(self._db, _is_user, user):
            raise _with_headers(Refused(404, f"Cannot find user: {user}"), headers)
        return headers, user

    async def get_listens(self, request: Request) -> JSONResponse:
        """GET /1/user/<user_name>/listens?min_ts&max_ts&count: the newest submitted listens."""
        from db import queries

        headers: dict = {}
        try:
            headers, user = await self._reader(request)
            args = {}
            for name in ("min_ts", "max_ts", "count"):
                raw = request.query_params.get(name)
                if raw:
                    if not raw.lstrip("-").isdigit() or len(raw) > 12:
                        raise Refused(400, f"Invalid {name} argument: {raw}")
                    args[name] = int(raw)
            if args.get("min_ts") and args.get("max_ts") and args["max_ts"] <= args["min_ts"]:
                raise Refused(400, "max_ts should be greater than min_ts")
            count = min(args.get("count", DEFAULT_ITEMS_PER_GET), MAX_ITEMS_PER_GET)
            if count < 0:
                raise Refused(400, "Number of items requested should be positive")

            def read():
                rows = queries.run("listenbrainz_listens", {"min_ts": args.get("min_ts"), "max_ts": args.get("max_ts"),
                                                            "count": count}, url=self.url, cap=MAX_ITEMS_PER_GET).df
                span = queries.run("listenbrainz_listen_span", {}, url=self.url, cap=1).df.iloc[0]
                return rows, span

            rows, span = await run_in_threadpool(read)
            listens = [{"listened_at": int(r.listened_at), "track_metadata": r.track_metadata, "user_name": user}
                       for r in rows.itertuples()]
            payload = {"count": len(listens), "listens": listens, "user_id": user,
                       "latest_listen_ts": _int_or_zero(span["latest"]), "oldest_listen_ts": _int_or_zero(span["oldest"])}
            return JSONResponse({"payload": payload}, headers=headers)
        except Refused as exc:
            return JSONResponse(exc.body, status_code=exc.status, headers={**headers, **getattr(exc, "headers", {})})
        except Exception:   # noqa: BLE001
            log.exception("get listens failed")
            return JSONResponse({"code": 503, "error": "Cannot read listens at this time, please try again later."},
                                status_code=503, headers=headers)

    async def get_playing_now(self, request: Request) -> JSONResponse:
        """GET /1/user/<user_name>/playing-now: what that token's player said it is playing."""
        from db import queries

        headers: dict = {}
        try:
            headers, user = await self._reader(request)
            rows = await run_in_threadpool(lambda: queries.run("playing_now", {}, url=self.url, cap=20).df)
            listens = [{"track_metadata": {k: v for k, v in {"artist_name": r.artist, "track_name": r.track,
                                                            "release_name": r.album}.items() if v},
                        "playing_now": True, "user_name": user}
                       for r in rows.itertuples() if r.token == user][:1]
            return JSONResponse({"payload": {"count": len(listens), "listens": listens, "playing_now": True,
                                             "user_id": user}}, headers=headers)
        except Refused as exc:
            return JSONResponse(exc.body, status_code=exc.status, headers={**headers, **getattr(exc, "headers", {})})
        except Exception:   # noqa: BLE001
            log.exception("get playing-now failed")
            return JSONResponse({"code": 503, "error": "Cannot read at this time, please try again later."},
                                status_code=503, headers=headers)

    def schedule_drain(self) -> None:
        """Make sure a background thread rebuilds the rollups of deferred listens (store.drain) as
        soon as the writer holding the rollup lock lets go."""
        with self._drain_lock:
            self._drain_wanted = True
            if self._draining:
                return
            self._draining = True
        threading.Thread(target=self._drain_loop, name="mtm-listen-drain", daemon=True).start()

    def _drain_loop(self) -> None:
        pause, failures = DRAIN_EVERY_S, 0
        while True:
            time.sleep(pause)
            with self._drain_lock:
                self._drain_wanted = False
            try:
                done = self._db(store.drain)
            except Exception as exc:   # noqa: BLE001 - the database is away: try again later, less often
                failures += 1
                pause = min(pause * 2, DRAIN_BACKOFF_MAX_S)
                if failures == 1:      # one traceback per outage, then a line at each (rarer) retry
                    log.exception("draining deferred listens failed; retrying")
                else:
                    log.warning("draining deferred listens failed again (%d times; retrying in %.0f s): %s",
                                failures, pause, type(exc).__name__)
                continue
            if failures:
                log.info("draining deferred listens works again after %d failures", failures)
            pause, failures = DRAIN_EVERY_S, 0
            if done == 0:
                with self._drain_lock:
                    if not self._drain_wanted:
                        self._draining = False
                        return

    async def validate_token(self, request: Request) -> JSONResponse:
        headers: dict = {}
        try:
            text = _token_of(request, query_too=True)
            if not text:
                raise Refused(400, "You need to provide an Authorization token.")
            token, headers = await self._identify(request, text)
            if token is None:
                return JSONResponse({"code": 200, "message": "Token invalid.", "valid": False}, headers=headers)
            return JSONResponse({"code": 200, "message": "Token valid.", "valid": True, "user_name": token.name},
                                headers=headers)
        except Refused as exc:
            return JSONResponse(exc.body, status_code=exc.status, headers={**headers, **getattr(exc, "headers", {})})
        except Exception:   # noqa: BLE001
            log.exception("validate-token failed")
            return JSONResponse({"code": 503, "error": "Cannot check the token at this time, please try again later."},
                                status_code=503, headers=headers)


DEFAULT_ITEMS_PER_GET = 25     # ListenBrainz's defaults for GET listens
MAX_ITEMS_PER_GET = 1000


def _is_user(conn, name: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("select exists (select 1 from api_tokens where name = %s and revoked_at is null)", (name,))
        found = cur.fetchone()[0]
    conn.commit()
    return found


def _int_or_zero(value) -> int:
    import pandas as pd

    return 0 if value is None or pd.isna(value) else int(value)


def _with_headers(exc: Refused, headers: dict) -> Refused:
    exc.headers = headers
    return exc
