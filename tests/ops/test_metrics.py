"""/metrics: Prometheus text built from the outbox tables."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from planocore.outbox.models import ExternalRequest
from planocore.outbox.services import enqueue, send


class Samples(dict):
    """{(name, (("label", "value"), ...)): value}; labels match in any order (the
    exposition writes them sorted)."""

    @staticmethod
    def key(key: tuple) -> tuple:
        name, labels = key
        return name, tuple(sorted(labels))

    def __getitem__(self, key):
        return super().__getitem__(self.key(key))

    def __contains__(self, key):
        return super().__contains__(self.key(key))


def parse(text: str) -> Samples:
    """The samples, read by prometheus-client's own parser (it fails on any malformed line)."""
    samples = Samples()
    for family in text_string_to_metric_families(text):
        assert family.type in ("gauge", "counter")
        for sample in family.samples:
            samples[Samples.key((sample.name, tuple(sample.labels.items())))] = float(sample.value)
    return samples


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return parse(response.content.decode())


def depth(samples, status, channel):
    return samples[("planocore_outbox_requests", (("status", status), ("channel", channel)))]


def _email(**extra):
    return {"from_email": "a@example.com", "to": ["b@example.com"], "cc": [], "bcc": [],
            "subject": "s", "body": "b", "metadata": {}, **extra}  # fmt: skip


def _sent(channel, payload, priority=0):
    request = enqueue(channel=channel, action="send", payload=payload, priority=priority, dispatch=False)
    send(request.pk)
    return request


@pytest.mark.django_db
def test_queue_depth_sends_and_failures(client):
    sms = {"from": "+15550001111", "to": ["+15550002222"], "text": "hi", "extension_id": None}
    _sent("sms", sms)
    _sent("sms", sms)
    _sent("email", _email())
    _sent("email", _email(sandbox_fail="permanent"))  # -> failed, one permanent failure
    _sent("sms", {**sms, "sandbox_fail": "retryable"}, priority=9)  # -> retrying, one retryable failure
    enqueue(channel="glip", action="post", payload={"chat_id": "1", "text": "x", "extension_id": None},
            dispatch=False)  # fmt: skip

    samples = scrape(client)

    # The work in flight and the open problems, never the history.
    assert depth(samples, "failed", "email") == 1
    assert depth(samples, "retrying", "sms") == 1
    assert depth(samples, "queued", "glip") == 1
    assert depth(samples, "abandoned", "conversation") == 0  # every pair is present
    assert ("planocore_outbox_requests", (("status", "sent"), ("channel", "sms"))) not in samples
    total = sum(v for (name, _), v in samples.items() if name == "planocore_outbox_requests")
    assert total == 3
    # The window: every request made in it, by state.
    recent = "planocore_outbox_recent_requests"
    assert samples[(recent, (("status", "sent"), ("channel", "sms")))] == 2
    assert samples[(recent, (("status", "sent"), ("channel", "email")))] == 1
    assert samples[(recent, (("status", "suppressed"), ("channel", "mms")))] == 0
    assert (
        sum(v for (name, _), v in samples.items() if name == recent) == ExternalRequest.objects.count() == 6
    )

    attempts = "planocore_provider_recent_attempts"
    assert samples[(attempts, (("channel", "sms"), ("provider", "sandbox"), ("outcome", "sent")))] == 2
    assert samples[(attempts, (("channel", "email"), ("provider", "sandbox"), ("outcome", "sent")))] == 1
    assert samples[(attempts, (("channel", "email"), ("provider", "sandbox"), ("outcome", "permanent")))] == 1
    assert samples[(attempts, (("channel", "sms"), ("provider", "sandbox"), ("outcome", "retryable")))] == 1
    assert samples[(attempts, (("channel", "sms"), ("provider", "sandbox"), ("outcome", "permanent")))] == 0


@pytest.mark.django_db
def test_resolved_problems_and_old_rows_leave_the_gauges(client, settings):
    settings.METRICS_WINDOW_SECONDS = 60
    failed = _sent("email", _email(sandbox_fail="permanent"))
    old = _sent("sms", {"from": "+15550001111", "to": ["+15550002222"], "text": "hi", "extension_id": None})
    long_ago = timezone.now() - timedelta(minutes=5)
    ExternalRequest.objects.filter(pk=old.pk).update(created_at=long_ago)
    old.attempt_log.update(started_at=long_ago)
    samples = scrape(client)
    assert depth(samples, "failed", "email") == 1
    assert samples[("planocore_outbox_recent_requests", (("status", "sent"), ("channel", "sms")))] == 0
    key = (("channel", "sms"), ("provider", "sandbox"), ("outcome", "sent"))
    assert samples[("planocore_provider_recent_attempts", key)] == 0
    ExternalRequest.objects.filter(pk=failed.pk).update(resolved_at=timezone.now(), resolution="handled")
    assert depth(scrape(client), "failed", "email") == 0


@pytest.mark.django_db
def test_oldest_due_age(client):
    glip = {"chat_id": "1", "text": "x", "extension_id": None}
    assert scrape(client)[("planocore_outbox_oldest_due_seconds", ())] == 0
    old = enqueue(channel="glip", action="post", payload=glip, dispatch=False)
    newer = enqueue(channel="glip", action="post", payload=glip, dispatch=False)
    later = enqueue(channel="glip", action="post", payload=glip, dispatch=False)
    now = timezone.now()
    ExternalRequest.objects.filter(pk=old.pk).update(next_attempt_at=now - timedelta(seconds=90))
    ExternalRequest.objects.filter(pk=newer.pk).update(next_attempt_at=now - timedelta(seconds=10))
    # Not due yet (a retry waiting for its backoff): not counted.
    ExternalRequest.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(hours=1))

    age = scrape(client)[("planocore_outbox_oldest_due_seconds", ())]
    assert 90 <= age < 120

    # Once sent it is no longer due: the age falls to the next one's.
    ExternalRequest.objects.filter(pk=old.pk).update(status=ExternalRequest.Status.SENT)
    assert 10 <= scrape(client)[("planocore_outbox_oldest_due_seconds", ())] < 40


@pytest.mark.django_db
def test_scrape_costs_five_queries(client, django_assert_max_num_queries):
    glip = {"chat_id": "1", "text": "x", "extension_id": None}
    for _ in range(5):
        enqueue(channel="glip", action="post", payload=glip, dispatch=False)
    # in flight (with the oldest due), open problems, recent requests, recent attempts, budgets
    with django_assert_max_num_queries(5):
        client.get("/metrics")


@pytest.mark.django_db
def test_metrics_token(client, settings):
    settings.METRICS_TOKEN = "m-token-123"
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert b"planocore_" not in missing.content
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic m-token-123").status_code == 401
    samples = scrape(client, HTTP_AUTHORIZATION="Bearer m-token-123")
    assert ("planocore_outbox_oldest_due_seconds", ()) in samples


@pytest.mark.django_db
def test_open_without_token_setting(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_provider_budgets_per_account_and_group(client):
    from planocore.providers import ratelimit

    for _ in range(2):
        assert ratelimit.acquire("ringcentral:ext:7", "Medium", limit=40) == 0
    ratelimit.settle(
        "ringcentral:ext:7",
        "Medium",
        reserved=None,
        finished=ratelimit.clock(),
        reported_limit=30,
        reported_remaining=27,
    )
    ratelimit.penalize("ringcentral:ext:7", 45, "Auth")
    samples = scrape(client)
    medium = (("account", "ringcentral:ext:7"), ("group", "Medium"))
    auth = (("account", "ringcentral:ext:7"), ("group", "Auth"))
    assert samples[("planocore_provider_budget_calls", medium)] == 2
    assert samples[("planocore_provider_budget_limit", medium)] == 30  # RingCentral's lower limit applies
    assert samples[("planocore_provider_budget_remaining_reported", medium)] == 27
    assert samples[("planocore_provider_budget_penalty_until_seconds", medium)] == 0
    assert 40 < samples[("planocore_provider_budget_penalty_until_seconds", auth)] - ratelimit.clock() <= 45
    assert ("planocore_provider_budget_remaining_reported", auth) not in samples
