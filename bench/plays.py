"""Benchmark: every Plays-page query at 1,000,000 plays, next to a `select 1` baseline.

    python -m bench.plays [--runs 20] [--plays 1000000]

The dataset is a demo Spotify export (migrate.demo_export, extended history only) of about
1,000,000 plays imported into the database `mtm_bench_plays`, kept between runs (rebuilt when its
play count is off). Every read query of db/sql/plays.sql runs with its `-- example:` parameters
through the app's read-only pool, as the page runs it, plus the page's variants that matter (a
half-hour time zone, a short date range, all kinds); p50/p95 sit next to a `select 1` round trip
measured in the same run. EXPLAIN (ANALYZE) lists the indexes each plan uses and any sequential
scan of `plays`. Then the rollup refresh is timed (rolled back), and what its rewrite of rollup
rows costs a query until autovacuum has run (after_rewrite, migration 0020). Writes the section
`plays` of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time

import psycopg2

from bench.common import WORK, cpu_baseline, cpu_text, pct, round_trips, write_section

DATABASE = "mtm_bench_plays"
PLAYS = 1_000_000
# The demo drops about 1.5% of records (zero duration): generate that many more.
ZERO_SHARE = 0.0153
# A heavy listener's catalogue: a million plays over 15 years reach thousands of artists (a few
# with hundreds of tracks, most with a handful) and tens of thousands of tracks.
ARTISTS = 5_000
TRACKS = 60_000


def _server() -> str:
    from db.config import normalise_url

    server = os.environ.get("BENCH_DATABASE_URL")
    if server:
        return normalise_url(server)
    from db import embedded

    return embedded.server_uri()


def _artists(url: str) -> int:
    """Distinct music artists with a play (0 when the database cannot be read)."""
    try:
        conn = psycopg2.connect(url)
    except psycopg2.OperationalError:
        return 0
    try:
        with conn.cursor() as cur:
            cur.execute("select count(distinct artist) from plays where kind = 'music'")
            return cur.fetchone()[0]
    finally:
        conn.close()


def _count(url: str) -> int:
    from db.schema import ensure_schema

    try:
        ensure_schema(url)
        conn = psycopg2.connect(url)
    except psycopg2.OperationalError:
        return -1
    try:
        with conn.cursor() as cur:
            cur.execute("select count(*) from plays")
            return cur.fetchone()[0]
    finally:
        conn.close()


def export_dir(plays: int = PLAYS) -> str:
    """The folder (bench/.work/export_N, written once) of the demo export of about `plays` plays that
    bench.plays and bench.dataset import: extended history only, with a heavy listener's catalogue."""
    from migrate import demo_export

    path = os.path.join(WORK, f"export_{plays}_{ARTISTS}_{TRACKS}")
    if not os.path.exists(path):
        os.makedirs(WORK, exist_ok=True)
        tmp = tempfile.mkdtemp(dir=WORK, prefix=".export-")
        demo_export.generate(tmp, records=int(plays * (1 + ZERO_SHARE)), extended_only=True,
                             artists=min(ARTISTS, max(119, plays // 200)),
                             tracks=min(TRACKS, max(50, plays // 16)))
        os.replace(tmp, path)
    return path


def ensure(plays: int = PLAYS) -> str:
    """URL of `mtm_bench_plays` holding about `plays` plays (builds it when needed), with every
    rollup built (a database imported before a rollup existed gets it built here)."""
    from urllib.parse import urlsplit, urlunsplit

    from bench.common import scratch_database

    url = urlunsplit(urlsplit(_server())._replace(path="/" + DATABASE))
    have = _count(url)
    if abs(have - plays) > plays * 0.01 or _artists(url) < min(ARTISTS, plays // 200) * 0.9:
        from db import schema
        from migrate.spotify_export import import_export

        schema.forget(url)     # the database is dropped and created again: apply the schema anew
        url = scratch_database(DATABASE)

        started = time.perf_counter()
        import_export(export_dir(plays), url)
        print(f"built {DATABASE}: {_count(url):,} plays in {time.perf_counter() - started:.0f} s")
    _ensure_rollups(url)
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("vacuum analyze")
    conn.close()
    return url


def _ensure_rollups(url: str) -> None:
    """Run the refresh queries once when a rollup of plays is empty (the schema grew after the import)."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("select to_regclass('plays_z_hourly') is not null")
            if not cur.fetchone()[0]:
                return
            cur.execute("select exists (select 1 from plays_z_hourly)")
            if cur.fetchone()[0]:
                return
            from db.refresh import run as refresh_pipeline

            started = time.perf_counter()
            refresh_pipeline(cur)
        conn.commit()
        print(f"built the rollups in {time.perf_counter() - started:.1f} s")
    finally:
        conn.close()


# The page's variants that cost most, on top of each query's own example: the whole history, a
# half-hour time zone (15-minute rollups), tracks rather than artists, every kind. "All time" is what
# the page sends for it: the first and last local day with a play (main() sets them from
# plays_overview); a range wider than that is clamped by the page.
ALL_TIME = {"since": "2011-01-01", "until": "2026-12-31"}
# quarter and fixed_offset as plays_time_zone gives them for these zones (one offset since 1945 and 1986)
KOLKATA = {"tz": "Asia/Kolkata", "quarter": True, "fixed_offset": 19_800}
KATHMANDU = {"tz": "Asia/Kathmandu", "quarter": True, "fixed_offset": 20_700}
INNER_YEARS = {"since": "2012-01-01", "until": "2025-12-31"}   # set in main from the data's span
VARIANTS = [
    ("plays_totals", "all time", ALL_TIME),
    ("plays_totals", "all time, Asia/Kolkata", {**ALL_TIME, **KOLKATA}),
    ("plays_timeline", "all time per day", {**ALL_TIME, "grain": "day"}),
    ("plays_timeline", "all time per day, Asia/Kolkata", {**ALL_TIME, **KOLKATA, "grain": "day"}),
    ("plays_timeline", "all time per week, every kind", {**ALL_TIME, "grain": "week", "kind": "all"}),
    ("plays_heatmap", "all time", ALL_TIME),
    ("plays_heatmap", "all time, Asia/Kathmandu", {**ALL_TIME, **KATHMANDU}),
    ("plays_by_hour", "all time, Asia/Kolkata", {**ALL_TIME, **KOLKATA}),
    ("plays_streaks", "all time", ALL_TIME),
    ("plays_streaks", "all time, Asia/Kolkata", {**ALL_TIME, **KOLKATA}),
    ("plays_top", "all time, tracks", {**ALL_TIME, "level": "track"}),
    ("plays_top", "all time, tracks by minutes, every kind", {**ALL_TIME, "level": "track", "order_by": "minutes",
                                                               "kind": "all"}),
    ("plays_top", "all time, albums", {**ALL_TIME, "level": "album"}),
    ("plays_top", "2 months across a year end, tracks", {"since": "2024-11-20", "until": "2025-01-20",
                                                         "level": "track"}),
    ("plays_counts", "all time", ALL_TIME),
    # all time but its first and last years (set in main from the data's span): a long range that
    # is not the whole history reads every year row inside it (plays_z_totals serves only the whole)
    ("plays_counts", "all but the first and last years", INNER_YEARS),
    ("plays_top", "all but the first and last years, tracks", {**INNER_YEARS, "level": "track"}),
    ("plays_most_skipped", "all time, tracks", {**ALL_TIME, "level": "track"}),
    ("plays_most_skipped", "all but the first and last years, tracks", {**INNER_YEARS, "level": "track"}),
    ("plays_platforms", "all time", ALL_TIME),
    ("plays_sessions_summary", "all time", ALL_TIME),
    ("plays_longest_sessions", "all time, every kind", {**ALL_TIME, "kind": "all"}),
    ("plays_session_lengths", "all time", ALL_TIME),
    ("plays_new_artists", "all time, every kind", {**ALL_TIME, "kind": "all"}),
    ("plays_compare", "tracks, 2024 vs 2025", {"level": "track"}),
    ("plays_compare", "tracks, two halves of all time", {"since_a": "2011-11-01", "until_a": "2019-06-30",
                                                         "since_b": "2019-07-01", "until_b": "2026-12-31",
                                                         "level": "track"}),
    ("plays_compare_changes", "tracks, 2024 vs 2025", {"level": "track"}),
    # the page's default "period before" for dates of seven whole years: two long periods that meet
    # but leave the data's first and last years outside (set in main from the data's span)
    ("plays_compare", "tracks, seven years vs the seven before", {"level": "track"}),
    ("plays_compare_changes", "tracks, seven years vs the seven before", {"level": "track"}),
    ("plays_forgotten_gems", "every kind", {"kind": "all"}),
]


def plan_of(url: str, name: str, params: dict) -> tuple[list[str], bool]:
    """Indexes the plan uses, and whether it scans all of `plays` sequentially."""
    from bench.queries import explain

    indexes, seq = explain(url, name, params)
    return indexes, "plays" in seq


def timings(url: str, name: str, params: dict, runs: int) -> list[float]:
    from db import queries

    for _ in range(2):
        queries.run(name, params, url=url, cap=100_000)
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        queries.run(name, params, url=url, cap=100_000)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def cold_time(url: str, name: str, params: dict) -> float:
    """ms of the query's first run after the embedded server restarted with the database's files
    dropped from the OS page cache (bench.common.make_cold): what the first view after a cold start
    waits for. The connection is opened before the clock starts."""
    import sqlalchemy as sa

    from bench.common import make_cold
    from db import engine, queries

    make_cold(url, drop_os_cache=True)
    with engine.reader(url).connect() as c:
        c.execute(sa.text("select 1")).scalar()
    t0 = time.perf_counter()
    queries.run(name, params, url=url, cap=100_000)
    return (time.perf_counter() - t0) * 1000


def refresh_times(url: str) -> dict[str, float]:
    """Seconds of the rollup refresh as the importer runs it (db.refresh.run: its memory settings,
    and the index drop/rebuild of a build from scratch) (a) rebuilding every
    plays_z rollup and (b) after an import that adds one day of plays; each in a transaction that is
    rolled back, so the database stays as it was."""
    from db.refresh import run as refresh_pipeline

    def refresh(cur) -> float:
        t0 = time.perf_counter()
        refresh_pipeline(cur)
        return time.perf_counter() - t0

    out = {}
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("truncate plays_z_hourly, plays_z_quarter, plays_z_items, plays_z_names, plays_z_sessions, "
                        "plays_z_totals")
            out["everything"] = refresh(cur)
        conn.rollback()
        with conn.cursor() as cur:
            # one more day of the last day's plays, as an import would add and list them
            cur.execute("""
                with day as (select date_trunc('day', max(ended_at), 'UTC') as d from plays),
                copied as (
                  insert into plays (ended_at, ms_played, kind, source, track_id, uri, track, artist, album,
                                     platform, country, reason_start, reason_end, shuffle, skipped, offline,
                                     incognito, raw_json)
                  select p.ended_at + interval '1 day', p.ms_played, p.kind, p.source, p.track_id, p.uri, p.track,
                         p.artist, p.album, p.platform, p.country, p.reason_start, p.reason_end, p.shuffle,
                         p.skipped, p.offline, p.incognito, p.raw_json
                  from plays p, day where p.ended_at >= day.d
                  returning ended_at)
                insert into plays_dirty_hours (hour_utc)
                select distinct date_bin('1 hour', ended_at, timestamptz '2000-01-01 00:00+00') from copied""")
            out["one more day"] = refresh(cur)
        conn.rollback()
    finally:
        conn.close()
    return out


def heap_fetches(url: str, name: str, params: dict) -> tuple[int, int]:
    """(heap fetches of the plan's index-only scans, shared buffers it touched) from EXPLAIN (ANALYZE,
    BUFFERS) of the named query."""
    from bench.queries import explain_plan, plan_nodes

    top = explain_plan(url, name, params, buffers=True)
    fetches = sum(int(n.get("Heap Fetches", 0)) for n in plan_nodes(top))
    return fetches, int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0))


def after_rewrite(url: str, name: str, params: dict, wait_s: int = 300) -> tuple[dict[str, float], str]:
    """refresh_times(url), and what its rewrite of rollup rows costs `name` until autovacuum has run
    (migration 0020).

    plays_z_items' autovacuum is held off while refresh_times' "one more day" refresh rewrites the
    newest year's rows (rolled back, it leaves their pages not all-visible, as an import's committed
    refresh does); `name` runs cold, then autovacuum is allowed again and, once it has vacuumed the
    table, `name` runs cold again. Returns the refresh times and the sentence for BENCHMARKS.md."""
    def autovacuum(setting: str):
        conn = psycopg2.connect(url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("select now()")
            at = cur.fetchone()[0]
            cur.execute(f"alter table plays_z_items {setting}")      # the code's own two settings
        conn.close()
        return at

    autovacuum("set (autovacuum_enabled = false)")
    try:
        refresh = refresh_times(url)
        before_ms = cold_time(url, name, params)
        before = heap_fetches(url, name, params)
    finally:
        allowed = autovacuum("reset (autovacuum_enabled)")
    conn = psycopg2.connect(url)
    cur = conn.cursor()
    started = time.perf_counter()
    vacuumed = None
    while time.perf_counter() - started < wait_s:
        cur.execute("select coalesce(last_autovacuum > %s, false) from pg_stat_user_tables "
                    "where relname = 'plays_z_items'", (allowed,))
        done = cur.fetchone()[0]
        conn.rollback()            # a fresh snapshot of the statistics on each poll
        if done:
            vacuumed = time.perf_counter() - started
            break
        time.sleep(2)
    conn.close()
    text = (f"After a refresh that rewrote the newest year's rollup rows (refresh_times' one more day), with "
            f"autovacuum held off: `{name}` over two halves of all time cold {before_ms:.0f} ms, "
            f"{before[0]:,} heap fetches in its index-only scans ({before[1]:,} buffers). ")
    if vacuumed is None:
        return refresh, text + f"Autovacuum had not vacuumed plays_z_items {wait_s} s after it was allowed again.\n"
    after_ms = cold_time(url, name, params)
    after = heap_fetches(url, name, params)
    return refresh, text + (f"Autovacuum vacuumed plays_z_items {vacuumed:.0f} s after it was allowed again (migration "
                   f"0020: once 1% changed); then cold {after_ms:.0f} ms, {after[0]:,} heap fetches "
                   f"({after[1]:,} buffers).\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--plays", type=int, default=PLAYS)
    parser.add_argument("--no-refresh", action="store_true", help="skip timing the rollup refresh")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--warm-only", action="store_true",
                        help="skip the cold runs (each restarts the embedded PostgreSQL)")
    args = parser.parse_args()

    from db import engine, queries

    url = ensure(args.plays)
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("select count(*), (select count(*) from plays_z_items), (select count(*) from plays_z_sessions) "
                    "from plays")
        n_plays, n_items, n_sessions = cur.fetchone()
        cur.execute("select count(distinct artist), count(distinct (artist, track)) from plays where kind = 'music'")
        n_artists, n_tracks = cur.fetchone()
    conn.close()
    shape = f"{n_artists:,} artists and {n_tracks:,} tracks played"
    with psycopg2.connect(url) as conn2, conn2.cursor() as cur:
        cur.execute("select current_setting('shared_buffers'), current_setting('work_mem')")
        shared_buffers, work_mem = cur.fetchone()
    conn2.close()
    eng = engine.reader(url)
    base = round_trips(eng, args.runs)
    cpu_before = cpu_baseline(eng)
    span = queries.run("plays_overview", {"tz": "Europe/Berlin"}, url=url).df.iloc[0]
    ALL_TIME.update(since=str(span.first_day), until=str(span.last_day))
    middle = span.first_day + (span.last_day - span.first_day) / 2
    for _, label, overrides in VARIANTS:
        if label.startswith("all but the first and last years"):
            overrides.update(since=f"{span.first_day.year + 1}-01-01", until=f"{span.last_day.year - 1}-12-31")
        if label == "tracks, seven years vs the seven before":
            last = span.last_day.year - 1
            overrides.update(since_a=f"{last - 13}-01-01", until_a=f"{last - 7}-12-31",
                             since_b=f"{last - 6}-01-01", until_b=f"{last}-12-31")
        if label == "tracks, two halves of all time":
            overrides.update(since_a=str(span.first_day), until_a=str(middle),
                             since_b=str(middle + dt.timedelta(days=1)), until_b=str(span.last_day))

    from db.zones import reads_outside

    for name, _, overrides in VARIANTS:
        if "outside" in queries.get(name).params:     # the plan the page picks for these dates
            overrides["outside"] = reads_outside(span.first_day, span.last_day,
                                                 dt.date.fromisoformat(overrides["since"]),
                                                 dt.date.fromisoformat(overrides["until"]))

    cases = [(name, "example", {}) for name, q in sorted(queries.all_queries().items())
             if q.file == "plays.sql" and not name.startswith("refresh_")]
    cases += VARIANTS
    cold = not args.warm_only and not os.environ.get("BENCH_DATABASE_URL")
    colds = {}
    if cold:       # first, before the warm runs fill the caches
        for name, label, overrides in cases:
            colds[(name, label)] = cold_time(url, name, {**queries.get(name).example, **overrides})
    rows, worst = [], 0.0
    for name, label, overrides in cases:
        params = {**queries.get(name).example, **overrides}
        times = timings(url, name, params, args.runs)
        indexes, seq = plan_of(url, name, params)
        p50, p95 = pct(times, 0.5), pct(times, 0.95)
        worst = max(worst, p95)
        shown = label if label != "example" else "example: " + json.dumps(overrides or queries.get(name).example,
                                                                          ensure_ascii=False)
        cold_ms = f"{colds[(name, label)]:.1f}" if cold else "–"
        rows.append(f"| `{name}` | {shown[:90]} | {p50:.1f} | {p95:.1f} | {cold_ms} | {', '.join(indexes) or '–'} | "
                    f"{'yes' if seq else 'no'} |")
        print(f"{name:<26} {label[:40]:<40} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  seq-scan-plays={seq}", flush=True)

    cpu_after = cpu_baseline(eng)
    halves = next(overrides for _, label, overrides in VARIANTS if label == "tracks, two halves of all time")
    refresh, rewrite_text = {}, ""
    if cold and not args.no_refresh:
        refresh, rewrite_text = after_rewrite(url, "plays_compare", {**queries.get("plays_compare").example, **halves})
    elif not args.no_refresh:
        refresh = refresh_times(url)
    refresh_text = "" if not refresh else (
        "\nRollup refresh (every `refresh_*` query as the importer runs it, in a rolled-back transaction): "
        "building the plays_z rollups from scratch "
        f"{refresh['everything']:.1f} s; after an import that adds one day of plays "
        f"{refresh['one more day']:.2f} s.\n")
    cold_text = ("Cold: each query's first run after the embedded PostgreSQL restarted and the OS was told to drop "
                 "the database's files from its page cache (posix_fadvise DONTNEED), one run each, before any warm "
                 f"run; worst **{max(colds.values()):.0f} ms**, median {statistics.median(colds.values()):.0f} ms.\n"
                 if cold else "Cold runs not measured (--warm-only, or BENCH_DATABASE_URL's server is not restarted).\n")
    body = f"""## Plays page at {n_plays:,} plays (`python -m bench.plays`)

Database `mtm_bench_plays`: a demo Spotify export (migrate.demo_export, extended history only) of {n_plays:,}
plays over 15 years ({shape}), imported by the real importer; rollups {n_items:,} rows in plays_z_items, {n_sessions:,}
sessions. Every Plays query through the app's read-only pool, {args.runs} runs after 2 warm-ups, with its
`-- example:` parameters and then the page's costliest variants. Baseline in the same run: a `select 1`
round trip through the same pool, p50 {pct(base, 0.5):.2f} ms, p95 {pct(base, 0.95):.2f} ms (min {min(base):.2f},
max {max(base):.2f}: the machine's noise); {cpu_text(cpu_before, cpu_after)}: the worst p95 below is
{worst / pct(cpu_before + cpu_after, .5):.1f}x it. "All time" is {ALL_TIME["since"]} to {ALL_TIME["until"]}, the page's whole
history. PostgreSQL's default memory settings (shared_buffers {shared_buffers}, work_mem {work_mem}); timings are
warm (after 2 warm-ups), the plans' buffer reads come from EXPLAIN.
Indexes and whether the plan scans all of `plays` come from EXPLAIN (ANALYZE) of the same statement.
Aim: every query under 150 ms server-side. Worst p95 here: **{worst:.0f} ms**.
{cold_text}{refresh_text}{rewrite_text}
| query | parameters | p50 ms | p95 ms | cold ms | indexes used | seq scan of plays |
| --- | --- | --- | --- | --- | --- | --- |
""" + "\n".join(rows) + "\n"
    print(body)
    if not args.no_write:
        write_section("plays", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
