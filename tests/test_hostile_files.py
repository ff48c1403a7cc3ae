"""Hostile input files: `python -m migrate FILE --json` in a child process held to a memory limit.

The limit (RLIMIT_AS, set in the child) is the address space of the same command importing a small
good file plus LIMIT_OVER_BASELINE. Before these fixes a 200 KB nesting bomb grew to 22.7 GB and a
file of 1,000,000 `{}` records to 1.76 GB. Each run's peak RSS (from wait4) is printed (`pytest -s`).

Decisions the tests pin down:
- a file that is nothing but nesting (every record nested deeper than jsonlimits.MAX_DEPTH) is
  unusable: exit 2, one line; a too-deep record among others is rejected with its reason (exit 0);
- a readable file whose every record is rejected (1,000,000 `{}`) is still a readable file: exit 0,
  the report counts every reject, keeps the first MAX_REJECTS_KEPT with key and reason;
- a SQLite file damaged past its header and schema is unusable: exit 2, one line;
- a lone UTF-16 surrogate in an export record rejects that record (as the SQLite importer does).
"""
from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys

import pytest

from migrate import export_formats as fmt
from migrate import jsonlimits
from migrate.report import MAX_FILES_IN_REPORT, MAX_REJECTS_KEPT, Report
from tests.conftest import ROOT, make_sqlite, pg_rows

LIMIT_OVER_BASELINE = 400 * 2**20
GOOD = {"ts": "2024-05-01T12:00:00Z", "platform": "android", "ms_played": 200_000, "conn_country": "DE",
        "master_metadata_track_name": "Song", "master_metadata_album_artist_name": "Artist",
        "master_metadata_album_album_name": "Album", "spotify_track_uri": "spotify:track:4uLU6hMCjMI75M1A2tKUQC"}
HISTORY = "Streaming_History_Audio_2024.json"


def good(hour: int) -> bytes:
    return json.dumps(dict(GOOD, ts=f"2024-05-01T{hour:02d}:00:00Z")).encode()


def deep_object(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def write(path, data: bytes) -> str:
    with open(path, "wb") as fh:
        fh.write(data)
    return str(path)


@pytest.fixture(scope="session")
def memory_limit(session_db, tmp_path_factory) -> int:
    """RLIMIT_AS for the hostile runs: the importer's own peak address space on a small good file
    (run as `python -m migrate` would, reporting VmPeak at exit) plus LIMIT_OVER_BASELINE."""
    folder = tmp_path_factory.mktemp("baseline")
    path = write(folder / HISTORY, b"[" + b",".join(good(h) for h in range(3)) + b"]")
    probe = ("import atexit, re, runpy, sys\n"
             "atexit.register(lambda: print(re.search(r'VmPeak:\\s*(\\d+)', open('/proc/self/status').read())"
             ".group(1), file=sys.stderr))\n"
             f"sys.argv = ['migrate', {path!r}, '--json']\n"
             "runpy.run_module('migrate', run_name='__main__', alter_sys=True)\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=dict(os.environ, DATABASE_URL=session_db),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    baseline = int(done.stderr.strip().splitlines()[-1]) * 1024
    return baseline + LIMIT_OVER_BASELINE


class Run:
    def __init__(self, returncode: int, stdout: str, stderr: str, peak_rss_mb: float):
        self.returncode, self.stdout, self.stderr, self.peak_rss_mb = returncode, stdout, stderr, peak_rss_mb

    @property
    def summary(self) -> dict:
        return json.loads(self.stdout.strip().splitlines()[-1])


def migrate(path: str, url: str, limit: int, tmp_path) -> Run:
    """`python -m migrate path --json` with RLIMIT_AS = limit; its peak RSS from wait4."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with open(out, "w") as o, open(err, "w") as e:
        proc = subprocess.Popen([sys.executable, "-m", "migrate", path, "--json"], cwd=ROOT, stdout=o, stderr=e,
                                env=dict(os.environ, DATABASE_URL=url), preexec_fn=cap)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    run = Run(proc.returncode, out.read_text(), err.read_text(), usage.ru_maxrss / 1024)
    print(f"\n{os.path.basename(path)} ({os.path.getsize(path):,} bytes): exit {run.returncode}, "
          f"peak RSS {run.peak_rss_mb:.0f} MB")
    return run


def assert_one_line_error(run: Run, code: int, *words: str) -> None:
    assert run.returncode == code, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    assert run.summary["exit"] == code
    for word in words:
        assert word in lines[0]


# ---------------------------------------------------------------------------------------------
# Nesting


BOMB = 100_000


@pytest.mark.parametrize("name, content", [
    (HISTORY, b"[" * BOMB + b"]" * BOMB),                               # 200 KB, the reported bomb
    (HISTORY, b"[" + deep_object(BOMB // 2) + b"]"),                    # one record, 50,000 objects deep
    (HISTORY, b"[" + b",".join([b"[" * 1000 + b"]" * 1000] * 100) + b"]"),  # 100 records, each too deep
])
def test_file_that_is_nothing_but_nesting_is_unusable_in_one_line(db_url, tmp_path, memory_limit, name, content):
    run = migrate(write(tmp_path / name, content), db_url, memory_limit, tmp_path)
    assert_one_line_error(run, 2, "nothing but nesting", f"{jsonlimits.MAX_DEPTH} levels")
    assert pg_rows(db_url, "select count(*) from plays") == [(0,)]


def test_nesting_bomb_with_another_name_is_not_history(db_url, tmp_path, memory_limit):
    # Not named like history: the format sniffing reads its head (256 KB), which once took O(depth^2).
    run = migrate(write(tmp_path / "data.json", b"[" * 150_000 + b"]" * 150_000), db_url, memory_limit, tmp_path)
    assert_one_line_error(run, 2, "not Spotify streaming history")


@pytest.mark.parametrize("depth", [
    jsonlimits.MAX_DEPTH,   # the record is 1 level, its field 64: one too many
    300,                    # parsed by orjson, beyond what orjson.dumps encodes (255)
    5_000,                  # beyond what orjson parses (1,024): the bounded incremental reader
])
def test_deep_record_among_good_ones_is_rejected_and_the_others_land(db_url, tmp_path, memory_limit, depth):
    deep = good(11)[:-1] + b', "extra": ' + deep_object(depth) + b"}"
    path = write(tmp_path / HISTORY, b"[" + good(10) + b"," + deep + b"," + good(12) + b"]")
    run = migrate(path, db_url, memory_limit, tmp_path)
    assert run.returncode == 0, run.stderr
    summary = run.summary
    assert summary["plays"]["inserted"] == 2 and summary["rejects_total"] == 1
    assert summary["rejects"] == [{"table": "plays", "key": f"{HISTORY}#2",
                                   "reason": f"the record is {jsonlimits.TOO_DEEP_DETAIL}"}]
    assert summary["files"][0]["skipped"] == {jsonlimits.TOO_DEEP: 1}
    assert pg_rows(db_url, "select count(*) from plays") == [(2,)]


def test_record_at_the_depth_limit_lands(db_url, tmp_path, memory_limit):
    at_limit = good(11)[:-1] + b', "extra": ' + deep_object(jsonlimits.MAX_DEPTH - 1) + b"}"
    run = migrate(write(tmp_path / HISTORY, b"[" + at_limit + b"]"), db_url, memory_limit, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.summary["plays"]["inserted"] == 1
    assert pg_rows(db_url, "select count(*) from plays where raw_json #> '{extra,a,a,a}' is not null") == [(1,)]


@pytest.mark.parametrize("whole_file", [True, False], ids=["orjson", "incremental"])
def test_reader_hands_over_a_too_deep_record_that_is_then_rejected(tmp_path, monkeypatch, whole_file):
    # Files over WHOLE_FILE_BYTES take the incremental reader, which skips the record unbuilt.
    if not whole_file:
        monkeypatch.setattr(fmt, "WHOLE_FILE_BYTES", 0)
    content = b"[" + good(1) + b"," + b"[" * 500 + b"]" * 500 + b',7,"x",{"k":[[]]},' + good(2) + b"]"
    path = write(tmp_path / HISTORY, content)
    hf = fmt.HistoryFile(HISTORY, fmt.EXTENDED, "audio", len(content), lambda: open(path, "rb"))
    records = list(fmt.records(hf))
    assert records[2:5] == [7, "x", {"k": [[]]}]
    assert records[0]["ts"] == "2024-05-01T01:00:00Z" and records[5]["ts"] == "2024-05-01T02:00:00Z"
    assert (records[1] is fmt.TOO_DEEP_RECORD) is not whole_file
    with pytest.raises(fmt.Skip) as why:
        fmt.to_play(records[1], "audio")
    assert why.value.label == jsonlimits.TOO_DEEP


@pytest.mark.parametrize("raw_json", [
    deep_object(5_000).decode(),                          # the reported row
    json.dumps(deep_object(5_000).decode()),              # the same, double-encoded
    "[" * 5_000 + "]" * 5_000,
])
def test_deep_raw_json_in_sqlite_is_rejected_and_the_good_track_lands(db_url, tmp_path, memory_limit, raw_json):
    path = make_sqlite(tmp_path / "deep.db", [("t1", "Song", "Artist", "Album", 1000, None, '{"album": {"id": 1}}'),
                                              ("t2", "Deep", "Artist", "Album", 1000, None, raw_json)])
    run = migrate(path, db_url, memory_limit, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.summary["rejects"] == [{"table": "tracks", "key": "t2",
                                       "reason": f"raw_json is {jsonlimits.TOO_DEEP_DETAIL}"}]
    assert pg_rows(db_url, "select track_id from tracks") == [("t1",)]


def test_record_with_too_many_values_is_rejected_and_the_others_land(db_url, tmp_path, memory_limit):
    big = good(11)[:-1] + b', "extra": [' + b",".join([b"0"] * (jsonlimits.MAX_VALUES + 1)) + b"]}"
    path = write(tmp_path / HISTORY, b"[" + good(10) + b"," + big + b"," + good(12) + b"]")
    run = migrate(path, db_url, memory_limit, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.summary["rejects"] == [{"table": "plays", "key": f"{HISTORY}#2",
                                       "reason": f"the record holds {jsonlimits.TOO_LARGE_DETAIL}"}]
    assert pg_rows(db_url, "select count(*) from plays") == [(2,)]


def test_sqlite_raw_json_with_too_many_values_is_rejected(db_url, tmp_path):
    from migrate.sqlite_import import import_sqlite

    big = '{"a": [' + ",".join(["0"] * (jsonlimits.MAX_VALUES + 1)) + "]}"
    path = make_sqlite(tmp_path / "big.db", [("t1", "Song", "Artist", "Album", 1000, None, '{"a": [0, 1]}'),
                                             ("t2", "Big", "Artist", "Album", 1000, None, big)])
    report = import_sqlite(path, db_url)
    assert [(r.key, r.reason) for r in report.rejects] == [("t2", f"raw_json holds {jsonlimits.TOO_LARGE_DETAIL}")]
    assert pg_rows(db_url, "select track_id from tracks") == [("t1",)]


def test_incremental_reader_refuses_a_record_with_too_many_values(tmp_path, monkeypatch):
    monkeypatch.setattr(fmt, "WHOLE_FILE_BYTES", 0)
    many = b"[" + b",".join([b"1"] * (jsonlimits.MAX_VALUES + 1)) + b"]"
    content = b"[" + good(1) + b',{"a":' + many + b"}," + many + b"," + good(2) + b"]"
    path = write(tmp_path / HISTORY, content)
    hf = fmt.HistoryFile(HISTORY, fmt.EXTENDED, "audio", len(content), lambda: open(path, "rb"))
    records = list(fmt.records(hf))
    assert records[1:3] == [fmt.TOO_LARGE_RECORD, fmt.TOO_LARGE_RECORD] and len(records) == 4
    assert records[3]["ts"] == "2024-05-01T02:00:00Z"


def test_file_over_32_mb_with_one_huge_string_is_unusable_in_one_line(db_url, tmp_path, memory_limit):
    # Read incrementally, a parser holds a string whole until it ends: a record may take 16 MB.
    huge = good(11)[:-1] + b', "extra": "' + b"A" * (40 * 2**20) + b'"}'
    path = write(tmp_path / HISTORY, b"[" + good(10) + b"," + huge + b"," + good(12) + b"]")
    run = migrate(path, db_url, memory_limit, tmp_path)
    assert_one_line_error(run, 2, "record 2 takes more than 16 MB of the file")
    assert pg_rows(db_url, "select count(*) from plays") == [(0,)]


def test_records_of_unusual_size_are_loaded_in_smaller_batches(db_url, tmp_path, monkeypatch):
    from migrate import spotify_export

    monkeypatch.setattr(spotify_export, "BATCH_BYTES", 5_000)
    sizes, load = [], spotify_export._Loader.load
    monkeypatch.setattr(spotify_export._Loader, "load", lambda self, batch: (sizes.append(len(batch.rows)),
                                                                            load(self, batch))[1])
    records = [good(h)[:-1] + b', "extra": "' + b"x" * 3_000 + b'"}' for h in range(12)]
    path = write(tmp_path / HISTORY, b"[" + b",".join(records) + b"]")
    report = spotify_export.import_export(path, db_url)
    assert report.files[0]["inserted"] == 12 and report.verified
    assert sizes == [2] * 6 + [0]          # two 3 KB rows pass 5,000 bytes; then the file's last batch


def test_file_of_many_tiny_records_is_read_one_record_at_a_time(tmp_path, monkeypatch):
    # Parsed at once, `[],` (3 bytes) takes 64 bytes: a file with more values than WHOLE_FILE_VALUES
    # goes to the incremental reader, with the same records.
    content = b"[" + b",".join([b"[]", b"{}", b"1", b'"x"', good(3)] * 20) + b"]"
    path = write(tmp_path / HISTORY, content)
    hf = fmt.HistoryFile(HISTORY, fmt.EXTENDED, "audio", len(content), lambda: open(path, "rb"))
    whole = list(fmt.records(hf))
    monkeypatch.setattr(fmt, "WHOLE_FILE_VALUES", 10)
    assert fmt._parse_whole(hf) is None
    assert list(fmt.records(hf)) == whole and len(whole) == 100


def test_depth_ignores_brackets_inside_strings():
    assert not jsonlimits.text_too_deep(json.dumps({"name": "[{" * 500, "q": '\\"[[' * 100}).encode())
    assert jsonlimits.text_too_deep(b'{"a": "\\"", "b": ' + b"[" * 64 + b"]" * 64 + b"}")
    assert not jsonlimits.text_too_deep(b'{"b": ' + b"[" * 63 + b"]" * 63 + b"}")
    assert jsonlimits.value_too_deep(json.loads(deep_object(65))) and not jsonlimits.value_too_deep({"a": [[1]]})


# ---------------------------------------------------------------------------------------------
# Many rejects


def test_million_rejected_records_are_counted_but_kept_bounded(db_url, tmp_path, memory_limit):
    n = 1_000_000
    path = write(tmp_path / HISTORY, b"[" + b",".join([b"{}"] * n) + b"]")      # 3 MB
    run = migrate(path, db_url, memory_limit, tmp_path)
    assert run.returncode == 0, run.stderr    # a readable file; every record is rejected and reported
    summary = run.summary
    assert summary["plays"]["read"] == n and summary["plays"]["rejected"] == n
    assert summary["rejects_total"] == n and summary["rejects_not_kept"] == n - MAX_REJECTS_KEPT
    assert len(summary["rejects"]) == MAX_REJECTS_KEPT
    assert summary["rejects"][0] == {"table": "plays", "key": f"{HISTORY}#1",
                                     "reason": "the record has neither ts nor endTime"}
    assert summary["rejects_by_reason"] == [{"table": "plays", "reason": "not a streaming record", "rows": n}]
    assert f"... and {n - 20:,} more (the first {MAX_REJECTS_KEPT:,} are in import_rejects" in run.stdout
    assert pg_rows(db_url, "select count(*) from import_rejects") == [(MAX_REJECTS_KEPT,)]
    assert pg_rows(db_url, "select (summary ->> 'rejects_total')::int, length(summary::text) < 500000 "
                           "from import_runs where status = 'done'") == [(n, True)]


def test_report_caps_its_file_listing_and_reasons():
    from migrate.spotify_export import FileStats

    report = Report(source="x", kind="spotify_export")
    for i in range(MAX_FILES_IN_REPORT + 500):
        report.add_file(FileStats(f"f{i}.json", "extended", "extended, audio").to_dict())
    for i in range(5_000):
        report.reject("plays", f"k{i}", f"reason number {i}")
    out = report.to_dict()
    assert len(out["files"]) == MAX_FILES_IN_REPORT and out["files_total"] == MAX_FILES_IN_REPORT + 500
    assert len(out["rejects"]) == MAX_REJECTS_KEPT and out["rejects_total"] == 5_000
    assert sum(r["rows"] for r in out["rejects_by_reason"]) == 5_000
    assert len(out["rejects_by_reason"]) <= 101
    assert "... and 500 more files" in report.render()


# ---------------------------------------------------------------------------------------------
# Damaged SQLite, lone surrogates


def test_sqlite_with_damaged_pages_is_unusable_in_one_line(db_url, tmp_path, memory_limit):
    path = make_sqlite(tmp_path / "damaged.db",
                       [(f"t{i}", "N" * 50, "A", "Al", 1000, None, f'{{"a": {i}}}') for i in range(3000)],
                       [(f"t{i}", "2024-01-01", "short_term", i + 1) for i in range(3000)])
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:              # page 1 (header and schema) stays intact
        for page in range(4, size // 4096, 3):
            fh.seek(page * 4096 + 100)
            fh.write(b"\xde\xad\xbe\xef" * 200)
    run = migrate(path, db_url, memory_limit, tmp_path)
    assert_one_line_error(run, 2, "damaged", "nothing was imported")
    assert pg_rows(db_url, "select count(*) from tracks") == [(0,)]


@pytest.mark.parametrize("escape", ["\\ud800", "\\udc00", "\\udbff\\ud800"])
def test_lone_surrogate_in_an_export_record_is_rejected_and_neighbours_land(db_url, tmp_path, memory_limit,
                                                                            escape):
    bad = good(11).replace(b'"Song"', f'"So{escape}ng"'.encode())
    pair = good(12).replace(b'"Song"', b'"So\\ud83c\\udfb5ng"')          # a valid pair: a note
    path = write(tmp_path / HISTORY, b"[" + good(10) + b"," + bad + b"," + pair + b"]")
    run = migrate(path, db_url, memory_limit, tmp_path)
    assert run.returncode == 0, run.stderr
    [reject] = run.summary["rejects"]
    assert reject["key"] == f"{HISTORY}#2"
    assert re.fullmatch(r"the record holds a lone UTF-16 surrogate \(\\ud[89a-f][0-9a-f]{2}\), which is not text",
                        reject["reason"])
    assert sorted(pg_rows(db_url, "select track from plays")) == [("Song",), ("So\N{MUSICAL NOTE}ng",)]


# ---------------------------------------------------------------------------------------------
# The same files uploaded on the Admin page: the import runs inside the server process


def test_nesting_bomb_uploaded_on_the_admin_page_is_one_line_and_the_server_stays_small(empty_url, monkeypatch):
    from tests.test_page_admin import admin_app

    at = admin_app(monkeypatch)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    at.file_uploader(key="admin_upload").set_value((HISTORY, b"[" * BOMB + b"]" * BOMB, "application/json"))
    at.run()
    at.button(key="admin_import_upload").click().run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "nothing but nesting" in errors[0] and "\n" not in errors[0]
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"\nadmin upload of the 200 KB bomb: this process's peak RSS grew {grown_mb:.0f} MB")
    assert grown_mb < LIMIT_OVER_BASELINE / 2**20   # was 4 GB for an 80 KB file
    assert pg_rows(empty_url, "select count(*) from plays") == [(0,)]
