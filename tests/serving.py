"""Test helpers for a real server: start `scripts/serve.sh` on a free loopback port, open a Streamlit
session over its websocket the way a browser does, and send raw HTTP (uploads) to it.

Everything targets 127.0.0.1 only and stops by itself.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

from tests.helpers import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, proc: subprocess.Popen, base: str, log_path: str) -> None:
        self.proc, self.base, self.log_path = proc, base, log_path
        self.port = int(base.rsplit(":", 1)[1])

    def rss_mb(self) -> float:
        """Resident memory of the server process (serve.sh execs python: the Popen pid is the server)."""
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return fh.read()


@contextlib.contextmanager
def serve(log_name: str, **env_overrides: str):
    """Run scripts/serve.sh (what `make run` and Railway run) on a free port; yield a Server."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("ADMIN_PASSWORD", "HOST", "MTM_TRUSTED_PROXIES")}
    env.update(PORT=str(port), HOST="127.0.0.1", PYTHON=sys.executable)
    env.update(env_overrides)
    env = {k: v for k, v in env.items() if v is not None}
    os.makedirs(os.path.join(ROOT, "test-artifacts"), exist_ok=True)
    log_path = os.path.join(ROOT, "test-artifacts", log_name)
    log = open(log_path, "w")
    proc = subprocess.Popen(["bash", "scripts/serve.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                if urllib.request.urlopen(base + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise AssertionError(f"the server did not answer /_stcore/health:\n{open(log_path).read()}") from None
                time.sleep(0.3)
        yield Server(proc, base, log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def xsrf_cookie(base: str) -> tuple[str, str]:
    """(cookie header value, token) as /_stcore/health hands them to anyone."""
    resp = urllib.request.urlopen(base + "/_stcore/health", timeout=10)
    cookie = next(v for k, v in resp.headers.items() if k.lower() == "set-cookie").split(";")[0]
    return cookie, cookie.split("=", 1)[1]


class Session:
    """A Streamlit session held open over the websocket in a background thread, like a browser tab."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookie, self.token = xsrf_cookie(base)
        self.session_id: str | None = None
        self._ready = threading.Event()
        self._stop = None
        self._loop = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        import websockets
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with websockets.connect(self.base.replace("http", "ws", 1) + "/_stcore/stream",
                                          subprotocols=["streamlit", self.token], max_size=None,
                                          additional_headers={"Cookie": self.cookie, "Origin": self.base}) as ws:
                msg = BackMsg()
                msg.rerun_script.query_string = ""
                await ws.send(msg.SerializeToString())
                while self.session_id is None:
                    fm = ForwardMsg()
                    fm.ParseFromString(await asyncio.wait_for(ws.recv(), 30))
                    if fm.WhichOneof("type") == "new_session":
                        self.session_id = fm.new_session.initialize.session_id
                self._ready.set()
                while not self._stop.is_set():       # keep reading so the server never blocks on us
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(ws.recv(), 0.5)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self._error = exc
            self._ready.set()

    def __enter__(self) -> Session:
        self._thread.start()
        self._ready.wait(60)
        if self._error or not self.session_id:
            raise AssertionError(f"no session: {self._error!r}")
        return self

    def __exit__(self, *exc) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def put_upload(base: str, session: Session, body_bytes: int, *, content_length: int | None = None,
               chunk: int = 1024 * 1024) -> tuple[int, int]:
    """PUT a multipart body of about `body_bytes` to the upload endpoint of `session`, as the attack does.

    Returns (HTTP status, bytes the server let us send before answering or closing). Stops sending as soon
    as the server answers.
    """
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.db\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    total = len(head) + body_bytes + len(tail)
    length = total if content_length is None else content_length
    host, port = base.removeprefix("http://").split(":")
    path = f"/_stcore/upload_file/{session.session_id}/{uuid.uuid4()}"
    request = (f"PUT {path} HTTP/1.1\r\nHost: {host}:{port}\r\nOrigin: {base}\r\nCookie: {session.cookie}\r\n"
               f"X-Xsrftoken: {session.token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
               f"Content-Length: {length}\r\nConnection: close\r\n\r\n").encode()
    sent = 0
    with socket.create_connection((host, int(port)), timeout=120) as sock:
        sock.sendall(request)
        sock.setblocking(False)
        filler = b"\0" * chunk
        parts = [head] + [None] * (body_bytes // chunk) + ([b"\0" * (body_bytes % chunk)] if body_bytes % chunk else []) + [tail]
        answer = b""
        for part in parts:
            data = filler if part is None else part
            if _readable(sock):
                break
            try:
                sock.setblocking(True)
                sock.sendall(data)
                sock.setblocking(False)
                sent += len(data)
            except OSError:
                break
        sock.setblocking(True)
        sock.settimeout(120)
        try:
            while b"\r\n" not in answer:
                piece = sock.recv(4096)
                if not piece:
                    break
                answer += piece
        except OSError:
            pass
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent


def _readable(sock: socket.socket) -> bool:
    import select

    return bool(select.select([sock], [], [], 0)[0])
