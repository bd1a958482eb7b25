"""The Celery app. With no broker configured, tasks run in-process (eager)."""

import os

from celery import Celery
from celery.signals import worker_process_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planocore.settings")

app = Celery("planocore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_shutdown.connect
def _publish_handed_off_ids(**kwargs) -> None:
    """A pool process's exit skips atexit: publish the outbox ids it still holds first."""
    from planocore.outbox.handoff import handoff

    handoff.flush()
