"""Limits on callers: how many attempts of one kind a key may make per window, across workers.

The one rate limiter on PlanoCore's side of the API (provider calls have
`planocore.providers.ratelimit.ProviderBudget`). Every caller limit is one
`CallerLimit`: sign-in attempts per client address (the API's and the admin's,
counted apart), wrong tokens per address, notifications a client creates, refused
RingCentral password logins per extension. Counts live in the shared cache in fixed
windows, with an atomic `add` then `incr`, so every worker on every machine adds to
one count; the `Retry-After` to answer is the time left in the window.

A rate is written as DRF's throttle rates are ("10/min": N per second, minute,
hour or day) and read by DRF's own parser.

`RATE_SETTINGS` names the settings that hold a rate: `check_rate_settings()`
(run by the platform app's `ready()`) stops the start on a wrong one.

A cache that does not answer counts nothing: the limit fails open
(planocore/cache.py), rather than refusing everyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

RATE_SETTINGS = ("SIGN_IN_RATE", "API_CLIENT_SEND_RATE", "RINGCENTRAL_PASSWORD_FAILURE_RATE")


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/hour" → (5, 3600), as DRF reads throttle rates; ValueError saying how to write one."""
    # Imported here, after the settings: DRF's throttling module reads REST_FRAMEWORK when imported.
    from rest_framework.throttling import SimpleRateThrottle

    try:
        # DRF's parser, without the request and cache machinery SimpleRateThrottle.__init__ sets up.
        number, seconds = SimpleRateThrottle.parse_rate(SimpleRateThrottle.__new__(SimpleRateThrottle), rate)
    except (ValueError, KeyError, IndexError, AttributeError):
        number = None
    if number is None:
        raise ValueError(f"{rate!r} is not a rate like '10/min' (per second, minute, hour or day)")
    return number, seconds


def check_rate_settings() -> None:
    """Stop the start (ImproperlyConfigured) when a rate setting is not a rate, rather than each request."""
    for name in RATE_SETTINGS:
        try:
            parse_rate(getattr(settings, name))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {exc}.") from None


@dataclass(frozen=True)
class CallerLimit:
    """`rate()` attempts of `name` allowed per key and window (the rate is read at each call)."""

    name: str
    rate: Callable[[], str]

    def _window(self) -> tuple[int, int, int]:
        limit, seconds = parse_rate(self.rate())
        return limit, seconds, int(time.time() // seconds)

    def _key(self, ident: str, window: int) -> str:
        return f"{self.name}:{ident}:{window}"

    def record(self, ident: str) -> int:
        """Count one attempt of `ident`; return the window's count so far."""
        _, seconds, window = self._window()
        key = self._key(ident, window)
        if cache.add(key, 1, timeout=2 * seconds):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=2 * seconds)
            return 1

    def take(self, ident: str) -> int | None:
        """Count one attempt; past the limit, the seconds to answer as `Retry-After`, else None."""
        limit, _, _ = self._window()
        return self.retry_after() if self.record(ident) > limit else None

    def spent(self, ident: str) -> bool:
        """Has `ident` used up this window's attempts? (One cache read; nothing is counted.)"""
        limit, _, window = self._window()
        return (cache.get(self._key(ident, window)) or 0) >= limit

    def retry_after(self) -> int:
        """Whole seconds until the current window ends (at least 1): the `Retry-After` to send."""
        _, seconds, _ = self._window()
        return max(1, int(seconds - time.time() % seconds + 0.999))
