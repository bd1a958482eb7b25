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


@pytest.mark.django_db
def test_a_penalty_is_seen_by_every_worker_whatever_its_cache(settings):
    # The penalty lives in the budget's row: a worker whose cache never saw it (the
    # local-memory default is one per process; here, emptied) still keeps off the account.
    from django.core.cache import cache

    error = ProviderError("429", retryable=True, http_status=429, retry_after=30)
    assert transport.penalize(error, key="mandrill") == 30
    cache.clear()
    assert 25 < ratelimit.penalty_remaining("mandrill") <= 30
    assert 25 < ratelimit.penalty_remaining("mandrill", "") <= 30
    assert ratelimit.penalty_remaining("mandrill", "Heavy") == 0


# --- one way to connect: every provider's calls go through the transport's pools ------------
def test_read_answer_gives_json_else_text_else_none():
    assert transport.read_answer('{"errors": [1]}') == {"errors": [1]}
    assert transport.read_answer(b"[1, 2]") == [1, 2]
    assert transport.read_answer("<html>busy</html>" + "x" * 600) == {
        "text": ("<html>busy</html>" + "x" * 600)[:500]
    }
    assert transport.read_answer("") is None and transport.read_answer(None) is None


def test_a_session_call_is_logged_with_its_secrets_masked(caplog):
    from tests.fakes.base import FakeServer, Reply

    secret = "pca_" + "s3cr3tT0k3n" * 2
    with FakeServer() as fake:
        fake.route("GET", r"^/v1/things$", lambda received, groups: Reply(200, {"ok": True}))
        base = fake.url
        with caplog.at_level("INFO", logger="planocore.providers.http"):
            answer = transport.session("Acme").get(f"{base}/v1/things?token={secret}&page=2")
    assert answer.json() == {"ok": True}
    [line] = [r.getMessage() for r in caplog.records if r.name == "planocore.providers.http"]
    assert line.startswith(f"Acme GET {base}/v1/things?token=***&page=2: 200 in ")
    assert secret not in caplog.text


def test_a_call_with_no_timeout_gets_the_providers(settings):
    from tests.fakes.base import FakeServer, Reply

    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    with FakeServer() as fake:
        fake.route("GET", r"^/slow$", lambda received, groups: Reply(200, {}))
        fake.hang_next(2)
        started = time.monotonic()
        with pytest.raises(requests.Timeout):
            transport.new_session("Acme").get(f"{fake.url}/slow")
    assert time.monotonic() - started < 1.5


@pytest.mark.django_db
def test_mandrill_keeps_one_connection_across_emails(mandrill_fake, caplog):
    from planocore.outbox.services import enqueue, send

    payload = {"to": ["ann@example.com"], "subject": "Hi", "body": "Hello"}
    with caplog.at_level("INFO", logger="planocore.providers.http"):
        for _ in range(3):
            request = enqueue(channel="email", payload=payload, priority=5, dispatch=False)
            assert send(request.pk).succeeded
    calls = mandrill_fake.requests_to("POST", r"messages/send\.json$")
    assert len(calls) == 3
    # anymail's own session closed after each email: a new connection (port) each time.
    assert len({call.peer for call in calls}) == 1
    assert caplog.text.count("Mandrill POST ") == 3
    assert mandrill_fake.api_key not in caplog.text


@pytest.mark.django_db
def test_sunshine_calls_go_through_the_transports_pool(sunshine_fake, caplog):
    from planocore.providers import sunshine

    client = sunshine.api_client()
    assert client.rest_client.pool_manager.provider == "Sunshine Conversations"
    with caplog.at_level("INFO", logger="planocore.providers.http"), pytest.raises(ProviderError) as raised:
        sunshine.ClientsBackend().list_clients(external_id="nobody", after=None, before=None, size=5)
    assert raised.value.http_status == 404  # the fake knows no such user: an answer all the same
    assert "Sunshine Conversations GET " in caplog.text and ": 404 in " in caplog.text
    assert sunshine_fake.secret not in caplog.text
