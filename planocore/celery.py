"""The Celery app. With no broker configured, tasks run in-process (eager)."""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, worker_process_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planocore.settings")

app = Celery("planocore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_shutdown.connect
def _publish_handed_off_ids(**kwargs) -> None:
    """A pool process's exit skips atexit: publish the outbox ids it still holds first."""
    from planocore.outbox.handoff import handoff

    handoff.flush()


@after_setup_logger.connect
@after_setup_task_logger.connect
def mask_celery_handlers(logger, **kwargs) -> None:
    """The handlers Celery installs (plain LOG_FORMAT) mask secrets like the app's own."""
    from planocore.ops.logging import add_mask_filter

    for handler in logger.handlers:
        add_mask_filter(handler)
