"""Celery tasks of the outbox."""

import logging

from celery import shared_task

from planocore.outbox import sending
from planocore.outbox.models import ExternalRequest

logger = logging.getLogger("planocore.outbox")


def _send_one(request_id: int) -> None:
    try:
        sending.send(request_id)
    except ExternalRequest.DoesNotExist:
        # The enqueuing transaction's row is gone (deleted by staff): nothing to send.
        logger.warning("Outbox request %s no longer exists; nothing sent.", request_id)


@shared_task(name="planocore.outbox.tasks.send_external_request", ignore_result=True)
def send_external_request(request_id: int) -> None:
    """Send one request (a no-op when another worker holds it or it is not due)."""
    _send_one(request_id)


@shared_task(name="planocore.outbox.tasks.process_due_requests", ignore_result=True)
def process_due_requests(limit: int = 1000) -> str:
    """The sweep: send due requests (retries, and any whose dispatch was lost); beat runs it every minute.

    Bounded by `limit` so one run ends well before the next; runs that overlap
    are safe (they claim different rows).
    """
    counts = sending.process_due(limit=limit)
    if counts.total:
        logger.info("Outbox sweep: %s", counts)
    return str(counts)
