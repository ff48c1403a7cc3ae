"""ui.auth: the Admin page's password gate (open on the embedded database, locked on a configured one)."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ui import auth

SECRET_URL = "postgresql://admin:hunter2-db@db.example.com:5432/mtm"


def gated_page():
    import streamlit as st

    from ui import auth

    if auth.require_admin():
        st.markdown("ADMIN CONTENT")


def app() -> AppTest:
    return AppTest.from_function(gated_page, default_timeout=30)


def shown(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "info", "error", "warning", "success", "caption", "text")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def no_password(monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)


@pytest.fixture
def configured_db(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", SECRET_URL)


def log_in(at: AppTest, password: str) -> AppTest:
    at.text_input(key="admin_password_input").set_value(password)
    return at.button[0].click().run()


def test_open_on_embedded_database_without_password_and_says_so(monkeypatch, no_password):
    monkeypatch.setattr("db.config.is_embedded", lambda: True)
    at = app().run()
    assert not at.exception
    assert "ADMIN CONTENT" in shown(at)
    assert "local embedded database" in at.info[0].value and "ADMIN_PASSWORD" in at.info[0].value


def test_open_when_database_url_is_unset(monkeypatch, no_password):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    at = app().run()
    assert "ADMIN CONTENT" in shown(at)


def test_locked_with_database_url_and_no_password(configured_db, no_password):
    at = app().run()
    assert not at.exception
    assert "ADMIN CONTENT" not in shown(at)
    assert "set the ADMIN_PASSWORD" in at.error[0].value.replace("Set the", "set the")
    assert len(at.text_input) == 0
    assert "hunter2-db" not in shown(at)


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_password_counts_as_unset(monkeypatch, configured_db, blank):
    monkeypatch.setenv("ADMIN_PASSWORD", blank)
    at = app().run()
    assert "ADMIN CONTENT" not in shown(at) and "ADMIN_PASSWORD" in at.error[0].value


def test_right_password_unlocks_and_stays_unlocked(monkeypatch, configured_db):
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse")
    at = app().run()
    assert "ADMIN CONTENT" not in shown(at)
    assert at.text_input(key="admin_password_input").proto.type == at.text_input(
        key="admin_password_input").proto.PASSWORD
    log_in(at, "correct horse")
    assert "ADMIN CONTENT" in shown(at)
    assert len(at.text_input) == 0
    at.run()
    assert "ADMIN CONTENT" in shown(at)
    assert "correct horse" not in shown(at)


def test_wrong_password_is_refused_and_each_failure_waits_longer(monkeypatch, configured_db):
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse")
    at = app().run()
    log_in(at, "wrong")
    assert "ADMIN CONTENT" not in shown(at)
    assert at.session_state[auth.STATE_FAILURES] == 1
    assert "1 failed attempt" in at.error[0].value
    log_in(at, "correct hors")
    assert at.session_state[auth.STATE_FAILURES] == 2
    assert "2 failed attempts" in at.error[0].value
    assert f"waits {auth.attempt_delay(3):g} s" in at.error[0].value
    log_in(at, "correct horse")
    assert "ADMIN CONTENT" in shown(at)
    assert at.session_state[auth.STATE_FAILURES] == 0


@pytest.mark.parametrize("given", ["", "x" * 5000, "correct horse\x00", "🐴🔋", "مرحبا", "' or 1=1 --",
                                   "correct horse ", "CORRECT HORSE"],
                         ids=["empty", "5000", "nul", "emoji", "rtl", "sql", "trailing-space", "case"])
def test_hostile_or_near_miss_passwords_are_refused_without_error(monkeypatch, configured_db, given):
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse")
    at = app().run()
    log_in(at, given)
    assert not at.exception
    assert "ADMIN CONTENT" not in shown(at)
    assert at.session_state[auth.STATE_FAILURES] == 1


def test_non_ascii_password_works(monkeypatch, configured_db):
    monkeypatch.setenv("ADMIN_PASSWORD", "pässwörd 🎧 كلمة")
    at = app().run()
    log_in(at, "pässwörd 🎧 كلمة")
    assert "ADMIN CONTENT" in shown(at)


def test_password_from_streamlit_secrets(monkeypatch, configured_db, no_password):
    at = app()
    at.secrets["ADMIN_PASSWORD"] = "from secrets"
    at.run()
    assert "ADMIN CONTENT" not in shown(at) and len(at.text_input) == 1
    log_in(at, "from secrets")
    assert "ADMIN CONTENT" in shown(at)


def test_environment_wins_over_secrets(monkeypatch, configured_db):
    monkeypatch.setenv("ADMIN_PASSWORD", "from env")
    at = app()
    at.secrets["ADMIN_PASSWORD"] = "from secrets"
    at.run()
    log_in(at, "from env")
    assert "ADMIN CONTENT" in shown(at)


def test_changing_the_password_signs_sessions_out(monkeypatch, configured_db):
    monkeypatch.setenv("ADMIN_PASSWORD", "first")
    at = app().run()
    log_in(at, "first")
    assert "ADMIN CONTENT" in shown(at)
    monkeypatch.setenv("ADMIN_PASSWORD", "second")
    at.run()
    assert "ADMIN CONTENT" not in shown(at)


@pytest.mark.parametrize("failures,delay", [(0, 0.0), (1, 0.5), (2, 1.0), (3, 2.0), (6, 16.0), (7, 30.0),
                                            (1000, 30.0)])
def test_attempt_delay_doubles_per_failure_up_to_a_cap(failures, delay):
    assert auth.attempt_delay(failures) == delay


@pytest.mark.parametrize("given,expected,match", [
    ("a", "a", True), ("a", "b", False), ("", "a", False), ("a", "", False), ("é", "é", True),
    ("e\u0301", "é", False), ("x" * 5000, "x" * 5000, True), ("\x00", "", False), ("\ud800", "\ud800", True),
])
def test_passwords_are_compared_exactly(given, expected, match):
    assert auth.passwords_match(given, expected) is match
