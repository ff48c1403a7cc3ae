"""Named SQL: every query the app runs lives in `db/sql/*.sql` as a block

    -- name: search_tracks
    -- One or more comment lines saying what it returns.
    -- example: {"q": "love", "limit": 20}
    select ... where x = :q limit :limit;

Parameters are SQLAlchemy `:name` binds (write a literal colon inside a string as `\\:`), so values
always travel as bound parameters. `example` gives parameters that make the query meaningful on the
demo data: the EXPLAIN page starts from them, the benchmarks use them and a test runs every query
with them. An optional `-- defaults: {...}` line gives values for parameters a caller may leave out
(plays_top's `outside`, a choice of plan: psycopg2 binds values as literals, so the planner drops a
branch a boolean switches off); the example holds them too.

`run()` executes a named query on the read-only engine with a row cap and a statement timeout and
reports whether the result was cut short; `run_many()` runs several at once, each on its own pooled
connection (the search page's library and plays per keystroke: the wait is the slower one, not the sum).
"""
from __future__ import annotations

import glob
import json
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd
import sqlalchemy as sa

SQL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sql")
DEFAULT_ROW_CAP = 10_000
_PARAM = re.compile(r"(?<![:\\\w]):([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Query:
    name: str
    doc: str
    sql: str
    file: str
    example: dict = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)     # `-- defaults: {...}`: values of parameters a caller may omit

    @property
    def params(self) -> list[str]:
        """Bind parameter names in order of first use."""
        seen: list[str] = []
        for m in _PARAM.finditer(_strip_comments(self.sql)):
            if m.group(1) not in seen:
                seen.append(m.group(1))
        return seen


@dataclass
class Result:
    df: pd.DataFrame
    truncated: bool
    elapsed_ms: float
    query: str

    def __len__(self) -> int:
        return len(self.df)


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def parse(text: str, file: str = "<string>") -> dict[str, Query]:
    """Parse `-- name:` blocks; raise ValueError on a block without a name or a duplicate name."""
    out: dict[str, Query] = {}
    blocks = re.split(r"^--\s*name:\s*", text, flags=re.M)
    for block in blocks[1:]:
        header, _, rest = block.partition("\n")
        name = header.strip()
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"{file}: bad query name {name!r}")
        doc_lines, example, defaults, body = [], {}, {}, []
        in_header = True
        for line in rest.splitlines():
            stripped = line.strip()
            if in_header and stripped.startswith("--"):
                comment = stripped[2:].strip()
                if comment.startswith("example:"):
                    example = json.loads(comment[len("example:"):])
                elif comment.startswith("defaults:"):
                    defaults = json.loads(comment[len("defaults:"):])
                else:
                    doc_lines.append(comment)
                continue
            in_header = False
            body.append(line)
        sql = "\n".join(body).strip().rstrip(";").strip()
        if name in out:
            raise ValueError(f"{file}: query {name!r} defined twice")
        out[name] = Query(name=name, doc=" ".join(doc_lines).strip(), sql=sql, file=file,
                          example={**example, **{k: v for k, v in defaults.items() if k not in example}},
                          defaults=defaults)
    return out


@lru_cache(maxsize=1)
def all_queries() -> dict[str, Query]:
    out: dict[str, Query] = {}
    for path in sorted(glob.glob(os.path.join(SQL_DIR, "*.sql"))):
        for name, q in parse(open(path, encoding="utf-8").read(), os.path.basename(path)).items():
            if name in out:
                raise ValueError(f"query {name!r} defined in {out[name].file} and {q.file}")
            out[name] = q
    return out


def get(name: str) -> Query:
    try:
        return all_queries()[name]
    except KeyError:
        raise KeyError(f"no named query {name!r}") from None


def run(name: str, params: dict | None = None, *, url: str | None = None,
        cap: int = DEFAULT_ROW_CAP, timeout_ms: int | None = None, conn=None) -> Result:
    """Run named query `name` read-only; at most `cap` rows, `truncated` says whether more existed."""
    from db import engine as engines
    from db.schema import ensure_schema

    q = get(name)
    bound = {k: v for k, v in {**q.defaults, **(params or {})}.items() if k in q.params}
    missing = [p for p in q.params if p not in bound]
    if missing:
        raise ValueError(f"query {name}: missing parameters {', '.join(missing)}")
    stmt = sa.text(q.sql)
    started = time.perf_counter()

    def _execute(c) -> tuple[list, list]:
        if timeout_ms is not None:
            c.execute(sa.text("select set_config('statement_timeout', :t, true)"), {"t": str(int(timeout_ms))})
        res = c.execute(stmt, bound)
        if not res.returns_rows:
            return [], []
        return list(res.keys()), res.fetchmany(cap + 1)

    if conn is not None:
        cols, rows = _execute(conn)
    else:
        eng = engines.reader(ensure_schema(url))
        with eng.connect() as c:
            with c.begin():
                cols, rows = _execute(c)
    truncated = len(rows) > cap
    df = pd.DataFrame([tuple(r) for r in rows[:cap]], columns=cols)
    return Result(df=df, truncated=truncated, elapsed_ms=(time.perf_counter() - started) * 1000, query=name)


def scalar(name: str, params: dict | None = None, **kw):
    """First column of the first row, or None."""
    res = run(name, params, cap=1, **kw)
    return None if res.df.empty else res.df.iat[0, 0]


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """The threads run_many() hands queries to: created on first use, at most as many as the pages'
    pool has connections (a thread beyond that would only wait for one)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            from db import engine as engines

            _executor = ThreadPoolExecutor(max_workers=max(1, engines.POOL_SIZE + max(0, engines.POOL_OVERFLOW)),
                                           thread_name_prefix="mtm-query")
        return _executor


def run_many(calls: list[tuple[str, dict, int]], *, url: str | None = None,
             timeout_ms: int | None = None) -> list[Result]:
    """Run the named queries `calls` ((name, params, cap) each) at the same time, each in its own
    read-only transaction on its own pooled connection, and return their Results in order. The last
    one runs in the calling thread, the others on worker threads. A failure is raised here once every
    query has finished (so none is left running): the calling thread's own, else the first in order. Only database work
    happens on the threads: callers (Streamlit pages) keep every st.* call in their own thread."""
    if not calls:
        return []
    *others, last = calls
    futures = [_pool().submit(run, name, params, url=url, cap=cap, timeout_ms=timeout_ms)
               for name, params, cap in others]
    error: BaseException | None = None
    try:
        mine = run(last[0], last[1], url=url, cap=last[2], timeout_ms=timeout_ms)
    except BaseException as exc:  # noqa: BLE001 - re-raised below, after the others finished
        error, mine = exc, None
    results: list[Result] = []
    for future in futures:
        try:
            results.append(future.result())
        except BaseException as exc:  # noqa: BLE001
            error = error or exc
    if error is not None:
        raise error
    return [*results, mine]
