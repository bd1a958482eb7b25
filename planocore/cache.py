"""The shared cache, made so the API survives losing it.

`CACHE_URL=redis://…` selects `FailSoftRedisCache`: Django's own `RedisCache`
with a connect and read timeout on every connection (`CACHE_TIMEOUT_SECONDS`)
and every call failing soft. When Redis does not answer (refused, reset, timed
out, any Redis error), the call returns what an empty cache would
(`get` → the default, `get_many` → {}, `has_key` → False) and the counters
fail open (`add` → True and `incr` → the delta: a count that starts afresh).
Then the cache is skipped for `CACHE_RETRY_SECONDS` in this process (no call
waits for a timeout again until then) and one warning is logged per interval.

So the request path degrades instead of failing: route state, permissions and
applications are read from the database, caller limits (planocore/budgets.py) let
requests through, RingCentral tokens are not shared (each worker logs in).
Entries written before the outage live out their timeouts (at most 5 minutes),
so a change whose cache entry could not be dropped during it shows late by up
to that.

Why not django-redis: its `IGNORE_EXCEPTIONS` fails soft too, but logs every
failed call and tries Redis (and waits for its timeout) on every call; the
built-in backend plus this subclass adds no dependency and skips Redis while
it is down.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("planocore.cache")

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
FAIL_SOFT_BACKEND = "planocore.cache.FailSoftRedisCache"


def cache_config(config: dict[str, Any], *, timeout: float, retry: float) -> dict[str, Any]:
    """A CACHES entry (as django-environ parses CACHE_URL), Redis made fail-soft with timeouts."""
    if config.get("BACKEND") != REDIS_BACKEND:
        return config
    options = {
        **config.get("OPTIONS", {}),
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "retry_seconds": retry,
    }
    return {**config, "BACKEND": FAIL_SOFT_BACKEND, "OPTIONS": options}


class _Breaker:
    """Shared by the threads of a process: is the cache being skipped, and until when."""

    def __init__(self, location: str, retry_seconds: float) -> None:
        self.location, self.retry_seconds = location, retry_seconds
        self.lock = threading.Lock()
        self.skip_until = 0.0  # time.monotonic()
        self.down = False

    def skipping(self) -> bool:
        return self.down and time.monotonic() < self.skip_until

    def failed(self, exc: BaseException) -> None:
        with self.lock:
            now = time.monotonic()
            warn = now >= self.skip_until  # the first failure of an interval
            self.down, self.skip_until = True, now + self.retry_seconds
        if warn:
            logger.warning(
                "The cache does not answer (%s: %s); it is skipped for %g s: lookups read the "
                "database and rate limits let requests through",
                type(exc).__name__,
                exc,
                self.retry_seconds,
            )

    def answered(self) -> None:
        if self.down:
            with self.lock:
                was_down, self.down = self.down, False
            if was_down:
                logger.info("The cache answers again")


_breakers: dict[tuple[str, float], _Breaker] = {}
_breakers_lock = threading.Lock()


def _breaker(location: str, retry_seconds: float) -> _Breaker:
    # Django keeps one backend object per thread: the breaker is per process.
    with _breakers_lock:
        return _breakers.setdefault((location, retry_seconds), _Breaker(location, retry_seconds))


def _fail_soft(fallback):
    """Run the Redis call unless the cache is being skipped; on a Redis error, `fallback(*args)`."""

    def decorate(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            breaker = self._breaker
            if breaker.skipping():
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except (RedisError, OSError) as exc:
                breaker.failed(exc)
                return fallback(*args, **kwargs)
            breaker.answered()
            return result

        return call

    return decorate


def _get(key, default=None, version=None):
    return default


def _incr(key, delta=1, version=None):
    return delta


class FailSoftRedisCache(RedisCache):
    """Django's RedisCache whose calls fail soft (see the module docstring). Option: `retry_seconds`."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        retry_seconds = float(options.pop("retry_seconds", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        self._breaker = _breaker(",".join(self._servers), retry_seconds)

    def ping(self) -> bool:
        """Ask Redis for real (the health check), past the breaker; True when it answers."""
        try:
            return bool(self._cache.get_client(write=False).ping())
        except (RedisError, OSError):
            return False

    get = _fail_soft(_get)(RedisCache.get)
    get_many = _fail_soft(lambda keys, version=None: {})(RedisCache.get_many)
    has_key = _fail_soft(lambda key, version=None: False)(RedisCache.has_key)
    add = _fail_soft(lambda *args, **kwargs: True)(RedisCache.add)
    set = _fail_soft(lambda *args, **kwargs: None)(RedisCache.set)
    set_many = _fail_soft(lambda data, *args, **kwargs: list(data))(RedisCache.set_many)
    touch = _fail_soft(lambda *args, **kwargs: False)(RedisCache.touch)
    incr = _fail_soft(_incr)(RedisCache.incr)
    delete = _fail_soft(lambda *args, **kwargs: False)(RedisCache.delete)
    delete_many = _fail_soft(lambda *args, **kwargs: None)(RedisCache.delete_many)
    clear = _fail_soft(lambda *args, **kwargs: None)(RedisCache.clear)
