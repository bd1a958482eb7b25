"""Provider call budgets shared by every worker, kept in the Django cache.

RingCentral allows about 40 calls a minute per user for the calls we make, and
any call made during its penalty window (after a 429) restarts the penalty. So:
`acquire` counts a call against a per-minute budget and says how long to wait
when the budget or a penalty says no; `penalize` records a 429's Retry-After so
that no worker calls that account again before it ends.

The budget is a sliding-window counter: the current minute's count plus the
previous minute's count weighted by how much of it is still inside the last 60
seconds. A plain fixed window would let 2 x budget calls through around a minute
boundary, which is exactly what earns a 429 and a penalty. The counters are
cache keys updated with atomic `add`/`incr` (Redis in production, so every
worker on every machine shares them; the local-memory cache shares them only
between the threads of one process).
"""

import contextlib
import time

from django.core.cache import cache

WINDOW_SECONDS = 60


def _window_key(key: str, window: int) -> str:
    return f"ratelimit:{key}:{window}"


def _penalty_key(key: str) -> str:
    return f"ratelimit:{key}:penalty"


def penalty_remaining(key: str) -> float:
    """Return the seconds left in the account's penalty window (0 when none)."""
    until = cache.get(_penalty_key(key))
    return max(0.0, until - time.time()) if until else 0.0


def penalize(key: str, seconds: float) -> None:
    """Stop every worker from calling this account for `seconds` (a 429's Retry-After)."""
    until = time.time() + max(seconds, 1.0)
    current = cache.get(_penalty_key(key)) or 0
    if until > current:
        cache.set(_penalty_key(key), until, timeout=int(seconds) + 5)


def _count_call(window_key: str) -> int:
    if cache.add(window_key, 1, timeout=3 * WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(window_key)
    except ValueError:  # expired between add and incr
        cache.set(window_key, 1, timeout=3 * WINDOW_SECONDS)
        return 1


def acquire(key: str, *, per_minute: int) -> float:
    """Count one call if the budget allows; return 0, or the seconds to wait before trying again."""
    wait = penalty_remaining(key)
    if wait:
        return wait
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    elapsed = (now % WINDOW_SECONDS) / WINDOW_SECONDS
    previous = cache.get(_window_key(key, window - 1)) or 0
    # Count first, then check: incr is atomic, so two workers racing for the
    # last slot cannot both get it; the loser gives its count back.
    count = _count_call(_window_key(key, window))
    if previous * (1 - elapsed) + count <= per_minute:
        return 0.0
    with contextlib.suppress(ValueError):  # the window expired meanwhile
        cache.decr(_window_key(key, window))
    window_end = (window + 1) * WINDOW_SECONDS - now
    if count > per_minute or not previous:
        return max(window_end, 0.05)
    # Wait until enough of the previous minute has slid out of the window.
    needed = 1 - (per_minute - count) / previous
    return max((needed - elapsed) * WINDOW_SECONDS, 0.05)


def budgets() -> list[dict]:
    # Stand-in until the rate-limit work lands: one dict per provider account (see the dashboard).
    return []
