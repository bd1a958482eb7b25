"""WSGI entry point (gunicorn planocore.wsgi).

The URL conf (and with it the views, DRF and the serializers) and the configured
provider backends are imported here rather than on a worker's first request: under
gunicorn's preload_app the master does it once, and every worker forked from it starts
with them loaded (0.2 s of CPU a worker for the URL conf, 2.7 s on the first
conversation for the Sunshine Conversations package otherwise).
"""

import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planocore.settings")
application = get_wsgi_application()
import_module(settings.ROOT_URLCONF)

from planocore.providers.registry import import_backends  # noqa: E402 - needs the apps loaded

import_backends()
