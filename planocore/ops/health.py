"""Checks behind /healthz: can this process reach its database, its broker and its cache?

The database and the broker are needed (an error makes /healthz answer 503); the
cache is not (the API runs without it, planocore/cache.py), so a cache that does
not answer is reported "degraded" and /healthz stays 200.
"""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections

logger = logging.getLogger("planocore.ops")

OK = "ok"
ERROR = "error"
NOT_CONFIGURED = "not-configured"
DEGRADED = "degraded"


def check_database(alias: str = "default") -> str:
    """Run `SELECT 1` on the database; "ok" or "error" (the reason is logged, not shown)."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("Health check: the database does not answer", exc_info=True)
        return ERROR
    return OK


def check_broker() -> str:
    """Open (and close) one connection to CELERY_BROKER_URL, giving up after HEALTHZ_BROKER_TIMEOUT.

    "not-configured" when no broker is set: tasks then run in-process, which is healthy.
    """
    url = settings.CELERY_BROKER_URL
    if not url:
        return NOT_CONFIGURED
    from kombu import Connection

    timeout = settings.HEALTHZ_BROKER_TIMEOUT
    try:
        with Connection(
            url,
            connect_timeout=timeout,
            transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout},
        ) as connection:
            # max_retries=0: one try, no backoff loop (a health probe must answer fast).
            connection.ensure_connection(max_retries=0, timeout=timeout)
    except Exception as exc:
        logger.warning("Health check: the broker does not answer: %s", _redacted(str(exc), url))
        return ERROR
    return OK


def _redacted(message: str, url: str) -> str:
    """The broker URL may carry a password, and some errors repeat the URL: mask it."""
    password = urlsplit(url).password
    return message.replace(password, "***") if password else message


def check_cache() -> str:
    """Ping a Redis cache (within CACHE_TIMEOUT_SECONDS): "ok", or "degraded" when it does not answer.

    An in-process cache (locmem, the default) always answers: "ok".
    """
    from django.core.cache import cache

    ping = getattr(cache, "ping", None)
    if ping is None or ping():
        return OK
    logger.warning("Health check: the cache does not answer; the API runs without it")
    return DEGRADED


def health() -> tuple[bool, dict[str, str]]:
    """(healthy, {"database": ..., "broker": ..., "cache": ..., "sweep": ...}).

    A degraded cache is still healthy, and so is a stalled sweep: this process can
    serve; the sweep is another process (beat, or `make run`'s loop) to restart.
    """
    report = {"database": check_database(), "broker": check_broker(), "cache": check_cache()}
    healthy = all(value != ERROR for value in report.values())
    report["sweep"] = check_sweep() if report["database"] == OK else ERROR
    return healthy, report


STALLED = "stalled"


def check_sweep() -> str:
    """ "ok", or "stalled" when work is due and no sweep has run for OUTBOX_SWEEP_STALE_SECONDS."""
    from django.utils import timezone

    from planocore.outbox.selectors import sweep_state

    try:
        state = sweep_state(now=timezone.now())
    except Exception:
        logger.warning("Health check: could not read the sweep's heartbeat", exc_info=True)
        return ERROR
    if state["stalled"]:
        logger.warning("Health check: %s request(s) due and no sweep has run lately", state["due"])
        return STALLED
    return OK
