"""Failure budgets: how many failures of one kind a key may have per window, across workers.

A budget counts failures (wrong tokens per client address, refused RingCentral
password logins per extension) in fixed windows, in the shared cache, with an
atomic `add` then `incr`, so every worker on every machine adds to one count.
Its rate is written like DRF's throttle rates (`SIGN_IN_RATE`): "N/period",
period one of second, minute, hour, day (only the first letter counts).

A cache that does not answer counts nothing: the budget fails open
(planocore/cache.py), rather than refusing everyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/hour" → (5, 3600)."""
    number, _, period = rate.partition("/")
    try:
        return int(number), PERIODS[period.strip()[:1].lower()]
    except (ValueError, KeyError):
        raise ValueError(f"{rate!r} is not a rate like '10/min' (per second, minute, hour or day)") from None


@dataclass(frozen=True)
class FailureBudget:
    """`rate()` failures of `name` allowed per key and window (the rate is read at each call)."""

    name: str
    rate: Callable[[], str]

    def _window(self) -> tuple[int, int, int]:
        limit, seconds = parse_rate(self.rate())
        return limit, seconds, int(time.time() // seconds)

    def _key(self, ident: str, window: int) -> str:
        return f"{self.name}:{ident}:{window}"

    def record(self, ident: str) -> int:
        """Count one failure of `ident`; return the window's count so far."""
        _, seconds, window = self._window()
        key = self._key(ident, window)
        if cache.add(key, 1, timeout=2 * seconds):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=2 * seconds)
            return 1

    def spent(self, ident: str) -> bool:
        """Has `ident` used up this window's failures? (One cache read; no failure is counted.)"""
        limit, _, window = self._window()
        return (cache.get(self._key(ident, window)) or 0) >= limit

    def retry_after(self) -> int:
        """Whole seconds until the current window ends (at least 1): the `Retry-After` to send."""
        _, seconds, _ = self._window()
        return max(1, int(seconds - time.time() % seconds + 0.999))
