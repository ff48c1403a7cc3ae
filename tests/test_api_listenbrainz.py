"""The ListenBrainz-compatible API (api/) through a real server on a real PostgreSQL: liblistenbrainz
for what clients do, raw HTTP for what they should not."""
from __future__ import annotations

import json
import socket
import time

import psycopg2
import pytest
import requests
from starlette.routing import Mount

from api.listenbrainz import ListenBrainzAPI
from api.ratelimit import RateLimiter
from tests.api_server import listen, new_token, serve
from tests.conftest import pg_rows

NOW = int(time.time())
T0 = NOW - 86_400 * 3          # listens three days ago: a few hours, well inside the accepted range


def _routes(url, limit=100_000):
    return [Mount("/1", routes=ListenBrainzAPI(url, limiter=RateLimiter(limit, 10),
                                               anonymous=RateLimiter(limit, 10)).routes())]


@pytest.fixture(scope="module")
def base(session_db):
    with serve(_routes(session_db)) as url:
        yield url


@pytest.fixture
def token(db_url):
    return new_token(db_url)


def post(base, body, token=None, raw=False, headers=None):
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Token {token}"
    data = body if raw else json.dumps(body)
    return requests.post(f"{base}/1/submit-listens", data=data, headers=h, timeout=30)


def plays(url, where="true"):
    return pg_rows(url, f"select count(*) from plays where {where}")[0][0]


def rolled(url):
    return pg_rows(url, "select coalesce(sum(plays), 0), (select coalesce(sum(plays), 0) from plays_z_hourly) "
                        "from plays_hourly")[0]


# ---------------------------------------------------------------------------------------------
# A client as it is: liblistenbrainz


def test_liblistenbrainz_submits_single_import_and_playing_now(base, db_url, token):
    import liblistenbrainz as lib

    client = lib.ListenBrainz(api_base_url=base)
    client.set_auth_token(token)            # checks the token through /1/validate-token
    single = lib.Listen(track_name="Teardrop", artist_name="Massive Attack", release_name="Mezzanine",
                        listened_at=T0, spotify_id="https://open.spotify.com/track/67Hna13dNDkZvBpTXRIaOJ",
                        additional_info={"duration_ms": 330_000, "submission_client": "liblistenbrainz"})
    assert client.submit_single_listen(single) == {"status": "ok"}
    batch = [lib.Listen(track_name=f"Track {i}", artist_name="Band", listened_at=T0 + 600 + 240 * i)
             for i in range(5)]
    assert client.submit_multiple_listens(batch) == {"status": "ok"}
    now = lib.Listen(track_name="Angel", artist_name="Massive Attack", additional_info={"duration": 379})
    assert client.submit_playing_now(now) == {"status": "ok"}

    assert plays(db_url, "source = 'listenbrainz'") == 6
    row = pg_rows(db_url, "select ended_at - make_interval(secs => %s) = to_timestamp(%s), ms_played, kind, "
                          "track_id, uri, artist, track, album, platform, raw_json from plays where track = 'Teardrop'",
                  (330, T0))[0]
    assert row[:9] == (True, 330_000, "music", "67Hna13dNDkZvBpTXRIaOJ", "spotify:track:67Hna13dNDkZvBpTXRIaOJ",
                       "Massive Attack", "Teardrop", "Mezzanine", "liblistenbrainz")
    assert row[9] == single._to_submit_payload()          # raw_json: the listen as submitted
    assert pg_rows(db_url, "select ms_played from plays where track = 'Track 0'")[0][0] == 180_000
    assert rolled(db_url) == (6, 6)                      # the rollups hold them, in the same transaction
    assert pg_rows(db_url, "select count(*) from data_changes where source = 'listen'")[0][0] == 2

    import api
    shown = api.playing_now(db_url)
    assert [(r["token"], r["artist"], r["track"]) for r in shown] == [("test", "Massive Attack", "Angel")]
    assert plays(db_url, "track = 'Angel'") == 0          # playing_now is not a play


def test_liblistenbrainz_reads_back_listens_and_playing_now(base, db_url, token):
    """Clients such as multi-scrobbler read recent listens back (duplicate detection) and what is
    playing: GET /1/user/<name>/listens and /playing-now, named by the token's name."""
    import liblistenbrainz as lib

    client = lib.ListenBrainz(api_base_url=base)
    client.set_auth_token(token)
    sent = [lib.Listen(track_name=f"Track {i}", artist_name="Band", listened_at=T0 + 300 * i,
                       additional_info={"duration_ms": 200_000}) for i in range(30)]
    client.submit_multiple_listens(sent)
    newest = client.get_listens("test")
    assert [x.track_name for x in newest] == [f"Track {i}" for i in range(29, 4, -1)]    # 25, newest first
    assert newest[0].listened_at == T0 + 300 * 29
    window = client.get_listens("test", min_ts=T0 + 300 * 10, max_ts=T0 + 300 * 14, count=10)
    assert [x.listened_at for x in window] == [T0 + 300 * i for i in (13, 12, 11)]
    assert client.get_playing_now("test") is None
    client.submit_playing_now(lib.Listen(track_name="Angel", artist_name="Massive Attack"))
    now = client.get_playing_now("test")
    assert (now.artist_name, now.track_name) == ("Massive Attack", "Angel")
    r = requests.get(f"{base}/1/user/someone-else/listens", headers={"Authorization": f"Token {token}"}, timeout=10)
    assert (r.status_code, r.json()) == (404, {"code": 404, "error": "Cannot find user: someone-else"})
    r = requests.get(f"{base}/1/user/test/listens", timeout=10)
    assert r.status_code == 401


def test_liblistenbrainz_refuses_an_invalid_token(base, db_url, token):
    import liblistenbrainz as lib

    with pytest.raises(lib.errors.InvalidAuthTokenException):
        lib.ListenBrainz(api_base_url=base).set_auth_token("not-" + token)


def test_validate_token_answers_as_listenbrainz(base, db_url, token):
    ok = requests.get(f"{base}/1/validate-token", headers={"Authorization": f"Token {token}"}, timeout=10)
    assert ok.status_code == 200
    assert ok.json() == {"code": 200, "message": "Token valid.", "valid": True, "user_name": "test"}
    for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset-In", "X-RateLimit-Reset"):
        assert ok.headers[h].isdigit()
    by_query = requests.get(f"{base}/1/validate-token", params={"token": token}, timeout=10)
    assert by_query.json()["valid"] is True
    bad = requests.get(f"{base}/1/validate-token", headers={"Authorization": "Token nope"}, timeout=10)
    assert (bad.status_code, bad.json()) == (200, {"code": 200, "message": "Token invalid.", "valid": False})
    none = requests.get(f"{base}/1/validate-token", timeout=10)
    assert (none.status_code, none.json()) == (400, {"code": 400, "error": "You need to provide an Authorization token."})


def test_revoked_token_is_refused(base, db_url, token):
    from api import tokens

    conn = psycopg2.connect(db_url)
    tokens.revoke(conn, "test")
    conn.close()
    r = post(base, {"listen_type": "single", "payload": [listen(T0)]}, token)
    assert (r.status_code, r.json()) == (401, {"code": 401, "error": "Invalid authorization token."})


# ---------------------------------------------------------------------------------------------
# Idempotence


def test_retried_batch_adds_nothing(base, db_url, token):
    batch = {"listen_type": "import", "payload": [listen(T0 + 200 * i, f"T{i}", duration_ms=200_000)
                                                  for i in range(50)]}
    for _ in range(3):
        assert post(base, batch, token).status_code == 200
    # The same listens again without their length (another client, another ended_at): still the same.
    again = {"listen_type": "import", "payload": [listen(T0 + 200 * i, f"t{i}") for i in range(50)]}
    assert post(base, again, token).status_code == 200
    assert plays(db_url) == 50
    assert rolled(db_url) == (50, 50)
    assert pg_rows(db_url, "select count(*) from listens")[0][0] == 50


def test_the_same_listen_twice_in_one_batch_is_one_play(base, db_url, token):
    r = post(base, {"listen_type": "import", "payload": [listen(T0), listen(T0), listen(T0, "Other")]}, token)
    assert r.status_code == 200
    assert plays(db_url) == 2


# ---------------------------------------------------------------------------------------------
# Refused: ListenBrainz's codes and messages, and nothing written

BIG = "x" * 11_000


@pytest.mark.parametrize("body, message", [
    (b"{not json", "Cannot parse JSON document"),
    (b"[1, 2]", "Invalid JSON document submitted. Top level of JSON document should be a json object."),
    (b'{"listen_type": "single"}', "Invalid JSON document submitted."),
    (b'{"listen_type": "single", "payload": {}}', "The payload in the JSON document should be a list of listens."),
    (b'{"listen_type": "single", "payload": []}', "JSON document does not contain any listens"),
    ({"listen_type": "import", "payload": [listen(T0 + i) for i in range(1001)]},
     "Too many listens. You may not submit more than 1000 listens at once."),
    ({"listen_type": "import", "payload": [listen(T0, BIG)]}, "JSON document is too large."),
    ({"listen_type": "import", "payload": [listen(T0), listen(T0 + 1), listen(T0 + 2, "x" * 12_000)]},
     "Each listens may not be larger than 10240 bytes"),
    ({"listen_type": "scrobble", "payload": [listen(T0)]}, "JSON document requires a valid listen_type key."),
    ({"listen_type": "single", "payload": [listen(T0), listen(T0 + 1)]},
     "JSON document contains more than listen for a single/playing_now. It should contain only one."),
    ({"listen_type": "single", "payload": [None]}, "Listen is empty and cannot be validated."),
    ({"listen_type": "single", "payload": [{"track_metadata": {"artist_name": "a", "track_name": "b"}}]},
     "JSON document must contain the key listened_at at the top level."),
    ({"listen_type": "single", "payload": [listen("yesterday")]}, "JSON document must contain an int value for listened_at."),
    ({"listen_type": "single", "payload": [listen(1000)]}, "Value for key listened_at is too low."),
    ({"listen_type": "single", "payload": [listen(NOW + 7200)]}, "Value for key listened_at is too high."),
    ({"listen_type": "single", "payload": [{"listened_at": T0}]},
     "JSON document must contain the key track_metadata at the top level."),
    ({"listen_type": "single", "payload": [{**listen(T0), "extra": 1}]},
     "JSON document may only contain listened_at and track_metadata top level keys"),
    ({"listen_type": "single", "payload": [{"listened_at": T0, "track_metadata": None}]},
     "JSON document may not have track_metadata with null value."),
    ({"listen_type": "single", "payload": [{"listened_at": T0, "track_metadata": "song"}]},
     "track_metadata must be a JSON object."),
    ({"listen_type": "single", "payload": [listen(T0, track=5)]}, "track_metadata.track_name must be a single string."),
    ({"listen_type": "single", "payload": [listen(T0, track="  ")]}, "field track_metadata.track_name is empty."),
    ({"listen_type": "single", "payload": [{"listened_at": T0, "track_metadata": {"track_name": "a"}}]},
     "JSON document does not contain required field track_metadata.artist_name."),
    ({"listen_type": "single", "payload": [listen(T0, duration_ms=-1)]},
     "Value for duration_ms is invalid, should be a positive integer."),
    ({"listen_type": "single", "payload": [listen(T0, duration_ms="long")]},
     "Value for duration_ms is invalid, should be a positive integer."),
    ({"listen_type": "single", "payload": [listen(T0, duration=10**9)]}, "Value for duration is too large"),
    ({"listen_type": "single", "payload": [listen(T0, duration=1, duration_ms=1000)]},
     "JSON document should not contain both duration and duration_ms."),
    ({"listen_type": "single", "payload": [listen(T0, tags={"a": 1})]}, "tags must be a list of strings."),
    ({"listen_type": "single", "payload": [listen(T0, tags=["t"] * 51)]}, "may not contain more than 50 items"),
    ({"listen_type": "single", "payload": [listen(T0, recording_mbid="not-a-uuid")]}, "recording_mbid MBID format invalid."),
    ({"listen_type": "single", "payload": [{"listened_at": T0, "track_metadata": {
        "artist_name": "a", "track_name": "b", "additional_info": [1]}}]}, "additional_info must be a JSON object."),
    ({"listen_type": "single", "payload": [listen(T0, "nul\u0000byte")]}, "contains a unicode null"),
    ({"listen_type": "playing_now", "payload": [listen(T0)]},
     "JSON document must not contain listened_at while submitting playing_now."),
    (b"[" * 200_000 + b"]" * 200_000, "Cannot parse JSON document"),
    (b'{"listen_type": "import", "payload": [' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"]}",
     "Cannot parse JSON document"),
])
def test_bad_submissions_get_listenbrainz_400_and_write_nothing(base, db_url, token, body, message):
    r = post(base, body, token, raw=isinstance(body, bytes))
    assert r.status_code == 400, r.text
    answer = r.json()
    assert answer["code"] == 400 and message in answer["error"]
    assert plays(db_url) == 0 and pg_rows(db_url, "select count(*) from listens")[0][0] == 0


def test_one_bad_listen_refuses_the_whole_batch_and_names_it(base, db_url, token):
    batch = [listen(T0 + i, f"T{i}") for i in range(10)]
    batch[7] = listen(T0 + 7, "T7", duration_ms=0)
    r = post(base, {"listen_type": "import", "payload": batch}, token)
    assert r.status_code == 400
    assert r.json() == {"code": 400, "error": "Value for duration_ms is invalid, should be a positive integer.",
                        **batch[7]}
    assert plays(db_url) == 0


@pytest.mark.parametrize("headers, message", [
    ({}, "You need to provide an Authorization header."),
    ({"Authorization": "Token wrong"}, "Invalid authorization token."),
    ({"Authorization": "Token"}, "Provided Authorization header is invalid."),
])
def test_submit_without_a_valid_token_is_401(base, db_url, token, headers, message):
    r = post(base, {"listen_type": "single", "payload": [listen(T0)]}, headers=headers)
    assert (r.status_code, r.json()) == (401, {"code": 401, "error": message})
    assert plays(db_url) == 0


def _headers_only(base: str, head: bytes) -> str:
    """Send a request's head and no body; return the whole answer (head and body)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(head)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += s.recv(4096)
        top, _, body = answer.partition(b"\r\n\r\n")
        length = int(top.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += s.recv(4096)
    return (top + b"\r\n\r\n" + body).decode()


def test_bad_token_is_refused_before_the_body_is_sent(base, db_url):
    """A client announcing 5 MB with a wrong token gets its 401 without sending a byte of the body."""
    answer = _headers_only(base, b"POST /1/submit-listens HTTP/1.1\r\nHost: x\r\nAuthorization: Token wrong\r\n"
                                 b"Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n")
    assert answer.startswith("HTTP/1.1 401")
    assert '"Invalid authorization token."' in answer


def test_declared_oversized_body_is_refused_unread(base, db_url, token):
    answer = _headers_only(base, b"POST /1/submit-listens HTTP/1.1\r\nHost: x\r\nAuthorization: Token "
                           + token.encode() + b"\r\nContent-Length: 10240001\r\n\r\n")
    assert answer.startswith("HTTP/1.1 400")
    assert "Payload too large. Payload cannot exceed 10240000 bytes" in answer


def test_rate_limit_headers_and_429(db_url, token):
    with serve(_routes(db_url, limit=3)) as url:
        answers = [requests.get(f"{url}/1/validate-token", headers={"Authorization": f"Token {token}"}, timeout=10)
                   for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[3].json() == {"code": 429, "error": "Too many requests. Please wait and try again."}
    assert all(a.headers["X-RateLimit-Limit"] == "3" for a in answers)
    assert 1 <= int(answers[3].headers["X-RateLimit-Reset-In"]) <= 10


# ---------------------------------------------------------------------------------------------
# Hostile payloads: whatever arrives, a 200 or ListenBrainz's 400, never a server error


def test_any_payload_gets_200_or_400(base, db_url, token):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20)
    info = st.dictionaries(st.sampled_from(["duration", "duration_ms", "tags", "spotify_id", "recording_mbid",
                                            "artist_mbids", "media_player", "submission_client"]), values, max_size=4)
    meta = st.fixed_dictionaries({"artist_name": values | st.text(max_size=30),
                                  "track_name": values | st.text(max_size=30)},
                                 optional={"release_name": values, "additional_info": info | values})
    one = st.fixed_dictionaries({"listened_at": st.integers(T0 - 10**6, NOW) | values, "track_metadata": meta | values})
    document = st.fixed_dictionaries({"listen_type": st.sampled_from(["single", "import", "playing_now"]) | values,
                                      "payload": st.lists(one | values, max_size=3) | values}) | values

    accepted = []

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(document)
    def check(doc):
        r = post(base, doc, token)
        assert r.status_code in (200, 400), (r.status_code, r.text)
        body = r.json()
        if r.status_code == 400:
            assert body["code"] == 400 and isinstance(body["error"], str)
        else:
            accepted.append(doc)

    check()
    total, _ = rolled(db_url)
    assert total == plays(db_url)             # whatever was stored, the rollups agree


def test_a_drain_that_keeps_failing_backs_off_and_logs_one_traceback(monkeypatch, caplog):
    """The background drain of deferred listens, while its database is away: it retries less and
    less often (up to DRAIN_BACKOFF_MAX_S), logs the outage's first failure with its traceback and
    each later one as a line, says when it works again, and stops once nothing is pending. No
    database: the drain's own database call is replaced."""
    import logging
    import threading
    import types

    from api import listenbrainz

    monkeypatch.setattr(listenbrainz, "DRAIN_EVERY_S", 0.001)
    monkeypatch.setattr(listenbrainz, "DRAIN_BACKOFF_MAX_S", 0.004)
    api = ListenBrainzAPI(url="postgresql://nowhere/none")
    calls, done = [], threading.Event()

    def db(fn, *args):
        calls.append(fn)
        if len(calls) <= 6:
            raise OSError("the database is away")
        done.set()
        return 0                                     # nothing pending: the thread ends

    monkeypatch.setattr(api, "_db", db)
    pauses = []
    monkeypatch.setattr(listenbrainz, "time", types.SimpleNamespace(sleep=pauses.append))   # this module's only
    with caplog.at_level(logging.INFO, logger="api.listenbrainz"):
        api.schedule_drain()
        assert done.wait(10)
        for _ in range(100):
            if not api._draining:
                break
            threading.Event().wait(0.01)
    records = [r for r in caplog.records if r.name == "api.listenbrainz"]
    assert [r.levelname for r in records] == ["ERROR"] + ["WARNING"] * 5 + ["INFO"]
    assert records[0].exc_info and not any(r.exc_info for r in records[1:])
    assert "6 failures" in records[-1].getMessage() and not api._draining
    assert pauses == [0.001, 0.002, 0.004, 0.004, 0.004, 0.004, 0.004]     # doubled up to the cap, then as before
