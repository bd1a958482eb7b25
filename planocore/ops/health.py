"""Checks behind /healthz: can this process reach its database and its broker?"""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections

logger = logging.getLogger("planocore.ops")

OK = "ok"
ERROR = "error"
NOT_CONFIGURED = "not-configured"


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


def health() -> tuple[bool, dict[str, str]]:
    """(healthy, {"database": ..., "broker": ...})."""
    report = {"database": check_database(), "broker": check_broker()}
    healthy = all(value != ERROR for value in report.values())
    return healthy, report
