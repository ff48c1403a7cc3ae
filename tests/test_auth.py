"""ui.auth: the Admin page's password gate (open only on a local-only server), its limits on guessing,
and the registry of sessions that may upload."""
from __future__ import annotations

import logging

import pytest
from streamlit.testing.v1 import AppTest

from server import guard
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


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch):
    """Each test starts with no failures remembered, on a clock it controls, and no pacing sleeps."""
    clock = FakeClock()
    monkeypatch.setattr(auth, "THROTTLE", auth.Throttle(clock=clock))
    monkeypatch.setattr(auth.time, "sleep", lambda s: None)
    guard.ADMIN_SESSIONS.clear()
    return clock


@pytest.fixture
def no_password(monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)


@pytest.fixture
def configured_db(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", SECRET_URL)


@pytest.fixture
def local(monkeypatch):
    """The embedded database on a loopback address: what `make run` serves by default."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(auth, "listen_address", lambda: "127.0.0.1")


def log_in(at: AppTest, password: str) -> AppTest:
    at.text_input(key="admin_password_input").set_value(password)
    return at.button[0].click().run()


def test_open_on_embedded_database_on_loopback_without_password_and_says_so(local, no_password):
    at = app().run()
    assert not at.exception
    assert "ADMIN CONTENT" in shown(at)
    assert "local embedded database" in at.info[0].value and "ADMIN_PASSWORD" in at.info[0].value


@pytest.mark.parametrize("address", [None, "0.0.0.0", "::", "192.168.1.20", "example.org", "unix:///tmp/s"])
def test_locked_on_embedded_database_reachable_from_outside(monkeypatch, no_password, address):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(auth, "listen_address", lambda: address)
    at = app().run()
    assert "ADMIN CONTENT" not in shown(at)
    message = at.error[0].value
    assert "Set the ADMIN_PASSWORD environment variable" in message and "HOST=127.0.0.1" in message
    assert len(at.text_input) == 0


def test_locked_for_a_browser_connecting_from_another_machine(local, no_password, monkeypatch):
    """However the server was started, a client from another address never sees the open Admin page."""
    monkeypatch.setattr(auth, "client_address", lambda: "192.168.1.30")
    at = app().run()
    assert "ADMIN CONTENT" not in shown(at)
    assert "this browser connects from 192.168.1.30" in at.error[0].value


@pytest.mark.parametrize("address,loopback", [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True),
                                              ("[::1]", True), ("localhost", True), ("0.0.0.0", False),
                                              ("", False), (None, False), ("10.0.0.1", False)])
def test_loopback_addresses(address, loopback):
    assert auth.is_loopback(address) is loopback


def test_locked_with_database_url_and_no_password(configured_db, no_password, monkeypatch):
    monkeypatch.setattr(auth, "listen_address", lambda: "127.0.0.1")   # a deployment, even on loopback
    at = app().run()
    assert not at.exception
    assert "ADMIN CONTENT" not in shown(at)
    assert "Set the ADMIN_PASSWORD" in at.error[0].value and "railway variable set" in at.error[0].value
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


def test_wrong_password_is_refused_and_says_how_many_attempts_are_left(monkeypatch, configured_db):
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse")
    at = app().run()
    log_in(at, "wrong")
    assert "ADMIN CONTENT" not in shown(at)
    assert "4 more attempts from your address" in at.error[0].value
    log_in(at, "correct hors")
    assert "3 more attempts" in at.error[0].value
    log_in(at, "correct horse")
    assert "ADMIN CONTENT" in shown(at)
    assert auth.THROTTLE.failures("local") == 0


def test_fresh_sessions_share_the_limit_of_their_address_until_the_window_passes(monkeypatch, configured_db,
                                                                                  fresh_limits):
    """A reload used to start the back-off again: now every fresh session from one address counts."""
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse")
    answers = []
    for _ in range(8):
        answers.append(log_in(app().run(), "guess").error[0].value)
    assert all(a.startswith("Wrong password") for a in answers[:auth.MAX_FAILURES])
    assert all(a.startswith("Too many failed attempts from your address") for a in answers[auth.MAX_FAILURES:])
    # Locked: even the right password is not checked.
    at = log_in(app().run(), "correct horse")
    assert "ADMIN CONTENT" not in shown(at) and "Too many failed attempts" in at.error[0].value
    fresh_limits.now += auth.WINDOW_S + 1
    at = log_in(app().run(), "correct horse")
    assert "ADMIN CONTENT" in shown(at)


def test_another_address_is_not_locked_out_by_an_attackers_failures(fresh_limits):
    throttle = auth.Throttle(clock=fresh_limits)
    for _ in range(20):
        throttle.begin("203.0.113.9")
    assert throttle.locked_for("203.0.113.9") > 0
    assert throttle.locked_for("198.51.100.7") == 0
    verdict, _, count = throttle.begin("198.51.100.7")
    assert (verdict, count) == ("go", 1)


def test_global_pace_only_slows_checks_until_the_queue_is_too_long(fresh_limits):
    throttle = auth.Throttle(clock=fresh_limits, spacing_s=0.5, max_wait_s=30)
    waits = [throttle.begin(f"10.0.{i // 250}.{i % 250}") for i in range(61)]
    assert [w[0] for w in waits] == ["go"] * 61
    assert [w[1] for w in waits[:4]] == [0.0, 0.5, 1.0, 1.5] and waits[60][1] == 30.0
    assert throttle.begin("10.9.9.9") == ("busy", 0.0, 0)
    fresh_limits.now += 31
    assert throttle.begin("10.9.9.9") == ("go", 0.0, 1)


def test_throttle_memory_is_bounded(fresh_limits):
    throttle = auth.Throttle(clock=fresh_limits, spacing_s=0, max_clients=100)
    for i in range(1_000):
        throttle.begin(f"10.1.{i // 250}.{i % 250}")
    assert len(throttle._failures) <= 101


def test_failures_are_logged_with_the_address_but_never_the_password(monkeypatch, configured_db, caplog):
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse")
    with caplog.at_level(logging.WARNING, logger="mtm.auth"):
        for _ in range(auth.MAX_FAILURES + 1):
            log_in(app().run(), "s3cret-guess")
        log_in(app().run(), "correct horse")
    text = caplog.text
    assert "failed attempt from local (1 of 5" in text and "refused: local is locked out" in text
    assert "s3cret-guess" not in text and "correct horse" not in text


def test_unlocked_session_is_registered_for_uploads_and_signing_out_removes_it(monkeypatch, configured_db):
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse")
    granted = []
    monkeypatch.setattr(guard.ADMIN_SESSIONS, "grant", lambda sid: granted.append(sid))
    revoked = []
    monkeypatch.setattr(guard.ADMIN_SESSIONS, "revoke", lambda sid: revoked.append(sid))
    at = app().run()
    assert not granted
    log_in(at, "correct horse")
    assert granted and granted[-1]
    at.session_state[auth.STATE_OK] = "signed out"
    at.run()
    assert revoked[-1] == granted[-1]


@pytest.mark.parametrize("given", ["", "x" * 5000, "correct horse\x00", "🐴🔋", "مرحبا", "' or 1=1 --",
                                   "correct horse ", "CORRECT HORSE"],
                         ids=["empty", "5000", "nul", "emoji", "rtl", "sql", "trailing-space", "case"])
def test_hostile_or_near_miss_passwords_are_refused_without_error(monkeypatch, configured_db, given):
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse")
    at = app().run()
    log_in(at, given)
    assert not at.exception
    assert "ADMIN CONTENT" not in shown(at)
    assert auth.THROTTLE.failures("local") == 1


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


@pytest.mark.parametrize("given,expected,match", [
    ("a", "a", True), ("a", "b", False), ("", "a", False), ("a", "", False), ("é", "é", True),
    ("e\u0301", "é", False), ("x" * 5000, "x" * 5000, True), ("\x00", "", False), ("\ud800", "\ud800", True),
])
def test_passwords_are_compared_exactly(given, expected, match):
    assert auth.passwords_match(given, expected) is match
