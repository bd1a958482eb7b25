"""Enqueue, send and record: success, failures, retries, budgets, leases."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from planocore.crypto import decrypt_json
from planocore.outbox import claim, services
from planocore.outbox import outcome as outcomes
from planocore.outbox.attempt import call_backend
from planocore.outbox.models import ExternalRequest, ExternalRequestAttempt
from planocore.outbox.services import enqueue, process_due, send
from planocore.outbox.signals import outcome_recorded
from planocore.providers import ratelimit
from planocore.providers.base import ProviderError

pytestmark = pytest.mark.django_db

Status = ExternalRequest.Status


def _sms(text="hi", **extra):
    return {"from": "+15550000001", "to": ["+15550000002"], "text": text, "extension_id": None, **extra}


def _retryable(**kw):
    return ProviderError("Service unavailable", retryable=True, http_status=503, **kw)


# --- sandbox: the default path ---------------------------------------------------------


def test_enqueue_sends_after_commit_through_the_sandbox(sandbox, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, request, **kw):
        received.append((request.pk, request.status))

    outcome_recorded.connect(receiver, dispatch_uid="test-outbox-receiver")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            request = enqueue(channel="sms", payload=_sms(), priority=5, secrets={"password": "s3cret"})
            # Nothing is sent before the commit.
            assert ExternalRequest.objects.get(pk=request.pk).status == Status.QUEUED
        assert len(callbacks) == 1
        callbacks[0]()  # the commit: eager Celery task runs in-process
    finally:
        outcome_recorded.disconnect(dispatch_uid="test-outbox-receiver")

    request.refresh_from_db()
    assert request.status == Status.SENT
    assert request.provider_message_id.startswith("sandbox-")
    assert request.response["would_send"]["payload"]["text"] == "hi"
    assert request.secret_payload == ""  # wiped once sent
    assert "s3cret" not in str(request.response)
    assert request.attempts == 1 and request.sent_at and request.lease_token == ""
    (attempt,) = request.attempt_log.all()
    assert attempt.outcome == ExternalRequestAttempt.Outcome.SENT and attempt.number == 1
    assert received == [(request.pk, Status.SENT)]


def test_secrets_are_encrypted_at_rest(sandbox):
    request = enqueue(
        channel="glip", payload={"chat_id": "1", "text": "x"}, secrets={"password": "pw-123"}, dispatch=False
    )
    stored = ExternalRequest.objects.values_list("secret_payload", flat=True).get(pk=request.pk)
    assert "pw-123" not in stored
    assert decrypt_json(stored) == {"password": "pw-123"}


def test_sandbox_permanent_failure_is_failed(sandbox):
    request = enqueue(channel="sms", payload=_sms(sandbox_fail="permanent"), priority=9, dispatch=False)
    outcome = send(request.pk)
    assert outcome.kind == "failed" and not outcome.retryable
    request.refresh_from_db()
    assert request.status == Status.FAILED and request.next_attempt_at is None
    assert "permanent" in request.last_error
    (attempt,) = request.attempt_log.all()
    assert (attempt.outcome, attempt.http_status) == ("permanent", 400)


def test_sandbox_retryable_failure_with_retry_after_is_retried_later(sandbox):
    request = enqueue(
        channel="sms",
        payload=_sms(sandbox_fail="retryable", sandbox_retry_after=7200),
        priority=5,
        dispatch=False,
    )
    before = timezone.now()
    outcome = send(request.pk)
    assert outcome.kind == "retrying" and outcome.retryable
    request.refresh_from_db()
    assert request.status == Status.RETRYING
    # Retry-After (2 h) beats the backoff (at most 30 s for a first retry).
    assert request.next_attempt_at >= before + timedelta(seconds=7200)
    attempt = request.attempt_log.get()
    assert (attempt.outcome, attempt.http_status, attempt.retry_after_seconds) == ("retryable", 503, 7200)


# --- retries and priorities ------------------------------------------------------------------


def test_low_priority_retryable_failure_waits_for_staff(scripted, django_capture_on_commit_callbacks):
    scripted.reset(script=[_retryable()])
    request = enqueue(channel="sms", payload=_sms(), priority=4, dispatch=False)
    assert send(request.pk).kind == "failed"
    request.refresh_from_db()
    assert request.status == Status.FAILED and request.next_attempt_at is None
    # A later sweep does not touch it...
    assert process_due().total == 0
    # ...until staff retry it (sent again after the action's commit).
    with django_capture_on_commit_callbacks(execute=True):
        assert services.retry_requests(queryset=ExternalRequest.objects.filter(pk=request.pk))[0] == 1
    request.refresh_from_db()
    assert request.status == Status.SENT and request.attempts == 2


def test_backoff_grows_exponentially_with_jitter(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 30, 3600
    for attempt, step in [(1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)]:
        delays = {services.backoff_seconds(attempt) for _ in range(20)}
        assert all(step / 2 <= d <= step for d in delays)
        assert len(delays) > 1  # jittered
    assert services.backoff_seconds(1, retry_after=500) == 500


def test_retryable_failures_are_abandoned_after_max_attempts(
    scripted, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    scripted.reset(script=[_retryable()] * 5)
    request = enqueue(channel="sms", payload=_sms(), priority=5, dispatch=False)
    kinds = []
    for _ in range(3):
        kinds.append(send(request.pk).kind)
        ExternalRequest.objects.filter(pk=request.pk, status=Status.RETRYING).update(
            next_attempt_at=timezone.now()
        )
    assert kinds == ["retrying", "retrying", "abandoned"]
    request.refresh_from_db()
    assert request.status == Status.ABANDONED and request.attempts == 3
    assert list(request.attempt_log.values_list("number", flat=True)) == [1, 2, 3]
    # Staff retry starts a fresh series: its next failure is retried, not abandoned.
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_requests(queryset=ExternalRequest.objects.filter(pk=request.pk))
    request.refresh_from_db()
    assert request.status == Status.RETRYING and request.attempts == 4
    assert request.attempt_log.last().outcome == "retryable"


def test_retryable_failure_past_max_age_is_abandoned(scripted, settings):
    settings.OUTBOX_MAX_AGE_HOURS = 48
    scripted.reset(script=[_retryable()])
    request = enqueue(channel="sms", payload=_sms(), priority=8, dispatch=False)
    ExternalRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(hours=49))
    assert send(request.pk).kind == "abandoned"


def test_not_due_or_taken_rows_are_skipped(scripted):
    request = enqueue(channel="sms", payload=_sms(), priority=5, dispatch=False)
    ExternalRequest.objects.filter(pk=request.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    assert send(request.pk).skipped
    ExternalRequest.objects.filter(pk=request.pk).update(
        next_attempt_at=timezone.now(),
        status=Status.SENDING,
        leased_until=timezone.now() + timedelta(minutes=1),
    )
    assert send(request.pk).skipped
    assert scripted.calls == []


def test_a_crashing_backend_does_not_lose_the_row(scripted):
    scripted.reset(script=[RuntimeError("bug")])
    request = enqueue(channel="sms", payload=_sms(), priority=5, dispatch=False)
    outcome = send(request.pk)
    assert outcome.kind == "retrying"
    request.refresh_from_db()
    assert request.status == Status.RETRYING and "RuntimeError" in request.last_error


def test_a_failing_receiver_does_not_undo_the_outcome(scripted):
    def broken(sender, request, **kw):
        ExternalRequest.objects.filter(pk=request.pk).update(delivery_status="half-written")
        raise ValueError("receiver bug")

    outcome_recorded.connect(broken, dispatch_uid="test-outbox-broken")
    try:
        first = enqueue(channel="sms", payload=_sms("a"), priority=5, dispatch=False)
        second = enqueue(channel="sms", payload=_sms("b"), priority=5, dispatch=False)
        counts = process_due()
    finally:
        outcome_recorded.disconnect(dispatch_uid="test-outbox-broken")
    assert counts.sent == 2
    for request in (first, second):
        request.refresh_from_db()
        assert request.status == Status.SENT
        assert request.delivery_status == ""  # the receiver's half-written change was rolled back
        assert request.attempt_log.count() == 1


# --- leases -------------------------------------------------------------------------------------


def test_a_row_left_sending_past_its_lease_is_reclaimed(scripted):
    request = enqueue(channel="sms", payload=_sms(), priority=5, dispatch=False)
    dead = services.claim(request.pk)
    assert dead is not None and dead.status == Status.SENDING
    assert services.claim(request.pk) is None  # leased: nobody else takes it
    ExternalRequest.objects.filter(pk=request.pk).update(leased_until=timezone.now() - timedelta(seconds=1))
    counts = process_due()
    assert counts.sent == 1
    request.refresh_from_db()
    assert request.status == Status.SENT and request.attempts == 2


def test_a_worker_whose_lease_was_taken_over_cannot_overwrite_the_outcome(scripted):
    request = enqueue(channel="sms", payload=_sms(), priority=5, dispatch=False)
    slow = services.claim(request.pk)
    ExternalRequest.objects.filter(pk=request.pk).update(leased_until=timezone.now() - timedelta(seconds=1))
    assert send(request.pk).kind == "sent"  # another worker reclaims and sends
    scripted.reset(script=[ProviderError("late failure", retryable=False)])
    recorded = outcomes.record([call_backend(slow, {})])
    assert recorded == []
    request.refresh_from_db()
    assert request.status == Status.SENT and request.attempt_log.count() == 1


def test_claim_takes_each_row_once():
    rows = [enqueue(channel="sms", payload=_sms(str(i)), dispatch=False) for i in range(5)]
    first = services.claim_batch(limit=3)
    second = services.claim_batch(limit=10)
    assert len(first) == 3 and len(second) == 2
    assert {r.pk for r in first} | {r.pk for r in second} == {r.pk for r in rows}
    assert services.claim_batch(limit=10) == []


def test_a_worker_that_picked_rows_another_took_gets_none_of_them():
    # The SQLite race (no row locks): worker A picked rows, worker B claimed them
    # first; A's conditional UPDATE must take none.
    for i in range(4):
        enqueue(channel="sms", payload=_sms(str(i)), dispatch=False)
    picked_by_a = services.select_due(limit=4)
    taken_by_b = services.claim_batch(limit=4)
    assert len(taken_by_b) == 4
    assert claim.take(lambda now: list(picked_by_a)) == []
    assert set(ExternalRequest.objects.values_list("lease_token", flat=True)) == {taken_by_b[0].lease_token}


# --- provider budgets ---------------------------------------------------------------------------


def test_budget_defers_without_counting_an_attempt(scripted):
    scripted.reset(requests_per_minute=2)
    for i in range(5):
        enqueue(channel="sms", payload=_sms(str(i), account="ext-1"), priority=5, dispatch=False)
    counts = process_due()
    assert (counts.sent, counts.skipped) == (2, 3)
    assert len(scripted.calls) == 2
    waiting = ExternalRequest.objects.filter(status=Status.QUEUED)
    assert waiting.count() == 3
    for request in waiting:
        assert request.attempts == 0 and request.last_error == ""
        assert request.next_attempt_at > timezone.now()
        assert not request.attempt_log.exists()


def test_budget_is_per_account(scripted):
    scripted.reset(requests_per_minute=1)
    for account in ("ext-1", "ext-1", "ext-2"):
        enqueue(channel="sms", payload=_sms(account=account), priority=5, dispatch=False)
    counts = process_due()
    assert (counts.sent, counts.skipped) == (2, 1)
    assert sorted(c["payload"]["account"] for c in scripted.calls) == ["ext-1", "ext-2"]


def test_429_penalizes_the_account_for_every_worker(scripted):
    scripted.reset(
        script=[ProviderError("Too many requests", retryable=True, http_status=429, retry_after=60)]
    )
    first = enqueue(channel="sms", payload=_sms("a", account="ext-1"), priority=5, dispatch=False)
    second = enqueue(channel="sms", payload=_sms("b", account="ext-1"), priority=5, dispatch=False)
    assert send(first.pk).kind == "retrying"
    assert 55 < ratelimit.penalty_remaining("ext-1") <= 60
    first.refresh_from_db()
    assert first.next_attempt_at >= timezone.now() + timedelta(seconds=55)
    # Another worker (a fresh send, no shared memory but the cache) does not call it.
    outcome = send(second.pk)
    assert outcome.skipped and len(scripted.calls) == 1
    second.refresh_from_db()
    assert second.status == Status.QUEUED and second.attempts == 0
    assert second.next_attempt_at >= timezone.now() + timedelta(seconds=55)


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the SQLite test database is in this process's memory, locked table-wide between threads; "
    "tests/outbox/test_budgets.py shares a SQLite file between processes",
)
@pytest.mark.django_db(transaction=True)
def test_budget_is_shared_between_threads(settings):
    # Two "workers" in threads against the same database: the budget holds in total.
    got = []

    def worker():
        try:
            for _ in range(30):
                got.append(ratelimit.acquire("shared-account", limit=40) == 0)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(got) == 40
    assert ratelimit.acquire("shared-account", limit=40) > 0
    assert ratelimit.acquire("other-account", limit=40) == 0


# --- broker down at dispatch ------------------------------------------------------------------


def test_broker_down_at_dispatch_leaves_the_row_for_the_sweep(
    sandbox, celery_conf, django_capture_on_commit_callbacks, caplog
):
    celery_conf(
        task_always_eager=False,
        broker_url="redis://127.0.0.1:1/0",  # nothing listens there
        task_publish_retry=False,
        broker_transport_options={"max_retries": 0},  # fail at once, not after ~6 s of retries
    )
    with django_capture_on_commit_callbacks(execute=True):
        request = enqueue(channel="sms", payload=_sms(), priority=5)
    assert "the sweep will send them" in caplog.text
    request.refresh_from_db()
    assert request.status == Status.QUEUED and request.attempts == 0
    from planocore.outbox.tasks import process_due_requests

    process_due_requests()
    request.refresh_from_db()
    assert request.status == Status.SENT


# --- cost ---------------------------------------------------------------------------------------


def test_draining_a_batch_costs_a_few_queries(sandbox, django_assert_max_num_queries, settings):
    settings.OUTBOX_RECORD_SECONDS = 60  # group outcomes by count only, for a stable figure
    process_due()  # the first sweep makes the heartbeat's row
    ExternalRequest.objects.bulk_create(
        [
            ExternalRequest(channel="sms", payload=_sms(str(i)), next_attempt_at=timezone.now())
            for i in range(100)
        ]
    )
    # claim: 3 selects + 1 update (in a savepoint on PostgreSQL); record: one
    # group of 100 = 1 UPDATE + 1 INSERT (executemany) in a savepoint; then a
    # last claim that finds nothing: 3 selects; the sweep's heartbeat: 1 UPDATE.
    with django_assert_max_num_queries(17):
        counts = process_due(batch_size=100)
    assert counts.sent == 100
    assert ExternalRequestAttempt.objects.count() == 100
    assert set(ExternalRequest.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.django_db(transaction=True)
def test_an_outcome_is_kept_across_a_lost_database_connection(scripted, monkeypatch):
    # Found by bench/fault_drill.py: a database restart between the provider's answer and
    # its recording dropped the outcome, and the request was sent again after its lease.
    from django.db import OperationalError

    real, tries = outcomes.write, []

    def flaky(attempts, token, **kwargs):
        tries.append(len(attempts))
        if len(tries) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(attempts, token, **kwargs)

    monkeypatch.setattr(outcomes, "write", flaky)
    request = enqueue(channel="sms", payload=_sms(), priority=5, dispatch=False)

    outcome = send(request.pk)

    assert outcome.succeeded and len(tries) == 2
    request.refresh_from_db()
    assert (request.status, request.attempts, request.lease_token) == (Status.SENT, 1, "")
    assert ExternalRequestAttempt.objects.filter(request=request).count() == 1
    assert len(scripted.calls) == 1


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_longer_than_half_a_lease_is_raised(scripted, monkeypatch, settings):
    from django.db import OperationalError

    settings.OUTBOX_LEASE_SECONDS = 1

    def down(attempts, token, **kwargs):
        raise OperationalError("the database is down")

    monkeypatch.setattr(outcomes, "write", down)
    request = enqueue(channel="sms", payload=_sms(), priority=5, dispatch=False)
    with pytest.raises(OperationalError):
        send(request.pk)
    # Left in `sending`: the lease runs out and any worker sends it again.
    assert ExternalRequest.objects.get(pk=request.pk).status == Status.SENDING
