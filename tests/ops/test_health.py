"""/healthz: the database, the broker and the cache, checked for real."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.markers import REDIS_URL, needs_redis

ROOT = Path(__file__).resolve().parents[2]


def test_healthy_without_broker_is_200(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "not-configured", "cache": "ok", "sweep": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert response["X-Request-ID"]


def test_unreachable_broker_is_503_quickly(client, db, settings):
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    settings.CELERY_BROKER_URL = "redis://:s3cret-broker-pw@127.0.0.1:1/0"
    settings.HEALTHZ_BROKER_TIMEOUT = 1.0
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "error", "cache": "ok", "sweep": "ok"}
    assert b"s3cret" not in response.content


def test_broker_failure_log_line_hides_the_password(client, db, settings, caplog):
    settings.CELERY_BROKER_URL = "redis://:s3cret-broker-pw@127.0.0.1:1/0"
    with caplog.at_level("WARNING", logger="planocore.ops"):
        client.get("/healthz")
    assert "broker does not answer" in caplog.text
    assert "s3cret" not in caplog.text


@needs_redis
def test_reachable_broker_is_ok(client, db, settings):
    settings.CELERY_BROKER_URL = REDIS_URL
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "cache": "ok", "sweep": "ok"}


def test_only_get_and_head(client, db):
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200


def test_unreachable_database_is_503():
    """A process whose DATABASE_URL points at a closed port answers 503 database=error."""
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps([r.status_code, json.loads(r.content)]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "planocore.settings",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/planocore_nowhere",
        "CELERY_BROKER_URL": "",
        "LOG_LEVEL": "CRITICAL",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body == {"database": "error", "broker": "not-configured", "cache": "ok", "sweep": "error"}


def test_unreachable_cache_is_degraded_not_down(client, db, settings, caplog):
    """A Redis cache that refuses connections: /healthz stays 200 and says "degraded"."""
    from planocore.cache import cache_config

    settings.CELERY_BROKER_URL = ""
    settings.CACHES = {
        "default": cache_config(
            {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
            timeout=0.25,
            retry=5,
        )
    }
    with caplog.at_level("WARNING", logger="planocore.ops"):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "broker": "not-configured",
        "cache": "degraded",
        "sweep": "ok",
    }
    assert "cache does not answer" in caplog.text


@needs_redis
def test_reachable_redis_cache_is_ok(client, db, settings):
    from planocore.cache import cache_config

    settings.CELERY_BROKER_URL = ""
    settings.CACHES = {
        "default": cache_config(
            {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
            timeout=0.25,
            retry=5,
        )
    }
    response = client.get("/healthz")
    assert response.json() == {"database": "ok", "broker": "not-configured", "cache": "ok", "sweep": "ok"}
