"""The hand-off of committed ids to the broker: one message per commit, nothing lost."""

import json
from base64 import b64decode

import pytest
from django.db import transaction

from planocore.outbox.models import ExternalRequest
from planocore.outbox.services import enqueue
from tests.markers import REDIS_URL, needs_redis

Status = ExternalRequest.Status


@pytest.mark.django_db
def test_eager_tasks_send_in_process_at_once(sandbox, django_capture_on_commit_callbacks):
    # No broker (the embedded default): the commit sends, no thread, no waiting.
    with django_capture_on_commit_callbacks(execute=True):
        request = enqueue(channel="sms", payload={"text": "now"}, priority=5)
    assert ExternalRequest.objects.get(pk=request.pk).status == Status.SENT


@pytest.mark.django_db
def test_a_message_for_a_deleted_request_sends_nothing_and_says_so(sandbox, caplog):
    from planocore.outbox.tasks import send_external_request

    send_external_request(999_999)  # staff deleted the row before the worker got its message
    assert "999999 no longer exists" in caplog.text


@pytest.mark.django_db
def test_ids_the_sweep_sent_first_are_skipped_by_their_messages(scripted):
    # A worker slow to reach its messages: the sweep sends those rows, and the
    # messages, arriving later, find them taken and send nothing twice.
    from planocore.outbox.services import process_due
    from planocore.outbox.tasks import send_external_request

    ids = [enqueue(channel="sms", payload={"n": n}, priority=5, dispatch=False).pk for n in range(3)]
    assert process_due().sent == 3
    for request_id in ids:
        send_external_request(request_id)
    assert len(scripted.calls) == 3
    assert set(ExternalRequest.objects.values_list("status", flat=True)) == {Status.SENT}
    assert ExternalRequest.objects.filter(attempts=1).count() == 3


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_each_commit_publishes_its_id_on_redis_at_once(celery_conf, redis_queue):
    import redis

    broker, queue = REDIS_URL, redis_queue  # no worker reads it
    celery_conf(task_always_eager=False, broker_url=broker, task_default_queue=queue)
    client = redis.Redis.from_url(broker)
    ids = []
    for n in range(3):
        with transaction.atomic():
            ids.append(enqueue(channel="sms", payload={"n": n}, priority=5).pk)
            assert client.llen(queue) == n  # nothing before the commit
        assert client.llen(queue) == n + 1  # published by the commit, on this thread
    published = []
    for _ in ids:
        message = json.loads(client.rpop(queue))
        assert message["headers"]["task"] == "planocore.outbox.tasks.send_external_request"
        args, kwargs, _ = json.loads(b64decode(message["body"]))
        assert kwargs == {}
        published.append(args[0])
    assert published == ids
    assert set(ExternalRequest.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.QUEUED}


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_the_redis_transport_publishes_through_one_client(celery_conf, redis_queue, monkeypatch, settings):
    # settings.CELERY_BROKER_TRANSPORT with a redis:// broker (planocore/outbox/broker.py):
    # kombu's own channel built a redis.Redis for every message.
    import redis

    assert settings.CELERY_BROKER_TRANSPORT is None or settings.CELERY_BROKER_TRANSPORT.endswith(":Transport")
    celery_conf(
        task_always_eager=False,
        broker_url=REDIS_URL,
        broker_transport="planocore.outbox.broker:Transport",
        task_default_queue=redis_queue,
    )
    built = []
    real_init = redis.Redis.__init__

    def counting_init(self, *args, **kwargs):
        built.append(1)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting_init)
    ids = []
    for n in range(4):
        with transaction.atomic():
            ids.append(enqueue(channel="sms", payload={"n": n}, priority=5).pk)
        if n == 0:
            first = len(built)
    assert len(built) == first  # the three later publishes built no client
    client = redis.Redis.from_url(REDIS_URL)
    published = [
        json.loads(b64decode(json.loads(m)["body"]))[0][0] for m in client.lrange(redis_queue, 0, -1)
    ]
    assert sorted(published) == ids
