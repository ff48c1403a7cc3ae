"""A real HTTP server for API tests: uvicorn on 127.0.0.1, a free port, in a thread."""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import psycopg2


@contextlib.contextmanager
def serve(routes: list) -> Iterator[str]:
    """Serve Starlette(routes=routes); yield the base URL (http://127.0.0.1:PORT); stop on leaving."""
    import uvicorn
    from starlette.applications import Starlette

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=routes), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="api-test-server")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def new_token(url: str, name: str = "test") -> str:
    from api import tokens

    conn = psycopg2.connect(url)
    try:
        return tokens.create(conn, name)
    finally:
        conn.close()


def listen(listened_at: int, track: str = "Song", artist: str = "Band", **info) -> dict:
    """A ListenBrainz listen as clients send it."""
    meta = {"artist_name": artist, "track_name": track, "release_name": "Album"}
    if info:
        meta["additional_info"] = info
    return {"listened_at": listened_at, "track_metadata": meta}
