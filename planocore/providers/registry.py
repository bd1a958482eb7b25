"""The one place that resolves a channel to its backend (settings.PROVIDER_BACKENDS)."""

import logging
from functools import lru_cache
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from planocore.providers.base import ProviderBackend

logger = logging.getLogger("planocore.providers")


@lru_cache(maxsize=32)
def _backend(path: str) -> ProviderBackend:
    return import_string(path)()


def get_backend(channel: str) -> ProviderBackend:
    """Return the backend serving `channel`."""
    try:
        path = settings.PROVIDER_BACKENDS[channel]
    except KeyError:
        raise ImproperlyConfigured(f"No provider backend for channel {channel!r}.") from None
    return _backend(path)


def import_backends() -> None:
    """Import the module of every configured backend, without building any.

    For a parent process about to fork its workers (gunicorn's master through
    planocore/wsgi.py, the Celery worker's main process), so that each child starts
    with the provider packages loaded instead of importing them on its first send
    (the Sunshine Conversations package alone takes 2.7 s; no command imports it).
    A backend whose module does not import is logged and left to fail its own sends,
    as it would without this: one channel's mistake does not stop the process.
    """
    for channel, path in sorted(settings.PROVIDER_BACKENDS.items()):
        try:
            import_module(path.rpartition(".")[0])
        except ImportError as exc:
            logger.warning("The %s backend %s does not import: %s", channel, path, exc)


def reset_backends() -> None:
    """Forget built backends (tests that change settings call this)."""
    _backend.cache_clear()


def provider_label(channel: str) -> str:
    """What people call the provider serving `channel` now ("Mandrill", "the sandbox"), capitalised."""
    backend = get_backend(channel)
    label = backend.label or backend.name
    return label[:1].upper() + label[1:]
