"""The Admin page's password gate.

The password comes from the ADMIN_PASSWORD environment variable, else from Streamlit secrets
(`ADMIN_PASSWORD` in .streamlit/secrets.toml). When neither is set the page is open only while the app
runs on the embedded local database (a laptop), and says so; with DATABASE_URL set (a deployment) it
stays locked until a password is configured.

The comparison is constant-time (hmac.compare_digest over UTF-8 bytes). Each failed attempt in a
session doubles a delay applied before the answer (0.5 s, 1 s, 2 s ... capped at 30 s), which makes
guessing slow without locking the real admin out. The password itself is never shown or logged; the
session remembers a keyed digest of it, so changing the password signs every session out.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time

import streamlit as st

from db import config

ENV_VAR = "ADMIN_PASSWORD"
BASE_DELAY_S = 0.5
MAX_DELAY_S = 30.0
MAX_PASSWORD_CHARS = 1_024
STATE_OK = "admin_auth_digest"
STATE_FAILURES = "admin_auth_failures"
_SESSION_KEY = secrets.token_bytes(32)   # per process: digests in session state are useless elsewhere

OPEN_EMBEDDED = ("The Admin page is open because the app runs on the local embedded database; "
                 "set ADMIN_PASSWORD to protect it.")
LOCKED_NO_PASSWORD = ("The Admin page is locked: the app runs on a configured database (DATABASE_URL) and "
                      "no admin password is set. Set the ADMIN_PASSWORD environment variable (or "
                      "ADMIN_PASSWORD in Streamlit secrets) and restart the app to use it.")


def configured_password() -> str | None:
    """ADMIN_PASSWORD from the environment, else from Streamlit secrets; None when unset or blank."""
    value = os.environ.get(ENV_VAR)
    if value is None or not value.strip():
        try:
            value = st.secrets.get(ENV_VAR)
        except Exception:  # noqa: BLE001 - no secrets file, or an unreadable one: treat as unset
            value = None
    if value is None:
        return None
    value = str(value)
    return value if value.strip() else None


def passwords_match(given: str, expected: str) -> bool:
    """Constant-time comparison of two passwords (any text, compared as UTF-8 bytes)."""
    given_b = str(given).encode("utf-8", "surrogatepass")
    expected_b = str(expected).encode("utf-8", "surrogatepass")
    return hmac.compare_digest(given_b, expected_b)


def attempt_delay(failures: int) -> float:
    """Seconds to wait before answering after `failures` failed attempts in this session."""
    if failures <= 0:
        return 0.0
    return min(BASE_DELAY_S * 2 ** min(failures - 1, 16), MAX_DELAY_S)


def _digest(password: str) -> str:
    return hmac.new(_SESSION_KEY, password.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def failures() -> int:
    return int(st.session_state.get(STATE_FAILURES, 0))


def is_unlocked(password: str) -> bool:
    """Whether this session signed in with the currently configured `password`."""
    stored = st.session_state.get(STATE_OK)
    return isinstance(stored, str) and hmac.compare_digest(stored, _digest(password))


def attempt(given: str, password: str, *, sleep=time.sleep) -> bool:
    """Check one password attempt; a failure raises the session's counter and waits its delay."""
    given = (given or "")[:MAX_PASSWORD_CHARS + 1]
    if len(given) <= MAX_PASSWORD_CHARS and passwords_match(given, password):
        st.session_state[STATE_OK] = _digest(password)
        st.session_state[STATE_FAILURES] = 0
        return True
    count = failures() + 1
    st.session_state[STATE_FAILURES] = count
    sleep(attempt_delay(count))
    return False


def sign_out() -> None:
    st.session_state.pop(STATE_OK, None)


def require_admin() -> bool:
    """Draw whatever the gate needs and say whether the rest of the Admin page may render."""
    password = configured_password()
    if password is None:
        if config.is_embedded():
            st.info(OPEN_EMBEDDED, icon="🔓")
            return True
        st.error(LOCKED_NO_PASSWORD, icon="🔒")
        return False
    if is_unlocked(password):
        return True
    box = st.empty()
    with box.container():
        st.info("The Admin page is protected: enter the admin password (ADMIN_PASSWORD).", icon="🔒")
        with st.form("admin_login", clear_on_submit=True):
            given = st.text_input("Admin password", type="password", max_chars=MAX_PASSWORD_CHARS,
                                  key="admin_password_input")
            submitted = st.form_submit_button("Unlock")
        if submitted:
            if attempt(given, password):
                box.empty()
                return True
            wait = attempt_delay(failures() + 1)
            st.error(f"Wrong password ({failures()} failed attempt{'s' if failures() != 1 else ''} in this "
                     f"session; the next failure waits {wait:g} s).", icon="🚫")
    return False
