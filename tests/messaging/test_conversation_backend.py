"""ConversationBackend (outbox channel `conversation`) against the fake over real HTTP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from planocore.outbox import services as outbox
from planocore.outbox.models import ExternalRequest
from planocore.providers.base import ProviderError
from planocore.providers.registry import get_backend
from planocore.providers.sunshine import ConversationBackend
from tests.fakes.sunshine import SECRET

pytestmark = pytest.mark.django_db

CONVERSATION = "029c31f25a21b47effd7be90"
PAYLOAD = {"user_id": "7", "conversation_id": CONVERSATION, "text": "Your photos are ready"}


def send(payload=PAYLOAD, priority=5):
    request = outbox.enqueue(
        channel="conversation", action="post_message", payload=payload, priority=priority, dispatch=False
    )
    return outbox.send(request.pk), ExternalRequest.objects.get(pk=request.pk)


def test_post_message_success(sunshine_fake):
    sunshine_fake.add_conversation(CONVERSATION)
    assert isinstance(get_backend("conversation"), ConversationBackend)
    outcome, request = send()
    assert outcome.succeeded, outcome.error
    (message,) = sunshine_fake.messages[CONVERSATION]
    assert message["author"] == {"type": "business"}
    assert message["content"] == {"type": "text", "text": "Your photos are ready"}
    assert request.status == "sent"
    assert request.provider_message_id == message["id"]
    assert request.response["messages"][0]["id"] == message["id"]
    (sent,) = sunshine_fake.requests_to("POST", r"/messages$")
    assert sent.path == f"/v2/apps/{sunshine_fake.app_id}/conversations/{CONVERSATION}/messages"


def test_permanent_failure_is_not_retried(sunshine_fake):
    sunshine_fake.add_conversation("another-conversation")
    outcome, request = send()
    assert not outcome.succeeded and not outcome.retryable
    assert request.status == "failed" and request.next_attempt_at is None
    assert "404" in request.last_error and "conversation_not_found" in request.last_error
    assert SECRET not in request.last_error and SECRET not in str(request.response)
    assert request.attempt_log.get().http_status == 404


def test_bad_payload_is_permanent_without_a_call(sunshine_fake):
    backend = ConversationBackend()
    with pytest.raises(ProviderError) as caught:
        backend.send(channel="conversation", action="post_message", payload={"text": "hi"}, secrets={})
    assert caught.value.retryable is False
    with pytest.raises(ProviderError) as caught:
        backend.send(
            channel="conversation", action="post_message", payload={**PAYLOAD, "text": "x" * 5000}, secrets={}
        )
    assert caught.value.retryable is False
    assert sunshine_fake.received == []


def test_retryable_failure_then_success_through_the_outbox(sunshine_fake):
    sunshine_fake.fail_next(503, {"errors": [{"code": "service_unavailable", "title": "Try later"}]})
    outcome, request = send()
    assert outcome.retryable and not outcome.succeeded
    assert request.status == "retrying" and request.attempts == 1
    assert "503" in request.last_error
    ExternalRequest.objects.filter(pk=request.pk).update(next_attempt_at=timezone.now())  # time passes
    outcome = outbox.send(request.pk)
    request.refresh_from_db()
    assert outcome.succeeded, outcome.error
    assert (request.status, request.attempts) == ("sent", 2)
    assert len(sunshine_fake.requests_to("POST", r"/messages$")) == 2
    assert len(sunshine_fake.messages[CONVERSATION]) == 1


def test_429_retry_after_is_honoured(sunshine_fake):
    sunshine_fake.fail_next(
        429, {"errors": [{"code": "too_many_requests", "title": "x"}]}, headers={"Retry-After": "120"}
    )
    before = timezone.now()
    outcome, request = send()
    assert outcome.retryable
    assert request.status == "retrying"
    assert request.next_attempt_at >= before + timedelta(seconds=119)
    # No worker calls Sunshine Conversations again before Retry-After, even for another request.
    ExternalRequest.objects.filter(pk=request.pk).update(next_attempt_at=timezone.now())
    outbox.send(request.pk)
    other_outcome, other = send({**PAYLOAD, "text": "Another"})
    assert not other_outcome.succeeded
    assert len(sunshine_fake.requests_to("POST", r"/messages$")) == 1
    assert other.status == "queued" and other.next_attempt_at >= before + timedelta(seconds=100)


def test_timeout_is_retryable(sunshine_fake, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    sunshine_fake.hang_next(1.5)
    backend = ConversationBackend()
    with pytest.raises(ProviderError) as caught:
        backend.send(channel="conversation", action="post_message", payload=PAYLOAD, secrets={})
    assert caught.value.retryable is True
    assert "did not answer within 0.3 seconds" in caught.value.message


def test_unreachable_host_is_retryable(sunshine_fake, settings):
    from planocore.providers import sunshine

    settings.SUNSHINE_CONVERSATIONS_HOST = "http://127.0.0.1:9"  # nothing listens on the discard port
    sunshine.reset_clients()
    with pytest.raises(ProviderError) as caught:
        ConversationBackend().send(channel="conversation", action="post_message", payload=PAYLOAD, secrets={})
    assert caught.value.retryable is True
    assert SECRET not in caught.value.message


def test_a_confirmed_client_receives_conversation_messages(api, sunshine_fake, settings, person):
    """The delivery path: create → webhook confirms → conversation_for_user → outbox → SC."""
    from django.test import Client

    from messaging.selectors import conversation_for_user

    settings.SUNSHINE_CONVERSATIONS_WEBHOOK_SECRET = "whsec"
    sunshine_fake.add_user(str(person.pk))
    sunshine_fake.add_conversation(CONVERSATION)
    code, body = api.post(
        f"/api/v1/users/{person.pk}/clients",
        {
            "matchCriteria": {"type": "twilio", "integrationId": "int1", "phoneNumber": "+15550001234"},
            "confirmation": {"type": "immediate"},
            "target": {"conversationId": CONVERSATION},
        },
    )
    assert code == 200, body
    assert conversation_for_user(person.pk) is None  # pending clients get nothing
    confirmed = {
        "id": "ev-1",
        "type": "client:update",
        "createdAt": "2026-11-23T10:00:00.000Z",
        "payload": {"reason": "confirmed", "client": {"id": body["data"]["client_id"], "status": "active"}},
    }
    response = Client().post(
        "/webhooks/sunshine-conversations",
        data={"events": [confirmed]},
        content_type="application/json",
        HTTP_X_API_KEY="whsec",
    )
    assert response.status_code == 200
    conversation_id = conversation_for_user(str(person.pk))
    assert conversation_id == CONVERSATION
    outcome, request = send({"user_id": str(person.pk), "conversation_id": conversation_id, "text": "Hi Ana"})
    assert outcome.succeeded, outcome.error
    assert sunshine_fake.messages[CONVERSATION][0]["content"]["text"] == "Hi Ana"
