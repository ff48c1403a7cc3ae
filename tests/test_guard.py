"""server.guard in isolation: the upload guard and the client address, as plain ASGI (no server)."""
from __future__ import annotations

import asyncio

import pytest

from server import guard

SESSION = "0b6c1b5e-7a0e-4d8e-9c55-1f1f1f1f1f1f"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run_upload(sessions, *, method="PUT", path=f"/_stcore/upload_file/{SESSION}/f1", headers=None, chunks=(b"x",),
               limit=100):
    """Drive UploadGuardMiddleware around an app that reads the whole body; return (status, bytes the app read)."""
    read = []
    pending = list(chunks)

    async def receive():
        if pending:
            body = pending.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(pending)}
        return {"type": "http.disconnect"}

    async def inner(scope, receive, send):
        while True:
            message = await receive()
            read.append(len(message.get("body", b"")))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent = []

    async def send(message):
        sent.append(message)

    if headers is None:
        headers = {"content-length": str(sum(len(c) for c in chunks))}
    scope = {"type": "http", "method": method, "path": path, "client": ("203.0.113.5", 4000),
             "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(guard.UploadGuardMiddleware(inner, sessions=sessions, limit=limit)(scope, receive, send))
    return sent[0]["status"], sum(read)


def test_upload_from_a_session_that_never_unlocked_admin_is_refused_before_the_body():
    status, read = run_upload(guard.AdminSessions(), chunks=(b"x" * 50,))
    assert (status, read) == (403, 0)


def test_upload_from_an_unlocked_admin_session_reaches_streamlit():
    sessions = guard.AdminSessions()
    sessions.grant(SESSION)
    assert run_upload(sessions, chunks=(b"x" * 50, b"y" * 50)) == (204, 100)


def test_admin_sessions_expire_and_can_be_revoked():
    clock = Clock()
    sessions = guard.AdminSessions(ttl_s=60, clock=clock)
    sessions.grant("a")
    sessions.grant("b")
    clock.now = 30
    assert sessions.allows("a")
    sessions.revoke("a")
    assert not sessions.allows("a")
    clock.now = 61
    assert not sessions.allows("b")


def test_admin_session_registry_is_bounded():
    sessions = guard.AdminSessions(max_entries=10)
    for i in range(100):
        sessions.grant(str(i))
    assert len(sessions._until) == 10 and sessions.allows("99") and not sessions.allows("0")


@pytest.mark.parametrize("headers,status", [
    ({}, 411),
    ({"content-length": "abc"}, 411),
    ({"content-length": "101"}, 413),
    ({"content-length": str(10**12)}, 413),
    ({"transfer-encoding": "chunked"}, 411),
], ids=["none", "garbage", "one-over", "huge", "chunked"])
def test_upload_without_an_acceptable_length_is_refused_before_the_body(headers, status):
    sessions = guard.AdminSessions()
    sessions.grant(SESSION)
    assert run_upload(sessions, headers=headers, chunks=(b"x" * 10,)) == (status, 0)


def test_body_longer_than_declared_is_cut_off_while_streaming():
    sessions = guard.AdminSessions()
    sessions.grant(SESSION)
    status, read = run_upload(sessions, headers={"content-length": "20"}, chunks=(b"x" * 20, b"y" * 20, b"z" * 20))
    assert status == 413 and read <= 20


@pytest.mark.parametrize("path", ["/", "/_stcore/health", "/admin", "/_stcore/stream", "/upload_file/x/y"])
def test_other_paths_pass_untouched(path):
    assert run_upload(guard.AdminSessions(), path=path, chunks=(b"x" * 500,)) == (204, 500)


def test_upload_under_a_base_url_path_is_guarded_too():
    assert run_upload(guard.AdminSessions(), path=f"/mtm/_stcore/upload_file/{SESSION}/f")[0] == 403


def test_delete_of_an_unknown_session_is_refused_and_options_passes():
    assert run_upload(guard.AdminSessions(), method="DELETE")[0] == 403
    assert run_upload(guard.AdminSessions(), method="OPTIONS")[0] == 204


def test_upload_limit_follows_mtm_max_upload_mb(monkeypatch):
    monkeypatch.setenv("MTM_MAX_UPLOAD_MB", "3")
    assert guard.upload_limit_bytes() == 3 * 1024 * 1024 + guard.MULTIPART_OVERHEAD_BYTES


# --- client address ---------------------------------------------------------------------------


@pytest.mark.parametrize("peer,headers,trusted,expected", [
    ("203.0.113.5", {"x-real-ip": "198.51.100.1"}, "", "203.0.113.5"),            # no proxy trusted
    ("203.0.113.5", {"x-forwarded-for": "198.51.100.1"}, "10.0.0.0/8", "203.0.113.5"),  # peer not the proxy
    ("10.1.2.3", {"x-real-ip": "198.51.100.1"}, "10.0.0.0/8", "198.51.100.1"),
    ("10.1.2.3", {"x-forwarded-for": "6.6.6.6, 198.51.100.1"}, "10.0.0.0/8", "198.51.100.1"),  # right-most
    ("10.1.2.3", {"x-forwarded-for": "198.51.100.1, 10.9.9.9"}, "10.0.0.0/8", "198.51.100.1"),  # skip proxies
    ("10.1.2.3", {"x-forwarded-for": "6.6.6.6, 198.51.100.1"}, "*", "198.51.100.1"),
    ("10.1.2.3", {"x-real-ip": "not an address"}, "*", "10.1.2.3"),
    ("10.1.2.3", {"x-forwarded-for": "198.51.100.1, garbage"}, "*", "10.1.2.3"),
    ("10.1.2.3", {}, "*", "10.1.2.3"),
    ("fd12::1", {"x-real-ip": "2001:db8::7"}, "fd12::/16", "2001:db8::7"),
    ("10.1.2.3", {"x-forwarded-for": "198.51.100.1:5555"}, "*", "198.51.100.1"),
])
def test_client_address_honours_proxy_headers_only_from_trusted_proxies(peer, headers, trusted, expected):
    assert guard.client_address(peer, headers, guard.trusted_proxies(trusted)) == expected


def test_trusted_proxies_setting():
    assert guard.trusted_proxies("") == [] and guard.trusted_proxies(" * ") == "*"
    nets = guard.trusted_proxies("10.0.0.0/8, 127.0.0.1, nonsense")
    assert [str(n) for n in nets] == ["10.0.0.0/8", "127.0.0.1/32"]


def test_client_address_middleware_rewrites_http_and_websocket_scopes():
    seen = []

    async def inner(scope, receive, send):
        seen.append((scope["type"], scope["client"], scope.get("scheme")))

    middleware = guard.ClientAddressMiddleware(inner, trusted=guard.trusted_proxies("*"))
    for kind in ("http", "websocket"):
        scope = {"type": kind, "client": ("10.0.0.2", 1), "scheme": "http" if kind == "http" else "ws",
                 "headers": [(b"x-real-ip", b"198.51.100.1"), (b"x-forwarded-proto", b"https")]}
        asyncio.run(middleware(scope, None, None))
    assert seen == [("http", ("198.51.100.1", 0), "https"), ("websocket", ("198.51.100.1", 0), "wss")]
