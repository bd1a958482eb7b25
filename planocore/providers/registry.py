"""The one place that resolves a channel to its backend (settings.PROVIDER_BACKENDS)."""

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from planocore.providers.base import ProviderBackend


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


def reset_backends() -> None:
    """Forget built backends (tests that change settings call this)."""
    _backend.cache_clear()


def provider_label(channel: str) -> str:
    """What people call the provider serving `channel` now ("Mandrill", "the sandbox"), capitalised."""
    backend = get_backend(channel)
    label = backend.label or backend.name
    return label[:1].upper() + label[1:]
