"""`make run`'s bootstrap: demo data into an empty database, nothing into a full one or on Railway."""
from __future__ import annotations

from migrate import bootstrap
from tests.helpers import pg_rows


def counts(url):
    return pg_rows(url, "select (select count(*) from tracks), (select count(*) from snapshots), "
                        "(select count(*) from plays)")[0]


def test_empty_database_gets_the_demo_tracks_snapshots_and_plays(db_url, capsys):
    assert bootstrap.main() == 0
    tracks, snapshots, plays = counts(db_url)
    assert tracks >= 500 and snapshots > 10_000 and plays > 30_000
    assert "loaded demo data" in capsys.readouterr().out
    assert bootstrap.main() == 0  # a second start loads nothing more
    assert counts(db_url) == (tracks, snapshots, plays)


def test_no_demo_switch_leaves_an_empty_database_empty(db_url, monkeypatch):
    monkeypatch.setenv("MTM_NO_DEMO", "1")
    assert bootstrap.main() == 0
    assert counts(db_url) == (0, 0, 0)


def test_bootstrap_reports_an_unreachable_database_in_one_line(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:hunter2@127.0.0.1:1/x?connect_timeout=2")
    assert bootstrap.main() == 1
    err = capsys.readouterr().err
    assert err.startswith("error: database not ready") and err.count("\n") == 1 and "hunter2" not in err
