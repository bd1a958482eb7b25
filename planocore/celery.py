"""The Celery app. With no broker configured, tasks run in-process (eager)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planocore.settings")

app = Celery("planocore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
