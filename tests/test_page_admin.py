"""The Admin page: import by path and by upload, the runs list, EXPLAIN ANALYZE; and its upload helpers."""
from __future__ import annotations

import io
import json
import os
import stat
import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT, TEXT_KINDS, figures, make_sqlite, page_texts, pg_rows
from ui import admin_view as view

PAGE = os.path.join(ROOT, "app_pages", "admin.py")
PASSWORD = "admin test password"
ALBUM = {"id": "al1", "name": "Alb", "release_date": "1999-03-01", "release_date_precision": "day"}


def track(tid, name="Song", artist="Artist"):
    return (tid, name, artist, "Alb", 200_000, f"https://open.spotify.com/track/{tid}",
            json.dumps({"id": tid, "name": name, "album": ALBUM, "artists": [{"name": artist}]}))


def small_file(tmp_path, name="small.db"):
    """Two good tracks, one without a name (rejected), and two snapshots."""
    return make_sqlite(tmp_path / name, [track("t1"), track("t2", "Björk song", "Björk"),
                                         ("t3", None, "Nobody", None, None, None, None)],
                       [("t1", "2024-01-01", "short_term", 1), ("t2", "2024-01-01", "short_term", 2)])


def admin_app(monkeypatch) -> AppTest:
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    at.text_input(key="admin_password_input").set_value(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """The admin page's texts, its plain text and code blocks too (page_texts of TEXT_KINDS and those)."""
    return page_texts(at, TEXT_KINDS + ("text", "code"))


def frame_with(at: AppTest, column: str):
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no dataframe with column {column!r}"
    return frames[0]


@pytest.fixture
def import_dir(monkeypatch, tmp_path):
    """Import by path is on (as on a local-only server) and confined to tmp_path (MTM_IMPORT_DIR)."""
    from ui import auth

    monkeypatch.setattr(auth, "exposure", lambda: None)
    monkeypatch.setenv("MTM_IMPORT_DIR", str(tmp_path))
    return tmp_path


def import_path(at: AppTest, path: str) -> AppTest:
    at.text_input(key="admin_import_path").set_value(path)
    at.button(key="admin_import_path_go").click().run()
    assert not at.exception, at.exception
    return at


def test_page_is_locked_on_a_configured_database_without_password(empty_url, monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert "ADMIN_PASSWORD" in at.error[0].value
    assert not at.tabs and not at.button
    assert "postgresql://" not in texts(at)


def test_database_is_shown_without_its_password(empty_url, monkeypatch):
    at = admin_app(monkeypatch)
    caption = next(c.value for c in at.caption if c.value.startswith("Database:"))
    from db.config import redact

    assert caption == f"Database: {redact(empty_url)}"


def test_import_by_server_path_shows_counts_rejects_and_the_run(empty_url, monkeypatch, tmp_path, import_dir):
    at = admin_app(monkeypatch)
    import_path(at, small_file(tmp_path))
    counts = frame_with(at, "inserted").set_index("table")
    assert counts.loc["tracks", "read"] == 3 and counts.loc["tracks", "inserted"] == 2
    assert counts.loc["tracks", "rejected"] == 1 and counts.loc["snapshots", "inserted"] == 2
    rejects = frame_with(at, "reason")
    assert rejects.to_dict("records") == [{"table": "tracks", "key": "t3", "reason": "name is missing (NULL)"}]
    assert "Verification passed" in at.success[0].value
    checks = frame_with(at, "check")
    assert len(checks) and set(checks["ok"]) == {"✅"}

    runs = frame_with(at, "run_id")
    assert runs.iloc[0]["source"] == "small.db" and runs.iloc[0]["status"] == "done"
    assert runs.iloc[0]["inserted"] == 4 and runs.iloc[0]["rejected"] == 1 and bool(runs.iloc[0]["verified"])
    stored = frame_with(at, "row_key")
    assert stored.to_dict("records") == [{"table_name": "tracks", "row_key": "t3", "reason": "name is missing (NULL)"}]
    assert pg_rows(empty_url, "select count(*) from tracks") == [(2,)]


def test_second_import_of_same_file_changes_nothing_and_lists_two_runs(empty_url, monkeypatch, tmp_path, import_dir):
    at = admin_app(monkeypatch)
    path = small_file(tmp_path)
    import_path(at, path)
    import_path(at, path)
    counts = frame_with(at, "inserted").set_index("table")
    assert counts.loc["tracks", "inserted"] == 0 and counts.loc["tracks", "unchanged"] == 2
    assert len(frame_with(at, "run_id")) == 2


def test_import_clears_the_page_caches(empty_url, monkeypatch, tmp_path, import_dir):
    from ui import cached

    assert cached.query("overview_counts").df.at[0, "tracks"] == 0
    at = admin_app(monkeypatch)
    import_path(at, small_file(tmp_path))
    assert cached.query("overview_counts").df.at[0, "tracks"] == 2


@pytest.mark.parametrize("content,message", [
    (b"hello, this is text", "neither a Music Time Machine SQLite file nor a Spotify data export"),
    (b"", "the file is empty"),
    (b"SQLite format 3\x00" + b"\x00" * 200, "not a usable SQLite database"),
], ids=["text", "empty", "corrupt-sqlite"])
def test_unusable_file_shows_one_line_and_writes_nothing(empty_url, monkeypatch, tmp_path, content, message, import_dir):
    path = tmp_path / "bad.db"
    path.write_bytes(content)
    at = admin_app(monkeypatch)
    import_path(at, str(path))
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and message in errors[0] and errors[0].startswith("Nothing was imported")
    assert "\n" not in errors[0] and "Traceback" not in texts(at)
    assert not [d for d in at.dataframe if "inserted" in d.value.columns]
    assert pg_rows(empty_url, "select count(*) from import_runs") == [(0,)]
    assert pg_rows(empty_url, "select count(*) from tracks") == [(0,)]


@pytest.mark.parametrize("typed", ["", "   ", "/no/such/dir/🎧.db", "'; drop table tracks; --", "a\x00b.db",
                                   "x" * 5000, "C:\\music\\mtm.db", "%s%s%_", "مرحبا.db"],
                         ids=["empty", "spaces", "missing", "sql", "nul", "5000", "backslash", "percent", "rtl"])
def test_hostile_server_paths_give_a_message_and_write_nothing(empty_url, monkeypatch, typed, import_dir):
    at = admin_app(monkeypatch)
    import_path(at, typed)
    assert at.error and at.error[0].value.startswith("Nothing was imported")
    assert pg_rows(empty_url, "select count(*) from import_runs") == [(0,)]


def test_import_by_upload(empty_url, monkeypatch, tmp_path):
    data = Path(small_file(tmp_path, "my export.db")).read_bytes()
    staged_before = set(os.listdir(tempfile.gettempdir()))
    at = admin_app(monkeypatch)
    at.file_uploader(key="admin_upload").set_value(("my export.db", data, "application/octet-stream"))
    at.run()
    at.button(key="admin_import_upload").click().run()
    assert not at.exception, at.exception
    assert frame_with(at, "inserted").set_index("table").loc["tracks", "inserted"] == 2
    assert frame_with(at, "run_id").iloc[0]["source"] == "my_export.db"
    left = set(os.listdir(tempfile.gettempdir())) - staged_before
    assert not [p for p in left if p.startswith("mtm-upload-")]


def test_upload_that_is_not_sqlite_is_refused_before_any_work(empty_url, monkeypatch):
    at = admin_app(monkeypatch)
    at.file_uploader(key="admin_upload").set_value(("fake.db", b"<html>not a database</html>", "text/html"))
    at.run()
    at.button(key="admin_import_upload").click().run()
    assert not at.exception
    assert "not a SQLite database" in at.error[0].value
    assert pg_rows(empty_url, "select count(*) from import_runs") == [(0,)]


def test_runs_list_is_empty_on_a_fresh_database(empty_url, monkeypatch):
    at = admin_app(monkeypatch)
    assert "No imports have run on this database yet." in texts(at)


def test_explain_section_shows_the_plan_tree(demo_url, monkeypatch):
    at = admin_app(monkeypatch)
    at.selectbox(key="explain_query").set_value("currently_obsessed").run()
    assert at.text_input(key="explain_currently_obsessed_time_range").value == "short_term"
    assert at.number_input(key="explain_currently_obsessed_limit").value == 10
    at.button(key="FormSubmitter:explain_form_currently_obsessed-Run EXPLAIN ANALYZE").click().run()
    assert not at.exception, at.exception
    plan = frame_with(at, "exclusive_ms")
    assert plan.iloc[0]["node"].startswith("Limit")
    assert plan["node"].str.startswith(view.INDENT).any()                 # children are indented
    assert (plan["exclusive_ms"] >= 0).all() and (plan["inclusive_ms"] >= plan["exclusive_ms"] - 1e-9).all()
    shown = figures(at)
    assert shown["Execution time"][0].endswith(" ms") and shown["Planning time"][0].endswith(" ms")
    assert any("Execution Time:" in c.value for c in at.code)
    assert any('"Node Type"' in c.value for c in at.code)


def test_explain_binds_typed_hostile_values(demo_url, monkeypatch):
    at = admin_app(monkeypatch)
    at.selectbox(key="explain_query").set_value("currently_obsessed").run()
    at.text_input(key="explain_currently_obsessed_time_range").set_value("'; drop table tracks; --")
    at.button(key="FormSubmitter:explain_form_currently_obsessed-Run EXPLAIN ANALYZE").click().run()
    assert not at.exception
    assert frame_with(at, "exclusive_ms").iloc[0]["actual_rows"] == 0
    assert pg_rows(demo_url, "select count(*) > 0 from tracks") == [(True,)]


def test_explain_nul_value_gives_a_message(demo_url, monkeypatch):
    at = admin_app(monkeypatch)
    at.selectbox(key="explain_query").set_value("currently_obsessed").run()
    at.text_input(key="explain_currently_obsessed_time_range").set_value("a\x00b")
    at.button(key="FormSubmitter:explain_form_currently_obsessed-Run EXPLAIN ANALYZE").click().run()
    assert not at.exception
    assert "NUL" in at.error[0].value


def test_explain_offers_no_refresh_queries(demo_url, monkeypatch):
    at = admin_app(monkeypatch)
    options = at.selectbox(key="explain_query").options
    assert options and not [o for o in options if o.startswith("refresh_")]


# ---------------------------------------------------------------------------------------------
# Upload helpers (no Streamlit)


def test_staged_upload_is_private_and_removed_afterwards(tmp_path):
    data = Path(small_file(tmp_path)).read_bytes()
    with view.staged_upload("../../etc/My Music.db", io.BytesIO(data)) as path:
        folder = os.path.dirname(path)
        assert os.path.basename(path) == "My_Music.db"
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert Path(path).read_bytes() == data
    assert not os.path.exists(folder)


def test_staged_upload_is_removed_when_the_import_fails(tmp_path):
    data = Path(small_file(tmp_path)).read_bytes()
    with pytest.raises(RuntimeError), view.staged_upload("a.db", io.BytesIO(data)) as path:
        raise RuntimeError("import blew up")
    assert not os.path.exists(os.path.dirname(path))


@pytest.mark.parametrize("name,content,message", [
    ("a.txt", b"SQLite format 3\x00...", "only .db"),
    ("a", b"SQLite format 3\x00...", "only .db"),
    ("a.db", b"", "empty"),
    ("a.db", b"GIF89a", "not a SQLite database"),
    ("a.sqlite3", b"PK\x03\x04", "not a SQLite database"),
    ("a.zip", b"SQLite format 3\x00", "not a zip"),
    ("a.json", b"hello", "not a JSON"),
    ("a.db", b"SQLite format 3\x00" + b"\x00" * 2000, "upload limit"),
])
def test_bad_uploads_are_refused_before_anything_is_written(name, content, message):
    with pytest.raises(view.UploadRejected, match=message), view.staged_upload(name, io.BytesIO(content), limit=1000):
        pytest.fail("should not get here")


@pytest.mark.parametrize("name,content,kind", [
    ("a.db", b"SQLite format 3\x00", "sqlite"),
    ("A.SQLITE", b"SQLite format 3\x00", "sqlite"),
    ("x.zip", b"PK\x03\x04rest", "spotify_export"),
    ("x.json", b"\xef\xbb\xbf  [{}]", "spotify_export"),
    ("x.json", b'\n{"a": 1}', "spotify_export"),
])
def test_acceptable_upload_kinds(name, content, kind):
    assert view.upload_kind(name, content[:16], len(content)) == kind


@pytest.mark.parametrize("name,safe", [
    ("../../etc/passwd.db", "passwd.db"), ("C:\\Users\\me\\mtm.db", "mtm.db"), ("a\x00b.db", "ab.db"),
    ("🎧 mix.sqlite", "mix.sqlite"), (".db", "upload.db"), ("x" * 300 + ".db", "x" * 97 + ".db"),
    ("'; drop table.db", "drop_table.db"),
])
def test_safe_filename(name, safe):
    assert view.safe_filename(name) == safe


@pytest.mark.parametrize("example,kind,raw,value", [
    (True, "checkbox", False, False), (10, "int", 7.0, 7), (0.5, "float", 2, 2.0),
    (["a", "b"], "json", '["x"]', ["x"]), ({"a": 1}, "json", '{"b": 2}', {"b": 2}),
    ("love", "text", "hate", "hate"), (None, "text", None, ""),
])
def test_parameter_fields_follow_the_example_type(example, kind, raw, value):
    assert view.field_kind(example) == kind
    assert view.parse_field(kind, raw) == value


def test_bad_json_parameter_is_a_readable_error():
    with pytest.raises(ValueError, match="not valid JSON"):
        view.parse_field("json", "[1, 2")


def test_json_parameter_with_a_huge_integer_is_a_readable_error():
    # json.loads raises a plain ValueError (Python's int conversion limit), not a JSONDecodeError
    with pytest.raises(ValueError, match="^not usable here: a number of more than 4,300 digits$"):
        view.parse_field("json", "[" + "9" * 4_301 + "]")
    assert view.parse_field("json", "[" + "9" * 4_300 + "]") == [int("9" * 4_300)]


def test_spotify_export_zip_uploaded_on_the_admin_page_imports_every_play_and_reruns_add_nothing(
        empty_url, monkeypatch, tmp_path):
    """The zip as Spotify sends it (files in a nested folder, other files beside them) through the
    upload box: the same import as the CLI, its per-file report, and the plays in the database."""
    import zipfile

    from tests import plays_data

    folder = tmp_path / "export"
    plays_data.build_export(str(folder), records=300, edges=False)
    zipped = tmp_path / "my_spotify_data.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in folder.rglob("*"):
            if path.is_file():
                zf.write(path, "Spotify Account Data/" + str(path.relative_to(folder)))
        zf.writestr("Spotify Account Data/ReadMeFirst.pdf", b"%PDF-1.4")
    expected = {"plays": None}
    for attempt in (1, 2):
        at = admin_app(monkeypatch)
        at.file_uploader(key="admin_upload").set_value((zipped.name, zipped.read_bytes(), "application/zip"))
        at.run()
        at.button(key="admin_import_upload").click().run()
        assert not at.exception, at.exception
        stored = pg_rows(empty_url, "select count(*) from plays")[0][0]
        if attempt == 1:
            assert stored > 0
            expected["plays"] = stored
            files = frame_with(at, "already present").set_index("file")
            assert files.loc[files["format"] != "ignored", "inserted"].sum() == stored
            assert files.loc["Spotify Account Data/ReadMeFirst.pdf", "format"] == "ignored"
        else:
            assert stored == expected["plays"]                     # the rerun adds nothing
            assert frame_with(at, "already present")["inserted"].fillna(0).sum() == 0
        runs = frame_with(at, "run_id")
        assert runs.iloc[0]["source"] == zipped.name and len(runs) == attempt


def test_an_imported_upload_is_freed_and_the_uploader_is_empty_again(empty_url, tmp_path, monkeypatch):
    """After an import the uploaded bytes leave Streamlit's in-memory store (they used to stay until the
    browser session ended) and the uploader offers a fresh, empty widget for the next file."""
    data = Path(small_file(tmp_path, "one.db")).read_bytes()
    at = admin_app(monkeypatch)
    at.file_uploader(key="admin_upload").set_value(("one.db", data, "application/octet-stream"))
    at.run()
    at.button(key="admin_import_upload").click().run()
    assert not at.exception
    assert pg_rows(empty_url, "select count(*) from tracks") == [(2,)]
    assert at.session_state["admin_upload_generation"] == 1
    assert [u.key for u in at.file_uploader] == ["admin_upload_1"]
    assert at.file_uploader[0].value is None
