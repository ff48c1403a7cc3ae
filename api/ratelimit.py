"""Per-token (and, before a token is known, per-address) request limits with ListenBrainz's headers.

A fixed window per key: at most `limit` requests every `window` seconds. Every answer carries
X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset-In (seconds) and X-RateLimit-Reset
(Unix time), as ListenBrainz sends them; over the limit the answer is 429. In memory, per process.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

DEFAULT = "50/10"           # ListenBrainz's per-token default: 50 requests per 10 s window
DEFAULT_ANONYMOUS = "30/10"  # per address, for requests without a valid token (ListenBrainz's per-IP)


def parse(text: str) -> tuple[int, int]:
    """'50/10' -> (50, 10): requests per window of seconds."""
    limit, _, window = text.partition("/")
    n, w = int(limit), int(window or 10)
    if n < 1 or w < 1:
        raise ValueError(f"a rate limit is REQUESTS/SECONDS with both at least 1: {text!r}")
    return n, w


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    headers: dict[str, str]


class RateLimiter:
    def __init__(self, limit: int, window: int, clock=time.time):
        self.limit, self.window, self.clock = limit, window, clock
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, var: str, default: str) -> RateLimiter:
        """The limit the setting `var` (db/settings.py) gives; `default` when it is unset."""
        from db import settings

        return cls(*parse(settings.get(var) or default))

    def spent(self, key: str) -> Verdict | None:
        """The refusal `key` would get now, without counting a request; None while it has some left."""
        now = self.clock()
        start = int(now // self.window) * self.window
        with self._lock:
            begun, count = self._counts.get(key, (start, 0))
        if begun != start or count < self.limit:
            return None
        return Verdict(False, self._headers(count, start, now))

    def _headers(self, count: int, start: int, now: float) -> dict[str, str]:
        reset = start + self.window
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - count)),
            "X-RateLimit-Reset-In": str(max(1, math.ceil(reset - now))),
            "X-RateLimit-Reset": str(int(reset)),
        }

    def hit(self, key: str) -> Verdict:
        """Count a request of `key`; allowed while within the limit."""
        now = self.clock()
        start = int(now // self.window) * self.window
        with self._lock:
            if len(self._counts) > 10_000:     # forget old windows (many addresses)
                self._counts = {k: v for k, v in self._counts.items() if v[0] == start}
            begun, count = self._counts.get(key, (start, 0))
            if begun != start:
                count = 0
            count += 1
            self._counts[key] = (start, count)
        return Verdict(count <= self.limit, self._headers(count, start, now))
