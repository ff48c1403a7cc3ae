"""Shared pieces of the benchmarks: a scratch database, timing, and writing BENCHMARKS.md sections.

Every figure is taken against a baseline measured in the same run (this machine is shared and
noisy), and each script rewrites only its own section of BENCHMARKS.md, between markers
`<!-- bench:NAME -->` and `<!-- /bench:NAME -->`.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import re
import statistics
import time
from contextlib import contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "bench", ".work")
BENCHMARKS = os.path.join(ROOT, "BENCHMARKS.md")


def scratch_database(name: str) -> str:
    """A fresh database `name` (dropped and created) on BENCH_DATABASE_URL's server or the embedded one."""
    import psycopg2
    from psycopg2 import sql

    from db.config import normalise_url
    from db.schema import ensure_schema

    server = os.environ.get("BENCH_DATABASE_URL")
    if server:
        server = normalise_url(server)
    else:
        from db import embedded

        server = embedded.server_uri()
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    conn.close()
    from urllib.parse import urlsplit, urlunsplit

    url = urlunsplit(urlsplit(server)._replace(path="/" + name))
    from db import schema

    schema.forget(url)  # the database is new: apply the schema again
    ensure_schema(url)
    return url


@contextmanager
def timer(out: list):
    start = time.perf_counter()
    yield
    out.append(time.perf_counter() - start)


def round_trips(eng, runs: int, warmups: int = 2) -> list[float]:
    """Milliseconds of `runs` `select 1` round trips through the pool `eng`, after `warmups`: the
    baseline each benchmark measures in its own run."""
    import sqlalchemy as sa

    out = []
    for _ in range(runs + warmups):
        t0 = time.perf_counter()
        with eng.connect() as c:
            c.execute(sa.text("select 1")).scalar()
        out.append((time.perf_counter() - t0) * 1000)
    return out[warmups:]


# CPU_BASELINE_NOTE: `select 1` measures the round trip (scheduling, the socket), not how fast the
# machine computes, and on this shared machine the two move apart: a probe at 2026-12-06 23:00 had
# select 1 at its usual speed while plays_compare ran at twice its published time. This statement is
# work of the kind the heavy queries do (300,000 rows streamed into a hash aggregate of 20,000
# groups, in memory, no table read), so a figure measured at another hour can be scaled by it.
CPU_BASELINE_SQL = ("select count(*) from (select i % 20000 as k, sum(i) "
                    "from (select generate_series(1, 300000) as i) s group by 1) x")


def cpu_baseline(eng, runs: int = 9, warmups: int = 1) -> list[float]:
    """Milliseconds of `runs` runs of CPU_BASELINE_SQL through the pool `eng`, after `warmups`."""
    import sqlalchemy as sa

    out = []
    with eng.connect() as c:
        for _ in range(runs + warmups):
            t0 = time.perf_counter()
            c.execute(sa.text(CPU_BASELINE_SQL)).scalar()
            out.append((time.perf_counter() - t0) * 1000)
    return out[warmups:]


def cpu_text(before: list[float], after: list[float]) -> str:
    """The CPU baseline's sentence: p50 before and after the timed runs (CPU_BASELINE_NOTE)."""
    return (f"CPU baseline (CPU_BASELINE_NOTE in bench/common.py: 300,000 generated rows into a hash aggregate "
            f"of 20,000 groups, no table) p50 {pct(before, .5):.1f} ms before the timed runs and "
            f"{pct(after, .5):.1f} ms after (min {min(before + after):.1f}, max {max(before + after):.1f})")


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_section(name: str, body: str, file: str = BENCHMARKS) -> None:
    """Replace (or append) the section `name` of BENCHMARKS.md (or `file`) with `body`."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = f"<!-- bench:{name} -->\n{body.rstrip()}\n\n_Measured {stamp} on {machine()}._\n<!-- /bench:{name} -->"
    title = "# Benchmarks\n" if file == BENCHMARKS else "# Reliability\n"
    text = open(file, encoding="utf-8").read() if os.path.exists(file) else title
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda m: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(file, "w", encoding="utf-8") as fh:
        fh.write(text)


def database_files(url: str) -> list[str]:
    """The embedded server's files of the database at `url` (its base/<oid> folder)."""
    import psycopg2

    from db import embedded

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("select oid from pg_database where datname = current_database()")
            oid = cur.fetchone()[0]
    finally:
        conn.close()
    folder = os.path.join(embedded.PGDATA, "base", str(oid))
    return [os.path.join(folder, f) for f in os.listdir(folder)]


def make_cold(url: str, drop_os_cache: bool) -> str:
    """Restart the embedded server (its shared_buffers start empty) and, with `drop_os_cache`, drop
    the database's files from the OS page cache too; the text saying what was done. Only for the
    embedded server the benchmarks own (never BENCH_DATABASE_URL's)."""
    from db import embedded, engine

    engine.dispose_all()
    embedded.restart()
    if not drop_os_cache:
        return "the embedded PostgreSQL restarted (shared_buffers empty, the OS page cache as it was)"
    dropped = 0
    for path in database_files(url):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            dropped += os.fstat(fd).st_size
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return (f"the embedded PostgreSQL restarted and the OS told to drop the database's {dropped / 2**20:,.0f} MB "
            f"of files from its page cache (posix_fadvise DONTNEED): pages come from the disk")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(args: list[str], env: dict, wait_s: float = 60):
    """Start a Streamlit server (`args`, "{port}" replaced by a free port; PORT and HOST=127.0.0.1 in
    its environment, as scripts/serve.sh reads them) from the repository's root and wait for its
    health check: (process, base URL)."""
    import subprocess
    import sys
    import urllib.request

    port = free_port()
    env = dict(env, PORT=str(port), HOST="127.0.0.1", PYTHON=sys.executable)
    proc = subprocess.Popen([a.replace("{port}", str(port)) for a in args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if urllib.request.urlopen(base + "/_stcore/health", timeout=2).read() == b"ok":
                return proc, base
        except OSError:
            time.sleep(0.25)
    proc.kill()
    raise RuntimeError(f"server {' '.join(args)} did not answer its health check")
