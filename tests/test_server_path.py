"""Import by path on the Admin page: off where other machines can reach the server; elsewhere confined to
the import folder (MTM_IMPORT_DIR), without link escapes, revealing nothing outside it."""
from __future__ import annotations

import os

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT
from ui import admin_view as view

PAGE = os.path.join(ROOT, "app_pages", "admin.py")
UNKNOWN = "there is no such file or folder in the import folder"


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "imports"
    folder.mkdir()
    (folder / "mine.db").write_bytes(b"SQLite format 3\x00")
    (folder / "export").mkdir()
    (folder / "export" / "Streaming_History_Audio_2024.json").write_text("[]")
    (tmp_path / "outside.db").write_bytes(b"SQLite format 3\x00")
    return folder


def test_relative_and_absolute_paths_inside_the_folder_resolve(root):
    assert view.server_path("mine.db", str(root)) == str(root / "mine.db")
    assert view.server_path(str(root / "export"), str(root)) == str(root / "export")
    assert view.server_path(".", str(root)) == str(root)


@pytest.mark.parametrize("typed", ["/etc", "/etc/passwd", "/root", "/", "/proc", "../outside.db", "../imports/../outside.db",
                                   "/no/such/dir", "missing.db", "export/../../outside.db", "~/.ssh", "/dev/zero"])
def test_anything_outside_or_missing_gets_the_same_message(root, typed):
    with pytest.raises(view.UploadRejected) as caught:
        view.server_path(typed, str(root))
    assert str(caught.value) == UNKNOWN + " (MTM_IMPORT_DIR)"


def test_a_link_out_of_the_folder_is_not_followed(root, tmp_path):
    os.symlink(tmp_path / "outside.db", root / "link.db")
    os.symlink("/etc", root / "etc")
    for typed in ("link.db", "etc", "etc/passwd"):
        with pytest.raises(view.UploadRejected, match=UNKNOWN):
            view.server_path(typed, str(root))


def test_a_folder_holding_a_link_out_is_refused(root, tmp_path):
    os.symlink("/etc", root / "export" / "sneaky")
    with pytest.raises(view.UploadRejected, match="link that leads out"):
        view.server_path("export", str(root))


def test_a_link_inside_the_folder_is_fine(root):
    os.symlink(root / "mine.db", root / "alias.db")
    assert view.server_path("alias.db", str(root)) == str(root / "mine.db")


def test_folder_listing_is_capped(root, monkeypatch):
    monkeypatch.setattr(view, "MAX_FOLDER_ENTRIES", 5)
    for i in range(6):
        (root / "export" / f"f{i}.json").write_text("[]")
    with pytest.raises(view.UploadRejected, match="more than 5 entries"):
        view.server_path("export", str(root))


def test_missing_import_folder_says_how_to_create_it(tmp_path):
    with pytest.raises(view.UploadRejected, match="does not exist: create it"):
        view.server_path("x.db", str(tmp_path / "nope"))


def test_default_import_folder_is_under_data(monkeypatch):
    monkeypatch.delenv("MTM_IMPORT_DIR", raising=False)
    assert view.import_root() == os.path.join(ROOT, ".data", "imports")
    monkeypatch.setenv("MTM_IMPORT_DIR", "/srv/music")
    assert view.import_root() == "/srv/music"


def _admin_page(monkeypatch) -> AppTest:
    monkeypatch.setenv("ADMIN_PASSWORD", "pw")
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.text_input(key="admin_password_input").set_value("pw")
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def test_path_import_is_off_on_a_hosted_server(empty_url, monkeypatch):
    at = _admin_page(monkeypatch)   # DATABASE_URL is set: a deployment
    assert not [t for t in at.text_input if t.key == "admin_import_path"]
    caption = next(c.value for c in at.caption if "Import from a path" in c.value)
    assert "is off" in caption and "DATABASE_URL" in caption


def test_path_import_from_the_page_stays_in_the_folder(empty_url, monkeypatch, root):
    from ui import auth

    monkeypatch.setattr(auth, "exposure", lambda: None)
    monkeypatch.setenv("MTM_IMPORT_DIR", str(root))
    at = _admin_page(monkeypatch)
    for typed in ("/etc", "/no/such/path"):
        at.text_input(key="admin_import_path").set_value(typed)
        at.button(key="admin_import_path_go").click().run()
        assert at.error[0].value == f"Nothing was imported: {UNKNOWN} (MTM_IMPORT_DIR)"
        assert "passwd" not in str(at.error[0].value)
