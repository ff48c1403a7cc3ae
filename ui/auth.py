"""The Admin page's password gate, and whether this server can be reached from other machines.

The password comes from the ADMIN_PASSWORD environment variable, else from Streamlit secrets
(`ADMIN_PASSWORD` in .streamlit/secrets.toml). Without one the page is open only while the server cannot
be reached from other machines: the embedded local database (no DATABASE_URL) and a loopback address
(HOST=127.0.0.1, the default of `make run`). Anywhere else (DATABASE_URL set, as on Railway, or a
non-loopback HOST) it stays locked and says how to set a password.

Guessing is limited per client address and globally (`Throttle`): 5 failed attempts per address in a
sliding 15-minute window, after which that address is refused without its guess being checked, and at
most one check every 0.5 s on the whole server (a check waits for its turn, or is refused when the queue
is over 30 s long). A correct password clears its address's failures, so the real admin is never
locked out by someone else's guesses from another address; an attacker who uses many addresses only
slows every check down. Failures and refusals are logged (logger `mtm.auth`) with the client's address,
never the password. The client's address is Streamlit's view of the websocket connection, which app.py's
ClientAddressMiddleware derives from the proxy headers only for MTM_TRUSTED_PROXIES.

The comparison is constant-time (hmac.compare_digest over UTF-8 bytes). The session remembers a keyed
digest of the password, so changing the password signs every session out. A session that passes the
gate is registered in server.guard.ADMIN_SESSIONS: only such a session may upload files.
"""
from __future__ import annotations

import collections
import hashlib
import hmac
import ipaddress
import logging
import secrets
import threading
import time
from dataclasses import dataclass

import streamlit as st

from db import config
from server import guard

ENV_VAR = "ADMIN_PASSWORD"
MAX_PASSWORD_CHARS = 1_024
MAX_FAILURES = 5              # per client address ...
WINDOW_S = 15 * 60            # ... in this sliding window
SPACING_S = 0.5               # at most one password check per 0.5 s on the whole server
MAX_WAIT_S = 30.0             # a check that would wait longer for its turn is refused
STATE_OK = "admin_auth_digest"
_SESSION_KEY = secrets.token_bytes(32)   # per process: digests in session state are useless elsewhere

log = logging.getLogger("mtm.auth")

OPEN_LOCAL = ("The Admin page is open because the app runs on the local embedded database and listens only "
              "on this computer (loopback); set ADMIN_PASSWORD to protect it.")
SET_PASSWORD = ("Set the ADMIN_PASSWORD environment variable (on Railway: `railway variable set ADMIN_PASSWORD "
                "--stdin --service dashboard`; or ADMIN_PASSWORD in .streamlit/secrets.toml) and restart the app.")
LOCAL_HINT = " On your own computer you can instead serve on loopback only (HOST=127.0.0.1, the default of `make run`)."


# ---------------------------------------------------------------------------------------------
# Where the server can be reached from


def listen_address() -> str | None:
    """The address Streamlit listens on (--server.address / HOST), None when unset (every interface)."""
    from streamlit import config as st_config

    value = st_config.get_option("server.address")
    return str(value).strip() if value else None


def is_loopback(address: str | None) -> bool:
    if not address:
        return False                      # unset: Streamlit binds every interface
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False                      # a host name or a unix socket: assume reachable


def exposure() -> str | None:
    """Why other machines can reach this server (a short phrase), or None when it is local only."""
    if config.configured_url() is not None:
        return "it uses a configured database (DATABASE_URL), as a deployment does"
    address = listen_address()
    if not is_loopback(address):
        return f"it listens on {address or 'every interface'} (HOST)"
    client = client_address()
    if client != "local":      # e.g. another ASGI server bound elsewhere, or a proxy in MTM_TRUSTED_PROXIES
        return f"this browser connects from {client}"
    return None


def is_exposed() -> bool:
    return exposure() is not None


# ---------------------------------------------------------------------------------------------
# The password


def configured_password() -> str | None:
    """ADMIN_PASSWORD from the environment, else from Streamlit secrets; None when unset or blank."""
    from db import settings

    value = settings.get(ENV_VAR)
    if not value:
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


def _digest(password: str) -> str:
    return hmac.new(_SESSION_KEY, password.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def is_unlocked(password: str) -> bool:
    """Whether this session signed in with the currently configured `password`."""
    stored = st.session_state.get(STATE_OK)
    return isinstance(stored, str) and hmac.compare_digest(stored, _digest(password))


# ---------------------------------------------------------------------------------------------
# Limits on guessing


class Throttle:
    """Failed attempts per client address in a sliding window, and a global pace of password checks.

    Thread-safe (every browser session runs its script in its own thread). An attempt is counted as a
    failure when it starts and forgiven when it succeeds, so parallel sessions from one address cannot
    slip past the limit between check and count. Memory is bounded: at most `max_clients` addresses are
    remembered (those with no failure left in the window go first).
    """

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S, spacing_s: float = SPACING_S,
                 max_wait_s: float = MAX_WAIT_S, clock=time.monotonic, max_clients: int = 100_000) -> None:
        self.max_failures, self.window_s = max_failures, window_s
        self.spacing_s, self.max_wait_s = spacing_s, max_wait_s
        self.clock, self.max_clients = clock, max_clients
        self._failures: dict[str, collections.deque] = {}
        self._next_slot = 0.0
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> collections.deque:
        times = self._failures.get(client)
        if times is None:
            times = self._failures[client] = collections.deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def locked_for(self, client: str) -> float:
        """Seconds until `client` may try again (0 when it may now)."""
        now = self.clock()
        with self._lock:
            times = self._recent(client, now)
            return times[0] + self.window_s - now if len(times) >= self.max_failures else 0.0

    def failures(self, client: str) -> int:
        with self._lock:
            return len(self._recent(client, self.clock()))

    def begin(self, client: str) -> tuple[str, float, int]:
        """(verdict, seconds, failures): ('locked', seconds left, n) | ('busy', 0, n) | ('go', seconds to wait
        for this check's turn, n counting this attempt)."""
        now = self.clock()
        with self._lock:
            times = self._recent(client, now)
            if len(times) >= self.max_failures:
                return "locked", times[0] + self.window_s - now, len(times)
            start = max(now, self._next_slot)
            if start - now > self.max_wait_s:
                return "busy", 0.0, len(times)
            self._next_slot = start + self.spacing_s
            times.append(now)
            if len(self._failures) > self.max_clients:
                self._forget(now)
            return "go", start - now, len(times)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _forget(self, now: float) -> None:
        for key in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.window_s]:
            del self._failures[key]
        while len(self._failures) > self.max_clients:
            del self._failures[next(iter(self._failures))]

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()
            self._next_slot = 0.0


THROTTLE = Throttle()


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str = ""


def client_address() -> str:
    """The browser's address as Streamlit saw its connection ('local' for loopback or unknown)."""
    try:
        address = st.context.ip_address
        return str(ipaddress.ip_address(address)) if isinstance(address, str) else "local"
    except Exception:  # noqa: BLE001 - no runtime (tests), no client, or not an address: one shared key
        return "local"


def _minutes(seconds: float) -> str:
    minutes = max(1, int(-(-seconds // 60)))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def attempt(given: str, password: str, client: str, *, throttle: Throttle | None = None,
            sleep=time.sleep) -> Outcome:
    """Check one password attempt from `client` within the limits; the password is never logged."""
    throttle = THROTTLE if throttle is None else throttle
    verdict, seconds, count = throttle.begin(client)
    if verdict == "locked":
        log.warning("Admin password attempt refused: %s is locked out for %.0f s more", client, seconds)
        return Outcome(False, f"Too many failed attempts from your address: try again in {_minutes(seconds)}.")
    if verdict == "busy":
        log.warning("Admin password attempt refused: too many attempts on the server right now (%s)", client)
        return Outcome(False, "Too many password attempts on this server right now: try again in a minute.")
    sleep(seconds)
    given = (given or "")[:MAX_PASSWORD_CHARS + 1]
    if len(given) <= MAX_PASSWORD_CHARS and passwords_match(given, password):
        throttle.succeeded(client)
        log.warning("Admin page unlocked from %s", client)
        st.session_state[STATE_OK] = _digest(password)
        return Outcome(True)
    left = max(throttle.max_failures - count, 0)
    log.warning("Admin password: failed attempt from %s (%d of %d allowed in %d min)", client, count,
                throttle.max_failures, throttle.window_s // 60)
    if left:
        return Outcome(False, f"Wrong password ({left} more attempt{'s' if left != 1 else ''} from your address "
                              f"in the next {_minutes(throttle.window_s)}).")
    return Outcome(False, f"Wrong password. No attempts left from your address for {_minutes(throttle.window_s)}.")


# ---------------------------------------------------------------------------------------------
# The gate


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def _admit(allowed: bool) -> bool:
    """Record whether this browser session may use the Admin page (and so upload) and return it."""
    session_id = _session_id()
    if session_id:
        if allowed:
            guard.ADMIN_SESSIONS.grant(session_id)
        else:
            guard.ADMIN_SESSIONS.revoke(session_id)
    return allowed


def sign_out() -> None:
    st.session_state.pop(STATE_OK, None)
    _admit(False)


def require_admin() -> bool:
    """Draw whatever the gate needs and say whether the rest of the Admin page may render."""
    password = configured_password()
    if password is None:
        why = exposure()
        if why is None:
            st.info(OPEN_LOCAL, icon="🔓")
            return _admit(True)
        hint = LOCAL_HINT if config.configured_url() is None else ""
        st.error(f"The Admin page is locked: other machines can reach this server ({why}) and no admin password "
                 f"is set. {SET_PASSWORD}{hint}", icon="🔒")
        return _admit(False)
    if is_unlocked(password):
        return _admit(True)
    _admit(False)
    box = st.empty()
    with box.container():
        st.info("The Admin page is protected: enter the admin password (ADMIN_PASSWORD).", icon="🔒")
        with st.form("admin_login", clear_on_submit=True):
            given = st.text_input("Admin password", type="password", max_chars=MAX_PASSWORD_CHARS,
                                  key="admin_password_input")
            submitted = st.form_submit_button("Unlock")
        if submitted:
            outcome = attempt(given, password, client_address())
            if outcome.ok:
                box.empty()
                return _admit(True)
            st.error(outcome.message, icon="🚫")
    return False
