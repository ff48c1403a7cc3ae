"""Guards in front of Streamlit's own endpoints (wired up in app.py).

- `ClientAddressMiddleware`: the client's address for everything behind it (Streamlit's websocket, hence
  `st.context.ip_address`). The proxy headers X-Real-IP / X-Forwarded-For are honoured only when the
  connection comes from an address listed in MTM_TRUSTED_PROXIES (comma-separated addresses or networks,
  or `*` where only a proxy can reach the port, as on Railway). Uvicorn's own header handling is switched
  off by scripts/serve.sh (FORWARDED_ALLOW_IPS=""), so this is the one place that decides.
- `UploadGuardMiddleware`: Streamlit's upload endpoint (`/_stcore/upload_file/<session>/<file>`) accepts
  a body only for a browser session that has unlocked the Admin page (the page registers its session id
  in `ADMIN_SESSIONS`, entries expire), with a Content-Length no larger than the upload limit; anything
  else is answered 403 / 411 / 413 before a byte of the body is read. A body that grows past its limit
  while streaming is cut off with 413.

Neither imports Streamlit: they are plain ASGI and testable on their own.
"""
from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("mtm.guard")

UPLOAD_MARKER = "/_stcore/upload_file/"
ADMIN_SESSION_TTL_S = 2 * 3600
MAX_ADMIN_SESSIONS = 1_000
# Multipart framing around the file (boundaries, part headers); Streamlit allows the same kind of margin.
MULTIPART_OVERHEAD_BYTES = 1024 * 1024


def upload_limit_bytes() -> int:
    """The largest upload body accepted: MTM_MAX_UPLOAD_MB (as the Admin page reads it) plus framing."""
    from db import settings

    try:
        mb = settings.get("MTM_MAX_UPLOAD_MB")
    except settings.BadSetting:
        mb = settings.SETTINGS["MTM_MAX_UPLOAD_MB"].default
    return mb * 1024 * 1024 + MULTIPART_OVERHEAD_BYTES


class AdminSessions:
    """Process-wide set of Streamlit session ids that unlocked the Admin page, each with an expiry.

    Thread-safe (script runs are threads, the middleware runs on the event loop); bounded in size: when
    full, expired entries go first, then the oldest.
    """

    def __init__(self, ttl_s: float = ADMIN_SESSION_TTL_S, max_entries: int = MAX_ADMIN_SESSIONS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def grant(self, session_id: str) -> None:
        now = self.clock()
        with self._lock:
            self._until.pop(session_id, None)
            if len(self._until) >= self.max_entries:
                for sid in [s for s, t in self._until.items() if t <= now]:
                    del self._until[sid]
                while len(self._until) >= self.max_entries:
                    del self._until[next(iter(self._until))]   # insertion order: the oldest grant
            self._until[session_id] = now + self.ttl_s

    def revoke(self, session_id: str) -> None:
        with self._lock:
            self._until.pop(session_id, None)

    def allows(self, session_id: str) -> bool:
        now = self.clock()
        with self._lock:
            until = self._until.get(session_id)
            if until is None:
                return False
            if until <= now:
                del self._until[session_id]
                return False
            return True

    def clear(self) -> None:
        with self._lock:
            self._until.clear()


ADMIN_SESSIONS = AdminSessions()


# ---------------------------------------------------------------------------------------------
# Client address


def _network(text: str):
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def trusted_proxies(value: str | None = None) -> list | str:
    """MTM_TRUSTED_PROXIES parsed: '*' (every peer is the proxy) or a list of networks (empty: none)."""
    from db import settings

    value = (settings.get("MTM_TRUSTED_PROXIES") or "") if value is None else value
    if value.strip() == "*":
        return "*"
    return [n for n in (_network(part) for part in value.split(",") if part.strip()) if n is not None]


def _is_trusted(host: str | None, trusted) -> bool:
    if trusted == "*":
        return True
    try:
        ip = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def _ip(text: str) -> str | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:           # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:                          # v4:port
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_address(peer: str | None, headers: dict[str, str], trusted) -> str | None:
    """The client's address: the peer's own, unless the peer is a trusted proxy; then X-Real-IP, else the
    right-most address of X-Forwarded-For that is not itself a trusted proxy (proxies append, so what a
    client writes into the header stays on the left)."""
    if not peer or not _is_trusted(peer, trusted):
        return peer
    real = _ip(headers.get("x-real-ip", ""))
    if real:
        return real
    forwarded = [_ip(part) for part in headers.get("x-forwarded-for", "").split(",")]
    for address in reversed(forwarded):
        if address is None:
            return peer                 # garbage in the chain: do not guess past it
        if trusted == "*" or not _is_trusted(address, trusted):
            return address
    return peer


def _headers(scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers") or ():
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


class ClientAddressMiddleware:
    """Rewrites scope['client'] to the client's address as `client_address` decides (http and websocket)."""

    def __init__(self, app, trusted=None) -> None:
        self.app = app
        self.trusted = trusted_proxies() if trusted is None else trusted

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted:
            client = scope.get("client")
            peer = client[0] if client else None
            headers = _headers(scope)
            address = client_address(peer, headers, self.trusted)
            if address != peer:
                scope = dict(scope, client=(address, 0))
            proto = headers.get("x-forwarded-proto", "").strip().lower()
            if address != peer and proto in ("http", "https"):
                scope["scheme"] = proto.replace("http", "ws") if scope["type"] == "websocket" else proto
        await self.app(scope, receive, send)


# ---------------------------------------------------------------------------------------------
# Uploads


class _BodyTooLarge(Exception):
    pass


def upload_session_id(path: str) -> str | None:
    """The session id of an upload URL (`.../_stcore/upload_file/<session>/<file>`), else None."""
    _, marker, rest = path.partition(UPLOAD_MARKER)
    if not marker:
        return None
    return rest.split("/", 1)[0]


async def _answer(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class UploadGuardMiddleware:
    """Only sessions in `sessions` (the unlocked Admin page) may send a body to Streamlit's upload endpoint.

    Refused before the body is read: an unknown session (403), no Content-Length (411: browsers always send
    one for a file upload; chunked bodies are refused), a Content-Length over the limit (413). While the
    body streams in, more bytes than declared or than the limit end the request with 413.
    """

    def __init__(self, app, sessions: AdminSessions | None = None, limit: int | None = None) -> None:
        self.app = app
        self.sessions = ADMIN_SESSIONS if sessions is None else sessions
        self.limit = upload_limit_bytes() if limit is None else limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") == "OPTIONS":
            await self.app(scope, receive, send)
            return
        session_id = upload_session_id(scope.get("path", ""))
        if session_id is None:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?",))[0]
        if not session_id or not self.sessions.allows(session_id):
            log.warning("Upload refused (403): session has not unlocked the Admin page (client %s)", client)
            await _answer(send, 403, "Uploads are accepted only on the unlocked Admin page.")
            return
        if scope.get("method") != "PUT":
            await self.app(scope, receive, send)       # DELETE of an own file: no body to guard
            return
        length = _headers(scope).get("content-length", "")
        if not length.strip().isdigit():
            await _answer(send, 411, "An upload needs a Content-Length.")
            return
        declared = int(length)
        if declared > self.limit:
            log.warning("Upload refused (413): %d bytes declared, limit %d (client %s)", declared, self.limit, client)
            await _answer(send, 413, "The file is larger than the upload limit.")
            return
        cap = min(declared, self.limit)
        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise _BodyTooLarge
            return message

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _BodyTooLarge:
            log.warning("Upload cut off (413): body grew past %d bytes (client %s)", cap, client)
            if not started:
                await _answer(send, 413, "The file is larger than the upload limit.")
