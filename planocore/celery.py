"""The Celery app. With no broker configured, tasks run in-process (eager)."""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planocore.settings")

app = Celery("planocore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _no_broker_in_memory(sender, **kwargs) -> None:
    """No broker: tasks run eagerly, yet Celery still builds a producer for each call.

    Without a URL kombu would default to amqp://localhost and warn "No hostname was
    supplied"; its in-memory transport, named with a host, does not. Nothing is sent to it.
    """
    if not sender.conf.broker_url:
        sender.conf.broker_url = "memory://localhost/"


@after_setup_logger.connect
@after_setup_task_logger.connect
def mask_celery_handlers(logger, **kwargs) -> None:
    """The handlers Celery installs (plain LOG_FORMAT) mask secrets like the app's own."""
    from planocore.ops.logging import add_mask_filter

    for handler in logger.handlers:
        add_mask_filter(handler)
