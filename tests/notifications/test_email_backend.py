"""The email backend against the Mandrill fake over real HTTP, through the outbox."""

from datetime import timedelta

import pytest
from django.utils import timezone

from planocore.outbox.models import ExternalRequest, ExternalRequestAttempt
from planocore.outbox.services import enqueue, send

PAYLOAD = {
    "from_email": "ops@planomatic.example",
    "to": ["ann@example.com"],
    "cc": ["cc@example.com"],
    "bcc": [],
    "subject": "Your tour is ready",
    "body": "See it at https://tours.example/1",
    "metadata": {"notification_id": "7", "key": "tour-ready"},
}


def _queued(priority: int = 5) -> ExternalRequest:
    return enqueue(channel="email", payload=PAYLOAD, priority=priority, dispatch=False)


@pytest.mark.django_db
def test_success_sends_the_message_and_keeps_proof_without_the_key(mandrill_fake):
    outcome = send(_queued().pk)

    assert outcome.succeeded, outcome.error
    [call] = mandrill_fake.requests_to("POST", r"messages/send\.json$")
    body = call.json()
    assert body["key"] == mandrill_fake.api_key
    message = body["message"]
    assert message["subject"] == "Your tour is ready"
    assert message["text"] == "See it at https://tours.example/1"
    assert message["from_email"] == "ops@planomatic.example"
    assert {(r["email"], r["type"]) for r in message["to"]} == {
        ("ann@example.com", "to"),
        ("cc@example.com", "cc"),
    }
    assert message["metadata"] == {"notification_id": "7", "key": "tour-ready"}

    request = ExternalRequest.objects.get(pk=outcome.request.pk)
    assert request.status == ExternalRequest.Status.SENT
    assert request.provider_message_id in {r["_id"] for r in request.response["body"]}
    assert request.response["recipients"]["ann@example.com"]["status"] == "sent"
    assert mandrill_fake.api_key not in str(request.response)


@pytest.mark.django_db
def test_rejected_recipients_are_a_permanent_failure(mandrill_fake):
    mandrill_fake.reject("ann@example.com")
    mandrill_fake.reject("cc@example.com", "spam")

    outcome = send(_queued().pk)

    assert not outcome.succeeded and not outcome.retryable
    request = ExternalRequest.objects.get(pk=outcome.request.pk)
    assert request.status == ExternalRequest.Status.FAILED
    assert "refused every recipient" in request.last_error
    assert {r["status"] for r in request.response["body"]} == {"rejected"}
    assert mandrill_fake.api_key not in str(request.response) + request.last_error


@pytest.mark.django_db
def test_invalid_key_is_permanent_and_not_leaked(mandrill_fake, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MANDRILL_API_KEY": "wrong-key-123"}

    outcome = send(_queued().pk)

    request = ExternalRequest.objects.get(pk=outcome.request.pk)
    assert request.status == ExternalRequest.Status.FAILED
    assert "Invalid_Key" in request.last_error
    assert request.response["body"]["name"] == "Invalid_Key"
    assert "wrong-key-123" not in str(request.response) + request.last_error


@pytest.mark.django_db
def test_retryable_failure_then_success(mandrill_fake):
    mandrill_fake.fail_next(503, {"status": "error", "name": "GeneralError", "message": "try later"})
    request = _queued()

    first = send(request.pk)
    request.refresh_from_db()
    assert not first.succeeded and first.retryable
    assert request.status == ExternalRequest.Status.RETRYING
    assert request.next_attempt_at > timezone.now()

    ExternalRequest.objects.filter(pk=request.pk).update(next_attempt_at=timezone.now())
    second = send(request.pk)

    assert second.succeeded
    outcomes = list(
        ExternalRequestAttempt.objects.filter(request=request).values_list("outcome", "http_status")
    )
    assert outcomes == [("retryable", 503), ("sent", None)]
    assert len(mandrill_fake.requests_to("POST", r"send\.json$")) == 2


@pytest.mark.django_db
def test_429_retry_after_is_honoured(mandrill_fake):
    mandrill_fake.fail_next(429, {"status": "error", "name": "Too_Many"}, headers={"Retry-After": "120"})
    before = timezone.now()

    outcome = send(_queued().pk)

    request = ExternalRequest.objects.get(pk=outcome.request.pk)
    assert request.status == ExternalRequest.Status.RETRYING
    assert request.next_attempt_at >= before + timedelta(seconds=120)
    attempt = ExternalRequestAttempt.objects.get(request=request)
    assert (attempt.http_status, attempt.retry_after_seconds) == (429, 120.0)
    # Not due yet: a sweep now does not call Mandrill again.
    assert send(request.pk).skipped
    assert len(mandrill_fake.requests_to("POST", r"send\.json$")) == 1


@pytest.mark.django_db
def test_429_keeps_every_email_off_mandrill_until_retry_after(mandrill_fake):
    # Found by bench/fault_drill.py: other emails kept calling Mandrill during its Retry-After.
    mandrill_fake.fail_next(429, {"status": "error", "name": "Too_Many"}, headers={"Retry-After": "120"})
    before = timezone.now()
    send(_queued().pk)

    other = send(_queued().pk)

    assert other.skipped and not other.succeeded
    request = ExternalRequest.objects.get(pk=other.request.pk)
    assert request.status == ExternalRequest.Status.QUEUED and request.attempts == 0
    assert request.next_attempt_at >= before + timedelta(seconds=100)
    assert len(mandrill_fake.requests_to("POST", r"send\.json$")) == 1


@pytest.mark.django_db
def test_timeout_is_retryable(mandrill_fake, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "REQUESTS_TIMEOUT": 0.3}
    mandrill_fake.hang_next(1.5)

    outcome = send(_queued().pk)

    request = ExternalRequest.objects.get(pk=outcome.request.pk)
    assert outcome.retryable
    assert request.status == ExternalRequest.Status.RETRYING
    assert "did not answer" in request.last_error and "Timeout" in request.last_error
    attempt = ExternalRequestAttempt.objects.get(request=request)
    assert attempt.duration_ms < 1400


@pytest.mark.django_db
def test_low_priority_retryable_failure_stays_failed(mandrill_fake):
    mandrill_fake.fail_next(500, {"status": "error", "name": "GeneralError", "message": "boom"})

    outcome = send(_queued(priority=1).pk)

    assert ExternalRequest.objects.get(pk=outcome.request.pk).status == ExternalRequest.Status.FAILED


@pytest.mark.django_db
def test_429_retry_after_as_an_http_date_is_honoured(mandrill_fake):
    from email.utils import format_datetime

    until = timezone.now() + timedelta(seconds=300)
    date = format_datetime(until, usegmt=True)
    mandrill_fake.fail_next(429, {"status": "error", "name": "Too_Many"}, headers={"Retry-After": date})

    outcome = send(_queued().pk)

    request = ExternalRequest.objects.get(pk=outcome.request.pk)
    attempt = ExternalRequestAttempt.objects.get(request=request)
    assert attempt.http_status == 429 and 290 <= attempt.retry_after_seconds <= 300
    assert request.next_attempt_at >= until - timedelta(seconds=2)
