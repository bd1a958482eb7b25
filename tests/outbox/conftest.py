"""Fixtures of the outbox tests."""

import pytest

from planocore.outbox.models import Channel
from planocore.providers.registry import reset_backends
from tests.outbox.backends import ScriptedBackend

SCRIPTED = "tests.outbox.backends.ScriptedBackend"
SANDBOX = "planocore.providers.sandbox.SandboxBackend"


@pytest.fixture
def scripted(settings):
    """The sms channel served by ScriptedBackend; returns the class (script it, read its calls)."""
    settings.PROVIDER_BACKENDS = {**settings.PROVIDER_BACKENDS, "sms": SCRIPTED}
    reset_backends()
    ScriptedBackend.reset()
    yield ScriptedBackend
    ScriptedBackend.reset()
    reset_backends()


@pytest.fixture
def sandbox(settings):
    """Every channel on the sandbox backend, whatever the environment says."""
    settings.PROVIDER_BACKENDS = {**settings.PROVIDER_BACKENDS, **dict.fromkeys(Channel.values, SANDBOX)}
    reset_backends()
    yield
    reset_backends()


@pytest.fixture
def celery_conf():
    """Change the Celery app's config for one test (a real broker instead of eager), then restore it.

    The app caches its connection and producer pools for the first broker it
    saw; they are dropped on both sides so the new broker URL is used.
    """
    from planocore.celery import app

    saved = {}

    def drop_pools():
        app._pool = None
        app.amqp._producer_pool = None

    def configure(**conf):
        for key in conf:
            saved.setdefault(key, app.conf[key])
        app.conf.update(conf)
        drop_pools()
        return app

    yield configure
    app.conf.update(saved)
    drop_pools()


@pytest.fixture
def redis_queue():
    """A Celery queue of this test's own on the test Redis; it and kombu's binding keys go afterwards."""
    import uuid

    import redis

    from tests.markers import REDIS_URL

    queue = f"outbox-test-{uuid.uuid4().hex[:8]}"  # no stale message from another run
    yield queue
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(queue, *client.keys(f"_kombu.binding*.{queue}"))
