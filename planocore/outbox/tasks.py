"""Celery tasks of the outbox."""

from celery import shared_task


@shared_task(name="planocore.outbox.tasks.send_external_request", ignore_result=True)
def send_external_request(request_id: int) -> None:
    """Send one request (a no-op when another worker holds it or it is not due)."""
    from planocore.outbox.services import send

    send(request_id)


@shared_task(name="planocore.outbox.tasks.process_due_requests", ignore_result=True)
def process_due_requests() -> None:
    """The sweep: send every due request (beat runs it every minute)."""
    from django.core.management import call_command

    call_command("process_external_requests", "--limit", "1000")
