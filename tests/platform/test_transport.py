"""The providers' one transport base: Retry-After read once, errors classified once."""

import time
from email.utils import formatdate

import pytest
import requests
import urllib3

from planocore.providers import ratelimit, transport
from planocore.providers.base import ProviderError


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), (" 7 ", 7.0), ("-3", 0.0), ("0.5", 0.5), (None, None), ("", None), ("soon", None)],
)
def test_retry_after_seconds_form(value, expected):
    assert transport.retry_after(value) == expected


def test_retry_after_http_date_form():
    assert 88 <= transport.retry_after(formatdate(time.time() + 90, usegmt=True)) <= 90
    assert transport.retry_after(formatdate(time.time() - 90, usegmt=True)) == 0.0


@pytest.mark.parametrize(
    ("status", "retryable"), [(429, True), (500, True), (503, True), (400, False), (401, False), (404, False)]
)
def test_http_errors_are_classified_by_status(status, retryable):
    error = transport.http_error(status, "answered", headers={"Retry-After": "9"})
    assert (error.retryable, error.http_status) == (retryable, status)
    assert error.retry_after == (9.0 if status in (429, 503) else None)


def test_a_backend_may_overrule_the_status_class():
    assert transport.http_error(500, "Invalid_Key", retryable=False).retryable is False


@pytest.mark.parametrize(
    "exc",
    [requests.ReadTimeout(), requests.ConnectionError(), urllib3.exceptions.ReadTimeoutError(None, "/", "t")],
)
def test_no_answer_is_retryable_and_names_only_the_class(exc):
    error = transport.no_answer(exc, provider="Acme", doing="the post")
    assert error.retryable and type(exc).__name__ in error.message and "Acme" in error.message


def test_other_exceptions_are_left_to_the_backend():
    assert transport.no_answer(ValueError("bad"), provider="Acme") is None


@pytest.mark.django_db
def test_penalize_applies_a_429_once_to_its_budget(settings):
    settings.OUTBOX_DEFAULT_PENALTY_SECONDS = 45
    error = ProviderError("429", retryable=True, http_status=429)
    error.budget = ("acme:user", "Medium")
    assert transport.penalize(error, key="acme:other") == 45
    assert 40 < ratelimit.penalty_remaining("acme:user", "Medium") <= 45
    assert ratelimit.penalty_remaining("acme:other") == 0
    assert transport.penalize(ProviderError("500", retryable=True, http_status=500), key="acme:x") is None
    assert transport.penalize(ratelimit.BudgetExhausted("acme:x", "", 5), key="acme:x") is None
    assert ratelimit.penalty_remaining("acme:x") == 0
