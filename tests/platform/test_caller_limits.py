"""One rate limiter for callers (issue 27.2): sign-in (API and admin), wrong tokens, client sends.

Every limit is a `planocore.budgets.CallerLimit`: rates read by DRF's parser, counts
shared through the cache, and a Retry-After computed from the time left in the window.
"""

import inspect

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

import planocore.api.authentication
import planocore.budgets
from planocore.budgets import CallerLimit, check_rate_settings, parse_rate
from tests.platform.helpers import b64

WINDOW_START = 3600 * 480_000  # a whole hour, so a whole minute too


@pytest.fixture
def at_second(monkeypatch):
    """Freeze the limits' clock `n` seconds into a window."""

    def freeze(n: float) -> None:
        monkeypatch.setattr(planocore.budgets.time, "time", lambda: WINDOW_START + n)

    return freeze


def test_a_limit_counts_per_key_and_answers_the_time_left_in_its_window(at_second, settings):
    limit = CallerLimit("test:limit", rate=lambda: "2/min")
    at_second(12.3)
    assert (limit.take("a"), limit.take("a"), limit.take("b")) == (None, None, None)
    assert limit.take("a") == 48 and limit.spent("a") and not limit.spent("b")
    at_second(60.1)  # the next window
    assert limit.take("a") is None


def test_sign_in_past_its_rate_answers_the_computed_retry_after(db, at_second, settings):
    settings.SIGN_IN_RATE = "1/min"
    at_second(35)
    body = b64({"email": "nobody@example.com", "password": "x"})
    client = Client()
    assert client.post("/api/v1/sessions", body, content_type="text/plain").status_code == 400
    refused = client.post("/api/v1/sessions", body, content_type="text/plain")
    assert refused.status_code == 429 and refused["Retry-After"] == "25"
    assert refused.json()["status"] == "too-many-requests"


def test_the_admin_login_past_its_rate_answers_the_computed_retry_after(db, at_second, settings):
    settings.SIGN_IN_RATE = "1/hour"
    at_second(600)
    client = Client()
    assert client.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 200
    refused = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert refused.status_code == 429 and refused["Retry-After"] == "3000"


def test_no_caller_limit_hard_codes_its_retry_after():
    source = inspect.getsource(planocore.api.authentication)
    assert '"Retry-After": "60"' not in source and "Retry-After" not in source


@pytest.mark.parametrize(("rate", "parsed"), [("5/hour", (5, 3600)), ("10/min", (10, 60)), ("3/s", (3, 1))])
def test_rates_are_read_by_drfs_parser(rate, parsed, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    assert parse_rate(rate) == parsed
    read = []
    monkeypatch.setattr(SimpleRateThrottle, "parse_rate", lambda self, r: read.append(r) or (7, 60))
    assert parse_rate(rate) == (7, 60) and read == [rate]


@pytest.mark.parametrize("name", planocore.budgets.RATE_SETTINGS)
def test_a_wrong_rate_setting_stops_the_start_naming_it(settings, name):
    setattr(settings, name, "5/fortnight")
    with pytest.raises(ImproperlyConfigured, match=f"{name}: '5/fortnight' is not a rate like '10/min'"):
        check_rate_settings()
