"""WSGI entry point (gunicorn planocore.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planocore.settings")
application = get_wsgi_application()
