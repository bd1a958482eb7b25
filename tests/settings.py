"""Test settings: the project's settings with fast hashing and isolated caches."""

import os

# The tests' own key (planocore/settings.py has no built-in one); processes the tests
# start inherit it.
os.environ.setdefault("SECRET_KEY", "django-insecure-tests-only-" + "k" * 40)  # check --deploy flags it

from planocore.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
