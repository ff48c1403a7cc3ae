"""The read API: JSON over the pages' named queries (db/sql/*.sql), with an OpenAPI description.

    GET /api/search?q=radiohead            tracks and played items, as the search box finds them
    GET /api/top/{level}?since&until&tz    top tracks | albums | artists of a date range in a zone
    GET /api/plays/timeline?since&until&tz&grain   plays and minutes per day | week | month | year
    GET /api/tracks/{track_id}             a track's rank in every snapshot of each time range
    GET /api/import-runs                   the latest imports
    GET /api/openapi.json                  this, described (OpenAPI 3.1)

Every endpoint is a row of ENDPOINTS (path, named query, parameters with type, default and
bounds): the handler and the OpenAPI description are both built from it. Reads go through
db.queries.run on the read-only reader engine (the pages' role, statement timeout, row cap).
Lists are paginated (`limit`, `offset`; the answer's `next_offset` is null on the last page).
Answers carry an ETag of the data's version (data_changes) and the request, so a client asking
again with If-None-Match gets 304 until something new is stored. A token is required
(`Authorization: Token <token>`, as for listens) unless MTM_PUBLIC_READ=1.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field

import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api import store, tokens
from api.ratelimit import DEFAULT, DEFAULT_ANONYMOUS, RateLimiter
from db import settings, zones

MAX_LIMIT = 500
MAX_OFFSET = 10_000
TOP_LEVELS = ("track", "album", "artist")
KINDS = ("music", "podcast", "audiobook", "unknown", "all")


class Invalid(ValueError):
    """A parameter that cannot be used; 400 with this message."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str                       # string | integer | boolean | date | enum
    doc: str
    default: object = None
    required: bool = False
    choices: tuple = ()
    low: int | None = None
    high: int | None = None
    where: str = "query"            # query | path

    def parse(self, raw: str | None):
        if raw is None or raw == "":
            if self.required:
                raise Invalid(f"{self.name} is required")
            return self.default
        if len(raw) > 200:
            raise Invalid(f"{self.name} is too long")
        if self.kind == "integer":
            if not re.fullmatch(r"-?\d{1,9}", raw):
                raise Invalid(f"{self.name} must be an integer")
            value = int(raw)
            if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
                raise Invalid(f"{self.name} must be between {self.low} and {self.high}")
            if self.choices and value not in self.choices:
                raise Invalid(f"{self.name} must be one of {', '.join(map(str, self.choices))}")
            return value
        if self.kind == "date":
            try:
                return dt.date.fromisoformat(raw).isoformat()
            except ValueError:
                raise Invalid(f"{self.name} must be a date (YYYY-MM-DD)") from None
        if self.kind == "enum" and raw not in self.choices:
            raise Invalid(f"{self.name} must be one of {', '.join(self.choices)}")
        return raw

    def schema(self) -> dict:
        s: dict = {"type": {"date": "string", "enum": "string"}.get(self.kind, self.kind)}
        if self.kind == "date":
            s["format"] = "date"
        if self.choices:
            s["enum"] = list(self.choices)
        if self.low is not None:
            s["minimum"] = self.low
        if self.high is not None:
            s["maximum"] = self.high
        if self.default is not None:
            s["default"] = self.default
        return {"name": self.name, "in": self.where, "required": self.required or self.where == "path",
                "description": self.doc, "schema": s}


def _today() -> str:
    return dt.date.today().isoformat()


PAGE = (Param("limit", "integer", "rows per page", 50, low=1, high=MAX_LIMIT),
        Param("offset", "integer", "rows to skip (pagination)", 0, low=0, high=MAX_OFFSET))
RANGE = (Param("since", "date", "first local date (default: a year before until)"),
         Param("until", "date", "last local date, inclusive (default: today)"),
         Param("tz", "string", "IANA time zone the dates and periods are in", "UTC"),
         Param("kind", "enum", "what was played", "music", choices=KINDS),
         Param("min_seconds", "integer", "what counts as a play: streams of at least this long", 30,
               choices=(0, 10, 30, 60)))


@dataclass(frozen=True)
class Endpoint:
    path: str
    summary: str
    params: tuple
    handler: str
    paged: bool = True
    queries: tuple = field(default_factory=tuple)


ENDPOINTS = (
    Endpoint("/search", "Search as you type: library tracks and played items matching q, best first",
             (Param("q", "string", "what was typed (words, \"phrases\", -exclusions, OR)", required=True),
              Param("limit", "integer", "rows per list", 20, low=1, high=100)),
             "search", paged=False, queries=("search_tracks", "search_play_items")),
    Endpoint("/top/{level}", "Top tracks, albums or artists between two local dates, by plays or minutes",
             (Param("level", "enum", "what is ranked", choices=TOP_LEVELS, where="path"), *RANGE,
              Param("order_by", "enum", "rank by", "plays", choices=("plays", "minutes")), *PAGE),
             "top", queries=("plays_top",)),
    Endpoint("/plays/timeline", "Plays, minutes, streams and skips per local day, week, month or year",
             (*RANGE, Param("grain", "enum", "period", "day", choices=("day", "week", "month", "year")), *PAGE),
             "timeline", queries=("plays_timeline",)),
    Endpoint("/tracks/{track_id}", "A library track's rank in every snapshot of each time range",
             (Param("track_id", "string", "Spotify track id", where="path"),), "track", paged=False,
             queries=("track_rank_history",)),
    Endpoint("/import-runs", "The latest imports, newest first",
             PAGE, "import_runs", queries=("import_runs_recent",)),
)


def _records(result) -> list[dict]:
    return json.loads(result.df.to_json(orient="records", date_format="iso"))


class ReadAPI:
    def __init__(self, url: str | None = None, limiter: RateLimiter | None = None,
                 anonymous: RateLimiter | None = None, public: bool | None = None):
        self.url = url
        self.public = public
        self._zones: dict[tuple, tuple] = {}     # (tz, data version) -> (rollup_params, (first, last day) or None)
        self.limiter = limiter or RateLimiter.from_env("MTM_API_RATE_LIMIT", DEFAULT)
        self.anonymous = anonymous or RateLimiter.from_env("MTM_API_RATE_LIMIT_ANONYMOUS", DEFAULT_ANONYMOUS)

    def routes(self) -> list[Route]:
        out = [Route("/openapi.json", self.openapi, methods=["GET"])]
        for ep in ENDPOINTS:
            out.append(Route(ep.path, self._endpoint(ep), methods=["GET"]))
        return out

    # -- plumbing ---------------------------------------------------------------------------

    def _is_public(self) -> bool:
        return self.public if self.public is not None else bool(settings.get("MTM_PUBLIC_READ"))

    def _verify(self, text: str):
        conn = store.connection(self.url)
        try:
            return tokens.verify(conn, text)
        finally:
            conn.close()

    async def _admit(self, request: Request) -> dict:
        """Rate-limit headers for an admitted request; raises _Answer (401 / 429) otherwise."""
        address = "ip:" + (request.client.host if request.client else "?")
        header = request.headers.get("authorization") or ""
        text = header.split(" ")[1] if header.lower().startswith("token ") and " " in header else None
        token = None
        if text:
            spent = self.anonymous.spent(address)
            if spent is not None:
                raise _Answer(429, "Too many requests. Please wait and try again.", spent.headers)
            token = await run_in_threadpool(self._verify, text)
        verdict = self.limiter.hit(f"token:{token.token_id}") if token else self.anonymous.hit(address)
        if not verdict.allowed:
            raise _Answer(429, "Too many requests. Please wait and try again.", verdict.headers)
        if token is None and not self._is_public():
            raise _Answer(401, "You need to provide a valid Authorization header (Token <token>)."
                          if not text else "Invalid authorization token.", verdict.headers)
        return verdict.headers

    def _endpoint(self, ep: Endpoint):
        async def handle(request: Request) -> Response:
            headers: dict = {}
            try:
                headers = await self._admit(request)
                unknown = set(request.query_params) - {p.name for p in ep.params if p.where == "query"}
                if unknown:
                    raise Invalid(f"unknown parameter {sorted(unknown)[0]!r}")
                args = {p.name: p.parse(request.path_params.get(p.name) if p.where == "path"
                                        else request.query_params.get(p.name)) for p in ep.params}
                version = await run_in_threadpool(self._version)
                tag = '"' + hashlib.sha256(f"{version}|{request.url.path}|{sorted(args.items())}".encode()
                                           ).hexdigest()[:32] + '"'
                cache = {"ETag": tag, "Cache-Control": "private, no-cache", "Vary": "Authorization"}
                if tag in request.headers.get("if-none-match", ""):
                    return Response(status_code=304, headers={**headers, **cache})
                args["_version"] = version
                body = await run_in_threadpool(getattr(self, "_" + ep.handler), args)
                return JSONResponse(body, headers={**headers, **cache})
            except Invalid as exc:
                return JSONResponse({"code": 400, "error": str(exc)}, status_code=400, headers=headers)
            except _Answer as exc:
                return JSONResponse({"code": exc.status, "error": exc.message}, status_code=exc.status,
                                    headers={**headers, **exc.headers})
            except Exception as exc:   # noqa: BLE001 - a timeout or a lost database: the client may retry
                from sqlalchemy.exc import OperationalError

                status = 503 if isinstance(exc, OperationalError) else 500
                return JSONResponse({"code": status, "error": "The query could not be answered; try again later."
                                     if status == 503 else "Internal error."}, status_code=status, headers=headers)
        return handle

    def _run(self, name: str, params: dict, cap: int):
        from db import queries

        return queries.run(name, params, url=self.url, cap=cap)

    def _version(self) -> tuple:
        return tuple(self._run("data_version", {}, 1).df.iloc[0].tolist())

    def _paged(self, name: str, params: dict, args: dict) -> dict:
        limit, offset = args["limit"], args["offset"]
        res = self._run(name, {**params, "limit": offset + limit + 1}, offset + limit + 1)
        rows = _records(res)
        page = rows[offset:offset + limit]
        more = len(rows) > offset + limit
        return {"items": page, "limit": limit, "offset": offset, "next_offset": offset + limit if more else None}

    def _range(self, args: dict) -> dict:
        until = args["until"] or _today()
        since = args["since"] or (dt.date.fromisoformat(until) - dt.timedelta(days=365)).isoformat()
        if since > until:
            raise Invalid("since must not be after until")
        key = (args["tz"], args.get("_version"))
        known = self._zones.get(key)
        if known is None:     # the zone's check reads every day of the data's span: once per data version
            zone = self._run("plays_time_zone", {"tz": args["tz"]}, 1).df
            if zone.empty:
                raise Invalid(f"unknown time zone {args['tz']!r}")
            first, last = zone.at[0, "first_day"], zone.at[0, "last_day"]
            known = (zones.rollup_params(zone), None if pd.isna(first) else (first, last))
            if len(self._zones) > 1000:
                self._zones.clear()
            self._zones[key] = known
        rollups, span = known
        outside = span is not None and zones.reads_outside(*span, dt.date.fromisoformat(since),
                                                            dt.date.fromisoformat(until))
        return {"since": since, "until": until, "tz": args["tz"], "kind": args["kind"],
                "min_seconds": args["min_seconds"], "outside": outside, **rollups}

    # -- endpoints --------------------------------------------------------------------------

    def _search(self, args: dict) -> dict:
        from db import search

        query = search.parse(args["q"])
        if query.empty:
            return {"query": args["q"], "tracks": [], "plays": []}
        limit = args["limit"]
        params = query.params(limit + 1)
        tracks = self._run("search_tracks", params, limit)
        plays = self._run("search_play_items", params, limit)
        return {"query": args["q"], "tracks": _records(tracks), "tracks_truncated": tracks.truncated,
                "plays": _records(plays), "plays_truncated": plays.truncated}

    def _top(self, args: dict) -> dict:
        r = self._range(args)
        body = self._paged("plays_top", {**r, "level": args["level"], "order_by": args["order_by"]}, args)
        return {"level": args["level"], **{k: r[k] for k in ("since", "until", "tz", "kind", "min_seconds")}, **body}

    def _timeline(self, args: dict) -> dict:
        r = self._range(args)
        body = self._paged("plays_timeline", {**r, "grain": args["grain"]}, args)
        return {"grain": args["grain"], **{k: r[k] for k in ("since", "until", "tz", "kind", "min_seconds")}, **body}

    def _track(self, args: dict) -> dict:
        res = self._run("track_rank_history", {"track_id": args["track_id"]}, 5_000)
        return {"track_id": args["track_id"], "ranks": _records(res), "truncated": res.truncated}

    def _import_runs(self, args: dict) -> dict:
        return self._paged("import_runs_recent", {}, args)

    async def openapi(self, request: Request) -> JSONResponse:
        return JSONResponse(openapi())


class _Answer(Exception):
    def __init__(self, status: int, message: str, headers: dict):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def openapi() -> dict:
    """The OpenAPI 3.1 description of the read API and the ListenBrainz endpoints."""
    error = {"type": "object", "properties": {"code": {"type": "integer"}, "error": {"type": "string"}}}
    paths: dict = {}
    for ep in ENDPOINTS:
        paths["/api" + ep.path] = {"get": {
            "summary": ep.summary,
            "description": "Named queries: " + ", ".join(ep.queries) + (
                ". Paginated: `next_offset` is null on the last page." if ep.paged else "."),
            "parameters": [p.schema() for p in ep.params],
            "responses": {"200": {"description": "JSON"}, "304": {"description": "Not modified (ETag)"},
                          "400": {"description": "A parameter cannot be used",
                                  "content": {"application/json": {"schema": error}}},
                          "401": {"description": "No valid token"}, "429": {"description": "Rate limited"}},
        }}
    paths["/1/submit-listens"] = {"post": {
        "summary": "Submit listens (ListenBrainz API: listen_type single, import or playing_now)",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": '{"status": "ok"}'}, "400": {"description": "Invalid listens"},
                      "401": {"description": "No valid token"}, "429": {"description": "Rate limited"}}}}
    paths["/1/validate-token"] = {"get": {"summary": "Check a token (ListenBrainz API)",
                                          "responses": {"200": {"description": "valid: true | false"}}}}
    return {"openapi": "3.1.0",
            "info": {"title": "Music Time Machine API", "version": "1",
                     "description": "Reads over the pages' named queries, and ListenBrainz-compatible listen "
                                    "submission. Authorization: Token <token> (python -m api token create NAME)."},
            "components": {"securitySchemes": {"token": {"type": "apiKey", "in": "header",
                                                         "name": "Authorization",
                                                         "description": "Token <token>"}}},
            "security": [{"token": []}],
            "paths": paths}
