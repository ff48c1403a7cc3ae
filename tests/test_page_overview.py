"""The Overview (dashboard.py's home page) driven with AppTest."""
from __future__ import annotations

import os

from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT, figures, pg_rows

APP = os.path.join(ROOT, "dashboard.py")


def run() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {label: value for label, (value, _detail) in figures(at).items()}


def test_overview_shows_the_demo_counts(demo_url):
    tracks, artists, albums, dates, first, last, hours = pg_rows(demo_url, """
        select count(*), count(distinct artist_name),
               count(distinct (artist_name, album_name)) filter (where album_name is not null),
               (select count(distinct snapshot_date) from snapshots),
               (select min(snapshot_date) from snapshots), (select max(snapshot_date) from snapshots),
               sum(duration_ms) / 3600000.0
        from tracks""")[0]
    assert tracks > 0
    assert metrics(run()) == {
        "Tracks": f"{tracks:,}", "Artists": f"{artists:,}", "Albums": f"{albums:,}",
        "Total duration": f"{float(hours):,.0f} h", "Snapshot dates": f"{dates:,}",
        "First snapshot": str(first), "Last snapshot": str(last),
    }


def test_overview_lists_the_newest_top_10_of_each_time_range(demo_url):
    at = run()
    assert [t.label for t in at.tabs] == ["Last 4 weeks", "Last 6 months", "All time"]
    assert [len(d.value) for d in at.dataframe] == [10, 10, 10]
    for table, time_range in zip(at.dataframe, ("short_term", "medium_term", "long_term")):
        expected = pg_rows(demo_url, """
            select t.name from snapshots s join tracks t using (track_id)
            where s.time_range = %s and s.snapshot_date = (select max(snapshot_date) from snapshots
                                                          where time_range = %s)
            order by s.rank limit 10""", (time_range, time_range))
        assert table.value["name"].tolist() == [name for (name,) in expected]
        assert table.value["rank"].tolist() == list(range(1, 11))
        assert table.value["change"].str.match(r"^(🆕 new|▲ \d+|▼ \d+|=)$").all()
    assert len(at.download_button) == 3


def test_overview_on_an_empty_database_shows_the_empty_state(empty_url):
    at = run()
    assert len(at.info) == 1 and "No data yet" in at.info[0].value
    assert not figures(at) and not at.dataframe


def test_a_command_line_import_shows_on_the_next_rerun(empty_url, tmp_path):
    """The pages' caches follow the data (ui/cached.py keys on data_changes): an import made with
    `python -m migrate` outside the server shows on the next rerun, not after the cache's ttl."""
    import subprocess
    import sys

    from tests.helpers import make_sqlite
    from ui import cached

    at = run()
    assert metrics(at) == {} and any("No data yet" in i.value for i in at.info)
    path = make_sqlite(tmp_path / "one.db", tracks=[("t1", "Song", "Artist", "Album", 180000, None, None)])
    proc = subprocess.run([sys.executable, "-m", "migrate", path, "--json"], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "DATABASE_URL": empty_url}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    import time

    time.sleep(cached.VERSION_TTL_S + 0.2)    # the version is read at most this often
    at.run()
    assert metrics(at)["Tracks"] == "1"


def test_overview_shows_what_a_listenbrainz_client_is_playing_now(empty_url):
    import psycopg2

    from api import listens, store, tokens

    conn = psycopg2.connect(empty_url)
    tokens.create(conn, "phone")
    with conn.cursor() as cur:
        cur.execute("select token_id from api_tokens")
        token_id = cur.fetchone()[0]
    store.playing_now(conn, token_id, listens.to_now_playing(
        {"track_metadata": {"artist_name": "Massive Attack", "track_name": "Angel *live*"}}))
    conn.close()
    at = run()
    assert [i.value for i in at.info][0] == "Playing now: **Angel \\*live\\*** by Massive Attack (phone)"
