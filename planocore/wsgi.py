"""WSGI entry point (gunicorn planocore.wsgi).

The URL conf (and with it the views, DRF and the serializers) is imported here rather
than on the first request: under gunicorn's preload_app the master does it once, and
every worker forked from it starts with it loaded (0.2 s of CPU a worker otherwise).
"""

import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planocore.settings")
application = get_wsgi_application()
import_module(settings.ROOT_URLCONF)
