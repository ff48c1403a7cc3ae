"""The read API (api/read.py) through a real server: the same rows as the named queries, paginated,
cacheable, described by its OpenAPI document, closed without a token unless public."""
from __future__ import annotations

import pytest
import requests
from starlette.routing import Mount

from api.ratelimit import RateLimiter
from api.read import ENDPOINTS, ReadAPI
from db import queries
from tests.api_server import new_token, serve
from tests.conftest import pg_rows


def _routes(url, public):
    return [Mount("/api", routes=ReadAPI(url, limiter=RateLimiter(100_000, 10), anonymous=RateLimiter(100_000, 10),
                                         public=public).routes())]


@pytest.fixture(scope="module")
def plays_api(plays_export_db):
    with serve(_routes(plays_export_db, public=True)) as url:
        yield url, plays_export_db


@pytest.fixture(scope="module")
def library_api(demo_db):
    with serve(_routes(demo_db, public=True)) as url:
        yield url, demo_db


def get(url, path, **params):
    return requests.get(url + path, params=params, timeout=30)


RANGE = {"since": "2025-01-01", "until": "2025-12-31", "tz": "Europe/Berlin", "kind": "music", "min_seconds": 30}


@pytest.mark.parametrize("level", ["track", "album", "artist"])
def test_top_is_the_named_query(plays_api, level):
    base, db = plays_api
    r = get(base, f"/api/top/{level}", **RANGE, limit=20)
    assert r.status_code == 200, r.text
    body = r.json()
    direct = queries.run("plays_top", {**RANGE, "level": level, "order_by": "plays", "limit": 20}, url=db).df
    assert [row["name"] for row in body["items"]] == direct["name"].tolist()
    assert [row["plays"] for row in body["items"]] == direct["plays"].tolist()
    assert body["level"] == level and body["tz"] == "Europe/Berlin"


def test_top_of_most_of_the_history_is_the_named_query_read_either_way(plays_api):
    """A range of most of the data (read as all time less the rest: db.zones.reads_outside) lists
    what plays_top lists when it reads the range's own rows."""
    base, db = plays_api
    span = pg_rows(db, "select (min(ended_at) at time zone 'Europe/Berlin')::date + 40, "
                       "(max(ended_at) at time zone 'Europe/Berlin')::date - 40 from plays")[0]
    params = {**RANGE, "since": span[0].isoformat(), "until": span[1].isoformat()}
    body = get(base, "/api/top/artist", **params, limit=50).json()
    direct = queries.run("plays_top", {**params, "level": "artist", "order_by": "plays", "limit": 50,
                                       "outside": False}, url=db).df
    assert len(direct) > 5
    assert [(row["name"], row["plays"]) for row in body["items"]] == list(zip(direct["name"], direct["plays"]))


def test_pages_join_up_to_the_whole_list(plays_api):
    base, _ = plays_api
    span = {**RANGE, "since": "2010-01-01", "until": "2026-12-31"}
    whole = get(base, "/api/top/track", **span, limit=30).json()["items"]
    assert len(whole) == 30
    first = get(base, "/api/top/track", **span, limit=12).json()
    second = get(base, "/api/top/track", **span, limit=12, offset=12).json()
    assert first["next_offset"] == 12 and second["next_offset"] == 24
    assert first["items"] + second["items"] == whole[:24]
    last = get(base, "/api/top/artist", **span, limit=500, offset=0).json()
    assert last["next_offset"] is None


def test_timeline_counts_every_play_of_the_range(plays_api):
    base, db = plays_api
    body = get(base, "/api/plays/timeline", **{**RANGE, "min_seconds": 0, "kind": "all"}, grain="month",
               limit=500).json()
    stored = pg_rows(db, "select count(*) from plays where ended_at >= timestamp '2025-01-01' at time zone "
                         "'Europe/Berlin' and ended_at < timestamp '2026-01-01' at time zone 'Europe/Berlin'")[0][0]
    assert sum(row["plays"] for row in body["items"]) == stored > 0
    assert len(body["items"]) <= 12


def test_search_finds_played_items(plays_api):
    base, _ = plays_api
    body = get(base, "/api/search", q="edge case", limit=5).json()
    assert body["plays"] and any("Edge Case Quartet" in (row.get("artist") or "") for row in body["plays"])
    assert get(base, "/api/search", q="---").json() == {"query": "---", "tracks": [], "plays": []}


def test_track_rank_history_and_import_runs(library_api):
    base, db = library_api
    track = queries.run("track_rank_history", {"track_id": "7HciLg0KWdfMXCYIkwCg6b"}, url=db).df
    body = get(base, "/api/tracks/7HciLg0KWdfMXCYIkwCg6b").json()
    assert len(body["ranks"]) == len(track) > 0
    runs = get(base, "/api/import-runs").json()
    assert runs["items"] and runs["items"][0]["status"] == "done"


def test_etag_answers_304_until_the_data_changes(plays_api):
    base, _ = plays_api
    first = get(base, "/api/top/artist", **RANGE)
    tag = first.headers["ETag"]
    again = requests.get(base + "/api/top/artist", params=RANGE, headers={"If-None-Match": tag}, timeout=30)
    assert again.status_code == 304
    other = requests.get(base + "/api/top/track", params=RANGE, headers={"If-None-Match": tag}, timeout=30)
    assert other.status_code == 200


@pytest.mark.parametrize("path, params, message", [
    ("/api/top/artist", {"tz": "Mars/Olympus"}, "unknown time zone"),
    ("/api/top/artist", {"since": "2025-13-01"}, "since must be a date"),
    ("/api/top/artist", {"since": "2025-02-01", "until": "2025-01-01"}, "since must not be after until"),
    ("/api/top/artist", {"limit": "100000"}, "limit must be between 1 and 500"),
    ("/api/top/artist", {"limit": "ten"}, "limit must be an integer"),
    ("/api/top/artist", {"kind": "video"}, "kind must be one of"),
    ("/api/top/artist", {"min_seconds": "45"}, "min_seconds must be one of"),
    ("/api/top/song", {}, "level must be one of"),
    ("/api/top/artist", {"order": "plays"}, "unknown parameter 'order'"),
    ("/api/search", {}, "q is required"),
    ("/api/plays/timeline", {"grain": "hour"}, "grain must be one of"),
])
def test_bad_parameters_are_400(plays_api, path, params, message):
    base, _ = plays_api
    r = get(base, path, **params)
    assert r.status_code == 400
    assert r.json()["code"] == 400 and message in r.json()["error"]


def test_reads_need_a_token_unless_public(db_url):
    token = new_token(db_url)
    with serve(_routes(db_url, public=False)) as base:
        assert get(base, "/api/import-runs").status_code == 401
        bad = requests.get(base + "/api/import-runs", headers={"Authorization": "Token nope"}, timeout=10)
        assert (bad.status_code, bad.json()["error"]) == (401, "Invalid authorization token.")
        ok = requests.get(base + "/api/import-runs", headers={"Authorization": f"Token {token}"}, timeout=10)
        assert ok.status_code == 200 and ok.json()["items"] == []
        assert get(base, "/api/openapi.json").status_code == 200     # the description is public


def test_openapi_describes_every_endpoint_and_parameter(plays_api):
    base, _ = plays_api
    doc = get(base, "/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for ep in ENDPOINTS:
        op = doc["paths"]["/api" + ep.path]["get"]
        assert [p["name"] for p in op["parameters"]] == [p.name for p in ep.params]
        for name in ep.queries:
            assert name in queries.all_queries()
    assert "/1/submit-listens" in doc["paths"]
