"""Provider call budgets shared by every worker, kept in the Django cache.

RingCentral allows about 40 calls a minute per user for the calls we make, and
any call made during its penalty window (after a 429) restarts the penalty. So:
`acquire` counts a call against a per-minute budget and says how long to wait
when the budget or a penalty says no; `penalize` records a 429's Retry-After so
that no worker calls that account again before it ends.
"""

import time

from django.core.cache import cache


def _window_key(key: str, window: int) -> str:
    return f"ratelimit:{key}:{window}"


def penalty_remaining(key: str) -> float:
    """Seconds left in the account's penalty window (0 when none)."""
    until = cache.get(f"ratelimit:{key}:penalty")
    return max(0.0, until - time.time()) if until else 0.0


def penalize(key: str, seconds: float) -> None:
    """Nobody calls this account for `seconds` (a 429's Retry-After)."""
    until = time.time() + max(seconds, 1.0)
    current = cache.get(f"ratelimit:{key}:penalty") or 0
    if until > current:
        cache.set(f"ratelimit:{key}:penalty", until, timeout=int(seconds) + 5)


def acquire(key: str, *, per_minute: int) -> float:
    """Count one call if the budget allows; return 0, or the seconds to wait before trying again."""
    wait = penalty_remaining(key)
    if wait:
        return wait
    now = time.time()
    window = int(now // 60)
    window_key = _window_key(key, window)
    if cache.add(window_key, 1, timeout=120):
        return 0.0
    try:
        count = cache.incr(window_key)
    except ValueError:  # expired between add and incr
        cache.set(window_key, 1, timeout=120)
        return 0.0
    if count <= per_minute:
        return 0.0
    cache.decr(window_key)
    return (window + 1) * 60 - now
