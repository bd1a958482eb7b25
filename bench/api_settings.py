"""Bench-only settings: the project's, with bench/api_urls.py as the URL conf (bench/api.py)."""

from planocore.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
# With --broker, queued sends go to a queue of the bench's own (deleted afterwards);
# no worker consumes it, so the figure is the web side only.
CELERY_TASK_DEFAULT_QUEUE = "planocore-bench-api"
