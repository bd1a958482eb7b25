"""The Celery app. With no broker configured, tasks run in-process (eager)."""

import os

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    task_postrun,
    task_prerun,
    worker_init,
)
from django.db import close_old_connections

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


@worker_init.connect
def _load_backends_before_forking(**kwargs) -> None:
    """The worker's main process imports the provider packages once; its pool forks with them."""
    from planocore.providers.registry import import_backends

    import_backends()


@task_prerun.connect
@task_postrun.connect
def _database_connections_like_a_request(task=None, **kwargs) -> None:
    """Around each task, what Django does around each request: close connections past CONN_MAX_AGE or broken.

    Celery's own fix-up closes every connection around every task unless
    settings.CELERY_DB_REUSE_MAX is set (then once every that many tasks): each
    outbox send opened a new PostgreSQL connection, and a worker of 2 processes
    fell behind at 40 calls/s (bench/latency.py: p50 7.3 s); keeping it, the same
    worker carries 50 calls/s at p50 7 ms. Not for a task run in-process (eager):
    its caller owns the connection, perhaps inside a transaction.
    """
    if task is not None and not getattr(task.request, "is_eager", False):
        close_old_connections()


@after_setup_logger.connect
@after_setup_task_logger.connect
def mask_celery_handlers(logger, **kwargs) -> None:
    """The handlers Celery installs (plain LOG_FORMAT) mask secrets like the app's own."""
    from planocore.ops.logging import add_mask_filter

    for handler in logger.handlers:
        add_mask_filter(handler)
