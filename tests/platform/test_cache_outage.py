"""The API without its cache: a real redis-server, stopped or paused (SIGSTOP), under the request path.

Each test starts its own redis-server on a free port (skipped when there is none)
and points CACHES at it the way planocore/settings.py builds it from CACHE_URL.
"""

import logging
import os
import shutil
import signal
import socket
import subprocess
import time

import environ
import pytest

from planocore.cache import cache_config
from tests.fakes.base import free_port
from tests.platform.helpers import sign_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]
PASSWORD = "s3cret-Passw0rd!"


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(  # noqa: S603
            argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.resume()
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def redis_cache(settings):
    """A live redis-server as the default cache, configured as from CACHE_URL."""
    server = RedisServer()
    config = environ.Env.cache_url_config(server.url)
    settings.CACHES = {"default": cache_config(config, timeout=0.25, retry=5)}
    yield server
    server.stop()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("jane", "jane@example.com", PASSWORD)


def test_a_live_redis_is_the_cache_and_counts_sign_in_attempts(redis_cache, anon_api, user, settings):
    from django.core.cache import cache

    cache.set("probe", 1)
    assert cache.get("probe") == 1
    settings.SIGN_IN_RATE = "2/min"
    assert sign_in(anon_api, "jane@example.com", "wrong")[0] == 400
    assert sign_in(anon_api, "jane@example.com", "wrong")[0] == 400
    code, body = sign_in(anon_api, "jane@example.com", PASSWORD)
    assert (code, body["status"]) == (429, "too-many-requests")


def test_stopped_cache_every_route_still_answers(redis_cache, api, anon_api, user, caplog):
    assert api.get("/api/v1/glip/messages")[0] == 200  # warm: the state and permissions are in Redis
    redis_cache.stop()
    with caplog.at_level(logging.WARNING, logger="planocore.cache"):
        for _ in range(5):
            code, body = api.get("/api/v1/glip/messages")
            assert (code, body["status"]) == (200, "action-successful"), body
        # Counters fail open: the sign-in throttle and the token failure budget.
        code, body = sign_in(anon_api, "jane@example.com", PASSWORD)
        assert (code, body["status"]) == (200, "action-successful"), body
        code, body = anon_api.get("/api/v1/glip/messages", token="pca_wrong")
        assert (code, body["status"]) == (401, "invalid-token"), body
    warnings = [r for r in caplog.records if r.name == "planocore.cache"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # once per interval, not per request
    assert "skipped" in warnings[0].getMessage()


def test_paused_cache_costs_at_most_one_timeout(redis_cache, api, caplog):
    assert api.get("/api/v1/glip/messages")[0] == 200
    redis_cache.pause()
    slowest = 0.0
    try:
        with caplog.at_level(logging.WARNING, logger="planocore.cache"):
            for _ in range(10):
                started = time.monotonic()
                code, body = api.get("/api/v1/glip/messages")
                slowest = max(slowest, time.monotonic() - started)
                assert (code, body["status"]) == (200, "action-successful"), body
    finally:
        redis_cache.resume()
    # Before: each request waited for redis-py's 5 s socket timeout, then failed. Now one
    # call waits CACHE_TIMEOUT_SECONDS (0.25 s here) and the rest skip the cache meanwhile.
    assert slowest < 2.5, slowest
    timeouts = [r for r in caplog.records if r.name == "planocore.cache"]
    assert len(timeouts) == 1 and "TimeoutError" in timeouts[0].getMessage(), timeouts


def test_the_cache_is_tried_again_after_the_retry_interval(settings, caplog):
    from django.core.cache import cache

    server = RedisServer()
    config = environ.Env.cache_url_config(server.url)
    settings.CACHES = {"default": cache_config(config, timeout=0.2, retry=0.3)}
    try:
        server.pause()
        with caplog.at_level(logging.INFO, logger="planocore.cache"):
            assert cache.get("k", "fallback") == "fallback"
            assert cache.add("k", 1) is True and cache.incr("k", 3) == 3  # counters fail open
            server.resume()
            assert cache.get("k", "skipped") == "skipped"  # still within the interval: not tried
            time.sleep(0.35)
            cache.set("k", 7)
            assert cache.get("k") == 7
        messages = [r.getMessage() for r in caplog.records if r.name == "planocore.cache"]
        assert len(messages) == 2 and "answers again" in messages[1], messages
    finally:
        server.stop()


def test_settings_give_a_redis_cache_url_timeouts_and_fail_soft():
    config = cache_config(environ.Env.cache_url_config("redis://127.0.0.1:1/3"), timeout=0.1, retry=2)
    assert config["BACKEND"] == "planocore.cache.FailSoftRedisCache"
    assert config["OPTIONS"] == {"socket_connect_timeout": 0.1, "socket_timeout": 0.1, "retry_seconds": 2}
    locmem = environ.Env.cache_url_config("locmemcache://x")
    assert cache_config(locmem, timeout=0.1, retry=2) == locmem
